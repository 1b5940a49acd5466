import Testing
@testable import GroupModel

/// The plain model the compact ``History`` must agree with: per group and partition an array of
/// observations, per partition an array of log-end samples, and commit marks, each kept only for
/// what the latest snapshot still has.
private struct ReferenceHistory {
    var capacity: Int
    var observations: [String: [TopicPartition: [PartitionObservation]]] = [:]
    var logEnds: [TopicPartition: [OffsetSample]] = [:]
    var marks: [String: [TopicPartition: CommitMark]] = [:]

    mutating func record(_ snapshot: ClusterSnapshot) {
        let at = snapshot.takenAt
        var ends: [TopicPartition: [OffsetSample]] = [:]
        for topic in snapshot.topics {
            for p in topic.partitions {
                let tp = TopicPartition(topic: topic.name, partition: p.partition)
                var ring = logEnds[tp] ?? []
                if let end = p.logEnd { ring.append(OffsetSample(timestamp: at, logEnd: end)) }
                ends[tp] = Array(ring.suffix(capacity))
            }
        }
        logEnds = ends
        var groups: [String: [TopicPartition: [PartitionObservation]]] = [:]
        var marksNow: [String: [TopicPartition: CommitMark]] = [:]
        for group in snapshot.groups {
            var rows: [TopicPartition: [PartitionObservation]] = [:]
            var groupMarks: [TopicPartition: CommitMark] = [:]
            for row in group.partitions {
                let ring = (observations[group.groupID]?[row.topicPartition] ?? []) + [PartitionObservation(row: row, timestamp: at)]
                rows[row.topicPartition] = Array(ring.suffix(capacity))
                if let mark = marks[group.groupID]?[row.topicPartition], mark.offset == row.committedOffset {
                    groupMarks[row.topicPartition] = mark
                } else {
                    groupMarks[row.topicPartition] = CommitMark(offset: row.committedOffset, since: at)
                }
            }
            groups[group.groupID] = rows
            marksNow[group.groupID] = groupMarks
        }
        observations = groups
        marks = marksNow
    }

    /// The group's total lag per kept poll, by its definition: the partitions with the most
    /// observations, summed per poll, polls with an unknown lag left out.
    func groupLagSamples(_ group: Group) -> [LagSample] {
        let windows = group.partitions.compactMap { observations[group.groupID]?[$0.topicPartition] }
        let n = windows.map(\.count).max() ?? 0
        let full = windows.filter { $0.count == n }
        return (0..<n).compactMap { k in
            var total: Int64 = 0
            for window in full {
                guard let lag = window[k].lag.offsets else { return nil }
                total += lag
            }
            return LagSample(timestamp: full[0][k].timestamp, lag: total)
        }
    }
}

/// A snapshot whose offsets move the way stored differences find hard: mostly small steps, now and
/// then a reset to 0, a jump by billions or to the ends of `Int64`; lags mostly what the offsets
/// give, sometimes not (no commit, a lag from elsewhere, unknown). Groups and partitions come and go;
/// the clock mostly moves on by seconds, now and then by days, or stands or goes back.
private func offsetSnapshot(at: Int64, offsets: inout [Int64], dice: inout Dice) -> ClusterSnapshot {
    func step(_ v: Int64) -> Int64 {
        switch dice.next(100) {
        case 0..<3: return 0
        case 3..<5: return v &+ Int64(dice.next(3)) * 3_000_000_000
        case 5: return [Int64.max, Int64.min, Int64.max - 1, Int64.min + 1][dice.next(4)]
        case 6..<8: return v &- Int64(dice.next(100_000))
        default: return v &+ Int64(dice.next(dice.chance(50) ? 20 : 70_000))
        }
    }
    var topics: [TopicInfo] = []
    var groups: [Group] = []
    for t in 0..<2 {
        let count = 1 + dice.next(4)
        var parts: [PartitionOffsets] = []
        for p in 0..<count where !dice.chance(5) {
            let i = t * 8 + p
            offsets[i] = step(offsets[i])
            parts.append(PartitionOffsets(partition: Int32(p), logStart: 0, logEnd: dice.chance(5) ? nil : offsets[i]))
        }
        topics.append(TopicInfo(name: "t\(t)", partitionCount: count, partitions: parts))
    }
    for g in 0..<3 where !dice.chance(5) {
        var rows: [GroupPartition] = []
        for (t, topic) in topics.enumerated() where dice.chance(80) {
            for p in topic.partitions where !dice.chance(5) {
                let i = 16 + g * 16 + t * 8 + Int(p.partition)
                offsets[i] = step(offsets[i])
                let committed: Int64? = dice.chance(8) ? nil : offsets[i]
                let logEnd: Int64? = dice.chance(5) ? nil : (dice.chance(90) ? p.logEnd : step(offsets[i]))
                let lag: LagValue
                switch dice.next(20) {
                case 0: lag = .unknown(reason: "why")
                case 1: lag = .known(Int64(dice.next(1_000_000)))
                case 2: lag = .known([1 << 40, -1][dice.next(2)])
                default:
                    // (A group's lags are summed: far-apart offsets get a lag from elsewhere.)
                    if let c = committed, let e = logEnd, max(0, e &- c) < 1 << 40 {
                        lag = .known(max(0, e &- c))
                    } else if committed != nil {
                        lag = .known(Int64(dice.next(1000)))
                    } else {
                        lag = logEnd.map { .known($0 / 2) } ?? .unknown(reason: "log end offset unknown")
                    }
                }
                rows.append(GroupPartition(
                    topicPartition: TopicPartition(topic: topic.name, partition: p.partition), committedOffset: committed, logStart: 0,
                    logEnd: logEnd, lag: lag, owner: "m\(dice.next(3))", handoff: .settled))
            }
        }
        groups.append(Group(groupID: "g\(g)", type: .consumer, state: .stable, partitions: rows))
    }
    return ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), topics: topics, groups: groups)
}

/// A small deterministic generator for the randomized comparisons.
private struct Dice {
    var state: UInt64
    mutating func next(_ n: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(n))
    }
    mutating func chance(_ percent: Int) -> Bool { next(100) < percent }
}

/// Builds a snapshot of random groups over topics `t0`... with random rows: missing offsets,
/// unknown lags, errors, owners from a churning pool, every hand-off state.
private func randomSnapshot(at: Int64, dice: inout Dice) -> ClusterSnapshot {
    let topicCount = 3
    var topics: [TopicInfo] = []
    for t in 0..<topicCount {
        // Partition sets change now and then (a partition added, or one missing).
        let count = 2 + dice.next(3)
        var parts: [PartitionOffsets] = []
        for p in 0..<count where !dice.chance(5) {
            parts.append(PartitionOffsets(partition: Int32(p), logStart: 0, logEnd: dice.chance(10) ? nil : Int64(at / 10 + Int64(dice.next(50)))))
        }
        topics.append(TopicInfo(name: "t\(t)", partitionCount: count, partitions: parts))
    }
    var groups: [Group] = []
    for g in 0..<4 where !dice.chance(5) {
        var rows: [GroupPartition] = []
        for topic in topics where dice.chance(70) {
            for p in topic.partitions where !dice.chance(10) {
                let tp = TopicPartition(topic: topic.name, partition: p.partition)
                let committed: Int64? = dice.chance(10) ? nil : Int64(dice.next(5) * 10)
                let error: ItemError? = dice.chance(10) ? ItemError(code: Int16(1 + dice.next(3)), name: "E\(dice.next(3))", message: dice.chance(50) ? "m\(dice.next(2))" : nil) : nil
                let lag: LagValue = dice.chance(10) ? .unknown(reason: "why \(dice.next(3))") : .known(Int64(dice.next(40)))
                let owner: String? = dice.chance(20) ? nil : "member-with-a-long-id-\(dice.next(6) + Int(at / 1000) / 7)"
                let handoff = HandoffState.allCases[dice.next(HandoffState.allCases.count)]
                rows.append(GroupPartition(
                    topicPartition: tp, committedOffset: committed, logStart: 0, logEnd: dice.chance(10) ? nil : Int64(dice.next(500)),
                    lag: lag, owner: owner, handoff: handoff, error: error))
            }
        }
        groups.append(Group(groupID: "g\(g)", type: .consumer, state: .stable, partitions: rows))
    }
    return ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), topics: topics, groups: groups)
}

@Suite("History")
struct HistoryTests {
    @Test("Observations round-trip exactly: offsets, missing values, unknown lags, owners, hand-offs, errors")
    func roundTrip() {
        let tp = TopicPartition(topic: "t", partition: 0)
        let rows: [GroupPartition] = [
            GroupPartition(topicPartition: tp, committedOffset: 5, logStart: 0, logEnd: 9, lag: .known(4), owner: "m-1", handoff: .settled),
            GroupPartition(topicPartition: tp, committedOffset: nil, logEnd: nil, lag: .unknown(reason: "log end offset unknown"),
                           owner: nil, handoff: .unowned),
            GroupPartition(topicPartition: tp, committedOffset: Int64.min, logEnd: Int64.max, lag: .known(Int64.min), owner: "",
                           handoff: .pendingRevocation, error: ItemError(code: 6, name: "NOT_LEADER_OR_FOLLOWER", message: "moved")),
            GroupPartition(topicPartition: tp, committedOffset: 0, logEnd: 0, lag: .known(0), owner: "m-2", handoff: .awaitingRelease,
                           error: ItemError(code: 3, name: "UNKNOWN_TOPIC_OR_PARTITION")),
        ]
        var history = History(capacity: 10)
        for (i, row) in rows.enumerated() {
            let group = Group(groupID: "g", type: .classic, state: .stable, partitions: [row])
            history.record(ClusterSnapshot(takenAt: Int64(i) * 1000, pollDurationMs: 1, cluster: ClusterInfo(), groups: [group]))
        }
        let expected = rows.enumerated().map { PartitionObservation(row: $0.element, timestamp: Int64($0.offset) * 1000) }
        #expect(history.observations(groupID: "g", topicPartition: tp) == expected)
        #expect(history.observations(groupID: "g", topicPartition: TopicPartition(topic: "t", partition: 1)).isEmpty)
        #expect(history.observations(groupID: "other", topicPartition: tp).isEmpty)
        #expect(history.lagSamples(groupID: "g", topicPartition: tp).map(\.lag) == [4, Int64.min, 0])
    }

    @Test("Rings wrap around and keep the newest observations and samples, oldest first")
    func wrapAround() {
        var history = History(capacity: 4)
        let tps = (0..<3).map { TopicPartition(topic: "t", partition: Int32($0)) }
        for i in 0..<11 {
            let rows = tps.map { GroupPartition(topicPartition: $0, committedOffset: Int64(i * 10) + Int64($0.partition), logEnd: Int64(100 + i), lag: .known(1), owner: "m\(i % 3)", handoff: .settled) }
            let topic = TopicInfo(name: "t", partitionCount: 3, partitions: tps.map { PartitionOffsets(partition: $0.partition, logEnd: Int64(100 + i)) })
            history.record(ClusterSnapshot(takenAt: Int64(i), pollDurationMs: 1, cluster: ClusterInfo(), topics: [topic],
                                           groups: [Group(groupID: "g", type: .classic, state: .stable, partitions: rows)]))
        }
        for tp in tps {
            let obs = history.observations(groupID: "g", topicPartition: tp)
            #expect(obs.map(\.timestamp) == [7, 8, 9, 10])
            #expect(obs.map(\.committed) == [70, 80, 90, 100].map { Int64($0) + Int64(tp.partition) })
            #expect(obs.map(\.owner) == ["m1", "m2", "m0", "m1"])
            let expected: [OffsetSample] = (7...10).map { (i: Int) in OffsetSample(timestamp: Int64(i), logEnd: Int64(100 + i)) }
            #expect(history.logEndSamples(tp) == expected)
        }
        // A smaller capacity keeps the newest.
        history.capacity = 2
        history.record(ClusterSnapshot(takenAt: 11, pollDurationMs: 1, cluster: ClusterInfo(), topics: [],
                                       groups: [Group(groupID: "g", type: .classic, state: .stable, partitions: [
                                           GroupPartition(topicPartition: tps[1], committedOffset: 111, lag: .known(0), handoff: .settled),
                                       ])]))
        #expect(history.observations(groupID: "g", topicPartition: tps[1]).map(\.committed) == [101, 111])
        #expect(history.observations(groupID: "g", topicPartition: tps[0]).isEmpty)
        #expect(history.logEndSamples(tps[1]).isEmpty)
    }

    @Test("Commit marks hold while the committed offset stands still")
    func commitMarks() {
        var history = History(capacity: 2)
        let tp = TopicPartition(topic: "t", partition: 0)
        for (i, committed) in ([5, 5, 5, 6, nil, nil, 6] as [Int64?]).enumerated() {
            let row = GroupPartition(topicPartition: tp, committedOffset: committed, lag: .known(1), handoff: .settled)
            history.record(ClusterSnapshot(takenAt: Int64(i) * 1000, pollDurationMs: 1, cluster: ClusterInfo(),
                                           groups: [Group(groupID: "g", type: .classic, state: .stable, partitions: [row])]))
            let since: Int64 = switch i { case 0...2: 0; case 3: 3000; case 4...5: 4000; default: 6000 }
            #expect(history.commitUnchangedSince(groupID: "g", topicPartition: tp) == since, "poll \(i)")
            #expect(history.commitMark(groupID: "g", topicPartition: tp)?.offset == committed)
        }
    }

    @Test("Owner churn: the interned table is compacted and observations stay exact")
    func ownerChurn() {
        var history = History(capacity: 3)
        var reference = ReferenceHistory(capacity: 3)
        let tps = (0..<20).map { TopicPartition(topic: "t", partition: Int32($0)) }
        for i in 0..<200 {
            let rows = tps.map { tp in
                GroupPartition(topicPartition: tp, committedOffset: Int64(i), lag: .known(Int64(tp.partition)),
                               owner: "member-\(i)-\(tp.partition % 4)", handoff: i % 2 == 0 ? .settled : .pendingRevocation)
            }
            let snap = ClusterSnapshot(takenAt: Int64(i), pollDurationMs: 1, cluster: ClusterInfo(),
                                       groups: [Group(groupID: "g", type: .consumer, state: .stable, partitions: rows)])
            history.record(snap)
            reference.record(snap)
        }
        for tp in tps {
            #expect(history.observations(groupID: "g", topicPartition: tp) == reference.observations["g"]?[tp])
        }
        #expect(history.groupRings["g"].map { $0.traits.count <= 64 } == true)
    }

    /// Every observation, commit mark, group lag series and log-end sample of `history` equals the
    /// plain model's, for each row and partition of `snap` (just recorded by both).
    private func expectAgree(_ history: History, _ reference: ReferenceHistory, after snap: ClusterSnapshot, _ label: String) {
        for group in snap.groups {
            for row in group.partitions {
                let tp = row.topicPartition
                #expect(history.observations(groupID: group.groupID, topicPartition: tp) == reference.observations[group.groupID]?[tp],
                        "\(label) \(group.groupID) \(tp)")
                #expect(history.commitMark(groupID: group.groupID, topicPartition: tp) == reference.marks[group.groupID]?[tp],
                        "\(label) \(group.groupID) \(tp)")
            }
            #expect(history.groupLagSamples(groupID: group.groupID) == reference.groupLagSamples(group), "\(label) \(group.groupID)")
        }
        for topic in snap.topics {
            for p in topic.partitions {
                let tp = TopicPartition(topic: topic.name, partition: p.partition)
                #expect(history.logEndSamples(tp) == reference.logEnds[tp], "\(label) \(tp)")
                #expect(history.oldestLogEnd(tp) == reference.logEnds[tp]?.first?.logEnd, "\(label) \(tp)")
            }
        }
    }

    @Test("Randomized: the compact history agrees with the plain model, poll after poll")
    func randomized() {
        for seed in 1...6 as ClosedRange<UInt64> {
            var dice = Dice(state: seed)
            let capacity = 1 + Int(seed % 4)
            var history = History(capacity: capacity)
            var reference = ReferenceHistory(capacity: capacity)
            for poll in 0..<40 {
                let snap = randomSnapshot(at: Int64(poll) * 1000, dice: &dice)
                history.record(snap)
                reference.record(snap)
                expectAgree(history, reference, after: snap, "seed \(seed) poll \(poll)")
            }
        }
    }

    @Test("A group's total lag per poll, kept per column as it is written, agrees with the plain model over steady runs, new layouts, capacity changes and unknown lags")
    func groupLagTotalsOverSteadyRuns() {
        for seed in 1...8 as ClosedRange<UInt64> {
            var dice = Dice(state: seed)
            var capacity = 2 + dice.next(4)
            var history = History(capacity: capacity)
            var reference = ReferenceHistory(capacity: capacity)
            // Each group keeps its partitions for runs longer than the history (so every slot
            // fills up and the kept totals are read), then gains or loses one.
            var partitions = [3, 1, 4]
            for poll in 0..<60 {
                if dice.chance(10) { partitions[dice.next(partitions.count)] = 1 + dice.next(5) }
                if dice.chance(4) {
                    capacity = 1 + dice.next(6)
                    history.capacity = capacity
                    reference.capacity = capacity
                }
                let at = Int64(poll) * 2_000
                var groups: [Group] = []
                for g in partitions.indices {
                    let rows = (0..<partitions[g]).map { p in
                        let lag: LagValue = dice.chance(8) ? .unknown(reason: "log end offset unknown") : .known(Int64(dice.next(100)))
                        return GroupPartition(
                            topicPartition: TopicPartition(topic: "t\(g)", partition: Int32(p)), committedOffset: Int64(poll * 10),
                            logEnd: Int64(poll * 10 + 50), lag: lag, owner: "m\(p % 2)", handoff: .settled)
                    }
                    groups.append(Group(groupID: "g\(g)", type: .consumer, state: .stable, partitions: rows))
                }
                let snap = ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), groups: groups)
                history.record(snap)
                reference.record(snap)
                for group in groups {
                    #expect(history.groupLagSamples(groupID: group.groupID) == reference.groupLagSamples(group), "seed \(seed) poll \(poll) \(group.groupID)")
                }
            }
        }
    }

    @Test("Randomized offsets: resets, jumps by billions, the ends of Int64, clocks jumping by days, capacity changes; stored differences stay exact")
    func randomizedOffsets() {
        for seed in 1...12 as ClosedRange<UInt64> {
            var dice = Dice(state: seed)
            var capacity = 1 + dice.next(6)
            var history = History(capacity: capacity)
            var reference = ReferenceHistory(capacity: capacity)
            var offsets = (0..<64).map { _ in Int64(dice.next(1_000_000)) * (dice.chance(30) ? 1_000_000 : 1) }
            var at: Int64 = 1_700_000_000_000
            for poll in 0..<80 {
                if dice.chance(8) {
                    capacity = 1 + dice.next(6)
                    history.capacity = capacity
                    reference.capacity = capacity
                }
                switch dice.next(20) {
                case 0: at += Int64(dice.next(5)) * 86_400_000
                case 1: at -= Int64(dice.next(3000))
                case 2: break
                default: at += 1000 + Int64(dice.next(4000))
                }
                let snap = offsetSnapshot(at: at, offsets: &offsets, dice: &dice)
                history.record(snap)
                reference.record(snap)
                expectAgree(history, reference, after: snap, "seed \(seed) poll \(poll)")
            }
        }
    }

    @Test("Packed integers read back exactly what was written, widening as values need")
    func packedInts() {
        var dice = Dice(state: 9)
        var packed = PackedInts(count: 50)
        var plain = [Int64](repeating: 0, count: 50)
        #expect(packed.width == 0 && packed.storageBytes == 0)
        let extremes: [Int64] = [0, 1, -1, 127, 128, -128, -129, 32_767, 32_768, -32_768, -32_769, Int64(Int32.max), Int64(Int32.max) + 1,
                                 Int64(Int32.min), Int64(Int32.min) - 1, Int64.max, Int64.min]
        for round in 0..<400 {
            let i = dice.next(50)
            let v = round < 200 ? Int64(dice.next(200)) - 100 : extremes[dice.next(extremes.count)]
            packed[i] = v
            plain[i] = v
            #expect((0..<50).map { packed[$0] } == plain, "round \(round)")
            #expect(packed.width >= plain.map(PackedInts.width(of:)).max()!)
        }
        for lowest in [Int64.min, -5, 0, Int64.max - 300] {
            for width in [1, 2, 4, 8] {
                let base = PackedInts.base(lowest: lowest, width: width)
                let top = lowest &+ Int64(truncatingIfNeeded: width == 8 ? UInt64.max : (UInt64(1) << UInt64(8 * width)) - 1)
                var p = PackedInts(count: 2, width: width)
                p[0] = lowest &- base
                p[1] = top &- base
                #expect(p.width == width && base &+ p[0] == lowest && base &+ p[1] == top, "lowest \(lowest) width \(width)")
            }
        }
    }

    @Test("Packed integers set in one pass equal the same values set one by one")
    func packedIntsSetInOnePass() {
        var dice = Dice(state: 31)
        let extremes: [Int64] = [0, 1, -1, 127, 128, -129, 32_768, -32_769, Int64(Int32.max) + 1, Int64(Int32.min) - 1, Int64.max, Int64.min]
        var widths: Set<Int> = []
        for round in 0..<500 {
            let count = 1 + dice.next(40)
            var batched = PackedInts(count: count, width: [0, 1, 2, 4, 8][dice.next(5)])
            // Values already held, set one by one in both.
            for i in 0..<count where dice.next(3) == 0 { batched[i] = Int64(dice.next(300)) - 150 }
            var plain = batched
            // Every few indices from one on (as a ring's column), or distinct indices in any order.
            let stride = 1 + dice.next(4)
            let first = dice.next(count)
            var indices = Array(Swift.stride(from: first, to: count, by: stride))
            if round % 2 == 1 {
                indices = (0..<count).filter { _ in dice.next(2) == 0 }
                for i in indices.indices.reversed() { indices.swapAt(i, dice.next(i + 1)) }
            }
            let scale = dice.next(4)
            let values: [Int64] = indices.map { _ in
                scale == 3 ? extremes[dice.next(extremes.count)] : Int64(dice.next(1 << (6 * scale + 4))) - Int64(1 << (6 * scale + 3))
            }
            for k in indices.indices { plain[indices[k]] = values[k] }
            batched.set(count: indices.count, at: { indices[$0] }, to: { values[$0] })
            #expect(batched == plain, "round \(round)")
            #expect((0..<count).map { batched[$0] } == (0..<count).map { plain[$0] }, "round \(round)")
            widths.insert(batched.width)
        }
        #expect(widths.isSuperset(of: [1, 2, 4, 8]), "\(widths)")
    }

    @Test("The derivation's verdicts and time lags match the per-partition functions on the history's arrays")
    func derivationMatchesPublicFunctions() {
        var dice = Dice(state: 42)
        var derivation = PollDerivation(historyCapacity: 4)
        for poll in 0..<30 {
            let snap = randomSnapshot(at: Int64(poll) * 2000, dice: &dice)
            let derived = derivation.ingest(snap)
            let history = derivation.history
            for group in snap.groups {
                let verdict = derived.verdicts[group.groupID]
                for (i, row) in group.partitions.enumerated() {
                    let expected = HealthEvaluator.evaluate(
                        row: row, observations: history.observations(groupID: group.groupID, topicPartition: row.topicPartition),
                        groupRebalancing: group.state.isRebalancing, now: snap.takenAt, config: derivation.healthConfig)
                    #expect(verdict?.partitions[i] == expected, "poll \(poll) \(group.groupID) \(row.topicPartition)")
                    let lag = TimeLagEstimator.timeLag(committed: row.committedOffset, samples: history.logEndSamples(row.topicPartition), now: snap.takenAt)
                    #expect(derived.timeLags[group.groupID]?[row.topicPartition] == lag)
                }
            }
        }
    }

    @Test("Time lag read in place from a topic ring equals the one from its samples copied out, on random log ends and clocks")
    func ringTimeLagMatchesArrayPath() {
        var dice = Dice(state: 7)
        for capacity in [1, 3, 5] {
            var history = History(capacity: capacity)
            var at: Int64 = 1_000_000
            var ends: [Int64] = [100, 100, 100, 100]
            for poll in 0..<60 {
                // Clocks mostly move on, now and then stand or go back; log ends mostly grow, now and
                // then drop (a truncated or recreated log) or are unknown.
                at += dice.chance(10) ? -Int64(dice.next(3000)) : Int64(dice.next(4000))
                var parts: [PartitionOffsets] = []
                for p in ends.indices {
                    ends[p] = dice.chance(8) ? Int64(dice.next(50)) : ends[p] + Int64(dice.next(30))
                    parts.append(PartitionOffsets(partition: Int32(p), logStart: 0, logEnd: dice.chance(10) ? nil : ends[p]))
                }
                history.record(ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(),
                                               topics: [TopicInfo(name: "t", partitionCount: parts.count, partitions: parts)], groups: []))
                guard let ring = history.topicRings["t"] else {
                    Issue.record("no ring for t")
                    return
                }
                for p in ends.indices {
                    let tp = TopicPartition(topic: "t", partition: Int32(p))
                    let copied = history.logEndSamples(tp)
                    guard let slot = ring.slot(of: Int32(p)) else {
                        Issue.record("no slot for \(tp)")
                        continue
                    }
                    #expect(ring.withSamples(slot: slot) { Array($0) } == copied, "capacity \(capacity) poll \(poll) \(tp)")
                    for committed in [nil, Int64(0), ends[p] - Int64(dice.next(80)), ends[p], ends[p] + 5] as [Int64?] {
                        let now = at + Int64(dice.next(5000))
                        let inPlace = ring.withSamples(slot: slot) { TimeLagEstimator.timeLag(committed: committed, ordered: $0, now: now) }
                        #expect(inPlace == TimeLagEstimator.timeLag(committed: committed, samples: copied, now: now),
                                "capacity \(capacity) poll \(poll) \(tp) committed \(String(describing: committed))")
                    }
                }
            }
        }
    }

    @Test("Topic rings kept in a list with an index hold what a table by name holds: topics in any order, listed twice, gone and back")
    func topicRingsMatchTableByName() {
        var dice = Dice(state: 11)
        let names = ["a", "b", "c", "d", "e", "f"]
        var history = History(capacity: 3)
        var reference: [String: TopicRing] = [:]
        for poll in 0..<60 {
            let at = Int64(1_000_000 + 2_000 * poll)
            var topics = names.filter { _ in !dice.chance(30) }.map { name in
                TopicInfo(name: name, partitionCount: 2, partitions: (0..<2).map {
                    PartitionOffsets(partition: Int32($0), logStart: 0, logEnd: Int64(10 * poll + dice.next(10)))
                })
            }
            if dice.chance(40) { topics.reverse() }
            if dice.chance(20), let first = topics.first { topics.append(first) }
            // Set after the snapshot is made: its initializer would sort the topics.
            var snapshot = ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), topics: [], groups: [])
            snapshot.topics = topics
            history.record(snapshot)
            // What the history did before: one ring per name in a table, then the names not listed dropped.
            for topic in topics { reference[topic.name, default: TopicRing(capacity: 3)].record(topic, at: at, capacity: 3) }
            reference = reference.filter { entry in topics.contains { $0.name == entry.key } }
            #expect(history.topicRings == reference, "poll \(poll)")
            #expect(history.retainedCounts.topics == reference.count, "poll \(poll)")
            for name in names {
                let tp = TopicPartition(topic: name, partition: 1)
                var expected: [OffsetSample] = []
                if let ring = reference[name], let slot = ring.slot(of: 1) { ring.samples(slot: slot, into: &expected) }
                #expect(history.logEndSamples(tp) == expected, "poll \(poll) \(name)")
                #expect(history.oldestLogEnd(tp) == reference[name].flatMap { ring in ring.slot(of: 1).flatMap { ring.oldestLogEnd(slot: $0) } })
            }
        }
    }

    @Test("SnapshotDiff: the merge over sorted lists gives the same events as the general path")
    func diffFastPathMatchesGeneral() {
        func snapshot(_ at: Int64, _ seed: UInt64) -> ClusterSnapshot {
            var dice = Dice(state: seed)
            var groups: [Group] = []
            for g in 0..<8 where !dice.chance(15) {
                let tps = (0..<4).map { TopicPartition(topic: "t\(g)", partition: Int32($0)) }
                let ids = (0..<4).filter { _ in !dice.chance(30) }.map { "member-\(g)-\($0)" }
                let members = ids.enumerated().map { i, id in
                    GroupMember(memberID: id, clientID: "c", clientHost: "/h", memberType: .consumer, memberEpoch: Int32(dice.next(3)),
                                subscribedTopics: ["t\(g)"], assignment: tps.filter { Int($0.partition) % ids.count == i && !dice.chance(20) },
                                targetAssignment: tps.filter { Int($0.partition) % ids.count == i })
                }
                let rows = tps.map { tp in
                    GroupPartition(topicPartition: tp, committedOffset: 1, lag: .known(0),
                                   owner: ids.isEmpty || dice.chance(20) ? nil : ids[Int(tp.partition) % ids.count], handoff: .settled)
                }
                groups.append(Group(groupID: "g\(g)", type: .consumer, state: dice.chance(30) ? .reconciling : .stable,
                                    groupEpoch: Int32(dice.next(3)), assignmentEpoch: Int32(dice.next(3)), members: members, partitions: rows))
            }
            return ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), groups: groups)
        }
        for seed in 1...20 as ClosedRange<UInt64> {
            let old = snapshot(1000, seed)
            let new = snapshot(2000, seed &* 7 &+ 3)
            var oldShuffled = old
            oldShuffled.groups.reverse()
            for g in oldShuffled.groups.indices {
                oldShuffled.groups[g].members.reverse()
                oldShuffled.groups[g].partitions.reverse()
            }
            var newShuffled = new
            newShuffled.groups.reverse()
            for g in newShuffled.groups.indices { newShuffled.groups[g].members.reverse() }
            #expect(SnapshotDiff.diff(old: oldShuffled, new: newShuffled) == SnapshotDiff.diff(old: old, new: new), "seed \(seed)")
        }
    }
}

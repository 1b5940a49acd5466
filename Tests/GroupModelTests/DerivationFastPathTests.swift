import SeededRandom
import Testing
@testable import GroupModel

/// The derivation's fast paths (rings found by position, windows judged on the stack, traits
/// matched by owner identity, time lags and record-time candidates read topic by topic) against
/// the general paths and plain reference rules, on estates where group ids repeat, groups come
/// and go, topics are renamed and members change, and every string is built afresh each poll.
@Suite("Derivation fast paths")
struct DerivationFastPathTests {
    /// A string with the same characters in storage of its own (for ids longer than a small string).
    private static func copy(_ s: String) -> String { String(decoding: Array(s.utf8), as: UTF8.self) }

    /// One poll of a random estate: topics from a pool whose names change now and then, groups
    /// from a pool (now and then one listed twice, or the list out of order), members from a
    /// churning pool with long ids, rows with every kind of offset, lag, owner and hand-off.
    private static func snapshot(poll: Int, _ random: inout SplitMix64, ownersShared: Bool = true) -> ClusterSnapshot {
        let at = 1_000_000 + Int64(poll) * 2000
        // Topic k is renamed every 7 polls (a topic deleted and another created).
        let topicNames = (0..<4).map { k in "topic-\(k)-generation-\((poll + 3 * k) / 7)" }
        var topics: [TopicInfo] = []
        for name in topicNames {
            var parts: [PartitionOffsets] = []
            for p in 0..<3 where random.below(100) >= 5 {
                let end: Int64? = random.below(100) < 8 ? nil : Int64(poll) * 10 + Int64(p) * 3 + Int64(random.below(4))
                parts.append(PartitionOffsets(partition: Int32(p), logStart: 0, logEnd: end))
            }
            topics.append(TopicInfo(name: copy(name), partitionCount: 3, partitions: parts))
        }
        var groups: [Group] = []
        for g in 0..<9 where random.below(100) >= 12 {
            let id = copy("consumer-group-number-\(g)")
            let memberCount = random.below(4)
            let ids = (0..<memberCount).map { m in copy("member-\(g)-\(m)-incarnation-\((poll + m + g) / (3 + random.below(3)))") }
            var rows: [GroupPartition] = []
            for t in topics.indices where random.below(100) < 60 {
                for p in topics[t].partitions where random.below(100) >= 8 {
                    let tp = TopicPartition(topic: topics[t].name, partition: p.partition)
                    let end = p.logEnd
                    let committed: Int64? = random.below(100) < 8 ? nil : max(0, (end ?? 50) - Int64(random.below(25)) + (random.below(100) < 5 ? 40 : 0))
                    let error: ItemError? = random.below(100) < 5 ? ItemError(code: 6, name: "NOT_LEADER_OR_FOLLOWER") : nil
                    let lag = LagCalculator.lag(committed: committed, logStart: 0, logEnd: end, offsetsError: error)
                    let ownerIndex = ids.isEmpty || random.below(100) < 15 ? nil : Int(p.partition) % ids.count
                    let owner = ownerIndex.map { ownersShared ? ids[$0] : copy(ids[$0]) }
                    let handoff = owner == nil ? (random.below(2) == 0 ? HandoffState.unowned : .awaitingRelease)
                        : HandoffState.allCases[random.below(100) < 80 ? 0 : random.below(HandoffState.allCases.count)]
                    rows.append(GroupPartition(
                        topicPartition: tp, committedOffset: committed, logStart: 0, logEnd: end, lag: lag, owner: owner,
                        targetOwner: owner, handoff: handoff, error: error))
                }
            }
            let consumer = g % 2 == 0
            let epoch = Int32(1 + poll / 4)
            let members = ids.enumerated().map { m, memberID in
                GroupMember(
                    memberID: memberID, clientID: "client-\(g)", clientHost: "/10.0.0.\(m)", memberType: consumer ? .consumer : .classic,
                    memberEpoch: consumer ? epoch - (random.below(100) < 20 ? 1 : 0) : nil, subscribedTopics: [topicNames[g % 4]],
                    assignment: rows.filter { $0.owner == memberID }.map(\.topicPartition))
            }
            groups.append(Group(
                groupID: id, type: consumer ? .consumer : .classic, state: random.below(100) < 15 ? .reconciling : .stable,
                groupEpoch: consumer ? epoch : nil, assignmentEpoch: consumer ? epoch : nil, generationID: consumer ? nil : epoch,
                members: members, partitions: rows))
        }
        if random.below(100) < 12, !groups.isEmpty { groups.append(groups[random.below(groups.count)]) }
        if random.below(100) < 10 { groups.shuffle(using: &random) }
        return ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), topics: topics, groups: groups)
    }

    @Test("Verdicts and time lags of a derivation equal the general evaluator's and estimator's, poll after poll")
    func verdictsAndTimeLagsMatchGeneralPaths() {
        var random = SplitMix64(seed: 2026)
        var statuses: Set<HealthStatus> = []
        var methods: Set<TimeLagMethod> = []
        for run in 0..<6 {
            var derivation = PollDerivation(historyCapacity: 3 + run)
            for poll in 0..<30 {
                let derived = derivation.ingest(Self.snapshot(poll: poll, &random))
                let now = derived.snapshot.takenAt
                // A repeated id keeps its last listing's verdict and time lags.
                var last: [String: Group] = [:]
                for group in derived.snapshot.groups { last[group.groupID] = group }
                #expect(Set(derived.verdicts.keys) == Set(last.keys), "run \(run) poll \(poll)")
                for (id, group) in last {
                    let expected = HealthEvaluator.evaluate(group: group, history: derivation.history, now: now, config: derivation.healthConfig)
                    #expect(derived.verdicts[id] == expected, "run \(run) poll \(poll) \(id)")
                    for p in expected.partitions { statuses.insert(p.status) }
                    for row in group.partitions {
                        let samples = derivation.history.logEndSamples(row.topicPartition)
                        let general = TimeLagEstimator.timeLag(committed: row.committedOffset, samples: samples, now: now)
                        #expect(derived.timeLags[id]?[row.topicPartition] == general, "run \(run) poll \(poll) \(id) \(row.topicPartition)")
                        if let method = general.method { methods.insert(method) }
                    }
                }
            }
        }
        // The estates reach the rules and the estimates the comparison is about.
        #expect(statuses.isSuperset(of: [.ok, .err, .warn, .rewind, .rebalancing]), "\(statuses)")
        #expect(methods.isSuperset(of: [.caughtUp, .interpolation, .lowerBound]), "\(methods)")
    }

    @Test("Rows whose owners are copies record the same history as rows sharing their owners' strings")
    func traitsByIdentityMatchTraitsByContent() {
        var shared = SplitMix64(seed: 99)
        var copied = SplitMix64(seed: 99)
        var a = History(capacity: 5)
        var b = History(capacity: 5)
        for poll in 0..<40 {
            let s = Self.snapshot(poll: poll, &shared)
            let t = Self.snapshot(poll: poll, &copied, ownersShared: false)
            a.record(s)
            b.record(t)
            #expect(a == b, "poll \(poll)")
            // A repeated id's ring holds its last listing's rows.
            var last: [String: Group] = [:]
            for group in s.groups { last[group.groupID] = group }
            for group in last.values {
                for row in group.partitions {
                    let observations = a.observations(groupID: group.groupID, topicPartition: row.topicPartition)
                    #expect(observations.last == PartitionObservation(row: row, timestamp: s.takenAt), "poll \(poll) \(group.groupID) \(row.topicPartition)")
                }
            }
        }
    }

    /// The rules 4 to 9 as written over lists (the evaluator's reading before it judged windows in
    /// place), for windows of observations.
    private static func referenceRules(
        row: GroupPartition, window: [HealthEvaluator.WindowEntry], groupRebalancing: Bool, now: Int64, config: HealthConfig
    ) -> (HealthStatus, String) {
        let lag = row.lag.offsets!
        let commits = window.compactMap(\.committed)
        for i in commits.indices.dropFirst() where commits[i] < commits[i - 1] {
            let high = commits[i - 1]
            if !commits[(i + 1)...].contains(where: { $0 >= high }) {
                return (.rewind, "committed offset went back from \(high) to \(commits[i]) and has not recovered (now \(commits.last ?? commits[i]))")
            }
        }
        let span = window.last!.timestamp - window.first!.timestamp
        func inHandoff(_ e: HealthEvaluator.WindowEntry) -> Bool {
            e.handoff == .pendingRevocation || e.handoff == .awaitingRelease || (e.handoff == .unowned && groupRebalancing)
        }
        if let latest = window.last, inHandoff(latest) {
            var since = latest.timestamp
            for e in window.reversed() {
                guard inHandoff(e) else { break }
                since = e.timestamp
            }
            if now - since < config.handoffGraceMs {
                return (.rebalancing, "in hand-off (\(latest.handoff.rawValue)) for \(HealthEvaluator.seconds(now - since)) of a \(HealthEvaluator.seconds(config.handoffGraceMs)) grace, lag \(lag)")
            }
        }
        let lags = window.compactMap(\.lag)
        if lags.contains(where: { $0 <= config.allowedLag }) { return (.ok, VerdictReason.caughtUpWithin(spanMs: span, lag: lag).text) }
        let first = lags.first ?? lag
        let standing = window.allSatisfy { $0.committed == row.committedOffset }
        if standing, now - window.first!.timestamp >= config.minimumStallMs {
            let why = VerdictReason.standing(committed: row.committedOffset, stoodMs: now - window.first!.timestamp, first: first, lag: lag, owner: row.owner)
            return (row.owner == nil ? .stop : .stall, why.text)
        }
        let neverDecreases = lags.indices.dropFirst().allSatisfy { lags[$0] >= lags[$0 - 1] }
        if neverDecreases, lag > first { return (.warn, VerdictReason.grew(first: first, lag: lag, spanMs: span, standing: standing).text) }
        let samples = window.compactMap { e in e.lag.map { LagSample(timestamp: e.timestamp, lag: $0) } }
        if let rate = TimeLagEstimator.growthRate(samples, allowedLag: config.allowedLag) {
            return (.warn, VerdictReason.rose(first: first, lag: lag, spanMs: span, rate: rate).text)
        }
        return (.ok, (standing ? VerdictReason.unchangedBriefly(minimumStallMs: config.minimumStallMs, lag: lag) : .advancing(lag: lag)).text)
    }

    @Test("A window judged in place gives the verdict of the rules over lists")
    func windowRulesMatchReference() {
        var random = SplitMix64(seed: 7)
        let config = HealthConfig(allowedLag: 2, minimumObservations: 2, minimumStallMs: 6_000, handoffGraceMs: 5_000)
        let tp = TopicPartition(topic: "t", partition: 0)
        var statuses: Set<HealthStatus> = []
        for trial in 0..<3000 {
            let n = 2 + random.below(9)
            var observations: [PartitionObservation] = []
            var committed = Int64(random.below(100))
            var lag = Int64(random.below(20))
            for k in 0..<n {
                switch random.below(10) {
                case 0: committed -= Int64(random.below(30))
                case 1, 2: break
                default: committed += Int64(random.below(15))
                }
                lag = max(0, lag + Int64(random.below(11)) - 4)
                let handoff: HandoffState = random.below(100) < 20 ? [.pendingRevocation, .awaitingRelease, .unowned][random.below(3)] : .settled
                observations.append(PartitionObservation(
                    timestamp: Int64(k) * 2000 + Int64(random.below(500)), committed: random.below(100) < 10 ? nil : committed,
                    logEnd: committed + lag, lag: random.below(100) < 8 ? .unknown(reason: "x") : .known(lag + 3), owner: random.below(4) == 0 ? nil : "m",
                    handoff: handoff, error: nil))
            }
            let current = observations[n - 1]
            guard let rowLag = current.lag.offsets, rowLag > config.allowedLag else { continue }
            let row = GroupPartition(topicPartition: tp, committedOffset: current.committed, logEnd: current.logEnd, lag: current.lag,
                                     owner: current.owner, handoff: current.handoff)
            let now = observations[n - 1].timestamp + Int64(random.below(3000))
            let rebalancing = random.below(2) == 0
            let verdict = HealthEvaluator.evaluate(row: row, observations: observations, groupRebalancing: rebalancing, now: now, config: config)
            let expected = Self.referenceRules(row: row, window: observations.map(HealthEvaluator.WindowEntry.init), groupRebalancing: rebalancing, now: now, config: config)
            #expect(verdict.status == expected.0 && verdict.reason == expected.1, "trial \(trial)")
            statuses.insert(verdict.status)
        }
        #expect(statuses == [.ok, .warn, .rewind, .rebalancing, .stall, .stop], "\(statuses)")
    }

    /// The record-time candidates by their definition: every lagging row the history cannot
    /// measure, one entry per partition and offset (in focus if any of its groups is, its largest
    /// lag), best first (focus, then lag, then key).
    private static func referenceCandidates(
        _ snapshot: ClusterSnapshot, known: RecordTimes, history: History, focus: Set<String>, budget: Int
    ) -> [RecordTimes.Key] {
        var picked: [RecordTimes.Key: (focus: Bool, lag: Int64)] = [:]
        for group in snapshot.groups {
            for row in group.partitions {
                guard let committed = row.committedOffset, let lag = row.lag.offsets, lag > 0, let end = row.logEnd, committed < end,
                      row.error == nil else { continue }
                if let oldest = history.oldestLogEnd(row.topicPartition), committed >= oldest { continue }
                let key = RecordTimes.Key(row.topicPartition, offset: committed)
                if known[key] != nil { continue }
                let before = picked[key]
                picked[key] = (focus.contains(group.groupID) || before?.focus == true, max(lag, before?.lag ?? 0))
            }
        }
        let sorted = picked.sorted { a, b in
            a.value.focus != b.value.focus ? a.value.focus : a.value.lag != b.value.lag ? a.value.lag > b.value.lag : a.key < b.key
        }
        return Array(sorted.prefix(max(0, budget)).map(\.key))
    }

    @Test("Record-time candidates read topic by topic equal the candidates by their definition")
    func candidatesMatchReference() {
        var random = SplitMix64(seed: 31)
        var picked = 0
        for run in 0..<4 {
            var derivation = PollDerivation(historyCapacity: 2 + run)
            for poll in 0..<30 {
                let snapshot = Self.snapshot(poll: poll, &random)
                let ids = snapshot.groups.map(\.groupID)
                let focus: Set<String> = ids.isEmpty || random.below(3) == 0 ? [] : [ids[random.below(ids.count)]]
                let budget = [0, 1, 3, 10, 1000][random.below(5)]
                let expected = Self.referenceCandidates(snapshot, known: derivation.recordTimes, history: derivation.history, focus: focus, budget: budget)
                let fast = derivation.recordTimeCandidates(for: snapshot, focus: focus, budget: budget)
                let general = RecordTimes.candidates(
                    in: snapshot, known: derivation.recordTimes, oldestLogEnd: { derivation.history.oldestLogEnd($0) }, focus: focus, budget: budget)
                #expect(fast == expected, "run \(run) poll \(poll)")
                #expect(general == expected, "run \(run) poll \(poll)")
                picked += fast.count
                // Half of them "read", so that known records are skipped at the next poll.
                var found: [RecordTimes.Key: RecordTimes.Record] = [:]
                for (i, key) in fast.enumerated() where i % 2 == 0 { found[key] = RecordTimes.Record(timestamp: snapshot.takenAt - 9000, exact: true) }
                derivation.addRecordTimes(found)
                _ = derivation.ingest(snapshot)
            }
        }
        #expect(picked > 50)
    }
    @Test("A time lag read from the newest sample back equals the rule over every sample of the partition")
    func timeLagFromNewestBackMatchesWholeWindow() {
        var random = SplitMix64(seed: 77)
        var methods: Set<TimeLagMethod> = []
        var unordered = 0
        for run in 0..<40 {
            var capacity = 1 + random.below(6)
            var ring = TopicRing(capacity: capacity)
            var at: Int64 = 1_000_000
            var ends = (0..<4).map { _ in Int64(random.below(1000)) }
            for poll in 0..<25 {
                // Every third run, a recording now and then comes at an earlier time than the last.
                let back = run % 3 == 0 && random.below(6) == 0
                at += back ? -Int64(random.below(3000)) : Int64(random.below(3000))
                // Now and then the history's capacity changes (the ring is laid out anew).
                if random.below(10) == 0 { capacity = 1 + random.below(6) }
                var parts: [PartitionOffsets] = []
                for p in 0..<4 where random.below(100) >= 10 {
                    // Log ends mostly grow, stand still now and then, and sometimes fall (a truncated log).
                    ends[p] = random.below(12) == 0 ? max(0, ends[p] - Int64(random.below(400))) : ends[p] + Int64(random.below(3)) * Int64(random.below(40))
                    parts.append(PartitionOffsets(partition: Int32(p), logStart: 0, logEnd: random.below(10) == 0 ? nil : ends[p]))
                }
                ring.record(TopicInfo(name: "t", partitionCount: 4, partitions: parts), at: at, capacity: capacity)
                if back { unordered += 1 }
                let now = at + Int64(random.below(500))
                for p in 0..<4 {
                    guard let slot = ring.slot(of: Int32(p)) else { continue }
                    var samples: [OffsetSample] = []
                    ring.samples(slot: slot, into: &samples)
                    var offsets: [Int64?] = [nil, -1, ends[p], ends[p] + 1, ends[p] - 1]
                    for s in samples { offsets += [s.logEnd - 1, s.logEnd, s.logEnd + 1] }
                    offsets.append(Int64(random.below(1500)))
                    for committed in offsets {
                        let expected = TimeLagEstimator.timeLag(committed: committed, ordered: samples, now: now)
                        #expect(ring.timeLag(slot: slot, committed: committed, now: now) == expected, "run \(run) poll \(poll) partition \(p) committed \(String(describing: committed))")
                        if let method = expected.method { methods.insert(method) }
                    }
                }
            }
        }
        #expect(methods.isSuperset(of: [.caughtUp, .interpolation, .lowerBound]))
        #expect(unordered > 5)
    }
}


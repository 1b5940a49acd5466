import Testing
@testable import GroupModel

/// Builds KIP-848 snapshots of group `kg` on `orders` (6 partitions) member by member.
private struct Member {
    var id: String
    var epoch: Int32
    var owns: [Int32]
    var target: [Int32]
}

private func snapshot(at seconds: Int64, groupEpoch: Int32, assignmentEpoch: Int32, _ members: [Member]) -> ClusterSnapshot {
    let behind = members.contains { $0.epoch < assignmentEpoch }
    let state: GroupState = members.isEmpty ? .empty : groupEpoch > assignmentEpoch ? .assigning : behind ? .reconciling : .stable
    let input = DescribedConsumerGroupInput(
        groupID: "kg", state: state, groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch,
        members: members.map { m in
            Fixtures.consumerMember(m.id, epoch: m.epoch, assignment: m.owns.map { TopicPartition(topic: "orders", partition: $0) },
                                    target: m.target.map { TopicPartition(topic: "orders", partition: $0) }, instanceID: "inst-\(m.id)")
        })
    return Fixtures.snapshot(at: seconds * 1000, groups: [Fixtures.group(input)])
}

@Suite("RebalanceTracker")
struct RebalanceTrackerTests {
    @Test("Rolling restart of 6 KIP-848 members: exactly one episode per restart, durations from timestamps")
    func rollingRestart() throws {
        var tracker = RebalanceTracker(stuckThresholdMs: 60_000)
        var names = (0..<6).map { "m\($0)" }
        var epoch: Int32 = 10
        var t: Int64 = 0
        func stable() -> [Member] { names.enumerated().map { Member(id: $1, epoch: epoch, owns: [Int32($0)], target: [Int32($0)]) } }

        #expect(tracker.ingest(snapshot(at: t, groupEpoch: epoch, assignmentEpoch: epoch, stable())).isEmpty)
        var allEvents: [EpisodeEvent] = []
        for i in 0..<6 {
            let next = (i + 1) % 6
            // 1. m_i leaves: its partition is targeted to the next member, which is still behind.
            t += 5
            var members = stable().filter { $0.id != names[i] }.map { m in
                var m = m
                m.epoch = m.id == names[next] ? epoch : epoch + 1
                if m.id == names[next] { m.target = [Int32(next), Int32(i)] }
                return m
            }
            allEvents += tracker.ingest(snapshot(at: t, groupEpoch: epoch + 1, assignmentEpoch: epoch + 1, members))
            // 2. the replacement joins at epoch 0; its target is the old partition, nobody owns it yet.
            t += 5
            let newName = names[i] + "'"
            members = members.map { m in Member(id: m.id, epoch: epoch + 2, owns: m.owns, target: m.owns) }
            members.append(Member(id: newName, epoch: 0, owns: [], target: [Int32(i)]))
            allEvents += tracker.ingest(snapshot(at: t, groupEpoch: epoch + 2, assignmentEpoch: epoch + 2, members))
            // 3. everyone reconciled.
            t += 7
            names[i] = newName
            epoch += 2
            allEvents += tracker.ingest(snapshot(at: t, groupEpoch: epoch, assignmentEpoch: epoch, stable()))
        }
        let started = allEvents.filter { $0.type == .started }
        let ended = allEvents.filter { $0.type == .ended }
        #expect(started.count == 6)
        #expect(ended.count == 6)
        #expect(tracker.finished.count == 6)
        #expect(tracker.open.isEmpty)
        #expect(tracker.finished.map(\.durationMs) == Array(repeating: 12_000, count: 6))
        #expect(tracker.finished.map(\.trigger) == Array(repeating: .leave, count: 6))
        #expect(tracker.finished.allSatisfy { $0.protocol == .consumer && !$0.abandoned })
        let first = try #require(tracker.finished.first)
        #expect(first.startedAt == 5_000 && first.endedAt == 17_000)
        #expect(first.fromEpoch == 10 && first.targetEpoch == 12)
        // The second bump (the replacement joining) extends the episode; its target was computed at 10 s.
        #expect(first.targetComputedAt == 10_000)
        #expect(first.progress == RebalanceProgress(membersReconciled: 6, membersTotal: 6, partitionsSettled: 6, partitionsTotal: 6))
        #expect(allEvents.filter { $0.type == .memberStuck }.isEmpty)
    }

    @Test("A member behind the assignment epoch longer than the threshold is named")
    func stuckMember() throws {
        var tracker = RebalanceTracker(stuckThresholdMs: 30_000)
        let settled = [Member(id: "a", epoch: 3, owns: [0, 1, 2], target: [0, 1, 2]), Member(id: "stuck", epoch: 3, owns: [3, 4, 5], target: [3, 4, 5])]
        _ = tracker.ingest(snapshot(at: 0, groupEpoch: 3, assignmentEpoch: 3, settled))
        let joining = [
            Member(id: "a", epoch: 4, owns: [0, 1], target: [0, 1]),
            Member(id: "extra", epoch: 4, owns: [2], target: [2, 5]),
            Member(id: "stuck", epoch: 3, owns: [3, 4], target: [3, 4]),
        ]
        let start = tracker.ingest(snapshot(at: 10, groupEpoch: 4, assignmentEpoch: 4, joining))
        #expect(start.map(\.type) == [.started, .targetComputed])
        #expect(start.first?.episode.trigger == .join)
        #expect(tracker.ingest(snapshot(at: 20, groupEpoch: 4, assignmentEpoch: 4, joining)).isEmpty)
        let late = tracker.ingest(snapshot(at: 40, groupEpoch: 4, assignmentEpoch: 4, joining))
        let stuck = try #require(late.first { $0.type == .memberStuck }?.member)
        #expect(stuck.memberID == "stuck")
        #expect(stuck.clientID == "client-stuck")
        #expect(stuck.instanceID == "inst-stuck")
        #expect(stuck.clientHost == "/10.0.0.5")
        #expect(stuck.behindSince == 10_000 && stuck.behindForMs == 30_000)
        // Named once only.
        #expect(tracker.ingest(snapshot(at: 50, groupEpoch: 4, assignmentEpoch: 4, joining)).filter { $0.type == .memberStuck }.isEmpty)
        #expect(tracker.open["kg"]?.stuckMembers.first?.behindForMs == 40_000)
        let done = [
            Member(id: "a", epoch: 4, owns: [0, 1], target: [0, 1]),
            Member(id: "extra", epoch: 4, owns: [2, 5], target: [2, 5]),
            Member(id: "stuck", epoch: 4, owns: [3, 4], target: [3, 4]),
        ]
        let end = tracker.ingest(snapshot(at: 55, groupEpoch: 4, assignmentEpoch: 4, done))
        #expect(end.map(\.type) == [.ended])
        #expect(end.first?.episode.durationMs == 45_000)
    }

    @Test("Assigning: target computed is reported when the assignment epoch catches up")
    func targetComputed() {
        var tracker = RebalanceTracker()
        let members = [Member(id: "a", epoch: 3, owns: [0, 1, 2, 3, 4, 5], target: [0, 1, 2, 3, 4, 5])]
        _ = tracker.ingest(snapshot(at: 0, groupEpoch: 3, assignmentEpoch: 3, members))
        let bumped = tracker.ingest(snapshot(at: 1, groupEpoch: 4, assignmentEpoch: 3, members))
        #expect(bumped.map(\.type) == [.started])
        #expect(bumped.first?.episode.trigger == .unknown)
        let computed = tracker.ingest(snapshot(at: 3, groupEpoch: 4, assignmentEpoch: 4,
                                               [Member(id: "a", epoch: 4, owns: [0, 1, 2, 3, 4, 5], target: [0, 1, 2, 3, 4, 5])]))
        #expect(computed.map(\.type) == [.targetComputed, .ended])
        #expect(computed.last?.episode.durationMs == 2_000)
    }

    @Test("Classic: PreparingRebalance opens an episode, Stable with a new generation closes it")
    func classicEpisode() {
        func classic(_ state: GroupState, generation: Int32, members: [(String, [Int32])], at: Int64) -> ClusterSnapshot {
            let input = DescribedClassicGroupInput(groupID: "cg", state: state, protocolName: "range", generationID: generation, members: members.map { id, parts in
                .init(memberID: id, clientID: id, clientHost: "/h", subscription: .init(topics: ["audit"]), assignment: parts.map { TopicPartition(topic: "audit", partition: $0) })
            })
            let groups = GroupAssembler.assemble(listed: [ListedGroupInput(groupID: "cg", groupType: .classic)], classicGroups: [input], logOffsets: Fixtures.logOffsets)
            return Fixtures.snapshot(at: at, groups: groups)
        }
        var tracker = RebalanceTracker()
        _ = tracker.ingest(classic(.stable, generation: 1, members: [("c1", [0, 1, 2, 3])], at: 0))
        let start = tracker.ingest(classic(.preparingRebalance, generation: 1, members: [("c1", []), ("c2", [])], at: 1_000))
        #expect(start.first?.type == .started)
        #expect(start.first?.episode.trigger == .join)
        #expect(start.first?.episode.protocol == .classic)
        let end = tracker.ingest(classic(.stable, generation: 2, members: [("c1", [0, 1]), ("c2", [2, 3])], at: 4_000))
        #expect(end.last?.type == .ended)
        #expect(end.last?.episode.durationMs == 3_000)
        #expect(end.last?.episode.targetEpoch == 2)
    }
}

@Suite("RebalanceTracker, open episodes in order")
struct RebalanceTrackerOrderTests {
    /// Group `id` with one member at `epoch`, the group at `groupEpoch` (behind when they differ).
    private func group(_ id: String, member: Int32, groupEpoch: Int32) -> Group {
        let orders = Fixtures.orders(0, 1, 2, 3, 4, 5)
        let state: GroupState = groupEpoch > member ? .reconciling : .stable
        return Fixtures.group(DescribedConsumerGroupInput(
            groupID: id, state: state, groupEpoch: groupEpoch, assignmentEpoch: groupEpoch,
            members: [Fixtures.consumerMember("m-\(id)", epoch: member, assignment: orders, target: orders)]))
    }

    @Test("episodes that start at one poll come out in the order they were opened, after older ones, on every run")
    func sameStart() throws {
        var tracker = RebalanceTracker(stuckThresholdMs: 60_000)
        let ids = (0..<40).map { "g\($0)" }
        _ = tracker.ingest(Fixtures.snapshot(at: 0, groups: ids.map { group($0, member: 5, groupEpoch: 5) }))
        // g7 starts first; a poll later every other group starts at once.
        _ = tracker.ingest(Fixtures.snapshot(at: 1_000, groups: ids.map { group($0, member: 5, groupEpoch: $0 == "g7" ? 6 : 5) }))
        _ = tracker.ingest(Fixtures.snapshot(at: 2_000, groups: ids.map { group($0, member: 5, groupEpoch: 6) }))
        let open = tracker.openOldestFirst
        #expect(open.count == 40)
        #expect(open.first?.groupID == "g7")
        #expect(open.map(\.startedAt) == [1_000] + Array(repeating: 2_000, count: 39))
        #expect(open.map(\.number) == open.map(\.number).sorted())
        #expect(Set(open.map(\.number)).count == 40)
    }
}

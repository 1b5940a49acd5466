import Testing
@testable import GroupModel

/// One classic group `g` consuming `t-0`; `owned` says whether member `m` holds the partition.
private func snapshot(at seconds: Int64, committed: Int64?, logEnd: Int64?, owned: Bool = true,
                      listError: ItemError? = nil) -> ClusterSnapshot {
    let tp = TopicPartition(topic: "t", partition: 0)
    let members: [DescribedClassicGroupInput.Member] = owned
        ? [.init(memberID: "m", clientID: "cli", clientHost: "/h", subscription: .init(topics: ["t"]), assignment: [tp])] : []
    let logs = [LogOffsetsInput(topicPartition: tp, logStart: 0, logEnd: logEnd, error: listError)]
    let groups = GroupAssembler.assemble(
        listed: [ListedGroupInput(groupID: "g", groupType: .classic)],
        classicGroups: [DescribedClassicGroupInput(groupID: "g", state: owned ? .stable : .empty, members: members)],
        committed: [CommittedOffsetsInput(groupID: "g", offsets: committed.map { [.init(topicPartition: tp, offset: $0)] } ?? [])],
        logOffsets: logs)
    return ClusterSnapshot(takenAt: seconds * 1000, pollDurationMs: 1, cluster: ClusterInfo(),
                           topics: GroupAssembler.topics(from: logs), groups: groups)
}

/// Feeds `(committed, logEnd)` pairs 10 s apart and evaluates the last snapshot.
private func verdict(_ points: [(Int64?, Int64?)], owned: Bool = true, listError: ItemError? = nil) -> GroupVerdict {
    var history = History(capacity: 10)
    var last: ClusterSnapshot?
    for (i, point) in points.enumerated() {
        let snap = snapshot(at: Int64(i) * 10, committed: point.0, logEnd: point.1, owned: owned,
                            listError: i == points.count - 1 ? listError : nil)
        history.record(snap)
        last = snap
    }
    let group = last!.groups[0]
    return HealthEvaluator.evaluate(group: group, history: history, now: last!.takenAt)
}

@Suite("HealthEvaluator")
struct HealthEvaluatorTests {
    @Test("Steady consumer with fluctuating lag is OK")
    func steady() {
        let v = verdict([(100, 110), (120, 125), (130, 142), (150, 155), (170, 180)])
        #expect(v.status == .ok)
        #expect(v.partitions[0].reason == "lag 10, consumer advancing")
    }

    @Test("Lag growing while the consumer advances is WARN")
    func growing() {
        let v = verdict([(100, 110), (110, 130), (120, 150), (130, 170)])
        #expect(v.status == .warn)
        #expect(v.partitions[0].reason == "lag grew 10 → 40 over 30 s while the consumer advanced")
    }

    @Test("Committed offset not moving while lag > 0 and a member owns it is STALL")
    func stall() {
        let v = verdict([(100, 150), (100, 150), (100, 160), (100, 160)])
        #expect(v.status == .stall)
        #expect(v.partitions[0].reason == "committed offset 100 unchanged for 30 s while lag is 60 (owner m)")
    }

    @Test("Consumer stopped: no owner, commits frozen, lag growing is STOP")
    func stop() {
        let v = verdict([(100, 120), (100, 140), (100, 160), (100, 180)], owned: false)
        #expect(v.status == .stop)
        #expect(v.partitions[0].reason == "committed offset 100 unchanged for 30 s while lag went 20 → 80; no member owns the partition")
    }

    @Test("Committed offset going backwards is REWIND")
    func rewind() {
        let v = verdict([(100, 200), (150, 210), (40, 220), (60, 230)])
        #expect(v.status == .rewind)
        #expect(v.partitions[0].reason.hasPrefix("committed offset went back from 150 to 40"))
        // A rewind that recovers is forgiven.
        #expect(verdict([(100, 200), (150, 210), (40, 220), (160, 230)]).status == .ok)
    }

    @Test("Partition error is ERR")
    func error() {
        let v = verdict([(100, 110), (110, 120), (120, 130)], listError: ItemError(code: 6, name: "NOT_LEADER_OR_FOLLOWER"))
        #expect(v.status == .err)
        #expect(v.partitions[0].reason == "error NOT_LEADER_OR_FOLLOWER (6)")
    }

    @Test("Idle caught-up topic is OK (not STOP)")
    func idle() {
        let v = verdict([(500, 500), (500, 500), (500, 500), (500, 500)], owned: false)
        #expect(v.status == .ok)
        #expect(v.partitions[0].reason == "lag 0")
    }

    @Test("Too few observations: not judged")
    func incomplete() {
        #expect(verdict([(100, 150), (100, 160)]).partitions[0].reason == "window incomplete (2/3 observations), lag 60")
    }

    @Test("Hand-off grace: a frozen partition awaiting release is REBALANCING, then STUCK names the member")
    func handoffAndStuck() throws {
        var history = History()
        var input = Fixtures.reconciling
        let committed = CommittedOffsetsInput(groupID: "kg", offsets: Fixtures.orders(0, 1, 2, 3, 4, 5).map { .init(topicPartition: $0, offset: 50) })
        var group = Fixtures.group(input, committed: committed)
        for t in [0, 10_000, 20_000] as [Int64] {
            history.record(Fixtures.snapshot(at: t, groups: [group]))
        }
        var v = HealthEvaluator.evaluate(group: group, history: history, now: 20_000)
        let p5 = try #require(v.partitions.first { $0.topicPartition.partition == 5 })
        #expect(p5.status == .rebalancing)
        #expect(p5.reason == "in hand-off (awaitingRelease) for 20 s of a 60 s grace, lag 43")
        #expect(v.stuckMembers.isEmpty)

        input.members[2].clientHost = "/10.1.2.3"
        group = Fixtures.group(input, committed: committed)
        history.record(Fixtures.snapshot(at: 40_000, groups: [group]))
        v = HealthEvaluator.evaluate(group: group, history: history, now: 40_000)
        #expect(v.stuckMembers.map(\.memberID) == ["stuck"])
        #expect(v.status == .stall)  // partitions 0-4 are owned and frozen: worse than STUCK.
        #expect(v.partitions.filter { $0.status == .stall }.count == 5)
        let stuckOnly = HealthEvaluator.evaluate(group: Fixtures.group(input, committed: Fixtures.ordersCommittedAtEnd), history: history, now: 40_000)
        #expect(stuckOnly.status == .stuck)
        #expect(stuckOnly.reason == "1 member(s) behind assignment epoch 3: client-stuck on 10.1.2.3 at epoch 2 for 40 s")
    }

    @Test("History rings are bounded")
    func bounded() {
        var history = History(capacity: 3)
        for i in 0..<10 { history.record(snapshot(at: Int64(i), committed: Int64(i), logEnd: 100)) }
        let tp = TopicPartition(topic: "t", partition: 0)
        #expect(history.observations(groupID: "g", topicPartition: tp).map(\.committed) == [7, 8, 9])
        #expect(history.logEndSamples(tp).count == 3)
        #expect(history.lagSamples(groupID: "g", topicPartition: tp).map(\.lag) == [93, 92, 91])
    }
}

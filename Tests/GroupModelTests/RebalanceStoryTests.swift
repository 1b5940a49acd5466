import Foundation
import Testing
@testable import GroupModel

/// One KIP-848 member of group `kg` on `orders` (6 partitions, plus `audit` for subscription changes).
private struct M {
    var id: String
    var epoch: Int32
    var owns: [Int32]
    var target: [Int32]
    var topics: [String] = [Fixtures.orders]
    var regex: String? = nil
}

private func kg(at ms: Int64, epoch: Int32, assignmentEpoch: Int32? = nil, assignor: String = "uniform", ordersPartitions: Int32 = 6, _ members: [M]) -> ClusterSnapshot {
    let assignment = assignmentEpoch ?? epoch
    let behind = members.contains { $0.epoch < assignment }
    let state: GroupState = epoch > assignment ? .assigning : behind ? .reconciling : .stable
    let input = DescribedConsumerGroupInput(
        groupID: "kg", state: state, groupEpoch: epoch, assignmentEpoch: assignment, assignor: assignor,
        members: members.map { m in
            var member = Fixtures.consumerMember(
                m.id, epoch: m.epoch, assignment: m.owns.map { TopicPartition(topic: "orders", partition: $0) },
                target: m.target.map { TopicPartition(topic: "orders", partition: $0) }, topics: m.topics)
            member.subscribedTopicRegex = m.regex
            return member
        })
    let offsets = Fixtures.logOffsets.filter { $0.topicPartition.topic != Fixtures.orders || $0.topicPartition.partition < ordersPartitions }
    let groups = GroupAssembler.assemble(
        listed: [ListedGroupInput(groupID: "kg", groupType: .consumer, protocolType: "", coordinatorID: 0)],
        consumerGroups: [input], logOffsets: offsets)
    return Fixtures.snapshot(at: ms, groups: groups)
}

private let settled = [M(id: "a", epoch: 5, owns: [0, 1, 2], target: [0, 1, 2]), M(id: "b", epoch: 5, owns: [3, 4, 5], target: [3, 4, 5])]

/// The episode the tracker opens when `next` follows the settled group.
private func startedBy(_ next: ClusterSnapshot) -> [RebalanceTrigger] {
    var tracker = RebalanceTracker()
    _ = tracker.ingest(kg(at: 0, epoch: 5, settled))
    return tracker.ingest(next).first { $0.type == .started }?.episode.triggers ?? []
}

@Suite("Rebalance story: triggers, blocking, estimates")
struct RebalanceStoryTests {
    @Test("Each visible change names its trigger")
    func triggerKinds() {
        let settledAt6 = settled.map { M(id: $0.id, epoch: 6, owns: $0.owns, target: $0.target) }
        // join
        #expect(startedBy(kg(at: 1_000, epoch: 6, settledAt6 + [M(id: "c", epoch: 0, owns: [], target: [])])) == [.join])
        // leave (b had caught up and revoked nothing)
        #expect(startedBy(kg(at: 1_000, epoch: 6, [M(id: "a", epoch: 6, owns: [0, 1, 2], target: [0, 1, 2, 3, 4, 5])])) == [.leave])
        // fence: b vanished after being behind the assignment epoch for a session timeout (here
        // 500 ms); vanishing sooner, in the middle of the rebalance, is a leave.
        for (sessionTimeoutMs, expected) in [(Int64(500), RebalanceTrigger.fence), (45_000, .leave)] {
            var tracker = RebalanceTracker()
            tracker.limits.sessionTimeoutMs = sessionTimeoutMs
            _ = tracker.ingest(kg(at: 0, epoch: 5, settled))
            _ = tracker.ingest(kg(at: 1_000, epoch: 6, [M(id: "a", epoch: 6, owns: [0, 1, 2], target: [0, 1, 2]), M(id: "b", epoch: 5, owns: [3, 4, 5], target: [3, 4])]))
            _ = tracker.ingest(kg(at: 2_000, epoch: 7, [M(id: "a", epoch: 7, owns: [0, 1, 2], target: [0, 1, 2, 3, 4, 5])]))
            #expect(tracker.open["kg"]?.triggers == [expected], "session timeout \(sessionTimeoutMs) ms")
        }
        // subscription change
        var changed = settledAt6
        changed[1].topics = [Fixtures.orders, Fixtures.audit]
        #expect(startedBy(kg(at: 1_000, epoch: 6, changed)) == [.subscriptionChange])
        // regex change
        var regex = settledAt6
        regex[0].regex = "orders.*"
        #expect(startedBy(kg(at: 1_000, epoch: 6, regex)) == [.regexChange])
        // assignor change
        #expect(startedBy(kg(at: 1_000, epoch: 6, assignor: "range", settledAt6)) == [.assignorChange])
        // two causes between the same two polls
        #expect(startedBy(kg(at: 1_000, epoch: 7, [settledAt6[0], M(id: "c", epoch: 7, owns: [], target: [3, 4, 5])])) == [.leave, .join])
        // nothing visible
        #expect(startedBy(kg(at: 1_000, epoch: 6, settledAt6)) == [.unknown])
    }

    @Test("Partition-count change: new partitions of a subscribed topic")
    func partitionCount() {
        var tracker = RebalanceTracker()
        let four = [M(id: "a", epoch: 5, owns: [0, 1], target: [0, 1]), M(id: "b", epoch: 5, owns: [2, 3], target: [2, 3])]
        _ = tracker.ingest(kg(at: 0, epoch: 5, ordersPartitions: 4, four))
        let six = [M(id: "a", epoch: 6, owns: [0, 1], target: [0, 1, 4]), M(id: "b", epoch: 6, owns: [2, 3], target: [2, 3, 5])]
        let events = tracker.ingest(kg(at: 1_000, epoch: 6, six))
        #expect(events.first?.episode.triggers == [.partitionCountChange])
    }

    @Test("An episode under way in the first snapshot says so; a later cause joins its list")
    func inProgressAtStart() {
        var tracker = RebalanceTracker()
        let behind = [M(id: "a", epoch: 6, owns: [0, 1, 2], target: [0, 1, 2]), M(id: "b", epoch: 5, owns: [3, 4, 5], target: [3, 4])]
        let first = tracker.ingest(kg(at: 0, epoch: 6, behind))
        #expect(first.first?.type == .started)
        #expect(first.first?.episode.triggers == [.inProgressAtStart])
        #expect(RebalanceTrigger.words(first.first?.episode.triggers ?? []) == "in progress at start")
        let joined = behind + [M(id: "c", epoch: 0, owns: [], target: [5])]
        _ = tracker.ingest(kg(at: 1_000, epoch: 7, joined))
        #expect(tracker.open["kg"]?.triggers == [.inProgressAtStart, .join])
        let done = [M(id: "a", epoch: 7, owns: [0, 1], target: [0, 1]), M(id: "b", epoch: 7, owns: [3, 4], target: [3, 4]), M(id: "c", epoch: 7, owns: [2, 5], target: [2, 5])]
        #expect(tracker.ingest(kg(at: 3_000, epoch: 7, done)).last?.type == .ended)
        // Seen only in part: not a measure of how long this group's rebalances take.
        #expect(tracker.estimatedDurationMs(groupID: "kg") == nil)
    }

    @Test("Blocking list: the revoking member holds the partition the waiting member needs, past the session timeout")
    func blockingList() throws {
        var tracker = RebalanceTracker()
        tracker.limits = RebalanceLimits(sessionTimeoutMs: 10_000, sessionTimeoutSource: .broker)
        _ = tracker.ingest(kg(at: 0, epoch: 5, settled))
        // c joins; b must give up 5 to c but does not.
        let handoff = [
            M(id: "a", epoch: 6, owns: [0, 1, 2], target: [0, 1]),
            M(id: "b", epoch: 5, owns: [3, 4, 5], target: [3, 4]),
            M(id: "c", epoch: 6, owns: [], target: [2, 5]),
        ]
        var events = tracker.ingest(kg(at: 1_000, epoch: 6, handoff))
        var blocking = try #require(tracker.open["kg"]?.blocking)
        let p5 = try #require(blocking.first { $0.topicPartition == TopicPartition(topic: "orders", partition: 5) })
        #expect(p5.holderID == "b" && p5.waiterID == "c")
        #expect(p5.holderLabel == "client-b" && p5.waiterLabel == "client-c")
        #expect(p5.holderHost == "10.0.0.1")
        #expect(p5.since == 1_000 && p5.blockedForMs == 0 && !p5.pastLimit)
        #expect(p5.limit == "consumer.session.timeout.ms 10000 (broker)")
        #expect(!events.contains { $0.type == .blocked })
        // a lets 2 go; b still holds 5.
        let later = [
            M(id: "a", epoch: 6, owns: [0, 1], target: [0, 1]),
            M(id: "b", epoch: 5, owns: [3, 4, 5], target: [3, 4]),
            M(id: "c", epoch: 6, owns: [2], target: [2, 5]),
        ]
        events = tracker.ingest(kg(at: 4_000, epoch: 6, later))
        let blocked = try #require(events.first { $0.type == .blocked })
        #expect(blocked.blocked?.map(\.holderID) == ["b"])
        blocking = try #require(tracker.open["kg"]?.blocking)
        #expect(blocking.map(\.topicPartition.partition) == [5])
        #expect(blocking[0].blockedForMs == 3_000)
        #expect(blocking[0].description == "orders-5 held by client-b on 10.0.0.1 for 3s, wanted by client-c")
        // Past the limit: b is named as the cause of the stall, and reported once more.
        events = tracker.ingest(kg(at: 12_000, epoch: 6, later))
        #expect(tracker.open["kg"]?.stalledBy.map(\.holderID) == ["b"])
        #expect(events.filter { $0.type == .blocked }.count == 1)
        #expect(tracker.ingest(kg(at: 13_000, epoch: 6, later)).filter { $0.type == .blocked }.isEmpty)
        // b revokes: done, nothing blocks any more.
        let done = [
            M(id: "a", epoch: 6, owns: [0, 1], target: [0, 1]),
            M(id: "b", epoch: 6, owns: [3, 4], target: [3, 4]),
            M(id: "c", epoch: 6, owns: [2, 5], target: [2, 5]),
        ]
        events = tracker.ingest(kg(at: 14_000, epoch: 6, done))
        #expect(events.last?.type == .ended)
        #expect(events.last?.episode.blocking == [])
    }

    @Test("A group's own consumer.session.timeout.ms wins over the broker's; the blocking entry says which applies")
    func groupLimit() throws {
        let handoff = [
            M(id: "a", epoch: 6, owns: [0, 1], target: [0, 1]),
            M(id: "b", epoch: 5, owns: [3, 4, 5], target: [3, 4]),
            M(id: "c", epoch: 6, owns: [2], target: [2, 5]),
        ]
        func blockingAfter(_ limits: RebalanceLimits, at: Int64) throws -> BlockedHandoff {
            var tracker = RebalanceTracker()
            tracker.limits = limits
            _ = tracker.ingest(kg(at: 0, epoch: 5, settled))
            _ = tracker.ingest(kg(at: 1_000, epoch: 6, handoff))
            _ = tracker.ingest(kg(at: at, epoch: 6, handoff))
            return try #require(tracker.open["kg"]?.blocking.first { $0.topicPartition.partition == 5 })
        }
        // Nothing read: Kafka's default, 45 s.
        let byDefault = try blockingAfter(RebalanceLimits(), at: 21_000)
        #expect(byDefault.limitMs == 45_000 && byDefault.limitSource == .default && !byDefault.pastLimit)
        #expect(byDefault.limit == "consumer.session.timeout.ms 45000 (Kafka default)")
        // The broker's value.
        let byBroker = try blockingAfter(RebalanceLimits(sessionTimeoutMs: 50_000, sessionTimeoutSource: .broker), at: 21_000)
        #expect(byBroker.limitMs == 50_000 && byBroker.limitSource == .broker && !byBroker.pastLimit)
        // The group's own value wins: 20 s blocked is past a 15 s group limit.
        let own = RebalanceLimits(sessionTimeoutMs: 50_000, sessionTimeoutSource: .broker, groupSessionTimeoutMs: ["kg": 15_000, "other": 90_000])
        let byGroup = try blockingAfter(own, at: 21_000)
        #expect(byGroup.limitMs == 15_000 && byGroup.limitSource == .group && byGroup.pastLimit)
        #expect(byGroup.limit == "consumer.session.timeout.ms 15000 (group config)")
        // A member's own rebalance timeout wins over both.
        var withMember = own
        withMember.rebalanceTimeoutMs = ["kg": ["b": 60_000]]
        let byMember = try blockingAfter(withMember, at: 21_000)
        #expect(byMember.limitMs == 60_000 && byMember.limitSource == .member && !byMember.pastLimit)
        // The JSON names the source.
        let line = String(decoding: try JSONEncoder().encode(byGroup), as: UTF8.self)
        #expect(line.contains("\"limitSource\":\"group\""))
    }

    @Test("The estimate is the median of the group's earlier reconciled episodes")
    func estimate() {
        var tracker = RebalanceTracker()
        var t: Int64 = 0
        var epoch: Int32 = 5
        _ = tracker.ingest(kg(at: t, epoch: epoch, settled))
        for length in [Int64(4_000), 10_000, 6_000] {
            epoch += 1
            t += 1_000
            let behind = [M(id: "a", epoch: epoch, owns: [0, 1, 2], target: [0, 1, 2]), M(id: "b", epoch: epoch - 1, owns: [3, 4, 5], target: [3, 4, 5])]
            let started = tracker.ingest(kg(at: t, epoch: epoch, behind))
            if length == 4_000 { #expect(started.first?.episode.estimatedDurationMs == nil) }
            t += length
            _ = tracker.ingest(kg(at: t, epoch: epoch, settled.map { M(id: $0.id, epoch: epoch, owns: $0.owns, target: $0.target) }))
        }
        #expect(tracker.finished.map(\.durationMs) == [4_000, 10_000, 6_000])
        #expect(tracker.estimatedDurationMs(groupID: "kg") == 6_000)
        epoch += 1
        let next = tracker.ingest(kg(at: t + 1_000, epoch: epoch, [M(id: "a", epoch: epoch, owns: [0, 1, 2], target: [0, 1, 2]), M(id: "b", epoch: epoch - 1, owns: [3, 4, 5], target: [3, 4, 5])]))
        #expect(next.first?.episode.estimatedDurationMs == 6_000)
    }
}

import Foundation
import Testing
@testable import GroupModel

@Suite("SnapshotDiff")
struct SnapshotDiffTests {
    @Test("A member joins: epoch bump, target change, member joined")
    func join() throws {
        let before = Fixtures.snapshot(at: 1_000, groups: [Fixtures.group(Fixtures.stable)])
        var joined = Fixtures.stable
        joined.groupEpoch = 4
        joined.assignmentEpoch = 4
        joined.state = .reconciling
        joined.members[0] = Fixtures.consumerMember("a", epoch: 4, assignment: Fixtures.orders(0), target: Fixtures.orders(0))
        joined.members.append(Fixtures.consumerMember("d", epoch: 4, assignment: [], target: Fixtures.orders(1)))
        let after = Fixtures.snapshot(at: 2_000, groups: [Fixtures.group(joined)])

        let events = SnapshotDiff.diff(old: before, new: after)
        let types = events.map(\.type)
        #expect(types == [.stateChanged, .groupEpochBumped, .targetAssignmentChanged, .memberEpochAdvanced,
                          .memberTargetChanged, .memberAssignmentChanged, .memberJoined, .partitionUnowned])
        let bump = try #require(events.first { $0.type == .groupEpochBumped })
        #expect(bump.old == .number(3) && bump.new == .number(4))
        #expect(bump.timestamp == 2_000 && bump.groupID == "kg")
        let joinedEvent = try #require(events.first { $0.type == .memberJoined })
        #expect(joinedEvent.memberID == "d" && joinedEvent.clientID == "client-d")
        let unowned = try #require(events.first { $0.type == .partitionUnowned })
        #expect(unowned.topicPartition == TopicPartition(topic: "orders", partition: 1))
        #expect(unowned.old == .text("a"))
    }

    @Test("Partition events name their owners by label, with the member fields beside the ids")
    func partitionEventsCarryLabels() throws {
        var labeler = MemberLabeler()
        var before = Fixtures.snapshot(at: 1_000, groups: [Fixtures.group(Fixtures.stable)])
        labeler.label(&before)
        // orders-2 moves from b to a; orders-3 is released by b and nobody owns it yet.
        var moved = Fixtures.stable
        moved.members[0] = Fixtures.consumerMember("a", epoch: 3, assignment: Fixtures.orders(0, 1, 2), target: Fixtures.orders(0, 1, 2))
        moved.members[1] = Fixtures.consumerMember("b", epoch: 3, assignment: [], target: Fixtures.orders(3))
        var after = Fixtures.snapshot(at: 2_000, groups: [Fixtures.group(moved)])
        labeler.label(&after)

        let events = SnapshotDiff.diff(old: before, new: after)
        let owned = try #require(events.first { $0.type == .partitionOwned })
        #expect(owned.topicPartition == TopicPartition(topic: "orders", partition: 2))
        #expect(owned.old == .text("b") && owned.new == .text("a"))
        #expect(owned.label == "client-a" && owned.oldLabel == "client-b")
        #expect(owned.memberID == "a" && owned.clientID == "client-a")
        let unowned = try #require(events.first { $0.type == .partitionUnowned })
        #expect(unowned.topicPartition == TopicPartition(topic: "orders", partition: 3))
        #expect(unowned.old == .text("b") && unowned.label == "client-b" && unowned.memberID == "b")
        #expect(unowned.oldLabel == nil)
        // In the JSON line the label sits beside the id.
        let line = String(decoding: try JSONEncoder().encode(owned), as: UTF8.self)
        #expect(line.contains("\"label\":\"client-a\"") && line.contains("\"oldLabel\":\"client-b\"") && line.contains("\"new\":\"a\""))
    }

    @Test("A reconciled member vanishing is a leave; one behind the epoch is fenced")
    func leaveAndFence() throws {
        let before = Fixtures.snapshot(at: 1_000, groups: [Fixtures.group(Fixtures.reconciling)])
        var after = Fixtures.reconciling
        after.groupEpoch = 4
        after.members = [after.members[0]]
        let events = SnapshotDiff.diff(old: before, new: Fixtures.snapshot(at: 2_000, groups: [Fixtures.group(after)]))
        let left = events.filter { $0.type == .memberLeft }.map(\.memberID)
        let fenced = events.filter { $0.type == .memberFenced }
        #expect(left == ["extra"])
        #expect(fenced.map(\.memberID) == ["stuck"])
        #expect(fenced.first?.detail == "vanished at member epoch 2, behind assignment epoch 3")
    }

    @Test("Epoch going down for the same member id is reported as fenced and rejoined")
    func fencedRejoin() {
        var after = Fixtures.stable
        after.members[1].memberEpoch = 0
        let events = SnapshotDiff.diff(old: Fixtures.snapshot(at: 1, groups: [Fixtures.group(Fixtures.stable)]),
                                       new: Fixtures.snapshot(at: 2, groups: [Fixtures.group(after)]))
        #expect(events.map(\.type) == [.memberFenced])
        #expect(events.first?.memberID == "b")
    }

    @Test("Group appear / disappear, coordinator move, poll and broker errors")
    func groupAndErrors() throws {
        let old = Fixtures.snapshot(at: 1, groups: [Fixtures.group(Fixtures.stable)])
        var moved = Fixtures.group(Fixtures.stable)
        moved.coordinatorID = 2
        var other = Fixtures.group(Fixtures.stable)
        other.groupID = "new-group"
        let pollError = PollError(scope: .group, operation: "OffsetFetch", groupID: "kg", kafkaError: ItemError(code: 14, name: "COORDINATOR_LOAD_IN_PROGRESS"), message: "loading")
        var new = Fixtures.snapshot(at: 2, groups: [moved, other], errors: [pollError])
        new.cluster.brokers[0].reachable = false
        let events = SnapshotDiff.diff(old: old, new: new)
        #expect(events.map(\.type) == [.brokerError, .pollError, .coordinatorMoved, .groupAppeared])
        #expect(events[2].old == .number(0) && events[2].new == .number(2))
        #expect(events[1].new == .text("COORDINATOR_LOAD_IN_PROGRESS"))
        #expect(SnapshotDiff.diff(old: new, new: old).map(\.type).contains(.groupDisappeared))
    }

    @Test("Identical snapshots produce no events")
    func noChange() {
        let snapshot = Fixtures.snapshot(at: 1, groups: [Fixtures.group(Fixtures.reconciling)])
        #expect(SnapshotDiff.diff(old: snapshot, new: snapshot).isEmpty)
    }

    @Test("Events encode with a type string and schema, and decode back")
    func eventJSON() throws {
        let event = GroupEvent(type: .memberTargetChanged, timestamp: 5, groupID: "kg", memberID: "a",
                               old: .partitions(Fixtures.orders(1, 0)), new: .partitions([]))
        let line = String(decoding: try SnapshotJSON.encodeLine(event), as: UTF8.self)
        #expect(line.contains(#""type":"member_target_changed""#))
        #expect(line.contains(#""schema":"kgtop.event/1""#))
        #expect(line.contains(#""old":["orders-0","orders-1"]"#))
        #expect(try JSONDecoder().decode(GroupEvent.self, from: Data(line.utf8)) == event)
    }
}

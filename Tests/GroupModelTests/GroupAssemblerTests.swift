import Testing
@testable import GroupModel

@Suite("GroupAssembler")
struct GroupAssemblerTests {
    @Test("KIP-848 Stable group: every partition settled, no one behind")
    func stableConsumerGroup() throws {
        let group = Fixtures.group(Fixtures.stable, committed: Fixtures.ordersCommittedAtEnd)
        #expect(group.type == .consumer)
        #expect(group.protocol == .consumer)
        #expect(group.state == .stable)
        #expect(group.groupEpoch == 3 && group.assignmentEpoch == 3)
        #expect(group.members.map(\.memberID) == ["a", "b", "c"])
        #expect(group.partitions.count == 6)
        #expect(group.partitions.allSatisfy { $0.handoff == .settled })
        #expect(group.partitions.map(\.owner) == ["a", "a", "b", "b", "c", "c"])
        #expect(group.summary.totalLag == 0)
        #expect(group.summary.partitionsUnowned == 0)
        #expect(group.summary.pendingRevocation == 0)
        #expect(group.summary.awaitingRelease == 0)
        #expect(group.summary.membersBehindAssignmentEpoch.isEmpty)
        #expect(!group.isMixed)
    }

    @Test("KIP-848 Reconciling (kg_reconciling): partition 5 awaits release, stuck member behind")
    func reconcilingGroup() throws {
        let group = Fixtures.group(Fixtures.reconciling, committed: Fixtures.ordersCommittedAtEnd)
        #expect(group.state == .reconciling)
        #expect(group.assignor == "uniform")
        let p5 = try #require(group.partition(TopicPartition(topic: "orders", partition: 5)))
        #expect(p5.owner == nil)
        #expect(p5.targetOwner == "extra")
        #expect(p5.handoff == .awaitingRelease)
        let p2 = try #require(group.partition(TopicPartition(topic: "orders", partition: 2)))
        #expect(p2.handoff == .settled && p2.owner == "extra")
        #expect(group.summary.partitionsUnowned == 1)
        #expect(group.summary.awaitingRelease == 1)
        #expect(group.summary.pendingRevocation == 0)
        #expect(group.summary.membersBehindAssignmentEpoch == ["stuck"])
        #expect(group.membersBehindAssignmentEpoch.map(\.clientID) == ["client-stuck"])
    }

    @Test("KIP-848 Assigning: group epoch ahead, nothing targeted for a new partition => unowned")
    func assigningGroup() throws {
        let input = DescribedConsumerGroupInput(
            groupID: "kg", state: .assigning, groupEpoch: 4, assignmentEpoch: 3,
            members: [
                Fixtures.consumerMember("a", epoch: 3, assignment: Fixtures.orders(0, 1, 2), target: Fixtures.orders(0, 1, 2)),
                Fixtures.consumerMember("b", epoch: 3, assignment: Fixtures.orders(3, 4), target: Fixtures.orders(3, 4)),
            ])
        let group = Fixtures.group(input)
        #expect(group.state == .assigning)
        let p5 = try #require(group.partition(TopicPartition(topic: "orders", partition: 5)))
        #expect(p5.handoff == .unowned)
        #expect(p5.targetOwner == nil)
        #expect(group.summary.partitionsUnowned == 1)
        #expect(group.summary.membersBehindAssignmentEpoch.isEmpty)
    }

    @Test("Partition owned by A but in B's target is pending revocation and awaiting release")
    func pendingRevocation() throws {
        let input = DescribedConsumerGroupInput(
            groupID: "kg", state: .reconciling, groupEpoch: 5, assignmentEpoch: 5,
            members: [
                Fixtures.consumerMember("a", epoch: 4, assignment: Fixtures.orders(0, 1, 2, 3, 4, 5), target: Fixtures.orders(0, 1, 2)),
                Fixtures.consumerMember("b", epoch: 5, assignment: [], target: Fixtures.orders(3, 4, 5)),
            ])
        let group = Fixtures.group(input)
        let p4 = try #require(group.partition(TopicPartition(topic: "orders", partition: 4)))
        #expect(p4.owner == "a" && p4.targetOwner == "b" && p4.handoff == .pendingRevocation)
        #expect(group.summary.pendingRevocation == 3)
        #expect(group.summary.awaitingRelease == 3)
        #expect(group.summary.partitionsUnowned == 0)
        #expect(group.member("a")?.pendingRevocation == Fixtures.orders(3, 4, 5))
    }

    @Test("Classic Stable group with decoded subscriptions and assignments")
    func classicGroup() throws {
        let classic = DescribedClassicGroupInput(
            groupID: "cg2", state: .stable, protocolType: "consumer", protocolName: "cooperative-sticky",
            members: [
                .init(memberID: "co2", clientID: "co2", clientHost: "/h2",
                      subscription: .init(topics: ["audit"], ownedPartitions: Fixtures.audit(3, 2), generationID: 2, rackID: ""),
                      assignment: Fixtures.audit(3, 2)),
                .init(memberID: "co1", clientID: "co1", clientHost: "/h1",
                      subscription: .init(topics: ["audit"], ownedPartitions: [], generationID: 2, rackID: ""),
                      assignment: Fixtures.audit(0, 1)),
            ])
        let committed = CommittedOffsetsInput(groupID: "cg2", offsets: [
            .init(topicPartition: TopicPartition(topic: "audit", partition: 0), offset: 90),
            .init(topicPartition: TopicPartition(topic: "audit", partition: 1), offset: 101),
        ])
        let groups = GroupAssembler.assemble(
            listed: [ListedGroupInput(groupID: "cg2", groupType: .classic, protocolType: "consumer", state: .stable, coordinatorID: 0)],
            classicGroups: [classic], committed: [committed], logOffsets: Fixtures.logOffsets)
        let group = try #require(groups.first)
        #expect(group.protocol == .classic)
        #expect(group.assignor == "cooperative-sticky")
        #expect(group.generationID == 2)
        #expect(group.groupEpoch == nil && group.assignmentEpoch == nil)
        #expect(group.members.map(\.memberID) == ["co1", "co2"])
        let co2 = try #require(group.member("co2"))
        #expect(co2.assignment == Fixtures.audit(2, 3))
        #expect(co2.ownedPartitions == Fixtures.audit(2, 3))
        #expect(co2.targetAssignment == nil)
        #expect(co2.rackID == nil)
        #expect(co2.memberType == .classic)
        #expect(group.partitions.map(\.handoff) == [.settled, .settled, .settled, .settled])
        // p0: 99 - 90; p1: caught up; p2, p3: no commit, measured from log start 0.
        #expect(group.partitions.map(\.lag) == [.known(9), .known(0), .known(99), .known(101)])
        #expect(group.summary.totalLag == 209)
        #expect(group.summary.maxLag == 101)
        #expect(group.summary.maxLagPartition == TopicPartition(topic: "audit", partition: 3))
    }

    @Test("Mixed group: a classic member inside a consumer group")
    func mixedGroup() {
        let input = DescribedConsumerGroupInput(
            groupID: "kg", state: .stable, groupEpoch: 7, assignmentEpoch: 7,
            members: [
                Fixtures.consumerMember("new", epoch: 7, assignment: Fixtures.orders(0, 1, 2), target: Fixtures.orders(0, 1, 2)),
                Fixtures.consumerMember("old", epoch: 7, assignment: Fixtures.orders(3, 4, 5), target: Fixtures.orders(3, 4, 5), type: .classic),
            ])
        let group = Fixtures.group(input)
        #expect(group.protocol == .mixed)
        #expect(group.isMixed)
        #expect(group.summary.isMixed)
        #expect(group.member("old")?.targetAssignment == Fixtures.orders(3, 4, 5))
    }

    @Test("Group-level describe error is kept; listed state survives")
    func describeError() {
        let error = ItemError(code: 30, name: "GROUP_AUTHORIZATION_FAILED")
        let groups = GroupAssembler.assemble(
            listed: [Fixtures.listedKG],
            consumerGroups: [DescribedConsumerGroupInput(groupID: "kg", error: error, state: .dead, groupEpoch: -1, assignmentEpoch: -1)])
        #expect(groups[0].error == error)
        #expect(groups[0].state == .stable)
        #expect(groups[0].groupEpoch == nil)
        #expect(groups[0].members.isEmpty)
    }

    @Test("Committed-only partitions with no members are not assigned")
    func committedOnly() {
        let committed = CommittedOffsetsInput(groupID: "old", offsets: [.init(topicPartition: TopicPartition(topic: "audit", partition: 0), offset: 50)])
        let groups = GroupAssembler.assemble(
            listed: [ListedGroupInput(groupID: "old", groupType: .classic, protocolType: "consumer", state: .empty)],
            classicGroups: [DescribedClassicGroupInput(groupID: "old", state: .empty)],
            committed: [committed], logOffsets: Fixtures.logOffsets)
        #expect(groups[0].partitions.count == 1)
        #expect(groups[0].partitions[0].handoff == .notAssigned)
        #expect(groups[0].partitions[0].lag == .known(49))
        #expect(groups[0].summary.partitionsUnowned == 0)
    }

    @Test("Group kinds parse case-insensitively and keep unknown strings")
    func kinds() {
        #expect(GroupState(brokerString: "preparingrebalance") == .preparingRebalance)
        #expect(GroupState(brokerString: "Weird") == .unknown("Weird"))
        #expect(GroupState.unknown("Weird").brokerString == "Weird")
        #expect(GroupType(brokerString: "Consumer") == .consumer)
        #expect(GroupType(brokerString: "future") == .unknown("future"))
        #expect(MemberType(wireValue: 0) == .classic && MemberType(wireValue: 1) == .consumer && MemberType(wireValue: -1) == .unknown)
        #expect(ClusterInfo.kip848Enabled(features: [:]) == nil)
        #expect(ClusterInfo.kip848Enabled(features: ["metadata.version": 20]) == false)
        #expect(ClusterInfo.kip848Enabled(features: ["group.version": 1]) == true)
        #expect(ClusterInfo.kip848Enabled(features: ["group.version": 0]) == false)
    }
}

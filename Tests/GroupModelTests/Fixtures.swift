@testable import GroupModel

/// Hand-made inputs shared by the tests.
enum Fixtures {
    static let orders = "orders"
    static let audit = "audit"

    /// `orders` 6 partitions, `audit` 4 partitions; log start 0; log ends from the kfake capture.
    static let logOffsets: [LogOffsetsInput] = {
        let ordersEnds: [Int64] = [102, 116, 98, 93, 98, 93]
        let auditEnds: [Int64] = [99, 101, 99, 101]
        var rows: [LogOffsetsInput] = []
        for (i, end) in ordersEnds.enumerated() {
            rows.append(LogOffsetsInput(topicPartition: TopicPartition(topic: orders, partition: Int32(i)), logStart: 0, logEnd: end, leader: 0))
        }
        for (i, end) in auditEnds.enumerated() {
            rows.append(LogOffsetsInput(topicPartition: TopicPartition(topic: audit, partition: Int32(i)), logStart: 0, logEnd: end, leader: 0))
        }
        return rows
    }()

    static func orders(_ p: Int32...) -> [TopicPartition] { p.map { TopicPartition(topic: orders, partition: $0) } }
    static func audit(_ p: Int32...) -> [TopicPartition] { p.map { TopicPartition(topic: audit, partition: $0) } }

    /// Commits at the log end for every `orders` partition (the kfake capture).
    static let ordersCommittedAtEnd = CommittedOffsetsInput(groupID: "kg", offsets: logOffsets
        .filter { $0.topicPartition.topic == orders }
        .map { .init(topicPartition: $0.topicPartition, offset: $0.logEnd) })

    static func consumerMember(
        _ id: String, epoch: Int32, assignment: [TopicPartition], target: [TopicPartition],
        type: MemberType = .consumer, topics: [String] = [orders], instanceID: String? = nil
    ) -> DescribedConsumerGroupInput.Member {
        .init(memberID: id, instanceID: instanceID, memberEpoch: epoch, clientID: "client-\(id)", clientHost: "/10.0.0.\(id.count)",
              subscribedTopicNames: topics, assignment: assignment, targetAssignment: target, memberType: type)
    }

    /// The `kg_reconciling` capture: `stuck` is at epoch 2 while the assignment epoch is 3; partition 5
    /// is in `extra`'s target and in nobody's assignment.
    static let reconciling = DescribedConsumerGroupInput(
        groupID: "kg", state: .reconciling, groupEpoch: 3, assignmentEpoch: 3, assignor: "uniform",
        members: [
            consumerMember("a", epoch: 3, assignment: orders(0, 1), target: orders(0, 1)),
            consumerMember("extra", epoch: 3, assignment: orders(2), target: orders(2, 5)),
            consumerMember("stuck", epoch: 2, assignment: orders(3, 4), target: orders(3, 4)),
        ])

    static let stable = DescribedConsumerGroupInput(
        groupID: "kg", state: .stable, groupEpoch: 3, assignmentEpoch: 3,
        members: [
            consumerMember("a", epoch: 3, assignment: orders(0, 1), target: orders(0, 1)),
            consumerMember("b", epoch: 3, assignment: orders(2, 3), target: orders(2, 3)),
            consumerMember("c", epoch: 3, assignment: orders(4, 5), target: orders(4, 5)),
        ])

    static let listedKG = ListedGroupInput(groupID: "kg", groupType: .consumer, protocolType: "", state: .stable, coordinatorID: 0)

    static func group(_ described: DescribedConsumerGroupInput, committed: CommittedOffsetsInput? = nil) -> Group {
        let groups = GroupAssembler.assemble(
            listed: [ListedGroupInput(groupID: described.groupID, groupType: .consumer, protocolType: "", coordinatorID: 0)],
            consumerGroups: [described], committed: committed.map { [$0] } ?? [], logOffsets: logOffsets)
        return groups[0]
    }

    static func snapshot(at takenAt: Int64, groups: [Group], errors: [PollError] = []) -> ClusterSnapshot {
        ClusterSnapshot(
            takenAt: takenAt, pollDurationMs: 12,
            cluster: ClusterInfo(clusterID: "c1", controllerID: 0, brokers: [BrokerInfo(nodeID: 0, host: "localhost", port: 9092)], finalizedFeatures: ["group.version": 1]),
            topics: GroupAssembler.topics(from: logOffsets), groups: groups, errors: errors)
    }
}

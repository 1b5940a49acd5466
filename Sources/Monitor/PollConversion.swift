import GroupModel
import KafkaAdmin
import KafkaProtocol
import KafkaWire

/// Pure conversions from KafkaAdmin's results (generated wire types) to GroupModel's neutral inputs.
///
/// Kept free of I/O so that every mapping rule can be tested from captured responses.
public enum PollConversion {
    /// GroupModel's error for an admin per-item error.
    public static func itemError(_ e: AdminItemError) -> ItemError {
        ItemError(code: e.code, name: e.name, message: e.message)
    }

    /// GroupModel's error for a Kafka error code, nil for 0.
    public static func itemError(code: Int16, message: String?) -> ItemError? {
        guard code != 0 else { return nil }
        let k = KafkaErrorCode(code)
        return ItemError(code: code, name: k.name, message: message)
    }

    /// A listed group.
    public static func listed(_ g: ListedGroup, coordinatorID: Int32?) -> ListedGroupInput {
        ListedGroupInput(
            groupID: g.groupID,
            groupType: g.type.map { GroupType(brokerString: $0) } ?? .unknown(""),
            protocolType: g.protocolType,
            state: g.state.map { GroupState(brokerString: $0) },
            coordinatorID: coordinatorID)
    }

    /// Topic-partitions of a ConsumerGroupDescribe assignment, with topic ids resolved to names
    /// through Metadata when the broker left the name empty.
    public static func partitions(
        _ a: ConsumerGroupDescribeResponse.Assignment, topicNames: [KafkaUUID: String]
    ) -> [TopicPartition] {
        var out: [TopicPartition] = []
        for tp in a.topicPartitions {
            let name = !tp.topicName.isEmpty ? tp.topicName : (topicNames[tp.topicID] ?? tp.topicID.description)
            for p in tp.partitions { out.append(TopicPartition(topic: name, partition: p)) }
        }
        return sortedIfNeeded(out)
    }

    /// `list` sorted; returned as is when it already is (what brokers send), without comparing
    /// each pair twice as a sort would.
    static func sortedIfNeeded(_ list: [TopicPartition]) -> [TopicPartition] {
        var i = 1
        while i < list.count {
            if list[i] < list[i - 1] { return list.sorted() }
            i += 1
        }
        return list
    }

    /// A ConsumerGroupDescribe answer for one group.
    public static func consumerGroup(
        _ g: ConsumerGroupDescribeResponse.DescribedGroup, apiVersion: Int16, topicNames: [KafkaUUID: String]
    ) -> DescribedConsumerGroupInput {
        let members = g.members.map { m in
            DescribedConsumerGroupInput.Member(
                memberID: m.memberID, instanceID: m.instanceID, rackID: m.rackID, memberEpoch: m.memberEpoch,
                clientID: m.clientID, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames,
                subscribedTopicRegex: m.subscribedTopicRegex,
                assignment: partitions(m.assignment, topicNames: topicNames),
                targetAssignment: partitions(m.targetAssignment, topicNames: topicNames),
                // v0 has no MemberType; every member a KIP-848 describe lists is a consumer member
                // unless v1 says otherwise.
                memberType: apiVersion >= 1 ? MemberType(wireValue: m.memberType) : .consumer)
        }
        return DescribedConsumerGroupInput(
            groupID: g.groupID, error: itemError(code: g.errorCode, message: g.errorMessage),
            state: GroupState(brokerString: g.groupState), groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch,
            assignor: g.assignorName, members: members)
    }

    /// Topic-partitions of the classic consumer protocol's lists.
    static func partitions(_ list: [(String, [Int32])]) -> [TopicPartition] {
        sortedIfNeeded(list.flatMap { topic, parts in parts.map { TopicPartition(topic: topic, partition: $0) } })
    }

    /// A DescribeGroups answer for one group. Member metadata and assignment bytes are decoded when
    /// the protocol type is `consumer` or empty (as Kafka's admin client does); undecodable bytes
    /// leave the member's subscription or assignment unknown rather than failing the group.
    public static func classicGroup(_ g: DescribeGroupsResponse.DescribedGroup) -> DescribedClassicGroupInput {
        let decodable = g.protocolType == "consumer" || g.protocolType.isEmpty
        let members = g.members.map { m -> DescribedClassicGroupInput.Member in
            var subscription: DescribedClassicGroupInput.Subscription?
            var assignment: [TopicPartition]?
            if decodable, !m.memberMetadata.isEmpty,
               let (s, version) = try? ConsumerProtocolSubscription.decodeVersionPrefixed(m.memberMetadata)
            {
                subscription = DescribedClassicGroupInput.Subscription(
                    topics: s.topics,
                    ownedPartitions: version >= 1 ? partitions(s.ownedPartitions.map { ($0.topic, $0.partitions) }) : nil,
                    generationID: version >= 2 && s.generationID >= 0 ? s.generationID : nil,
                    rackID: version >= 3 ? s.rackID : nil)
            }
            if decodable, !m.memberAssignment.isEmpty,
               let (a, _) = try? ConsumerProtocolAssignment.decodeVersionPrefixed(m.memberAssignment)
            {
                assignment = partitions(a.assignedPartitions.map { ($0.topic, $0.partitions) })
            }
            // Empty assignment bytes are not an empty assignment (that encodes as a version and a
            // zero count): the broker did not say, so the assignment stays unknown.
            return DescribedClassicGroupInput.Member(
                memberID: m.memberID, instanceID: m.groupInstanceID, clientID: m.clientID,
                clientHost: m.clientHost, subscription: subscription, assignment: assignment)
        }
        return DescribedClassicGroupInput(
            groupID: g.groupID, error: itemError(code: g.errorCode, message: g.errorMessage),
            state: GroupState(brokerString: g.groupState), protocolType: g.protocolType,
            protocolName: g.protocolData, members: members)
    }

    /// Committed offsets of one group.
    public static func committed(_ offsets: GroupOffsets) -> CommittedOffsetsInput {
        CommittedOffsetsInput(
            groupID: offsets.groupID,
            offsets: offsets.offsets.map { id, c in
                CommittedOffsetsInput.Offset(
                    topicPartition: id, offset: c.offset,
                    metadata: c.metadata, error: c.error.map(itemError))
            })
    }
}

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
    /// - Parameter names: when given, topic names are interned in it.
    public static func partitions(
        _ a: ConsumerGroupDescribeResponse.Assignment, topicNames: [KafkaUUID: String], names: TopicNameTable? = nil
    ) -> [TopicPartition] {
        var out: [TopicPartition] = []
        out.reserveCapacity(a.topicPartitions.reduce(0) { $0 + $1.partitions.count })
        for tp in a.topicPartitions {
            var name = !tp.topicName.isEmpty ? tp.topicName : (topicNames[tp.topicID] ?? tp.topicID.description)
            if let names { name = names.intern(name) }
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
    /// - Parameter names: when given, topic names are interned in it.
    public static func consumerGroup(
        _ g: ConsumerGroupDescribeResponse.DescribedGroup, apiVersion: Int16, topicNames: [KafkaUUID: String],
        names: TopicNameTable? = nil
    ) -> DescribedConsumerGroupInput {
        let members = g.members.map { m in
            DescribedConsumerGroupInput.Member(
                memberID: m.memberID, instanceID: m.instanceID, rackID: m.rackID, memberEpoch: m.memberEpoch,
                clientID: m.clientID, clientHost: m.clientHost,
                subscribedTopicNames: names.map { $0.intern(m.subscribedTopicNames) } ?? m.subscribedTopicNames,
                subscribedTopicRegex: m.subscribedTopicRegex,
                assignment: partitions(m.assignment, topicNames: topicNames, names: names),
                targetAssignment: partitions(m.targetAssignment, topicNames: topicNames, names: names),
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
    /// - Parameters:
    ///   - topic, parts: an entry's topic name and partition numbers (closures rather than key
    ///     paths: a key path is resolved at run time on every read).
    static func partitions<Entry>(
        _ list: [Entry], _ topic: (Entry) -> String, _ parts: (Entry) -> [Int32], names: TopicNameTable? = nil
    ) -> [TopicPartition] {
        var out: [TopicPartition] = []
        out.reserveCapacity(list.reduce(0) { $0 + parts($1).count })
        for entry in list {
            let name = names?.intern(topic(entry)) ?? topic(entry)
            for p in parts(entry) { out.append(TopicPartition(topic: name, partition: p)) }
        }
        return sortedIfNeeded(out)
    }

    /// A DescribeGroups answer for one group. Member metadata and assignment bytes are decoded when
    /// the protocol type is `consumer` or empty (as Kafka's admin client does); undecodable bytes
    /// leave the member's subscription or assignment unknown rather than failing the group.
    /// - Parameter names: when given, topic names are interned in it.
    public static func classicGroup(_ g: DescribeGroupsResponse.DescribedGroup, names: TopicNameTable? = nil) -> DescribedClassicGroupInput {
        let decodable = g.protocolType == "consumer" || g.protocolType.isEmpty
        let members = g.members.map { m -> DescribedClassicGroupInput.Member in
            var subscription: DescribedClassicGroupInput.Subscription?
            var assignment: [TopicPartition]?
            if decodable, !m.memberMetadata.isEmpty,
               let (s, version) = try? ConsumerProtocolSubscription.decodeVersionPrefixed(m.memberMetadata)
            {
                subscription = DescribedClassicGroupInput.Subscription(
                    topics: names.map { $0.intern(s.topics) } ?? s.topics,
                    ownedPartitions: version >= 1 ? partitions(s.ownedPartitions, { $0.topic }, { $0.partitions }, names: names) : nil,
                    generationID: version >= 2 && s.generationID >= 0 ? s.generationID : nil,
                    rackID: version >= 3 ? s.rackID : nil)
            }
            if decodable, !m.memberAssignment.isEmpty,
               let (a, _) = try? ConsumerProtocolAssignment.decodeVersionPrefixed(m.memberAssignment)
            {
                assignment = partitions(a.assignedPartitions, { $0.topic }, { $0.partitions }, names: names)
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
    /// - Parameters:
    ///   - groupID: the group's id as the caller holds it, used when equal to the answer's (the
    ///     poller passes the listed group's string, so that the assembler's comparisons of ids are
    ///     pointer checks).
    ///   - names: when given, topic names are interned in it (once per run of partitions of one
    ///     topic). The poller passes none: the rows take their names from the log offsets, so a
    ///     commit's topic name is only compared, and interning would hash it once more per group.
    public static func committed(_ offsets: GroupOffsets, groupID: String? = nil, names: TopicNameTable? = nil) -> CommittedOffsetsInput {
        var out: [CommittedOffsetsInput.Offset] = []
        out.reserveCapacity(offsets.offsets.count)
        var lastDecoded: String?
        var lastInterned = ""
        // By index: iterating would copy each entry (and retain its strings).
        for i in offsets.offsets.indices {
            // One copy of the entry (reading its two halves apart copies it twice).
            let (decoded, c) = offsets.offsets[i]
            var tp = decoded
            if let names {
                if tp.topic != lastDecoded {
                    lastDecoded = tp.topic
                    lastInterned = names.intern(tp.topic)
                }
                tp.topic = lastInterned
            }
            out.append(CommittedOffsetsInput.Offset(
                topicPartition: tp, offset: c.offset, metadata: c.metadata, error: c.error.map(itemError)))
        }
        let id = groupID.flatMap { $0 == offsets.groupID ? $0 : nil } ?? offsets.groupID
        return CommittedOffsetsInput(groupID: id, offsets: out)
    }
}

/// One string per topic name: the poller seeds it with Metadata's names and keeps it while
/// Metadata's topics stay the same (``MetadataTables``), and the conversions replace each decoded
/// topic name with the table's equal string. Equal names then share one storage, so comparing them (row building, the
/// poll's topic lists, the next poll's derivations) is a pointer comparison instead of a byte
/// comparison, and the snapshot holds one copy of each name. The strings are equal either way: the
/// table changes no value.
public final class TopicNameTable {
    private var table: [String: String] = [:]

    /// Creates a table holding `names`.
    public init(_ names: some Sequence<String>) {
        table.reserveCapacity(names.underestimatedCount)
        for name in names where table[name] == nil { table[name] = name }
    }

    /// The table's string equal to `name` (added when new).
    public func intern(_ name: String) -> String {
        if let known = table[name] { return known }
        table[name] = name
        return name
    }

    /// `names` with each element interned.
    public func intern(_ names: [String]) -> [String] {
        names.map { intern($0) }
    }
}

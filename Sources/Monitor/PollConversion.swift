import GroupModel
import KafkaAdmin
import KafkaProtocol
import KafkaWire

/// Pure conversions from KafkaAdmin's results (generated wire types) to GroupModel's neutral inputs.
/// ConsumerGroupDescribe and DescribeGroups answers need none: the admin client reads them straight
/// into the inputs (KafkaAdmin's `FlatGroupDescriptions.swift`).
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

    /// Committed offsets of one group.
    /// - Parameters:
    ///   - groupID: the group's id as the caller holds it, used when equal to the answer's (the
    ///     poller passes the listed group's string, so that the assembler's comparisons of ids are
    ///     pointer checks).
    ///
    /// Topic names are kept as decoded: the rows take their names from the log offsets (Metadata's
    /// strings), so a commit's topic name is only compared, and interning it would hash it once more
    /// per group.
    public static func committed(_ offsets: GroupOffsets, groupID: String? = nil) -> CommittedOffsetsInput {
        var out: [CommittedOffsetsInput.Offset] = []
        out.reserveCapacity(offsets.offsets.count)
        // By index: iterating would copy each entry (and retain its strings).
        for i in offsets.offsets.indices {
            // One copy of the entry (reading its two halves apart copies it twice).
            let (tp, c) = offsets.offsets[i]
            out.append(CommittedOffsetsInput.Offset(
                topicPartition: tp, offset: c.offset, metadata: c.metadata, error: c.error.map(itemError)))
        }
        let id = groupID.flatMap { $0 == offsets.groupID ? $0 : nil } ?? offsets.groupID
        return CommittedOffsetsInput(groupID: id, offsets: out)
    }
}

import GroupModel
import KafkaAdmin
import KafkaProtocol
import KafkaWire

/// Pure conversions from KafkaAdmin's results (generated wire types) to GroupModel's neutral inputs.
/// ConsumerGroupDescribe, DescribeGroups and OffsetFetch answers need none: the admin client reads
/// them straight into the inputs (KafkaAdmin's `FlatGroupDescriptions.swift` and
/// `FlatOffsetFetch.swift`).
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
}

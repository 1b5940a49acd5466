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
    /// - Parameter names: when given, topic names are interned in it (once per run of partitions of
    ///   one topic).
    public static func committed(_ offsets: GroupOffsets, names: TopicNameTable? = nil) -> CommittedOffsetsInput {
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
        return CommittedOffsetsInput(groupID: offsets.groupID, offsets: out)
    }
}

/// One string per topic name for a poll: the poller seeds it with Metadata's names (which the admin
/// client caches across polls), and the conversions replace each decoded topic name with the
/// table's equal string (the describe answers get Metadata's strings as the admin client reads
/// them, with KafkaAdmin's `MetadataTopicNames`). Equal names then share one storage, so comparing them (row building, the
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

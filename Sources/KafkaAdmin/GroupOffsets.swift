import GroupModel
import KafkaProtocol
import KafkaWire

// Committed offsets as the admin client returns them, and the one conversion of an OffsetFetch
// answer (either shape) into them.

/// A committed offset of one partition.
public struct CommittedOffset: Sendable, Hashable {
    /// The committed offset; nil when the group has no commit for the partition (the broker sent -1).
    public var offset: Int64?
    /// The leader epoch of the commit, nil when unknown.
    public var leaderEpoch: Int32?
    /// The commit metadata string.
    public var metadata: String?
    /// The partition's error, if any.
    public var error: AdminItemError?

    /// Creates a value.
    public init(offset: Int64?, leaderEpoch: Int32? = nil, metadata: String? = nil, error: AdminItemError? = nil) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.error = error
    }
}

/// The committed offsets of one group.
public struct GroupOffsets: Sendable, Hashable {
    /// The group id.
    public var groupID: String
    /// One entry per partition, sorted by topic then partition, each partition once.
    public var offsets: [(partition: TopicPartition, committed: CommittedOffset)]

    /// Creates a value; `offsets` are sorted (and a repeated partition keeps its last entry) when
    /// they are not already in order.
    public init(groupID: String, offsets: [(partition: TopicPartition, committed: CommittedOffset)]) {
        self.groupID = groupID
        var i = 1
        while i < offsets.count, offsets[i - 1].partition < offsets[i].partition { i += 1 }
        if i >= offsets.count {
            self.offsets = offsets
        } else {
            var last: [TopicPartition: CommittedOffset] = [:]
            for o in offsets { last[o.partition] = o.committed }
            self.offsets = last.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
    }

    /// Per partition, as a dictionary (built on each call: prefer ``offsets`` in loops).
    public var partitions: [TopicPartition: CommittedOffset] {
        Dictionary(offsets.map { ($0.partition, $0.committed) }, uniquingKeysWith: { _, b in b })
    }

    public static func == (a: GroupOffsets, b: GroupOffsets) -> Bool {
        a.groupID == b.groupID && a.offsets.elementsEqual(b.offsets) { $0.partition == $1.partition && $0.committed == $1.committed }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(groupID)
        for o in offsets {
            hasher.combine(o.partition)
            hasher.combine(o.committed)
        }
    }
}

/// The fields the two shapes of an OffsetFetch answer's partition share (v0-7 answer for one
/// group, v8+ per group), so that one conversion reads both.
protocol OffsetFetchAnsweredPartition {
    var partitionIndex: Int32 { get }
    var committedOffset: Int64 { get }
    var committedLeaderEpoch: Int32 { get }
    var metadata: String? { get }
    var errorCode: Int16 { get }
}

/// A topic of an OffsetFetch answer, in either shape.
protocol OffsetFetchAnsweredTopic {
    associatedtype Partition: OffsetFetchAnsweredPartition
    var name: String { get }
    var partitions: [Partition] { get }
}

extension OffsetFetchResponse.OffsetFetchResponsePartition: OffsetFetchAnsweredPartition {}
extension OffsetFetchResponse.OffsetFetchResponsePartitions: OffsetFetchAnsweredPartition {}
extension OffsetFetchResponse.OffsetFetchResponseTopic: OffsetFetchAnsweredTopic {}
extension OffsetFetchResponse.OffsetFetchResponseTopics: OffsetFetchAnsweredTopic {}

extension GroupOffsets {
    /// One group's committed offsets from an OffsetFetch answer (either shape): -1 offsets and
    /// leader epochs become nil, partition error codes become errors.
    init<Topic: OffsetFetchAnsweredTopic>(groupID: String, answered topics: [Topic]) {
        var offsets: [(partition: TopicPartition, committed: CommittedOffset)] = []
        offsets.reserveCapacity(topics.reduce(0) { $0 + $1.partitions.count })
        for t in topics {
            for p in t.partitions {
                offsets.append((
                    TopicPartition(topic: t.name, partition: p.partitionIndex),
                    CommittedOffset(
                        offset: p.committedOffset >= 0 ? p.committedOffset : nil,
                        leaderEpoch: p.committedLeaderEpoch >= 0 ? p.committedLeaderEpoch : nil,
                        metadata: p.metadata, error: AdminItemError.fromCode(p.errorCode))))
            }
        }
        self.init(groupID: groupID, offsets: offsets)
    }
}

/// Committed offsets of many groups, routed to their coordinators.
public struct FetchOffsetsResult: Sendable {
    /// Per group: offsets or error, with the coordinator asked.
    public var groups: [String: (coordinatorID: Int32?, result: Result<GroupOffsets, AdminItemError>)]
    /// Requests and bytes spent (FindCoordinator included).
    public var stats: RequestStats
}

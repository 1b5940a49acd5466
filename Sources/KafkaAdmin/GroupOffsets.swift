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
    /// One group's committed offsets from a generated OffsetFetch answer (either shape): -1 offsets
    /// and leader epochs become nil, partition error codes become errors. The admin client reads
    /// answers flat (``FlatOffsetFetchResponse``), which gives the same values.
    init<Topic: OffsetFetchAnsweredTopic>(groupID: String, answered topics: [Topic]) {
        var offsets: [(partition: TopicPartition, committed: CommittedOffset)] = []
        offsets.reserveCapacity(topics.reduce(0) { $0 + $1.partitions.count })
        for t in topics {
            for p in t.partitions {
                offsets.append((
                    TopicPartition(topic: t.name, partition: p.partitionIndex),
                    CommittedOffset(
                        answeredOffset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch,
                        metadata: p.metadata, errorCode: p.errorCode)))
            }
        }
        self.init(groupID: groupID, offsets: offsets)
    }
}

/// Committed offsets of many groups, routed to their coordinators, by position: `results[i]` is
/// the outcome for `ids[i]`.
public struct FetchOffsetsResult: Sendable {
    /// The groups asked about, each once: in the order asked when that order was ascending by id
    /// without repeats (what the poller passes), sorted by id otherwise.
    public var ids: [String]
    /// Per group of ``ids``, by position: offsets or error, with the coordinator asked.
    public var results: [(coordinatorID: Int32?, result: Result<GroupOffsets, AdminItemError>)]
    /// Requests and bytes spent (FindCoordinator included).
    public var stats: RequestStats

    /// Per group id (built on each call: prefer ``ids`` and ``results`` in loops).
    public var groups: [String: (coordinatorID: Int32?, result: Result<GroupOffsets, AdminItemError>)] {
        Dictionary(zip(ids, results), uniquingKeysWith: { first, _ in first })
    }
}

extension CommittedOffset {
    /// One partition of an OffsetFetch answer (either shape): -1 offsets and leader epochs become
    /// nil, an error code becomes an error. The one rule both readers of the answer use.
    init(answeredOffset offset: Int64, leaderEpoch: Int32, metadata: String?, errorCode: Int16) {
        self.init(
            offset: offset >= 0 ? offset : nil, leaderEpoch: leaderEpoch >= 0 ? leaderEpoch : nil,
            metadata: metadata, error: AdminItemError.fromCode(errorCode))
    }
}

// MARK: - The answer read flat

/// OffsetFetch as the admin client sends it (the generated request), answered by a
/// ``FlatOffsetFetchResponse``.
struct FlatOffsetFetchRequest: KafkaRequestMessage {
    typealias Response = FlatOffsetFetchResponse
    static let apiKey = OffsetFetchRequest.apiKey
    static let messageName = OffsetFetchRequest.messageName
    /// The answer's versions (v10 names topics by id, which the admin client does not ask for).
    static let validVersions = FlatOffsetFetchResponse.validVersions
    static let firstFlexibleVersion = OffsetFetchRequest.firstFlexibleVersion

    /// The request.
    var request: OffsetFetchRequest

    init(_ request: OffsetFetchRequest) { self.request = request }

    init(from reader: inout WireReader, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        request = try OffsetFetchRequest(from: &reader, version: version)
    }

    func encode(to writer: inout WireWriter, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        try request.encode(to: &writer, version: version)
    }
}

/// An OffsetFetch answer read straight into ``GroupOffsets`` (the generated answer's nested topic
/// and partition structs are never built): what ``GroupOffsets/init(groupID:answered:)`` makes of
/// the generated answer, group by group. Tagged fields are checked (ascending tags, sizes within the
/// answer) and skipped: the admin client reads none.
struct FlatOffsetFetchResponse: KafkaAPIMessage {
    static let apiKey = OffsetFetchResponse.apiKey
    static let messageName = OffsetFetchResponse.messageName
    /// v1-9: v10 names topics by id, which this shape does not read.
    static let validVersions: ClosedRange<Int16> = 1...9
    static let firstFlexibleVersion = OffsetFetchResponse.firstFlexibleVersion

    /// One group of the answer.
    struct Group: Sendable, Hashable {
        /// `ErrorCode` of the group (v8+); for v1-7, the answer's `ErrorCode`.
        var errorCode: Int16
        /// The group id (empty for v1-7, whose answer does not repeat it) and its offsets.
        var offsets: GroupOffsets
    }

    /// `ThrottleTimeMs` (v3+).
    var throttleTimeMs: Int32 = 0
    /// The groups: v8+ as answered; v1-7 one group holding the answer's topics.
    var groups: [Group] = []

    init(throttleTimeMs: Int32 = 0, groups: [Group] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    init(from r: inout WireReader, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        if version >= 3 { throttleTimeMs = try r.readInt32() }
        if version <= 7 {
            let offsets = try Self.readTopics(&r, version: version, flexible: flexible)
            let code = version >= 2 ? try r.readInt16() : 0
            groups = [Group(errorCode: code, offsets: GroupOffsets(groupID: "", offsets: offsets))]
        } else {
            guard let count = try r.readArrayCount(compact: flexible) else {
                throw WireError.unexpectedNull(field: "groups", offset: r.offset)
            }
            groups.reserveCapacity(Swift.min(count, 1 << 16))
            for _ in 0..<count {
                let id = try r.readString(compact: flexible, field: "groupID")
                let offsets = try Self.readTopics(&r, version: version, flexible: flexible)
                let code = try r.readInt16()
                if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
                groups.append(Group(errorCode: code, offsets: GroupOffsets(groupID: id, offsets: offsets)))
            }
        }
        if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
    }

    /// A topic array of either shape (the fields are the same, in the same order).
    static func readTopics(
        _ r: inout WireReader, version: Int16, flexible: Bool
    ) throws(WireError) -> [(partition: TopicPartition, committed: CommittedOffset)] {
        guard let topicCount = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: "topics", offset: r.offset)
        }
        var out: [(partition: TopicPartition, committed: CommittedOffset)] = []
        for _ in 0..<topicCount {
            let name = try r.readString(compact: flexible, field: "name")
            guard let count = try r.readArrayCount(compact: flexible) else {
                throw WireError.unexpectedNull(field: "partitions", offset: r.offset)
            }
            if out.isEmpty { out.reserveCapacity(count) }
            for _ in 0..<count {
                let index = try r.readInt32()
                let offset = try r.readInt64()
                let epoch = version >= 5 ? try r.readInt32() : -1
                let metadata = try r.readNullableString(compact: flexible)
                let code = try r.readInt16()
                if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
                out.append((
                    TopicPartition(topic: name, partition: index),
                    CommittedOffset(answeredOffset: offset, leaderEpoch: epoch, metadata: metadata, errorCode: code)))
            }
            if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
        }
        return out
    }

    /// Writes an answer that reads back as these values (nil offsets and epochs as -1, errors as
    /// their codes, each run of one topic's partitions as one topic); v1-7 write the first group.
    func encode(to w: inout WireWriter, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        if version >= 3 { w.writeInt32(throttleTimeMs) }
        func writeTopics(_ offsets: GroupOffsets) {
            var runs: [Range<Int>] = []
            var start = 0
            while start < offsets.offsets.count {
                var end = start + 1
                while end < offsets.offsets.count, offsets.offsets[end].partition.topic == offsets.offsets[start].partition.topic { end += 1 }
                runs.append(start..<end)
                start = end
            }
            w.writeArrayCount(runs.count, compact: flexible)
            for run in runs {
                w.writeString(offsets.offsets[run.lowerBound].partition.topic, compact: flexible)
                w.writeArrayCount(run.count, compact: flexible)
                for (partition, c) in offsets.offsets[run] {
                    w.writeInt32(partition.partition)
                    w.writeInt64(c.offset ?? -1)
                    if version >= 5 { w.writeInt32(c.leaderEpoch ?? -1) }
                    w.writeNullableString(c.metadata, compact: flexible)
                    w.writeInt16(c.error?.code ?? 0)
                    if flexible { w.writeUnsignedVarint(0) }
                }
                if flexible { w.writeUnsignedVarint(0) }
            }
        }
        if version <= 7 {
            writeTopics(groups.first?.offsets ?? GroupOffsets(groupID: "", offsets: []))
            if version >= 2 { w.writeInt16(groups.first?.errorCode ?? 0) }
        } else {
            w.writeArrayCount(groups.count, compact: flexible)
            for g in groups {
                w.writeString(g.offsets.groupID, compact: flexible)
                writeTopics(g.offsets)
                w.writeInt16(g.errorCode)
                if flexible { w.writeUnsignedVarint(0) }
            }
        }
        if flexible { w.writeUnsignedVarint(0) }
    }
}

import GroupModel
import KafkaProtocol
import KafkaWire

// OffsetFetch answers (v1-9, both shapes) read straight into GroupModel's committed-offsets input,
// `CommittedOffsetsInput`: the generated answer's nested structs are never built, and no second
// form of the answer is converted into the input afterwards, so an answer and its conversion are
// never alive together. The one reading of these answers the admin client uses; the tests hold it
// to the generated decoder followed by the conversion it replaced.

/// Committed offsets of many groups, routed to their coordinators, by position: `results[i]` is
/// the outcome for `ids[i]`.
public struct FetchOffsetsResult: Sendable {
    /// The groups asked about, each once: in the order asked when that order was ascending by id
    /// without repeats (what the poller passes), sorted by id otherwise.
    public var ids: [String]
    /// Per group of ``ids``, by position: its committed offsets (the group's id is the string
    /// asked with) or error, with the coordinator asked.
    public var results: [(coordinatorID: Int32?, result: Result<CommittedOffsetsInput, AdminItemError>)]
    /// Requests and bytes spent (FindCoordinator included).
    public var stats: RequestStats

    /// Per group id (built on each call: prefer ``ids`` and ``results`` in loops).
    public var groups: [String: (coordinatorID: Int32?, result: Result<CommittedOffsetsInput, AdminItemError>)] {
        Dictionary(zip(ids, results), uniquingKeysWith: { first, _ in first })
    }
}

extension CommittedOffsetsInput.Offset {
    /// One partition of an OffsetFetch answer (either shape): a -1 offset becomes nil, an error
    /// code becomes the partition's error. The leader epoch is not kept.
    init(topic: String, partition: Int32, answeredOffset offset: Int64, metadata: String?, errorCode: Int16) {
        self.init(
            topicPartition: TopicPartition(topic: topic, partition: partition), offset: offset >= 0 ? offset : nil,
            metadata: metadata, error: ItemError(answeredCode: errorCode, message: nil))
    }
}

extension CommittedOffsetsInput {
    /// `offsets` in (topic, partition) order, each partition once: as they are when already in that
    /// order (as brokers answer), otherwise sorted with a repeated partition keeping its last entry.
    static func ordered(_ offsets: [Offset]) -> [Offset] {
        var i = 1
        while i < offsets.count, offsets[i - 1].topicPartition < offsets[i].topicPartition { i += 1 }
        if i >= offsets.count { return offsets }
        var last: [TopicPartition: Int] = [:]
        for k in offsets.indices { last[offsets[k].topicPartition] = k }
        return last.values.sorted { offsets[$0].topicPartition < offsets[$1].topicPartition }.map { offsets[$0] }
    }
}

// MARK: - The request

/// OffsetFetch as the admin client sends it (the generated request), answered by a
/// ``FlatOffsetFetchResponse`` read with the group ids asked (an answered id equal to the one asked
/// at its position is that string, not a new one) and Metadata's topic names (interned as they are
/// read).
struct FlatOffsetFetchRequest: WrappedRequest {
    typealias Response = FlatOffsetFetchResponse
    typealias Generated = OffsetFetchRequest
    /// The answer's versions (v10 names topics by id, which the admin client does not ask for).
    static var validVersions: ClosedRange<Int16> { FlatOffsetFetchResponse.validVersions }

    /// The request.
    var request: OffsetFetchRequest
    /// The group ids asked, in the order asked (the answer lists them in that order, as a rule).
    var askedIDs: [String]
    /// The names the answer's topics are interned with.
    var topicNames: MetadataTopicNames

    init(_ request: OffsetFetchRequest, askedIDs: [String] = [], topicNames: MetadataTopicNames = MetadataTopicNames(nil)) {
        self.request = request
        self.askedIDs = askedIDs
        self.topicNames = topicNames
    }

    /// Reads the request (without the ids asked or Metadata's names).
    init(from reader: inout WireReader, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        self.init(try OffsetFetchRequest(from: &reader, version: version))
    }

    func encode(to writer: inout WireWriter, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        try request.encode(to: &writer, version: version)
    }

    func readResponse(from reader: inout WireReader, version: Int16) throws(WireError) -> FlatOffsetFetchResponse {
        try FlatOffsetFetchResponse(from: &reader, version: version, askedIDs: askedIDs, topicNames: topicNames)
    }
}

// MARK: - The answer

/// An OffsetFetch answer read straight into ``CommittedOffsetsInput`` values, group by group: the
/// same values as the generated answer's topics converted entry by entry (-1 offsets as nil,
/// partition error codes as errors, the entries in (topic, partition) order with a repeated
/// partition keeping its last entry), and the same errors where the generated decoder fails.
/// Tagged fields are checked (ascending tags, sizes within the answer) and skipped: the admin client
/// reads none.
struct FlatOffsetFetchResponse: FlatMessage {
    typealias Generated = OffsetFetchResponse
    /// v1-9: v10 names topics by id, which this shape does not read.
    static var validVersions: ClosedRange<Int16> { 1...9 }

    /// One group of the answer.
    struct Group: Sendable, Hashable {
        /// `ErrorCode` of the group (v8+); for v1-7, the answer's `ErrorCode`.
        var errorCode: Int16
        /// The group id (empty for v1-7, whose answer does not repeat it) and its committed
        /// offsets; its `error` is left nil (the group's error is ``errorCode``).
        var offsets: CommittedOffsetsInput
    }

    /// `ThrottleTimeMs` (v3+).
    var throttleTimeMs: Int32 = 0
    /// The groups: v8+ as answered; v1-7 one group holding the answer's topics.
    var groups: [Group] = []

    init(throttleTimeMs: Int32 = 0, groups: [Group] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    /// Reads an answer without the ids asked or Metadata's names (topic names as sent).
    init(from r: inout WireReader, version: Int16) throws(WireError) {
        try self.init(from: &r, version: version, askedIDs: [], topicNames: MetadataTopicNames(nil))
    }

    /// Reads an answer: a group id equal to the one asked at its position is `askedIDs`' string,
    /// topic names are interned with `topicNames`.
    init(from r: inout WireReader, version: Int16, askedIDs: [String], topicNames: MetadataTopicNames) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        var names = TopicNameReader(topicNames)
        if version >= 3 { throttleTimeMs = try r.readInt32() }
        if version <= 7 {
            let offsets = try Self.readTopics(&r, version: version, flexible: flexible, names: &names)
            let code = version >= 2 ? try r.readInt16() : 0
            groups = [Group(errorCode: code, offsets: CommittedOffsetsInput(groupID: "", offsets: offsets))]
        } else {
            guard let count = try r.readArrayCount(compact: flexible) else {
                throw WireError.unexpectedNull(field: "groups", offset: r.offset)
            }
            groups.reserveCapacity(Swift.min(count, 1 << 16))
            let asked = AskedIDs(ids: askedIDs)
            for k in 0..<count {
                let id = try asked.read(&r, at: k, compact: flexible)
                let offsets = try Self.readTopics(&r, version: version, flexible: flexible, names: &names)
                let code = try r.readInt16()
                if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
                groups.append(Group(errorCode: code, offsets: CommittedOffsetsInput(groupID: id, offsets: offsets)))
            }
        }
        if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
    }

    /// A topic array of either shape (the fields are the same, in the same order), in (topic,
    /// partition) order. A commit's metadata string equal to the previous one is that string.
    static func readTopics(
        _ r: inout WireReader, version: Int16, flexible: Bool, names: inout TopicNameReader
    ) throws(WireError) -> [CommittedOffsetsInput.Offset] {
        guard let topicCount = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: "topics", offset: r.offset)
        }
        var out: [CommittedOffsetsInput.Offset] = []
        var lastMetadata: String?
        for _ in 0..<topicCount {
            let name = try names.byName(&r, compact: flexible, field: "name")
            guard let count = try r.readArrayCount(compact: flexible) else {
                throw WireError.unexpectedNull(field: "partitions", offset: r.offset)
            }
            if out.isEmpty { out.reserveCapacity(count) }
            for _ in 0..<count {
                let index = try r.readInt32()
                let offset = try r.readInt64()
                if version >= 5 { _ = try r.readInt32() }  // CommittedLeaderEpoch
                let metadata: String?
                if let last = lastMetadata, r.skipString(compact: flexible, ifEqualTo: last) {
                    metadata = last
                } else {
                    metadata = try r.readNullableString(compact: flexible)
                    lastMetadata = metadata
                }
                let code = try r.readInt16()
                if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
                out.append(CommittedOffsetsInput.Offset(
                    topic: name, partition: index, answeredOffset: offset, metadata: metadata, errorCode: code))
            }
            if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
        }
        return CommittedOffsetsInput.ordered(out)
    }

    /// Writes an answer that reads back as these values (nil offsets and leader epochs as -1,
    /// errors as their codes, each run of one topic's partitions as one topic); v1-7 write the
    /// first group.
    func encode(to w: inout WireWriter, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        if version >= 3 { w.writeInt32(throttleTimeMs) }
        func writeTopics(_ offsets: [CommittedOffsetsInput.Offset]) {
            var runs: [Range<Int>] = []
            var start = 0
            while start < offsets.count {
                var end = start + 1
                while end < offsets.count, offsets[end].topicPartition.topic == offsets[start].topicPartition.topic { end += 1 }
                runs.append(start..<end)
                start = end
            }
            w.writeArrayCount(runs.count, compact: flexible)
            for run in runs {
                w.writeString(offsets[run.lowerBound].topicPartition.topic, compact: flexible)
                w.writeArrayCount(run.count, compact: flexible)
                for o in offsets[run] {
                    w.writeInt32(o.topicPartition.partition)
                    w.writeInt64(o.offset ?? -1)
                    if version >= 5 { w.writeInt32(-1) }
                    w.writeNullableString(o.metadata, compact: flexible)
                    w.writeInt16(o.error?.code ?? 0)
                    if flexible { w.writeUnsignedVarint(0) }
                }
                if flexible { w.writeUnsignedVarint(0) }
            }
        }
        if version <= 7 {
            writeTopics(groups.first?.offsets.offsets ?? [])
            if version >= 2 { w.writeInt16(groups.first?.errorCode ?? 0) }
        } else {
            w.writeArrayCount(groups.count, compact: flexible)
            for g in groups {
                w.writeString(g.offsets.groupID, compact: flexible)
                writeTopics(g.offsets.offsets)
                w.writeInt16(g.errorCode)
                if flexible { w.writeUnsignedVarint(0) }
            }
        }
        if flexible { w.writeUnsignedVarint(0) }
    }
}

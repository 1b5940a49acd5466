import GroupModel
import KafkaProtocol
import KafkaWire

// ListOffsets for many partitions without the generated nested structs: the request is written
// straight from flat lists of topic names and partition numbers, and the answer is read into flat
// arrays (one entry per partition, one name per topic). A poll asks about every partition of every
// topic a group touches (100,000 at 10,000 groups x 10 partitions): the generated types would build
// one struct per partition both ways, and the answer would be compared with the request one topic
// name per partition. The bytes written are the generated request's bytes, and the values read are
// the generated response's values (tests compare both on every version).

/// A ListOffsets request for partitions of several topics, all at one timestamp and with no
/// current leader epoch (-1), as the admin client asks.
struct FlatListOffsetsRequest: KafkaRequestMessage, FlatMessage {
    typealias Response = FlatListOffsetsResponse
    typealias Generated = ListOffsetsRequest

    /// `ReplicaId`: -1 for a client.
    var replicaID: Int32 = -1
    /// `IsolationLevel` (v2+; must be 0 below).
    var isolationLevel: Int8 = 0
    /// `TimeoutMs` (v10+; ignored below, as the generated request lets it be).
    var timeoutMs: Int32 = 0
    /// `Timestamp` of every partition.
    var timestamp: Int64 = 0
    /// The topics, in request order.
    var topicNames: [String] = []
    /// Per topic, where its partitions end in ``partitions`` (the first topic's start at 0).
    var topicEnds: [Int] = []
    /// Every topic's partition numbers, one topic after another.
    var partitions: [Int32] = []

    init(replicaID: Int32, isolationLevel: Int8, timeoutMs: Int32, timestamp: Int64) {
        self.replicaID = replicaID
        self.isolationLevel = isolationLevel
        self.timeoutMs = timeoutMs
        self.timestamp = timestamp
    }

    /// A client's request (replica -1, isolation and timeout 0, set per version by the sender) for
    /// the partitions at `slots` of `partitions`, at `timestamp`. `slots` ascend, so each topic's
    /// partitions form one run, sorted already; the request's partition `k` is `slots[k]`'s.
    init(asking slots: [Int], of partitions: [TopicPartition], timestamp: Int64) {
        self.init(replicaID: -1, isolationLevel: 0, timeoutMs: 0, timestamp: timestamp)
        self.partitions.reserveCapacity(slots.count)
        partitions.withUnsafeBufferPointer { all in
            var start = 0
            while start < slots.count {
                let name = all[slots[start]].topic
                var end = start + 1
                while end < slots.count, all[slots[end]].topic == name { end += 1 }
                append(topic: name, partitions: slots[start..<end].lazy.map { all[$0].partition })
                start = end
            }
        }
    }

    /// Adds a topic with its partitions.
    mutating func append(topic: String, partitions list: some Sequence<Int32>) {
        topicNames.append(topic)
        partitions.append(contentsOf: list)
        topicEnds.append(partitions.count)
    }

    /// The generated request with the same content.
    var generated: ListOffsetsRequest {
        var topics: [ListOffsetsRequest.ListOffsetsTopic] = []
        var start = 0
        for (name, end) in zip(topicNames, topicEnds) {
            topics.append(ListOffsetsRequest.ListOffsetsTopic(
                name: name,
                partitions: partitions[start..<end].map { ListOffsetsRequest.ListOffsetsPartition(partitionIndex: $0, timestamp: timestamp) }))
            start = end
        }
        return ListOffsetsRequest(replicaID: replicaID, isolationLevel: isolationLevel, topics: topics, timeoutMs: timeoutMs)
    }

    /// Decodes through the generated request; throws when a partition's timestamp differs from the
    /// first one's, or a partition or topic carries what this shape cannot hold (a current leader
    /// epoch, tagged fields).
    init(from reader: inout WireReader, version: Int16) throws(WireError) {
        let r = try ListOffsetsRequest(from: &reader, version: version)
        replicaID = r.replicaID
        isolationLevel = r.isolationLevel
        timeoutMs = r.timeoutMs
        timestamp = r.topics.lazy.flatMap(\.partitions).first?.timestamp ?? 0
        if !r.unknownTaggedFields.isEmpty { throw .fieldNotSupported(field: "taggedFields", version: version) }
        for t in r.topics {
            if !t.unknownTaggedFields.isEmpty { throw .fieldNotSupported(field: "taggedFields", version: version) }
            for p in t.partitions where p.timestamp != timestamp || p.currentLeaderEpoch != -1 || !p.unknownTaggedFields.isEmpty {
                throw .fieldNotSupported(field: "partitions", version: version)
            }
            append(topic: t.name, partitions: t.partitions.lazy.map(\.partitionIndex))
        }
    }

    /// Reads the answer with this request's topic names: a topic answered at the position it was
    /// asked at is read as the request's string (brokers answer in the order asked), so that no
    /// name is made again and the answer's names compare with the request's by identity.
    func readResponse(from reader: inout WireReader, version: Int16) throws(WireError) -> FlatListOffsetsResponse {
        try FlatListOffsetsResponse(from: &reader, version: version, askedTopics: topicNames)
    }

    /// Writes the bytes ``generated`` writes at `version`. The body is sized first and written in
    /// one pass through a pointer (a poll's requests hold 100,000 partitions of 17 bytes each:
    /// appending them field by field cost more than sending them).
    func encode(to w: inout WireWriter, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        if version < 2, isolationLevel != 0 { throw .fieldNotSupported(field: "isolationLevel", version: version) }
        let flexible = Self.isFlexible(version)
        let perPartition = 4 + (version >= 4 ? 4 : 0) + 8 + (flexible ? 1 : 0)
        func countSize(_ n: Int) -> Int { flexible ? WireWriter.unsignedVarintSize(UInt32(truncatingIfNeeded: n + 1)) : 4 }
        var size = 4 + (version >= 2 ? 1 : 0) + countSize(topicNames.count) + partitions.count * perPartition
            + (version >= 10 ? 4 : 0) + (flexible ? 1 : 0)
        var start = 0
        for (name, end) in zip(topicNames, topicEnds) {
            let length = name.utf8.count
            size += (flexible ? WireWriter.unsignedVarintSize(UInt32(truncatingIfNeeded: length + 1)) : 2) + length
            size += countSize(end - start) + (flexible ? 1 : 0)
            start = end
        }
        let body = [UInt8](unsafeUninitializedCapacity: size) { buffer, written in
            var out = PointerWriter(buffer.baseAddress!)
            out.int32(replicaID)
            if version >= 2 { out.byte(UInt8(bitPattern: isolationLevel)) }
            out.count(topicNames.count, compact: flexible)
            var start = 0
            for (name, end) in zip(topicNames, topicEnds) {
                var name = name
                name.withUTF8 { utf8 in
                    if flexible {
                        out.varint(UInt32(truncatingIfNeeded: utf8.count + 1))
                    } else {
                        out.int16(Int16(truncatingIfNeeded: utf8.count))
                    }
                    out.bytes(utf8)
                }
                out.count(end - start, compact: flexible)
                for i in start..<end {
                    out.int32(partitions[i])
                    if version >= 4 { out.int32(-1) }
                    out.int64(timestamp)
                    if flexible { out.byte(0) }
                }
                if flexible { out.byte(0) }
                start = end
            }
            if version >= 10 { out.int32(timeoutMs) }
            if flexible { out.byte(0) }
            precondition(out.written == size, "ListOffsets request sized \(size) bytes, written \(out.written)")
            written = size
        }
        if w.bytes.isEmpty {
            w.bytes = body
        } else {
            w.writeRawBytes(body)
        }
    }
}

/// Writes wire primitives through a pointer into storage the caller sized for them.
private struct PointerWriter {
    private let base: UnsafeMutablePointer<UInt8>
    /// How many bytes are written.
    private(set) var written = 0

    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    mutating func byte(_ v: UInt8) {
        base[written] = v
        written += 1
    }

    mutating func int16(_ v: Int16) {
        withUnsafeBytes(of: v.bigEndian) { bytes($0) }
    }

    mutating func int32(_ v: Int32) {
        withUnsafeBytes(of: v.bigEndian) { bytes($0) }
    }

    mutating func int64(_ v: Int64) {
        withUnsafeBytes(of: v.bigEndian) { bytes($0) }
    }

    /// An unsigned LEB128 varint, as ``WireWriter/writeUnsignedVarint(_:)`` writes it.
    mutating func varint(_ v: UInt32) {
        var v = v
        while v >= 0x80 {
            byte(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        byte(UInt8(v))
    }

    /// An array's element count, as ``WireWriter/writeArrayCount(_:compact:)`` writes it.
    mutating func count(_ n: Int, compact: Bool) {
        if compact {
            varint(UInt32(truncatingIfNeeded: n + 1))
        } else {
            int32(Int32(truncatingIfNeeded: n))
        }
    }

    mutating func bytes(_ b: UnsafeRawBufferPointer) {
        guard let source = b.baseAddress, !b.isEmpty else { return }
        UnsafeMutableRawPointer(base + written).copyMemory(from: source, byteCount: b.count)
        written += b.count
    }

    mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) { bytes(UnsafeRawBufferPointer(b)) }
}

/// A ListOffsets answer as flat arrays: per topic its name and where its partitions end, per
/// partition its fields. Tagged fields are checked (ascending tags, sizes within the answer) and
/// skipped: the admin client reads none.
struct FlatListOffsetsResponse: FlatMessage {
    typealias Generated = ListOffsetsResponse

    /// `ThrottleTimeMs` (v2+).
    var throttleTimeMs: Int32 = 0
    /// The topics, in answer order.
    var topicNames: [String] = []
    /// Per topic, where its partitions end in the partition arrays.
    var topicEnds: [Int] = []
    /// Per partition: `PartitionIndex`.
    var partitionIndexes: [Int32] = []
    /// Per partition: `ErrorCode`.
    var errorCodes: [Int16] = []
    /// Per partition: `Timestamp`.
    var timestamps: [Int64] = []
    /// Per partition: `Offset`.
    var offsets: [Int64] = []
    /// Per partition: `LeaderEpoch` (v4+; -1 below).
    var leaderEpochs: [Int32] = []

    init() {}

    /// The flat form of a generated answer (its tagged fields left out).
    init(_ r: ListOffsetsResponse) {
        throttleTimeMs = r.throttleTimeMs
        for t in r.topics {
            topicNames.append(t.name)
            for p in t.partitions {
                partitionIndexes.append(p.partitionIndex)
                errorCodes.append(p.errorCode)
                timestamps.append(p.timestamp)
                offsets.append(p.offset)
                leaderEpochs.append(p.leaderEpoch)
            }
            topicEnds.append(partitionIndexes.count)
        }
    }

    /// Reads what the generated decoder reads at `version`, into flat arrays; throws where it throws.
    init(from r: inout WireReader, version: Int16) throws(WireError) {
        try self.init(from: &r, version: version, askedTopics: [])
    }

    /// Whether the answer lists what `request` asked, as asked: the same topics in the same order
    /// (compared as strings: read with the request's names they are its strings, so each compares
    /// by identity), each with the same partitions in the same order. Its partition `k` then
    /// answers the request's partition `k`.
    func mirrors(_ request: FlatListOffsetsRequest) -> Bool {
        topicEnds == request.topicEnds && partitionIndexes == request.partitions && topicNames == request.topicNames
    }

    /// ``init(from:version:)`` with the topic names asked, in order: a name answered at the
    /// position it was asked at is the asked string (the same value, not made again).
    init(from r: inout WireReader, version: Int16, askedTopics: [String]) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        if version >= 2 { throttleTimeMs = try r.readInt32() }
        guard let topicCount = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: "topics", offset: r.offset)
        }
        topicNames.reserveCapacity(Swift.min(topicCount, 1 << 16))
        topicEnds.reserveCapacity(Swift.min(topicCount, 1 << 16))
        for t in 0..<topicCount {
            if t < askedTopics.count, r.skipString(compact: flexible, ifEqualTo: askedTopics[t]) {
                topicNames.append(askedTopics[t])
            } else {
                topicNames.append(try r.readString(compact: flexible, field: "name"))
            }
            guard let count = try r.readArrayCount(compact: flexible) else {
                throw WireError.unexpectedNull(field: "partitions", offset: r.offset)
            }
            for _ in 0..<count {
                partitionIndexes.append(try r.readInt32())
                errorCodes.append(try r.readInt16())
                timestamps.append(try r.readInt64())
                offsets.append(try r.readInt64())
                leaderEpochs.append(version >= 4 ? try r.readInt32() : -1)
                if flexible { try Self.skipTaggedFields(&r) }
            }
            topicEnds.append(partitionIndexes.count)
            if flexible { try Self.skipTaggedFields(&r) }
        }
        if flexible { try Self.skipTaggedFields(&r) }
    }

    /// Reads a tagged-field section as the generated decoders do, keeping nothing.
    static func skipTaggedFields(_ r: inout WireReader) throws(WireError) {
        let count = try r.readUnsignedVarint()
        if count == 0 { return }
        var previous: Int64 = -1
        for _ in 0..<count { _ = try r.readTaggedField(previous: &previous) }
    }

    /// Writes what the generated response with these values (and no tagged fields) writes.
    func encode(to w: inout WireWriter, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        if version >= 2 { w.writeInt32(throttleTimeMs) }
        w.writeArrayCount(topicNames.count, compact: flexible)
        var start = 0
        for (name, end) in zip(topicNames, topicEnds) {
            w.writeString(name, compact: flexible)
            w.writeArrayCount(end - start, compact: flexible)
            for i in start..<end {
                w.writeInt32(partitionIndexes[i])
                w.writeInt16(errorCodes[i])
                w.writeInt64(timestamps[i])
                w.writeInt64(offsets[i])
                if version >= 4 {
                    w.writeInt32(leaderEpochs[i])
                } else if leaderEpochs[i] != -1 {
                    throw .fieldNotSupported(field: "leaderEpoch", version: version)
                }
                if flexible { w.writeUnsignedVarint(0) }
            }
            if flexible { w.writeUnsignedVarint(0) }
            start = end
        }
        if flexible { w.writeUnsignedVarint(0) }
    }
}

import GroupModel
import KafkaProtocol
import KafkaWire

// Metadata answers read straight into what ClusterMetadata keeps: brokers sorted by node id, topics
// by name with their partitions sorted by index, and of each partition its index, leader, leader
// epoch and error code. The generated answer's nested structs (one per partition, each with its
// replica, in-sync and offline-replica arrays) are never built. At 10,000 topics x 10 partitions
// the generated answer was about 100,000 structs and 200,000 small arrays, and the arrays were then
// kept by ClusterMetadata as long as the Metadata was cached. The tests hold the reading to the
// generated decoder followed by the conversion it replaced, values and errors.

/// Metadata as the admin client sends it (the generated request), answered by a
/// ``FlatMetadataResponse``.
struct FlatMetadataRequest: WrappedRequest {
    typealias Response = FlatMetadataResponse
    typealias Generated = MetadataRequest

    /// The request.
    var request: MetadataRequest

    init(_ request: MetadataRequest) { self.request = request }

    init(from reader: inout WireReader, version: Int16) throws(WireError) {
        request = try MetadataRequest(from: &reader, version: version)
    }
}

/// A Metadata answer (v0-13) read into ``BrokerInfo`` and ``TopicInfo`` values: the values the
/// generated answer converts to (brokers sorted by node id; topics without a name left out, a name
/// answered twice keeping its last entry; partitions sorted by index, -1 leaders and epochs as
/// none), and the same errors where the generated decoder fails. The replica lists, authorized
/// operations and tagged fields are checked as the generated decoder reads them, and not kept.
struct FlatMetadataResponse: FlatMessage {
    typealias Generated = MetadataResponse

    /// `ThrottleTimeMs` (v3+).
    var throttleTimeMs: Int32 = 0
    /// `Brokers`, sorted by node id.
    var brokers: [BrokerInfo] = []
    /// `ClusterId` (v2+).
    var clusterID: String?
    /// `ControllerId` (v1+; -1 below).
    var controllerID: Int32 = -1
    /// `Topics` with a name, by name.
    var topics: [String: TopicInfo] = [:]
    /// `ErrorCode` of the whole answer (v13+).
    var errorCode: Int16 = 0

    init(
        throttleTimeMs: Int32 = 0, brokers: [BrokerInfo] = [], clusterID: String? = nil, controllerID: Int32 = -1,
        topics: [String: TopicInfo] = [:], errorCode: Int16 = 0
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.topics = topics
        self.errorCode = errorCode
    }

    /// Reads what the generated decoder reads at `version`; throws where it throws.
    init(from r: inout WireReader, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        if version >= 3 { throttleTimeMs = try r.readInt32() }
        guard let brokerCount = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: "brokers", offset: r.offset)
        }
        brokers.reserveCapacity(Swift.min(brokerCount, 1024))
        for _ in 0..<brokerCount {
            let nodeID = try r.readInt32()
            let host = try r.readString(compact: flexible, field: "host")
            let port = try r.readInt32()
            let rack = version >= 1 ? try r.readNullableString(compact: flexible) : nil
            if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
            brokers.append(BrokerInfo(nodeID: nodeID, host: host, port: Int(port), rack: rack))
        }
        brokers.sort()
        if version >= 2 { clusterID = try r.readNullableString(compact: flexible) }
        if version >= 1 { controllerID = try r.readInt32() }
        guard let topicCount = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: "topics", offset: r.offset)
        }
        // A topic takes at least 8 bytes (error code, name, partition count, tagged fields).
        topics.reserveCapacity(Swift.min(topicCount, r.remaining / 8))
        for _ in 0..<topicCount {
            let code = try r.readInt16()
            let name = version >= 12 ? try r.readNullableString(compact: flexible) : try r.readString(compact: flexible, field: "name")
            let id = version >= 10 ? try r.readUUID() : .zero
            let isInternal = version >= 1 ? try r.readBool() : false
            let partitions = try Self.readPartitions(&r, version: version, flexible: flexible)
            if version >= 8 { _ = try r.readInt32() }  // TopicAuthorizedOperations
            if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
            guard let name, !name.isEmpty else { continue }
            topics[name] = TopicInfo(name: name, topicID: id, isInternal: isInternal, partitions: partitions, errorCode: code)
        }
        if version >= 8 && version <= 10 { _ = try r.readInt32() }  // ClusterAuthorizedOperations
        if version >= 13 { errorCode = try r.readInt16() }
        if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
    }

    /// A topic's partitions, sorted by index (as brokers answer them, as a rule: sorted only when
    /// they are not strictly ascending).
    static func readPartitions(_ r: inout WireReader, version: Int16, flexible: Bool) throws(WireError) -> [PartitionInfo] {
        guard let count = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: "partitions", offset: r.offset)
        }
        var partitions: [PartitionInfo] = []
        // A partition takes at least 10 bytes (error code, index, leader, two list counts).
        partitions.reserveCapacity(Swift.min(count, r.remaining / 10))
        var ascending = true
        for _ in 0..<count {
            let code = try r.readInt16()
            let index = try r.readInt32()
            let leader = try r.readInt32()
            let epoch = version >= 7 ? try r.readInt32() : -1
            try skipNodeList(&r, flexible: flexible, field: "replicaNodes")
            try skipNodeList(&r, flexible: flexible, field: "isrNodes")
            if version >= 5 { try skipNodeList(&r, flexible: flexible, field: "offlineReplicas") }
            if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
            if let last = partitions.last, !(last.partition < index) { ascending = false }
            partitions.append(PartitionInfo(partition: index, leaderID: leader, leaderEpoch: epoch, errorCode: code))
        }
        return ascending ? partitions : partitions.sorted { $0.partition < $1.partition }
    }

    /// Reads a non-null array of node ids (int32), keeping nothing.
    static func skipNodeList(_ r: inout WireReader, flexible: Bool, field: String) throws(WireError) {
        guard let count = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: field, offset: r.offset)
        }
        for _ in 0..<count { _ = try r.readInt32() }
    }

    /// Writes an answer that reads back as these values: topics in name order, partitions with
    /// empty replica lists, authorized operations at their defaults.
    func encode(to w: inout WireWriter, version: Int16) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        if version >= 3 { w.writeInt32(throttleTimeMs) }
        w.writeArrayCount(brokers.count, compact: flexible)
        for b in brokers {
            w.writeInt32(b.nodeID)
            w.writeString(b.host, compact: flexible)
            w.writeInt32(Int32(truncatingIfNeeded: b.port))
            if version >= 1 { w.writeNullableString(b.rack, compact: flexible) }
            if flexible { w.writeUnsignedVarint(0) }
        }
        if version >= 2 { w.writeNullableString(clusterID, compact: flexible) }
        if version >= 1 { w.writeInt32(controllerID) }
        w.writeArrayCount(topics.count, compact: flexible)
        for name in topics.keys.sorted() {
            let t = topics[name]!
            w.writeInt16(t.errorCode)
            w.writeString(name, compact: flexible)
            if version >= 10 { w.writeUUID(t.topicID) }
            if version >= 1 { w.writeBool(t.isInternal) }
            w.writeArrayCount(t.partitions.count, compact: flexible)
            for p in t.partitions {
                w.writeInt16(p.errorCode)
                w.writeInt32(p.partition)
                w.writeInt32(p.leaderID ?? -1)
                if version >= 7 { w.writeInt32(p.leaderEpoch ?? -1) }
                w.writeArrayCount(0, compact: flexible)
                w.writeArrayCount(0, compact: flexible)
                if version >= 5 { w.writeArrayCount(0, compact: flexible) }
                if flexible { w.writeUnsignedVarint(0) }
            }
            if version >= 8 { w.writeInt32(Int32.min) }
            if flexible { w.writeUnsignedVarint(0) }
        }
        if version >= 8 && version <= 10 { w.writeInt32(Int32.min) }
        if version >= 13 { w.writeInt16(errorCode) }
        if flexible { w.writeUnsignedVarint(0) }
    }
}

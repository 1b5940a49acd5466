/// Everything one poll observed about a cluster: brokers, topics with log offsets, groups, errors.
///
/// This is the value behind `kgtop snapshot` (schema `kgtop.snapshot/1`). Use ``normalized()`` (or
/// ``SnapshotJSON``) to put every list in its canonical order before comparing or printing.
public struct ClusterSnapshot: Sendable, Hashable, Codable {
    /// The schema identifier written into every snapshot.
    public static let currentSchema = "kgtop.snapshot/1"

    /// Always ``currentSchema`` for snapshots this version writes.
    public var schema: String
    /// When the poll started, in milliseconds since the Unix epoch (supplied by the caller's clock).
    public var takenAt: Int64
    /// How long the poll took, in milliseconds.
    public var pollDurationMs: Int64
    /// Brokers, controller and features.
    public var cluster: ClusterInfo
    /// Topics with per-partition log offsets, sorted by name.
    public var topics: [TopicInfo]
    /// Groups, sorted by group id.
    public var groups: [Group]
    /// Errors the poll met (per broker, group, topic or partition), in a stable order.
    public var errors: [PollError]

    /// How many partition rows the groups have together (each group read in place: a group read
    /// from the list in a closure is copied, every field retained).
    public var groupPartitionCount: Int {
        groups.withUnsafeBufferPointer { groups in
            var count = 0
            for g in groups.indices { count += groups[g].partitions.count }
            return count
        }
    }

    /// Creates a snapshot; lists are put in canonical order.
    public init(
        takenAt: Int64, pollDurationMs: Int64, cluster: ClusterInfo,
        topics: [TopicInfo] = [], groups: [Group] = [], errors: [PollError] = [],
        schema: String = ClusterSnapshot.currentSchema
    ) {
        self.schema = schema
        self.takenAt = takenAt
        self.pollDurationMs = pollDurationMs
        self.cluster = cluster
        self.topics = topics
        self.groups = groups
        self.errors = errors
        self = normalized()
    }

    /// The group with this id, if the snapshot has it.
    public func group(_ groupID: String) -> Group? {
        groups.first { $0.groupID == groupID }
    }

    /// A copy with every list sorted: brokers by node id, topics by name, partitions by index,
    /// groups by id (and their members and partitions), errors by scope and text.
    public func normalized() -> ClusterSnapshot {
        var copy = self
        copy.cluster.brokers.sort { $0.nodeID < $1.nodeID }
        copy.topics = normalizedTopics()
        copy.groups = normalizedGroups()
        copy.errors = normalizedErrors()
        return copy
    }

    /// ``topics`` as ``normalized()`` leaves them: each topic's partitions by index, topics by name.
    func normalizedTopics() -> [TopicInfo] {
        topics.map { topic in
            var topic = topic
            topic.partitions.sort { $0.partition < $1.partition }
            return topic
        }.sorted { $0.name < $1.name }
    }

    /// ``groups`` as ``normalized()`` leaves them: each group normalized, groups by id.
    func normalizedGroups() -> [Group] {
        groups.map { $0.normalized() }.sorted { $0.groupID < $1.groupID }
    }

    /// ``errors`` as ``normalized()`` leaves them.
    func normalizedErrors() -> [PollError] {
        errors.sorted(by: PollError.ordered)
    }
}

/// Cluster-wide facts: id, controller, brokers and finalized features.
public struct ClusterInfo: Sendable, Hashable, Codable {
    /// The cluster id, when the broker reported one.
    public var clusterID: String?
    /// The active controller's node id, when known.
    public var controllerID: Int32?
    /// Brokers, sorted by node id.
    public var brokers: [BrokerInfo]
    /// Finalized feature levels (ApiVersions v3+), e.g. `group.version`, `metadata.version`.
    public var finalizedFeatures: [String: Int16]
    /// Whether the KIP-848 consumer protocol is enabled: `group.version >= 1`.
    /// `nil` when no features were reported at all (the broker is too old or did not answer);
    /// `false` when features were reported without `group.version`.
    public var kip848Enabled: Bool?

    /// Creates cluster info; ``kip848Enabled`` is derived from the features.
    public init(
        clusterID: String? = nil, controllerID: Int32? = nil, brokers: [BrokerInfo] = [],
        finalizedFeatures: [String: Int16] = [:]
    ) {
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.brokers = brokers.sorted { $0.nodeID < $1.nodeID }
        self.finalizedFeatures = finalizedFeatures
        self.kip848Enabled = Self.kip848Enabled(features: finalizedFeatures)
    }

    /// `group.version >= 1`; `nil` for no features, `false` when `group.version` is absent.
    public static func kip848Enabled(features: [String: Int16]) -> Bool? {
        if let level = features["group.version"] { return level >= 1 }
        return features.isEmpty ? nil : false
    }
}

/// One broker as seen by the poller.
public struct BrokerInfo: Sendable, Hashable, Codable {
    /// The broker's node id.
    public var nodeID: Int32
    /// Advertised host.
    public var host: String
    /// Advertised port.
    public var port: Int32
    /// The broker's rack, if configured.
    public var rack: String?
    /// Whether the poller could talk to this broker during the poll.
    public var reachable: Bool
    /// What went wrong with this broker, in words, when it was not reachable or failed requests.
    public var error: String?

    /// Creates broker info.
    public init(nodeID: Int32, host: String, port: Int32, rack: String? = nil, reachable: Bool = true, error: String? = nil) {
        self.nodeID = nodeID
        self.host = host
        self.port = port
        self.rack = rack
        self.reachable = reachable
        self.error = error
    }
}

/// A topic with its partitions' log offsets.
///
/// The rare error is kept out of line (a snapshot holds one of these for every topic); equality,
/// hashing, `Codable` and the JSON are those of the plain fields.
public struct TopicInfo: Sendable, Hashable, Codable {
    /// Topic name.
    public var name: String
    /// Topic id in Kafka's URL-safe base64 form, when known.
    public var topicID: String?
    /// Number of partitions according to Metadata.
    public var partitionCount: Int
    /// Per-partition offsets, sorted by partition.
    public var partitions: [PartitionOffsets]
    private var storedError: OutOfLine<ItemError>?

    /// A topic-level error (for example from Metadata), if any.
    public var error: ItemError? {
        get { storedError?.value }
        set { storedError = newValue.map { OutOfLine($0) } }
    }

    /// Creates topic info.
    public init(name: String, topicID: String? = nil, partitionCount: Int, partitions: [PartitionOffsets] = [], error: ItemError? = nil) {
        self.name = name
        self.topicID = topicID
        self.partitionCount = partitionCount
        self.partitions = partitions.sorted { $0.partition < $1.partition }
        self.storedError = error.map { OutOfLine($0) }
    }

    /// Hashes the fields in their declared order (the hash a struct of the plain fields has).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(topicID)
        hasher.combine(partitionCount)
        hasher.combine(partitions)
        hasher.combine(error)
    }

    private enum CodingKeys: String, CodingKey {
        case name, topicID, partitionCount, partitions, error
    }

    /// Decodes the plain fields (optional ones may be absent).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        topicID = try c.decodeIfPresent(String.self, forKey: .topicID)
        partitionCount = try c.decode(Int.self, forKey: .partitionCount)
        partitions = try c.decode([PartitionOffsets].self, forKey: .partitions)
        storedError = try c.decodeIfPresent(ItemError.self, forKey: .error).map { OutOfLine($0) }
    }

    /// Encodes the plain fields, leaving out the optional ones that are `nil`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(topicID, forKey: .topicID)
        try c.encode(partitionCount, forKey: .partitionCount)
        try c.encode(partitions, forKey: .partitions)
        try c.encodeIfPresent(error, forKey: .error)
    }
}

/// Log offsets and leader of one partition.
///
/// A snapshot holds one for every partition of the cluster, so it is stored compactly behind its
/// public properties: the optional numbers as plain integers with a presence bit each (no sentinel
/// value: every value is kept as given), the rare error out of line. Equality, hashing, `Codable`
/// and the JSON are those of the plain fields.
public struct PartitionOffsets: Sendable, Hashable, Codable {
    /// Which of the optional numbers hold a value.
    private struct Presence: OptionSet, Sendable, Hashable {
        let rawValue: UInt8
        static let logStart = Presence(rawValue: 1 << 0)
        static let logEnd = Presence(rawValue: 1 << 1)
        static let leader = Presence(rawValue: 1 << 2)
    }

    // Invariant (what makes the stored fields' equality the values' equality): a number not
    // present is 0.
    private var storedPartition: Int32
    private var storedLeader: Int32
    private var storedLogStart: Int64
    private var storedLogEnd: Int64
    private var storedError: OutOfLine<ItemError>?
    private var presence: Presence

    /// Partition index.
    public var partition: Int32 {
        get { storedPartition }
        set { storedPartition = newValue }
    }

    /// Earliest offset still in the log, when known.
    public var logStart: Int64? {
        get { presence.contains(.logStart) ? storedLogStart : nil }
        set {
            storedLogStart = newValue ?? 0
            if newValue == nil { presence.remove(.logStart) } else { presence.insert(.logStart) }
        }
    }

    /// Log end offset (high watermark), when known.
    public var logEnd: Int64? {
        get { presence.contains(.logEnd) ? storedLogEnd : nil }
        set {
            storedLogEnd = newValue ?? 0
            if newValue == nil { presence.remove(.logEnd) } else { presence.insert(.logEnd) }
        }
    }

    /// The leader's node id, when known.
    public var leader: Int32? {
        get { presence.contains(.leader) ? storedLeader : nil }
        set {
            storedLeader = newValue ?? 0
            if newValue == nil { presence.remove(.leader) } else { presence.insert(.leader) }
        }
    }

    /// The ListOffsets / Metadata error for this partition, if any.
    public var error: ItemError? {
        get { storedError?.value }
        set { storedError = newValue.map { OutOfLine($0) } }
    }

    /// Creates partition offsets.
    public init(partition: Int32, logStart: Int64? = nil, logEnd: Int64? = nil, leader: Int32? = nil, error: ItemError? = nil) {
        var unshared: OutOfLine<ItemError>?
        self.init(partition: partition, logStart: logStart, logEnd: logEnd, leader: leader, error: error, sharing: &unshared)
    }

    /// ``init(partition:logStart:logEnd:leader:error:)`` taking the error's box from `shared` when
    /// that holds the same error (a topic's partitions often fail alike), and leaving its box there
    /// otherwise.
    init(partition: Int32, logStart: Int64?, logEnd: Int64?, leader: Int32?, error: ItemError?, sharing shared: inout OutOfLine<ItemError>?) {
        storedPartition = partition
        storedLeader = 0
        storedLogStart = 0
        storedLogEnd = 0
        storedError = nil
        presence = []
        self.logStart = logStart
        self.logEnd = logEnd
        self.leader = leader
        if let error {
            if let box = shared, box.value == error {
                storedError = box
            } else {
                let box = OutOfLine(error)
                shared = box
                storedError = box
            }
        }
    }

    /// Equal when every field is: the stored fields are (see their invariant), the errors by value.
    public static func == (lhs: PartitionOffsets, rhs: PartitionOffsets) -> Bool {
        lhs.storedPartition == rhs.storedPartition && lhs.presence == rhs.presence && lhs.storedLeader == rhs.storedLeader
            && lhs.storedLogStart == rhs.storedLogStart && lhs.storedLogEnd == rhs.storedLogEnd && lhs.storedError == rhs.storedError
    }

    /// Hashes the fields in their declared order (the hash a struct of the plain fields has).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(partition)
        hasher.combine(logStart)
        hasher.combine(logEnd)
        hasher.combine(leader)
        hasher.combine(error)
    }

    private enum CodingKeys: String, CodingKey {
        case partition, logStart, logEnd, leader, error
    }

    /// Decodes the plain fields (optional ones may be absent).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            partition: try c.decode(Int32.self, forKey: .partition),
            logStart: try c.decodeIfPresent(Int64.self, forKey: .logStart),
            logEnd: try c.decodeIfPresent(Int64.self, forKey: .logEnd),
            leader: try c.decodeIfPresent(Int32.self, forKey: .leader),
            error: try c.decodeIfPresent(ItemError.self, forKey: .error))
    }

    /// Encodes the plain fields, leaving out the optional ones that are `nil`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(partition, forKey: .partition)
        try c.encodeIfPresent(logStart, forKey: .logStart)
        try c.encodeIfPresent(logEnd, forKey: .logEnd)
        try c.encodeIfPresent(leader, forKey: .leader)
        try c.encodeIfPresent(error, forKey: .error)
    }
}

/// An error met during a poll, with what it applied to.
public struct PollError: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What the error applies to.
    public enum Scope: String, Sendable, Hashable, Codable, CaseIterable {
        /// The whole cluster (bootstrap, authentication).
        case cluster
        /// One broker.
        case broker
        /// One group.
        case group
        /// One topic.
        case topic
        /// One partition.
        case partition
    }

    /// What the error applies to.
    public var scope: Scope
    /// The request or step that failed, e.g. `OffsetFetch`, `connect`.
    public var operation: String
    /// The broker concerned, when there is one.
    public var brokerID: Int32?
    /// The group concerned, when there is one.
    public var groupID: String?
    /// The topic concerned, when there is one.
    public var topic: String?
    /// The partition concerned, when there is one.
    public var partition: Int32?
    /// The Kafka error, when the failure was a Kafka error code.
    public var kafkaError: ItemError?
    /// What happened, in words.
    public var message: String

    /// Creates a poll error.
    public init(
        scope: Scope, operation: String, brokerID: Int32? = nil, groupID: String? = nil,
        topic: String? = nil, partition: Int32? = nil, kafkaError: ItemError? = nil, message: String
    ) {
        self.scope = scope
        self.operation = operation
        self.brokerID = brokerID
        self.groupID = groupID
        self.topic = topic
        self.partition = partition
        self.kafkaError = kafkaError
        self.message = message
    }

    /// Orders errors by scope, then broker, group, topic, partition, operation and message.
    static func ordered(_ lhs: PollError, _ rhs: PollError) -> Bool {
        let l = (lhs.scope.rawValue, lhs.brokerID ?? Int32.min, lhs.groupID ?? "", lhs.topic ?? "", lhs.partition ?? Int32.min, lhs.operation + "\u{1}" + lhs.message)
        let r = (rhs.scope.rawValue, rhs.brokerID ?? Int32.min, rhs.groupID ?? "", rhs.topic ?? "", rhs.partition ?? Int32.min, rhs.operation + "\u{1}" + rhs.message)
        return l < r
    }

    /// `operation [subject]: message`.
    public var description: String {
        var subject: [String] = []
        if let brokerID { subject.append("broker \(brokerID)") }
        if let groupID { subject.append("group \(groupID)") }
        if let topic { subject.append(partition.map { "\(topic)-\($0)" } ?? "topic \(topic)") }
        let where_ = subject.isEmpty ? "" : " [" + subject.joined(separator: ", ") + "]"
        return "\(operation)\(where_): \(message)"
    }
}

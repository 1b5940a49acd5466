import GroupModel
import KafkaProtocol
import KafkaWire

/// What one broker said in ApiVersions: its version range per API and its features.
public struct BrokerAPIVersions: Sendable, Hashable {
    /// The supported versions per API key.
    public var ranges: [Int16: ClosedRange<Int16>]
    /// Finalized feature levels (e.g. `group.version`), from ApiVersions v3+.
    public var finalizedFeatures: [String: Int16]
    /// Supported feature ranges, from ApiVersions v3+.
    public var supportedFeatures: [String: ClosedRange<Int16>]
    /// The ApiVersions version the broker answered.
    public var apiVersionsVersion: Int16

    /// Creates a value.
    public init(
        ranges: [Int16: ClosedRange<Int16>], finalizedFeatures: [String: Int16] = [:],
        supportedFeatures: [String: ClosedRange<Int16>] = [:], apiVersionsVersion: Int16 = 0
    ) {
        self.ranges = ranges
        self.finalizedFeatures = finalizedFeatures
        self.supportedFeatures = supportedFeatures
        self.apiVersionsVersion = apiVersionsVersion
    }

    /// Builds the value from an ApiVersions answer (malformed ranges are ignored).
    init(_ response: ApiVersionsResponse, version: Int16) {
        var ranges: [Int16: ClosedRange<Int16>] = [:]
        for api in response.apiKeys where api.minVersion <= api.maxVersion {
            ranges[api.apiKey] = api.minVersion...api.maxVersion
        }
        var finalized: [String: Int16] = [:]
        for f in response.finalizedFeatures { finalized[f.name] = f.maxVersionLevel }
        var supported: [String: ClosedRange<Int16>] = [:]
        for f in response.supportedFeatures where f.minVersion <= f.maxVersion { supported[f.name] = f.minVersion...f.maxVersion }
        self.init(ranges: ranges, finalizedFeatures: finalized, supportedFeatures: supported, apiVersionsVersion: version)
    }

    /// The highest version both kgtop (`ours`) and the broker support, nil when none.
    public func negotiate(apiKey: Int16, ours: ClosedRange<Int16>) -> Int16? {
        guard let theirs = ranges[apiKey] else { return nil }
        let low = Swift.max(ours.lowerBound, theirs.lowerBound)
        let high = Swift.min(ours.upperBound, theirs.upperBound)
        return low <= high ? high : nil
    }

    /// Whether the broker lists `apiKey` at all.
    public func supports(apiKey: Int16) -> Bool { ranges[apiKey] != nil }

    /// The finalized `group.version` level (0 when absent): KIP-848 groups need 1 or more.
    public var groupVersion: Int16 { finalizedFeatures["group.version"] ?? 0 }
}

/// One broker from Metadata.
public struct BrokerInfo: Sendable, Hashable, Comparable {
    /// Node id.
    public var nodeID: Int32
    /// Advertised host.
    public var host: String
    /// Advertised port.
    public var port: Int
    /// Rack, when configured.
    public var rack: String?

    /// Creates a value.
    public init(nodeID: Int32, host: String, port: Int, rack: String? = nil) {
        self.nodeID = nodeID
        self.host = host
        self.port = port
        self.rack = rack
    }

    /// `host:port`.
    public var address: BrokerAddress { BrokerAddress(host: host, port: port) }

    public static func < (a: BrokerInfo, b: BrokerInfo) -> Bool { a.nodeID < b.nodeID }
}

/// One partition from Metadata: what kgtop reads of it. Its replica, in-sync and offline-replica
/// lists are not kept: nothing reads them, and at 100,000 partitions they were two small arrays per
/// partition alive as long as the Metadata.
public struct PartitionInfo: Sendable, Hashable {
    /// Partition index.
    public var partition: Int32
    /// The leader's node id, -1 when there is none.
    private var leader: Int32
    /// The leader epoch, -1 when unknown.
    private var epoch: Int32
    /// The partition's error code (0: none).
    public var errorCode: Int16

    /// Creates a value.
    public init(partition: Int32, leaderID: Int32?, leaderEpoch: Int32? = nil, errorCode: Int16 = 0) {
        self.partition = partition
        leader = leaderID.map { $0 >= 0 ? $0 : -1 } ?? -1
        epoch = leaderEpoch.map { $0 >= 0 ? $0 : -1 } ?? -1
        self.errorCode = errorCode
    }

    /// Leader node id, nil when there is none (-1).
    public var leaderID: Int32? {
        get { leader >= 0 ? leader : nil }
        set { leader = newValue.map { $0 >= 0 ? $0 : -1 } ?? -1 }
    }

    /// Leader epoch, nil when unknown.
    public var leaderEpoch: Int32? {
        get { epoch >= 0 ? epoch : nil }
        set { epoch = newValue.map { $0 >= 0 ? $0 : -1 } ?? -1 }
    }

    /// The partition's error, if any.
    public var error: AdminItemError? { AdminItemError.fromCode(errorCode) }
}

/// One topic from Metadata.
public struct TopicInfo: Sendable, Hashable {
    /// Name.
    public var name: String
    /// Topic id (zero before Metadata v10).
    public var topicID: KafkaUUID
    /// Partitions, sorted by index.
    public var partitions: [PartitionInfo]
    /// The topic's error code (0: none).
    public var errorCode: Int16
    /// Whether it is an internal topic (e.g. `__consumer_offsets`).
    public var isInternal: Bool

    /// Creates a value.
    public init(name: String, topicID: KafkaUUID, isInternal: Bool, partitions: [PartitionInfo], errorCode: Int16 = 0) {
        self.name = name
        self.topicID = topicID
        self.isInternal = isInternal
        self.partitions = partitions
        self.errorCode = errorCode
    }

    /// The topic's error, if any.
    public var error: AdminItemError? { AdminItemError.fromCode(errorCode) }
}

/// The cluster as Metadata (plus the bootstrap broker's ApiVersions) describes it.
public struct ClusterMetadata: Sendable, Hashable {
    /// The cluster id, when the broker reports one.
    public var clusterID: String?
    /// The controller's node id, when reported.
    public var controllerID: Int32?
    /// Brokers, sorted by node id.
    public var brokers: [BrokerInfo]
    /// Topics by name.
    public var topics: [String: TopicInfo]
    /// Finalized features of the broker that answered (e.g. `group.version`).
    public var finalizedFeatures: [String: Int16]
    /// The Metadata version used.
    public var metadataVersion: Int16

    /// The broker with `nodeID`.
    public func broker(_ nodeID: Int32) -> BrokerInfo? { brokers.first { $0.nodeID == nodeID } }

    /// The name of the topic with `id`, nil when unknown or zero.
    public func topicName(for id: KafkaUUID) -> String? {
        guard !id.isZero else { return nil }
        return topics.values.first { $0.topicID == id }?.name
    }

    /// The leader of `partition`, nil when the topic or partition is unknown or leaderless.
    public func leader(of partition: TopicPartition) -> Int32? {
        topics[partition.topic]?.partitions.first { $0.partition == partition.partition }?.leaderID
    }

    /// Every partition of every topic (internal topics included), sorted.
    public var allPartitions: [TopicPartition] {
        topics.values.flatMap { t in t.partitions.map { TopicPartition(topic: t.name, partition: $0.partition) } }.sorted()
    }

    /// The cluster a Metadata answer read flat describes.
    init(_ r: FlatMetadataResponse, version: Int16, features: [String: Int16]) {
        clusterID = r.clusterID
        controllerID = r.controllerID >= 0 ? r.controllerID : nil
        brokers = r.brokers
        topics = r.topics
        finalizedFeatures = features
        metadataVersion = version
    }
}

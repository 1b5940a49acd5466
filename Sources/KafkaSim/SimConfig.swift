/// Settings of a simulated cluster. The defaults are Apache Kafka 4.x's.
public struct SimConfig: Sendable {
    /// Number of brokers (one listener each).
    public var brokerCount: Int = 3
    /// Host every broker listens on and advertises (loopback only).
    public var host: String = "127.0.0.1"
    /// The first listener's port; 0 picks free ephemeral ports. Broker `i` uses `basePort + i` otherwise.
    public var basePort: Int = 0
    /// The cluster id reported by Metadata and DescribeCluster.
    public var clusterID: String = "kgtop-sim-cluster-0001"
    /// Whether Metadata and Produce create unknown topics (`auto.create.topics.enable`).
    public var autoCreateTopics: Bool = true
    /// Partitions of an auto-created topic (`num.partitions`).
    public var defaultPartitions: Int = 3
    /// Bytes kept per partition before the log start offset moves (`retention.bytes`, bounded here).
    public var retentionBytesPerPartition: Int = 32 * 1024 * 1024
    /// `group.consumer.session.timeout.ms`.
    public var consumerSessionTimeoutMs: Int32 = 45_000
    /// `group.consumer.heartbeat.interval.ms`.
    public var consumerHeartbeatIntervalMs: Int32 = 5_000
    /// `group.consumer.assignors`; the first one is the default.
    public var consumerAssignors: [String] = ["uniform", "range"]
    /// `group.initial.rebalance.delay.ms` for classic groups.
    public var classicInitialRebalanceDelayMs: Int64 = 3_000
    /// `group.min.session.timeout.ms`.
    public var classicMinSessionTimeoutMs: Int32 = 6_000
    /// `group.max.session.timeout.ms`.
    public var classicMaxSessionTimeoutMs: Int32 = 1_800_000
    /// `offsets.retention.minutes`.
    public var offsetsRetentionMinutes: Int = 10_080
    /// `offsets.topic.num.partitions`: group ids hash onto these, and each one's leader is a coordinator.
    public var offsetsTopicPartitions: Int = 50
    /// Granularity of ``SimCluster/advance(by:)``: time moves in steps of at most this many ms.
    public var tickMs: Int64 = 100

    /// Kafka's defaults with `brokerCount` brokers.
    public init(brokerCount: Int = 3) {
        self.brokerCount = max(1, brokerCount)
    }

    /// The broker configs DescribeConfigs reports for a BROKER resource.
    var brokerConfigs: [(String, String)] {
        [
            ("group.consumer.heartbeat.interval.ms", "\(consumerHeartbeatIntervalMs)"),
            ("group.consumer.min.heartbeat.interval.ms", "5000"),
            ("group.consumer.max.heartbeat.interval.ms", "15000"),
            ("group.consumer.session.timeout.ms", "\(consumerSessionTimeoutMs)"),
            ("group.consumer.min.session.timeout.ms", "45000"),
            ("group.consumer.max.session.timeout.ms", "60000"),
            ("group.consumer.max.size", "\(Int32.max)"),
            ("group.consumer.assignors", consumerAssignors.joined(separator: ",")),
            ("group.consumer.migration.policy", "bidirectional"),
            ("group.coordinator.rebalance.protocols", "classic,consumer"),
            ("group.initial.rebalance.delay.ms", "\(classicInitialRebalanceDelayMs)"),
            ("group.min.session.timeout.ms", "\(classicMinSessionTimeoutMs)"),
            ("group.max.session.timeout.ms", "\(classicMaxSessionTimeoutMs)"),
            ("offsets.retention.minutes", "\(offsetsRetentionMinutes)"),
            ("offsets.topic.num.partitions", "\(offsetsTopicPartitions)"),
            ("auto.create.topics.enable", autoCreateTopics ? "true" : "false"),
            ("num.partitions", "\(defaultPartitions)"),
        ]
    }

    /// The dynamic group configs DescribeConfigs reports for a GROUP resource.
    var groupConfigs: [(String, String)] {
        [
            ("consumer.session.timeout.ms", "\(consumerSessionTimeoutMs)"),
            ("consumer.heartbeat.interval.ms", "\(consumerHeartbeatIntervalMs)"),
        ]
    }
}

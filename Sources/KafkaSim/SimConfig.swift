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
    /// What the listeners speak: plaintext (default), SASL, TLS or both (see ``SimSecurity``).
    public var security: SimSecurity = .plaintext
    /// Granularity of ``SimCluster/advance(by:)``: time moves in steps of at most this many ms. With
    /// any other clock than ``ManualClock``, scripted producers write on a grid of this step too, one
    /// batch per step and partition at most, so that a steady producer's batches stay regular.
    public var tickMs: Int64 = 100
    /// The Kafka release whose group-coordinator behaviour the simulator reproduces where releases
    /// differ (see ``SimKafkaVersion``); the newest by default.
    public var kafkaVersion: SimKafkaVersion = .newest
    /// `group.consumer.assignment.interval.ms` (Kafka 4.3+): a new target assignment is computed at
    /// most once per interval. Kafka's default is 1000; the simulator's is 0 (computed at once) so
    /// that tests and the demo need not wait. Ignored before 4.3.
    public var consumerAssignmentIntervalMs: Int64 = 0

    /// Kafka's defaults with `brokerCount` brokers.
    public init(brokerCount: Int = 3) {
        self.brokerCount = max(1, brokerCount)
    }

    /// The broker configs DescribeConfigs reports for a BROKER resource.
    var brokerConfigs: [(String, String)] {
        (kafkaVersion.batchesAssignments ? [("group.consumer.assignment.interval.ms", "\(consumerAssignmentIntervalMs)")] : []) + [
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

/// The Kafka releases whose KIP-848 group-coordinator differences KafkaSim reproduces, so that kgtop's
/// conclusions can be tested against what each release really answers. Each difference was checked
/// against the group coordinator's source of that release.
public enum SimKafkaVersion: String, Sendable, Hashable, CaseIterable, Comparable {
    case v4_0 = "4.0"
    case v4_1 = "4.1"
    case v4_2 = "4.2"
    case v4_3 = "4.3"

    /// The newest release modelled.
    public static let newest: SimKafkaVersion = .v4_3

    /// Parses `4.0` ... `4.3` (also `4.3.1`: the patch level changes none of these behaviours).
    public init?(parsing text: String) {
        let parts = text.split(separator: ".")
        guard parts.count >= 2, parts.count <= 3, parts.allSatisfy({ Int($0) != nil }) else { return nil }
        self.init(rawValue: "\(parts[0]).\(parts[1])")
    }

    public static func < (a: SimKafkaVersion, b: SimKafkaVersion) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// ConsumerGroupDescribe's `Assignment` also lists the partitions a member is still revoking
    /// (KAFKA-20431, 4.3); 4.0-4.2 list only the partitions it keeps.
    public var describesPendingRevocation: Bool { self >= .v4_3 }

    /// A new consumer group starts at group and assignment epoch 1 with an empty assignment, so the
    /// first computed assignment has epoch 2 (KAFKA-20268, 4.3); before, a group starts at 0 and the
    /// first member's join makes epoch 1.
    public var newGroupsStartAtEpochOne: Bool { self >= .v4_3 }

    /// OffsetCommit accepts a member's commit at an older member epoch for partitions it has held
    /// since that epoch (KIP-1251, 4.3); before, any epoch but the member's current one is
    /// STALE_MEMBER_EPOCH.
    public var acceptsCommitsAtOlderEpochs: Bool { self >= .v4_3 }

    /// Target assignments are computed at most once per `group.consumer.assignment.interval.ms`
    /// (4.3), so the assignment epoch may trail the group epoch; before, at once.
    public var batchesAssignments: Bool { self >= .v4_3 }
}

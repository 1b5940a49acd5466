/// Ready-made cluster contents for `kgtop sim`, `kgtop demo`, tests and benchmarks.
public enum SimScenario: Sendable, Hashable {
    /// No topics, no groups.
    case empty
    /// A small, lively cluster: a few topics with producers, KIP-848, classic (eager and
    /// cooperative), mixed and offsets-only groups, one consumer that falls behind.
    case demo
    /// `groups` groups (alternating KIP-848 and classic, one or two simulated members each), each on
    /// its own topic of `partitions` partitions, with committed offsets and some records.
    case scale(groups: Int, partitions: Int)
    /// Like ``scale(groups:partitions:)`` with every knob exposed: `members` simulated members per
    /// group and a producer per topic at `recordsPerSec` (0: none), so that log ends keep moving.
    case estate(SimEstate)
    /// A parsed scenario file.
    case script(SimScript)

    /// Parses `empty`, `demo` or `scale` (with `groups`, default 10,000).
    public init?(name: String, groups: Int? = nil) {
        switch name.lowercased() {
        case "empty": self = .empty
        case "demo": self = .demo
        case "scale": self = .scale(groups: groups ?? 10_000, partitions: 10)
        default: return nil
        }
    }

    /// The scenario names `init(name:groups:)` accepts.
    public static let names = ["empty", "demo", "scale"]

    /// Creates the scenario's topics, producers and simulated members in `cluster`.
    public func apply(to cluster: SimCluster) async throws {
        switch self {
        case .empty:
            return
        case .demo:
            try await cluster.applyDemo()
        case .scale(let groups, let partitions):
            try await cluster.applyScale(groups: groups, partitions: partitions)
        case .estate(let estate):
            try await cluster.applyScale(
                groups: estate.groups, partitions: estate.partitions, members: estate.membersPerGroup,
                recordsPerSec: estate.recordsPerSecPerTopic)
        case .script(let script):
            try await script.apply(to: cluster)
        }
    }
}

extension SimCluster {
    func applyDemo() throws {
        try createTopic("orders", partitions: 12)
        try createTopic("payments", partitions: 6)
        try createTopic("clicks", partitions: 24)
        try createTopic("audit", partitions: 3)
        try produce(topic: "orders", recordsPerSec: 600)
        try produce(topic: "payments", recordsPerSec: 120)
        try produce(topic: "clicks", recordsPerSec: 2_400)
        for p in 0..<3 { try append(topic: "audit", partition: Int32(p), count: 5_000, spreadMs: 3_600_000) }

        var o = SimMemberOptions()
        o.clientID = "order-service"
        try addConsumerGroup("order-service", topics: ["orders"], members: 3, serverAssignor: "uniform", options: o)
        o.clientID = "fraud-check"
        try addConsumerGroup("fraud-check", topics: ["orders", "payments"], members: 2, serverAssignor: "range", options: o)
        o.clientID = "ledger"
        try addClassicGroup("ledger", topics: ["payments"], members: 2, assignor: .cooperativeSticky, options: o)
        o.clientID = "clickstream"
        o.consumeRatePerSec = 600  // per member: 3 x 600/s cannot keep up with 2,400/s, so lag grows
        try addClassicGroup("clickstream-etl", topics: ["clicks"], members: 3, assignor: .range, options: o)
        o = SimMemberOptions()
        o.clientID = "search-indexer"
        try addConsumerGroup("search-indexer", topics: ["orders"], members: 1, options: o)
        o.classicInConsumerGroup = true
        try addMember(group: "search-indexer", protocol: .consumer, topics: ["orders"], options: o)
        for p in 0..<3 { commitOffset(group: "audit-replay", topic: "audit", partition: Int32(p), offset: 1_000 * Int64(p + 1)) }
        // A share group (KIP-932) of workers on the payments (one partition read by two of them),
        // and a streams group (KIP-1071) enriching orders with payments.
        try addShareGroup("payment-notifier", topics: ["payments"], members: 3, clientID: "payment-notifier")
        try shareGroupAssign("payment-notifier", member: 2, topic: "payments", partitions: [0])
        try addStreamsGroup(
            "order-enricher", subtopologies: [("0", ["orders"]), ("1", ["payments"])], members: 3, clientID: "order-enricher",
            warmup: true, processRatePerSec: 60)
        try runScript(Self.demoChurn)
    }

    /// Every 20 s something happens in the demo; the cycle repeats every 3 minutes.
    static let demoChurn: SimScript = {
        let text = """
            every 180s
            at 20s add order-service consumer orders client=order-service
            at 40s slow fraud-check#first 8s
            at 41s add fraud-check consumer orders,payments assignor=range client=fraud-check
            at 60s stop order-service#last
            at 80s pause ledger#first
            at 100s kill clickstream-etl#last
            at 140s resume ledger#first
            at 150s add clickstream-etl classic clicks assignor=range rate=500 client=clickstream
            at 170s stop fraud-check#last
            at 171s slow fraud-check#first 0s
            """
        return (try? SimScript(parsing: text)) ?? SimScript()
    }()

    /// - Parameters:
    ///   - members: members per group; nil alternates two and one (the original scale scenario).
    ///   - recordsPerSec: a producer per topic at this rate; 0 for none.
    func applyScale(groups count: Int, partitions: Int, members perGroup: Int? = nil, recordsPerSec: Double = 0) throws {
        let topicCount = count
        for i in 0..<topicCount {
            let name = "scale-topic-\(i)"
            try createTopic(name, partitions: partitions)
            for p in 0..<partitions { try append(topic: name, partition: Int32(p), count: 100 + (i * 7 + p * 13) % 400, spreadMs: 60_000) }
            if recordsPerSec > 0 { try produce(topic: name, recordsPerSec: recordsPerSec) }
        }
        var o = SimMemberOptions()
        o.clientID = "scale"
        o.commitIntervalMs = 5_000
        o.heartbeatIntervalMs = 1_000  // classic followers notice rebalances sooner: the cluster settles in ~2 s
        for i in 0..<count {
            let topic = "scale-topic-\(i % topicCount)"
            let group = "scale-group-\(i)"
            let members = perGroup ?? (i % 3 == 0 ? 2 : 1)
            // Offsets as if the group had been running: some lag on every partition.
            for p in 0..<partitions {
                let hw = topics[topic]?.partitions[p].highWatermark ?? 0
                commitOffset(group: group, topic: topic, partition: Int32(p), offset: hw - Int64((i + p) % 50))
            }
            if i % 2 == 0 {
                try addConsumerGroup(group, topics: [topic], members: members, options: o)
            } else {
                try addClassicGroup(group, topics: [topic], members: members, assignor: i % 4 == 1 ? .range : .cooperativeSticky, options: o)
            }
        }
    }
}

/// The knobs of ``SimScenario/estate(_:)``: many groups, each on its own topic.
public struct SimEstate: Sendable, Hashable {
    /// Number of groups (and topics); even-numbered groups are KIP-848, odd ones classic.
    public var groups: Int
    /// Partitions per topic.
    public var partitions: Int
    /// Simulated members per group; nil alternates two and one, as ``SimScenario/scale(groups:partitions:)`` does.
    public var membersPerGroup: Int?
    /// Records per second produced to each topic (spread over its partitions); 0 for none.
    public var recordsPerSecPerTopic: Double

    /// Creates the settings.
    public init(groups: Int, partitions: Int = 10, membersPerGroup: Int? = 3, recordsPerSecPerTopic: Double = 0) {
        self.groups = groups
        self.partitions = partitions
        self.membersPerGroup = membersPerGroup
        self.recordsPerSecPerTopic = recordsPerSecPerTopic
    }
}

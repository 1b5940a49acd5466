import GroupModel
import SeededRandom
import Foundation
import KafkaProtocol
import KafkaWire
import Logging

/// One broker's address.
public struct SimBroker: Sendable, Hashable {
    /// The broker's node id (1-based).
    public var nodeID: Int32
    /// The host it listens on.
    public var host: String
    /// Its port.
    public var port: Int
}

/// Per-broker faults, set with ``SimCluster/setFaults(_:broker:)``.
public struct BrokerFaults: Sendable, Hashable {
    /// Delay every response by this many milliseconds (wall time).
    public var delayMs: Int = 0
    /// Close the connection after writing only part of the next response(s).
    public var closeMidResponse = false
    /// Answer group requests this broker coordinates with this error (e.g. 16 NOT_COORDINATOR,
    /// 14 COORDINATOR_LOAD_IN_PROGRESS) instead of serving them.
    public var coordinatorError: Int16? = nil
    /// Refuse connections (the listener is closed while set; see ``KafkaSimulator``).
    public var refuseConnections = false

    /// No faults.
    public init(delayMs: Int = 0, closeMidResponse: Bool = false, coordinatorError: Int16? = nil, refuseConnections: Bool = false) {
        self.delayMs = delayMs
        self.closeMidResponse = closeMidResponse
        self.coordinatorError = coordinatorError
        self.refuseConnections = refuseConnections
    }
}

/// Errors of the scenario API.
public enum SimError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The topic already exists.
    case topicExists(String)
    /// The topic does not exist.
    case unknownTopic(String)
    /// The group does not exist.
    case unknownGroup(String)
    /// The simulated member does not exist.
    case unknownMember(String)
    /// An argument is out of range.
    case invalidArgument(String)

    /// A readable message.
    public var description: String {
        switch self {
        case .topicExists(let t): return "topic \(t) already exists"
        case .unknownTopic(let t): return "unknown topic \(t)"
        case .unknownGroup(let g): return "unknown group \(g)"
        case .unknownMember(let m): return "unknown simulated member \(m)"
        case .invalidArgument(let s): return s
        }
    }
}

/// The whole state of a simulated Kafka cluster: topics, logs, groups, offsets, simulated clients.
///
/// Pure logic with no sockets: ``KafkaSimulator`` puts listeners in front of it, tests can also call
/// ``handle(frame:broker:clientHost:)`` with request bytes, or use the scenario API and a
/// ``ManualClock`` with ``advance(by:)``.
public actor SimCluster {
    /// The cluster's settings.
    public let config: SimConfig
    /// The cluster's clock.
    public let clock: any SimClock
    let logger: Logger

    var brokers: [SimBroker]
    var topics: [String: SimTopic] = [:] { didSet { sortedTopicNamesCache = nil } }
    var topicNamesByID: [KafkaUUID: String] = [:]
    var groups: [String: SimGroup] = [:] { didSet { groupsByCoordinatorCache = nil; groupListCache = nil } }
    /// Topic names in order, rebuilt after a topic is added or removed (Metadata for all topics).
    var sortedTopicNamesCache: [String]?
    /// Each broker's groups in id order, rebuilt after a group is added or removed (ListGroups).
    var groupsByCoordinatorCache: [Int32: [SimGroup]]?
    /// Every group, rebuilt after a group is added or removed (the tick walks them).
    var groupListCache: [SimGroup]?
    var faults: [Int32: BrokerFaults] = [:]
    /// Whether the big answers of a poll are written straight to the wire at the versions
    /// ``directlyWrittenVersions`` lists (`SimCluster+DirectAnswers.swift`); tests turn it off to
    /// compare with the generated encoders' answers.
    var writesAnswersDirectly = true
    var rng: SplitMix64
    var nextProducerID: Int64 = 1000
    var simMembers: [String: SimulatedMember] = [:]
    /// The simulated members in the order they were added (ticks step them without a lookup by handle).
    var simMemberOrder: [SimulatedMember] = []
    var producers: [String: ScriptedProducer] = [:]
    /// The producers in the order they were started (ticks walk them without a lookup by topic).
    var producerOrder: [ScriptedProducer] = []
    var lastTickMs: Int64
    /// The end of the last step the scripted producers ran for (``runProducersOnGrid(now:)``).
    var producerGridMs: Int64
    var pendingClassicMembers: Set<String> = []
    var scheduled: [ScheduledCommand] = []
    var memberCounters: [String: Int] = [:]
    /// Per group id: its dynamic group configs (``setGroupConfig(_:_:value:)``), by name.
    var groupConfigOverrides: [String: [String: String]] = [:]

    /// Sets (or, with `nil`, removes) one of a group's own dynamic configs, as
    /// IncrementalAlterConfigs on the GROUP resource does in Kafka: DescribeConfigs then reports it
    /// with source GROUP_CONFIG, and `consumer.session.timeout.ms` is the session timeout the
    /// group's KIP-848 members are held to. Only the keys of ``SimConfig/groupConfigs`` exist; a
    /// value must be a positive number of milliseconds.
    public func setGroupConfig(_ groupID: String, _ key: String, value: String?) throws(SimError) {
        guard config.groupConfigs.contains(where: { $0.0 == key }) else {
            throw .invalidArgument("\(key) is not a group config (\(config.groupConfigs.map(\.0).joined(separator: ", ")))")
        }
        guard let value else {
            groupConfigOverrides[groupID]?[key] = nil
            if groupConfigOverrides[groupID]?.isEmpty == true { groupConfigOverrides[groupID] = nil }
            return
        }
        guard let ms = Int32(value), ms > 0 else { throw .invalidArgument("\(key) must be a positive number of milliseconds, not \(value)") }
        groupConfigOverrides[groupID, default: [:]][key] = String(ms)
    }

    /// The session timeout a KIP-848 member of `groupID` is held to: the group's own
    /// `consumer.session.timeout.ms` when set, else the broker's.
    func consumerSessionTimeoutMs(group groupID: String) -> Int32 {
        if groupConfigOverrides.isEmpty { return config.consumerSessionTimeoutMs }
        return groupConfigOverrides[groupID]?["consumer.session.timeout.ms"].flatMap { Int32($0) } ?? config.consumerSessionTimeoutMs
    }

    /// Creates a cluster; its brokers get addresses when ``KafkaSimulator`` binds them (or
    /// ``setBrokerPorts(_:)`` is called).
    public init(config: SimConfig = SimConfig(), clock: any SimClock = RealClock(), seed: UInt64 = 0x6B67_746F_70) {
        self.config = config
        self.clock = clock
        var logger = Logger(label: "kgtop.sim")
        logger.logLevel = ProcessInfo.processInfo.environment["KGTOP_SIM_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        self.logger = logger
        self.rng = SplitMix64(seed: seed)
        self.brokers = (0..<config.brokerCount).map {
            SimBroker(nodeID: Int32($0 + 1), host: config.host, port: config.basePort == 0 ? 0 : config.basePort + $0)
        }
        self.lastTickMs = clock.nowMs()
        let step = max(1, config.tickMs)
        self.producerGridMs = lastTickMs - ((lastTickMs % step) + step) % step
    }

    // MARK: - Brokers

    /// Records the ports the listeners bound to, in broker order.
    public func setBrokerPorts(_ ports: [Int]) {
        for (i, p) in ports.enumerated() where i < brokers.count { brokers[i].port = p }
    }

    /// The brokers with their addresses.
    public func brokerList() -> [SimBroker] { brokers }

    /// `host:port,host:port,...` for clients.
    public func bootstrapServers() -> String { brokers.map { "\($0.host):\($0.port)" }.joined(separator: ",") }

    /// Sets (or clears, with `BrokerFaults()`) the faults of broker `nodeID`.
    public func setFaults(_ f: BrokerFaults, broker nodeID: Int32) { faults[nodeID] = f }

    /// Turns the direct writers of the big answers on or off (``writesAnswersDirectly``).
    func setWritesAnswersDirectly(_ on: Bool) { writesAnswersDirectly = on }

    /// The faults of broker `nodeID`.
    public func faults(broker nodeID: Int32) -> BrokerFaults { faults[nodeID] ?? BrokerFaults() }

    /// The node id of the coordinator of `groupID`: the leader of its `__consumer_offsets` partition.
    public func coordinator(for groupID: String) -> Int32 {
        Self.coordinator(for: groupID, config: config)
    }

    nonisolated static func coordinator(for groupID: String, config: SimConfig) -> Int32 {
        let h = javaStringHash(groupID)
        let partition = Int(h == Int32.min ? 0 : abs(h)) % config.offsetsTopicPartitions
        return Int32(partition % config.brokerCount + 1)
    }

    func leaderFor(topic: String, partition: Int32) -> Int32 {
        Int32((Int(fnv1a(topic) % 997) + Int(partition)) % brokers.count + 1)
    }

    // MARK: - Topics

    /// Creates a topic with `partitions` partitions; leaders are spread across brokers.
    @discardableResult
    public func createTopic(_ name: String, partitions: Int, configs: [String: String] = [:]) throws(SimError) -> KafkaUUID {
        guard !name.isEmpty, partitions > 0 else { throw .invalidArgument("topic needs a name and at least one partition") }
        guard topics[name] == nil else { throw .topicExists(name) }
        let id = KafkaUUID.random(using: &rng)
        let retention = configs["retention.bytes"].flatMap { Int($0) }.map { $0 > 0 ? $0 : Int.max } ?? config.retentionBytesPerPartition
        let logs = (0..<partitions).map {
            PartitionLog(index: Int32($0), leader: leaderFor(topic: name, partition: Int32($0)), retentionBytes: retention)
        }
        topics[name] = SimTopic(name: name, id: id, partitions: logs, configs: configs)
        topicNamesByID[id] = name
        return id
    }

    /// Adds partitions to a topic (a metadata change that consumer groups react to).
    public func addPartitions(_ name: String, totalCount: Int) throws(SimError) {
        guard let t = topics[name] else { throw .unknownTopic(name) }
        guard totalCount > t.partitions.count else { throw .invalidArgument("partition count can only grow") }
        let retention = t.partitions.first?.retentionBytes ?? config.retentionBytesPerPartition
        for p in t.partitions.count..<totalCount {
            t.partitions.append(PartitionLog(index: Int32(p), leader: leaderFor(topic: name, partition: Int32(p)), retentionBytes: retention))
        }
    }

    /// The names of all topics, sorted.
    public func topicNames() -> [String] {
        if let cached = sortedTopicNamesCache { return cached }
        let names = topics.keys.sorted()
        sortedTopicNamesCache = names
        return names
    }

    /// The groups broker `broker` coordinates, in id order.
    func groupsCoordinated(by broker: Int32) -> [SimGroup] {
        if let cached = groupsByCoordinatorCache { return cached[broker] ?? [] }
        var byBroker: [Int32: [SimGroup]] = [:]
        for id in groups.keys.sorted() {
            guard let g = groups[id] else { continue }
            byBroker[coordinator(of: g), default: []].append(g)
        }
        groupsByCoordinatorCache = byBroker
        return byBroker[broker] ?? []
    }

    /// Every group, in no particular order (as iterating `groups` gives them), without walking the
    /// dictionary on every tick.
    var groupList: [SimGroup] {
        if let cached = groupListCache { return cached }
        let list = Array(groups.values)
        groupListCache = list
        return list
    }

    /// The coordinator of `g`, computed once per group.
    func coordinator(of g: SimGroup) -> Int32 {
        if let c = g.coordinatorBroker { return c }
        let c = Self.coordinator(for: g.id, config: config)
        g.coordinatorBroker = c
        return c
    }

    /// The id of a topic.
    public func topicID(_ name: String) -> KafkaUUID? { topics[name]?.id }

    /// Appends `count` synthetic records (evenly timestamped up to now) to a partition; returns the base offset.
    @discardableResult
    public func append(topic: String, partition: Int32, count: Int, valueSize: Int = 32, spreadMs: Int64 = 0) throws(SimError) -> Int64 {
        guard let t = topics[topic] else { throw .unknownTopic(topic) }
        guard partition >= 0, Int(partition) < t.partitions.count else { throw .invalidArgument("no partition \(partition) in \(topic)") }
        guard count > 0 else { return t.partitions[Int(partition)].highWatermark }
        let now = clock.nowMs()
        return t.partitions[Int(partition)].append(
            recordCount: Int64(count), firstTimestamp: now - spreadMs, maxTimestamp: now, payload: .synthetic(valueSize: valueSize))
    }

    /// Log start offset and high watermark of a partition.
    public func offsets(topic: String, partition: Int32) -> (logStart: Int64, highWatermark: Int64)? {
        guard let t = topics[topic], partition >= 0, Int(partition) < t.partitions.count else { return nil }
        let p = t.partitions[Int(partition)]
        return (p.logStartOffset, p.highWatermark)
    }

    /// Moves a partition's log start offset (like retention or DeleteRecords).
    public func truncate(topic: String, partition: Int32, before offset: Int64) throws(SimError) {
        guard let t = topics[topic], partition >= 0, Int(partition) < t.partitions.count else { throw .unknownTopic(topic) }
        t.partitions[Int(partition)].truncate(before: offset)
    }

    /// Moves a partition's leadership to `broker` (bumping its leader epoch).
    public func moveLeader(topic: String, partition: Int32, to broker: Int32) throws(SimError) {
        guard let t = topics[topic], partition >= 0, Int(partition) < t.partitions.count else { throw .unknownTopic(topic) }
        guard brokers.contains(where: { $0.nodeID == broker }) else { throw .invalidArgument("no broker \(broker)") }
        t.partitions[Int(partition)].leader = broker
        t.partitions[Int(partition)].leaderEpoch += 1
    }

    func partitionLog(_ tp: TopicPartition) -> PartitionLog? {
        guard let t = topics[tp.topic], tp.partition >= 0, Int(tp.partition) < t.partitions.count else { return nil }
        return t.partitions[Int(tp.partition)]
    }

    /// The log of `tp` when `broker` leads it; else, with no log, the error a partition of a data
    /// request answers: UNKNOWN_TOPIC_ID (`byTopicID`, requests that name topics by id) or
    /// UNKNOWN_TOPIC_OR_PARTITION when there is no such partition, NOT_LEADER_OR_FOLLOWER when another
    /// broker leads it.
    func ledLog(_ tp: TopicPartition, on broker: Int32, byTopicID: Bool = false) -> (log: PartitionLog?, error: Int16) {
        ledLog(in: topics[tp.topic], partition: tp.partition, on: broker, byTopicID: byTopicID)
    }

    /// ``ledLog(_:on:byTopicID:)`` for partition `partition` of `topic`, already looked up (nil: no
    /// such topic), so that a request naming many partitions of one topic looks the topic up once.
    func ledLog(in topic: SimTopic?, partition: Int32, on broker: Int32, byTopicID: Bool = false) -> (log: PartitionLog?, error: Int16) {
        guard let topic, partition >= 0, Int(partition) < topic.partitions.count else {
            return (nil, byTopicID ? KafkaErrorCode.unknownTopicID.code : KafkaErrorCode.unknownTopicOrPartition.code)
        }
        let log = topic.partitions[Int(partition)]
        guard log.leader == broker else { return (nil, KafkaErrorCode.notLeaderOrFollower.code) }
        return (log, 0)
    }

    // MARK: - Offsets (scenario side)

    /// Commits an offset for `group` directly (creating an empty classic group if needed).
    public func commitOffset(group: String, topic: String, partition: Int32, offset: Int64, metadata: String? = nil) {
        let g = groups[group] ?? {
            let g = SimGroup(id: group, type: .classic)
            groups[group] = g
            return g
        }()
        g.offsets[TopicPartition(topic: topic, partition: partition)] = CommittedOffset(
            offset: offset, leaderEpoch: -1, metadata: metadata, commitTimestampMs: clock.nowMs())
    }

    /// The committed offset of a partition for `group`.
    public func committedOffset(group: String, topic: String, partition: Int32) -> Int64? {
        groups[group]?.offsets[TopicPartition(topic: topic, partition: partition)]?.offset
    }

    /// Deletes a group (only when it has no members); returns whether it was deleted.
    @discardableResult
    public func deleteGroup(_ id: String) -> Bool {
        guard let g = groups[id], g.isEmptyOfMembers else { return false }
        groups[id] = nil
        return true
    }

    // MARK: - Time

    /// Moves a ``ManualClock`` forward by `ms`, running timeouts, simulated members and producers
    /// every ``SimConfig/tickMs`` of simulated time. With another clock it just runs one tick.
    public func advance(by ms: Int64) {
        guard let manual = clock as? ManualClock else {
            tick()
            return
        }
        var left = ms
        while left > 0 {
            let step = min(left, config.tickMs)
            manual.advance(ms: step)
            left -= step
            tick()
        }
        if ms <= 0 { tick() }
    }

    /// Runs everything that is due at the clock's current time: session and rebalance timeouts,
    /// simulated members, scripted producers.
    public func tick() {
        let now = clock.nowMs()
        let elapsed = max(0, now - lastTickMs)
        lastTickMs = now
        runScheduled(now: now)
        if clock is ManualClock { runProducers(now: now, elapsedMs: elapsed) } else { runProducersOnGrid(now: now) }
        runGroupTimeouts(now: now)
        runSimulatedMembers(now: now, elapsedMs: elapsed)
        runStreamsGroups(now: now, elapsedMs: elapsed)
    }

    /// Runs the scripted producers for every step of ``SimConfig/tickMs`` that ended since they last
    /// ran, at the step's end: with a clock that is not a ``ManualClock``, ticks come a little early
    /// or late, and producing on a grid keeps a steady producer's batches as regular as a manual
    /// clock's (the log keeps such batches as one run). After a gap of more than 100 steps (a
    /// suspended process) the producers catch up in one step; after the clock went back, they wait
    /// for the next step from there.
    func runProducersOnGrid(now: Int64) {
        let step = max(1, config.tickMs)
        let grid = now - ((now % step) + step) % step
        if grid < producerGridMs {
            // The wall clock went back: start the grid again from here.
            producerGridMs = grid
            return
        }
        let steps = (grid - producerGridMs) / step
        guard steps > 0 else { return }
        if steps > 100 {
            runProducers(now: grid, elapsedMs: grid - producerGridMs)
            producerGridMs = grid
            return
        }
        for _ in 0..<steps {
            producerGridMs += step
            runProducers(now: producerGridMs, elapsedMs: step)
        }
    }

    // MARK: - Ids

    func newUUID() -> KafkaUUID { KafkaUUID.random(using: &rng) }

    /// A 22-character URL-safe base64 id, like Kafka's `Uuid.randomUuid().toString()`.
    func newMemberID() -> String { newUUID().description }
}


extension SimCluster {
    /// The leader of a partition, nil when it does not exist.
    public func partitionLeader(topic: String, partition: Int32) -> Int32? {
        partitionLog(TopicPartition(topic: topic, partition: partition))?.leader
    }
}

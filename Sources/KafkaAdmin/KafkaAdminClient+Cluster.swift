import GroupModel
import KafkaProtocol
import KafkaWire

/// Which offset ListOffsets should return.
public enum OffsetSpec: Sendable, Hashable {
    /// The log end (high watermark, or the last stable offset with read_committed).
    case latest
    /// The log start.
    case earliest
    /// The offset of the record with the highest timestamp (ListOffsets v7+).
    case maxTimestamp
    /// The first offset whose timestamp is at or after this many milliseconds since the epoch.
    case timestamp(Int64)

    /// The value sent in the request's `Timestamp`.
    var wireTimestamp: Int64 {
        switch self {
        case .latest: return -1
        case .earliest: return -2
        case .maxTimestamp: return -3
        case let .timestamp(ms): return ms
        }
    }

    /// The lowest ListOffsets version that can carry this spec.
    var minimumVersion: Int16 {
        if case .maxTimestamp = self { return 7 }
        return 1
    }
}

/// ListOffsets isolation.
public enum IsolationLevel: Int8, Sendable, Hashable {
    /// Latest = high watermark.
    case readUncommitted = 0
    /// Latest = last stable offset.
    case readCommitted = 1
}

/// One partition's listed offset.
public struct ListedOffset: Sendable, Hashable {
    /// The offset.
    public var offset: Int64
    /// The timestamp of that offset's record, nil when the broker sent -1.
    public var timestamp: Int64?
    /// The leader epoch, nil when unknown.
    public var leaderEpoch: Int32?
}

/// ListOffsets for many partitions, one request per leader.
public struct ListOffsetsResult: Sendable {
    /// Per partition: the offset or why there is none.
    public var partitions: [TopicPartition: Result<ListedOffset, AdminItemError>]
    /// Requests and bytes spent (Metadata refreshes included).
    public var stats: RequestStats
}

/// ListOffsets for many partitions, answers in the order asked.
public struct ListOffsetsInOrderResult: Sendable {
    /// One result per requested partition, at the same position: the offset or why there is none.
    public var results: [Result<ListedOffset, AdminItemError>]
    /// Requests and bytes spent (Metadata refreshes included).
    public var stats: RequestStats
}

/// How ``KafkaAdminClient/listOffsetsInOrder(_:spec:isolation:)`` last routed its partitions to
/// their leaders: reused while the partitions and Metadata's topics are the same (the poller asks
/// about the same list, from the same Metadata, every poll), so that 100,000 partitions are not
/// looked up and grouped again.
struct ListOffsetsRouting {
    /// The partitions routed: sorted, each once.
    var partitions: [TopicPartition]
    /// The Metadata topics they were routed with.
    var topics: [String: TopicInfo]
    /// Positions in ``partitions`` per leader, ascending.
    var byLeader: [Int32: [Int]]
    /// The positions that have no leader to ask, with why.
    var unroutable: [(slot: Int, error: AdminItemError)]
    /// The requests built from this routing, per leader, for the specs a poll asks again and again
    /// (LATEST every poll, EARLIEST now and then, MAX_TIMESTAMP; at most three): the same again
    /// while the routing is (``FlatListOffsetsRequest/init(asking:of:timestamp:)``). A request for
    /// a point in time is not kept: each asks at another one.
    var requests: [Int64: [Int32: FlatListOffsetsRequest]] = [:]

    /// Whether the requests for `spec` are kept (``requests``).
    static func keepsRequests(for spec: OffsetSpec) -> Bool {
        if case .timestamp = spec { return false }
        return true
    }
}

/// The cluster as DescribeCluster (or, for old brokers, Metadata) describes it.
public struct ClusterDescription: Sendable, Hashable {
    /// Cluster id.
    public var clusterID: String?
    /// Controller node id (as the broker reports it), nil when unknown.
    public var controllerID: Int32?
    /// Brokers, sorted by node id.
    public var brokers: [BrokerInfo]
    /// Node ids of fenced brokers (DescribeCluster v2+).
    public var fencedBrokers: Set<Int32>
    /// `DescribeCluster` or `Metadata`: where the answer came from.
    public var source: String
    /// Requests and bytes spent.
    public var stats: RequestStats
}

/// One configuration entry.
public struct ConfigEntry: Sendable, Hashable {
    /// The value, nil when sensitive or unset.
    public var value: String?
    /// Kafka's config source (1 dynamic topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default, ...).
    public var source: Int8
    /// Whether the value is the built-in default.
    public var isDefault: Bool { source == 5 }
    /// Whether the value is hidden.
    public var isSensitive: Bool
    /// Whether it cannot be changed dynamically.
    public var isReadOnly: Bool
}

extension ConfigEntry {
    /// Kafka's config source for a group's own dynamic config (`GROUP_CONFIG`, set with
    /// IncrementalAlterConfigs on the GROUP resource); other sources mean the broker's value applies.
    public static let groupConfigSource: Int8 = 8

    /// Whether the value was set for this group (``groupConfigSource``).
    public var isGroupOverride: Bool { source == Self.groupConfigSource }
}

/// Group configurations (KIP-848 dynamic group configs), from one DescribeConfigs.
public struct GroupConfigsResult: Sendable {
    /// Per group id: its configuration entries by name, or why there are none.
    public var groups: [String: Result<[String: ConfigEntry], AdminItemError>]
    /// Requests and bytes spent.
    public var stats: RequestStats
}

/// Broker configurations, one DescribeConfigs per broker.
public struct BrokerConfigsResult: Sendable {
    /// Per broker: its configuration entries by name, or why there are none.
    public var brokers: [Int32: Result<[String: ConfigEntry], AdminItemError>]
    /// Requests and bytes spent.
    public var stats: RequestStats
}

extension KafkaAdminClient {
    /// The broker settings that shape KIP-848 groups.
    public static let groupConsumerConfigKeys: [String] = [
        "group.consumer.heartbeat.interval.ms", "group.consumer.session.timeout.ms",
        "group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms",
        "group.consumer.max.size", "group.consumer.assignors", "group.consumer.migration.policy",
        "group.coordinator.rebalance.protocols",
    ]

    /// Offsets of `partitions` per `spec`: one ListOffsets per partition leader. Partitions whose
    /// leader moved (NOT_LEADER_OR_FOLLOWER and similar) are retried once after a Metadata refresh.
    public func listOffsets(
        _ partitions: [TopicPartition], spec: OffsetSpec, isolation: IsolationLevel = .readUncommitted
    ) async throws(KafkaAdminError) -> ListOffsetsResult {
        let listed = try await listOffsetsInOrder(partitions, spec: spec, isolation: isolation)
        var results: [TopicPartition: Result<ListedOffset, AdminItemError>] = [:]
        results.reserveCapacity(partitions.count)
        for (p, r) in zip(partitions, listed.results) { results[p] = r }
        return ListOffsetsResult(partitions: results, stats: listed.stats)
    }

    /// Like ``listOffsets(_:spec:isolation:)``, with the answers in the order of `partitions` (one
    /// per entry, duplicates included) instead of in a dictionary: what a caller that walks its own
    /// list of 100,000 partitions needs, without hashing each one again.
    public func listOffsetsInOrder(
        _ partitions: [TopicPartition], spec: OffsetSpec, isolation: IsolationLevel = .readUncommitted
    ) async throws(KafkaAdminError) -> ListOffsetsInOrderResult {
        var stats = RequestStats()
        // The distinct partitions, sorted, and where each input entry is among them. Callers (the
        // poller) usually pass a sorted list without duplicates: check in one pass instead of
        // hashing and sorting 100,000 partitions again.
        let unique: [TopicPartition]
        var slotOf: [Int]?
        if let last = lastListOffsetsRouting, last.partitions == partitions {
            // The list routed last time (the same array, as a rule): sorted and unique.
            unique = partitions
        } else if zip(partitions, partitions.dropFirst()).allSatisfy({ $0 < $1 }) {
            unique = partitions
        } else {
            unique = Array(Set(partitions)).sorted()
            var position: [TopicPartition: Int] = [:]
            position.reserveCapacity(unique.count)
            for (i, p) in unique.enumerated() { position[p] = i }
            slotOf = partitions.map { position[$0]! }
        }
        var results = [Result<ListedOffset, AdminItemError>](repeating: .failure(AdminItemError(.missingFromResponse)), count: unique.count)
        var pending = Array(unique.indices)
        for attempt in 0..<2 where !pending.isEmpty {
            let metadata: ClusterMetadata
            if attempt == 0 {
                metadata = try await ensureMetadata(&stats)
            } else {
                let (m, s) = try await fetchMetadata()
                stats.merge(s)
                metadata = m
            }
            // Slots per leader, in sorted order; the topic is looked up once per run of its partitions.
            var byLeader: [Int32: [Int]] = [:]
            // The requests built last time from the same routing, when it is reused.
            var keptRequests: [Int32: FlatListOffsetsRequest] = [:]
            if attempt == 0, var last = lastListOffsetsRouting, last.partitions == unique, last.topics == metadata.topics {
                // Routed last time with the same Metadata (the poller's usual case): no partition
                // is looked up again. The routing then holds this Metadata's topics (equal, and
                // usually the same storage), not a superseded one.
                byLeader = last.byLeader
                keptRequests = last.requests[spec.wireTimestamp] ?? [:]
                for (slot, error) in last.unroutable { results[slot] = .failure(error) }
                last.topics = metadata.topics
                lastListOffsetsRouting = last
            } else {
                var unroutable: [(slot: Int, error: AdminItemError)] = []
                var lastTopic: String?
                var topic: TopicInfo?
                for slot in pending {
                    let p = unique[slot]
                    if p.topic != lastTopic {
                        topic = metadata.topics[p.topic]
                        lastTopic = p.topic
                    }
                    guard let topic, let info = Self.partitionInfo(topic, p.partition) else {
                        unroutable.append((slot, .broker(KafkaErrorCode.unknownTopicOrPartition.code, message: "not in metadata")))
                        continue
                    }
                    guard let leader = info.leaderID else {
                        unroutable.append((slot, .broker(KafkaErrorCode.leaderNotAvailable.code)))
                        continue
                    }
                    byLeader[leader, default: []].append(slot)
                }
                for (slot, error) in unroutable { results[slot] = .failure(error) }
                if attempt == 0 {
                    lastListOffsetsRouting = ListOffsetsRouting(
                        partitions: unique, topics: metadata.topics, byLeader: byLeader, unroutable: unroutable)
                }
            }
            let batches = byLeader
            // One request per leader: the one built last time from this routing, or a new one
            // (kept for the next poll when the routing is).
            var requests: [Int32: FlatListOffsetsRequest] = [:]
            for (leader, slots) in batches {
                requests[leader] = keptRequests[leader]
                    ?? FlatListOffsetsRequest(asking: slots, of: unique, timestamp: spec.wireTimestamp)
            }
            // At the first attempt the routing kept is this one (reused or just made, above).
            if attempt == 0, ListOffsetsRouting.keepsRequests(for: spec) {
                lastListOffsetsRouting?.requests[spec.wireTimestamp] = requests
            }
            let builtRequests = requests
            let timeoutMs = Int32(clamping: config.requestTimeout.milliseconds)
            let answers = await withTaskGroup(of: (Int32, RoutedResponse<FlatListOffsetsResponse>).self) { group in
                for leader in batches.keys {
                    let built = builtRequests[leader]!
                    group.addTask {
                        let answer = await self.send(to: leader, versions: spec.minimumVersion...Caps.listOffsets.upperBound) { version in
                            var r = built
                            r.isolationLevel = version >= 2 ? isolation.rawValue : 0
                            r.timeoutMs = version >= 10 ? timeoutMs : 0
                            return r
                        }
                        return (leader, answer)
                    }
                }
                var all: [(Int32, RoutedResponse<FlatListOffsetsResponse>)] = []
                for await x in group { all.append(x) }
                return all
            }
            var retry: [Int] = []
            for (leader, answer) in answers {
                stats.merge(answer.stats)
                let slots = batches[leader] ?? []
                let answered = Self.matchAnswers(answer.result, slots: slots, unique: unique, asked: builtRequests[leader])
                // The answer's columns are bound once, not once per partition (each binding of the
                // answer retains all its columns).
                var failure: AdminItemError?
                var (errorCodes, offsets, timestamps, leaderEpochs): ([Int16], [Int64], [Int64], [Int32]) = ([], [], [], [])
                switch answer.result {
                case let .failure(e): failure = e
                case let .success(a): (errorCodes, offsets, timestamps, leaderEpochs) = (a.errorCodes, a.offsets, a.timestamps, a.leaderEpochs)
                }
                for (k, slot) in slots.enumerated() {
                    let r: Result<ListedOffset, AdminItemError>
                    if let failure {
                        r = .failure(failure)
                    } else if answered[k] >= 0 {
                        let i = answered[k]
                        if let e = AdminItemError.fromCode(errorCodes[i]) {
                            r = .failure(e)
                        } else {
                            r = .success(ListedOffset(
                                offset: offsets[i], timestamp: timestamps[i] >= 0 ? timestamps[i] : nil,
                                leaderEpoch: leaderEpochs[i] >= 0 ? leaderEpochs[i] : nil))
                        }
                    } else {
                        r = .failure(AdminItemError(.missingFromResponse))
                    }
                    if case let .failure(e) = r, case let .broker(code) = e.kind, KafkaErrorCode.staleMetadataErrors.contains(code) {
                        metadataStale = true
                        if attempt == 0 {
                            retry.append(slot)
                            continue
                        }
                    }
                    results[slot] = r
                }
            }
            pending = retry.sorted()
        }
        if let slotOf { return ListOffsetsInOrderResult(results: slotOf.map { results[$0] }, stats: stats) }
        return ListOffsetsInOrderResult(results: results, stats: stats)
    }

    /// For each requested slot, the position of its answer among the answer's partitions (-1 when
    /// the broker left it out). Brokers answer in the order asked, so the answer is walked alongside
    /// the request, each topic name compared once per run of its partitions; only an answer in
    /// another order (or with duplicates) is indexed by partition, the last entry for a partition
    /// winning.
    /// An answer that mirrors `asked` (the request for `slots`: the same topics, runs and
    /// partitions, as brokers answer) is matched position for position without a look at `unique`.
    static func matchAnswers(
        _ result: Result<FlatListOffsetsResponse, AdminItemError>, slots: [Int], unique: [TopicPartition],
        asked: FlatListOffsetsRequest? = nil
    ) -> [Int] {
        guard case let .success(r) = result else { return [] }
        if let asked, asked.partitions.count == slots.count, r.mirrors(asked) { return Array(0..<slots.count) }
        var out = [Int](repeating: -1, count: slots.count)
        var k = 0
        var inOrder = true
        var start = 0
        walk: for (name, end) in zip(r.topicNames, r.topicEnds) {
            // A requested topic string already found equal to `name` (the request's partitions of
            // one topic usually share one string, so the next ones compare by identity).
            var matched: String?
            for i in start..<end {
                guard k < slots.count, unique[slots[k]].partition == r.partitionIndexes[i] else {
                    inOrder = false
                    break walk
                }
                let asked = unique[slots[k]].topic
                if matched.map({ $0 != asked }) ?? true {
                    guard asked == name else {
                        inOrder = false
                        break walk
                    }
                    matched = asked
                }
                out[k] = i
                k += 1
            }
            start = end
        }
        if inOrder { return out }
        var answered: [TopicPartition: Int] = [:]
        start = 0
        for (name, end) in zip(r.topicNames, r.topicEnds) {
            for i in start..<end { answered[TopicPartition(topic: name, partition: r.partitionIndexes[i])] = i }
            start = end
        }
        return slots.map { answered[unique[$0]] ?? -1 }
    }

    /// A partition's metadata: by index when partitions are listed densely in order (as brokers
    /// answer), by search otherwise.
    static func partitionInfo(_ topic: TopicInfo, _ partition: Int32) -> PartitionInfo? {
        let i = Int(partition)
        if i >= 0, i < topic.partitions.count, topic.partitions[i].partition == partition { return topic.partitions[i] }
        return topic.partitions.first { $0.partition == partition }
    }

    /// DescribeCluster to one broker (Metadata for brokers without it). Throws when no broker answers.
    public func describeCluster() async throws(KafkaAdminError) -> ClusterDescription {
        var stats = RequestStats()
        let metadata = try await ensureMetadata(&stats)
        var lastError = AdminItemError(.notRoutable, message: "no broker")
        for broker in metadata.brokers {
            let answer = await send(to: broker.nodeID, versions: Caps.describeCluster) { _ in DescribeClusterRequest() }
            stats.merge(answer.stats)
            switch answer.result {
            case let .success(r):
                if let e = AdminItemError.fromCode(r.errorCode, message: r.errorMessage) {
                    throw .requestFailed(api: "DescribeCluster", error: e)
                }
                return ClusterDescription(
                    clusterID: r.clusterID, controllerID: r.controllerID >= 0 ? r.controllerID : nil,
                    brokers: r.brokers.map { BrokerInfo(nodeID: $0.brokerID, host: $0.host, port: Int($0.port), rack: $0.rack) }.sorted(),
                    fencedBrokers: Set(r.brokers.filter(\.isFenced).map(\.brokerID)), source: "DescribeCluster", stats: stats)
            case let .failure(e) where e.kind == .unsupportedVersion:
                let (m, s) = try await fetchMetadata()
                stats.merge(s)
                return ClusterDescription(
                    clusterID: m.clusterID, controllerID: m.controllerID, brokers: m.brokers, fencedBrokers: [],
                    source: "Metadata", stats: stats)
            case let .failure(e):
                lastError = e
            }
        }
        throw .requestFailed(api: "DescribeCluster", error: lastError)
    }

    /// The dynamic group configs that shape a KIP-848 group's rebalance limits.
    public static let groupConfigKeys: [String] = ["consumer.session.timeout.ms", "consumer.heartbeat.interval.ms"]

    /// The configs of `groupIDs` (resource type GROUP = 32): one DescribeConfigs with every group in
    /// it, to the first broker that answers (any broker serves group configs), limited to `keys`
    /// when given (e.g. ``groupConfigKeys``). Throws when no broker answers.
    public func describeGroupConfigs(_ groupIDs: [String], keys: [String]? = nil) async throws(KafkaAdminError) -> GroupConfigsResult {
        var stats = RequestStats()
        guard !groupIDs.isEmpty else { return GroupConfigsResult(groups: [:], stats: stats) }
        let metadata = try await ensureMetadata(&stats)
        var lastError = AdminItemError(.notRoutable, message: "no broker")
        for broker in metadata.brokers {
            let answer = await send(to: broker.nodeID, versions: Caps.describeConfigs) { _ in
                DescribeConfigsRequest(resources: groupIDs.map {
                    DescribeConfigsRequest.DescribeConfigsResource(resourceType: 32, resourceName: $0, configurationKeys: keys)
                })
            }
            stats.merge(answer.stats)
            switch answer.result {
            case let .failure(e):
                lastError = e
            case let .success(r):
                var groups: [String: Result<[String: ConfigEntry], AdminItemError>] = [:]
                for resource in r.results where resource.resourceType == 32 {
                    if let e = AdminItemError.fromCode(resource.errorCode, message: resource.errorMessage) {
                        groups[resource.resourceName] = .failure(e)
                        continue
                    }
                    var entries: [String: ConfigEntry] = [:]
                    for c in resource.configs {
                        entries[c.name] = ConfigEntry(value: c.value, source: c.configSource, isSensitive: c.isSensitive, isReadOnly: c.readOnly)
                    }
                    groups[resource.resourceName] = .success(entries)
                }
                for id in groupIDs where groups[id] == nil { groups[id] = .failure(AdminItemError(.missingFromResponse)) }
                return GroupConfigsResult(groups: groups, stats: stats)
            }
        }
        throw .requestFailed(api: "DescribeConfigs", error: lastError)
    }

    /// One DescribeConfigs per broker for its own BROKER resource (all brokers when `nodeIDs` is nil),
    /// limited to `keys` when given (e.g. ``groupConsumerConfigKeys``).
    public func describeBrokerConfigs(nodeIDs: [Int32]? = nil, keys: [String]? = nil) async throws(KafkaAdminError) -> BrokerConfigsResult {
        var stats = RequestStats()
        let metadata = try await ensureMetadata(&stats)
        let nodes = nodeIDs ?? metadata.brokers.map(\.nodeID)
        let answers = await withTaskGroup(of: (Int32, RoutedResponse<DescribeConfigsResponse>).self) { group in
            for node in nodes {
                group.addTask {
                    (node, await self.send(to: node, versions: Caps.describeConfigs) { _ in
                        DescribeConfigsRequest(resources: [
                            DescribeConfigsRequest.DescribeConfigsResource(resourceType: 4, resourceName: String(node), configurationKeys: keys)
                        ])
                    })
                }
            }
            var all: [(Int32, RoutedResponse<DescribeConfigsResponse>)] = []
            for await x in group { all.append(x) }
            return all
        }
        var brokers: [Int32: Result<[String: ConfigEntry], AdminItemError>] = [:]
        for (node, answer) in answers {
            stats.merge(answer.stats)
            switch answer.result {
            case let .failure(e): brokers[node] = .failure(e)
            case let .success(r):
                guard let resource = r.results.first else {
                    brokers[node] = .failure(AdminItemError(.missingFromResponse))
                    continue
                }
                if let e = AdminItemError.fromCode(resource.errorCode, message: resource.errorMessage) {
                    brokers[node] = .failure(e)
                    continue
                }
                var entries: [String: ConfigEntry] = [:]
                for c in resource.configs {
                    entries[c.name] = ConfigEntry(value: c.value, source: c.configSource, isSensitive: c.isSensitive, isReadOnly: c.readOnly)
                }
                brokers[node] = .success(entries)
            }
        }
        return BrokerConfigsResult(brokers: brokers, stats: stats)
    }
}

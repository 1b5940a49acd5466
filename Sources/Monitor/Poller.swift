import GroupModel
import KafkaAdmin
import KafkaWire

/// What one poll produced: the snapshot and what it cost.
public struct PollOutcome: Sendable {
    /// The cluster as seen by this poll.
    public var snapshot: ClusterSnapshot
    /// Requests and bytes per API spent by this poll.
    public var stats: RequestStats
}

/// Runs one poll cycle against a cluster (ARCHITECTURE "one poll cycle"): Metadata, ListGroups to
/// every broker, batched FindCoordinator, per coordinator one describe per protocol and one
/// OffsetFetch, per leader one ListOffsets. The number of requests grows with brokers, not groups.
public actor Poller {
    /// The admin client the poller sends through.
    public let admin: KafkaAdminClient
    /// ListOffsets EARLIEST is asked every this many polls (log start moves slowly).
    public let earliestEvery: Int
    private var pollCount = 0
    private var earliest: [PartitionID: Int64] = [:]
    private let now: @Sendable () -> Int64

    /// Creates a poller.
    /// - Parameters:
    ///   - now: wall-clock milliseconds since the epoch (injected so tests can use a manual clock).
    public init(admin: KafkaAdminClient, earliestEvery: Int = 12, now: @escaping @Sendable () -> Int64) {
        self.admin = admin
        self.earliestEvery = max(1, earliestEvery)
        self.now = now
    }

    /// Polls the cluster once. Throws only when nothing could be observed (no broker answered,
    /// authentication failed); every per-broker, per-group and per-partition failure is in the
    /// snapshot's errors or on the item itself.
    public func poll() async throws(KafkaAdminError) -> PollOutcome {
        let started = now()
        let clock = ContinuousClock()
        let t0 = clock.now
        var stats = RequestStats()
        var errors: [PollError] = []

        let metadata = try await admin.metadata()
        var topicNames: [KafkaUUID: String] = [:]
        for (name, t) in metadata.topics where !t.topicID.isZero { topicNames[t.topicID] = name }

        // 1. Every broker lists the groups it coordinates.
        let listing = try await admin.listGroups()
        stats.merge(listing.stats)
        var unreachable: Set<Int32> = []
        for (node, error) in listing.errors.sorted(by: { $0.key < $1.key }) {
            unreachable.insert(node)
            errors.append(PollError(
                scope: .broker, operation: "ListGroups", brokerID: node,
                kafkaError: PollConversion.itemError(error), message: "broker \(node): \(error)"))
        }
        let listed = listing.groups

        // 2. Describe (FindCoordinator batched inside) and fetch committed offsets, concurrently.
        let describable = listed.filter { g in
            guard let type = g.type else { return true }
            return type == "consumer" || type == "classic"
        }
        async let describedCall = admin.describeGroups(describable.map(GroupTarget.init))
        async let offsetsCall = admin.fetchOffsets(groupIDs: listed.map(\.groupID))
        let described: DescribeGroupsResult
        let offsets: FetchOffsetsResult
        do {
            described = try await describedCall
            offsets = try await offsetsCall
        } catch let error as KafkaAdminError {
            throw error
        } catch {
            // Both calls throw only KafkaAdminError; anything else is a cancellation.
            throw KafkaAdminError.closed
        }
        stats.merge(described.stats)
        stats.merge(offsets.stats)

        var consumerInputs: [DescribedConsumerGroupInput] = []
        var classicInputs: [DescribedClassicGroupInput] = []
        var coordinators: [String: Int32] = [:]
        let listedByID = Dictionary(listed.map { ($0.groupID, $0) }, uniquingKeysWith: { a, _ in a })
        for (groupID, r) in described.groups.sorted(by: { $0.key < $1.key }) {
            if let c = r.coordinatorID { coordinators[groupID] = c }
            switch r.result {
            case let .success(.consumer(g, version)):
                consumerInputs.append(PollConversion.consumerGroup(g, apiVersion: version, topicNames: topicNames))
            case let .success(.classic(g, _)):
                classicInputs.append(PollConversion.classicGroup(g))
            case let .failure(error):
                let item = PollConversion.itemError(error)
                let state = listedByID[groupID]?.state.map { GroupState(brokerString: $0) } ?? .unknown("")
                if listedByID[groupID]?.type == "consumer" {
                    consumerInputs.append(DescribedConsumerGroupInput(groupID: groupID, error: item, state: state, groupEpoch: -1, assignmentEpoch: -1))
                } else {
                    classicInputs.append(DescribedClassicGroupInput(groupID: groupID, error: item, state: state, protocolType: listedByID[groupID]?.protocolType))
                }
                errors.append(PollError(scope: .group, operation: "describe", groupID: groupID, kafkaError: item, message: "\(groupID): \(error)"))
            }
        }
        var committedInputs: [CommittedOffsetsInput] = []
        for (groupID, r) in offsets.groups.sorted(by: { $0.key < $1.key }) {
            if coordinators[groupID] == nil, let c = r.coordinatorID { coordinators[groupID] = c }
            switch r.result {
            case let .success(o):
                committedInputs.append(PollConversion.committed(o))
            case let .failure(error):
                let item = PollConversion.itemError(error)
                committedInputs.append(CommittedOffsetsInput(groupID: groupID, error: item))
                errors.append(PollError(scope: .group, operation: "OffsetFetch", groupID: groupID, kafkaError: item, message: "\(groupID): \(error)"))
            }
        }

        // 3. Log offsets for every partition of the topics the groups touch.
        var topics: Set<String> = []
        for g in consumerInputs {
            for m in g.members {
                topics.formUnion(m.subscribedTopicNames)
                topics.formUnion(m.assignment.map(\.topic))
                topics.formUnion(m.targetAssignment.map(\.topic))
            }
        }
        for g in classicInputs {
            for m in g.members {
                topics.formUnion(m.subscription?.topics ?? [])
                topics.formUnion((m.assignment ?? []).map(\.topic))
            }
        }
        for c in committedInputs { topics.formUnion(c.offsets.map(\.topicPartition.topic)) }
        var partitions: [PartitionID] = []
        for name in topics.sorted() {
            guard let t = metadata.topics[name] else { continue }
            for p in t.partitions { partitions.append(PartitionID(topic: name, partition: p.partition)) }
        }
        var logInputs: [LogOffsetsInput] = []
        if !partitions.isEmpty {
            let latest = try await admin.listOffsets(partitions, spec: .latest)
            stats.merge(latest.stats)
            let needEarliest = pollCount % earliestEvery == 0 || partitions.contains { earliest[$0] == nil }
            if needEarliest {
                let e = try await admin.listOffsets(partitions, spec: .earliest)
                stats.merge(e.stats)
                for (p, r) in e.partitions { if case let .success(o) = r { earliest[p] = o.offset } }
            }
            var failedTopics: [String: (AdminItemError, Int)] = [:]
            for p in partitions {
                let leader = metadata.leader(of: p)
                switch latest.partitions[p] {
                case let .success(o)?:
                    logInputs.append(LogOffsetsInput(
                        topicPartition: TopicPartition(topic: p.topic, partition: p.partition),
                        logStart: earliest[p], logEnd: o.offset, leader: leader))
                case let .failure(error)?:
                    logInputs.append(LogOffsetsInput(
                        topicPartition: TopicPartition(topic: p.topic, partition: p.partition),
                        logStart: earliest[p], leader: leader, error: PollConversion.itemError(error)))
                    failedTopics[p.topic, default: (error, 0)].1 += 1
                case nil:
                    logInputs.append(LogOffsetsInput(
                        topicPartition: TopicPartition(topic: p.topic, partition: p.partition),
                        logStart: earliest[p], leader: leader,
                        error: ItemError(code: -1, name: "MISSING", message: "no answer for this partition")))
                }
            }
            // One error per topic, not one per partition: a leader that is down fails them all.
            for (topic, (error, count)) in failedTopics.sorted(by: { $0.key < $1.key }) {
                errors.append(PollError(
                    scope: .topic, operation: "ListOffsets", topic: topic, kafkaError: PollConversion.itemError(error),
                    message: "\(topic): log end unknown for \(count) partition(s): \(error)"))
            }
        }
        pollCount += 1

        let listedInputs = listed.map { PollConversion.listed($0, coordinatorID: coordinators[$0.groupID]) }
        let groups = GroupAssembler.assemble(
            listed: listedInputs, consumerGroups: consumerInputs, classicGroups: classicInputs,
            committed: committedInputs, logOffsets: logInputs)
        var topicIDs: [String: String] = [:]
        for (name, t) in metadata.topics where !t.topicID.isZero { topicIDs[name] = t.topicID.description }
        let brokers = metadata.brokers.map { b in
            GroupModel.BrokerInfo(
                nodeID: b.nodeID, host: b.host, port: Int32(clamping: b.port), rack: b.rack,
                reachable: !unreachable.contains(b.nodeID),
                error: listing.errors[b.nodeID].map { "\($0)" })
        }
        let cluster = ClusterInfo(
            clusterID: metadata.clusterID, controllerID: metadata.controllerID, brokers: brokers,
            finalizedFeatures: metadata.finalizedFeatures)
        let elapsed = clock.now - t0
        let snapshot = ClusterSnapshot(
            takenAt: started, pollDurationMs: elapsed.milliseconds, cluster: cluster,
            topics: GroupAssembler.topics(from: logInputs, topicIDs: topicIDs), groups: groups, errors: errors)
        return PollOutcome(snapshot: snapshot, stats: stats)
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}

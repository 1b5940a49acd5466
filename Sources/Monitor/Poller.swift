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
    /// The last poll's partition list and their log starts (nil when unknown), by position.
    private var earliest: (partitions: [TopicPartition], starts: [Int64?])?
    /// What the polls derive from Metadata, kept while its topics stay the same.
    private var tables: MetadataTables?
    /// The members the last poll assembled, handed out again for groups whose described members
    /// are the same storage (the admin client's reading of an unchanged answer); nothing when the
    /// poller was made with `remembersAssembly` false.
    private var assembly: AssemblyMemory
    private let now: @Sendable () -> Int64

    /// Creates a poller.
    /// - Parameters:
    ///   - remembersAssembly: whether each poll keeps what it assembled (members and row layouts)
    ///     for the next (``GroupModel/AssemblyMemory``). Pass false when only one poll is taken
    ///     (`kgtop snapshot`): nothing is kept that no poll would read. Polls return the same
    ///     either way.
    ///   - now: wall-clock milliseconds since the epoch (injected so tests can use a manual clock).
    public init(
        admin: KafkaAdminClient, earliestEvery: Int = 12, remembersAssembly: Bool = true,
        now: @escaping @Sendable () -> Int64
    ) {
        self.admin = admin
        self.earliestEvery = max(1, earliestEvery)
        assembly = AssemblyMemory(remembering: remembersAssembly)
        self.now = now
    }

    /// How many groups' members the poller keeps from its last poll (0 when it remembers nothing).
    public var rememberedGroupCount: Int { assembly.groupCount }

    /// Walks `listed` (sorted, each id once) beside the answers about a part of it, asked in the
    /// same order (`ids`), and hands each answer with its group's position in `listed` to `body`:
    /// no id is hashed. Each answer is taken out of `results` (its slot gets `placeholder`), so the
    /// decoded answers are let go as they are converted rather than all kept to the end; `body` gets
    /// it as its own (inout), so that it can move the parts it keeps instead of copying them.
    static func walk<Answer>(
        _ listed: [ListedGroup], beside ids: [String], taking results: inout [Answer], placeholder: Answer,
        _ body: (Int, inout Answer) -> Void
    ) {
        var next = 0
        for i in listed.indices {
            guard next < ids.count, ids[next] == listed[i].groupID else { continue }
            // Swapped out, not copied: the answer moves to `body` without a retain or release.
            var answer = placeholder
            swap(&answer, &results[next])
            next += 1
            body(i, &answer)
        }
    }

    /// Describes `targets` and fetches the committed offsets of `offsetIDs`, concurrently.
    ///
    /// The results come back as their only copies: an `async let` keeps its value until its scope
    /// ends, so awaited inside `poll()` each result would stay referenced to the end of the poll,
    /// every decoded answer with it (and letting the answers go one by one would first copy the
    /// whole list of results).
    static func describeAndFetch(
        _ admin: KafkaAdminClient, _ targets: [GroupTarget], offsetsOf offsetIDs: [String], topicNames: MetadataTopicNames
    ) async throws(KafkaAdminError) -> (DescribeGroupsResult, FetchOffsetsResult) {
        async let describedCall = admin.describeGroups(targets, topicNames: topicNames)
        async let offsetsCall = admin.fetchOffsets(groupIDs: offsetIDs, topicNames: topicNames)
        do {
            let described = try await describedCall
            let offsets = try await offsetsCall
            return (described, offsets)
        } catch let error as KafkaAdminError {
            throw error
        } catch {
            // Both calls throw only KafkaAdminError; anything else is a cancellation.
            throw KafkaAdminError.closed
        }
    }

    /// Tells the poller the labels a ``GroupModel/MemberLabeler`` wrote into the members of a
    /// snapshot this poller assembled (``GroupModel/AssemblyMemory/adoptLabels(of:)``): the next
    /// poll hands out those members already labelled, so that labelling does not copy them. The
    /// monitor calls it after each derivation; nothing else changes what a poll returns.
    public func adoptLabels(of groups: [Group]) {
        assembly.adoptLabels(of: groups)
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

        await admin.resetBackoff()
        let metadata = try await admin.metadata()
        // What the poll derives from Metadata, kept while Metadata's topics are unchanged: the
        // describe answers are read with its names (ids resolved, names interned), so a topic's
        // name is the same string from poll to poll.
        let tables: MetadataTables
        if let kept = self.tables, kept.matches(metadata.topics) {
            tables = kept
        } else {
            tables = MetadataTables(metadata.topics)
            self.tables = tables
        }
        let topicNames = tables.topicNames

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
        if !metadata.brokers.isEmpty, metadata.brokers.allSatisfy({ listing.errors[$0.nodeID] != nil }) {
            // Not one broker answered: this poll observed nothing (the metadata is cached). The
            // monitor keeps the last good snapshot rather than showing an empty cluster.
            throw .noBrokerReachable(
                addresses: metadata.brokers.map(\.address.description), timeout: admin.config.connectionSetupTimeout,
                causes: listing.errors.sorted { $0.key < $1.key }.map { "broker \($0.key): \($0.value)" })
        }

        // 2. Describe (FindCoordinator batched inside) and fetch committed offsets, concurrently.
        // A share group commits no offsets: OffsetFetch is not asked about it.
        let describable = listed.filter { g in
            guard let type = g.type else { return true }
            return type == "consumer" || type == "classic" || type == "share" || type == "streams"
        }
        var (described, offsets) = try await Self.describeAndFetch(
            admin, describable.map(GroupTarget.init), offsetsOf: listed.filter { $0.type != "share" }.map(\.groupID),
            topicNames: topicNames)
        stats.merge(described.stats)
        stats.merge(offsets.stats)

        var consumerInputs: [DescribedConsumerGroupInput] = []
        var classicInputs: [DescribedClassicGroupInput] = []
        var shareInputs: [DescribedShareGroupInput] = []
        var streamsInputs: [DescribedStreamsGroupInput] = []
        // A describe API the coordinator lacks is said once per poll, not once per group.
        var unsupported: [String: AdminItemError] = [:]
        // Each listed group's coordinator, by position in `listed`.
        var coordinators = [Int32?](repeating: nil, count: listed.count)
        consumerInputs.reserveCapacity(described.ids.count)
        classicInputs.reserveCapacity(described.ids.count)
        // In id order: `listed` is sorted and unique, and the groups asked about are a part of it
        // in the same order, so the answers are matched by walking both lists (no id is hashed).
        // Each decoded answer is let go as soon as it is converted (its slot takes a shared
        // placeholder), so the decoded answers and their conversions are not all alive at once.
        let taken = GroupDescriptionResult(coordinatorID: nil, result: .failure(AdminItemError(.missingFromResponse)))
        let movedOut = AdminItemError(.missingFromResponse)
        Self.walk(listed, beside: described.ids, taking: &described.results, placeholder: taken) { i, answer in
            let groupID = listed[i].groupID
            if let c = answer.coordinatorID { coordinators[i] = c }
            // Moved out of the answer: a group bound from it is then moved into the inputs, not
            // copied (every field retained) and the answer's copy released.
            var result: Result<GroupDescription, AdminItemError> = .failure(movedOut)
            swap(&result, &answer.result)
            switch consume result {
            case let .success(.consumer(g, _)):
                consumerInputs.append(g)
            case let .success(.classic(g, _)):
                classicInputs.append(g)
            case let .success(.share(g, _)):
                shareInputs.append(PollConversion.shareGroup(g, topicNames: topicNames.byID))
            case let .success(.streams(g, _)):
                streamsInputs.append(PollConversion.streamsGroup(g))
            case let .failure(error) where KafkaAdminClient.isDescribeUnsupported(error)
                && (listed[i].type == "share" || listed[i].type == "streams"):
                // Listed, not described: the group keeps what ListGroups said, with no error of its own.
                unsupported[listed[i].type ?? ""] = error
            case let .failure(error):
                let item = PollConversion.itemError(error)
                let state = listed[i].state.map { GroupState(brokerString: $0) } ?? .unknown("")
                if listed[i].type == "share" {
                    shareInputs.append(DescribedShareGroupInput(groupID: groupID, error: item, state: state, groupEpoch: -1, assignmentEpoch: -1))
                } else if listed[i].type == "streams" {
                    streamsInputs.append(DescribedStreamsGroupInput(groupID: groupID, error: item, state: state, groupEpoch: -1, assignmentEpoch: -1))
                } else if listed[i].type == "consumer" {
                    consumerInputs.append(DescribedConsumerGroupInput(groupID: groupID, error: item, state: state, groupEpoch: -1, assignmentEpoch: -1))
                } else {
                    classicInputs.append(DescribedClassicGroupInput(groupID: groupID, error: item, state: state, protocolType: listed[i].protocolType))
                }
                errors.append(PollError(
                    scope: .group, operation: "describe", brokerID: coordinators[i], groupID: groupID, kafkaError: item,
                    message: "\(groupID): \(error)"))
            }
        }
        for (type, error) in unsupported.sorted(by: { $0.key < $1.key }) {
            errors.append(PollError(
                scope: .cluster, operation: type == "share" ? "ShareGroupDescribe" : "StreamsGroupDescribe",
                kafkaError: PollConversion.itemError(error), message: error.message ?? "\(error)"))
        }
        // OffsetFetch answers are read straight into the assembler's input, with the listed group's
        // id (the string asked with): each is moved from the results into the inputs.
        var committedInputs: [CommittedOffsetsInput] = []
        committedInputs.reserveCapacity(offsets.ids.count)
        let takenOffsets: (coordinatorID: Int32?, result: Result<CommittedOffsetsInput, AdminItemError>) =
            (nil, .failure(AdminItemError(.missingFromResponse)))
        Self.walk(listed, beside: offsets.ids, taking: &offsets.results, placeholder: takenOffsets) { i, answer in
            let groupID = listed[i].groupID
            if coordinators[i] == nil, let c = answer.coordinatorID { coordinators[i] = c }
            var result: Result<CommittedOffsetsInput, AdminItemError> = .failure(movedOut)
            swap(&result, &answer.result)
            switch consume result {
            case let .success(o):
                committedInputs.append(o)
            case let .failure(error):
                let item = PollConversion.itemError(error)
                committedInputs.append(CommittedOffsetsInput(groupID: groupID, error: item))
                errors.append(PollError(
                    scope: .group, operation: "OffsetFetch", brokerID: answer.coordinatorID ?? coordinators[i], groupID: groupID,
                    kafkaError: item, message: "\(groupID): \(error)"))
            }
        }

        // The decoded answers are converted (and each already let go): free the lists too.
        described.results = []
        offsets.results = []

        // 3. Log offsets for every partition of the topics the groups touch (those Metadata lists),
        // marked by topic number. Member and offset lists are sorted by topic: a name is looked up
        // once per run, not once per partition.
        var wanted = [Bool](repeating: false, count: tables.sortedNames.count)
        // The last name looked up, kept across lists: a group's members and commits usually name the
        // same topic one after another, so most names are passed over by comparing them with it
        // (the same string storage, as names are interned: a comparison of two words).
        var last = ""
        func want(_ name: String) {
            guard name != last else { return }
            last = name
            if let n = tables.numbers[name] { wanted[n] = true }
        }
        // Lists are read in place (a copied element, member or group would retain all its fields).
        func collect(_ list: UnsafeBufferPointer<TopicPartition>) {
            for i in list.indices where list[i].topic != last { want(list[i].topic) }
        }
        func collect(_ list: [TopicPartition]) { list.withUnsafeBufferPointer { collect($0) } }
        // Members of a group usually subscribe to the same topics: skip a list equal to the last one.
        var lastSubscription: [String] = []
        func subscribe(_ names: [String]) {
            guard names != lastSubscription else { return }
            for name in names { want(name) }
            lastSubscription = names
        }
        for g in consumerInputs.indices {
            consumerInputs[g].members.withUnsafeBufferPointer { members in
                for m in members.indices {
                    subscribe(members[m].subscribedTopicNames)
                    collect(members[m].assignment)
                    collect(members[m].targetAssignment)
                }
            }
        }
        for g in classicInputs.indices {
            classicInputs[g].members.withUnsafeBufferPointer { members in
                for m in members.indices {
                    if let topics = members[m].subscription?.topics { subscribe(topics) }
                    if let assignment = members[m].assignment { collect(assignment) }
                }
            }
        }
        for g in shareInputs {
            for m in g.members {
                subscribe(m.subscribedTopicNames)
                collect(m.assignment)
            }
        }
        for g in streamsInputs {
            for s in g.subtopologies { subscribe(s.sourceTopics) }
        }
        // A group's committed offsets are in (topic, partition) order (as `fetchOffsets` gives
        // them): each topic's run is passed over by a binary search for its end, so a group
        // committing to one topic is read at its two ends, not at each of its partitions.
        for c in committedInputs.indices {
            committedInputs[c].offsets.withUnsafeBufferPointer { offsets in
                var o = 0
                while o < offsets.count {
                    let topic = offsets[o].topicPartition.topic
                    want(topic)
                    var low = o + 1
                    var high = offsets.count
                    while low < high {
                        let middle = low + (high - low) / 2
                        if offsets[middle].topicPartition.topic == topic { low = middle + 1 } else { high = middle }
                    }
                    o = low
                }
            }
        }
        // Sorted by topic then partition, with each partition's leader from the same Metadata entry;
        // the same arrays as the last poll's while the topics and Metadata stay the same.
        let selection = tables.partitions(of: wanted)
        let partitions = selection.partitions
        let leaders = selection.leaders
        var logInputs: [LogOffsetsInput] = []
        if !partitions.isEmpty {
            let latest = try await admin.listOffsetsInOrder(partitions, spec: .latest)
            stats.merge(latest.stats)
            // Log starts by position: reused as they are while the partition list stays the same
            // (the usual case), instead of 100,000 dictionary lookups per poll.
            var starts: [Int64?]
            if let cached = earliest, cached.partitions == partitions {
                starts = cached.starts
            } else if let cached = earliest {
                var byPartition: [TopicPartition: Int64] = [:]
                byPartition.reserveCapacity(cached.partitions.count)
                for (p, start) in zip(cached.partitions, cached.starts) { byPartition[p] = start }
                starts = partitions.map { byPartition[$0] }
            } else {
                starts = Array(repeating: nil, count: partitions.count)
            }
            if pollCount % earliestEvery == 0 || starts.contains(where: { $0 == nil }) {
                let e = try await admin.listOffsetsInOrder(partitions, spec: .earliest)
                stats.merge(e.stats)
                for (i, r) in e.results.enumerated() {
                    if case let .success(o) = r {
                        starts[i] = o.offset
                    }
                }
            }
            earliest = (partitions, starts)
            logInputs.reserveCapacity(partitions.count)
            // Per topic: the first error, how many partitions failed, and their leader when they share one.
            var failedTopics: [String: (error: AdminItemError, count: Int, leader: Int32?)] = [:]
            for (i, tp) in partitions.enumerated() {
                switch latest.results[i] {
                case let .success(o):
                    logInputs.append(LogOffsetsInput(topicPartition: tp, logStart: starts[i], logEnd: o.offset, leader: leaders[i]))
                case let .failure(error):
                    logInputs.append(LogOffsetsInput(
                        topicPartition: tp, logStart: starts[i], leader: leaders[i], error: PollConversion.itemError(error)))
                    if var failed = failedTopics[tp.topic] {
                        failed.count += 1
                        if failed.leader != leaders[i] { failed.leader = nil }
                        failedTopics[tp.topic] = failed
                    } else {
                        failedTopics[tp.topic] = (error, 1, leaders[i])
                    }
                }
            }
            // One error per topic, not one per partition: a leader that is down fails them all.
            for (topic, failed) in failedTopics.sorted(by: { $0.key < $1.key }) {
                errors.append(PollError(
                    scope: .topic, operation: "ListOffsets", brokerID: failed.leader, topic: topic,
                    kafkaError: PollConversion.itemError(failed.error),
                    message: "\(topic): log end unknown for \(failed.count) partition(s): \(failed.error)"))
            }
        }
        pollCount += 1

        var listedInputs = listed.indices.map { PollConversion.listed(listed[$0], coordinatorID: coordinators[$0]) }
        let groups = GroupAssembler.assemble(
            listed: listedInputs, consumerGroups: consumerInputs, classicGroups: classicInputs,
            shareGroups: shareInputs, streamsGroups: streamsInputs, committed: committedInputs, logOffsets: logInputs,
            memory: &assembly)
        // The assembler's inputs are let go before the topics are built from the log offsets, so
        // that the decoded answers and the topic list are not alive together.
        listedInputs = []
        consumerInputs = []
        classicInputs = []
        shareInputs = []
        streamsInputs = []
        committedInputs = []
        let brokers = metadata.brokers.map { b in
            GroupModel.BrokerInfo(
                nodeID: b.nodeID, host: b.host, port: Int32(clamping: b.port), rack: b.rack,
                reachable: !unreachable.contains(b.nodeID),
                error: listing.errors[b.nodeID].map { "\($0)" })
        }
        let cluster = ClusterInfo(
            clusterID: metadata.clusterID, controllerID: metadata.controllerID, brokers: brokers,
            finalizedFeatures: metadata.finalizedFeatures)
        let topicInfos = GroupAssembler.topics(from: logInputs, topicIDsInOrder: selection.topicIDs)
        let elapsed = clock.now - t0
        // The assembler returns groups and topics in canonical order already: set them after
        // creating the snapshot, so that `ClusterSnapshot.init` does not copy and re-sort 100,000
        // partition rows and every member's lists a second time.
        var snapshot = ClusterSnapshot(
            takenAt: started, pollDurationMs: elapsed.milliseconds, cluster: cluster, errors: errors)
        snapshot.topics = topicInfos
        snapshot.groups = groups
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

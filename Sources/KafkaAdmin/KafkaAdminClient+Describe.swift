import GroupModel
import KafkaProtocol
import KafkaWire

// Describing groups on their coordinators: ConsumerGroupDescribe for KIP-848 groups, DescribeGroups
// for classic ones (and as the fallback), by each target's type. Share and streams groups are in
// KafkaAdminClient+ShareStreams.swift.

extension KafkaAdminClient {
    /// One ConsumerGroupDescribe (v1 when available) to `nodeID` for all `groupIDs`, read flat
    /// (``FlatConsumerGroupDescribeResponse``) with `topicNames` (the cached Metadata's when nil);
    /// a group's id is the string of `groupIDs` (when the answer lists the groups in the order asked).
    public func describeConsumerGroups(
        _ groupIDs: [String], on nodeID: Int32, topicNames: MetadataTopicNames? = nil
    ) async -> PerGroupResult<DescribedConsumerGroupInput> {
        let ids = Self.uniqueSorted(groupIDs)
        let names = topicNames ?? MetadataTopicNames(metadataCache)
        let last = lastConsumerAnswer[nodeID]
        let answer = await send(to: nodeID, versions: Caps.consumerGroupDescribe) { version in
            FlatConsumerGroupDescribeRequest(
                ConsumerGroupDescribeRequest(groupIDs: ids), topicNames: names,
                askedIDs: AskedIDs(ids: ids, guidedBy: last, version: version, topicNames: names, guides: \.lastConsumer))
        }
        if remembersAnswers, case let .success(r) = answer.result, let version = answer.version {
            lastConsumerAnswer[nodeID] = LastDescribeAnswer(groups: r.groups, source: r.source, version: version, topicsByID: names.byID)
        }
        let groups = Self.perGroup(
            ids, answer.result.map(\.groups), id: { $0.pointee.groupID }, code: { $0.pointee.error?.code ?? 0 }, message: { $0.pointee.error?.message })
        return PerGroupResult(ids: ids, results: groups, version: answer.version, stats: answer.stats)
    }

    /// One DescribeGroups to `nodeID` for all `groupIDs`, read flat (``FlatDescribeGroupsResponse``)
    /// with `topicNames` (the cached Metadata's when nil); a group's id is the string of `groupIDs`
    /// (when the answer lists the groups in the order asked).
    public func describeClassicGroups(
        _ groupIDs: [String], on nodeID: Int32, topicNames: MetadataTopicNames? = nil
    ) async -> PerGroupResult<DescribedClassicGroupInput> {
        let ids = Self.uniqueSorted(groupIDs)
        let names = topicNames ?? MetadataTopicNames(metadataCache)
        let last = lastClassicAnswer[nodeID]
        let answer = await send(to: nodeID, versions: Caps.describeGroups) { version in
            FlatDescribeGroupsRequest(
                DescribeGroupsRequest(groups: ids), topicNames: names,
                askedIDs: AskedIDs(ids: ids, guidedBy: last, version: version, topicNames: names, guides: \.lastClassic))
        }
        if remembersAnswers, case let .success(r) = answer.result, let version = answer.version {
            lastClassicAnswer[nodeID] = LastDescribeAnswer(groups: r.groups, source: r.source, version: version, topicsByID: names.byID)
        }
        let groups = Self.perGroup(
            ids, answer.result.map(\.groups), id: { $0.pointee.groupID }, code: { $0.pointee.error?.code ?? 0 }, message: { $0.pointee.error?.message })
        return PerGroupResult(ids: ids, results: groups, version: answer.version, stats: answer.stats)
    }

    /// Describes groups on their coordinators: per coordinator one ConsumerGroupDescribe for
    /// `consumer` groups, one DescribeGroups for `classic` groups, one ShareGroupDescribe for
    /// `share` groups and one StreamsGroupDescribe for `streams` groups (by ``GroupTarget/type``).
    ///
    /// Falls back as Kafka's admin client does: a group ConsumerGroupDescribe answers with
    /// GROUP_ID_NOT_FOUND or UNSUPPORTED_VERSION (or with impossible epochs) is retried with
    /// DescribeGroups, and a group DescribeGroups reports Dead or not found is retried with
    /// ConsumerGroupDescribe when the coordinator has it. Coordinator errors refresh the
    /// coordinator and retry once.
    ///
    /// Topic names in the answers are resolved and interned with `topicNames` (the cached
    /// Metadata's when nil): the poller passes the names of the Metadata its poll started from.
    public func describeGroups(
        _ targets: [GroupTarget], topicNames: MetadataTopicNames? = nil
    ) async throws(KafkaAdminError) -> DescribeGroupsResult {
        // Targets in id order without repeats (what the poller passes) keep that order; others are
        // sorted, a repeated id keeping its first target.
        var sorted = targets
        if !Self.isStrictlyAscending(targets.map(\.groupID)) {
            var seen = Set<String>()
            sorted = targets.filter { seen.insert($0.groupID).inserted }.sorted { $0.groupID < $1.groupID }
        }
        let unique = sorted
        let ids = unique.map(\.groupID)
        let names = topicNames ?? MetadataTopicNames(metadataCache)
        var routed = try await routeByCoordinator(ids) { node, positions in
            await self.describeOnCoordinator(node, positions.map { unique[$0] }, topicNames: names)
        }
        // Moved, not copied (see routeByCoordinator).
        var results: [GroupDescriptionResult] = []
        results.reserveCapacity(routed.results.count)
        for i in routed.results.indices {
            var r: Result<GroupDescription, AdminItemError> = .failure(AdminItemError(.missingFromResponse))
            swap(&r, &routed.results[i].result)
            results.append(GroupDescriptionResult(coordinatorID: routed.results[i].coordinatorID, result: consume r))
        }
        return DescribeGroupsResult(ids: ids, results: results, stats: routed.stats)
    }

    /// Whether a ConsumerGroupDescribe answer means "not a consumer group here, ask DescribeGroups".
    static func needsClassicFallback(_ r: Result<DescribedConsumerGroupInput, AdminItemError>) -> Bool {
        switch r {
        case let .failure(e):
            return e.kind == .unsupportedVersion || e.code == KafkaErrorCode.groupIDNotFound.code
                || e.code == KafkaErrorCode.unsupportedVersion.code
        case let .success(g):
            // A real consumer group never has negative epochs; some brokers answer this way for
            // classic groups instead of GROUP_ID_NOT_FOUND.
            return g.groupEpoch < 0 || g.assignmentEpoch < 0
        }
    }

    /// Whether a DescribeGroups answer means "no classic group by that id".
    static func looksAbsent(_ r: Result<DescribedClassicGroupInput, AdminItemError>) -> Bool {
        switch r {
        case let .failure(e): return e.code == KafkaErrorCode.groupIDNotFound.code
        case let .success(g): return g.state == .dead && g.members.isEmpty
        }
    }

    /// One of ``describeOnCoordinator(_:_:topicNames:)``'s concurrent batches, as answered.
    private enum DescribeBatch: Sendable {
        case consumer(PerGroupResult<DescribedConsumerGroupInput>)
        case classic(PerGroupResult<DescribedClassicGroupInput>)
        case modern(([String: Result<GroupDescription, AdminItemError>], RequestStats))
    }

    /// Describes `targets` (sorted by id, each once) on one coordinator: one result per target, in
    /// their order.
    func describeOnCoordinator(
        _ node: Int32, _ targets: [GroupTarget], topicNames: MetadataTopicNames
    ) async -> ([Result<GroupDescription, AdminItemError>], RequestStats) {
        assert(Self.isStrictlyAscending(targets.map(\.groupID)), "targets sorted and unique")
        var stats = RequestStats()
        var out = [Result<GroupDescription, AdminItemError>](repeating: .failure(AdminItemError(.missingFromResponse)), count: targets.count)
        let versions: BrokerAPIVersions
        switch await apiVersions(of: node, stats: &stats) {
        case let .failure(e):
            return (targets.map { _ in .failure(e) }, stats)
        case let .success(v):
            versions = v
        }
        let hasConsumerDescribe = versions.negotiate(apiKey: ConsumerGroupDescribeRequest.apiKey, ours: Caps.consumerGroupDescribe) != nil
        // Positions in `targets` per API; each list is ascending by id, so a batch's answer (one
        // result per id, sorted) lines up with it.
        var consumerAt: [Int] = []
        var classicAt: [Int] = []
        var modernAt: [Int] = []
        var shareIDs: [String] = []
        var streamsIDs: [String] = []
        for (i, t) in targets.enumerated() {
            switch t.type?.lowercasedIfNeeded {
            case "consumer"?:
                consumerAt.append(i)
            case "classic"?:
                classicAt.append(i)
            case "share"?:
                shareIDs.append(t.groupID)
                modernAt.append(i)
            case "streams"?:
                streamsIDs.append(t.groupID)
                modernAt.append(i)
            case let other? where !other.isEmpty && other != "unknown":
                out[i] = .failure(AdminItemError(.notSupported, message: "kgtop does not describe \(other) groups yet"))
            default:
                let protocolType = t.protocolType ?? ""
                if hasConsumerDescribe && (protocolType.isEmpty || protocolType == "consumer") {
                    consumerAt.append(i)
                } else {
                    classicAt.append(i)
                }
            }
        }

        let consumerIDs = consumerAt.map { targets[$0].groupID }
        let classicIDs = classicAt.map { targets[$0].groupID }
        // The three batches run concurrently, in a task group rather than as `async let`s: a task
        // group hands each answer over, so that its results are moved out below; an `async let`
        // keeps its value to the end of the scope, and moving out of a shared list would copy
        // the whole list first (every group's fields retained).
        var consumers: PerGroupResult<DescribedConsumerGroupInput>?
        var classics: PerGroupResult<DescribedClassicGroupInput>?
        var modern: ([String: Result<GroupDescription, AdminItemError>], RequestStats)?
        await withTaskGroup(of: DescribeBatch.self) { group in
            if !consumerIDs.isEmpty {
                group.addTask { .consumer(await self.describeConsumerGroups(consumerIDs, on: node, topicNames: topicNames)) }
            }
            if !classicIDs.isEmpty {
                group.addTask { .classic(await self.describeClassicGroups(classicIDs, on: node, topicNames: topicNames)) }
            }
            if !shareIDs.isEmpty || !streamsIDs.isEmpty {
                let (share, streams) = (shareIDs, streamsIDs)
                group.addTask { .modern(await self.describeShareAndStreams(share: share, streams: streams, on: node)) }
            }
            for await batch in group {
                switch consume batch {
                case let .consumer(r): consumers = r
                case let .classic(r): classics = r
                case let .modern(r): modern = r
                }
            }
        }
        if let (described, modernStats) = modern {
            stats.merge(modernStats)
            for i in modernAt { out[i] = described[targets[i].groupID] ?? .failure(AdminItemError(.missingFromResponse)) }
        }

        // Groups to ask the other API about: their positions in `targets`, and the first answer.
        var toClassic: [Int] = []
        var consumerFirst: [Result<DescribedConsumerGroupInput, AdminItemError>] = []
        if consumers != nil {
            stats.merge(consumers!.stats)
            let version = consumers!.version ?? 0
            for k in consumers!.results.indices {
                let i = consumerAt[k]
                // Moved out of the batch's results, not copied.
                var r: Result<DescribedConsumerGroupInput, AdminItemError> = .failure(AdminItemError(.missingFromResponse))
                swap(&r, &consumers!.results[k])
                if Self.needsClassicFallback(r) {
                    toClassic.append(i)
                    consumerFirst.append(r)
                } else {
                    // Switched over as it is consumed: `map` would copy the group (every field retained).
                    switch consume r {
                    case let .success(g): out[i] = .success(.consumer(g, apiVersion: version))
                    case let .failure(e): out[i] = .failure(e)
                    }
                }
            }
        }
        var toConsumer: [Int] = []
        var classicFirst: [Result<DescribedClassicGroupInput, AdminItemError>] = []
        if classics != nil {
            stats.merge(classics!.stats)
            let version = classics!.version ?? 0
            for k in classics!.results.indices {
                let i = classicAt[k]
                var r: Result<DescribedClassicGroupInput, AdminItemError> = .failure(AdminItemError(.missingFromResponse))
                swap(&r, &classics!.results[k])
                if hasConsumerDescribe && Self.looksAbsent(r) {
                    toConsumer.append(i)
                    classicFirst.append(r)
                } else {
                    switch consume r {
                    case let .success(g): out[i] = .success(.classic(g, apiVersion: version))
                    case let .failure(e): out[i] = .failure(e)
                    }
                }
            }
        }

        let toClassicIDs = toClassic.map { targets[$0].groupID }
        let toConsumerIDs = toConsumer.map { targets[$0].groupID }
        async let classicRetry = toClassicIDs.isEmpty ? nil : describeClassicGroups(toClassicIDs, on: node, topicNames: topicNames)
        async let consumerRetry = toConsumerIDs.isEmpty ? nil : describeConsumerGroups(toConsumerIDs, on: node, topicNames: topicNames)
        let (fallbackClassic, fallbackConsumer) = await (classicRetry, consumerRetry)

        if let fallbackClassic {
            stats.merge(fallbackClassic.stats)
            for (k, i) in toClassic.enumerated() {
                let r = fallbackClassic.results[k]
                if case let .success(g) = r, !Self.looksAbsent(r) {
                    out[i] = .success(.classic(g, apiVersion: fallbackClassic.version ?? 0))
                } else if case let .failure(e) = r, e.isCoordinatorError {
                    out[i] = .failure(e)
                } else {
                    // Neither API knows it: report what ConsumerGroupDescribe said, as Kafka's admin client does.
                    switch consumerFirst[k] {
                    case let .failure(e): out[i] = .failure(e)
                    case let .success(g): out[i] = .success(.consumer(g, apiVersion: consumers?.version ?? 0))
                    }
                }
            }
        }
        if let fallbackConsumer {
            stats.merge(fallbackConsumer.stats)
            for (k, i) in toConsumer.enumerated() {
                let r = fallbackConsumer.results[k]
                if case let .success(g) = r, !Self.needsClassicFallback(r) {
                    out[i] = .success(.consumer(g, apiVersion: fallbackConsumer.version ?? 0))
                } else {
                    out[i] = classicFirst[k].map { .classic($0, apiVersion: classics?.version ?? 0) }
                }
            }
        }
        return (out, stats)
    }
}

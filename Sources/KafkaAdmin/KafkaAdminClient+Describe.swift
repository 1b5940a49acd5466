import GroupModel
import KafkaProtocol
import KafkaWire

// Describing groups on their coordinators: ConsumerGroupDescribe for KIP-848 groups, DescribeGroups
// for classic ones (and as the fallback), by each target's type. Share and streams groups are in
// KafkaAdminClient+ShareStreams.swift.

extension KafkaAdminClient {
    /// One ConsumerGroupDescribe (v1 when available) to `nodeID` for all `groupIDs`.
    public func describeConsumerGroups(_ groupIDs: [String], on nodeID: Int32) async -> PerGroupResult<ConsumerGroupDescribeResponse.DescribedGroup> {
        let ids = Array(Set(groupIDs)).sorted()
        let answer = await send(to: nodeID, versions: Caps.consumerGroupDescribe) { _ in
            ConsumerGroupDescribeRequest(groupIDs: ids)
        }
        let groups = Self.perGroup(ids, answer.result.map(\.groups), id: \.groupID, code: \.errorCode, message: \.errorMessage)
        return PerGroupResult(groups: groups, version: answer.version, stats: answer.stats)
    }

    /// One DescribeGroups to `nodeID` for all `groupIDs`.
    public func describeClassicGroups(_ groupIDs: [String], on nodeID: Int32) async -> PerGroupResult<DescribeGroupsResponse.DescribedGroup> {
        let ids = Array(Set(groupIDs)).sorted()
        let answer = await send(to: nodeID, versions: Caps.describeGroups) { _ in DescribeGroupsRequest(groups: ids) }
        let groups = Self.perGroup(ids, answer.result.map(\.groups), id: \.groupID, code: \.errorCode, message: \.errorMessage)
        return PerGroupResult(groups: groups, version: answer.version, stats: answer.stats)
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
    public func describeGroups(_ targets: [GroupTarget]) async throws(KafkaAdminError) -> DescribeGroupsResult {
        var unique: [String: GroupTarget] = [:]
        for t in targets where unique[t.groupID] == nil { unique[t.groupID] = t }
        let byID = unique
        // Targets in id order without repeats (what the poller passes) keep that order, so the
        // routing need not de-duplicate them again.
        let ids = Self.isStrictlyAscending(targets.map(\.groupID)) ? targets.map(\.groupID) : Array(byID.keys)
        let routed = try await routeByCoordinator(ids) { node, ids in
            await self.describeOnCoordinator(node, ids.compactMap { byID[$0] })
        }
        return DescribeGroupsResult(
            groups: routed.groups.mapValues { GroupDescriptionResult(coordinatorID: $0.coordinatorID, result: $0.result) },
            stats: routed.stats)
    }

    /// Whether a ConsumerGroupDescribe answer means "not a consumer group here, ask DescribeGroups".
    static func needsClassicFallback(_ r: Result<ConsumerGroupDescribeResponse.DescribedGroup, AdminItemError>) -> Bool {
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
    static func looksAbsent(_ r: Result<DescribeGroupsResponse.DescribedGroup, AdminItemError>) -> Bool {
        switch r {
        case let .failure(e): return e.code == KafkaErrorCode.groupIDNotFound.code
        case let .success(g): return g.groupState.lowercased() == "dead" && g.members.isEmpty
        }
    }

    func describeOnCoordinator(_ node: Int32, _ targets: [GroupTarget]) async -> ([String: Result<GroupDescription, AdminItemError>], RequestStats) {
        var stats = RequestStats()
        var out: [String: Result<GroupDescription, AdminItemError>] = [:]
        let versions: BrokerAPIVersions
        switch await apiVersions(of: node, stats: &stats) {
        case let .failure(e):
            for t in targets { out[t.groupID] = .failure(e) }
            return (out, stats)
        case let .success(v):
            versions = v
        }
        let hasConsumerDescribe = versions.negotiate(apiKey: ConsumerGroupDescribeRequest.apiKey, ours: Caps.consumerGroupDescribe) != nil
        var consumerIDs: [String] = []
        var classicIDs: [String] = []
        var shareIDs: [String] = []
        var streamsIDs: [String] = []
        for t in targets {
            switch t.type?.lowercased() {
            case "consumer"?:
                consumerIDs.append(t.groupID)
            case "classic"?:
                classicIDs.append(t.groupID)
            case "share"?:
                shareIDs.append(t.groupID)
            case "streams"?:
                streamsIDs.append(t.groupID)
            case let other? where !other.isEmpty && other != "unknown":
                out[t.groupID] = .failure(AdminItemError(.notSupported, message: "kgtop does not describe \(other) groups yet"))
            default:
                let protocolType = t.protocolType ?? ""
                if hasConsumerDescribe && (protocolType.isEmpty || protocolType == "consumer") {
                    consumerIDs.append(t.groupID)
                } else {
                    classicIDs.append(t.groupID)
                }
            }
        }

        async let consumerBatch = consumerIDs.isEmpty ? nil : describeConsumerGroups(consumerIDs, on: node)
        async let classicBatch = classicIDs.isEmpty ? nil : describeClassicGroups(classicIDs, on: node)
        async let modernBatch = shareIDs.isEmpty && streamsIDs.isEmpty ? nil : describeShareAndStreams(share: shareIDs, streams: streamsIDs, on: node)
        let (consumers, classics, modern) = await (consumerBatch, classicBatch, modernBatch)
        if let (described, modernStats) = modern {
            stats.merge(modernStats)
            out.merge(described) { first, _ in first }
        }

        var toClassic: [String] = []
        var consumerFirst: [String: Result<ConsumerGroupDescribeResponse.DescribedGroup, AdminItemError>] = [:]
        if let consumers {
            stats.merge(consumers.stats)
            for (id, r) in consumers.groups {
                if Self.needsClassicFallback(r) {
                    toClassic.append(id)
                    consumerFirst[id] = r
                } else {
                    out[id] = r.map { .consumer($0, apiVersion: consumers.version ?? 0) }
                }
            }
        }
        var toConsumer: [String] = []
        var classicFirst: [String: Result<DescribeGroupsResponse.DescribedGroup, AdminItemError>] = [:]
        if let classics {
            stats.merge(classics.stats)
            for (id, r) in classics.groups {
                if hasConsumerDescribe && Self.looksAbsent(r) {
                    toConsumer.append(id)
                    classicFirst[id] = r
                } else {
                    out[id] = r.map { .classic($0, apiVersion: classics.version ?? 0) }
                }
            }
        }

        async let classicRetry = toClassic.isEmpty ? nil : describeClassicGroups(toClassic, on: node)
        async let consumerRetry = toConsumer.isEmpty ? nil : describeConsumerGroups(toConsumer, on: node)
        let (fallbackClassic, fallbackConsumer) = await (classicRetry, consumerRetry)

        if let fallbackClassic {
            stats.merge(fallbackClassic.stats)
            for id in toClassic {
                let r = fallbackClassic.groups[id] ?? .failure(AdminItemError(.missingFromResponse))
                if case let .success(g) = r, !Self.looksAbsent(r) {
                    out[id] = .success(.classic(g, apiVersion: fallbackClassic.version ?? 0))
                } else if case let .failure(e) = r, e.isCoordinatorError {
                    out[id] = .failure(e)
                } else {
                    // Neither API knows it: report what ConsumerGroupDescribe said, as Kafka's admin client does.
                    switch consumerFirst[id] {
                    case let .failure(e)?: out[id] = .failure(e)
                    case let .success(g)?: out[id] = .success(.consumer(g, apiVersion: consumers?.version ?? 0))
                    case nil: out[id] = r.map { .classic($0, apiVersion: fallbackClassic.version ?? 0) }
                    }
                }
            }
        }
        if let fallbackConsumer {
            stats.merge(fallbackConsumer.stats)
            for id in toConsumer {
                let r = fallbackConsumer.groups[id] ?? .failure(AdminItemError(.missingFromResponse))
                if case let .success(g) = r, !Self.needsClassicFallback(r) {
                    out[id] = .success(.consumer(g, apiVersion: fallbackConsumer.version ?? 0))
                } else {
                    out[id] = (classicFirst[id] ?? r.flatMap { _ in .failure(AdminItemError(.missingFromResponse)) })
                        .map { .classic($0, apiVersion: classics?.version ?? 0) }
                }
            }
        }
        return (out, stats)
    }
}

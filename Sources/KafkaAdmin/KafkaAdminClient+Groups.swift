import KafkaProtocol
import KafkaWire

// MARK: - Result types

/// One group as ListGroups reported it.
public struct ListedGroup: Sendable, Hashable {
    /// The group id.
    public var groupID: String
    /// `ProtocolType`: `consumer`, `connect`, ..., or `""` for a simple (offsets-only) group.
    public var protocolType: String
    /// `GroupState` (ListGroups v4+), nil when the broker's version has none.
    public var state: String?
    /// `GroupType` in lower case (ListGroups v5+): `classic`, `consumer`, `share`, `streams`; nil before v5.
    public var type: String?
    /// The node that listed it (the broker coordinating it).
    public var nodeID: Int32

    /// Creates a value.
    public init(groupID: String, protocolType: String, state: String? = nil, type: String? = nil, nodeID: Int32) {
        self.groupID = groupID
        self.protocolType = protocolType
        self.state = state
        self.type = type
        self.nodeID = nodeID
    }
}

/// ListGroups from every broker: each broker's list or error.
public struct ListGroupsResult: Sendable {
    /// Per broker: the groups it coordinates, or why it could not list them.
    public var brokers: [Int32: Result<[ListedGroup], AdminItemError>]
    /// The ListGroups version used per broker.
    public var versions: [Int32: Int16]
    /// Requests and bytes spent.
    public var stats: RequestStats

    /// Every listed group, sorted by id, each once.
    public var groups: [ListedGroup] {
        var seen: [String: ListedGroup] = [:]
        for id in brokers.keys.sorted() {
            if case let .success(list) = brokers[id]! {
                for g in list where seen[g.groupID] == nil { seen[g.groupID] = g }
            }
        }
        return seen.values.sorted { $0.groupID < $1.groupID }
    }

    /// The brokers that failed, with their errors.
    public var errors: [Int32: AdminItemError] {
        brokers.compactMapValues { if case let .failure(e) = $0 { return e } else { return nil } }
    }
}

/// Coordinators per group.
public struct CoordinatorsResult: Sendable {
    /// Per group: its coordinator's node id, or why it could not be found.
    public var coordinators: [String: Result<Int32, AdminItemError>]
    /// Requests and bytes spent (zero when every coordinator was cached).
    public var stats: RequestStats
}

/// Per-group results of one batched operation.
public struct PerGroupResult<Value: Sendable>: Sendable {
    /// Per group: the value, or why there is none.
    public var groups: [String: Result<Value, AdminItemError>]
    /// The version used, nil when nothing was sent.
    public var version: Int16?
    /// Requests and bytes spent.
    public var stats: RequestStats
}

/// What kgtop knows about a group before describing it (usually from ListGroups).
public struct GroupTarget: Sendable, Hashable {
    /// The group id.
    public var groupID: String
    /// The ListGroups group type (v5+), nil when unknown.
    public var type: String?
    /// The ListGroups protocol type, nil when unknown.
    public var protocolType: String?

    /// Creates a value.
    public init(groupID: String, type: String? = nil, protocolType: String? = nil) {
        self.groupID = groupID
        self.type = type
        self.protocolType = protocolType
    }

    /// The target for a listed group.
    public init(_ listed: ListedGroup) {
        self.init(groupID: listed.groupID, type: listed.type, protocolType: listed.protocolType)
    }
}

/// A described group, from the API that could describe it.
public enum GroupDescription: Sendable, Hashable {
    /// From ConsumerGroupDescribe (KIP-848 and mixed groups).
    case consumer(ConsumerGroupDescribeResponse.DescribedGroup, apiVersion: Int16)
    /// From DescribeGroups (classic groups).
    case classic(DescribeGroupsResponse.DescribedGroup, apiVersion: Int16)
    /// From ShareGroupDescribe (share groups).
    case share(ShareGroupDescribeResponse.DescribedGroup, apiVersion: Int16)
    /// From StreamsGroupDescribe (streams groups).
    case streams(StreamsGroupDescribeResponse.DescribedGroup, apiVersion: Int16)

    /// The group id.
    public var groupID: String {
        switch self {
        case let .consumer(g, _): return g.groupID
        case let .classic(g, _): return g.groupID
        case let .share(g, _): return g.groupID
        case let .streams(g, _): return g.groupID
        }
    }
}

/// One group's description, or why there is none, with its coordinator.
public struct GroupDescriptionResult: Sendable {
    /// The coordinator asked, nil when none was found.
    public var coordinatorID: Int32?
    /// The description or the error.
    public var result: Result<GroupDescription, AdminItemError>
}

/// Descriptions of many groups.
public struct DescribeGroupsResult: Sendable {
    /// Per group id.
    public var groups: [String: GroupDescriptionResult]
    /// Requests and bytes spent (FindCoordinator included).
    public var stats: RequestStats
}

/// A committed offset of one partition.
public struct CommittedOffset: Sendable, Hashable {
    /// The committed offset; nil when the group has no commit for the partition (the broker sent -1).
    public var offset: Int64?
    /// The leader epoch of the commit, nil when unknown.
    public var leaderEpoch: Int32?
    /// The commit metadata string.
    public var metadata: String?
    /// The partition's error, if any.
    public var error: AdminItemError?

    /// Creates a value.
    public init(offset: Int64?, leaderEpoch: Int32? = nil, metadata: String? = nil, error: AdminItemError? = nil) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.error = error
    }
}

/// The committed offsets of one group.
public struct GroupOffsets: Sendable, Hashable {
    /// The group id.
    public var groupID: String
    /// One entry per partition, sorted by topic then partition, each partition once.
    public var offsets: [(partition: PartitionID, committed: CommittedOffset)]

    /// Creates a value; `offsets` are sorted (and a repeated partition keeps its last entry) when
    /// they are not already in order.
    public init(groupID: String, offsets: [(partition: PartitionID, committed: CommittedOffset)]) {
        self.groupID = groupID
        var i = 1
        while i < offsets.count, offsets[i - 1].partition < offsets[i].partition { i += 1 }
        if i >= offsets.count {
            self.offsets = offsets
        } else {
            var last: [PartitionID: CommittedOffset] = [:]
            for o in offsets { last[o.partition] = o.committed }
            self.offsets = last.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
    }

    /// Per partition, as a dictionary (built on each call: prefer ``offsets`` in loops).
    public var partitions: [PartitionID: CommittedOffset] {
        Dictionary(offsets.map { ($0.partition, $0.committed) }, uniquingKeysWith: { _, b in b })
    }

    public static func == (a: GroupOffsets, b: GroupOffsets) -> Bool {
        a.groupID == b.groupID && a.offsets.elementsEqual(b.offsets) { $0.partition == $1.partition && $0.committed == $1.committed }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(groupID)
        for o in offsets {
            hasher.combine(o.partition)
            hasher.combine(o.committed)
        }
    }
}

/// The fields the two shapes of an OffsetFetch answer's partition share (v0-7 answer for one
/// group, v8+ per group), so that one conversion reads both.
protocol OffsetFetchAnsweredPartition {
    var partitionIndex: Int32 { get }
    var committedOffset: Int64 { get }
    var committedLeaderEpoch: Int32 { get }
    var metadata: String? { get }
    var errorCode: Int16 { get }
}

/// A topic of an OffsetFetch answer, in either shape.
protocol OffsetFetchAnsweredTopic {
    associatedtype Partition: OffsetFetchAnsweredPartition
    var name: String { get }
    var partitions: [Partition] { get }
}

extension OffsetFetchResponse.OffsetFetchResponsePartition: OffsetFetchAnsweredPartition {}
extension OffsetFetchResponse.OffsetFetchResponsePartitions: OffsetFetchAnsweredPartition {}
extension OffsetFetchResponse.OffsetFetchResponseTopic: OffsetFetchAnsweredTopic {}
extension OffsetFetchResponse.OffsetFetchResponseTopics: OffsetFetchAnsweredTopic {}

extension GroupOffsets {
    /// One group's committed offsets from an OffsetFetch answer (either shape): -1 offsets and
    /// leader epochs become nil, partition error codes become errors.
    init<Topic: OffsetFetchAnsweredTopic>(groupID: String, answered topics: [Topic]) {
        var offsets: [(partition: PartitionID, committed: CommittedOffset)] = []
        offsets.reserveCapacity(topics.reduce(0) { $0 + $1.partitions.count })
        for t in topics {
            for p in t.partitions {
                offsets.append((
                    PartitionID(topic: t.name, partition: p.partitionIndex),
                    CommittedOffset(
                        offset: p.committedOffset >= 0 ? p.committedOffset : nil,
                        leaderEpoch: p.committedLeaderEpoch >= 0 ? p.committedLeaderEpoch : nil,
                        metadata: p.metadata, error: AdminItemError.fromCode(p.errorCode))))
            }
        }
        self.init(groupID: groupID, offsets: offsets)
    }
}

/// Committed offsets of many groups, routed to their coordinators.
public struct FetchOffsetsResult: Sendable {
    /// Per group: offsets or error, with the coordinator asked.
    public var groups: [String: (coordinatorID: Int32?, result: Result<GroupOffsets, AdminItemError>)]
    /// Requests and bytes spent (FindCoordinator included).
    public var stats: RequestStats
}

// MARK: - Operations

extension KafkaAdminClient {
    /// ListGroups to every broker in parallel (v5 or the broker's highest). Filters are sent lower
    /// case and also applied locally, since some brokers ignore them.
    public func listGroups(types: [String] = [], states: [String] = []) async throws(KafkaAdminError) -> ListGroupsResult {
        let types = types.map { $0.lowercased() }
        let lowerStates = states.map { $0.lowercased() }
        let answers = try await sendToEveryBroker(versions: Caps.listGroups) { version in
            ListGroupsRequest(statesFilter: version >= 4 ? states : [], typesFilter: version >= 5 ? types : [])
        }
        var result = ListGroupsResult(brokers: [:], versions: [:], stats: RequestStats())
        for (node, answer) in answers {
            result.stats.merge(answer.stats)
            if let v = answer.version { result.versions[node] = v }
            switch answer.result {
            case let .failure(error):
                result.brokers[node] = .failure(error)
            case let .success(response):
                if let error = AdminItemError.fromCode(response.errorCode) {
                    result.brokers[node] = .failure(error)
                    continue
                }
                let version = answer.version ?? 0
                let listed = response.groups.map { g in
                    ListedGroup(
                        groupID: g.groupID, protocolType: g.protocolType,
                        state: version >= 4 ? g.groupState : nil,
                        type: version >= 5 ? g.groupType.lowercased() : nil, nodeID: node)
                }.filter { g in
                    (types.isEmpty || g.type.map { types.contains($0) } ?? true)
                        && (lowerStates.isEmpty || g.state.map { lowerStates.contains($0.lowercased()) } ?? true)
                }
                result.brokers[node] = .success(listed)
            }
        }
        pruneCoordinatorCache(after: result, filtered: !types.isEmpty || !states.isEmpty)
        return result
    }

    /// Forgets the cached coordinators of groups that no longer exist, so a long run in which
    /// groups come and go keeps the cache at the size of the live estate. Only an unfiltered listing
    /// that every broker answered tells which groups are gone.
    private func pruneCoordinatorCache(after listing: ListGroupsResult, filtered: Bool) {
        guard !filtered, !coordinatorCache.isEmpty else { return }
        var live = Set<String>()
        for (_, answer) in listing.brokers {
            guard case let .success(groups) = answer else { return }
            for g in groups { live.insert(g.groupID) }
        }
        if coordinatorCache.count > live.count || coordinatorCache.keys.contains(where: { !live.contains($0) }) {
            coordinatorCache = coordinatorCache.filter { live.contains($0.key) }
        }
    }

    /// How many groups' coordinators are cached (for tests of long runs).
    public var cachedCoordinatorCount: Int { coordinatorCache.count }

    /// The coordinator of each group: cached ones without a request, the rest with one batched
    /// FindCoordinator (v4+), or one request per group for brokers below v4.
    public func findCoordinators(groupIDs: [String], refresh: Bool = false) async throws(KafkaAdminError) -> CoordinatorsResult {
        var stats = RequestStats()
        let metadata = try await ensureMetadata(&stats)
        var result: [String: Result<Int32, AdminItemError>] = [:]
        var missing: [String] = []
        result.reserveCapacity(groupIDs.count)
        // Only the groups to ask about are sorted (for a stable request); sorting 10,000 cached
        // ids every poll would be wasted.
        for id in Set(groupIDs) {
            if !refresh, let node = coordinatorCache[id] { result[id] = .success(node) } else { missing.append(id) }
        }
        if missing.isEmpty { return CoordinatorsResult(coordinators: result, stats: stats) }
        missing.sort()

        // Ask a broker with an open connection first, then the others in node order.
        let ready = Set(slots.compactMap { address, slot -> BrokerAddress? in
            if case .ready = slot.state { return address } else { return nil }
        })
        let brokers = metadata.brokers.sorted { (ready.contains($0.address) ? 0 : 1, $0.nodeID) < (ready.contains($1.address) ? 0 : 1, $1.nodeID) }
        var lastError = AdminItemError(.notRoutable, message: "no broker to ask")
        for broker in brokers {
            let versions = await apiVersions(of: broker.nodeID, stats: &stats)
            guard case let .success(v) = versions else {
                if case let .failure(e) = versions { lastError = e }
                continue
            }
            guard let version = v.negotiate(apiKey: FindCoordinatorRequest.apiKey, ours: Caps.findCoordinator) else {
                lastError = AdminItemError(.unsupportedVersion, message: "node \(broker.nodeID) has no FindCoordinator")
                continue
            }
            var answers: [String: Result<FindCoordinatorResponse.Coordinator, AdminItemError>] = [:]
            if version >= 4 {
                let keys = missing
                let answer = await send(to: broker.nodeID, versions: version...version) { _ in
                    FindCoordinatorRequest(keyType: 0, coordinatorKeys: keys)
                }
                stats.merge(answer.stats)
                if case let .failure(e) = answer.result, e.kind == .connection || e.kind == .timeout {
                    lastError = e
                    continue
                }
                // Index the answer once: a linear search per group is quadratic in the group count.
                var byKey: [String: FindCoordinatorResponse.Coordinator] = [:]
                if case let .success(r) = answer.result {
                    byKey.reserveCapacity(r.coordinators.count)
                    for c in r.coordinators where byKey[c.key] == nil { byKey[c.key] = c }
                }
                for id in missing {
                    switch answer.result {
                    case let .failure(e): answers[id] = .failure(e)
                    case .success:
                        if let c = byKey[id] {
                            answers[id] = .success(c)
                        } else {
                            answers[id] = .failure(AdminItemError(.missingFromResponse))
                        }
                    }
                }
            } else {
                let ids = missing
                let node = broker.nodeID
                let perGroup = await withTaskGroup(of: (String, RoutedResponse<FindCoordinatorResponse>).self) { group in
                    for id in ids {
                        group.addTask {
                            (id, await self.send(to: node, versions: version...version) { _ in FindCoordinatorRequest(key: id, keyType: 0) })
                        }
                    }
                    var all: [(String, RoutedResponse<FindCoordinatorResponse>)] = []
                    for await x in group { all.append(x) }
                    return all
                }
                for (id, answer) in perGroup {
                    stats.merge(answer.stats)
                    answers[id] = answer.result.map { r in
                        FindCoordinatorResponse.Coordinator(
                            key: id, nodeID: r.nodeID, host: r.host, port: r.port, errorCode: r.errorCode,
                            errorMessage: r.errorMessage)
                    }
                }
            }
            for (id, answer) in answers {
                switch answer {
                case let .failure(e):
                    result[id] = .failure(e)
                case let .success(c):
                    if let error = AdminItemError.fromCode(c.errorCode, message: c.errorMessage) {
                        result[id] = .failure(error)
                    } else if c.nodeID < 0 {
                        result[id] = .failure(AdminItemError.broker(KafkaErrorCode.coordinatorNotAvailable.code))
                    } else {
                        if self.broker(c.nodeID) == nil {
                            extraBrokers[c.nodeID] = BrokerInfo(nodeID: c.nodeID, host: c.host, port: Int(c.port))
                        }
                        coordinatorCache[id] = c.nodeID
                        result[id] = .success(c.nodeID)
                    }
                }
            }
            return CoordinatorsResult(coordinators: result, stats: stats)
        }
        for id in missing { result[id] = .failure(lastError) }
        return CoordinatorsResult(coordinators: result, stats: stats)
    }

    /// Forgets the cached coordinator of each group.
    public func invalidateCoordinators(_ groupIDs: [String]) {
        for id in groupIDs { coordinatorCache[id] = nil }
    }

    /// Each asked group's outcome from one batched describe answer: the request's failure, the
    /// group's own error code, the group, or missingFromResponse when the broker left it out.
    static func perGroup<Item>(
        _ ids: [String], _ answer: Result<[Item], AdminItemError>, id: KeyPath<Item, String>,
        code: KeyPath<Item, Int16>, message: KeyPath<Item, String?>
    ) -> [String: Result<Item, AdminItemError>] {
        var groups: [String: Result<Item, AdminItemError>] = [:]
        groups.reserveCapacity(ids.count)
        let byID = firstByID(answer, id)
        for groupID in ids {
            switch answer {
            case let .failure(e): groups[groupID] = .failure(e)
            case .success:
                if let g = byID[groupID] {
                    groups[groupID] = AdminItemError.fromCode(g[keyPath: code], message: g[keyPath: message]).map { .failure($0) } ?? .success(g)
                } else {
                    groups[groupID] = .failure(AdminItemError(.missingFromResponse))
                }
            }
        }
        return groups
    }

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
        let routed = try await routeByCoordinator(Array(byID.keys)) { node, ids in
            await self.describeOnCoordinator(node, ids.compactMap { byID[$0] })
        }
        return DescribeGroupsResult(
            groups: routed.groups.mapValues { GroupDescriptionResult(coordinatorID: $0.coordinatorID, result: $0.result) },
            stats: routed.stats)
    }

    /// Committed offsets of groups on one coordinator: one OffsetFetch (v8/v9) for all of them,
    /// or one per group when the broker is below v8. Topics come by name (capped at v9).
    public func fetchOffsets(groupIDs: [String], on nodeID: Int32, requireStable: Bool = false) async -> PerGroupResult<GroupOffsets> {
        let ids = Array(Set(groupIDs)).sorted()
        var stats = RequestStats()
        let versions: BrokerAPIVersions
        switch await apiVersions(of: nodeID, stats: &stats) {
        case let .failure(e):
            return PerGroupResult(groups: Dictionary(uniqueKeysWithValues: ids.map { ($0, .failure(e)) }), version: nil, stats: stats)
        case let .success(v):
            versions = v
        }
        guard let version = versions.negotiate(apiKey: OffsetFetchRequest.apiKey, ours: 2...Caps.offsetFetch.upperBound) else {
            let e = AdminItemError(.unsupportedVersion, message: "node \(nodeID) has no OffsetFetch v2-9")
            return PerGroupResult(groups: Dictionary(uniqueKeysWithValues: ids.map { ($0, .failure(e)) }), version: nil, stats: stats)
        }
        var groups: [String: Result<GroupOffsets, AdminItemError>] = [:]
        if version >= 8 {
            let answer = await send(to: nodeID, versions: version...version) { _ in
                OffsetFetchRequest(
                    groups: ids.map { OffsetFetchRequest.OffsetFetchRequestGroup(groupID: $0, memberID: nil, memberEpoch: -1, topics: nil) },
                    requireStable: requireStable)
            }
            stats.merge(answer.stats)
            groups.reserveCapacity(ids.count)
            let byID = Self.firstByID(answer.result.map(\.groups), \.groupID)
            for id in ids {
                switch answer.result {
                case let .failure(e): groups[id] = .failure(e)
                case .success:
                    guard let g = byID[id] else {
                        groups[id] = .failure(AdminItemError(.missingFromResponse))
                        continue
                    }
                    if let e = AdminItemError.fromCode(g.errorCode) {
                        groups[id] = .failure(e)
                        continue
                    }
                    groups[id] = .success(GroupOffsets(groupID: id, answered: g.topics))
                }
            }
        } else {
            let stable = requireStable && version >= 7
            let answers = await withTaskGroup(of: (String, RoutedResponse<OffsetFetchResponse>).self) { group in
                for id in ids {
                    group.addTask {
                        (id, await self.send(to: nodeID, versions: version...version) { _ in
                            OffsetFetchRequest(groupID: id, topics: nil, requireStable: stable)
                        })
                    }
                }
                var all: [(String, RoutedResponse<OffsetFetchResponse>)] = []
                for await x in group { all.append(x) }
                return all
            }
            for (id, answer) in answers {
                stats.merge(answer.stats)
                switch answer.result {
                case let .failure(e): groups[id] = .failure(e)
                case let .success(r):
                    if let e = AdminItemError.fromCode(r.errorCode) {
                        groups[id] = .failure(e)
                        continue
                    }
                    groups[id] = .success(GroupOffsets(groupID: id, answered: r.topics))
                }
            }
        }
        return PerGroupResult(groups: groups, version: version, stats: stats)
    }

    /// Committed offsets of groups, routed to their coordinators (one OffsetFetch per coordinator);
    /// coordinator errors refresh the coordinator and retry once.
    public func fetchOffsets(groupIDs: [String], requireStable: Bool = false) async throws(KafkaAdminError) -> FetchOffsetsResult {
        let routed = try await routeByCoordinator(groupIDs) { node, ids in
            let r = await self.fetchOffsets(groupIDs: ids, on: node, requireStable: requireStable)
            return (r.groups, r.stats)
        }
        return FetchOffsetsResult(groups: routed.groups, stats: routed.stats)
    }

    // MARK: - Internals

    /// The items of a batched answer by id, the first one winning (as a linear search would find it).
    /// Answers list thousands of groups: looking each one up by scanning would be quadratic.
    static func firstByID<Item>(_ items: Result<[Item], AdminItemError>, _ id: KeyPath<Item, String>) -> [String: Item] {
        guard case let .success(list) = items else { return [:] }
        var out: [String: Item] = [:]
        out.reserveCapacity(list.count)
        for item in list {
            let key = item[keyPath: id]
            if out[key] == nil { out[key] = item }
        }
        return out
    }

    /// Routes groups to their coordinators, runs `perCoordinator` once per coordinator in parallel,
    /// and retries (once, after a coordinator refresh) the groups that failed with a coordinator error.
    func routeByCoordinator<Value: Sendable>(
        _ groupIDs: [String],
        _ perCoordinator: @escaping @Sendable (Int32, [String]) async -> ([String: Result<Value, AdminItemError>], RequestStats)
    ) async throws(KafkaAdminError) -> (groups: [String: (coordinatorID: Int32?, result: Result<Value, AdminItemError>)], stats: RequestStats) {
        var stats = RequestStats()
        var results: [String: (coordinatorID: Int32?, result: Result<Value, AdminItemError>)] = [:]
        // Each coordinator's call sorts its own ids: no need to sort them all here first.
        var pending = Array(Set(groupIDs))
        for attempt in 0..<2 where !pending.isEmpty {
            let found = try await findCoordinators(groupIDs: pending, refresh: attempt > 0)
            stats.merge(found.stats)
            var byNode: [Int32: [String]] = [:]
            for id in pending {
                switch found.coordinators[id] ?? .failure(AdminItemError(.missingFromResponse)) {
                case let .success(node): byNode[node, default: []].append(id)
                case let .failure(e): results[id] = (nil, .failure(e))
                }
            }
            let batches = byNode
            let answers = await withTaskGroup(of: (Int32, [String: Result<Value, AdminItemError>], RequestStats).self) { group in
                for (node, ids) in batches {
                    group.addTask {
                        let (r, s) = await perCoordinator(node, ids)
                        return (node, r, s)
                    }
                }
                var all: [(Int32, [String: Result<Value, AdminItemError>], RequestStats)] = []
                for await x in group { all.append(x) }
                return all
            }
            var retry: [String] = []
            for (node, groups, s) in answers {
                stats.merge(s)
                for id in batches[node] ?? [] {
                    let r = groups[id] ?? .failure(AdminItemError(.missingFromResponse))
                    if case let .failure(e) = r, e.isCoordinatorError {
                        coordinatorCache[id] = nil
                        if attempt == 0 {
                            retry.append(id)
                            continue
                        }
                    }
                    results[id] = (node, r)
                }
            }
            pending = retry.sorted()
        }
        return (results, stats)
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

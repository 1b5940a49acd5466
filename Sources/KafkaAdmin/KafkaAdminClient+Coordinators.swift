import GroupModel
import KafkaProtocol
import KafkaWire

// Listing groups and finding their coordinators: ListGroups on every broker, batched
// FindCoordinator with a cache pruned as groups go, and the routing of per-group work to coordinators.

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
        var listedIDs: [Int32: [String]] = [:]
        for (node, answer) in answers {
            result.stats.merge(answer.stats)
            if let v = answer.version { result.versions[node] = v }
            switch answer.result {
            case let .failure(error):
                result.brokers[node] = .failure(error)
                listedIDs[node] = lastListedIDs[node]
            case let .success(response):
                if let error = AdminItemError.fromCode(response.errorCode) {
                    result.brokers[node] = .failure(error)
                    listedIDs[node] = lastListedIDs[node]
                    continue
                }
                let version = answer.version ?? 0
                var ids = LastListedIDs(lastListedIDs[node] ?? [])
                var listed = response.groups.map { g in
                    ListedGroup(
                        groupID: ids.reuse(g.groupID), protocolType: g.protocolType,
                        state: version >= 4 ? g.groupState : nil,
                        type: version >= 5 ? g.groupType.lowercasedIfNeeded : nil, nodeID: node)
                }
                // Unfiltered (the poller's listing), the list is kept as it is, not copied.
                if !types.isEmpty || !lowerStates.isEmpty {
                    listed.removeAll { g in
                        !((types.isEmpty || g.type.map { types.contains($0) } ?? true)
                            && (lowerStates.isEmpty || g.state.map { lowerStates.contains($0.lowercasedIfNeeded) } ?? true))
                    }
                }
                result.brokers[node] = .success(listed)
                listedIDs[node] = listed.map(\.groupID)
            }
        }
        // Only unfiltered listings are kept (a filtered one names fewer groups than the next poll's);
        // a broker that failed keeps its last.
        if types.isEmpty && states.isEmpty { lastListedIDs = listedIDs }
        pruneCoordinatorCache(after: result, filtered: !types.isEmpty || !states.isEmpty)
        learnCoordinators(from: result)
        return result
    }

    /// A broker lists the groups it coordinates, so each group listed by exactly one broker has
    /// that broker as its coordinator: groups not yet cached are cached here, so the first describe
    /// and offset fetch need no FindCoordinator round trip. A group listed by two brokers (a
    /// coordinator moving, or a server that lists every group everywhere) is left to
    /// FindCoordinator; a cached coordinator that has moved since is answered NOT_COORDINATOR and
    /// looked up again, as any stale entry is.
    private func learnCoordinators(from listing: ListGroupsResult) {
        var listed = 0
        for case let .success(groups) in listing.brokers.values { listed += groups.count }
        // Once every group's coordinator is known (every poll after the first), nothing to learn.
        guard coordinatorCache.count < listed else { return }
        let cache = coordinatorCache
        for (id, node) in Self.coordinators(listedIn: listing, unless: { cache[$0] != nil }) { coordinatorCache[id] = node }
    }

    /// The coordinator of each group in `listing` that exactly one broker listed (the broker), but
    /// not of the groups `known` already knows.
    static func coordinators(listedIn listing: ListGroupsResult, unless known: (String) -> Bool) -> [String: Int32] {
        var listedBy: [String: Int32] = [:]
        var twice: Set<String> = []
        for (node, answer) in listing.brokers {
            guard case let .success(groups) = answer else { continue }
            for g in groups where !known(g.groupID) {
                if let other = listedBy.updateValue(node, forKey: g.groupID), other != node { twice.insert(g.groupID) }
            }
        }
        for id in twice { listedBy[id] = nil }
        return listedBy
    }

    /// Forgets the cached coordinators of groups that no longer exist, so a long run in which
    /// groups come and go keeps the cache at the size of the live estate. Only an unfiltered listing
    /// that every broker answered tells which groups are gone.
    private func pruneCoordinatorCache(after listing: ListGroupsResult, filtered: Bool) {
        guard !filtered, !coordinatorCache.isEmpty else { return }
        // The cache was left holding only groups of the last listing: while it is unchanged since
        // and the brokers list the same groups, nothing is gone (every poll of a steady estate).
        if let last = lastPruned, last.generation == coordinatorCacheGeneration, last.matches(listing) { return }
        var listed = 0
        for case let .success(groups) in listing.brokers.values { listed += groups.count }
        // Sized once: growing it would hash every id again at each doubling.
        var live = Set<String>(minimumCapacity: listed)
        for (_, answer) in listing.brokers {
            guard case let .success(groups) = answer else { return }
            for g in groups { live.insert(g.groupID) }
        }
        if coordinatorCache.count > live.count || coordinatorCache.keys.contains(where: { !live.contains($0) }) {
            coordinatorCache = coordinatorCache.filter { live.contains($0.key) }
        }
        lastPruned = PrunedListing(listing, generation: coordinatorCacheGeneration)
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

    /// Each asked group's outcome from one batched describe answer, by position in `ids`: the
    /// request's failure, the group's own error code, the group, or missingFromResponse when the
    /// broker left it out.
    static func perGroup<Item>(
        _ ids: [String], _ answer: Result<[Item], AdminItemError>, id: (UnsafePointer<Item>) -> String,
        code: (UnsafePointer<Item>) -> Int16, message: (UnsafePointer<Item>) -> String?
    ) -> [Result<Item, AdminItemError>] {
        let items: [Item]
        switch answer {
        case let .failure(e): return ids.map { _ in .failure(e) }
        case let .success(list): items = list
        }
        let at = positions(of: ids, in: items, id: id)
        var groups: [Result<Item, AdminItemError>] = []
        groups.reserveCapacity(ids.count)
        // Read through pointers: an item handed to a closure by value is copied (every field
        // retained), even from an unsafe buffer; only the item kept in the result is copied.
        items.withUnsafeBufferPointer { items in
            for k in at {
                if k >= 0 {
                    let item = items.baseAddress! + k
                    groups.append(AdminItemError.fromCode(code(item), message: message(item)).map { .failure($0) } ?? .success(item.pointee))
                } else {
                    groups.append(.failure(AdminItemError(.missingFromResponse)))
                }
            }
        }
        return groups
    }

    /// For each of `ids`, where the first item with that id is in `items` (-1 when none). An answer
    /// listing the groups in the order asked (what brokers do) is matched position by position,
    /// with one comparison per group; any other is indexed by id once. Answers list thousands of
    /// groups: looking each one up by scanning would be quadratic. `id` reads an item in place.
    static func positions<Item>(of ids: [String], in items: [Item], id: (UnsafePointer<Item>) -> String) -> [Int] {
        items.withUnsafeBufferPointer { items in
            if items.count == ids.count {
                var i = 0
                while i < ids.count, id(items.baseAddress! + i) == ids[i] { i += 1 }
                if i == ids.count { return Array(ids.indices) }
            }
            var first: [String: Int] = [:]
            first.reserveCapacity(items.count)
            for k in items.indices {
                let key = id(items.baseAddress! + k)
                if first[key] == nil { first[key] = k }
            }
            return ids.map { first[$0] ?? -1 }
        }
    }

    /// `ids` as the batched calls answer for them: as given when sorted and each once (what the
    /// poller passes, so not hashed or sorted again), sorted without repeats otherwise.
    static func uniqueSorted(_ ids: [String]) -> [String] {
        isStrictlyAscending(ids) ? ids : Array(Set(ids)).sorted()
    }

    /// Whether `ids` are sorted and each once.
    static func isStrictlyAscending(_ ids: [String]) -> Bool {
        var i = 1
        while i < ids.count {
            if !(ids[i - 1] < ids[i]) { return false }
            i += 1
        }
        return true
    }

    /// Routes groups to their coordinators, runs `perCoordinator` once per coordinator in parallel,
    /// and retries (once, after a coordinator refresh) the groups that failed with a coordinator error.
    ///
    /// Results are by position: `ids` must be sorted and each once (``uniqueSorted(_:)``);
    /// `perCoordinator` gets a coordinator and positions in `ids` (ascending), and answers one
    /// result per position, in that order. The answer holds one result per id of `ids`.
    func routeByCoordinator<Value: Sendable>(
        _ ids: [String],
        _ perCoordinator: @escaping @Sendable (Int32, [Int]) async -> ([Result<Value, AdminItemError>], RequestStats)
    ) async throws(KafkaAdminError) -> (results: [(coordinatorID: Int32?, result: Result<Value, AdminItemError>)], stats: RequestStats) {
        assert(Self.isStrictlyAscending(ids), "ids sorted and unique")
        var stats = RequestStats()
        var results = [(coordinatorID: Int32?, result: Result<Value, AdminItemError>)](
            repeating: (nil, .failure(AdminItemError(.missingFromResponse))), count: ids.count)
        var pending = Array(ids.indices)
        for attempt in 0..<2 where !pending.isEmpty {
            // Positions per coordinator, ascending (as `pending` is).
            var byNode: [Int32: [Int]] = [:]
            // The first attempt routes groups with a cached coordinator straight away (as
            // findCoordinators would answer them, without a request); only the others are asked.
            var unknown: [Int] = []
            if attempt == 0 {
                // Metadata first, as findCoordinators checks it before reading the cache.
                _ = try await ensureMetadata(&stats)
                let generation = coordinatorCacheGeneration
                if let last = lastRoutings.last(where: { $0.generation == generation && $0.ids == ids }) {
                    byNode = last.byNode
                } else {
                    for i in pending {
                        if let node = coordinatorCache[ids[i]] { byNode[node, default: []].append(i) } else { unknown.append(i) }
                    }
                    if unknown.isEmpty {
                        lastRoutings.removeAll { $0.generation != generation }
                        if lastRoutings.count >= CoordinatorRouting.kept { lastRoutings.removeFirst() }
                        lastRoutings.append(CoordinatorRouting(ids: ids, generation: generation, byNode: byNode))
                    }
                }
            } else {
                unknown = pending
            }
            if !unknown.isEmpty {
                let found = try await findCoordinators(groupIDs: unknown.map { ids[$0] }, refresh: attempt > 0)
                stats.merge(found.stats)
                for i in unknown {
                    switch found.coordinators[ids[i]] ?? .failure(AdminItemError(.missingFromResponse)) {
                    case let .success(node): byNode[node, default: []].append(i)
                    case let .failure(e): results[i] = (nil, .failure(e))
                    }
                }
                // Cached and newly found groups of one coordinator were appended in two runs.
                if attempt == 0 { byNode = byNode.mapValues { $0.sorted() } }
            }
            let batches = byNode
            var answers = await withTaskGroup(of: (Int32, [Result<Value, AdminItemError>], RequestStats).self) { group in
                for (node, positions) in batches {
                    group.addTask {
                        let (r, s) = await perCoordinator(node, positions)
                        return (node, r, s)
                    }
                }
                var all: [(Int32, [Result<Value, AdminItemError>], RequestStats)] = []
                for await x in group { all.append(x) }
                return all
            }
            var retry: [Int] = []
            for a in answers.indices {
                let node = answers[a].0
                stats.merge(answers[a].2)
                // Each answer is moved into `results`, not copied (a copy would retain every field
                // of every group's answer, and letting the answers go would release them again).
                var answered: [Result<Value, AdminItemError>] = []
                swap(&answered, &answers[a].1)
                for (k, i) in (batches[node] ?? []).enumerated() {
                    var r: Result<Value, AdminItemError> = .failure(AdminItemError(.missingFromResponse))
                    if k < answered.count { swap(&r, &answered[k]) }
                    if case let .failure(e) = r, e.isCoordinatorError {
                        coordinatorCache[ids[i]] = nil
                        if attempt == 0 {
                            retry.append(i)
                            continue
                        }
                    }
                    results[i].coordinatorID = node
                    swap(&results[i].result, &r)
                }
            }
            pending = retry.sorted()
        }
        return (results, stats)
    }
}

extension String {
    /// `lowercased()`, but the string itself when it has nothing to lower (ASCII without capitals,
    /// as brokers send group types and states): the same value, without making a new string.
    var lowercasedIfNeeded: String {
        utf8.allSatisfy { $0 < 0x80 && !(0x41...0x5A).contains($0) } ? self : lowercased()
    }
}

/// A broker's last listed group ids, walked beside its new listing: an id equal to the last
/// listing's is that string, not the answer's equal copy. Every poll lists the same 10,000 ids,
/// and each is then compared with last poll's (the assembly kept, routing and pruning kept, history):
/// equal strings of one storage compare without reading their bytes.
struct LastListedIDs {
    /// The last listing's ids, in the order listed.
    let known: [String]
    /// The next of ``known`` to compare with.
    private var next = 0

    init(_ known: [String]) { self.known = known }

    /// `id`, or the last listing's equal string. Listings in ascending order (as brokers list) are
    /// matched in one pass, groups coming and going; in any other order, what still lines up.
    mutating func reuse(_ id: String) -> String {
        while next < known.count {
            let k = known[next]
            if k == id {
                next += 1
                return k
            }
            if !(k < id) { break }
            next += 1
        }
        return id
    }
}

/// Group ids routed to their cached coordinators: positions in ``ids`` per coordinator, ascending,
/// as the coordinator cache stood at ``generation``. The poller routes the same ids twice a poll
/// (describe, then committed offsets) and again the next poll; while the cache is unchanged they go
/// where they went, without hashing each id into the cache again.
struct CoordinatorRouting {
    /// How many routings the client keeps.
    static let kept = 2
    /// The ids routed (sorted, each once).
    var ids: [String]
    /// ``KafkaAdminClient/coordinatorCacheGeneration`` when they were routed.
    var generation: UInt64
    /// Positions in ``ids`` per coordinator, ascending; every id has one.
    var byNode: [Int32: [Int]]
}

/// The group ids each broker listed when the coordinator cache was pruned, with the cache's
/// generation after the pruning: a later listing naming the same groups, broker by broker, with
/// the cache unchanged since, has nothing to prune.
struct PrunedListing {
    /// Per broker, the ids of the groups it listed, in the order listed.
    var ids: [Int32: [String]]
    /// ``KafkaAdminClient/coordinatorCacheGeneration`` after the pruning.
    var generation: UInt64

    /// The ids of `listing`, which every broker answered (the only listing the cache is pruned
    /// against).
    init(_ listing: ListGroupsResult, generation: UInt64) {
        var ids: [Int32: [String]] = [:]
        for case let (node, .success(groups)) in listing.brokers { ids[node] = groups.map(\.groupID) }
        self.ids = ids
        self.generation = generation
    }

    /// Whether every broker of `listing` answered and listed the groups it listed here, in the
    /// same order, and no other broker did.
    func matches(_ listing: ListGroupsResult) -> Bool {
        guard listing.brokers.count == ids.count else { return false }
        for (node, answer) in listing.brokers {
            guard case let .success(groups) = answer, let known = ids[node], known.count == groups.count else { return false }
            for k in groups.indices where groups[k].groupID != known[k] { return false }
        }
        return true
    }
}

import GroupModel
@testable import KafkaAdmin
import KafkaSim
import Testing

extension KafkaAdminClient {
    /// Sets (or, with nil, forgets) the cached coordinator of `groupID`, as a FindCoordinator
    /// answer or a NOT_COORDINATOR would.
    func setCachedCoordinator(_ node: Int32?, of groupID: String) { coordinatorCache[groupID] = node }
}

/// What the admin client keeps from the coordinator cache (the last routings of group ids, the
/// listing it last pruned against) is used only while the cache is unchanged.
@Suite("Coordinator routing and pruning kept across polls")
struct CoordinatorMemoTests {
    static func listed(_ ids: [String], on node: Int32) -> [ListedGroup] {
        ids.map { ListedGroup(groupID: $0, protocolType: "consumer", nodeID: node) }
    }

    static func listing(_ brokers: [Int32: Result<[ListedGroup], AdminItemError>]) -> ListGroupsResult {
        ListGroupsResult(brokers: brokers, versions: [:], stats: RequestStats())
    }

    /// Where a string's UTF-8 bytes are stored (equal for one storage, different for equal copies).
    static func storage(_ s: String) -> UnsafeRawPointer? {
        s.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    /// `s` in storage of its own (an equal string no other holds).
    static func copy(_ s: String) -> String { String(decoding: Array(s.utf8), as: UTF8.self) }

    @Test("A listing's ids are the last listing's strings where equal, in order or not, groups coming and going")
    func listedIDsReused() {
        let known = (0..<8).map { "a-group-with-a-long-id-\($0)" }
        let cases: [[Int]] = [
            Array(0..<8), [], [0, 1, 2], [5, 6, 7], [1, 3, 4, 7], [7, 6, 5, 4, 3, 2, 1, 0], [2, 0, 5, 1],
            [0, -1, 1, -2, 7, -3],
        ]
        for picks in cases {
            // Negative picks are new groups, each after the one before it in order.
            let asked = picks.map { $0 >= 0 ? Self.copy(known[$0]) : "a-group-with-a-long-id-\(-$0)x" }
            var ids = LastListedIDs(known)
            let got = asked.map { ids.reuse($0) }
            #expect(got == asked, "\(picks)")
            for (k, p) in picks.enumerated() where p >= 0 {
                let reused = Self.storage(got[k]) == Self.storage(known[p])
                // Ascending picks are all matched; others at least where they line up.
                if picks == picks.sorted() { #expect(reused, "\(picks) at \(k)") }
                #expect(reused || Self.storage(got[k]) == Self.storage(asked[k]), "\(picks) at \(k)")
            }
        }
    }

    @Test("A pruned listing matches the same groups, broker by broker and in order, and nothing else")
    func prunedListingMatches() {
        let base = Self.listing([1: .success(Self.listed(["a", "b"], on: 1)), 2: .success(Self.listed(["c"], on: 2))])
        let pruned = PrunedListing(base, generation: 7)
        #expect(pruned.generation == 7)
        #expect(pruned.matches(base))
        let others: [ListGroupsResult] = [
            Self.listing([1: .success(Self.listed(["b", "a"], on: 1)), 2: .success(Self.listed(["c"], on: 2))]),
            Self.listing([1: .success(Self.listed(["a", "b"], on: 1)), 2: .success(Self.listed(["d"], on: 2))]),
            Self.listing([1: .success(Self.listed(["a", "b"], on: 1)), 2: .success(Self.listed(["c", "d"], on: 2))]),
            Self.listing([1: .success(Self.listed(["a", "b"], on: 1)), 3: .success(Self.listed(["c"], on: 3))]),
            Self.listing([1: .success(Self.listed(["a", "b"], on: 1)), 2: .failure(AdminItemError(.notRoutable, message: "down"))]),
            Self.listing([1: .success(Self.listed(["a", "b"], on: 1))]),
            Self.listing([
                1: .success(Self.listed(["a", "b"], on: 1)), 2: .success(Self.listed(["c"], on: 2)), 3: .success([]),
            ]),
        ]
        for other in others { #expect(!pruned.matches(other), "\(other.brokers)") }
    }

    @Test("Ids routed again go where the cache now says: a changed entry is asked at its new coordinator")
    func routingFollowsTheCache() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("t", partitions: 1)
        let ids = (0..<30).map { "g\($0)" }
        for id in ids { await c.commitOffset(group: id, topic: "t", partition: 0, offset: 5) }
        // Learn every coordinator, then route the same ids twice from the cache (the second time
        // from the kept routing).
        _ = try await f.admin.fetchOffsets(groupIDs: ids)
        for _ in 0..<2 {
            let r = try await f.admin.fetchOffsets(groupIDs: ids)
            #expect(r.stats.requests("FindCoordinator") == 0)
            for (k, id) in r.ids.enumerated() { #expect(r.results[k].coordinatorID == (await c.coordinator(for: id)), "\(id)") }
        }
        #expect(await !f.admin.lastRoutings.isEmpty)
        // One group's cached coordinator goes stale: it is asked there, answered NOT_COORDINATOR,
        // looked up and asked again; a forgotten one is looked up first.
        let real = await c.coordinator(for: "g3")
        await f.admin.setCachedCoordinator(real % 3 + 1, of: "g3")
        await f.admin.setCachedCoordinator(nil, of: "g7")
        let moved = try await f.admin.fetchOffsets(groupIDs: ids)
        #expect(moved.stats.requests("FindCoordinator") == 2, "\(moved.stats)")
        for (k, id) in moved.ids.enumerated() {
            #expect(moved.results[k].coordinatorID == (await c.coordinator(for: id)), "\(id)")
            guard case let .success(offsets) = moved.results[k].result else {
                Issue.record("\(id): \(moved.results[k].result)")
                continue
            }
            #expect(offsets.offsets.map(\.offset) == [5], "\(id)")
        }
        await f.stop()
    }

    @Test("A listing like the last is not pruned against again unless the cache changed since")
    func pruningFollowsTheCache() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("t", partitions: 1)
        for k in 0..<20 { await c.commitOffset(group: "a-long-group-id-\(k)", topic: "t", partition: 0, offset: 0) }
        for _ in 0..<3 { _ = try await f.admin.listGroups() }
        #expect(await f.admin.cachedCoordinatorCount == 20)
        #expect(await f.admin.lastPruned != nil)
        // The listings name the groups with the first listing's strings.
        let first = try await f.admin.listGroups().groups.map(\.groupID)
        let again = try await f.admin.listGroups().groups.map(\.groupID)
        #expect(first == again)
        #expect(!first.isEmpty && first.allSatisfy { Self.storage($0) != nil })
        #expect(first.map(Self.storage) == again.map(Self.storage))
        // A group no broker lists enters the cache (as a lookup of any id would put it there): the
        // same listing as before must still drop it.
        await f.admin.setCachedCoordinator(1, of: "ghost")
        #expect(await f.admin.cachedCoordinatorCount == 21)
        _ = try await f.admin.listGroups()
        #expect(await f.admin.cachedCoordinator(of: "ghost") == nil)
        #expect(await f.admin.cachedCoordinatorCount == 20)
        // A group gone from the listing is dropped too.
        #expect(await c.deleteGroup("a-long-group-id-4"))
        _ = try await f.admin.listGroups()
        #expect(await f.admin.cachedCoordinator(of: "a-long-group-id-4") == nil)
        #expect(await f.admin.cachedCoordinatorCount == 19)
        await f.stop()
    }
}

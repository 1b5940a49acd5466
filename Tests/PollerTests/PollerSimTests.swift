import Foundation
import GroupModel
@testable import KafkaAdmin
import KafkaSim
import Monitor
import Testing

/// A simulated cluster on a manual clock, served on loopback, with a poller pointed at it.
struct SimFixture {
    let cluster: SimCluster
    let sim: KafkaSimulator
    let clock: ManualClock
    let admin: KafkaAdminClient
    let poller: Poller

    static func start(brokers: Int = 3, classicDelayMs: Int64 = 0) async throws -> SimFixture {
        var config = SimConfig(brokerCount: brokers)
        config.classicInitialRebalanceDelayMs = classicDelayMs
        let clock = ManualClock()
        let cluster = SimCluster(config: config, clock: clock)
        let sim = try await KafkaSimulator.start(cluster: cluster, tickIntervalMs: nil)
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": await sim.bootstrapServers()])
        let poller = Poller(admin: admin, earliestEvery: 1, now: { clock.nowMs() })
        return SimFixture(cluster: cluster, sim: sim, clock: clock, admin: admin, poller: poller)
    }

    func poll() async throws -> PollOutcome { try await poller.poll() }

    func stop() async {
        await admin.close()
        await sim.shutdown()
    }
}

@Suite("Poller against KafkaSim: one poll gives the whole cluster", .serialized)
struct PollerSimTests {
    @Test("KIP-848 Stable, classic Stable and a mixed group, with epochs, assignments and lag")
    func stableGroups() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("orders", partitions: 6)
        try await c.createTopic("payments", partitions: 4)
        _ = try await c.append(topic: "orders", partition: 0, count: 100)
        var o = SimMemberOptions()
        o.consumeRatePerSec = 0  // consume nothing, so lag stays exactly the appended records
        o.clientID = "kip"
        _ = try await c.addConsumerGroup("kip", topics: ["orders"], members: 3, serverAssignor: "uniform", options: o)
        o.clientID = "cls"
        _ = try await c.addClassicGroup("cls", topics: ["payments"], members: 2, assignor: .cooperativeSticky, options: o)
        o.clientID = "mix"
        _ = try await c.addConsumerGroup("mix", topics: ["orders"], members: 1, options: o)
        o.classicInConsumerGroup = true
        _ = try await c.addMember(group: "mix", protocol: .consumer, topics: ["orders"], options: o)
        await c.advance(by: 10_000)

        let s = try await f.poll().snapshot
        await f.stop()

        #expect(s.cluster.brokers.count == 3 && s.cluster.brokers.allSatisfy(\.reachable))
        // The poller sets the assembled lists without re-sorting them: they must be canonical already.
        #expect(s == s.normalized())
        #expect(s.cluster.kip848Enabled == true)
        #expect(s.errors.isEmpty, "\(s.errors)")

        let kip = try #require(s.group("kip"))
        #expect(kip.type == .consumer && kip.protocol == .consumer)
        #expect(kip.state == .stable)
        #expect(kip.assignor == "uniform")
        let epoch = try #require(kip.groupEpoch)
        #expect(kip.assignmentEpoch == epoch)
        #expect(kip.members.count == 3)
        #expect(kip.members.allSatisfy { $0.memberEpoch == epoch && $0.memberType == .consumer })
        #expect(kip.members.allSatisfy { $0.assignment == $0.targetAssignment })
        #expect(kip.members.flatMap(\.assignment).count == 6)
        #expect(kip.partitions.count == 6)
        #expect(kip.partitions.allSatisfy { $0.handoff == .settled && $0.owner != nil && $0.owner == $0.targetOwner })
        #expect(kip.summary.pendingRevocation == 0 && kip.summary.partitionsUnowned == 0)
        // Nothing consumed: no commit, lag measured from log start = the 100 appended records.
        #expect(kip.summary.totalLag == 100)
        #expect(kip.partition(TopicPartition(topic: "orders", partition: 0))?.lag == .known(100))

        let cls = try #require(s.group("cls"))
        #expect(cls.type == .classic && cls.protocol == .classic)
        #expect(cls.state == .stable)
        #expect(cls.assignor == "cooperative-sticky")
        #expect(cls.groupEpoch == nil && cls.assignmentEpoch == nil)
        #expect(cls.members.count == 2 && cls.members.allSatisfy { $0.memberType == .classic })
        #expect(cls.members.flatMap(\.assignment).sorted().map(\.partition) == [0, 1, 2, 3])
        #expect(cls.members.allSatisfy { $0.subscribedTopics == ["payments"] })

        let mix = try #require(s.group("mix"))
        #expect(mix.protocol == .mixed && mix.isMixed)
        #expect(Set(mix.members.map(\.memberType)) == [.classic, .consumer])
    }

    @Test("Topics named only by a group's commits get their log offsets: every topic of the commits, runs of one and of many partitions")
    func committedTopicsAreWanted() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        let topics = ["a", "b", "c", "d", "e"]
        for (i, t) in topics.enumerated() {
            try await c.createTopic(t, partitions: i + 1)
            for p in 0...Int32(i) { _ = try await c.append(topic: t, partition: p, count: 10 + i) }
        }
        try await c.createTopic("unread", partitions: 2)
        // No members: only the committed offsets name the topics. One group commits a partition of
        // one topic between two topics with many; another commits to one topic only.
        for (i, t) in topics.enumerated() where t != "c" {
            for p in 0...Int32(i) { await c.commitOffset(group: "spread", topic: t, partition: p, offset: 3) }
        }
        await c.commitOffset(group: "spread", topic: "c", partition: 1, offset: 3)
        for p: Int32 in 0...3 { await c.commitOffset(group: "single", topic: "d", partition: p, offset: 1) }
        await c.advance(by: 1_000)

        let s = try await f.poll().snapshot
        await f.stop()
        let spread = try #require(s.group("spread"))
        #expect(Set(spread.partitions.map(\.topicPartition.topic)) == ["a", "b", "c", "d", "e"])
        for row in spread.partitions {
            let records = Int64(10 + topics.firstIndex(of: row.topicPartition.topic)!)
            #expect(row.logEnd == records, "\(row.topicPartition)")
            #expect(row.lag == .known(records - 3), "\(row.topicPartition)")
        }
        let single = try #require(s.group("single"))
        #expect(single.partitions.count == 4 && single.partitions.allSatisfy { $0.lag == .known(12) })
        // Log offsets are asked only for the topics the groups name.
        #expect(!s.topics.contains { $0.name == "unread" })
    }

    @Test("KIP-848 Reconciling: a slow member holds partitions the new member is waiting for")
    func reconciling() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("t", partitions: 6)
        var o = SimMemberOptions()
        o.clientID = "first"
        let a = try await c.addMember(group: "g", protocol: .consumer, topics: ["t"], options: o)
        await c.advance(by: 2_000)
        try await c.slowMember(a, revocationDelayMs: 60_000)
        o.clientID = "second"
        _ = try await c.addMember(group: "g", protocol: .consumer, topics: ["t"], options: o)
        await c.advance(by: 3_000)

        let s = try await f.poll().snapshot
        await f.stop()
        let g = try #require(s.group("g"))
        #expect(g.state == .reconciling)
        let epoch = try #require(g.groupEpoch)
        #expect(g.assignmentEpoch == epoch)
        let first = try #require(g.members.first { $0.clientID == "first" })
        let second = try #require(g.members.first { $0.clientID == "second" })
        #expect(first.memberEpoch! < epoch, "the revoking member stays behind the assignment epoch")
        #expect(g.summary.membersBehindAssignmentEpoch == [first.memberID])
        #expect(first.pendingRevocation.count == 3)
        #expect((second.targetAssignment ?? []).count == 3)
        #expect(second.assignment.isEmpty)
        #expect(g.summary.pendingRevocation == 3)
        #expect(g.summary.awaitingRelease == 3)
        #expect(g.partitions.filter { $0.handoff == .pendingRevocation }.count == 3)
    }

    @Test("Classic PreparingRebalance while the initial rebalance delay runs")
    func preparingRebalance() async throws {
        let f = try await SimFixture.start(classicDelayMs: 30_000)
        let c = f.cluster
        try await c.createTopic("t", partitions: 2)
        _ = try await c.addClassicGroup("slowjoin", topics: ["t"], members: 2, assignor: .range)
        await c.advance(by: 1_000)
        let s = try await f.poll().snapshot
        let g = try #require(s.group("slowjoin"))
        #expect(g.state == .preparingRebalance)
        #expect(g.protocol == .classic)
        await c.advance(by: 40_000)
        let later = try await f.poll().snapshot
        await f.stop()
        #expect(later.group("slowjoin")?.state == .stable)
        #expect(later.group("slowjoin")?.members.flatMap(\.assignment).count == 2)
    }

    @Test("Requests per poll grow with brokers, not with groups")
    func requestsDoNotGrowWithGroups() async throws {
        func requests(groups: Int) async throws -> (Int, [String: Int]) {
            let f = try await SimFixture.start()
            let c = f.cluster
            try await c.createTopic("t", partitions: 4)
            _ = try await c.append(topic: "t", partition: 0, count: 10)
            for i in 0..<groups {
                for p in 0..<4 { await c.commitOffset(group: "g\(i)", topic: "t", partition: Int32(p), offset: 1) }
                if i % 2 == 0 {
                    _ = try await c.addConsumerGroup("k\(i)", topics: ["t"], members: 1)
                } else {
                    _ = try await c.addClassicGroup("k\(i)", topics: ["t"], members: 1)
                }
            }
            await c.advance(by: 10_000)
            _ = try await f.poll()  // warm: bootstrap, metadata, coordinator cache
            let stats = try await f.poll().stats
            await f.stop()
            return (stats.requests, stats.byAPI.mapValues(\.requests))
        }
        let (small, smallBy) = try await requests(groups: 30)
        let (large, largeBy) = try await requests(groups: 120)
        #expect(small == large, "requests per poll: \(smallBy) with 30 groups vs \(largeBy) with 120")
        #expect(large <= 6 * 3 + 2, "at most 6 per broker + 2: \(largeBy)")
    }

    @Test("The first poll takes each group's coordinator from the broker that listed it: no FindCoordinator")
    func coordinatorsFromListings() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("t", partitions: 2)
        for i in 0..<12 {
            _ = try await c.addConsumerGroup("k\(i)", topics: ["t"], members: 1)
            _ = try await c.addClassicGroup("c\(i)", topics: ["t"], members: 1)
            await c.commitOffset(group: "o\(i)", topic: "t", partition: 0, offset: 0)
        }
        await c.advance(by: 10_000)
        let first = try await f.poll()
        await f.stop()
        #expect(first.stats.requests("FindCoordinator") == 0, "\(first.stats)")
        #expect(first.snapshot.groups.count == 36)
        #expect(Set(first.snapshot.groups.compactMap(\.coordinatorID)).count == 3, "every broker coordinates some")
        for g in first.snapshot.groups {
            #expect(g.coordinatorID == (await c.coordinator(for: g.groupID)), "\(g.groupID)")
            #expect(g.error == nil, "\(g.groupID): \(String(describing: g.error))")
        }
        #expect(first.snapshot.groups.filter { $0.groupID.hasPrefix("k") }.allSatisfy { $0.members.count == 1 })
    }

    @Test("A group listed by two brokers is left to FindCoordinator; a known one is not relearned")
    func listedTwice() {
        func listed(_ ids: [String], on node: Int32) -> [ListedGroup] {
            ids.map { ListedGroup(groupID: $0, protocolType: "consumer", nodeID: node) }
        }
        let listing = ListGroupsResult(
            brokers: [
                1: .success(listed(["a", "moving", "known"], on: 1)),
                2: .success(listed(["b", "moving"], on: 2)),
                3: .failure(AdminItemError(.notRoutable, message: "down")),
            ],
            versions: [:], stats: RequestStats())
        let learned = KafkaAdminClient.coordinators(listedIn: listing, unless: { $0 == "known" })
        #expect(learned == ["a": 1, "b": 2])
    }

    @Test("A broker that is down is reported once and the rest of the cluster is still shown")
    func brokerDown() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("t", partitions: 3)
        _ = try await c.addConsumerGroup("up", topics: ["t"], members: 1)
        await c.advance(by: 5_000)
        _ = try await f.poll()
        await f.sim.stopBroker(3)
        let s = try await f.poll().snapshot
        await f.stop()
        #expect(s.cluster.brokers.first { $0.nodeID == 3 }?.reachable == false)
        #expect(s.errors.contains { $0.scope == .broker && $0.brokerID == 3 })
        #expect(s.errors.filter { $0.scope == .broker && $0.brokerID == 3 }.count == 1)
    }

    @Test("Groups that come and go leave no coordinators behind in the admin client's cache")
    func coordinatorCacheFollowsTheGroups() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("t", partitions: 2)
        _ = try await c.addConsumerGroup("steady", topics: ["t"], members: 1)
        for wave in 0..<3 {
            let ids = (0..<200).map { "wave\(wave)-\($0)" }
            for id in ids { await c.commitOffset(group: id, topic: "t", partition: 0, offset: 0) }
            await c.advance(by: 1_000)
            let s = try await f.poll().snapshot
            #expect(s.groups.count == 201)
            #expect(await f.admin.cachedCoordinatorCount == 201)
            for id in ids { #expect(await c.deleteGroup(id)) }
        }
        await c.advance(by: 1_000)
        let s = try await f.poll().snapshot
        let cached = await f.admin.cachedCoordinatorCount
        await f.stop()
        #expect(s.groups.map(\.groupID) == ["steady"])
        #expect(cached == 1)
    }
}

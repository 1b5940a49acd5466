import GroupModel
@testable import KafkaAdmin
import KafkaSim
import KafkaWire
@testable import Monitor
import Testing

/// The tables the poller keeps from Metadata between polls are rebuilt whenever Metadata's topics
/// change, and a poll after a change reads the same cluster as a poller that never saw it before.
@Suite("Poller's Metadata tables", .serialized)
struct MetadataTablesTests {
    static func topic(_ name: String, id: UInt64, leaders: [Int32?], order: [Int]? = nil) -> KafkaAdmin.TopicInfo {
        let partitions = (order ?? Array(leaders.indices)).map { p in
            PartitionInfo(partition: Int32(p), leaderID: leaders[p], leaderEpoch: 0)
        }
        return KafkaAdmin.TopicInfo(name: name, topicID: KafkaUUID(high: id, low: id), isInternal: false, partitions: partitions)
    }

    static let base: [String: KafkaAdmin.TopicInfo] = [
        "orders": topic("orders", id: 1, leaders: [1, 2, 3]),
        "payments": topic("payments", id: 2, leaders: [2, nil]),
        "legacy": topic("legacy", id: 0, leaders: [1]),
    ]

    /// What the tables must hold for `topics`, written out plainly.
    static func expectBuilt(from topics: [String: KafkaAdmin.TopicInfo]) {
        let t = MetadataTables(topics)
        #expect(t.matches(topics))
        #expect(t.sortedNames == topics.keys.sorted())
        var partitions: [TopicPartition] = []
        var leaders: [Int32?] = []
        for name in topics.keys.sorted() {
            for p in topics[name]!.partitions.sorted(by: { $0.partition < $1.partition }) {
                partitions.append(TopicPartition(topic: name, partition: p.partition))
                leaders.append(p.leaderID)
            }
        }
        #expect(t.partitions == partitions)
        #expect(t.leaders == leaders)
        for (name, info) in topics {
            #expect(t.idTexts[t.numbers[name]!] == (info.topicID.isZero ? nil : info.topicID.description))
            if !info.topicID.isZero { #expect(t.topicNames.byID[info.topicID] == name) }
            #expect(t.topicNames.interned(String(name.reversed().reversed())) == name)
        }
        #expect(t.topicNames.byID.count == topics.values.filter { !$0.topicID.isZero }.count)
    }

    @Test("Built from Metadata: ids, names, partitions in order (sorted when Metadata is not), leaders")
    func built() {
        Self.expectBuilt(from: Self.base)
        var unordered = Self.base
        unordered["orders"] = Self.topic("orders", id: 1, leaders: [1, 2, 3], order: [2, 0, 1])
        Self.expectBuilt(from: unordered)
        Self.expectBuilt(from: [:])
    }

    @Test("Every change of Metadata's topics is seen: added, removed, partitions added, leader moved, id changed")
    func invalidation() {
        let tables = MetadataTables(Self.base)
        #expect(tables.matches(Self.base))
        var changes: [(String, [String: KafkaAdmin.TopicInfo])] = []
        var added = Self.base
        added["audit"] = Self.topic("audit", id: 3, leaders: [1])
        changes.append(("topic added", added))
        var removed = Self.base
        removed["payments"] = nil
        changes.append(("topic removed", removed))
        var grown = Self.base
        grown["orders"] = Self.topic("orders", id: 1, leaders: [1, 2, 3, 1])
        changes.append(("partitions added", grown))
        var moved = Self.base
        moved["orders"] = Self.topic("orders", id: 1, leaders: [1, 3, 3])
        changes.append(("leader moved", moved))
        var leaderless = Self.base
        leaderless["orders"] = Self.topic("orders", id: 1, leaders: [1, nil, 3])
        changes.append(("leader lost", leaderless))
        var recreated = Self.base
        recreated["orders"] = Self.topic("orders", id: 9, leaders: [1, 2, 3])
        changes.append(("topic id changed", recreated))
        for (what, topics) in changes {
            #expect(!tables.matches(topics), "\(what)")
            Self.expectBuilt(from: topics)
        }
        // An equal value in new storage (a Metadata refresh that changed nothing) still matches.
        var copy: [String: KafkaAdmin.TopicInfo] = [:]
        for (name, info) in Self.base { copy[name] = info }
        #expect(tables.matches(copy))
    }

    /// The storage of a dictionary (one reference).
    static func storage(_ topics: [String: KafkaAdmin.TopicInfo]) -> UInt { unsafeBitCast(topics, to: UInt.self) }

    /// Whether two strings share one storage.
    static func same(_ a: String, _ b: String) -> Bool {
        unsafeBitCast(a, to: (UInt64, UInt64).self) == unsafeBitCast(b, to: (UInt64, UInt64).self)
    }

    @Test("After a refresh that changed nothing, the tables hold the new Metadata, not the old one, and keep their names")
    func refreshAdopted() {
        let long = "a-topic-name-longer-than-fifteen-bytes"
        func metadata() -> [String: KafkaAdmin.TopicInfo] {
            // Fresh strings, as a refresh decodes them.
            let name = String(decoding: Array(long.utf8), as: UTF8.self)
            return [name: Self.topic(name, id: 5, leaders: [1, 2]), "orders": Self.topic("orders", id: 1, leaders: [1])]
        }
        let first = metadata()
        let tables = MetadataTables(first)
        let kept = tables.topicNames.interned(long)
        let refreshed = metadata()
        #expect(Self.storage(refreshed) != Self.storage(first))
        #expect(tables.matches(refreshed))
        #expect(Self.storage(tables.topics) == Self.storage(refreshed))
        // The names are still the tables' own (the first Metadata's), from poll to poll.
        let fresh = refreshed.keys.first { $0 == long }!
        #expect(!Self.same(fresh, kept))
        #expect(Self.same(tables.topicNames.interned(fresh), kept))
        #expect(Self.same(tables.partitions[0].topic, kept))
        #expect(Self.same(tables.topicNames.byID[KafkaUUID(high: 5, low: 5)]!, kept))
    }

    @Test("A selection of topics gives their partitions in order; the same selection gives the same arrays")
    func selection() {
        let tables = MetadataTables(Self.base)
        // Topic numbers follow the sorted names: legacy 0, orders 1, payments 2.
        let all = tables.partitions(of: [true, true, true])
        #expect(all.partitions == tables.partitions && all.leaders == tables.leaders)
        #expect(all.topicIDs == [nil, KafkaUUID(high: 1, low: 1).description, KafkaUUID(high: 2, low: 2).description])
        let some = tables.partitions(of: [false, true, true])
        #expect(some.topicIDs == [KafkaUUID(high: 1, low: 1).description, KafkaUUID(high: 2, low: 2).description])
        #expect(some.partitions == [
            TopicPartition(topic: "orders", partition: 0), TopicPartition(topic: "orders", partition: 1),
            TopicPartition(topic: "orders", partition: 2), TopicPartition(topic: "payments", partition: 0),
            TopicPartition(topic: "payments", partition: 1),
        ])
        #expect(some.leaders == [1, 2, 3, 2, nil])
        let again = tables.partitions(of: [false, true, true])
        #expect(again.partitions == some.partitions && again.leaders == some.leaders)
        #expect(again.partitions.withUnsafeBufferPointer { $0.baseAddress } == some.partitions.withUnsafeBufferPointer { $0.baseAddress })
        let none = tables.partitions(of: [false, false, false])
        #expect(none.partitions.isEmpty && none.leaders.isEmpty)
        #expect(tables.partitions(of: [true, false, false]).partitions == [TopicPartition(topic: "legacy", partition: 0)])
    }

    @Test("After Metadata changes, a kept poller reads the same cluster as a new one")
    func pollerAfterChanges() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("orders", partitions: 3)
        try await c.createTopic("payments", partitions: 2)
        var o = SimMemberOptions()
        o.consumeRatePerSec = 0
        _ = try await c.addConsumerGroup("kip", topics: ["orders"], members: 2, options: o)
        _ = try await c.addClassicGroup("cls", topics: ["payments"], members: 1, assignor: .range, options: o)
        await c.advance(by: 5_000)
        let first = try await f.poll().snapshot
        #expect(first.topics.map(\.name) == ["orders", "payments"])

        // A topic added that a group commits to, partitions added, a leader moved.
        try await c.createTopic("audit", partitions: 2)
        await c.commitOffset(group: "kip", topic: "audit", partition: 1, offset: 0)
        try await c.addPartitions("orders", totalCount: 5)
        let leader = await c.partitionLeader(topic: "payments", partition: 0) ?? 0
        try await c.moveLeader(topic: "payments", partition: 0, to: (leader % 3) + 1)
        await f.admin.invalidateMetadata()

        let kept = try await f.poll().snapshot
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": await f.sim.bootstrapServers()])
        let fresh = try await Poller(admin: admin, earliestEvery: 1, now: { f.clock.nowMs() }).poll().snapshot
        await admin.close()
        await f.stop()

        #expect(kept.topics.map(\.name) == ["audit", "orders", "payments"])
        #expect(kept.topics.first { $0.name == "orders" }?.partitions.count == 5)
        #expect(kept.topics.first { $0.name == "payments" }?.partitions.first?.leader == (leader % 3) + 1)
        #expect(kept.topics.first { $0.name == "audit" }?.topicID != nil)
        #expect(kept.topics == fresh.topics)
        #expect(kept.groups == fresh.groups)
        #expect(kept.errors == fresh.errors)
    }
}

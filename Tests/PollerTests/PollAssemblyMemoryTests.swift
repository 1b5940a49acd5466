import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing

/// The poller keeps the members it assembled (``AssemblyMemory``): while a coordinator answers
/// the same members and offsets move, a kept poller's groups are the very members of its last
/// poll, and equal what a new poller reads.
@Suite("Poller: members and row plans kept from poll to poll")
struct PollAssemblyMemoryTests {
    /// A simulator with two topics with producers and two consuming groups (KIP-848 and classic),
    /// 5 s in.
    static func twoGroups() async throws -> SimFixture {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("orders", partitions: 6)
        try await c.createTopic("payments", partitions: 4)
        try await c.produce(topic: "orders", recordsPerSec: 50)
        try await c.produce(topic: "payments", recordsPerSec: 20)
        var o = SimMemberOptions()
        o.consumeRatePerSec = 10
        _ = try await c.addConsumerGroup("kip", topics: ["orders"], members: 3, options: o)
        _ = try await c.addClassicGroup("classic", topics: ["payments", "orders"], members: 2, options: o)
        await c.advance(by: 5_000)
        return f
    }

    @Test("Records produced and consumed between polls: members kept, groups equal a new poller's")
    func offsetsMoving() async throws {
        let f = try await Self.twoGroups()
        let c = f.cluster
        var last = try await f.poll().snapshot
        for _ in 0..<3 {
            await c.advance(by: 2_000)
            let kept = try await f.poll().snapshot
            let fresh = try await PollReuseTests.freshSnapshot(f)
            #expect(kept.groups == fresh.groups)
            #expect(kept.topics == fresh.topics)
            // The log ends moved, and the unchanged members are the last poll's storage.
            #expect(kept.topics != last.topics)
            for (a, b) in zip(last.groups, kept.groups) where !a.members.isEmpty {
                #expect(a.members.withUnsafeBufferPointer { $0.baseAddress } == b.members.withUnsafeBufferPointer { $0.baseAddress },
                        "group \(a.groupID)")
            }
            last = kept
        }
        await f.stop()
    }

    @Test("A poller made for one poll keeps nothing, and its polls equal a remembering poller's")
    func singlePoll() async throws {
        let f = try await Self.twoGroups()
        let c = f.cluster
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": await f.sim.bootstrapServers()])
        let once = Poller(admin: admin, earliestEvery: 1, remembersAssembly: false, now: { f.clock.nowMs() })
        for _ in 0..<3 {
            let kept = try await f.poll().snapshot
            let single = try await once.poll().snapshot
            #expect(!kept.groups.isEmpty)
            #expect(single.groups == kept.groups)
            #expect(single.topics == kept.topics)
            #expect(await once.rememberedGroupCount == 0)
            #expect(await f.poller.rememberedGroupCount == 2)
            await c.advance(by: 2_000)
        }
        await admin.close()
        await f.stop()
    }
}

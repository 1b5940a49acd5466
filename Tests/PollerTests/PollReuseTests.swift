import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing

/// What a kept poller reuses from its last poll (members read against the coordinator's last
/// answer, the routing of ListOffsets) gives the snapshot a new poller reads.
@Suite("Poller: what is reused from poll to poll reads as a new poller reads")
struct PollReuseTests {
    static func freshSnapshot(_ f: SimFixture) async throws -> ClusterSnapshot {
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": await f.sim.bootstrapServers()])
        let snapshot = try await Poller(admin: admin, earliestEvery: 1, now: { f.clock.nowMs() }).poll().snapshot
        await admin.close()
        return snapshot
    }

    @Test("Unchanged, joined, left and reassigned members: a kept poller's snapshots equal a new poller's, members kept where unchanged")
    func keptEqualsFresh() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("orders", partitions: 6)
        try await c.createTopic("payments", partitions: 4)
        var o = SimMemberOptions()
        o.consumeRatePerSec = 0
        let kip = try await c.addConsumerGroup("kip-group-with-a-longer-id", topics: ["orders"], members: 3, options: o)
        let cls = try await c.addClassicGroup("classic-group-with-a-longer-id", topics: ["payments", "orders"], members: 2, options: o)
        await c.advance(by: 5_000)
        let first = try await f.poll().snapshot
        let second = try await f.poll().snapshot
        // Nothing changed: the same values, and the unchanged members' lists are the last poll's.
        #expect(second.groups == first.groups)
        var shared = 0
        for (a, b) in zip(first.groups, second.groups) {
            for (m, n) in zip(a.members, b.members) where !m.assignment.isEmpty {
                if m.assignment.withUnsafeBufferPointer({ $0.baseAddress }) == n.assignment.withUnsafeBufferPointer({ $0.baseAddress }) { shared += 1 }
            }
        }
        #expect(shared >= 4)
        #expect(second.groups == (try await Self.freshSnapshot(f)).groups)

        // A member leaves each group and one joins: the groups rebalance.
        try await c.stopMember(kip[0])
        try await c.stopMember(cls[1])
        _ = try await c.addConsumerGroup("kip-group-with-a-longer-id", topics: ["orders"], members: 1, options: o)
        await c.advance(by: 5_000)
        for _ in 0..<3 {
            let kept = try await f.poll().snapshot
            let fresh = try await Self.freshSnapshot(f)
            #expect(kept.groups == fresh.groups)
            #expect(kept.topics == fresh.topics)
            await c.advance(by: 3_000)
        }
        await f.stop()
    }
}

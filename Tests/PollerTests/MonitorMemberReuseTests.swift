import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing

/// Through the monitor (poll, then labels): while a coordinator answers the same members, every
/// cycle's groups hold the very member storage of the cycle before, already labelled, so that
/// labelling copies nothing and one set of members is alive, not two.
@Suite("Monitor: labelled members kept from cycle to cycle")
struct MonitorMemberReuseTests {
    @Test("The benchmark's estate (KIP-848 and classic groups, one client id): members kept, labelled")
    func estateMembersKept() async throws {
        let f = try await SimFixture.start()
        try await SimScenario.estate(SimEstate(groups: 60, partitions: 10, membersPerGroup: 3, recordsPerSecPerTopic: 5))
            .apply(to: f.cluster)
        await f.cluster.advance(by: 10_000)
        // Polls before the monitor's, as the benchmark's warm polls: their members are unlabelled.
        for _ in 0..<2 { _ = try await f.poll() }
        let monitor = Monitor(poller: f.poller, now: { f.clock.nowMs() })
        var last = try #require(await monitor.pollOnce().snapshot)
        var compared = 0
        for _ in 0..<4 {
            await f.cluster.advance(by: 2_000)
            let next = try #require(await monitor.pollOnce().snapshot)
            #expect(next.groups.map(\.groupID) == last.groups.map(\.groupID))
            for (a, b) in zip(last.groups, next.groups) where !a.members.isEmpty {
                compared += 1
                #expect(b.members.allSatisfy { $0.label != nil }, "group \(b.groupID)")
                #expect(a.members.withUnsafeBufferPointer { $0.baseAddress } == b.members.withUnsafeBufferPointer { $0.baseAddress },
                        "group \(b.groupID)")
            }
            last = next
        }
        #expect(compared == 240)
        await f.stop()
    }
}

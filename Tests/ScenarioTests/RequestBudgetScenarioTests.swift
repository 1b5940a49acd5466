import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing

/// A monitor cycle sends at most 6 requests per broker and 2 more (ListGroups, both describes,
/// OffsetFetch and latest and earliest ListOffsets on each broker, then the record-time Fetches and a
/// DescribeConfigs), connection and routing set-up aside.
@Suite("Requests per monitor cycle", .serialized)
struct RequestBudgetScenarioTests {
    /// A group id coordinated by `broker`, starting with `prefix`.
    static func groupID(_ prefix: String, on broker: Int32, in cluster: SimCluster) async -> String {
        var i = 0
        while true {
            let id = "\(prefix)-\(i)"
            if await cluster.coordinator(for: id) == broker { return id }
            i += 1
        }
    }

    @Test("A cycle that asks the earliest offsets and reads record times on three leaders stays within 6 x brokers + 2")
    func cycleWithinBudget() async throws {
        // Three brokers, each the coordinator of a KIP-848 and a classic group, so that every poll
        // describes both kinds on every broker; the poller asks the earliest offsets at every poll.
        let h = try await SimHarness.start(brokers: 3, historyCapacity: 5)
        _ = try await h.cluster.createTopic("small", partitions: 3)
        _ = try await h.cluster.createTopic("clicks", partitions: 6)
        try await h.cluster.produce(topic: "clicks", recordsPerSec: 300)
        for broker in Int32(1)...3 {
            try await h.cluster.addConsumerGroup(await Self.groupID("modern", on: broker, in: h.cluster), topics: ["small"], members: 1)
            try await h.cluster.addClassicGroup(await Self.groupID("classic", on: broker, in: h.cluster), topics: ["small"], members: 1)
        }
        // A consumer at a tenth of the produce rate: its lagging partitions, led by all three
        // brokers, fall behind the 5 s of history, so their record times are read every cycle.
        var slow = memberOptions("etl-1", rate: 30)
        slow.classicAssignor = .range
        try await h.cluster.addMember(group: "etl", protocol: .classic, topics: ["clicks"], options: slow)

        await h.run(for: 40_000, pollEveryMs: 1_000)
        await h.shutdown()
        let updates = h.recorder.updates
        let clicks = try #require(updates.last?.snapshot?.topics.first { $0.name == "clicks" })
        #expect(Set(clicks.partitions.compactMap(\.leader)).count == 3, "the lagging partitions are led by every broker")
        #expect(updates.count >= 35)
        let budget = 6 * 3 + 2
        var fetched = 0
        for u in updates {
            let stats = try #require(u.stats, "\(u.failure ?? "")")
            let own = stats.requests - Monitor.setUpAPIs.reduce(0) { $0 + stats.requests($1) }
            #expect(own <= budget, "cycle \(u.sequence): \(own) requests: \(stats)")
            fetched += stats.requests("Fetch")
        }
        // The budget did not silence the probe: record times were read, and the slow group's time
        // lags are measured from them.
        #expect(fetched > 0)
        let last = try #require(updates.last)
        let lags = try #require(last.timeLags["etl"])
        #expect(lags.values.contains { $0.method == .recordTimestamp }, "\(lags)")
    }
}

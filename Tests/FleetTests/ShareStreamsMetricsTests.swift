import Foundation
import GroupModel
import KafkaSim
import Testing

@testable import KgtopServe

/// `kgtop serve` on share and streams groups: their type and members are exported, lag only where
/// it applies.
@Suite("kgtop serve: share and streams groups", .serialized)
struct ShareStreamsMetricsTests {
    @Test("A share group has no lag series (it commits no offsets); a streams group's lag is exported")
    func lagWhereItApplies() async throws {
        let clock = KafkaSim.ManualClock()
        let ctx = try await SimContext.start("prod", clock: clock)
        _ = try await ctx.cluster.createTopic("orders", partitions: 2)
        _ = try await ctx.cluster.append(topic: "orders", partition: 0, count: 10)
        try await ctx.cluster.addShareGroup("workers", topics: ["orders"], members: 2, clientID: "workers")
        try await ctx.cluster.addStreamsGroup("enrich", subtopologies: [("0", ["orders"])], members: 1, clientID: "enrich")
        await ctx.cluster.commitOffset(group: "enrich", topic: "orders", partition: 0, offset: 4)
        let exporter = FleetExporter(contexts: [ctx.served()], now: { clock.nowMs() })

        await ServeTests.run(3_000, ctx, clock: clock, exporter: exporter, polled: ["prod"])
        let scrape = Scrape(await exporter.metrics(format: .prometheus))
        let workers = ["cluster_name": "prod", "group": "workers"]
        let enrich = ["cluster_name": "prod", "group": "enrich"]
        #expect(scrape.value("kgtop_group_protocol_info", workers.merging(["protocol": "share", "type": "share"]) { $1 }) == 1)
        #expect(scrape.value("kgtop_group_members", workers) == 2)
        #expect(scrape.value("kafka_consumergroup_group_sum_lag", workers) == nil)
        #expect(scrape.samples("kafka_consumergroup_group_topic_sum_lag", workers).isEmpty)
        #expect(scrape.samples("kafka_consumergroup_group_lag", workers).isEmpty)
        #expect(scrape.value("kgtop_group_protocol_info", enrich.merging(["protocol": "streams", "type": "streams"]) { $1 }) == 1)
        #expect(scrape.value("kgtop_group_members", enrich) == 1)
        #expect(scrape.value("kafka_consumergroup_group_sum_lag", enrich) == 6)
        try ServeTests.promtoolCheck(scrape.text)
        await ctx.shutdown()
    }
}

import Testing

@testable import KafkaSim

/// Scenario files and the built-in demo scenario, on a manual clock.
@Suite("KafkaSim scenarios")
struct ScenarioTests {
    @Test("Script format: immediate and timed commands, handles, errors name the line")
    func script() async throws {
        let text = """
            # a comment
            topic orders 4
            produce orders 100
            commit replay orders 0 5   # trailing comment
            group svc consumer 2 orders assignor=range
            group old classic 2 orders assignor=cooperative-sticky slow=1s
            at 10s add svc consumer orders
            at 20s stop svc#last
            at 30s kill old#1
            """
        let script = try SimScript(parsing: text)
        #expect(script.immediate.count == 5)
        #expect(script.timed.map(\.atMs) == [10_000, 20_000, 30_000])
        let c = GroupLogicTests.cluster()
        try await script.apply(to: c)
        await c.advance(by: 5_000)
        #expect(await c.consumerMemberCount("svc") == 2)
        await c.advance(by: 10_000)
        #expect(await c.consumerMemberCount("svc") == 3)
        await c.advance(by: 10_000)
        #expect(await c.consumerMemberCount("svc") == 2)
        #expect(await c.groupState("svc")?.state == "Stable")
        await c.advance(by: 10_000)
        #expect(await c.memberStatus("old#1") == nil)
        await c.advance(by: 60_000)
        #expect(await c.classicMemberCount("old") == 1)
        #expect(await c.memberStatus("old#2")?.owned.count == 4)
        #expect(await c.committedOffset(group: "replay", topic: "orders", partition: 0) == 5)

        #expect(throws: SimError.self) { try SimScript(parsing: "topic a 1\nfrobnicate x") }
        do {
            _ = try SimScript(parsing: "topic a 1\nfrobnicate x")
        } catch {
            #expect("\(error)".contains("line 2"))
        }
    }

    @Test("Demo scenario: every group type present, churn keeps it moving for two cycles")
    func demo() async throws {
        let c = GroupLogicTests.cluster()
        try await SimScenario.demo.apply(to: c)
        await c.advance(by: 10_000)
        for g in ["order-service", "fraud-check", "search-indexer"] { #expect(await c.groupState(g)?.type == .consumer) }
        for g in ["ledger", "clickstream-etl", "audit-replay"] { #expect(await c.groupState(g)?.type == .classic) }
        #expect(await c.groupState("audit-replay")?.state == "Empty")
        #expect(await c.groupState("order-service")?.state == "Stable")
        var states: Set<String> = []
        for _ in 0..<360 {
            await c.advance(by: 1_000)
            for g in ["order-service", "fraud-check", "ledger", "clickstream-etl"] {
                if let s = await c.groupState(g)?.state { states.insert(s) }
            }
        }
        #expect(states.isSuperset(of: ["Stable", "Reconciling", "PreparingRebalance"]))
        // The slow consumer falls behind.
        let hw = await c.offsets(topic: "clicks", partition: 0)?.highWatermark ?? 0
        let committed = await c.committedOffset(group: "clickstream-etl", topic: "clicks", partition: 0) ?? 0
        #expect(hw - committed > 1_000)
    }
}

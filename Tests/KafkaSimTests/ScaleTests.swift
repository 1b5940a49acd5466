import Foundation
import KafkaProtocol
import Testing

@testable import KafkaSim

/// The 10,000-group scenario: startup time and one full monitoring pass over the wire.
@Suite("KafkaSim at scale", .serialized)
struct ScaleTests {
    /// 2,000 by default so that the suite does not starve the tests running beside it on a small
    /// machine; `make bench` and `KGTOP_SIM_SCALE_GROUPS=10000` run the full 10,000.
    static var groupCount: Int {
        ProcessInfo.processInfo.environment["KGTOP_SIM_SCALE_GROUPS"].flatMap { Int($0) } ?? 2_000
    }

    @Test("thousands of groups x 10 partitions start and answer ListGroups + describe + OffsetFetch", .timeLimit(.minutes(5)))
    func scale() async throws {
        let n = Self.groupCount
        var config = SimConfig(brokerCount: 3)
        config.classicInitialRebalanceDelayMs = 0
        config.tickMs = 500
        let cluster = SimCluster(config: config, clock: ManualClock())
        let t0 = ContinuousClock.now
        try await SimScenario.scale(groups: n, partitions: 10).apply(to: cluster)
        let applied = ContinuousClock.now - t0
        // Every member joins; KIP-848 groups of two need two 5 s heartbeats to hand partitions over.
        await cluster.advance(by: 12_000)
        print("kgtop-sim scale: scenario applied in \(applied)")
        let startup = ContinuousClock.now - t0
        let tTick = ContinuousClock.now
        for _ in 0..<20 { await cluster.tick() }
        print("kgtop-sim scale: one idle tick over \(n) groups takes \((ContinuousClock.now - tTick) / 20)")
        #expect(await cluster.groupCount() == n)

        let sim = try await KafkaSimulator.start(cluster: cluster, tickIntervalMs: nil)
        var ports: [Int32: Int] = [:]
        for b in Int32(1)...3 { ports[b] = await sim.port(ofBroker: b) }
        let t1 = ContinuousClock.now
        var listed: [String: String] = [:]  // id -> type
        var byBroker: [Int32: [String]] = [:]
        for (b, port) in ports.sorted(by: { $0.key < $1.key }) {
            let resp = try await WireTests.call(port, ListGroupsRequest(), version: 5)
            for g in resp.groups {
                listed[g.groupID] = g.groupType
                byBroker[b, default: []].append(g.groupID)
            }
        }
        let coordinators = try await WireTests.call(ports[1], FindCoordinatorRequest(keyType: 0, coordinatorKeys: Array(listed.keys)), version: 6)
        #expect(coordinators.coordinators.count == n)
        var described = 0, stable = 0, offsets = 0
        for (b, ids) in byBroker {
            let consumer = ids.filter { listed[$0] == "consumer" }
            let classic = ids.filter { listed[$0] == "classic" }
            let cd = try await WireTests.call(ports[b], ConsumerGroupDescribeRequest(groupIDs: consumer), version: 1)
            let dg = try await WireTests.call(ports[b], DescribeGroupsRequest(groups: classic), version: 5)
            described += cd.groups.count + dg.groups.count
            stable += cd.groups.filter { $0.groupState == "Stable" }.count + dg.groups.filter { $0.groupState == "Stable" }.count
            let of = try await WireTests.call(ports[b], OffsetFetchRequest(groups: ids.map { .init(groupID: $0, topics: nil) }), version: 9)
            offsets += of.groups.reduce(0) { $0 + $1.topics.reduce(0) { $0 + $1.partitions.count } }
        }
        let pass = ContinuousClock.now - t1
        await sim.shutdown()
        print("kgtop-sim scale: \(n) groups x 10 partitions: startup \(startup), full pass (ListGroups x3 + FindCoordinator + describe + OffsetFetch) \(pass); described \(described), stable \(stable), committed partitions \(offsets)")
        #expect(listed.count == n)
        #expect(described == n)
        #expect(stable == n)
        #expect(offsets == n * 10)
        // Startup and pass times are printed, not asserted: speed is measured by `make bench`.
    }
}

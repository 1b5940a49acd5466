import KafkaProtocol
import KafkaWire
import Testing

@testable import KafkaSim

/// Per-broker fault injection over real sockets.
@Suite("KafkaSim faults")
struct FaultTests {
    @Test("Coordinator errors: COORDINATOR_LOAD_IN_PROGRESS and NOT_COORDINATOR on demand")
    func coordinatorErrors() async throws {
        try await WireTests.withFixture { sim in
            let coord = await sim.cluster.coordinator(for: "kip848")
            let port = await sim.port(ofBroker: coord)
            try await sim.setFaults(BrokerFaults(coordinatorError: 14), broker: coord)
            let lg = try await WireTests.call(port, ListGroupsRequest(), version: 5)
            #expect(lg.errorCode == 14)
            let d = try await WireTests.call(port, ConsumerGroupDescribeRequest(groupIDs: ["kip848"]), version: 1)
            #expect(d.groups.first?.errorCode == 14)
            try await sim.setFaults(BrokerFaults(coordinatorError: 16), broker: coord)
            let of = try await WireTests.call(port, OffsetFetchRequest(groups: [.init(groupID: "kip848", topics: nil)]), version: 9)
            #expect(of.groups.first?.errorCode == 16)
            try await sim.setFaults(BrokerFaults(), broker: coord)
            let ok = try await WireTests.call(port, ConsumerGroupDescribeRequest(groupIDs: ["kip848"]), version: 1)
            #expect(ok.groups.first?.errorCode == 0)
        }
    }

    @Test("Refused connections, close mid-response, delay, restart")
    func connectionFaults() async throws {
        try await WireTests.withFixture { sim in
            let port = try #require(await sim.port(ofBroker: 2))
            try await sim.setFaults(BrokerFaults(refuseConnections: true), broker: 2)
            await #expect(throws: (any Error).self) {
                _ = try await WireTests.call(port, ApiVersionsRequest(), version: 3)
            }
            try await sim.setFaults(BrokerFaults(closeMidResponse: true), broker: 2)
            await #expect(throws: (any Error).self) {
                _ = try await WireTests.call(port, MetadataRequest(topics: nil), version: 12)
            }
            try await sim.setFaults(BrokerFaults(delayMs: 300), broker: 2)
            let start = ContinuousClock.now
            _ = try await WireTests.call(port, ApiVersionsRequest(), version: 3)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            try await sim.setFaults(BrokerFaults(), broker: 2)
            try await sim.restartBroker(2, downMs: 50)
            #expect(await sim.port(ofBroker: 2) == port)
            let meta = try await WireTests.call(port, MetadataRequest(topics: nil), version: 12)
            #expect(meta.topics.contains { $0.name == "orders" })
        }
    }
}

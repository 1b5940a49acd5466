import Foundation
import GroupModel
import KafkaProtocol
import KafkaWire
import Testing
@testable import KafkaAdmin

/// Runs against a real third-party broker (Tansu) when `KGTOP_TANSU` names its binary.
@Suite("Tansu integration", .enabled(if: ProcessInfo.processInfo.environment["KGTOP_TANSU"] != nil), .serialized)
struct TansuIntegrationTests {
    /// Starts Tansu on a free loopback port and returns the process and its address.
    static func startTansu() async throws -> (Process, BrokerAddress) {
        let probe = try await TestBroker.start()
        let port = probe.port
        await probe.stop()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["KGTOP_TANSU"]!)
        process.arguments = [
            "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
            "--storage-engine", "memory://tansu/", "--silent",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, BrokerAddress(host: "127.0.0.1", port: port))
    }

    @Test("bootstrap, metadata, list, coordinators, describe, offsets against Tansu")
    func endToEnd() async throws {
        let (process, address) = try await Self.startTansu()
        // SIGKILL: the test process's children inherit a blocked SIGTERM, so Tansu would ignore
        // terminate() and outlive the test (its storage is in memory; nothing is lost).
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        var config = AdminConfig(bootstrapServers: [address])
        config.requestTimeout = .seconds(5)
        config.connectionSetupTimeout = .seconds(2)
        config.reconnectBackoff = .milliseconds(10)
        config.reconnectBackoffMax = .milliseconds(50)
        let client = KafkaAdminClient(config: config)
        defer { Task { await client.close() } }

        var metadata: ClusterMetadata?
        let deadline = ContinuousClock.now + .seconds(10)
        while metadata == nil && ContinuousClock.now < deadline {
            metadata = try? await client.bootstrap()
            if metadata == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let m = try #require(metadata)
        let node = try #require(m.brokers.first?.nodeID)

        // A topic and an offsets-only group with commits.
        let created = await client.send(to: node) { _ in
            CreateTopicsRequest(topics: [.init(name: "orders", numPartitions: 3, replicationFactor: 1)], timeoutMs: 5000)
        }
        #expect((try? created.result.get()) != nil)
        let coordinator = try await client.findCoordinators(groupIDs: ["simple"])
        let coordinatorID = try #require(try? coordinator.coordinators["simple"]?.get())
        let commit = await client.send(to: coordinatorID, versions: 2...9) { _ in
            OffsetCommitRequest(groupID: "simple", topics: [
                .init(name: "orders", partitions: [.init(partitionIndex: 0, committedOffset: 7), .init(partitionIndex: 1, committedOffset: 3)])
            ])
        }
        #expect((try? commit.result.get()) != nil)

        let refreshed = try await client.refreshMetadata()
        #expect(refreshed.topics["orders"]?.partitions.count == 3)

        let listed = try await client.listGroups()
        #expect(listed.errors.isEmpty)
        let described = try await client.describeGroups(listed.groups.map(GroupTarget.init))
        #expect(listed.groups.map(\.groupID).contains("simple"))
        // Without a group type kgtop asks ConsumerGroupDescribe first; Tansu answers it for a classic
        // group with impossible epochs, which must fall back to DescribeGroups.
        let untyped = try await client.describeGroups([GroupTarget(groupID: "simple")])
        guard case .classic? = try? untyped.groups["simple"]?.result.get() else {
            Issue.record("expected a classic description, got \(String(describing: untyped.groups["simple"]?.result))")
            return
        }
        for g in listed.groups { #expect(described.groups[g.groupID] != nil) }  // answered or marked, never dropped

        let offsets = try await client.fetchOffsets(groupIDs: ["simple"])
        let simple = try #require(try? offsets.groups["simple"]?.result.get())
        #expect(simple.offsets.first { $0.topicPartition == TopicPartition(topic: "orders", partition: 0) }?.offset == 7)
        #expect(simple.offsets.first { $0.topicPartition == TopicPartition(topic: "orders", partition: 1) }?.offset == 3)

        let parts = (0..<3).map { TopicPartition(topic: "orders", partition: Int32($0)) }
        let latest = try await client.listOffsets(parts, spec: .latest)
        for p in parts { #expect((try? latest.partitions[p]?.get())?.offset == 0) }
        let earliest = try await client.listOffsets(parts, spec: .earliest)
        #expect(earliest.partitions.count == 3)
        // Tansu closes the connection on MAX_TIMESTAMP: per-partition errors, no crash, and the client recovers.
        let maxTimestamp = try await client.listOffsets(parts, spec: .maxTimestamp)
        #expect(maxTimestamp.partitions.count == 3)
        // Recovering is a count of attempts, not a wait: a request on the closed connection may
        // fail once, the next one reconnects.
        var attempts = 0
        var recovered = false
        while !recovered && attempts < 3 {
            attempts += 1
            let again = try await client.listOffsets(parts, spec: .latest)
            recovered = again.partitions.values.allSatisfy { (try? $0.get()) != nil }
        }
        #expect(recovered, "no answer after \(attempts) attempts")
        #expect(attempts <= 2)

        let cluster = try? await client.describeCluster()
        #expect(cluster == nil || cluster?.brokers.isEmpty == false)
        let stats = await client.cumulativeStats
        #expect(stats.requests("ApiVersions") >= 1)
    }
}

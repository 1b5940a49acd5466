import KafkaProtocol
import KafkaWire
import Testing

@testable import KafkaSim

/// Runs the generated request encoders against a live simulator on loopback and decodes the answers.
@Suite("KafkaSim over the wire")
struct WireTests {
    /// A started simulator with one topic, an offsets-only group, a consumer group and a classic group.
    static func fixture() async throws -> KafkaSimulator {
        var config = SimConfig(brokerCount: 3)
        config.classicInitialRebalanceDelayMs = 0
        let sim = try await KafkaSimulator.start(config: config, clock: ManualClock())
        let c = sim.cluster
        try await c.createTopic("orders", partitions: 6)
        for p in 0..<6 { try await c.append(topic: "orders", partition: Int32(p), count: 100, spreadMs: 10_000) }
        await c.commitOffset(group: "offsets-only", topic: "orders", partition: 0, offset: 42)
        _ = try await c.addConsumerGroup("kip848", topics: ["orders"], members: 2)
        _ = try await c.addClassicGroup("legacy", topics: ["orders"], members: 2, assignor: .range)
        await c.advance(by: 10_000)
        return sim
    }

    /// Runs `body` against a fresh fixture and shuts it down afterwards.
    static func withFixture(_ body: (KafkaSimulator) async throws -> Void) async throws {
        let sim = try await fixture()
        do {
            try await body(sim)
        } catch {
            await sim.shutdown()
            throw error
        }
        await sim.shutdown()
    }

    /// One request on a fresh connection.
    static func call<R: KafkaRequestMessage>(_ port: Int?, _ request: R, version: Int16) async throws -> R.Response {
        var out: R.Response?
        try await WireClient.with(port: try #require(port)) { out = try await $0.send(request, version: version) }
        return try #require(out)
    }

    static func ports(_ sim: KafkaSimulator) async -> [Int32: Int] {
        var out: [Int32: Int] = [:]
        for b in 1...3 { out[Int32(b)] = await sim.port(ofBroker: Int32(b)) }
        return out
    }

    @Test("ApiVersions at every version, and v0 UNSUPPORTED_VERSION for an unknown one")
    func apiVersions() async throws {
        try await Self.withFixture { sim in
            let port = try #require(await sim.port(ofBroker: 1))
            try await WireClient.with(port: port) { client in
            for v in Int16(0)...4 {
                let resp = try await client.send(ApiVersionsRequest(clientSoftwareName: "kgtop", clientSoftwareVersion: "0"), version: v)
                #expect(resp.errorCode == 0)
                #expect(resp.apiKeys.contains { $0.apiKey == 68 && $0.maxVersion == 1 })
                if v >= 3 { #expect(resp.finalizedFeatures.contains { $0.name == "group.version" && $0.maxVersionLevel == 1 }) }
            }
            // Version 9 does not exist: the broker answers with a v0 body and error 35.
            var w = WireWriter()
            RequestHeader(apiKey: 18, apiVersion: 9, correlationID: 77, clientID: "x").encode(to: &w, headerVersion: 2)
            w.writeUnsignedVarint(0)
            try await client.sendRaw(w.bytes)
            var r = WireReader(try await client.readFrame())
            let h = try ResponseHeader.decode(from: &r, headerVersion: 0)
            #expect(h.correlationID == 77)
            let resp = try ApiVersionsResponse(from: &r, version: 0)
            #expect(resp.errorCode == 35)
            #expect(!resp.apiKeys.isEmpty)
            }
        }
    }

    @Test("Metadata v0-13: brokers, topic ids, leaders spread across brokers")
    func metadata() async throws {
        try await Self.withFixture { sim in
            let port2 = await sim.port(ofBroker: 2)
            for v in Int16(0)...13 {
                let resp = try await Self.call(port2, MetadataRequest(topics: v == 0 ? [] : nil, allowAutoTopicCreation: v < 4), version: v)
                #expect(resp.brokers.count == 3)
                let orders = try #require(resp.topics.first { $0.name == "orders" })
                #expect(orders.partitions.count == 6)
                #expect(Set(orders.partitions.map(\.leaderID)).count > 1)
                if v >= 10 { #expect(!orders.topicID.isZero) }
            }
            let created = try await Self.call(port2, MetadataRequest(topics: [.init(name: "auto-made")], allowAutoTopicCreation: true), version: 12)
            #expect(created.topics.first?.errorCode == 0)
            let cluster = try await Self.call(port2, DescribeClusterRequest(), version: 1)
            #expect(cluster.brokers.count == 3)
            #expect(cluster.clusterID == sim.config.clusterID)
        }
    }

    @Test("ListOffsets latest/earliest/max-timestamp/by-time, and NOT_LEADER_OR_FOLLOWER elsewhere")
    func listOffsets() async throws {
        try await Self.withFixture { sim in
            let ports = await Self.ports(sim)
            let meta = try await Self.call(ports[1]!, MetadataRequest(topics: nil), version: 12)
            let p0 = try #require(meta.topics.first { $0.name == "orders" }?.partitions.first { $0.partitionIndex == 0 })
            let leader = ports[p0.leaderID]!
            let now = ManualClock().nowMs()
            for v in Int16(1)...10 {
                var stamps: [Int64] = [-1, -2]
                if v >= 7 { stamps.append(-3) }
                stamps.append(now)
                let req = ListOffsetsRequest(replicaID: -1, topics: [.init(name: "orders", partitions: stamps.map { .init(partitionIndex: 0, timestamp: $0) })])
                let resp = try await Self.call(leader, req, version: v)
                let parts = try #require(resp.topics.first?.partitions)
                #expect(parts.allSatisfy { $0.errorCode == 0 })
                #expect(parts[0].offset == 100)
                #expect(parts[1].offset == 0)
            }
            let other = ports.keys.first { $0 != p0.leaderID }!
            let wrong = try await Self.call(ports[other]!, 
                ListOffsetsRequest(replicaID: -1, topics: [.init(name: "orders", partitions: [.init(partitionIndex: 0, timestamp: -1)])]), version: 9)
            #expect(wrong.topics.first?.partitions.first?.errorCode == 6)
        }
    }

    @Test("ListGroups per broker, FindCoordinator, describe across protocols, OffsetFetch")
    func groupsReadSide() async throws {
        try await Self.withFixture { sim in
            let ports = await Self.ports(sim)
            var listed: [String: Int32] = [:]
            for (id, port) in ports {
                let c = port
                for v in Int16(0)...5 {
                    let resp = try await Self.call(c, ListGroupsRequest(), version: v)
                    #expect(resp.errorCode == 0)
                    for g in resp.groups { listed[g.groupID] = id }
                }
                let typed = try await Self.call(c, ListGroupsRequest(typesFilter: ["Consumer"]), version: 5)
                #expect(typed.groups.allSatisfy { $0.groupType == "consumer" })
            }
            #expect(Set(listed.keys) == ["offsets-only", "kip848", "legacy"])
            let c1 = ports[1]!
            for v in Int16(0)...3 {
                let fc = try await Self.call(c1, FindCoordinatorRequest(key: "kip848"), version: v)
                #expect(fc.nodeID == listed["kip848"])
            }
            let batched = try await Self.call(c1, FindCoordinatorRequest(coordinatorKeys: ["kip848", "legacy"]), version: 6)
            #expect(batched.coordinators.map(\.nodeID) == [listed["kip848"]!, listed["legacy"]!])

            let kc = ports[listed["kip848"]!]!
            for v in Int16(0)...1 {
                let d = try await Self.call(kc, ConsumerGroupDescribeRequest(groupIDs: ["kip848"]), version: v)
                let g = try #require(d.groups.first)
                #expect(g.errorCode == 0)
                #expect(g.groupState == "Stable")
                #expect(g.members.count == 2)
                #expect(g.members.allSatisfy { $0.memberEpoch == g.assignmentEpoch })
                if v == 1 { #expect(g.members.allSatisfy { $0.memberType == 1 }) }
            }
            for v in Int16(0)...6 {
                let d = try await Self.call(kc, DescribeGroupsRequest(groups: ["kip848"]), version: v)
                #expect(d.groups.first?.groupState == "Dead")
                #expect(d.groups.first?.errorCode == (v >= 6 ? 69 : 0))
            }
            let lc = ports[listed["legacy"]!]!
            let cgd = try await Self.call(lc, ConsumerGroupDescribeRequest(groupIDs: ["legacy"]), version: 1)
            #expect(cgd.groups.first?.errorCode == 69)
            #expect(cgd.groups.first?.errorMessage == "Group legacy is not a consumer group.")
            for v in Int16(0)...6 {
                let d = try await Self.call(lc, DescribeGroupsRequest(groups: ["legacy"]), version: v)
                let g = try #require(d.groups.first)
                #expect(g.groupState == "Stable")
                #expect(g.protocolData == "range")
                #expect(g.members.count == 2)
                let assignment = try ConsumerProtocolAssignment.decodeVersionPrefixed(g.members[0].memberAssignment).value
                #expect(assignment.assignedPartitions.first?.partitions.count == 3)
            }
            let oc = ports[listed["offsets-only"]!]!
            for v in Int16(1)...7 {
                let f = try await Self.call(oc, OffsetFetchRequest(groupID: "offsets-only", topics: [.init(name: "orders", partitionIndexes: [0, 1])]), version: v)
                #expect(f.topics.first?.partitions.map(\.committedOffset) == [42, -1])
            }
            for v in Int16(8)...9 {
                let f = try await Self.call(oc, OffsetFetchRequest(groups: [.init(groupID: "offsets-only", topics: nil)]), version: v)
                #expect(f.groups.first?.topics.first?.partitions.first?.committedOffset == 42)
            }
            // The wrong broker answers NOT_COORDINATOR.
            let wrongID = ports.keys.first { $0 != listed["kip848"]! }!
            let wrong = try await Self.call(ports[wrongID]!, ConsumerGroupDescribeRequest(groupIDs: ["kip848"]), version: 1)
            #expect(wrong.groups.first?.errorCode == 16)
        }
    }
}

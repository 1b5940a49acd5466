import KafkaProtocol
import KafkaWire
import Testing

@testable import KafkaSim

/// Group membership, commits, admin and data APIs over the wire.
@Suite("KafkaSim membership and data over the wire")
struct WireGroupTests {
    @Test("Classic JoinGroup (MEMBER_ID_REQUIRED), SyncGroup, Heartbeat, OffsetCommit, LeaveGroup, DeleteGroups")
    func classicLifecycle() async throws {
        try await WireTests.withFixture { sim in
            let port = await sim.port(ofBroker: await sim.cluster.coordinator(for: "wire-classic"))
            let sub = try ConsumerProtocolSubscription(topics: ["orders"]).encodedVersionPrefixed(version: 1)
            let join = JoinGroupRequest(groupID: "wire-classic", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberID: "",
                                        protocolType: "consumer", protocols: [.init(name: "range", metadata: sub)])
            try await WireClient.with(port: try #require(port)) { c in
                let first = try await c.send(join, version: 9)
                #expect(first.errorCode == 79)
                var again = join
                again.memberID = first.memberID
                let joined = try await c.send(again, version: 9)
                #expect(joined.errorCode == 0)
                #expect(joined.leader == first.memberID)
                #expect(joined.generationID == 1)
                #expect(joined.members.count == 1)
                let assignment = try ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "orders", partitions: [0, 1, 2, 3, 4, 5])])
                    .encodedVersionPrefixed(version: 0)
                let sync = try await c.send(SyncGroupRequest(groupID: "wire-classic", generationID: 1, memberID: first.memberID,
                                                             assignments: [.init(memberID: first.memberID, assignment: assignment)]), version: 5)
                #expect(sync.errorCode == 0)
                #expect(sync.assignment == assignment)
                let hb = try await c.send(HeartbeatRequest(groupID: "wire-classic", generationID: 1, memberID: first.memberID), version: 4)
                #expect(hb.errorCode == 0)
                let stale = try await c.send(HeartbeatRequest(groupID: "wire-classic", generationID: 0, memberID: first.memberID), version: 4)
                #expect(stale.errorCode == 22)
                let commit = try await c.send(OffsetCommitRequest(groupID: "wire-classic", generationIDOrMemberEpoch: 1, memberID: first.memberID,
                                                                  topics: [.init(name: "orders", partitions: [.init(partitionIndex: 3, committedOffset: 17, committedMetadata: nil)])]), version: 9)
                #expect(commit.topics.first?.partitions.first?.errorCode == 0)
                let d = try await c.send(DescribeGroupsRequest(groups: ["wire-classic"]), version: 5)
                #expect(d.groups.first?.groupState == "Stable")
                #expect(d.groups.first?.members.first?.clientHost == "/127.0.0.1")
                let del = try await c.send(DeleteGroupsRequest(groupsNames: ["wire-classic"]), version: 2)
                #expect(del.results.first?.errorCode == 68)
                let leave = try await c.send(LeaveGroupRequest(groupID: "wire-classic", members: [.init(memberID: first.memberID)]), version: 5)
                #expect(leave.errorCode == 0 && leave.members.first?.errorCode == 0)
                #expect(await sim.cluster.groupState("wire-classic")?.state == "Empty")
                #expect(await sim.cluster.committedOffset(group: "wire-classic", topic: "orders", partition: 3) == 17)
                let del2 = try await c.send(DeleteGroupsRequest(groupsNames: ["wire-classic", "nope"]), version: 2)
                #expect(del2.results.map(\.errorCode) == [0, 69])
            }
        }
    }

    @Test("ConsumerGroupHeartbeat v0 (server member id) and v1 (client member id), leave", arguments: [Int16(0), 1])
    func consumerHeartbeat(version: Int16) async throws {
        try await WireTests.withFixture { sim in
            let group = "wire-848-v\(version)"
            let port = await sim.port(ofBroker: await sim.cluster.coordinator(for: group))
            let topicID = try #require(await sim.cluster.topicID("orders"))
            var req = ConsumerGroupHeartbeatRequest(groupID: group, memberID: version == 0 ? "" : "client-made-id", memberEpoch: 0,
                                                    rebalanceTimeoutMs: 30_000, subscribedTopicNames: ["orders"], topicPartitions: [])
            let joined = try await WireTests.call(port, req, version: version)
            #expect(joined.errorCode == 0)
            // Kafka 4.3: the group starts at epoch 1 (empty); the first assignment is epoch 2 (KAFKA-20268).
            #expect(joined.memberEpoch == 2)
            let memberID = try #require(joined.memberID)
            if version == 1 { #expect(memberID == "client-made-id") }
            #expect(joined.assignment?.topicPartitions.first?.topicID == topicID)
            #expect(joined.assignment?.topicPartitions.first?.partitions.count == 6)
            req.memberID = memberID
            req.memberEpoch = 2
            req.topicPartitions = [.init(topicID: topicID, partitions: [0, 1, 2, 3, 4, 5])]
            let steady = try await WireTests.call(port, req, version: version)
            #expect(steady.errorCode == 0 && steady.assignment == nil && steady.heartbeatIntervalMs == 5_000)
            req.memberEpoch = 5
            #expect(try await WireTests.call(port, req, version: version).errorCode == 110)
            req.memberEpoch = -1
            let left = try await WireTests.call(port, req, version: version)
            #expect(left.errorCode == 0 && left.memberEpoch == -1)
            #expect(await sim.cluster.groupState(group)?.state == "Empty")
        }
    }

    @Test("CreateTopics, DescribeConfigs (broker, group, topic), Produce then Fetch")
    func adminAndData() async throws {
        try await WireTests.withFixture { sim in
            let p1 = await sim.port(ofBroker: 1)
            let ct = try await WireTests.call(p1, CreateTopicsRequest(topics: [.init(name: "fresh", numPartitions: 2, replicationFactor: 1),
                                                                              .init(name: "orders", numPartitions: 1, replicationFactor: 1)]), version: 7)
            #expect(ct.topics.map(\.errorCode) == [0, 36])
            #expect(!ct.topics[0].topicID.isZero)
            let dc = try await WireTests.call(p1, DescribeConfigsRequest(resources: [
                .init(resourceType: 4, resourceName: "1", configurationKeys: nil),
                .init(resourceType: 32, resourceName: "any", configurationKeys: nil),
                .init(resourceType: 2, resourceName: "orders", configurationKeys: ["cleanup.policy"]),
            ]), version: 4)
            let broker = Dictionary(uniqueKeysWithValues: dc.results[0].configs.map { ($0.name, $0.value) })
            #expect(broker["group.consumer.session.timeout.ms"] == "45000")
            #expect(broker["group.consumer.assignors"] == "uniform,range")
            #expect(broker["offsets.retention.minutes"] == "10080")
            #expect(dc.results[1].configs.contains { $0.name == "consumer.heartbeat.interval.ms" })
            #expect(dc.results[2].configs.map(\.name) == ["cleanup.policy"])

            // Produce one synthetic batch to the leader of fresh-0, then fetch it back.
            let leader = try #require(await sim.cluster.partitionLeader(topic: "fresh", partition: 0))
            let lp = await sim.port(ofBroker: leader)
            let batch = RecordBatchBuilder.synthetic(baseOffset: 0, count: 5, firstTimestamp: 1_000, lastTimestamp: 2_000, valueSize: 8, leaderEpoch: 0)
            for acks: Int16 in [1, -1] {
                let pr = try await WireTests.call(lp, ProduceRequest(acks: acks, timeoutMs: 1_000, topicData: [
                    .init(name: "fresh", partitionData: [.init(index: 0, records: batch)])]), version: 9)
                #expect(pr.responses.first?.partitionResponses.first?.errorCode == 0)
            }
            #expect(await sim.cluster.offsets(topic: "fresh", partition: 0)?.highWatermark == 10)
            let fr = try await WireTests.call(lp, FetchRequest(maxWaitMs: 10, minBytes: 1, topics: [
                .init(topic: "fresh", partitions: [.init(partition: 0, fetchOffset: 5, partitionMaxBytes: 1 << 20)])]), version: 11)
            let part = try #require(fr.responses.first?.partitions.first)
            #expect(part.errorCode == 0 && part.highWatermark == 10)
            let records = try #require(part.records)
            #expect(RecordBatchBuilder.splitBatches(records)?.count == 1)
            var r = WireReader(records)
            #expect(try r.readInt64() == 5)  // baseOffset rewritten by the broker
        }
    }
}

import KafkaProtocol
import KafkaWire
import Testing

@testable import KafkaSim

/// Every advertised API at every advertised version gets a decodable answer (no closed connection,
/// no field a version cannot carry).
@Suite("KafkaSim version sweep")
struct VersionSweepTests {
    @Test("Each advertised (API, version) answers with a decodable response")
    func sweep() async throws {
        try await WireTests.withFixture { sim in
            let c = sim.cluster
            let ordersID = try #require(await c.topicID("orders"))
            let leader0 = try #require(await c.partitionLeader(topic: "orders", partition: 0))
            let leaderPort = await sim.port(ofBroker: leader0)
            func coordPort(_ g: String) async -> Int? { await sim.port(ofBroker: await c.coordinator(for: g)) }
            let batch = RecordBatchBuilder.synthetic(baseOffset: 0, count: 2, firstTimestamp: 1, lastTimestamp: 2, valueSize: 4, leaderEpoch: 0)
            let sub = try ConsumerProtocolSubscription(topics: ["orders"]).encodedVersionPrefixed(version: 0)
            var answered = 0

            for v in SimCluster.supportedAPIs[0]! {
                let r = try await WireTests.call(leaderPort, ProduceRequest(acks: 1, timeoutMs: 1_000, topicData: [
                    .init(name: "orders", partitionData: [.init(index: 0, records: batch)])]), version: v)
                #expect(r.responses.first?.partitionResponses.first?.errorCode == 0, "Produce v\(v)")
                answered += 1
            }
            for v in SimCluster.supportedAPIs[1]! {
                var topic = FetchRequest.FetchTopic(partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 16)])
                if v >= 13 { topic.topicID = ordersID } else { topic.topic = "orders" }
                let r = try await WireTests.call(leaderPort, FetchRequest(maxWaitMs: 0, minBytes: 0, topics: [topic]), version: v)
                #expect(r.responses.first?.partitions.first?.errorCode == 0, "Fetch v\(v)")
                #expect(r.responses.first?.partitions.first?.records?.isEmpty == false, "Fetch v\(v)")
                answered += 1
            }
            for v in SimCluster.supportedAPIs[2]! {
                let r = try await WireTests.call(leaderPort, ListOffsetsRequest(replicaID: -1, topics: [
                    .init(name: "orders", partitions: [.init(partitionIndex: 0, timestamp: -1)])]), version: v)
                #expect(r.topics.first?.partitions.first?.errorCode == 0, "ListOffsets v\(v)")
                answered += 1
            }
            for v in SimCluster.supportedAPIs[3]! {
                _ = try await WireTests.call(leaderPort, MetadataRequest(topics: v == 0 ? [] : nil, allowAutoTopicCreation: v < 4), version: v)
                answered += 1
            }
            for v in SimCluster.supportedAPIs[8]! {
                let g = "sweep-commit-\(v)"
                let r = try await WireTests.call(await coordPort(g), OffsetCommitRequest(groupID: g, topics: [
                    .init(name: "orders", partitions: [.init(partitionIndex: 0, committedOffset: 1, committedMetadata: nil)])]), version: v)
                #expect(r.topics.first?.partitions.first?.errorCode == 0, "OffsetCommit v\(v)")
                answered += 1
            }
            for v in SimCluster.supportedAPIs[9]! {
                let g = "sweep-commit-8"
                let req = v >= 8 ? OffsetFetchRequest(groups: [.init(groupID: g, topics: nil)])
                    : OffsetFetchRequest(groupID: g, topics: [.init(name: "orders", partitionIndexes: [0])])
                _ = try await WireTests.call(await coordPort(g), req, version: v)
                answered += 1
            }
            for v in SimCluster.supportedAPIs[10]! {
                let req = v >= 4 ? FindCoordinatorRequest(coordinatorKeys: ["a", "b"]) : FindCoordinatorRequest(key: "a")
                _ = try await WireTests.call(leaderPort, req, version: v)
                answered += 1
            }
            for v in SimCluster.supportedAPIs[11]! {
                let g = "sweep-join-\(v)"
                let port = await coordPort(g)
                let join = JoinGroupRequest(groupID: g, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberID: "",
                                            protocolType: "consumer", protocols: [.init(name: "range", metadata: sub)])
                let r = try await WireTests.call(port, join, version: v)
                #expect(r.errorCode == (v >= 4 ? 79 : 0), "JoinGroup v\(v)")
                if v < 4 {
                    // A joined member: SyncGroup, Heartbeat and LeaveGroup at every version.
                    for sv in SimCluster.supportedAPIs[14]! {
                        let s = try await WireTests.call(port, SyncGroupRequest(groupID: g, generationID: r.generationID, memberID: r.memberID,
                                                                               assignments: [.init(memberID: r.memberID, assignment: [])]), version: sv)
                        #expect(s.errorCode == 0, "SyncGroup v\(sv)")
                        answered += 1
                    }
                    for hv in SimCluster.supportedAPIs[12]! {
                        let h = try await WireTests.call(port, HeartbeatRequest(groupID: g, generationID: r.generationID, memberID: r.memberID), version: hv)
                        #expect(h.errorCode == 0, "Heartbeat v\(hv)")
                        answered += 1
                    }
                    for dv in SimCluster.supportedAPIs[15]! {
                        let d = try await WireTests.call(port, DescribeGroupsRequest(groups: [g]), version: dv)
                        #expect(d.groups.first?.groupState == "Stable", "DescribeGroups v\(dv)")
                        answered += 1
                    }
                    let lv = Int16(v % 6)
                    let req = lv >= 3 ? LeaveGroupRequest(groupID: g, members: [.init(memberID: r.memberID)]) : LeaveGroupRequest(groupID: g, memberID: r.memberID)
                    let l = try await WireTests.call(port, req, version: lv)
                    #expect(l.errorCode == 0, "LeaveGroup v\(lv)")
                }
                answered += 1
            }
            for v in SimCluster.supportedAPIs[16]! { _ = try await WireTests.call(leaderPort, ListGroupsRequest(), version: v); answered += 1 }
            for v in SimCluster.supportedAPIs[18]! { _ = try await WireTests.call(leaderPort, ApiVersionsRequest(), version: v); answered += 1 }
            for v in SimCluster.supportedAPIs[19]! {
                let r = try await WireTests.call(leaderPort, CreateTopicsRequest(topics: [.init(name: "sweep-\(v)", numPartitions: 1, replicationFactor: 1)]), version: v)
                #expect(r.topics.first?.errorCode == 0, "CreateTopics v\(v)")
                answered += 1
            }
            for v in SimCluster.supportedAPIs[22]! {
                let r = try await WireTests.call(leaderPort, InitProducerIdRequest(transactionalID: nil, transactionTimeoutMs: 1_000), version: v)
                #expect(r.producerID > 0, "InitProducerId v\(v)")
                answered += 1
            }
            for v in SimCluster.supportedAPIs[23]! {
                let r = try await WireTests.call(leaderPort, OffsetForLeaderEpochRequest(topics: [.init(topic: "orders", partitions: [.init(partition: 0, leaderEpoch: 0)])]), version: v)
                #expect(r.topics.first?.partitions.first?.errorCode == 0, "OffsetForLeaderEpoch v\(v)")
                answered += 1
            }
            for v in SimCluster.supportedAPIs[32]! {
                _ = try await WireTests.call(leaderPort, DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "1", configurationKeys: nil)]), version: v)
                answered += 1
            }
            for v in SimCluster.supportedAPIs[42]! {
                let g = "sweep-commit-\(8 + Int(v) % 2)"
                _ = try await WireTests.call(await coordPort(g), DeleteGroupsRequest(groupsNames: [g]), version: v)
                answered += 1
            }
            for v in SimCluster.supportedAPIs[60]! { _ = try await WireTests.call(leaderPort, DescribeClusterRequest(), version: v); answered += 1 }
            for v in SimCluster.supportedAPIs[68]! {
                let g = "sweep-848-\(v)"
                let r = try await WireTests.call(await coordPort(g), ConsumerGroupHeartbeatRequest(
                    groupID: g, memberID: "m-\(v)", memberEpoch: 0, rebalanceTimeoutMs: 10_000, subscribedTopicNames: ["orders"], topicPartitions: []), version: v)
                #expect(r.errorCode == 0, "ConsumerGroupHeartbeat v\(v)")
                for dv in SimCluster.supportedAPIs[69]! {
                    let d = try await WireTests.call(await coordPort(g), ConsumerGroupDescribeRequest(groupIDs: [g]), version: dv)
                    #expect(d.groups.first?.errorCode == 0, "ConsumerGroupDescribe v\(dv)")
                    answered += 1
                }
                answered += 1
            }
            #expect(answered > 150)
        }
    }
}

import GroupModel
import KgtopTestSupport
import KafkaProtocol
import KafkaWire
import Testing
@testable import KafkaAdmin

/// Collects what the in-test broker saw.
actor Seen {
    var requests: [(key: Int16, version: Int16)] = []
    func add(_ r: ReceivedRequest) { requests.append((r.apiKey, r.apiVersion)) }
    func versions(of key: Int16) -> [Int16] { requests.filter { $0.key == key }.map(\.version) }
    func count(of key: Int16) -> Int { requests.filter { $0.key == key }.count }
}

@Suite("KafkaAdminClient")
struct AdminClientTests {
    /// A client of `broker`, with a long request timeout: the in-test broker answers from the shared
    /// cooperative pool, which the rest of the suite can keep busy for seconds.
    func client(_ broker: TestBroker) -> KafkaAdminClient {
        var config = AdminConfig(bootstrapServers: [broker.address])
        config.requestTimeout = .seconds(60)
        return KafkaAdminClient(config: config)
    }

    @Test("an unreachable bootstrap throws .noBrokerReachable naming the address and the timeout")
    func unreachable() async throws {
        let broker = try await TestBroker.start()
        let port = broker.port
        await broker.stop()
        let client = KafkaAdminClient(config: AdminConfig(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: port)]))
        do {
            try await client.bootstrap()
            Issue.record("bootstrap succeeded")
        } catch {
            guard case let .noBrokerReachable(addresses, timeout, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(addresses == ["127.0.0.1:\(port)"])
            #expect(timeout == .seconds(10))
            // A refused connection fails at once: the message names the address and the cause,
            // and claims no 10 s wait that did not happen.
            #expect(error.description.hasPrefix("no broker answered at 127.0.0.1:\(port) ("), "\(error)")
            #expect(!error.description.contains("within 10 s"), "\(error)")
        }
    }

    @Test("negotiation picks the highest version both sides support, per API")
    func negotiation() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let seen = Seen()
        var ranges = FakeCluster.fullRanges
        ranges[ListGroupsRequest.apiKey] = 0...3   // broker older than kgtop
        ranges[MetadataRequest.apiKey] = 0...40    // broker newer than kgtop
        let theirs = ranges
        let server = broker.serve { request in
            await seen.add(request)
            FakeCluster.answer(request, port: broker.port, ranges: theirs) { r in
                r.respond(ListGroupsResponse(groups: [.init(groupID: "g", protocolType: "consumer")]))
            }
        }
        defer { server.cancel() }
        let client = client(broker)
        let metadata = try await client.bootstrap()
        #expect(metadata.clusterID == "test-cluster")
        #expect(metadata.brokers.map(\.nodeID) == [1])
        let listed = try await client.listGroups()
        #expect(listed.groups.map(\.groupID) == ["g"])
        #expect(listed.groups.first?.type == nil)  // v3 has no GroupType
        #expect(listed.groups.first?.state == nil)
        #expect(listed.versions[1] == 3)
        #expect(await seen.versions(of: ListGroupsRequest.apiKey) == [3])
        #expect(await seen.versions(of: MetadataRequest.apiKey) == [13])
        #expect(await seen.versions(of: ApiVersionsRequest.apiKey) == [4])

        let v = BrokerAPIVersions(ranges: [16: 2...5, 9: 1...10])
        #expect(v.negotiate(apiKey: 16, ours: 0...4) == 4)
        #expect(v.negotiate(apiKey: 9, ours: 1...9) == 9)
        #expect(v.negotiate(apiKey: 16, ours: 0...1) == nil)
        #expect(v.negotiate(apiKey: 69, ours: 0...1) == nil)
        await client.close()
    }

    @Test("UNSUPPORTED_VERSION to ApiVersions v3+ is retried with v0 (or the broker's listed maximum)", arguments: [nil, Int16(2)])
    func apiVersionsFallback(listedMax: Int16?) async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let seen = Seen()
        let server = broker.serve { request in
            await seen.add(request)
            if request.apiKey == ApiVersionsRequest.apiKey && request.apiVersion >= 3 {
                // An older broker answers an unknown version in the v0 layout.
                var keys: [ApiVersionsResponse.ApiVersion] = []
                if let listedMax { keys = [.init(apiKey: 18, minVersion: 0, maxVersion: listedMax)] }
                request.respond(try! ApiVersionsResponse(errorCode: 35, apiKeys: keys).encoded(version: 0))
                return
            }
            FakeCluster.answer(request, port: broker.port)
        }
        defer { server.cancel() }
        let client = client(broker)
        try await client.bootstrap()
        #expect(await seen.versions(of: ApiVersionsRequest.apiKey) == [4, listedMax ?? 0])
        await client.close()
    }

    @Test("finalized features (group.version) are read from ApiVersions")
    func features() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let server = broker.serve { request in
            if request.apiKey == ApiVersionsRequest.apiKey {
                request.respond(FakeCluster.apiVersions(FakeCluster.fullRanges, features: ["group.version": 1, "metadata.version": 22]))
            } else {
                FakeCluster.answer(request, port: broker.port)
            }
        }
        defer { server.cancel() }
        let client = client(broker)
        let metadata = try await client.bootstrap()
        #expect(metadata.finalizedFeatures["group.version"] == 1)
        let versions = try #require(try? await client.apiVersions(of: 1).get())
        #expect(versions.groupVersion == 1)
        await client.close()
    }

    @Test("the wire fixture of a real ApiVersions v3 answer negotiates", .enabled(if: WireFixture.available))
    func fixtureApiVersions() async throws {
        let fixture = try #require(WireFixture.named("kfake_ApiVersions_v3.json"))
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let server = broker.serve { request in
            if request.apiKey == ApiVersionsRequest.apiKey {
                // The fixture is a v3 body; v3 and v4 bodies are identical.
                request.respond(fixture.response)
            } else {
                FakeCluster.answer(request, port: broker.port)
            }
        }
        defer { server.cancel() }
        let client = client(broker)
        try await client.bootstrap()
        let versions = try #require(try? await client.apiVersions(of: 1).get())
        #expect(versions.supports(apiKey: ListGroupsRequest.apiKey))
        #expect(versions.negotiate(apiKey: ListGroupsRequest.apiKey, ours: 0...5) == 5)
        await client.close()
    }

    @Test("describeGroups: ConsumerGroupDescribe GROUP_ID_NOT_FOUND falls back to DescribeGroups; types pick the API")
    func describeFallback() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let seen = Seen()
        let server = broker.serve { request in
            await seen.add(request)
            FakeCluster.answer(request, port: broker.port) { r in
                switch r.apiKey {
                case FindCoordinatorRequest.apiKey:
                    let keys = (try? r.decode(FindCoordinatorRequest.self).coordinatorKeys) ?? []
                    r.respond(FindCoordinatorResponse(coordinators: keys.map {
                        .init(key: $0, nodeID: 1, host: "127.0.0.1", port: Int32(broker.port))
                    }))
                case ConsumerGroupDescribeRequest.apiKey:
                    let ids = (try? r.decode(ConsumerGroupDescribeRequest.self).groupIDs) ?? []
                    r.respond(ConsumerGroupDescribeResponse(groups: ids.map { id in
                        id.hasPrefix("kip848")
                            ? .init(groupID: id, groupState: "Stable", groupEpoch: 5, assignmentEpoch: 5, assignorName: "uniform")
                            : .init(errorCode: 69, errorMessage: "Group \(id) is not a consumer group.", groupID: id, groupState: "Dead")
                    }))
                case ShareGroupDescribeRequest.apiKey:
                    let ids = (try? r.decode(ShareGroupDescribeRequest.self).groupIDs) ?? []
                    r.respond(ShareGroupDescribeResponse(groups: ids.map {
                        .init(groupID: $0, groupState: "Stable", groupEpoch: 3, assignmentEpoch: 3, assignorName: "simple")
                    }))
                case DescribeGroupsRequest.apiKey:
                    let ids = (try? r.decode(DescribeGroupsRequest.self).groups) ?? []
                    r.respond(DescribeGroupsResponse(groups: ids.map { id in
                        id.hasPrefix("classic")
                            ? .init(groupID: id, groupState: "Stable", protocolType: "consumer", protocolData: "range")
                            : .init(groupID: id, groupState: "Dead")
                    }))
                default:
                    r.close()
                }
            }
        }
        defer { server.cancel() }
        let client = client(broker)
        let result = try await client.describeGroups([
            GroupTarget(groupID: "kip848-a", type: "consumer"),
            GroupTarget(groupID: "classic-a", type: "classic"),
            GroupTarget(groupID: "classic-untyped", protocolType: "consumer"),  // ListGroups < v5
            GroupTarget(groupID: "missing", type: nil, protocolType: ""),
            GroupTarget(groupID: "share-a", type: "share"),
        ])
        guard case .consumer(let g, let v)? = try? result.groups["kip848-a"]?.result.get() else { Issue.record("kip848-a"); return }
        #expect(g.groupEpoch == 5 && v == 1)
        guard case .classic(let c, _)? = try? result.groups["classic-a"]?.result.get() else { Issue.record("classic-a"); return }
        #expect(c.protocolName == "range")
        guard case .classic? = try? result.groups["classic-untyped"]?.result.get() else { Issue.record("classic-untyped"); return }
        guard case .failure(let missing)? = result.groups["missing"]?.result else { Issue.record("missing"); return }
        #expect(missing.name == "GROUP_ID_NOT_FOUND")
        // A share group goes to ShareGroupDescribe, never to the consumer or classic APIs.
        guard case .share(let share, _)? = try? result.groups["share-a"]?.result.get() else { Issue.record("share-a"); return }
        #expect(share.groupEpoch == 3 && share.assignorName == "simple")
        #expect(await seen.count(of: ShareGroupDescribeRequest.apiKey) == 1)
        #expect(result.groups["kip848-a"]?.coordinatorID == 1)
        // One batched FindCoordinator; one CGD + one DG first, one DG fallback batch.
        #expect(await seen.count(of: FindCoordinatorRequest.apiKey) == 1)
        #expect(await seen.count(of: ConsumerGroupDescribeRequest.apiKey) == 1)
        #expect(await seen.count(of: DescribeGroupsRequest.apiKey) == 2)
        #expect(result.stats.requests(DescribeGroupsRequest.messageName.replacingOccurrences(of: "Request", with: "")) == 2)
        // The coordinator's answers are kept, bytes and all, and the same answers read with them
        // are the same results; a client made for one poll keeps none.
        let targets = [
            GroupTarget(groupID: "kip848-a", type: "consumer"), GroupTarget(groupID: "kip848-b", type: "consumer"),
            GroupTarget(groupID: "classic-a", type: "classic"),
        ]
        let first = try await client.describeGroups(targets)
        #expect(await client.lastConsumerAnswer[1]?.source.spans.count == 2)
        #expect(await client.lastClassicAnswer[1]?.source.bytes.isEmpty == false)
        let again = try await client.describeGroups(targets)
        var once = AdminConfig(bootstrapServers: [broker.address])
        once.requestTimeout = .seconds(60)
        let single = KafkaAdminClient(config: once, remembersAnswers: false)
        let fresh = try await single.describeGroups(targets)
        let keptConsumer = await single.lastConsumerAnswer.count
        let keptClassic = await single.lastClassicAnswer.count
        #expect(keptConsumer == 0 && keptClassic == 0)
        for id in targets.map(\.groupID) {
            let reference = try? fresh.groups[id]?.result.get()
            #expect(reference != nil && (try? first.groups[id]?.result.get()) == reference && (try? again.groups[id]?.result.get()) == reference)
        }
        await single.close()
        await client.close()
    }

    @Test("NOT_COORDINATOR refreshes the coordinator and retries once; OffsetFetch is one request per coordinator")
    func coordinatorRetry() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let seen = Seen()
        let server = broker.serve { request in
            await seen.add(request)
            let offsetFetches = await seen.count(of: OffsetFetchRequest.apiKey)
            FakeCluster.answer(request, port: broker.port) { r in
                switch r.apiKey {
                case FindCoordinatorRequest.apiKey:
                    let keys = (try? r.decode(FindCoordinatorRequest.self).coordinatorKeys) ?? []
                    r.respond(FindCoordinatorResponse(coordinators: keys.map {
                        .init(key: $0, nodeID: 1, host: "127.0.0.1", port: Int32(broker.port))
                    }))
                case OffsetFetchRequest.apiKey:
                    let groups = (try? r.decode(OffsetFetchRequest.self).groups) ?? []
                    r.respond(OffsetFetchResponse(groups: groups.map { g in
                        if offsetFetches == 1 && g.groupID == "b" { return .init(groupID: g.groupID, errorCode: 16) }
                        return .init(groupID: g.groupID, topics: [
                            .init(name: "orders", partitions: [
                                .init(partitionIndex: 0, committedOffset: 42),
                                .init(partitionIndex: 1, committedOffset: -1),
                            ])
                        ])
                    }))
                default:
                    r.close()
                }
            }
        }
        defer { server.cancel() }
        let client = client(broker)
        let result = try await client.fetchOffsets(groupIDs: ["a", "b", "c"])
        #expect(await seen.versions(of: OffsetFetchRequest.apiKey) == [9, 9])
        #expect(await seen.count(of: FindCoordinatorRequest.apiKey) == 2)
        for id in ["a", "b", "c"] {
            let offsets = try #require(try? result.groups[id]?.result.get())
            #expect(offsets.groupID == id)
            #expect(offsets.offsets.map(\.topicPartition) == [TopicPartition(topic: "orders", partition: 0), TopicPartition(topic: "orders", partition: 1)])
            #expect(offsets.offsets.map(\.offset) == [42, nil])
        }
        #expect(result.stats.requests("OffsetFetch") == 2)
        #expect(result.stats.requests("FindCoordinator") == 2)
        #expect(result.stats.bytesSent > 0 && result.stats.bytesReceived > 0)

        // Cached coordinators: a second call sends no FindCoordinator.
        let again = try await client.fetchOffsets(groupIDs: ["a", "b", "c"])
        #expect(again.stats.requests("FindCoordinator") == 0)
        #expect(again.stats.requests("OffsetFetch") == 1)
        await client.close()
    }

    @Test("listOffsets sends one request per leader and reports per-partition errors")
    func listOffsets() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let seen = Seen()
        let server = broker.serve { request in
            await seen.add(request)
            FakeCluster.answer(request, port: broker.port, topics: ["orders": 3]) { r in
                guard r.apiKey == ListOffsetsRequest.apiKey, let req = try? r.decode(ListOffsetsRequest.self) else { return r.close() }
                #expect(req.replicaID == -1)
                r.respond(ListOffsetsResponse(topics: req.topics.map { t in
                    .init(name: t.name, partitions: t.partitions.map { p in
                        p.partitionIndex == 2
                            ? .init(partitionIndex: 2, errorCode: 29)
                            : .init(partitionIndex: p.partitionIndex, timestamp: p.timestamp, offset: 100 + Int64(p.partitionIndex))
                    })
                }))
            }
        }
        defer { server.cancel() }
        let client = client(broker)
        let parts = (0..<3).map { TopicPartition(topic: "orders", partition: Int32($0)) } + [TopicPartition(topic: "nope", partition: 0)]
        let result = try await client.listOffsets(parts, spec: .latest)
        #expect(try result.partitions[parts[0]]?.get().offset == 100)
        #expect(try result.partitions[parts[1]]?.get().offset == 101)
        guard case .failure(let e)? = result.partitions[parts[2]] else { Issue.record("p2"); return }
        #expect(e.name == "TOPIC_AUTHORIZATION_FAILED")
        guard case .failure(let u)? = result.partitions[parts[3]] else { Issue.record("unknown topic"); return }
        #expect(u.name == "UNKNOWN_TOPIC_OR_PARTITION")
        #expect(await seen.count(of: ListOffsetsRequest.apiKey) == 1)
        await client.close()
    }

    @Test("listOffsetsInOrder answers at the position asked, whatever order the broker answers in", arguments: [false, true])
    func listOffsetsInOrder(reversed: Bool) async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let server = broker.serve { request in
            FakeCluster.answer(request, port: broker.port, topics: ["orders": 3, "audit": 2]) { r in
                guard r.apiKey == ListOffsetsRequest.apiKey, let req = try? r.decode(ListOffsetsRequest.self) else { return r.close() }
                var topics: [ListOffsetsResponse.ListOffsetsTopicResponse] = req.topics.map { t in
                    .init(name: t.name, partitions: t.partitions.map { p in
                        .init(partitionIndex: p.partitionIndex, timestamp: -1, offset: Int64(t.name.count * 100) + Int64(p.partitionIndex))
                    })
                }
                if reversed {
                    topics = topics.reversed().map { t in .init(name: t.name, partitions: t.partitions.reversed()) }
                }
                r.respond(ListOffsetsResponse(topics: topics))
            }
        }
        defer { server.cancel() }
        let client = client(broker)
        func id(_ t: String, _ p: Int32) -> TopicPartition { TopicPartition(topic: t, partition: p) }
        // Sorted and unique (the poller's list), then unsorted with a duplicate and an unknown topic.
        let sorted = [id("audit", 0), id("audit", 1), id("orders", 0), id("orders", 1), id("orders", 2)]
        let a = try await client.listOffsetsInOrder(sorted, spec: .latest)
        #expect(try a.results.map { try $0.get().offset } == [500, 501, 600, 601, 602])
        let mixed = [id("orders", 2), id("nope", 0), id("audit", 1), id("orders", 2), id("orders", 0)]
        let b = try await client.listOffsetsInOrder(mixed, spec: .latest)
        #expect(b.results.count == 5)
        #expect(try b.results[0].get().offset == 602 && b.results[3].get().offset == 602)
        #expect(try b.results[2].get().offset == 501 && b.results[4].get().offset == 600)
        guard case .failure(let u) = b.results[1] else { Issue.record("unknown topic"); return }
        #expect(u.name == "UNKNOWN_TOPIC_OR_PARTITION")
        // The dictionary form agrees.
        let c = try await client.listOffsets(mixed, spec: .latest)
        #expect(c.partitions.count == 4)
        #expect(try c.partitions[id("orders", 0)]?.get().offset == 600)
        await client.close()
    }

    @Test("a broker that stops answering becomes a per-broker error, not a thrown one")
    func perBrokerError() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let server = broker.serve { request in
            FakeCluster.answer(request, port: broker.port) { r in r.close() }
        }
        defer { server.cancel() }
        let client = client(broker)
        let listed = try await client.listGroups()
        #expect(listed.groups.isEmpty)
        #expect(listed.errors[1]?.kind == .connection)
        #expect(listed.stats.requests("ListGroups") == 1)
        await client.close()
    }
}

@Suite("AdminConfig")
struct AdminConfigTests {
    @Test("librdkafka properties parse")
    func parses() throws {
        let c = try AdminConfig(properties: [
            "bootstrap.servers": "a:9093, b ,[::1]:9094", "client.id": "me", "socket.timeout.ms": "1500",
            "socket.connection.setup.timeout.ms": "2000", "reconnect.backoff.ms": "50", "reconnect.backoff.max.ms": "800",
            "security.protocol": "PLAINTEXT", "sasl.username": "u",
        ])
        #expect(c.bootstrapServers.map(\.description) == ["a:9093", "b:9092", "[::1]:9094"])
        #expect(c.clientID == "me")
        #expect(c.requestTimeout == .milliseconds(1500))
        #expect(c.connectionSetupTimeout == .seconds(2))
        #expect(c.reconnectBackoff == .milliseconds(50))
        #expect(c.reconnectBackoffMax == .milliseconds(800))
        #expect(c.securityProperties["sasl.username"] == "u")
    }

    @Test("invalid values name the key and the valid values")
    func invalid() {
        func message(_ p: [String: String]) -> String {
            do { _ = try AdminConfig(properties: p); return "" } catch { return error.description }
        }
        #expect(message([:]).contains("bootstrap.servers"))
        #expect(message(["bootstrap.servers": "a:0"]).contains("'a:0' is not host:port"))
        #expect(message(["bootstrap.servers": "a", "socket.timeout.ms": "soon"]).contains("socket.timeout.ms"))
        #expect(message(["bootstrap.servers": "a", "security.protocol": "tls"]).contains("plaintext, ssl, sasl_plaintext, sasl_ssl"))
        #expect(message(["bootstrap.servers": "a", "security.protocol": "sasl_ssl"]).contains("sasl.mechanism"))
        #expect(message(["bootstrap.servers": "a", "group.id": "x"]).contains("known: bootstrap.servers"))
    }

    @Test("reconnect backoff doubles up to the maximum")
    func backoff() async {
        var config = AdminConfig(bootstrapServers: [BrokerAddress(host: "h", port: 1)])
        config.reconnectBackoff = .milliseconds(100)
        config.reconnectBackoffMax = .milliseconds(1000)
        let client = KafkaAdminClient(config: config)
        #expect(await client.backoff(failures: 1) == .milliseconds(100))
        #expect(await client.backoff(failures: 2) == .milliseconds(200))
        #expect(await client.backoff(failures: 4) == .milliseconds(800))
        #expect(await client.backoff(failures: 5) == .milliseconds(1000))
        #expect(await client.backoff(failures: 60) == .milliseconds(1000))
    }

    @Test("durations format as in the messages")
    func durations() {
        #expect(formatDuration(.seconds(10)) == "10 s")
        #expect(formatDuration(.milliseconds(1500)) == "1.5 s")
        #expect(formatDuration(.milliseconds(250)) == "250 ms")
    }
}

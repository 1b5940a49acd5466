import KafkaProtocol
import KafkaWire
import SeededRandom
import Testing

@testable import KafkaSim

/// The answers written straight to the wire (`SimCluster+DirectAnswers.swift`) against the
/// generated encoders' answers to the same request, byte for byte, on seeded random clusters, at
/// every version the direct writers handle (and one below, which both paths answer alike).
@Suite("KafkaSim's directly written answers")
struct DirectAnswerTests {
    /// A cluster of random topics and groups of every kind: consumer groups (some mid-reconciliation,
    /// with pending revocations, static members, unsorted subscriptions), classic groups (some
    /// rebalancing), offsets-only groups committed to several topics, a share and a streams group.
    static func estate(seed: UInt64, kafkaVersion: SimKafkaVersion) async throws -> (SimCluster, groups: [String], topics: [String: Int]) {
        var config = SimConfig(brokerCount: 3)
        config.classicInitialRebalanceDelayMs = 0
        config.kafkaVersion = kafkaVersion
        let c = SimCluster(config: config, clock: ManualClock(), seed: seed)
        var rng = SplitMix64(seed: seed)
        var topics: [String: Int] = [:]
        for t in 0..<4 {
            let name = "topic-\(t)-\(rng.below(100))"
            let n = 1 + rng.below(6)
            _ = try await c.createTopic(name, partitions: n)
            topics[name] = n
            for p in 0..<n { _ = try await c.append(topic: name, partition: Int32(p), count: 1 + rng.below(50), spreadMs: Int64(rng.below(10_000))) }
        }
        let names = topics.keys.sorted()
        var groups: [String] = []
        var classic: Set<String> = []
        var consumers: [(id: String, topics: [String], handles: [String])] = []
        for i in 0..<14 {
            let id = "group-\(i)-\(rng.below(1_000))"
            groups.append(id)
            var subscribed = [names[rng.below(names.count)]]
            if rng.below(3) == 0 { subscribed.append(names[rng.below(names.count)]) }
            var options = SimMemberOptions()
            options.revocationDelayMs = rng.below(2) == 0 ? 0 : 4_000
            if rng.below(3) == 0 { options.instanceID = "instance-\(i)" }
            switch i % 4 {
            case 0, 1:
                let order = rng.below(2) == 0 ? subscribed : subscribed.reversed()
                consumers.append((id, order, try await c.addConsumerGroup(id, topics: order, members: rng.below(4), options: options)))
            case 2:
                classic.insert(id)
                _ = try await c.addClassicGroup(id, topics: subscribed, members: rng.below(4), assignor: rng.below(2) == 0 ? .range : .cooperativeSticky)
            default:
                for _ in 0..<(1 + rng.below(8)) {
                    let t = names[rng.below(names.count)]
                    await c.commitOffset(group: id, topic: t, partition: Int32(rng.below(topics[t]!)), offset: Int64(rng.below(100)),
                                         metadata: rng.below(2) == 0 ? nil : "meta-\(rng.below(10))")
                }
            }
        }
        await c.advance(by: 10_000)
        // Newcomers after the groups settled, the members before them slow to revoke: revocations
        // pending, groups reconciling, classic groups rebalancing.
        for (id, subscribed, handles) in consumers where rng.below(4) != 0 {
            for h in handles { try await c.slowMember(h, revocationDelayMs: 4_000) }
            _ = try await c.addMember(group: id, protocol: .consumer, topics: subscribed)
        }
        for id in classic where rng.below(2) == 0 {
            _ = try await c.addMember(group: id, protocol: .classic, topics: [names[rng.below(names.count)]])
        }
        await c.advance(by: 1_000 + Int64(rng.below(1_000)))
        _ = try await c.addShareGroup("share-group", topics: [names[0]], members: 2, clientID: "share-client")
        _ = try await c.addStreamsGroup("streams-group", subtopologies: [(id: "0", sourceTopics: [names[0]])], members: 1, clientID: "streams-client")
        return (c, groups + ["share-group", "streams-group"], topics)
    }

    /// The frame of `request` at `version`, as a client sends it (without the size prefix).
    static func frame<R: KafkaRequestMessage>(_ request: R, version: Int16) throws -> [UInt8] {
        var w = WireWriter()
        RequestHeader(apiKey: R.apiKey, apiVersion: version, correlationID: 7, clientID: "direct-test")
            .encode(to: &w, headerVersion: RequestHeader.version(flexible: R.isFlexible(version)))
        try request.encode(to: &w, version: version)
        return w.bytes
    }

    /// Sends `request` at `version` to every broker twice, written directly and from generated
    /// values; expects the same bytes, and an answer the generated decoder reads to its end.
    static func expectSameAnswers<R: KafkaRequestMessage>(_ c: SimCluster, _ request: R, version: Int16) async throws {
        let bytes = try frame(request, version: version)
        for broker in Int32(1)...3 {
            await c.setWritesAnswersDirectly(true)
            let direct = await c.handle(frame: bytes, broker: broker)
            await c.setWritesAnswersDirectly(false)
            let generated = await c.handle(frame: bytes, broker: broker)
            await c.setWritesAnswersDirectly(true)
            guard case .response(let answer) = generated else {
                Issue.record("\(R.messageName) v\(version) on broker \(broker): no answer from the generated path")
                continue
            }
            #expect(direct == generated, "\(R.messageName) v\(version) on broker \(broker)")
            var r = WireReader(answer)
            _ = try ResponseHeader.decode(from: &r, headerVersion: ResponseHeader.version(apiKey: R.apiKey, flexible: R.Response.isFlexible(version)))
            _ = try R.Response(from: &r, version: version)
            try r.expectEnd()
        }
    }

    /// Every request kind the direct writers answer, at every version they handle and one below.
    static func expectSameAnswers(_ c: SimCluster, groups: [String], topics: [String: Int], seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        let ids = groups + ["no-such-group"]
        for v in Int16(2)...5 {
            try await expectSameAnswers(c, ListGroupsRequest(), version: v)
            if v >= 4 { try await expectSameAnswers(c, ListGroupsRequest(statesFilter: ["Stable", "empty"]), version: v) }
            if v >= 5 {
                try await expectSameAnswers(c, ListGroupsRequest(typesFilter: ["consumer"]), version: v)
                try await expectSameAnswers(c, ListGroupsRequest(statesFilter: ["RECONCILING", "PreparingRebalance"], typesFilter: ["classic", "consumer"]), version: v)
            }
        }
        for v in Int16(4)...6 {
            try await expectSameAnswers(c, DescribeGroupsRequest(groups: ids.shuffled(using: &rng)), version: v)
        }
        for v in Int16(0)...1 {
            try await expectSameAnswers(c, ConsumerGroupDescribeRequest(groupIDs: ids.shuffled(using: &rng) + [""]), version: v)
        }
        let names = topics.keys.sorted()
        for v in Int16(7)...9 {
            if v >= 8 {
                var requested = ids.map { OffsetFetchRequest.OffsetFetchRequestGroup(groupID: $0, topics: nil) }
                requested.append(.init(groupID: groups[3], topics: [
                    .init(name: names[0], partitionIndexes: [0, 1, 99]), .init(name: "no-such-topic", partitionIndexes: [0]),
                ]))
                requested.append(.init(groupID: groups[0], memberID: "unknown-member", memberEpoch: 3, topics: nil))
                try await expectSameAnswers(c, OffsetFetchRequest(groups: requested), version: v)
            } else {
                for id in ids { try await expectSameAnswers(c, OffsetFetchRequest(groupID: id, topics: nil), version: v) }
            }
        }
        let stamps: [Int64] = [-1, -2, -3, -4, -5, -7, 0, 5_000, 9_999_999_999_999]
        for v in Int16(5)...10 {
            let listed = (names + ["no-such-topic"]).map { name in
                ListOffsetsRequest.ListOffsetsTopic(name: name, partitions: (0...(topics[name] ?? 1)).map { p in
                    .init(partitionIndex: Int32(p), timestamp: stamps[rng.below(stamps.count)])
                })
            }
            try await expectSameAnswers(c, ListOffsetsRequest(replicaID: -1, topics: listed), version: v)
        }
    }

    @Test("direct answers equal the generated encoders' on seeded random clusters", arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func sameBytes(seed: UInt64) async throws {
        for kafkaVersion in [SimKafkaVersion.v4_0, .newest] {
            let (c, groups, topics) = try await Self.estate(seed: seed, kafkaVersion: kafkaVersion)
            try await Self.expectSameAnswers(c, groups: groups, topics: topics, seed: seed)
        }
    }

    @Test("direct answers equal the generated encoders' while a broker answers with a coordinator error")
    func sameBytesUnderFaults() async throws {
        let (c, groups, topics) = try await Self.estate(seed: 42, kafkaVersion: .newest)
        await c.setFaults(BrokerFaults(coordinatorError: KafkaErrorCode.coordinatorLoadInProgress.code), broker: 2)
        try await Self.expectSameAnswers(c, groups: groups, topics: topics, seed: 42)
    }

    @Test("a group's preferred assignor: the one-assignor shortcut equals the count of votes", arguments: [UInt64(1), 2, 3])
    func preferredAssignor(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let names = ["uniform", "range", "sticky"]
        for _ in 0..<300 {
            let cg = ConsumerGroupState()
            for i in 0..<rng.below(6) {
                let m = ConsumerMember(memberID: "m\(i)", clientID: "c", clientHost: "/h", rebalanceTimeoutMs: 1, topics: [], now: 0)
                let pick = rng.below(names.count + 1)
                m.serverAssignor = pick < names.count ? names[pick] : nil
                cg.members[m.memberID] = m
            }
            var votes: [String: Int] = [:]
            for m in cg.members.values { if let a = m.serverAssignor { votes[a, default: 0] += 1 } }
            let expected = votes.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key ?? "default"
            #expect(cg.preferredAssignor(default: "default") == expected)
        }
    }

    @Test("a group's committed offsets: the one-topic shortcut equals grouping by topic", arguments: [UInt64(1), 2, 3])
    func fetchedOffsets(seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let c = SimCluster(config: SimConfig(brokerCount: 1), clock: ManualClock(), seed: seed)
        for g in 0..<60 {
            let topicCount = 1 + (g % 3 == 0 ? rng.below(3) : 0)
            let id = "g\(g)"
            var committed: [String: [Int32: String]] = [:]
            for _ in 0..<rng.below(12) {
                let topic = "t\(rng.below(topicCount))", partition = Int32(rng.below(20)), offset = Int64(rng.below(1_000))
                let metadata = rng.below(2) == 0 ? nil : "m"
                await c.commitOffset(group: id, topic: topic, partition: partition, offset: offset, metadata: metadata)
                committed[topic, default: [:]][partition] = "\(partition)=\(offset),\(metadata ?? "nil")"
            }
            let (code, fetched) = await c.fetchGroupOffsets(id, requested: nil, memberID: nil, memberEpoch: -1, broker: 1)
            #expect(code == 0)
            let expected = committed.keys.sorted().map { topic in
                "\(topic):" + committed[topic]!.sorted { $0.key < $1.key }.map(\.value).joined(separator: " ")
            }
            let got = fetched.map { t in "\(t.name):" + t.partitions.map { "\($0.0)=\($0.1.offset),\($0.1.metadata ?? "nil")" }.joined(separator: " ") }
            #expect(got == expected, "\(id)")
        }
    }

    @Test("a rebalancing classic group is due for its timeouts on every tick, as when every tick checked it", arguments: [UInt64(1), 2, 3])
    func rebalancingGroupsStayDue(seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        var config = SimConfig(brokerCount: 3)
        config.classicInitialRebalanceDelayMs = Int64(rng.below(3_000))
        let clock = ManualClock()
        let c = SimCluster(config: config, clock: clock, seed: seed)
        _ = try await c.createTopic("t", partitions: 6)
        var handles: [String] = []
        var sawRebalancing = false
        for step in 0..<200 {
            switch rng.below(6) {
            case 0, 1:
                var options = SimMemberOptions()
                options.sessionTimeoutMs = Int32(6_000 + rng.below(20_000))
                options.revocationDelayMs = Int64(rng.below(3) * 1_000)
                handles.append(try await c.addMember(group: "g\(rng.below(4))", protocol: .classic, topics: ["t"], options: options))
            case 2 where !handles.isEmpty:
                try await c.killMember(handles.remove(at: rng.below(handles.count)))
            case 3 where !handles.isEmpty:
                try await c.stopMember(handles.remove(at: rng.below(handles.count)))
            default:
                break
            }
            await c.advance(by: Int64(1 + rng.below(2_500)))
            let (count, notDue) = await c.rebalancingClassicGroups(now: clock.nowMs())
            sawRebalancing = sawRebalancing || count > 0
            #expect(notDue.isEmpty, "step \(step): \(notDue)")
        }
        #expect(sawRebalancing)
    }

    @Test("the direct writers answer the versions they name, flexible ones only")
    func handledVersions() {
        for (key, versions) in SimCluster.directlyWrittenVersions {
            let info = KafkaAPIs.info(key: key)
            for v in versions {
                #expect(info?.isFlexible(v) == true, "api \(key) v\(v)")
                #expect(SimCluster.supportedAPIs[key]?.contains(v) == true, "api \(key) v\(v)")
            }
        }
    }
}

import GroupModel
import KafkaProtocol
import KafkaWire
import Testing

@testable import KafkaSim

/// Group coordinator logic driven directly with a manual clock (no sockets).
@Suite("KafkaSim group logic")
struct GroupLogicTests {
    static func cluster(brokers: Int = 3) -> SimCluster {
        var config = SimConfig(brokerCount: brokers)
        config.classicInitialRebalanceDelayMs = 0
        return SimCluster(config: config, clock: ManualClock())
    }

    @Test("KIP-848: join, epochs, incremental revoke-before-assign, state Stable")
    func consumerGroupReconciliation() async throws {
        let c = Self.cluster()
        try await c.createTopic("t", partitions: 6)
        let a = try await c.addMember(group: "g", protocol: .consumer, topics: ["t"])
        await c.advance(by: 1_000)
        #expect(await c.memberStatus(a)?.owned.count == 6)
        #expect(await c.groupState("g")?.state == "Stable")
        let e1 = try #require(await c.groupEpochs("g"))

        // A second member, with a slow revocation on the first: the group reconciles incrementally.
        try await c.slowMember(a, revocationDelayMs: 4_000)
        let b = try await c.addMember(group: "g", protocol: .consumer, topics: ["t"])
        let e2 = try #require(await c.groupEpochs("g"))
        #expect(e2.groupEpoch == e1.groupEpoch + 1)
        #expect(e2.assignmentEpoch == e2.groupEpoch)
        await c.advance(by: 1_000)
        #expect(await c.groupState("g")?.state == "Reconciling")
        #expect(await c.memberStatus(b)?.owned.isEmpty == true)  // unreleased: a still owns them
        await c.advance(by: 10_000)
        #expect(await c.groupState("g")?.state == "Stable")
        let sa = try #require(await c.memberStatus(a)), sb = try #require(await c.memberStatus(b))
        #expect(sa.owned.count == 3 && sb.owned.count == 3)
        #expect(Set(sa.owned).isDisjoint(with: sb.owned))
        #expect(sa.epoch == e2.assignmentEpoch && sb.epoch == e2.assignmentEpoch)
    }

    @Test("KIP-848: killed member is fenced after the session timeout; paused too")
    func sessionTimeout() async throws {
        let c = Self.cluster()
        try await c.createTopic("t", partitions: 4)
        let hs = try await c.addConsumerGroup("g", topics: ["t"], members: 2)
        await c.advance(by: 6_000)
        try await c.killMember(hs[0])
        await c.advance(by: 30_000)
        #expect(await c.consumerMemberCount("g") == 2)
        await c.advance(by: 20_000)
        #expect(await c.consumerMemberCount("g") == 1)
        #expect(await c.memberStatus(hs[1])?.owned.count == 4)
        #expect(await c.groupState("g")?.state == "Stable")
    }

    @Test("KIP-848 heartbeat errors")
    func heartbeatErrors() async throws {
        let c = Self.cluster()
        try await c.createTopic("t", partitions: 2)
        var hb = CGHeartbeat(groupID: "g", memberID: "m1", memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ["t"])
        hb.serverAssignor = "nope"
        #expect(await c.consumerGroupHeartbeat(hb).errorCode == KafkaErrorCode.unsupportedAssignor.code)
        hb.serverAssignor = "range"
        hb.subscribedTopicRegex = "(["
        #expect(await c.consumerGroupHeartbeat(hb).errorCode == KafkaErrorCode.invalidRegularExpression.code)
        hb.subscribedTopicRegex = nil
        hb.instanceID = "i1"
        let ok = await c.consumerGroupHeartbeat(hb)
        // Kafka 4.3 (the default) creates the group at epoch 1 with an empty assignment; the first
        // computed assignment, the first member's, has epoch 2 (KAFKA-20268).
        #expect(ok.errorCode == 0 && ok.memberEpoch == 2)
        var other = hb
        other.memberID = "m2"
        #expect(await c.consumerGroupHeartbeat(other).errorCode == KafkaErrorCode.unreleasedInstanceID.code)
        var fenced = hb
        fenced.memberEpoch = 7
        #expect(await c.consumerGroupHeartbeat(fenced).errorCode == KafkaErrorCode.fencedMemberEpoch.code)
        var unknown = hb
        unknown.memberID = "ghost"
        unknown.memberEpoch = 2
        unknown.instanceID = nil
        #expect(await c.consumerGroupHeartbeat(unknown).errorCode == KafkaErrorCode.unknownMemberID.code)
        // Commits from an epoch older than the partition's assignment, or newer than the member's, are rejected.
        let t0 = [TopicPartition(topic: "t", partition: 0)]
        #expect(await c.validateCommit(groupID: "g", memberID: "m1", generationOrEpoch: 1, instanceID: nil, partitions: t0) == KafkaErrorCode.staleMemberEpoch.code)
        #expect(await c.validateCommit(groupID: "g", memberID: "m1", generationOrEpoch: 3, instanceID: nil, partitions: t0) == KafkaErrorCode.staleMemberEpoch.code)
        #expect(await c.validateCommit(groupID: "g", memberID: "m1", generationOrEpoch: 2, instanceID: nil) == 0)
    }

    @Test("Release differences: first epoch, described Assignment while revoking, commits at an older epoch",
          arguments: [SimKafkaVersion.v4_0, .v4_2, .v4_3])
    func releaseDifferences(version: SimKafkaVersion) async throws {
        var config = SimConfig(brokerCount: 1)
        config.kafkaVersion = version
        let c = SimCluster(config: config, clock: ManualClock())
        try await c.createTopic("t", partitions: 2)
        let hb = CGHeartbeat(groupID: "g", memberID: "m1", memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ["t"])
        let joined = await c.consumerGroupHeartbeat(hb)
        // 4.3 starts a group at epoch 1 with an empty assignment (KAFKA-20268); before, at 0.
        let first: Int32 = version >= .v4_3 ? 2 : 1
        #expect(joined.errorCode == 0 && joined.memberEpoch == first)
        var steady = hb
        steady.memberEpoch = first
        steady.owned = [TopicPartition(topic: "t", partition: 0), TopicPartition(topic: "t", partition: 1)]
        _ = await c.consumerGroupHeartbeat(steady)
        _ = await c.consumerGroupHeartbeat(CGHeartbeat(groupID: "g", memberID: "m2", memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ["t"]))
        // m1 learns it must give one partition up; it is revoking it now.
        #expect(await c.consumerGroupHeartbeat(steady).errorCode == 0)
        let described = await c.consumerGroupDescribe(ConsumerGroupDescribeRequest(groupIDs: ["g"]), version: 1, broker: 1)
        let m1 = try #require(described.groups.first?.members.first { $0.memberID == "m1" })
        let listed = m1.assignment.topicPartitions.flatMap(\.partitions)
        let target = m1.targetAssignment.topicPartitions.flatMap(\.partitions)
        #expect(target.count == 1)
        // Until 4.3 (KAFKA-20431) the partition being revoked is left out of the described Assignment.
        #expect(listed.count == (version >= .v4_3 ? 2 : 1), "\(listed)")
        // m1 releases it and moves to the new epoch, keeping the other partition.
        let kept = TopicPartition(topic: "t", partition: target[0])
        steady.owned = [kept]
        let moved = await c.consumerGroupHeartbeat(steady)
        #expect(moved.memberEpoch == first + 1)
        // A commit sent at the old epoch for the partition it kept: accepted only from 4.3 (KIP-1251).
        let code = await c.validateCommit(groupID: "g", memberID: "m1", generationOrEpoch: first, instanceID: nil, partitions: [kept])
        #expect(code == (version >= .v4_3 ? 0 : KafkaErrorCode.staleMemberEpoch.code))
    }

    @Test("Kafka 4.3 assignment interval: the assignment epoch trails the group epoch until the interval has passed")
    func assignmentInterval() async throws {
        for (version, interval, trails) in [(SimKafkaVersion.v4_3, Int64(1_000), true), (.v4_3, 0, false), (.v4_0, 1_000, false)] {
            var config = SimConfig(brokerCount: 1)
            config.kafkaVersion = version
            config.consumerAssignmentIntervalMs = interval
            let clock = ManualClock()
            let c = SimCluster(config: config, clock: clock)
            try await c.createTopic("t", partitions: 4)
            let first = await c.consumerGroupHeartbeat(
                CGHeartbeat(groupID: "g", memberID: "m1", memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ["t"]))
            #expect(first.errorCode == 0)
            clock.advance(ms: 100)
            _ = await c.consumerGroupHeartbeat(
                CGHeartbeat(groupID: "g", memberID: "m2", memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ["t"]))
            let during = await c.groupEpochs("g")
            let state = await c.groupState("g")?.state
            if trails {
                #expect(during.map { $0.assignmentEpoch < $0.groupEpoch } == true, "\(version) \(interval): \(String(describing: during))")
                #expect(state == "Assigning")
            } else {
                #expect(during.map { $0.assignmentEpoch == $0.groupEpoch } == true, "\(version) \(interval): \(String(describing: during))")
            }
            // The interval passes; the next heartbeat computes the new target.
            clock.advance(ms: 1_000)
            var again = CGHeartbeat(groupID: "g", memberID: "m2", memberEpoch: during?.assignmentEpoch ?? 0, rebalanceTimeoutMs: 30_000)
            again.owned = []
            _ = await c.consumerGroupHeartbeat(again)
            let after = await c.groupEpochs("g")
            #expect(after.map { $0.assignmentEpoch == $0.groupEpoch } == true, "\(version) \(interval): \(String(describing: after))")
        }
    }

    @Test("Classic: eager range and cooperative-sticky rebalance on join and leave", arguments: [ClassicAssignor.range, .cooperativeSticky])
    func classicRebalance(assignor: ClassicAssignor) async throws {
        let c = Self.cluster()
        try await c.createTopic("t", partitions: 6)
        let hs = try await c.addClassicGroup("cg", topics: ["t"], members: 2, assignor: assignor)
        await c.advance(by: 2_000)
        #expect(await c.groupState("cg")?.state == "Stable")
        let gen1 = try #require(await c.groupEpochs("cg")).groupEpoch
        #expect(await c.memberStatus(hs[0])?.owned.count == 3)
        let h3 = try await c.addMember(group: "cg", protocol: .classic, topics: ["t"], options: { var o = SimMemberOptions(); o.classicAssignor = assignor; return o }())
        await c.advance(by: 10_000)
        #expect(await c.groupState("cg")?.state == "Stable")
        #expect(try #require(await c.groupEpochs("cg")).groupEpoch > gen1)
        let owned = await [hs[0], hs[1], h3].asyncMap { await c.memberStatus($0)?.owned ?? [] }
        #expect(owned.map(\.count) == [2, 2, 2])
        #expect(Set(owned.flatMap { $0 }).count == 6)
        try await c.stopMember(h3)
        await c.advance(by: 10_000)
        #expect(await c.memberStatus(hs[0])?.owned.count == 3)
        #expect(await c.groupState("cg")?.state == "Stable")
    }

    @Test("Simulated members commit what they consume; producers advance the log")
    func consumeAndCommit() async throws {
        let c = Self.cluster()
        try await c.createTopic("t", partitions: 2)
        try await c.produce(topic: "t", recordsPerSec: 100)
        let h = try await c.addMember(group: "g", protocol: .consumer, topics: ["t"])
        await c.advance(by: 20_000)
        let hw = try #require(await c.offsets(topic: "t", partition: 0)).highWatermark
        #expect(hw >= 900)
        let committed = try #require(await c.committedOffset(group: "g", topic: "t", partition: 0))
        #expect(committed > 0 && committed <= hw)
        try await c.setConsumeRate(h, recordsPerSec: 10)
        await c.advance(by: 20_000)
        let lag = try #require(await c.offsets(topic: "t", partition: 0)).highWatermark - (await c.committedOffset(group: "g", topic: "t", partition: 0) ?? 0)
        #expect(lag > 500)
    }

    @Test("Mixed group: a classic member inside a consumer group has MemberType 0")
    func mixedGroup() async throws {
        let c = Self.cluster()
        try await c.createTopic("t", partitions: 4)
        try await c.addConsumerGroup("mixed", topics: ["t"], members: 1)
        var o = SimMemberOptions()
        o.classicInConsumerGroup = true
        try await c.addMember(group: "mixed", protocol: .consumer, topics: ["t"], options: o)
        await c.advance(by: 6_000)
        let broker = await c.coordinator(for: "mixed")
        let d = await c.consumerGroupDescribe(ConsumerGroupDescribeRequest(groupIDs: ["mixed"]), version: 1, broker: broker)
        #expect(d.groups.first?.members.map(\.memberType).sorted() == [0, 1])
        #expect(await c.groupState("mixed")?.type == .consumer)
    }
}

extension GroupLogicTests {
    @Test("Online upgrade: a KIP-848 member joining a Stable classic group converts it; classic members keep working", arguments: [ClassicAssignor.range, .cooperativeSticky])
    func onlineUpgrade(assignor: ClassicAssignor) async throws {
        let c = Self.cluster()
        try await c.createTopic("t", partitions: 6)
        let classic = try await c.addClassicGroup("up", topics: ["t"], members: 2, assignor: assignor)
        await c.advance(by: 5_000)
        #expect(await c.groupState("up")?.state == "Stable")
        let modern = try await c.addMember(group: "up", protocol: .consumer, topics: ["t"])
        #expect(await c.groupState("up")?.type == .consumer)
        await c.advance(by: 20_000)
        #expect(await c.groupState("up")?.state == "Stable")
        let owned = await (classic + [modern]).asyncMap { await c.memberStatus($0)?.owned ?? [] }
        #expect(owned.map(\.count) == [2, 2, 2])
        #expect(Set(owned.flatMap { $0 }).count == 6)
        let d = await c.consumerGroupDescribe(ConsumerGroupDescribeRequest(groupIDs: ["up"]), version: 1, broker: await c.coordinator(for: "up"))
        #expect(d.groups.first?.members.map(\.memberType).sorted() == [0, 0, 1])
        // Commits from the classic members still land.
        await c.advance(by: 6_000)
        #expect(await c.committedOffset(group: "up", topic: "t", partition: 0) != nil)
        // A classic member leaving rebalances the rest.
        try await c.stopMember(classic[0])
        await c.advance(by: 20_000)
        #expect(await c.memberStatus(modern)?.owned.count == 3)
        #expect(await c.memberStatus(classic[1])?.owned.count == 3)
    }
}

extension Array {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}

/// The partition log: retention, fetch limits, timestamps.
@Suite("KafkaSim log")
struct LogTests {
    @Test("retention.bytes moves the log start offset; fetch honours max bytes and offset ranges")
    func retentionAndFetch() async throws {
        let c = GroupLogicTests.cluster(brokers: 1)
        try await c.createTopic("r", partitions: 1, configs: ["retention.bytes": "4000"])
        for _ in 0..<20 { try await c.append(topic: "r", partition: 0, count: 10, valueSize: 20) }
        let o = try #require(await c.offsets(topic: "r", partition: 0))
        #expect(o.highWatermark == 200)
        #expect(o.logStart > 0 && o.logStart % 10 == 0)
        let old = await c.fetchOnce(FetchRequest(maxBytes: 1 << 20, topics: [.init(topic: "r", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]), version: 11, broker: 1)
        #expect(old.responses.first?.partitions.first?.errorCode == 1)
        let small = await c.fetchOnce(FetchRequest(maxBytes: 10, topics: [.init(topic: "r", partitions: [.init(partition: 0, fetchOffset: o.logStart, partitionMaxBytes: 10)])]), version: 11, broker: 1)
        let records = try #require(small.responses.first?.partitions.first?.records)
        #expect(RecordBatchBuilder.splitBatches(records)?.count == 1)  // at least one whole batch, even over the limit
        let all = await c.fetchOnce(FetchRequest(maxBytes: 1 << 20, topics: [.init(topic: "r", partitions: [.init(partition: 0, fetchOffset: o.logStart + 5, partitionMaxBytes: 1 << 20)])]), version: 11, broker: 1)
        let batches = try #require(RecordBatchBuilder.splitBatches(all.responses.first?.partitions.first?.records ?? []))
        #expect(batches.count == Int(200 - o.logStart) / 10)  // the batch holding the fetch offset comes whole
        let lo = await c.listOffsets(ListOffsetsRequest(replicaID: -1, topics: [.init(name: "r", partitions: [.init(partitionIndex: 0, timestamp: -2)])]), version: 7, broker: 1)
        #expect(lo.topics.first?.partitions.first?.offset == o.logStart)
    }
}

extension GroupLogicTests {
    @Test("KIP-848 regex subscription follows new matching topics (group epoch bump)")
    func regexSubscription() async throws {
        let c = Self.cluster()
        try await c.createTopic("orders-eu", partitions: 2)
        try await c.createTopic("payments", partitions: 2)
        var hb = CGHeartbeat(groupID: "rx", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 30_000)
        hb.subscribedTopicRegex = "orders-.*"
        let joined = await c.consumerGroupHeartbeat(hb)
        #expect(joined.errorCode == 0)
        #expect(joined.assignment?.map(\.topic).allSatisfy { $0 == "orders-eu" } == true)
        #expect(joined.assignment?.count == 2)
        try await c.createTopic("orders-us", partitions: 3)
        var next = CGHeartbeat(groupID: "rx", memberID: "m", memberEpoch: joined.memberEpoch)
        next.owned = joined.assignment
        let after = await c.consumerGroupHeartbeat(next)
        #expect(after.memberEpoch == joined.memberEpoch + 1)
        #expect(after.assignment?.count == 5)
    }
}

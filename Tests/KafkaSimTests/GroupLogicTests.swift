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
        #expect(await c.consumerGroupHeartbeat(hb).errorCode == KErr.unsupportedAssignor)
        hb.serverAssignor = "range"
        hb.subscribedTopicRegex = "(["
        #expect(await c.consumerGroupHeartbeat(hb).errorCode == KErr.invalidRegularExpression)
        hb.subscribedTopicRegex = nil
        hb.instanceID = "i1"
        let ok = await c.consumerGroupHeartbeat(hb)
        #expect(ok.errorCode == 0 && ok.memberEpoch == 1)
        var other = hb
        other.memberID = "m2"
        #expect(await c.consumerGroupHeartbeat(other).errorCode == KErr.unreleasedInstanceID)
        var fenced = hb
        fenced.memberEpoch = 7
        #expect(await c.consumerGroupHeartbeat(fenced).errorCode == KErr.fencedMemberEpoch)
        var unknown = hb
        unknown.memberID = "ghost"
        unknown.memberEpoch = 1
        unknown.instanceID = nil
        #expect(await c.consumerGroupHeartbeat(unknown).errorCode == KErr.unknownMemberID)
        // Commits from a stale epoch are rejected.
        #expect(await c.validateCommit(groupID: "g", memberID: "m1", generationOrEpoch: 0, instanceID: nil) == KErr.staleMemberEpoch)
        #expect(await c.validateCommit(groupID: "g", memberID: "m1", generationOrEpoch: 1, instanceID: nil) == 0)
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

extension Array {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}

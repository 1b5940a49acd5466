import GroupModel
import KafkaProtocol
import KafkaWire
import Testing

@testable import KafkaSim

/// KIP-848 partition hand-off, driven heartbeat by heartbeat with a manual clock (no sockets, no sleeps).
@Suite("KafkaSim KIP-848 hand-off")
struct HandOffTests {
    static let group = "handoff"

    static func heartbeat(_ member: String, epoch: Int32, owned: Set<TopicPartition>?) -> CGHeartbeat {
        CGHeartbeat(groupID: group, memberID: member, memberEpoch: epoch, rebalanceTimeoutMs: 60_000,
                    subscribedTopicNames: epoch == 0 ? ["t"] : nil, owned: owned)
    }

    static func commit(_ c: SimCluster, member: String, epoch: Int32, _ tp: TopicPartition, offset: Int64) async -> Int16? {
        let req = OffsetCommitRequest(groupID: group, generationIDOrMemberEpoch: epoch, memberID: member, topics: [
            .init(name: tp.topic, partitions: [.init(partitionIndex: tp.partition, committedOffset: offset, committedMetadata: nil)]),
        ])
        let resp = await c.offsetCommit(req, broker: await c.coordinator(for: group))
        return resp.topics.first?.partitions.first?.errorCode
    }

    @Test("A moving partition reaches its next owner only after the previous owner released it; the revoking member commits at its current epoch until then")
    func partitionWaitsForRelease() async throws {
        var config = SimConfig(brokerCount: 3)
        config.classicInitialRebalanceDelayMs = 0
        let c = SimCluster(config: config, clock: ManualClock())
        try await c.createTopic("t", partitions: 4)
        let all = Set((0..<4).map { TopicPartition(topic: "t", partition: Int32($0)) })

        // a joins alone and takes everything.
        let a1 = await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: 0, owned: []))
        #expect(a1.errorCode == 0 && a1.assignment == all)
        let ea = a1.memberEpoch
        #expect(await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: ea, owned: all)).errorCode == 0)

        // b joins: the target moves half of a's partitions to b, but a still owns them.
        let b1 = await c.consumerGroupHeartbeat(Self.heartbeat("b", epoch: 0, owned: []))
        #expect(b1.errorCode == 0 && b1.memberEpoch > ea)
        #expect(b1.assignment == [])
        let eb = b1.memberEpoch

        // a learns what it keeps; it stays at its epoch until it has revoked the rest.
        let a2 = await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: ea, owned: all))
        #expect(a2.errorCode == 0 && a2.memberEpoch == ea)
        let kept = try #require(a2.assignment)
        let moving = all.subtracting(kept)
        #expect(kept.count == 2 && moving.count == 2)
        let p = try #require(moving.min { $0.partition < $1.partition })

        // b heartbeats (also with a full, repeated request): nothing moves while a owns the partitions.
        let b2 = await c.consumerGroupHeartbeat(Self.heartbeat("b", epoch: eb, owned: []))
        #expect(b2.errorCode == 0 && b2.memberEpoch == eb && (b2.assignment ?? []).isEmpty)

        // a, still revoking, commits the last records it processed at its current epoch: accepted.
        #expect(await Self.commit(c, member: "a", epoch: ea, p, offset: 42) == KafkaErrorCode.none.code)
        // A heartbeat that still lists the revoked partitions releases nothing.
        #expect(await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: ea, owned: all)).memberEpoch == ea)
        #expect((await c.consumerGroupHeartbeat(Self.heartbeat("b", epoch: eb, owned: [])).assignment ?? []).isEmpty)
        #expect(await Self.commit(c, member: "a", epoch: ea, p, offset: 43) == KafkaErrorCode.none.code)

        // a acknowledges the revocation: it moves to the new epoch, and its old epoch is now stale.
        let a3 = await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: ea, owned: kept))
        #expect(a3.errorCode == 0 && a3.memberEpoch == eb)
        #expect(await Self.commit(c, member: "a", epoch: ea, p, offset: 44) == KafkaErrorCode.staleMemberEpoch.code)

        // Only now does b get the partitions, and it starts from a's last accepted commit.
        let b3 = await c.consumerGroupHeartbeat(Self.heartbeat("b", epoch: eb, owned: []))
        #expect(b3.errorCode == 0 && b3.assignment == moving)
        #expect(await c.committedOffset(group: Self.group, topic: "t", partition: p.partition) == 43)
        #expect(await c.groupState(Self.group)?.state == "Stable")
    }

    @Test("A member whose epoch moved on because it gained a partition still commits, at its older epoch, what it held before (KIP-1251)")
    func laggingCommitOfHeldPartitions() async throws {
        var config = SimConfig(brokerCount: 3)
        config.classicInitialRebalanceDelayMs = 0
        let c = SimCluster(config: config, clock: ManualClock())
        try await c.createTopic("t", partitions: 4)
        let all = Set((0..<4).map { TopicPartition(topic: "t", partition: Int32($0)) })

        // a and b share the partitions, both stable.
        let a1 = await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: 0, owned: []))
        _ = await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: a1.memberEpoch, owned: all))
        let b1 = await c.consumerGroupHeartbeat(Self.heartbeat("b", epoch: 0, owned: []))
        let a2 = await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: a1.memberEpoch, owned: all))
        let kept = try #require(a2.assignment)
        let a3 = await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: a1.memberEpoch, owned: kept))
        let b2 = await c.consumerGroupHeartbeat(Self.heartbeat("b", epoch: b1.memberEpoch, owned: []))
        let bOwned = try #require(b2.assignment)
        let e = a3.memberEpoch
        #expect(b2.memberEpoch == e && bOwned == all.subtracting(kept))

        // b leaves: a gains b's partitions at a new epoch.
        _ = await c.consumerGroupHeartbeat(Self.heartbeat("b", epoch: -1, owned: nil))
        let a4 = await c.consumerGroupHeartbeat(Self.heartbeat("a", epoch: e, owned: kept))
        #expect(a4.memberEpoch > e && a4.assignment == all)

        // A commit a sent at epoch e, before it heard the new epoch: accepted for what it held at e,
        // refused for a partition it only gained at the new epoch; a newer epoch than a's is refused.
        let held = try #require(kept.first), gained = try #require(bOwned.first)
        #expect(await Self.commit(c, member: "a", epoch: e, held, offset: 7) == KafkaErrorCode.none.code)
        #expect(await Self.commit(c, member: "a", epoch: e, gained, offset: 7) == KafkaErrorCode.staleMemberEpoch.code)
        #expect(await Self.commit(c, member: "a", epoch: a4.memberEpoch, gained, offset: 8) == KafkaErrorCode.none.code)
        #expect(await Self.commit(c, member: "a", epoch: a4.memberEpoch + 1, held, offset: 9) == KafkaErrorCode.staleMemberEpoch.code)
        #expect(await c.committedOffset(group: Self.group, topic: "t", partition: held.partition) == 7)
        #expect(await c.committedOffset(group: Self.group, topic: "t", partition: gained.partition) == 8)
    }
}

import Foundation
import GroupModel
import KafkaSim
import Monitor
import Testing

@testable import KgtopCLI

/// The deploy story on KafkaSim with a manual clock: members of a Deployment that share one client
/// id and one host get unique, stable labels everywhere; episodes say why they started; a member
/// stuck in revocation is named as the one blocking the hand-off.
@Suite("Deploy story scenarios", .serialized)
struct StoryScenarioTests {
    /// `deploy`: `count` KIP-848 members on `orders` (6 partitions), every one `order-service`.
    static func deployment(_ h: SimHarness, count: Int = 4, settle: Bool = true) async throws -> [String] {
        _ = try await h.cluster.createTopic("orders", partitions: 6)
        try await h.cluster.produce(topic: "orders", recordsPerSec: 60)
        var handles: [String] = []
        for _ in 0..<count {
            handles.append(try await h.cluster.addMember(group: "deploy", protocol: .consumer, topics: ["orders"], options: memberOptions("order-service")))
        }
        h.watched.set("deploy", partitions: 6)
        await h.advance(10_000)
        if settle {
            await h.runUntilSettled("deploy", partitions: 6)
            await h.run(for: 4_000)
        }
        return handles
    }

    static func labels(_ h: SimHarness) -> [String: String] {
        let members = h.latest?.snapshot?.group("deploy")?.members ?? []
        return Dictionary(uniqueKeysWithValues: members.map { ($0.memberID, $0.label ?? "") })
    }

    @Test("One client id, one host: unique labels in the snapshot, its JSON, events, the rebalance view's episode and wait's message")
    func sharedClientID() async throws {
        let h = try await SimHarness.start()
        // Two pods with three partitions each: a third pod takes one from each.
        let handles = try await Self.deployment(h, count: 2)
        let before = Self.labels(h)
        #expect(before.count == 2)
        #expect(Set(before.values).count == 2, "\(before)")
        #expect(before.values.allSatisfy { $0.hasPrefix("order-service~") }, "\(before)")
        let hosts = Set(h.latest?.snapshot?.group("deploy")?.members.map(\.clientHost) ?? [])
        #expect(hosts.count == 1, "the scenario needs one host for all members: \(hosts)")

        // JSON: `label` beside the ids.
        let snapshot = try #require(h.latest?.snapshot)
        let json = try #require(try JSONSerialization.jsonObject(with: SnapshotJSON.encode(snapshot)) as? [String: Any])
        let groups = try #require(json["groups"] as? [[String: Any]])
        let members = try #require(groups.first { $0["groupID"] as? String == "deploy" }?["members"] as? [[String: Any]])
        #expect(Set(members.compactMap { $0["label"] as? String }) == Set(before.values))
        #expect(members.allSatisfy { $0["memberID"] != nil })

        // A slow member is stuck in revocation when a third pod joins; nobody is renamed.
        let slow = handles[0]
        let slowID = try #require(await h.cluster.memberStatus(slow)?.memberID)
        try await h.cluster.slowMember(slow, revocationDelayMs: 600_000)
        try await h.cluster.addMember(group: "deploy", protocol: .consumer, topics: ["orders"], options: memberOptions("order-service"))
        await h.run(for: 6_000)
        let after = Self.labels(h)
        for (id, label) in before { #expect(after[id] == label, "\(id) was \(label), now \(after[id] ?? "gone")") }
        #expect(after.count == 3 && Set(after.values).count == 3, "\(after)")
        let slowLabel = try #require(before[slowID])

        // Events carry the label.
        let joined = try #require(h.events("deploy", .memberJoined).last)
        #expect(joined.label != nil && joined.label != slowLabel && Set(after.values).contains(joined.label ?? ""))
        let line = String(decoding: try SnapshotJSON.encodeLine(joined), as: UTF8.self)
        #expect(line.contains(#""label":"order-service~"#), "\(line)")
        // The episode's blocking list names the slow member as the holder.
        let blocked = h.allEpisodeEvents.filter { $0.groupID == "deploy" && $0.type == .blocked }
        #expect(blocked.contains { $0.blocked?.contains { $0.holderLabel == slowLabel && $0.holderID == slowID && $0.waiterLabel != nil } == true },
                "\(blocked.map { $0.blocked?.map(\.description) ?? [] })")

        // wait names the slow member by its label.
        let out = CollectedOutput()
        let code = await WaitRunner.run(
            monitor: h.monitor, options: .init(group: "^deploy$", timeoutMs: 10_000, intervalMs: 2_000),
            clock: h.commandClock, output: out.output)
        #expect(code == 2)
        let message = out.stderr.joined(separator: "\n")
        #expect(message.contains("held by \(slowLabel)"), "\(out.stderr.suffix(3))")
        #expect(!message.contains(slowID), "wait names the member by its label, not its id")
        await h.shutdown()
    }

    @Test("Join, leave, fence and partition count each start an episode with that trigger")
    func triggersOnTheSimulator() async throws {
        let h = try await SimHarness.start()
        let handles = try await Self.deployment(h, count: 3)
        func lastTriggers() -> [RebalanceTrigger] { h.finishedEpisodes("deploy").last?.triggers ?? [] }

        let added = try await h.cluster.addMember(group: "deploy", protocol: .consumer, topics: ["orders"], options: memberOptions("order-service"))
        await h.runUntilSettled("deploy", partitions: 6)
        await h.run(for: 3_000)
        #expect(lastTriggers() == [.join], "\(lastTriggers())")

        try await h.cluster.stopMember(added)
        await h.runUntilSettled("deploy", partitions: 6)
        await h.run(for: 3_000)
        #expect(lastTriggers() == [.leave], "\(lastTriggers())")

        try await h.cluster.addPartitions("orders", totalCount: 8)
        h.watched.set("deploy", partitions: 8)
        await h.run(for: 12_000)
        await h.runUntilSettled("deploy", partitions: 8)
        await h.run(for: 3_000)
        #expect(lastTriggers().contains(.partitionCountChange), "\(lastTriggers())")

        try await h.cluster.pauseMember(handles[2])
        await h.run(for: 60_000, pollEveryMs: 2_000)
        await h.runUntilSettled("deploy", partitions: 8)
        await h.run(for: 3_000)
        #expect(h.finishedEpisodes("deploy").contains { $0.triggers.contains(.fence) }, "\(h.finishedEpisodes("deploy").map(\.triggers))")
        await h.shutdown()
    }

    @Test("An episode already under way at the first poll is 'in progress at start', not unknown")
    func inProgressAtStart() async throws {
        let h = try await SimHarness.start()
        let handles = try await Self.deployment(h, count: 3, settle: false)
        await h.advance(20_000)
        try await h.cluster.slowMember(handles[0], revocationDelayMs: 30_000)
        try await h.cluster.addMember(group: "deploy", protocol: .consumer, topics: ["orders"], options: memberOptions("order-service"))
        await h.advance(2_000)
        let first = await h.poll()
        let started = try #require(first.episodeEvents.first { $0.groupID == "deploy" && $0.type == .started })
        #expect(started.episode.triggers == [.inProgressAtStart])
        await h.shutdown()
    }

    @Test("Classic cooperative: generations from the members' subscriptions and a measured duration")
    func classicCooperative() async throws {
        let h = try await SimHarness.start()
        _ = try await h.cluster.createTopic("orders", partitions: 6)
        var handles: [String] = []
        for i in 1...3 {
            var o = memberOptions("ledger-\(i)")
            o.classicAssignor = .cooperativeSticky
            handles.append(try await h.cluster.addMember(group: "ledger", protocol: .classic, topics: ["orders"], options: o))
        }
        h.watched.set("ledger", partitions: 6)
        await h.advance(10_000)
        await h.runUntilSettled("ledger", partitions: 6)
        await h.run(for: 4_000)
        try await h.cluster.stopMember(handles[0])
        await h.runUntilSettled("ledger", partitions: 6)
        await h.run(for: 4_000)
        let episode = try #require(h.finishedEpisodes("ledger").last)
        #expect(episode.protocol == .classic)
        #expect(episode.triggers == [.leave])
        let from = try #require(episode.fromEpoch)
        let to = try #require(episode.targetEpoch)
        #expect(to > from)
        #expect((episode.durationMs ?? 0) > 0, "a rebalance seen by a poll has a measured duration")
        await h.shutdown()
    }

    @Test("A group's own consumer.session.timeout.ms is read once while it rebalances; its blocked hand-offs are held to it")
    func groupSessionTimeout() async throws {
        let h = try await SimHarness.start()
        try await h.cluster.setGroupConfig("deploy", "consumer.session.timeout.ms", value: "20000")
        await #expect(throws: SimError.self) { try await h.cluster.setGroupConfig("deploy", "session.timeout.ms", value: "20000") }
        await #expect(throws: SimError.self) { try await h.cluster.setGroupConfig("deploy", "consumer.session.timeout.ms", value: "-1") }
        let handles = try await Self.deployment(h, count: 2)
        func configReads() -> Int { h.recorder.updates.compactMap { $0.stats?.byAPI["DescribeConfigs"]?.requests }.reduce(0, +) }
        // Settled groups are not asked for their configs.
        let readsWhileSteady = configReads()
        #expect(await h.monitor.rebalanceLimits.groupSessionTimeoutMs.isEmpty)

        // A slow member holds a partition the newcomer waits for.
        try await h.cluster.slowMember(handles[0], revocationDelayMs: 600_000)
        let newcomer = try await h.cluster.addMember(group: "deploy", protocol: .consumer, topics: ["orders"], options: memberOptions("order-service"))
        await h.run(for: 6_000)
        #expect(await h.monitor.rebalanceLimits.groupSessionTimeoutMs == ["deploy": 20_000])
        let episode = try #require(h.latest?.openEpisodes.first { $0.groupID == "deploy" })
        #expect(!episode.blocking.isEmpty)
        #expect(episode.blocking.allSatisfy { $0.limitSource == .group && $0.limitMs == 20_000 }, "\(episode.blocking.map(\.limit))")
        #expect(episode.blocking.first?.limit == "consumer.session.timeout.ms 20000 (group config)")

        // Past the group's 20 s (the broker's is 45 s): the holder stalls the rebalance. The config
        // was read once in all those polls.
        await h.run(for: 20_000)
        let later = try #require(h.latest?.openEpisodes.first { $0.groupID == "deploy" })
        #expect(!later.stalledBy.isEmpty, "\(later.blocking.map(\.description))")
        #expect(configReads() - readsWhileSteady == 1)
        #expect(await h.monitor.groupConfigReadAt.keys.sorted() == ["deploy"])

        // A group that is gone is forgotten.
        try await h.cluster.setGroupConfig("deploy", "consumer.session.timeout.ms", value: nil)
        for handle in handles + [newcomer] { try await h.cluster.stopMember(handle) }
        await h.run(for: 5_000)
        #expect(await h.cluster.deleteGroup("deploy"))
        await h.run(for: 2_000)
        #expect(h.latest?.snapshot?.group("deploy") == nil)
        #expect(await h.monitor.groupConfigReadAt.isEmpty)
        #expect(await h.monitor.rebalanceLimits.groupSessionTimeoutMs.isEmpty)
        await h.shutdown()
    }
}

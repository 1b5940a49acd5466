import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing

@testable import KgtopCLI

/// Health scenarios on KafkaSim with a manual clock: a member that stops heartbeating, a slow
/// revocation, consumers that stop while producers continue, a rewind, an idle caught-up topic;
/// and the `events`, `check` and `wait` runners against them.
@Suite("Health scenarios", .serialized)
struct HealthScenarioTests {
    /// A KIP-848 group of `members` on a 6-partition topic `orders` with a producer, settled.
    static func consumerGroup(_ h: SimHarness, group: String = "svc", members: Int = 3, instancePrefix: String? = nil) async throws -> [String] {
        if await h.cluster.topicNames().contains("orders") == false {
            _ = try await h.cluster.createTopic("orders", partitions: 6)
            try await h.cluster.produce(topic: "orders", recordsPerSec: 60)
        }
        var handles: [String] = []
        for i in 1...members {
            handles.append(try await h.cluster.addMember(
                group: group, protocol: .consumer, topics: ["orders"],
                options: memberOptions("\(group)-\(i)", instance: instancePrefix.map { "\($0)-\(i)" })))
        }
        h.watched.set(group, partitions: 6)
        await h.advance(10_000)
        await h.runUntilSettled(group, partitions: 6)
        await h.run(for: 4_000)
        return handles
    }

    // MARK: - A member that stops heartbeating

    @Test("A member that stops heartbeating: STALL on its partitions, then fenced after the session timeout")
    func stopsHeartbeating() async throws {
        let h = try await SimHarness.start(historyCapacity: 5)
        let handles = try await Self.consumerGroup(h)
        #expect(h.verdict("svc")?.status == .ok)
        let pausedAt = h.now
        try await h.cluster.pauseMember(handles[1])
        await h.run(for: 20_000, pollEveryMs: 2_000)
        // Its partitions stop moving while the producer goes on; a member still owns them.
        let v = try #require(h.verdict("svc"))
        #expect(v.status == .stall, "\(v.reason)")
        #expect(v.reason.contains("STALL"))
        await h.run(for: 40_000, pollEveryMs: 2_000)
        let gone = h.allEvents.filter { $0.groupID == "svc" && $0.clientID == "svc-2" && ($0.type == .memberFenced || $0.type == .memberLeft) }
        #expect(gone.count == 1)
        #expect(gone.first?.type == .memberFenced, "\(gone.map(\.description))")
        // Fenced after the 45 s session timeout, seen within one poll interval.
        if let at = gone.first?.timestamp {
            #expect(at - pausedAt >= 45_000 - 5_000 && at - pausedAt <= 45_000 + 2_000, "fenced \(at - pausedAt) ms after the pause")
        }
        let episode = h.finishedEpisodes("svc").last
        #expect(episode?.trigger == .fence)
        await h.runUntilSettled("svc", partitions: 6)
        await h.run(for: 12_000, pollEveryMs: 2_000)
        #expect(h.verdict("svc")?.status != .stall)
        await h.shutdown()
    }

    // MARK: - A slow member stuck in revocation

    @Test("A slow member stuck in revocation is named; wait times out naming it; check --no-stuck is CRITICAL")
    func stuckInRevocation() async throws {
        let h = try await SimHarness.start(stuckThresholdMs: 20_000)
        let handles = try await Self.consumerGroup(h, members: 3, instancePrefix: "pod")
        try await h.cluster.slowMember(handles[0], revocationDelayMs: 600_000)
        let joinAt = h.now
        try await h.cluster.addMember(group: "svc", protocol: .consumer, topics: ["orders"], options: memberOptions("svc-4"))
        await h.run(for: 30_000, pollEveryMs: 2_000)

        let stuck = h.allEpisodeEvents.filter { $0.groupID == "svc" && $0.type == .memberStuck }
        #expect(stuck.count == 1)
        let member = try #require(stuck.first?.member)
        #expect(member.clientID == "svc-1")
        #expect(member.instanceID == "pod-1")
        #expect(member.clientHost.contains("127.0.0.1"))
        #expect(member.behindSince - joinAt <= 2_000)
        let v = try #require(h.verdict("svc"))
        #expect(v.status == .stuck, "\(v.reason)")
        // Named by its label: the static member's instance id.
        #expect(v.reason.contains("pod-1"), "\(v.reason)")
        #expect(member.label == "pod-1")
        #expect(h.latest?.openEpisodes.first { $0.groupID == "svc" }?.stuckMembers.first?.clientID == "svc-1")

        // wait: 2 on timeout, naming the member and the unmet conditions.
        let out = CollectedOutput()
        let code = await WaitRunner.run(
            monitor: h.monitor, options: .init(group: "^svc$", timeoutMs: 20_000, intervalMs: 2_000),
            clock: h.commandClock, output: out.output)
        #expect(code == 2)
        let last = out.stderr.last ?? ""
        #expect(last.contains("timeout") && last.contains("pod-1") && last.contains("behind assignment epoch"), "\(last)")
        #expect(last.contains("pending revocation") || last.contains("awaiting release"), "\(last)")
        #expect(out.stderr.dropLast().allSatisfy { $0.contains("members 3/4 reconciled") }, "\(out.stderr)")

        // check --no-stuck: CRITICAL, naming it.
        let check = CollectedOutput()
        let result = await CheckRunner.run(
            monitor: h.monitor, options: .init(rules: [CheckRule(group: "^svc$", noStuck: true)], samples: 2, sampleIntervalMs: 5_000),
            clock: h.commandClock, output: check.output)
        #expect(result.code == 2)
        #expect(check.stderr.contains { $0.contains("CRITICAL svc") && $0.contains("pod-1") }, "\(check.stderr)")
        await h.shutdown()
    }

    // MARK: - Consumers stop while producers continue

    @Test("Consumers that stop while producers continue: STOP (nobody owns the partitions) once the commits stood 15 s")
    func consumersStop() async throws {
        let h = try await SimHarness.start(historyCapacity: 5)
        let handles = try await Self.consumerGroup(h, members: 2)
        for handle in handles { try await h.cluster.stopMember(handle) }
        await h.run(for: 10_000, pollEveryMs: 1_000)
        // Not yet: the committed offsets have stood for less than the minimum span; the lag grows.
        let early = try #require(h.verdict("svc"))
        #expect(early.status == .warn, "\(early.reason)")
        await h.run(for: 10_000, pollEveryMs: 1_000)
        let v = try #require(h.verdict("svc"))
        #expect(v.status == .stop, "\(v.reason)")
        #expect(v.partitions.allSatisfy { $0.status == .stop })
        #expect(v.partitions.first?.reason.contains("no member owns the partition") == true)
        #expect(h.events("svc", .memberLeft).count == 2)
        #expect(h.events("svc", .stateChanged).last?.new == .text("Empty"))
        // Lag trend: growing, no ETA.
        let samples = h.recorder.updates.suffix(5).compactMap { u in
            u.snapshot?.groups.first { $0.groupID == "svc" }.map { LagSample(timestamp: u.at, lag: $0.summary.totalLag) }
        }
        let trend = TimeLagEstimator.trend(samples)
        #expect(trend.trend == .growing)
        #expect(trend.etaSeconds == nil)
        await h.shutdown()
    }

    // MARK: - Rewind

    @Test("A commit that goes backwards: REWIND with the numbers")
    func rewind() async throws {
        let h = try await SimHarness.start()
        _ = try await h.cluster.createTopic("audit", partitions: 1)
        _ = try await h.cluster.append(topic: "audit", partition: 0, count: 1_000)
        for offset in [500, 600, 700] {
            await h.cluster.commitOffset(group: "replay", topic: "audit", partition: 0, offset: Int64(offset))
            await h.run(for: 1_000)
        }
        #expect(h.verdict("replay")?.status == .ok || h.verdict("replay")?.status == .warn)
        await h.cluster.commitOffset(group: "replay", topic: "audit", partition: 0, offset: 100)
        await h.run(for: 1_000)
        let v = try #require(h.verdict("replay"))
        #expect(v.status == .rewind, "\(v.reason)")
        #expect(v.reason.contains("from 700 to 100"), "\(v.reason)")
        await h.shutdown()
    }

    // MARK: - Idle, caught-up topic

    @Test("An idle, caught-up topic: OK, time lag 0 s, check --max-time-lag OK")
    func idleCaughtUp() async throws {
        let h = try await SimHarness.start()
        _ = try await h.cluster.createTopic("quiet", partitions: 3)
        for p in 0..<3 { _ = try await h.cluster.append(topic: "quiet", partition: Int32(p), count: 300) }
        try await h.cluster.addMember(group: "idle", protocol: .consumer, topics: ["quiet"], options: memberOptions("idle-1"))
        await h.advance(10_000)
        await h.run(for: 60_000, pollEveryMs: 5_000)
        let v = try #require(h.verdict("idle"))
        #expect(v.status == .ok, "\(v.reason)")
        let group = try #require(h.latest?.snapshot?.groups.first { $0.groupID == "idle" })
        #expect(group.summary.totalLag == 0)
        let lags = await h.monitor.timeLags(of: group, now: h.now)
        #expect(lags.count == 3)
        #expect(lags.values.allSatisfy { $0 == .known(seconds: 0, method: .caughtUp) }, "\(lags)")
        let out = CollectedOutput()
        let result = await CheckRunner.run(
            monitor: h.monitor, options: .init(rules: [CheckRule(group: "idle", maxTimeLagMs: 30_000)]),
            clock: h.commandClock, output: out.output)
        #expect(result.code == 0, "\(out.stderr)")
        await h.shutdown()
    }
}

import Foundation
import GroupModel
import KafkaSim
import Monitor
import Testing

@testable import KgtopCLI

/// The same hand-off on brokers that answer differently: Kafka 4.0-4.2 leave a partition that is
/// still being revoked out of the member's described Assignment (4.3 lists it, KAFKA-20431), 4.3
/// starts groups at epoch 1 (KAFKA-20268), accepts commits at older epochs (KIP-1251) and computes
/// target assignments at most once per `group.consumer.assignment.interval.ms`. kgtop must
/// reach the same conclusions on both: the same hand-off state per partition, the same episodes,
/// blocking list and verdicts, the same member named as stuck, the same `wait` result, and no
/// "unowned" alarm made by the version difference.
@Suite("One hand-off, Kafka 4.0 and 4.3 answers, the same conclusions", .serialized)
struct VersionScenarioTests {
    /// What kgtop concluded about the scenario, in version-free terms.
    struct Conclusions: Equatable, CustomStringConvertible {
        var handoffs: [String]
        var unowned: Int
        var verdict: HealthStatus?
        var stuck: [String]
        var episodesStarted: Int
        var episodesEnded: Int
        var epochSteps: [Int32]
        var triggers: [String]
        var blocking: [String]
        var waitCode: Int32
        var description: String {
            "handoffs \(handoffs) unowned \(unowned) verdict \(verdict.map { "\($0)" } ?? "nil") stuck \(stuck) "
                + "episodes \(episodesStarted)/\(episodesEnded) epoch steps \(epochSteps) triggers \(triggers) blocking \(blocking) wait \(waitCode)"
        }
    }

    /// Three static members settle, the first becomes a slow revoker, a fourth joins; kgtop polls
    /// every 2 s for 30 s, then `wait` runs for 10 s.
    static func run(_ version: SimKafkaVersion, assignmentIntervalMs: Int64 = 0) async throws -> Conclusions {
        let h = try await SimHarness.start(stuckThresholdMs: 20_000) {
            $0.kafkaVersion = version
            $0.consumerAssignmentIntervalMs = assignmentIntervalMs
        }
        let handles = try await HealthScenarioTests.consumerGroup(h, members: 3, instancePrefix: "pod")
        try await h.cluster.slowMember(handles[0], revocationDelayMs: 600_000)
        try await h.cluster.addMember(group: "svc", protocol: .consumer, topics: ["orders"], options: memberOptions("svc-4"))
        await h.run(for: 30_000, pollEveryMs: 2_000)

        let group = try #require(h.latest?.snapshot?.group("svc"))
        let waitOutput = CollectedOutput()
        let waitCode = await WaitRunner.run(
            monitor: h.monitor, options: .init(group: "^svc$", timeoutMs: 10_000, intervalMs: 2_000),
            clock: h.commandClock, output: waitOutput.output)
        let started = h.allEpisodeEvents.filter { $0.groupID == "svc" && $0.type == .started }
        let open = h.latest?.openEpisodes.filter { $0.groupID == "svc" } ?? []
        let episodes = h.finishedEpisodes("svc") + open
        await h.shutdown()
        return Conclusions(
            handoffs: group.partitions.map { "\($0.topicPartition.partition):\($0.handoff)" },
            unowned: group.partitions.filter { $0.handoff == .unowned }.count,
            verdict: h.verdict("svc")?.status,
            stuck: (h.verdict("svc")?.stuckMembers ?? []).map(\.clientID).sorted(),
            episodesStarted: started.count,
            episodesEnded: h.finishedEpisodes("svc").count,
            epochSteps: episodes.map { ($0.targetEpoch ?? 0) - ($0.fromEpoch ?? 0) },
            triggers: episodes.map { "\($0.triggers)" },
            blocking: open.flatMap(\.blocking).map {
                "\($0.topicPartition.partition) held by \($0.holderLabel ?? "?") for \($0.waiterLabel ?? "?")\($0.pastLimit ? " past limit" : "")"
            },
            waitCode: waitCode)
    }

    @Test("A slow revoker and a joining member: 4.0 and 4.3 give the same hand-off states, episodes, verdict and wait result")
    func sameConclusions() async throws {
        let old = try await Self.run(.v4_0)
        let new = try await Self.run(.v4_3)
        #expect(old == new, "\n4.0: \(old)\n4.3: \(new)")
        // 4.3 with Kafka's default assignment interval (1 s): the assignment epoch trails the group
        // epoch for a moment, and nothing kgtop concludes changes.
        let batched = try await Self.run(.v4_3, assignmentIntervalMs: 1_000)
        #expect(batched == new, "\n4.3 batched: \(batched)\n4.3: \(new)")
        // And they are the right conclusions: one partition in flight from the slow member, nobody's
        // partition reads as unowned, the slow member is the one named, and wait does not succeed.
        #expect(new.unowned == 0, "\(new)")
        #expect(new.handoffs.contains { $0.hasSuffix("pendingRevocation") }, "\(new)")
        #expect(new.stuck == ["svc-1"], "\(new)")
        #expect(new.verdict == .stuck, "\(new)")
        #expect(new.waitCode == 2, "\(new)")
        // The blocking list names the slow member (its instance id is its label) and the newcomer.
        #expect(new.blocking.count == 1 && new.blocking[0].contains("held by pod-1 for svc-4"), "\(new)")
    }
}

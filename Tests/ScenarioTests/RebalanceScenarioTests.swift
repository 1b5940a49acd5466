import Foundation
import GroupModel
import KafkaSim
import Monitor
import Testing

@testable import KgtopCLI

/// Rolling restarts, a member that stops heartbeating and a slow revocation, on KafkaSim with a
/// manual clock: the monitor's events, episodes (count, trigger, duration within one poll interval
/// of the simulator's own truth) and verdicts.
@Suite("Rebalance scenarios", .serialized)
struct RebalanceScenarioTests {
    static let partitions = 12
    static let pollMs: Int64 = 1_000

    enum Kind: String, CustomStringConvertible {
        case consumer, cooperative, eager
        var description: String { rawValue }
    }

    /// Adds one member of the scenario's kind.
    static func addMember(_ h: SimHarness, kind: Kind, group: String, clientID: String) async throws -> String {
        switch kind {
        case .consumer:
            return try await h.cluster.addMember(group: group, protocol: .consumer, topics: ["orders"], options: memberOptions(clientID))
        case .cooperative, .eager:
            var o = memberOptions(clientID)
            o.classicAssignor = kind == .cooperative ? .cooperativeSticky : .range
            return try await h.cluster.addMember(group: group, protocol: .classic, topics: ["orders"], options: o)
        }
    }

    /// A group of 6 members on a 12-partition topic with a producer, settled, with a few polls taken.
    static func settledGroup(kind: Kind, group: String = "svc") async throws -> (SimHarness, [String]) {
        let h = try await SimHarness.start()
        _ = try await h.cluster.createTopic("orders", partitions: partitions)
        try await h.cluster.produce(topic: "orders", recordsPerSec: 120)
        var handles: [String] = []
        for i in 1...6 { handles.append(try await addMember(h, kind: kind, group: group, clientID: "svc-\(i)")) }
        h.watched.set(group, partitions: partitions)
        await h.advance(10_000)
        await h.runUntilSettled(group, partitions: partitions)
        await h.run(for: 5_000, pollEveryMs: pollMs)
        return (h, handles)
    }

    /// Matches observed episodes to the simulator's unsettled intervals and checks that each one
    /// starts and ends within one poll interval after the truth.
    static func expectDurations(_ h: SimHarness, group: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let truth = h.truthEpisodes(group)
        let observed = h.finishedEpisodes(group)
        for e in observed {
            guard let end = e.endedAt else { continue }
            // The truth interval this episode saw: the one that overlaps it.
            let match = truth.first { t in t.start <= end && t.end >= e.startedAt - pollMs }
            #expect(match != nil, "episode #\(e.number) \(e.startedAt)…\(end) has no true unsettled interval", sourceLocation: sourceLocation)
            guard let t = match else { continue }
            #expect(e.startedAt >= t.start && e.startedAt - t.start <= pollMs,
                    "episode #\(e.number) started \(e.startedAt - t.start) ms after the truth", sourceLocation: sourceLocation)
            #expect(end >= t.end && end - t.end <= pollMs,
                    "episode #\(e.number) ended \(end - t.end) ms after the truth", sourceLocation: sourceLocation)
            let d = e.durationMs ?? -1
            #expect(abs(d - (t.end - t.start)) <= pollMs, "episode #\(e.number): \(d) ms vs true \(t.end - t.start) ms", sourceLocation: sourceLocation)
        }
    }

    static func describe(_ h: SimHarness, group: String) -> String {
        let eps = h.finishedEpisodes(group).map { "#\($0.number) \($0.trigger.rawValue) \($0.durationMs ?? -1)ms" }
        let truth = h.truthEpisodes(group).map { "\($0.end - $0.start)ms" }
        return "episodes \(eps) truth \(truth)"
    }

    @Test("Rolling restart of 6 members: one episode per restart, durations within one poll", arguments: [Kind.consumer, .cooperative, .eager])
    func rollingRestart(kind: Kind) async throws {
        let group = "svc"
        let (h, initial) = try await Self.settledGroup(kind: kind, group: group)
        var handles = initial
        let before = h.recorder.updates.count
        #expect(h.latest?.openEpisodes.isEmpty == true)
        #expect(h.verdict(group)?.status == .ok, "\(h.verdict(group)?.reason ?? "")")

        for i in 0..<6 {
            try await h.cluster.stopMember(handles[i])
            await h.run(for: 2_000, pollEveryMs: Self.pollMs)
            handles[i] = try await Self.addMember(h, kind: kind, group: group, clientID: "svc-\(i + 1)")
            await h.runUntilSettled(group, partitions: Self.partitions)
            await h.run(for: 4_000, pollEveryMs: Self.pollMs)
        }
        print("[\(kind)] \(Self.describe(h, group: group))")

        let episodes = h.finishedEpisodes(group)
        // One episode per true rebalance: KIP-848 merges leave and join of a restart into one; a
        // classic group may finish the leave's rebalance before the replacement joins (two).
        #expect(episodes.count == h.truthEpisodes(group).count, "\(Self.describe(h, group: group))")
        #expect((6...12).contains(episodes.count))
        if kind == .consumer { #expect(episodes.count == 6) }
        #expect(episodes.filter { $0.trigger == .leave }.count == 6, "\(episodes.map(\.trigger))")
        #expect(episodes.allSatisfy { $0.trigger == .leave || $0.trigger == .join })
        #expect(episodes.allSatisfy { !$0.abandoned })
        Self.expectDurations(h, group: group)
        #expect(h.latest?.openEpisodes.isEmpty == true)

        // Events: six clean leaves and six joins, named by client id.
        let left = h.events(group, .memberLeft)
        let joined = h.events(group, .memberJoined).filter { _ in true }
        #expect(left.count == 6, "\(left.map(\.description))")
        #expect(h.events(group, .memberFenced).isEmpty)
        #expect(joined.count >= 6)
        #expect(Set(left.compactMap(\.clientID)) == Set((1...6).map { "svc-\($0)" }))
        if kind == .consumer {
            #expect(h.events(group, .groupEpochBumped).count >= 12)
            #expect(h.allEpisodeEvents.contains { $0.groupID == group && $0.type == .targetComputed })
        } else {
            let preparing = h.events(group, .stateChanged).filter { $0.new == .text("PreparingRebalance") || $0.new == .text("CompletingRebalance") }
            #expect(preparing.count >= 4, "\(preparing.count)")
        }
        // Verdicts: never worse than REBALANCING during the restart, OK at the end.
        let during = h.recorder.updates[before...].compactMap { $0.verdicts[group]?.status }
        #expect(during.allSatisfy { $0 <= .rebalancing || $0 == .warn }, "\(Set(during))")
        #expect(h.verdict(group)?.status == .ok, "\(h.verdict(group)?.reason ?? "")")
        await h.shutdown()
    }
}

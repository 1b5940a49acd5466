import DashboardUI
import Foundation
import GroupModel
import KafkaSim
import Monitor
import Testing

@testable import KgtopCLI

/// Every broker of the cluster stops: the dashboard must not keep saying the cluster is up.
@Suite("A dead cluster looks dead", .serialized)
struct StaleClusterTests {
    /// What the dashboard runner does with a monitor update (the same feed, the same fallback).
    static func feed(_ feed: inout DashboardFeed, _ u: MonitorUpdate) -> DashboardUpdate {
        let snapshot = u.snapshot ?? ClusterSnapshot(
            takenAt: u.at, pollDurationMs: 0, cluster: ClusterInfo(),
            errors: [PollError(scope: .cluster, operation: "poll", message: u.failure ?? "no data yet")])
        return feed.ingest(
            snapshot: snapshot, events: u.events, episodeEvents: u.episodeEvents, openEpisodes: u.openEpisodes,
            finishedEpisodes: u.finishedEpisodes, verdicts: u.verdicts, newErrors: u.newErrors,
            timeLags: u.timeLags, failure: u.failure, at: u.at)
    }

    @MainActor
    static func header(_ update: DashboardUpdate, now: Int64) -> String {
        let dashboard = Dashboard(size: TerminalSize(width: 160, height: 30))
        dashboard.now = now
        dashboard.receive(update)
        return dashboard.render().text[0]
    }

    @Test("Within two polls of every broker stopping: STALE, no broker up, one counted error row; one more row when it is back")
    func everyBrokerStops() async throws {
        let h = try await SimHarness.start(brokers: 3)
        _ = try await HealthScenarioTests.consumerGroup(h, members: 2)
        var feed = DashboardFeed(pollIntervalMs: 2_000)
        var update = Self.feed(&feed, await h.poll())
        #expect(update.staleness == nil)
        #expect(await Self.header(update, now: h.now).contains("brokers 3/3 up"))
        let before = feed.errorStream.count

        for b in Int32(1)...3 { await h.sim.stopBroker(b) }
        var headers: [String] = []
        for _ in 0..<2 {
            await h.advance(2_000)
            update = Self.feed(&feed, await h.poll())
            headers.append(await Self.header(update, now: h.now))
        }
        let last = try #require(headers.last)
        #expect(last.contains("STALE"), "\(headers)")
        #expect(last.contains("brokers 0/3 up"), "\(headers)")
        let fresh = Array(feed.errorStream.dropFirst(before))
        let outage = fresh.filter { $0.severity == .critical }
        #expect(outage.count == 1, "one row for the outage, not one per poll: \(fresh.map(\.message))")
        #expect(outage.first?.count == 2, "\(fresh.map { "\($0.count)× \($0.message)" })")

        for b in Int32(1)...3 { try await h.sim.startBroker(b) }
        var recovered = false
        for _ in 0..<5 where !recovered {
            await h.advance(2_000)
            update = Self.feed(&feed, await h.poll())
            recovered = update.staleness == nil && update.snapshot.cluster.brokers.allSatisfy(\.reachable)
        }
        #expect(recovered)
        #expect(feed.errorStream.last?.message.hasPrefix("ended after") == true, "\(feed.errorStream.suffix(3).map(\.message))")
        #expect(await Self.header(update, now: h.now).contains("brokers 3/3 up"))
        await h.shutdown()
    }
}

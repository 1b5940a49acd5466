import Testing
@testable import DashboardUI
@testable import GroupModel

/// A cluster that stops answering: the header says so within the first failed poll, no broker is
/// counted up, the values are dimmed, and the error stream holds one counted row for the outage
/// plus one when it ends (not one row per poll).
@Suite("Staleness and lasting faults")
@MainActor
struct StalenessTests {
    static let good = Scenario.snapshot

    static func ingest(_ feed: inout DashboardFeed, failure: String?, at: Int64, newErrors: [PollError] = []) -> DashboardUpdate {
        feed.ingest(
            snapshot: good, events: [], episodeEvents: [], openEpisodes: [], finishedEpisodes: [], verdicts: [:],
            newErrors: newErrors, failure: failure, at: at)
    }

    @Test("Every broker stops: one counted error row, STALE header, no broker up, dimmed values; recovery ends the row")
    func outage() {
        var feed = DashboardFeed(pollIntervalMs: 2_000)
        let t0 = Scenario.takenAt
        let first = Self.ingest(&feed, failure: nil, at: t0)
        #expect(first.staleness == nil)
        #expect(first.errors?.isEmpty == true)

        var last = first
        for i in 1...5 {
            let pollError = PollError(scope: .cluster, operation: "poll", message: "no broker reachable")
            last = Self.ingest(&feed, failure: "no broker reachable (attempt \(i))", at: t0 + Int64(i) * 2_000,
                               newErrors: i == 1 ? [pollError] : [])
        }
        #expect(last.staleness == Staleness(lastGoodAt: t0, failedPolls: 5))
        let rows = last.errors ?? []
        #expect(rows.count == 1, "one row for the outage, not one per poll: \(rows.map(\.message))")
        #expect(rows.first?.count == 5)
        #expect(rows.first?.since == t0 + 2_000)
        #expect(rows.first?.at == t0 + 10_000)
        #expect(rows.first?.severity == .critical)
        #expect(rows.first?.message.contains("attempt 5") == true)

        let dashboard = Dashboard(size: TerminalSize(width: 160, height: 30))
        dashboard.now = t0 + 10_500
        dashboard.receive(last)
        let grid = dashboard.render()
        let header = grid.text[0]
        #expect(header.contains("brokers 0/3 up"), "\(header)")
        #expect(header.contains("STALE: data 10s old, 5 failed polls"), "\(header)")
        // Group rows (below the fixed lines) are drawn in the stale role, except the selection.
        let bodyRoles = (6..<10).map { y in grid[2, y].role }
        #expect(bodyRoles.contains(.stale), "\(bodyRoles)")

        let recovered = Self.ingest(&feed, failure: nil, at: t0 + 12_000)
        #expect(recovered.staleness == nil)
        let after = recovered.errors ?? []
        #expect(after.count == 2)
        #expect(after.last?.severity == .info)
        #expect(after.last?.message.hasPrefix("ended after 10s (5 polls)") == true, "\(after.last?.message ?? "")")

        let fresh = Dashboard(size: TerminalSize(width: 160, height: 30))
        fresh.now = t0 + 12_500
        fresh.receive(recovered)
        #expect(fresh.render().text[0].contains("brokers 2/3 up"))
    }

    @Test("The errors view shows a lasting fault's count and start")
    func errorsViewShowsCount() {
        var feed = DashboardFeed(pollIntervalMs: 2_000)
        let t0 = Scenario.takenAt
        _ = Self.ingest(&feed, failure: nil, at: t0)
        _ = Self.ingest(&feed, failure: "connection refused", at: t0 + 2_000)
        let update = Self.ingest(&feed, failure: "connection refused", at: t0 + 4_000)
        let dashboard = Dashboard(size: TerminalSize(width: 200, height: 20))
        dashboard.now = t0 + 4_000
        dashboard.receive(update)
        dashboard.state.view = .errors
        let text = dashboard.render().plainText
        #expect(text.contains("×2 since 2025-10-09"), "\(text)")
        #expect(text.contains("poll failed"))
    }

    @Test("A replay is never stale")
    func replayNotStale() {
        var feed = DashboardFeed()
        let update = feed.ingest(
            snapshot: Self.good, events: [], episodeEvents: [], openEpisodes: [], finishedEpisodes: [], verdicts: [:],
            newErrors: [], failure: "gap in the recording", at: Scenario.takenAt, isReplay: true)
        #expect(update.staleness == nil)
    }
}

/// A long run where groups come and go: the feed's per-group state follows the groups present.
@Suite("DashboardFeed memory")
struct FeedChurnTests {
    static func group(_ id: String) -> Group {
        var g = Group(groupID: id, type: .consumer, state: .stable)
        g.recomputeDerived()
        return g
    }

    @Test("5,000 groups churned through the feed leave only the present groups' state")
    func churn() {
        var feed = DashboardFeed(pollIntervalMs: 2_000)
        let steady = (0..<50).map { Self.group("steady-\($0)") }
        var at = Scenario.takenAt
        for wave in 0..<100 {
            // Each poll: the steady groups plus 50 short-lived ones, each with a join and an episode.
            let transient = (0..<50).map { Self.group("wave\(wave)-\($0)") }
            let groups = steady + transient
            let events = transient.map {
                GroupEvent(type: .memberJoined, timestamp: at, groupID: $0.groupID, memberID: "m-\($0.groupID)")
            }
            let episodeEvents = transient.map {
                EpisodeEvent(type: .started, timestamp: at, episode: RebalanceEpisode(
                    number: 1, groupID: $0.groupID, protocol: .consumer, triggers: [.join], startedAt: at, fromEpoch: 1, targetEpoch: 2,
                    progress: RebalanceProgress(membersReconciled: 0, membersTotal: 1, partitionsSettled: 0, partitionsTotal: 0)))
            }
            _ = feed.ingest(
                snapshot: ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), groups: groups),
                events: events, episodeEvents: episodeEvents, openEpisodes: [], finishedEpisodes: [], verdicts: [:],
                newErrors: [], at: at)
            #expect(feed.trackedGroups <= 100, "wave \(wave): \(feed.trackedGroups)")
            at += 2_000
        }
        // The transient groups are gone; after the member-change window only the steady ones remain.
        for _ in 0..<20 {
            _ = feed.ingest(
                snapshot: ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), groups: steady),
                events: [], episodeEvents: [], openEpisodes: [], finishedEpisodes: [], verdicts: [:], newErrors: [], at: at)
            at += 2_000
        }
        #expect(feed.trackedGroups == 50)
    }
}

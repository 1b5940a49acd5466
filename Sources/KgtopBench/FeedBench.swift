import DashboardUI
import Foundation
import GroupModel

/// `KgtopBench --feed-only`: the dashboard's side of the watch loop on the synthetic estate of
/// ``DeriveBench`` (no cluster): per poll the Monitor's derivations, then `DashboardFeed.ingest`
/// and the dashboard receiving the update with its first frame (200x60, sorted by lag); after the
/// last poll the same TUI costs as the live benchmark (frame, new data, filter and sort change).
/// It prints CPU times (median and p95) and the process's peak resident memory; it asserts nothing.
enum FeedBench {
    static func run(_ args: ArraySlice<String>) {
        let o: DeriveBench.Options
        do { o = try DeriveBench.Options(args.filter { $0 != "--feed-only" }[...]) } catch {
            FileHandle.standardError.write(Data("KgtopBench: \(error)\n\(DeriveBench.Options.usage) (with --feed-only)\n".utf8))
            exit(64)
        }
        var estate = Estate(groups: o.groups, partitions: o.partitions)
        var derivation = PollDerivation(historyCapacity: o.historyCapacity)
        var feed = DashboardFeed(pollIntervalMs: 2_000)
        let dashboard = Dashboard(size: TerminalSize(width: 200, height: 60))
        while dashboard.state.sortColumn != .lag { _ = dashboard.perform(.sortNext) }
        var feedMs: [Double] = []
        var receiveMs: [Double] = []
        var last: DashboardUpdate?
        var snapshot = estate.snapshot()
        for poll in 0..<o.polls {
            let d = derivation.ingest(snapshot)
            let t0 = DeriveBench.threadCPUMs()
            let update = feed.ingest(
                snapshot: d.snapshot, events: d.events, episodeEvents: d.episodeEvents, openEpisodes: d.openEpisodes,
                finishedEpisodes: d.finishedEpisodes, verdicts: d.verdicts, newErrors: d.newErrors,
                timeLags: d.timeLags, at: snapshot.takenAt)
            let t1 = DeriveBench.threadCPUMs()
            dashboard.now = snapshot.takenAt
            dashboard.receive(update)
            _ = dashboard.render()
            let t2 = DeriveBench.threadCPUMs()
            if poll > 0 {
                feedMs.append(t1 - t0)
                receiveMs.append(t2 - t1)
            }
            last = update
            estate.advance()
            snapshot = ClusterSnapshot(takenAt: 0, pollDurationMs: 0, cluster: ClusterInfo())
            snapshot = estate.snapshot()
        }
        let line = { (name: String, s: Summary) in
            "  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) median \(KgtopBench.fmt(s.median)) ms, p95 \(KgtopBench.fmt(s.p95)) ms"
        }
        var report = [
            "feed-only: \(o.groups) groups x \(o.partitions) partitions, \(o.polls) polls (first left out), CPU ms",
            line("feed", Summary(feedMs)),
            line("new poll", Summary(receiveMs)),
        ]
        if let last {
            let tui = KgtopBench.tuiCosts(last, frames: 200)
            report += [
                line("frame", tui.frame), line("new data", tui.newData),
                line("filter", tui.filterChange), line("sort", tui.sortChange),
            ]
        }
        let m = DeriveBench.memory()
        report.append("  RSS final \(KgtopBench.fmt(m.rss)) MB, peak \(KgtopBench.fmt(m.peak)) MB")
        withExtendedLifetime((derivation, feed, dashboard)) {}
        print(report.joined(separator: "\n"))
    }
}

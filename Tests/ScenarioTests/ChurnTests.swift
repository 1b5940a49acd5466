import DashboardUI
import Foundation
import GroupModel
import KafkaSim
import Monitor
import Testing

/// A long run in which groups come and go (KafkaSim, manual clock): every per-group table of the
/// pipeline (the derivation's tracker, history, labels and verdicts, the monitor's group-config
/// reads, the admin client's coordinator cache, the dashboard feed's trends and member changes)
/// returns to the size of the groups that exist after each wave. Counts, not memory: the memory of
/// a longer churn is measured by `scripts/soak.sh` (KGTOP_CHURN_GROUPS).
@Suite("Long runs: per-group state stays bounded while groups churn", .serialized)
struct ChurnTests {
    /// Groups that come and go in all (KGTOP_CHURN_GROUPS, default 5,000), 250 per wave.
    static var total: Int { Int(ProcessInfo.processInfo.environment["KGTOP_CHURN_GROUPS"] ?? "") ?? 5_000 }
    static let wave = 250
    static let steady = 3

    /// Resident memory in MiB (from /proc; 0 where there is none).
    static func residentMiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = Int(text.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return pages * Int(getpagesize()) / (1024 * 1024)
    }

    @Test("Groups churn in waves of 250: every per-group table returns to the steady groups after each wave")
    func churn() async throws {
        let h = try await SimHarness.start(configure: { $0.consumerHeartbeatIntervalMs = 2_000 })
        _ = try await h.cluster.createTopic("orders", partitions: 6)
        for i in 0..<Self.steady {
            _ = try await h.cluster.addMember(group: "steady-\(i)", protocol: .consumer, topics: ["orders"], options: memberOptions("steady-\(i)"))
        }
        var feed = DashboardFeed(pollIntervalMs: 1_000)
        // One poll through the monitor and the dashboard feed, as the dashboard runs them (nothing
        // is kept of the update, so the memory measured is the pipeline's).
        func poll() async {
            await h.advance(1_000)
            let u = await h.monitor.pollOnce()
            guard let snapshot = u.snapshot else { return }
            _ = feed.ingest(
                snapshot: snapshot, events: u.events, episodeEvents: u.episodeEvents, openEpisodes: u.openEpisodes,
                finishedEpisodes: u.finishedEpisodes, verdicts: u.verdicts, newErrors: u.newErrors,
                timeLags: u.timeLags, failure: u.failure, at: u.at)
        }
        func counts() async -> [String: Int] {
            let monitor: Monitor = h.monitor
            var all: [String: Int] = await monitor.retainedCounts
            for (name, n) in feed.retainedCounts { all["feed." + name] = n }
            all["coordinators"] = await h.admin.cachedCoordinatorCount
            return all
        }
        for _ in 0..<10 { await poll() }
        let start = Self.residentMiB()
        var peak: [String: Int] = [:]
        var afterFirstWave = 0
        var churned = 0
        var waveNumber = 0
        while churned < Self.total {
            let ids = (0..<min(Self.wave, Self.total - churned)).map { "churn-\(waveNumber)-\($0)" }
            var handles: [String] = []
            for id in ids {
                handles.append(try await h.cluster.addMember(group: id, protocol: .consumer, topics: ["orders"], options: memberOptions(id)))
            }
            await poll()
            // A second member joins each group: an episode per group (tracker, last rebalance,
            // joins), which settles before the group goes.
            for id in ids {
                handles.append(try await h.cluster.addMember(group: id, protocol: .consumer, topics: ["orders"], options: memberOptions(id)))
            }
            for _ in 0..<2 { await poll() }
            for (name, n) in await counts() { peak[name] = max(peak[name] ?? 0, n) }
            for _ in 0..<5 { await poll() }
            for (name, n) in await counts() { peak[name] = max(peak[name] ?? 0, n) }
            for handle in handles { try await h.cluster.stopMember(handle) }
            await h.advance(1_000)
            for id in ids { #expect(await h.cluster.deleteGroup(id), "\(id)") }
            for _ in 0..<2 { await poll() }
            // Back to the steady groups: no table keeps a group that is gone.
            let after = await counts()
            for (name, n) in after {
                #expect(n <= Self.steady, "wave \(waveNumber): \(name) keeps \(n) entries after the wave's groups left: \(after)")
            }
            churned += ids.count
            waveNumber += 1
            if waveNumber == 1 { afterFirstWave = Self.residentMiB() }
        }
        // The waves did fill the tables (the test saw the state it bounds).
        for name in ["tracker", "history.groups", "labels", "verdicts", "coordinators", "feed.trends", "feed.joined", "feed.lastRebalance"] {
            #expect((peak[name] ?? 0) >= Self.wave, "\(name) peaked at \(peak[name] ?? 0)")
        }
        let end = Self.residentMiB()
        print("churn: \(churned) groups in \(waveNumber) waves of \(Self.wave); peak table sizes \(peak.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); resident memory: start \(start) MiB, after the first wave \(afterFirstWave) MiB, end \(end) MiB")
        await h.shutdown()
    }
}

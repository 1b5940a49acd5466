import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing

@testable import DashboardUI
@testable import KgtopCLI

/// Time lag against the truth the simulator knows, on a manual clock: the groups view, `snapshot`
/// JSON, `events` and `check --max-time-lag` on a consumer that falls behind for five minutes.
@Suite("Time lag scenarios", .serialized)
struct TimeLagScenarioTests {
    /// Per simulated tick: each partition's log end and the group's committed offsets. The time lag
    /// of a committed offset `c` at `t` is `t` minus the first tick at which the log end passed `c`
    /// (exact to one 100 ms tick).
    final class Truth: @unchecked Sendable {
        // Guarded by `lock`.
        private let lock = NSLock()
        private var ticks: [(at: Int64, logEnd: [Int64], committed: [Int64?])] = []

        func add(at: Int64, logEnd: [Int64], committed: [Int64?]) { lock.withLock { ticks.append((at, logEnd, committed)) } }

        /// The true time lag (s) of partition `p` committed at `offset`, at `at`.
        func seconds(partition p: Int, committed offset: Int64, at: Int64) -> Double? {
            lock.withLock {
                guard let now = ticks.last(where: { $0.at <= at }), offset < now.logEnd[p] else { return 0 }
                guard let passed = ticks.first(where: { $0.logEnd[p] > offset }) else { return nil }
                return Double(at - passed.at) / 1000
            }
        }

        /// The group's true time lag at `at` (the largest of its partitions'), from the committed
        /// offsets the simulator held then.
        func groupSeconds(at: Int64) -> Double? {
            let committed: [Int64?]? = lock.withLock { ticks.last(where: { $0.at <= at })?.committed }
            guard let committed else { return nil }
            var worst = 0.0
            for (p, c) in committed.enumerated() {
                guard let c, let s = seconds(partition: p, committed: c, at: at) else { return nil }
                worst = max(worst, s)
            }
            return worst
        }
    }

    static let partitions = 4

    /// "etl": one classic member consuming 100 records/s of the 200/s produced to `clicks`.
    static func fallingBehind() async throws -> (SimHarness, Truth, CommandClock) {
        let h = try await SimHarness.start(historyCapacity: 10)
        _ = try await h.cluster.createTopic("clicks", partitions: partitions)
        try await h.cluster.produce(topic: "clicks", recordsPerSec: 200)
        var slow = memberOptions("etl-1", rate: 100)
        slow.classicAssignor = .range
        try await h.cluster.addMember(group: "etl", protocol: .classic, topics: ["clicks"], options: slow)
        let truth = Truth()
        let cluster = h.cluster
        let clock = h.clock
        @Sendable func record() async {
            var ends: [Int64] = []
            var commits: [Int64?] = []
            for p in 0..<partitions {
                ends.append(await cluster.offsets(topic: "clicks", partition: Int32(p))?.highWatermark ?? 0)
                commits.append(await cluster.committedOffset(group: "etl", topic: "clicks", partition: Int32(p)))
            }
            truth.add(at: clock.nowMs(), logEnd: ends, committed: commits)
        }
        await record()
        let truthClock = CommandClock(now: { clock.nowMs() }, sleep: { ms in
            var left = ms
            while left > 0 {
                await cluster.advance(by: min(left, 100))
                left -= min(left, 100)
                await record()
            }
        })
        return (h, truth, truthClock)
    }

    /// Within 10 % of the truth (and 0.2 s, one simulated tick on each side plus the record's spread
    /// inside its tick).
    static func close(_ measured: Double, _ truth: Double) -> Bool {
        abs(measured - truth) <= max(0.1 * truth, 0.2)
    }

    @Test("A consumer falling behind for 5 minutes: groups view, snapshot JSON, events and check agree with the truth; WARN; shown by o")
    func fallsBehindForFiveMinutes() async throws {
        let (h, truth, clock) = try await Self.fallingBehind()
        // `kgtop events` for five minutes, polling every 2 s.
        let events = CollectedOutput()
        let code = await EventsRunner.run(
            monitor: h.monitor, options: .init(intervalMs: 2_000, maxPolls: 150), filter: nil, clock: clock, output: events.output)
        #expect(code == 0)
        await clock.sleep(2_000)
        let update = await h.poll()
        let now = h.now
        let snapshot = try #require(update.snapshot)
        let group = try #require(snapshot.groups.first { $0.groupID == "etl" })
        let trueLag = try #require(truth.groupSeconds(at: now))
        #expect(trueLag > 120, "after 5 minutes at half speed the consumer is minutes behind: \(trueLag) s")
        #expect(group.summary.totalLag > 20_000)

        // The verdict: WARN, with the rate.
        let verdict = try #require(update.verdicts["etl"])
        #expect(verdict.status == .warn, "\(verdict.reason)")
        #expect(verdict.lagTrend.trend == .growing)
        #expect(abs((verdict.lagTrend.offsetsPerSecond ?? 0) - 100) < 20, "\(verdict.lagTrend)")

        // Per partition and per group, the monitor's time lags are measured and close to the truth.
        let lags = try #require(update.timeLags["etl"])
        for row in group.partitions {
            let lag = try #require(lags[row.topicPartition])
            let expected = try #require(truth.seconds(partition: Int(row.topicPartition.partition), committed: row.committedOffset ?? 0, at: now))
            #expect(lag.method == .recordTimestamp, "\(row.topicPartition): \(lag)")
            #expect(Self.close(lag.seconds ?? -1, expected), "\(row.topicPartition): \(lag) vs truth \(expected) s")
        }

        // The groups view: TIME LAG close to the truth (not a bound), VERDICT WARN, an up arrow with
        // the rate; `o` keeps the group.
        var feed = DashboardFeed()
        let dashboardUpdate = feed.ingest(
            snapshot: snapshot, events: update.events, episodeEvents: update.episodeEvents, openEpisodes: update.openEpisodes,
            finishedEpisodes: update.finishedEpisodes, verdicts: update.verdicts, newErrors: update.newErrors,
            timeLags: update.timeLags, at: now)
        let insight = try #require(dashboardUpdate.insights["etl"])
        let shownMs = try #require(insight.maxTimeLagMs)
        #expect(!insight.maxTimeLagIsBound)
        #expect(Self.close(Double(shownMs) / 1000, trueLag), "shown \(shownMs) ms vs truth \(trueLag) s")
        let dashboard = Dashboard(size: TerminalSize(width: 200, height: 40))
        dashboard.now = now
        _ = dashboard.receive(dashboardUpdate)
        let row = try #require(dashboard.render().text.first { $0.contains(" etl ") })
        #expect(row.contains(Format.timeLag(ms: shownMs, bound: false)) && row.contains("WARN") && row.contains("↑"), "\(row)")
        _ = dashboard.handle(.key(.character("o")))
        let problems = dashboard.render().text
        #expect(problems.contains { $0.contains("problems only") })
        #expect(problems.contains { $0.contains(" etl ") && $0.contains("WARN") }, "\(problems.joined(separator: "\n"))")

        // `events`: every verdict change of the group carries its time lag, measured or a bound
        // that says so, and the last one is the change to WARN.
        let changes = events.stdout.filter { $0.contains(#""type":"verdict_changed""#) && $0.contains(#""groupID":"etl""#) }
        #expect(!changes.isEmpty)
        #expect(changes.last?.contains(#""new":"WARN""#) == true, "\(changes)")
        for line in changes {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let at = try #require(object["timestamp"] as? Int64 ?? (object["timestamp"] as? Int).map(Int64.init))
            let lag = try #require(object["timeLag"] as? [String: Any], "\(line)")
            let seconds = try #require(lag["seconds"] as? Double ?? (lag["seconds"] as? Int).map(Double.init), "\(line)")
            let expected = try #require(truth.groupSeconds(at: at))
            if lag["bound"] as? Bool == true {
                #expect(seconds <= expected + 0.2, "a bound above the truth: \(line) vs \(expected) s")
            } else {
                #expect(Self.close(seconds, expected), "\(line) vs truth \(expected) s")
            }
        }

        // `check --max-time-lag`: CRITICAL below the truth, OK above it, at the same moment.
        for (limit, expectedCode) in [(trueLag * 0.9, Int32(2)), (trueLag * 1.1, Int32(0))] {
            let out = CollectedOutput()
            let result = await CheckRunner.run(
                monitor: h.monitor, options: .init(rules: [CheckRule(group: "^etl$", maxTimeLagMs: Int64(limit * 1000))], json: true),
                clock: clock, output: out.output)
            #expect(result.code == expectedCode, "max-time-lag \(limit) s, truth \(trueLag) s: \(out.stderr)")
            if expectedCode == 2 {
                #expect(out.stderr.contains { $0.contains("record_timestamp") }, "the finding names the measured time lag: \(out.stderr)")
            }
        }

        // `snapshot` JSON: one poll, the time lags measured from the records at the committed offsets.
        let polled = try await h.monitor.poller.poll().snapshot
        let records = await RecordTimeProbe.records(for: polled, admin: h.admin)
        let json = try SnapshotJSON.encode(polled, timeLags: { TimeLagEstimator.singlePollTimeLags(of: $0, at: polled.takenAt, records: records) })
        let decoded = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let groups = try #require(decoded["groups"] as? [[String: Any]])
        let etl = try #require(groups.first { $0["groupID"] as? String == "etl" })
        let groupLag = try #require(etl["timeLag"] as? [String: Any])
        #expect(groupLag["method"] as? String == "record_timestamp")
        #expect(groupLag["bound"] as? Bool == false)
        let snapshotTruth = try #require(truth.groupSeconds(at: polled.takenAt))
        #expect(Self.close(groupLag["seconds"] as? Double ?? -1, snapshotTruth), "\(groupLag) vs \(snapshotTruth) s")
        print("[time lag after 5 min] truth \(trueLag) s; groups view \(Double(shownMs) / 1000) s; check limits \(trueLag * 0.9)/\(trueLag * 1.1) s;"
            + " snapshot \(groupLag["seconds"] ?? "?") s (truth \(snapshotTruth) s); verdict_changed events \(changes.count); rate \(verdict.lagTrend.offsetsPerSecond ?? 0) offsets/s")
        let rows = try #require(etl["partitions"] as? [[String: Any]])
        #expect(rows.count == Self.partitions)
        #expect(rows.allSatisfy { ($0["timeLag"] as? [String: Any])?["method"] as? String == "record_timestamp" })
        await h.shutdown()
    }

    @Test("A group with no consumer: its time lag is the age of the record at its commit, not kgtop's uptime")
    func noConsumer() async throws {
        let h = try await SimHarness.start(historyCapacity: 10)
        _ = try await h.cluster.createTopic("audit", partitions: 1)
        // 1,000 records written evenly over the last hour; the group committed at offset 100.
        let start = h.now
        _ = try await h.cluster.append(topic: "audit", partition: 0, count: 1_000, spreadMs: 3_600_000)
        await h.cluster.commitOffset(group: "replay", topic: "audit", partition: 0, offset: 100)
        await h.run(for: 20_000, pollEveryMs: 2_000)
        let update = try #require(h.latest)
        let lag = try #require(update.timeLags["replay"]?[TopicPartition(topic: "audit", partition: 0)])
        // Record 100 was written 100/999 of the hour after its start.
        let written = Double(start - 3_600_000) + 100.0 * 3_600_000 / 999
        let expected = (Double(h.now) - written) / 1000
        #expect(lag.method == .recordTimestamp, "\(lag)")
        #expect(abs((lag.seconds ?? 0) - expected) < 2, "\(lag) vs \(expected) s")
        // Without the measurement (budget 0) it is an honest lower bound, not an exact figure.
        await h.monitor.setRecordTimeBudget(0)
        await h.cluster.commitOffset(group: "replay", topic: "audit", partition: 0, offset: 101)
        await h.run(for: 4_000, pollEveryMs: 2_000)
        let bound = try #require(h.latest?.timeLags["replay"]?[TopicPartition(topic: "audit", partition: 0)])
        #expect(bound.isLowerBound, "\(bound)")
        #expect((bound.seconds ?? .infinity) <= 24, "\(bound)")
        await h.shutdown()
    }
}

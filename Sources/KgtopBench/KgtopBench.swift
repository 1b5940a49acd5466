import DashboardUI
import Foundation
import GroupModel
import KafkaAdmin
import MallocTuning
import Monitor

/// `KgtopBench`: measures kgtop against a running cluster (normally `kgtop sim` started by
/// scripts/bench.sh) and writes the numbers as JSON. It prints numbers; it asserts nothing.
///
/// ```
/// KgtopBench --bootstrap 127.0.0.1:9092 --label standard --out results.json \
///     [--polls 15] [--steady-seconds 60] [--interval 2] [--kgtop path/to/kgtop --snapshot-runs 5] \
///     [--sim-pid PID]
/// KgtopBench --derive-only [--groups 10000] [--partitions 10] [--polls 15]   (no cluster: see DeriveBench)
/// KgtopBench --feed-only [--groups 10000] [--partitions 10] [--polls 15]     (no cluster: see FeedBench)
/// ```
@main
struct KgtopBench {
    static func main() async {
        ProcessMemory.tuneMalloc()  // as kgtop does
        if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
            print(BenchOptions.usage)
            return
        }
        if CommandLine.arguments.contains("--feed-only") {
            FeedBench.run(CommandLine.arguments.dropFirst())
            return
        }
        if CommandLine.arguments.contains("--derive-only") {
            DeriveBench.run(CommandLine.arguments.dropFirst())
            return
        }
        let options: BenchOptions
        do { options = try BenchOptions(CommandLine.arguments.dropFirst()) } catch {
            FileHandle.standardError.write(Data("KgtopBench: \(error)\n\(BenchOptions.usage)\n".utf8))
            exit(64)
        }
        do {
            let result = try await run(options)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: options.out))
            log("wrote \(options.out)")
        } catch {
            FileHandle.standardError.write(Data("KgtopBench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func log(_ s: String) { FileHandle.standardError.write(Data("  [bench \(s)]\n".utf8)) }

    static func run(_ o: BenchOptions) async throws -> BenchResult {
        guard let addresses = Optional(o.bootstrap.split(separator: ",").compactMap { BrokerAddress(parsing: String($0)) }),
              !addresses.isEmpty
        else { throw BenchError("bad --bootstrap \(o.bootstrap)") }
        var result = BenchResult(label: o.label)
        result.snapshotCommand = try snapshotRuns(o)
        let admin = KafkaAdminClient(config: AdminConfig(bootstrapServers: addresses))
        defer { Task { await admin.close() } }
        let poller = Poller(admin: admin, now: wallClockMs)

        // MARK: Cold poll (connections, ApiVersions, coordinator lookup), then warm polls.
        // Only its counts are kept: holding its snapshot would add one to the steady loop's memory,
        // which `kgtop watch` does not have.
        try await coldPoll(poller, into: &result, label: o.label)

        // The simulator's own cost (Linux, when its pid is given): its background loop alone over
        // a quiet window, then its CPU per poll answered (less the background loop's share).
        let simBackground = o.simPID.flatMap { simBackgroundShare($0) }
        result.simulatorBackgroundCoreShare = simBackground
        var simPollCPUs: [Double] = []

        var walls: [Double] = []
        var cpus: [Double] = []
        var perAPI: [String: RequestStats.Counters] = [:]
        var maxRequests = 0
        for _ in 0..<o.polls {
            let simBefore = o.simPID.flatMap { processCPUSeconds($0) }
            let m = try await measure { try await poller.poll() }
            if let simBefore, let simAfter = o.simPID.flatMap({ processCPUSeconds($0) }) {
                simPollCPUs.append(max(0, simAfter - simBefore - (simBackground ?? 0) * m.wallMs / 1000))
            }
            walls.append(m.wallMs)
            cpus.append(m.cpuSeconds)
            maxRequests = max(maxRequests, m.value.stats.requests)
            for (api, c) in m.value.stats.byAPI {
                var sum = perAPI[api] ?? RequestStats.Counters()
                sum.requests += c.requests
                sum.failures += c.failures
                sum.bytesSent += c.bytesSent
                sum.bytesReceived += c.bytesReceived
                perAPI[api] = sum
            }
        }
        result.poll = Summary(walls)
        result.pollCPUSeconds = Summary(cpus)
        result.maxRequestsPerPoll = maxRequests
        if !simPollCPUs.isEmpty { result.simulatorPollCPUSeconds = Summary(simPollCPUs) }
        let n = Double(max(1, o.polls))
        result.perAPI = perAPI.mapValues { c in
            APIPerPoll(
                requests: Double(c.requests) / n, failures: Double(c.failures) / n,
                bytesSent: Double(c.bytesSent) / n, bytesReceived: Double(c.bytesReceived) / n)
        }
        log("\(o.label): poll median \(fmt(result.poll.median)) ms, p95 \(fmt(result.poll.p95)) ms, cpu \(String(format: "%.3f", result.pollCPUSeconds.median)) s")
        if let sim = result.simulatorPollCPUSeconds {
            log("\(o.label): simulator cpu per poll \(String(format: "%.3f", sim.median)) s, background \(fmt(100 * (simBackground ?? 0)))% of a core")
        }

        // MARK: Steady state: the `kgtop watch` pipeline (poll, derive, feed, one frame) every interval.
        let monitor = Monitor(poller: poller, interval: .seconds(o.interval), now: wallClockMs)
        var feed = DashboardFeed(pollIntervalMs: Int64(o.interval * 1000))
        let dashboard = Dashboard(size: TerminalSize(width: 200, height: 60))
        var lastUpdate: DashboardUpdate?
        var deriveMs: [Double] = []
        var feedMs: [Double] = []
        var cycleMs: [Double] = []
        let steadyStart = ContinuousClock.now
        let cpuStart = cpuSeconds()
        var cycles = 0
        // Requests of a whole monitor cycle: the poll plus the record-timestamp Fetch it may add.
        var maxCycleRequests = 0
        // The first cycle warms the monitor's history; it is measured like the others.
        while ContinuousClock.now - steadyStart < .seconds(o.steadySeconds) || cycles == 0 {
            let tick = ContinuousClock.now
            let u = await monitor.pollOnce()
            maxCycleRequests = max(maxCycleRequests, u.stats?.requests ?? 0)
            let afterPoll = ContinuousClock.now
            if let snap = u.snapshot { deriveMs.append(max(0, ms(afterPoll - tick) - Double(snap.pollDurationMs))) }
            let update = feed.ingest(
                snapshot: u.snapshot ?? ClusterSnapshot(takenAt: u.at, pollDurationMs: 0, cluster: ClusterInfo()),
                events: u.events, episodeEvents: u.episodeEvents, openEpisodes: u.openEpisodes,
                finishedEpisodes: u.finishedEpisodes, verdicts: u.verdicts, newErrors: u.newErrors,
                timeLags: u.timeLags, failure: u.failure, at: u.at)
            let afterFeed = ContinuousClock.now
            feedMs.append(ms(afterFeed - afterPoll))
            dashboard.now = u.at
            dashboard.receive(update)
            _ = dashboard.render()
            lastUpdate = update
            cycles += 1
            cycleMs.append(ms(ContinuousClock.now - tick))
            let next = tick + .seconds(o.interval)
            if next > ContinuousClock.now { try? await Task.sleep(until: next, clock: .continuous) }
        }
        let steadyWall = ms(ContinuousClock.now - steadyStart) / 1000
        result.steady = Steady(
            seconds: steadyWall, intervalSeconds: o.interval, cycles: cycles, cpuSeconds: cpuSeconds() - cpuStart,
            cycle: Summary(cycleMs), derive: Summary(deriveMs), feed: Summary(feedMs), maxRequestsPerCycle: maxCycleRequests)
        log("\(o.label): steady \(cycles) cycles in \(fmt(steadyWall)) s, cpu \(fmt(result.steady.cpuSeconds)) s, derive \(fmt(result.steady.derive.median)) ms, feed \(fmt(result.steady.feed.median)) ms")

        // MARK: TUI costs on the last update.
        if let update = lastUpdate {
            result.tui = tuiCosts(update, frames: o.frames)
            log("\(o.label): frame \(fmt(result.tui.frame.median)) ms, new data \(fmt(result.tui.newData.median)) ms, filter \(fmt(result.tui.filterChange.median)) ms")
        }

        result.peakRSSMB = peakRSSMB()

        // MARK: Snapshot JSON alone: the last snapshot through the writer `kgtop snapshot` uses,
        // into a sink that only counts (after the peak RSS is read: this is not part of `watch`).
        if let snapshot = lastUpdate?.snapshot {
            var times: [Double] = []
            var bytes = 0
            for _ in 0..<3 {
                bytes = 0
                let t0 = ContinuousClock.now
                try SnapshotJSON.write(snapshot) { bytes += $0.count }
                times.append(ms(ContinuousClock.now - t0))
            }
            let median = Summary(times).median
            result.snapshotJSON = JSONWrite(
                bytes: bytes, ms: Summary(times), megabytesPerSecond: Double(bytes) / 1e6 / max(1e-9, median / 1000))
            log("\(o.label): snapshot JSON \(bytes) bytes in \(fmt(median)) ms")
        }

        return result
    }

    /// The first poll of a run: its wall time and the estate's size.
    static func coldPoll(_ poller: Poller, into result: inout BenchResult, label: String) async throws {
        let cold = try await measure { try await poller.poll() }
        result.coldPollMs = cold.wallMs
        result.groups = cold.value.snapshot.groups.count
        result.groupPartitions = cold.value.snapshot.groupPartitionCount
        result.members = cold.value.snapshot.groups.reduce(0) { $0 + $1.members.count }
        result.brokers = cold.value.snapshot.cluster.brokers.count
        result.pollErrors = cold.value.snapshot.errors.count
        log("\(label): cold poll \(fmt(cold.wallMs)) ms, \(result.groups) groups, \(result.groupPartitions) group-partitions, \(result.members) members")
    }

    /// `kgtop snapshot` end to end, as a child process, before this process has grown: Linux folds
    /// the spawning process's peak RSS into a spawned child's (posix_spawn shares the parent's
    /// memory until exec), so measured later the child's figure would be this process's.
    static func snapshotRuns(_ o: BenchOptions) throws -> SnapshotRuns? {
        guard let kgtop = o.kgtop, o.snapshotRuns > 0 else { return nil }
        var runs: [Double] = []
        var before = rusage()
        getrusage(who(RUSAGE_CHILDREN), &before)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kgtop-bench-\(getpid()).json").path
        for _ in 0..<o.snapshotRuns {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: kgtop)
            p.arguments = ["snapshot", "-b", o.bootstrap, "--format", "json", "--output", out]
            let t0 = ContinuousClock.now
            try p.run()
            p.waitUntilExit()
            let took = ms(ContinuousClock.now - t0)
            guard p.terminationStatus == 0 else { throw BenchError("kgtop snapshot exited with \(p.terminationStatus)") }
            runs.append(took)
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        try? FileManager.default.removeItem(atPath: out)
        var children = rusage()
        getrusage(who(RUSAGE_CHILDREN), &children)
        let cpu = (seconds(children.ru_utime) + seconds(children.ru_stime) - seconds(before.ru_utime) - seconds(before.ru_stime))
            / Double(o.snapshotRuns)
        let result = SnapshotRuns(
            runs: Summary(runs), peakRSSMB: Double(children.ru_maxrss) / 1024, jsonBytes: bytes, cpuSecondsPerRun: cpu)
        log("\(o.label): kgtop snapshot median \(fmt(result.runs.median)) ms, cpu \(String(format: "%.2f", cpu)) s, peak RSS \(fmt(result.peakRSSMB)) MB, \(bytes) bytes of JSON")
        return result
    }

    // MARK: - TUI

    static func tuiCosts(_ update: DashboardUpdate, frames: Int) -> TUI {
        let dashboard = Dashboard(size: TerminalSize(width: 200, height: 60))
        dashboard.now = update.snapshot.takenAt
        dashboard.receive(update)
        var guardCount = 0
        while dashboard.state.sortColumn != .lag && guardCount < 32 {
            _ = dashboard.perform(.sortNext)
            guardCount += 1
        }
        if !dashboard.state.sortDescending { _ = dashboard.perform(.sortReverse) }
        _ = dashboard.render()

        // New data: receive (the caches are keyed by data version) plus the first frame.
        var newData: [Double] = []
        for _ in 0..<max(5, frames / 10) {
            let t0 = ContinuousClock.now
            dashboard.receive(update)
            _ = dashboard.render()
            newData.append(ms(ContinuousClock.now - t0))
        }
        // A frame on unchanged data (a key press, a clock tick).
        var frame: [Double] = []
        for _ in 0..<frames {
            let t0 = ContinuousClock.now
            _ = dashboard.render()
            frame.append(ms(ContinuousClock.now - t0))
        }
        // A filter change: type `/`, a pattern, Enter, then the frame. Patterns alternate so the
        // order cache cannot answer.
        var filter: [Double] = []
        for i in 0..<max(5, frames / 10) {
            let pattern = "group-\(i % 10)"
            let t0 = ContinuousClock.now
            _ = dashboard.handle(.key(.character("/")))
            for c in pattern { _ = dashboard.handle(.key(.character(c))) }
            _ = dashboard.handle(.key(.enter))
            _ = dashboard.render()
            filter.append(ms(ContinuousClock.now - t0))
        }
        // A sort change on the whole list (no filter).
        _ = dashboard.handle(.key(.character("/")))
        for _ in 0..<16 { _ = dashboard.handle(.key(.backspace)) }
        _ = dashboard.handle(.key(.enter))
        var sort: [Double] = []
        for _ in 0..<max(5, frames / 10) {
            let t0 = ContinuousClock.now
            _ = dashboard.perform(.sortReverse)
            _ = dashboard.render()
            sort.append(ms(ContinuousClock.now - t0))
        }
        return TUI(width: 200, height: 60, frame: Summary(frame), newData: Summary(newData), filterChange: Summary(filter), sortChange: Summary(sort))
    }

    // MARK: - Measuring

    struct Measured<T> {
        var value: T
        var wallMs: Double
        var cpuSeconds: Double
    }

    static func measure<T>(_ body: () async throws -> T) async throws -> Measured<T> {
        let c0 = cpuSeconds()
        let t0 = ContinuousClock.now
        let v = try await body()
        let wall = ms(ContinuousClock.now - t0)
        return Measured(value: v, wallMs: wall, cpuSeconds: cpuSeconds() - c0)
    }

    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(who(RUSAGE_SELF), &u)
        return seconds(u.ru_utime) + seconds(u.ru_stime)
    }

    static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }

    /// Another process's CPU seconds (user + system) from `/proc/PID/stat`; nil where there is none.
    static func processCPUSeconds(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is the first, utime and stime the 12th and 13th.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / ticks
    }

    /// The share of a core the simulator uses while nobody asks it anything (its producers and
    /// simulated members), over a 5 s window.
    static func simBackgroundShare(_ pid: Int32) -> Double? {
        guard let c0 = processCPUSeconds(pid) else { return nil }
        let t0 = ContinuousClock.now
        Thread.sleep(forTimeInterval: 5)
        guard let c1 = processCPUSeconds(pid) else { return nil }
        return (c1 - c0) / (ms(ContinuousClock.now - t0) / 1000)
    }

    #if os(Linux)
    static func who(_ w: __rusage_who) -> __rusage_who_t { __rusage_who_t(w.rawValue) }
    #else
    static func who(_ w: Int32) -> Int32 { w }
    #endif

    static func peakRSSMB() -> Double {
        var u = rusage()
        getrusage(who(RUSAGE_SELF), &u)
        return Double(u.ru_maxrss) / 1024  // kilobytes on Linux
    }

    static func ms(_ d: Duration) -> Double {
        let (s, a) = d.components
        return Double(s) * 1000 + Double(a) / 1e15
    }

    static func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
}

@Sendable func wallClockMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

// MARK: - Options

struct BenchOptions {
    var bootstrap = ""
    var label = "run"
    var out = "bench.json"
    var polls = 15
    var steadySeconds = 60
    var interval = 2
    var frames = 200
    var kgtop: String?
    var snapshotRuns = 5
    var simPID: Int32?

    static let usage = """
        usage: KgtopBench --bootstrap HOST:PORT[,...] [--label NAME] [--out FILE] [--polls N]
                          [--steady-seconds S] [--interval S] [--frames N] [--kgtop PATH] [--snapshot-runs N]
                          [--sim-pid PID]
               KgtopBench --derive-only [--groups N] [--partitions N] [--polls N]   (no cluster)
               KgtopBench --feed-only [--groups N] [--partitions N] [--polls N]     (no cluster)
        """

    init(_ args: ArraySlice<String>) throws {
        var it = args.makeIterator()
        while let a = it.next() {
            guard let v = it.next() else { throw BenchError("\(a) needs a value") }
            func int() throws -> Int {
                guard let n = Int(v), n >= 0 else { throw BenchError("\(a) \(v): not a count") }
                return n
            }
            switch a {
            case "--bootstrap": bootstrap = v
            case "--label": label = v
            case "--out": out = v
            case "--polls": polls = max(1, try int())
            case "--steady-seconds": steadySeconds = try int()
            case "--interval": interval = max(1, try int())
            case "--frames": frames = max(10, try int())
            case "--kgtop": kgtop = v
            case "--snapshot-runs": snapshotRuns = try int()
            case "--sim-pid": simPID = Int32(clamping: try int())
            default: throw BenchError("unknown option \(a)")
            }
        }
        if bootstrap.isEmpty { throw BenchError("--bootstrap is required") }
    }
}

// MARK: - Results

/// Median, p95, min, max of a sample (milliseconds or seconds, as labelled).
struct Summary: Codable {
    var count = 0
    var median = 0.0
    var p95 = 0.0
    var min = 0.0
    var max = 0.0
    var mean = 0.0

    init() {}

    init(_ xs: [Double]) {
        guard !xs.isEmpty else { return }
        let s = xs.sorted()
        count = s.count
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        // Nearest rank.
        p95 = s[Swift.min(s.count - 1, Int((0.95 * Double(s.count)).rounded(.up)) - 1)]
        min = s[0]
        max = s[s.count - 1]
        mean = s.reduce(0, +) / Double(s.count)
    }
}

struct APIPerPoll: Codable {
    var requests: Double
    var failures: Double
    var bytesSent: Double
    var bytesReceived: Double
}

struct Steady: Codable {
    var seconds = 0.0
    var intervalSeconds = 0
    var cycles = 0
    var cpuSeconds = 0.0
    /// Poll + derive + feed + frame, per cycle (ms).
    var cycle = Summary()
    /// Monitor derivations (diff, episodes, history, health, time lags) per cycle (ms).
    var derive = Summary()
    /// DashboardFeed.ingest per cycle (ms).
    var feed = Summary()
    /// The most requests one monitor cycle sent (the poll, plus the record-timestamp Fetch).
    var maxRequestsPerCycle = 0
}

struct TUI: Codable {
    var width = 0
    var height = 0
    /// render() on unchanged data (ms).
    var frame = Summary()
    /// receive(update) + first render (ms): row models, sort by lag, frame.
    var newData = Summary()
    /// `/pattern` Enter + render (ms).
    var filterChange = Summary()
    /// Reverse the sort + render (ms).
    var sortChange = Summary()
}

struct JSONWrite: Codable {
    /// Bytes of pretty JSON for the whole snapshot.
    var bytes: Int
    /// `SnapshotJSON.write` wall time per run (ms).
    var ms: Summary
    /// Bytes per second at the median, in MB (10^6 bytes).
    var megabytesPerSecond: Double
}

struct SnapshotRuns: Codable {
    /// Process start to JSON written (ms).
    var runs: Summary
    var peakRSSMB: Double
    var jsonBytes: Int
    /// The child's CPU seconds (user + system) per run.
    var cpuSecondsPerRun: Double
}

struct BenchResult: Codable {
    var label: String
    var brokers = 0
    var groups = 0
    var groupPartitions = 0
    var members = 0
    var pollErrors = 0
    var coldPollMs = 0.0
    /// Warm full polls, wall ms.
    var poll = Summary()
    /// CPU seconds per warm poll.
    var pollCPUSeconds = Summary()
    var maxRequestsPerPoll = 0
    /// The simulator's CPU seconds to answer one warm poll, its background loop's share taken out
    /// (with `--sim-pid`).
    var simulatorPollCPUSeconds: Summary?
    /// The share of one core the simulator's background loop uses while idle (with `--sim-pid`).
    var simulatorBackgroundCoreShare: Double?
    var perAPI: [String: APIPerPoll] = [:]
    var steady = Steady()
    var tui = TUI()
    /// Peak RSS of the bench process (poller, monitor, feed and dashboard: what `kgtop watch` holds).
    var peakRSSMB = 0.0
    var snapshotCommand: SnapshotRuns?
    /// The last snapshot of the steady loop written as `kgtop snapshot` writes it, in process.
    var snapshotJSON: JSONWrite?

    init(label: String) { self.label = label }
}

import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor

@testable import KgtopCLI

/// A simulated cluster on a manual clock with a Monitor that reads the same clock.
///
/// Time only moves through ``advance(_:)`` / ``run(for:pollEveryMs:)``: the cluster runs its ticks
/// (heartbeats, timeouts, producers, commits) and the monitor polls over real loopback sockets at
/// chosen simulated instants, so episode durations are exact multiples of the poll interval.
final class SimHarness: Sendable {
    let clock: KafkaSim.ManualClock
    let cluster: SimCluster
    let sim: KafkaSimulator
    let admin: KafkaAdminClient
    let monitor: Monitor
    let recorder = Recorder()

    /// Records every update and, per tick, the simulator's own view of chosen groups ("truth").
    final class Recorder: @unchecked Sendable {
        // Guarded by `lock`.
        private let lock = NSLock()
        private var _updates: [MonitorUpdate] = []
        private var _truth: [String: [(at: Int64, settled: Bool)]] = [:]

        func add(_ u: MonitorUpdate) { lock.withLock { _updates.append(u) } }
        func addTruth(_ group: String, at: Int64, settled: Bool) { lock.withLock { _truth[group, default: []].append((at, settled)) } }
        var updates: [MonitorUpdate] { lock.withLock { _updates } }
        func truth(_ group: String) -> [(at: Int64, settled: Bool)] { lock.withLock { _truth[group] ?? [] } }
    }

    private init(clock: KafkaSim.ManualClock, cluster: SimCluster, sim: KafkaSimulator, admin: KafkaAdminClient, monitor: Monitor) {
        self.clock = clock
        self.cluster = cluster
        self.sim = sim
        self.admin = admin
        self.monitor = monitor
    }

    static func start(brokers: Int = 1, stuckThresholdMs: Int64 = 30_000, historyCapacity: Int = 30,
                      configure: (inout SimConfig) -> Void = { _ in }) async throws -> SimHarness {
        var config = SimConfig(brokerCount: brokers)
        config.classicInitialRebalanceDelayMs = 0
        configure(&config)
        let clock = KafkaSim.ManualClock()
        let cluster = SimCluster(config: config, clock: clock)
        let sim = try await KafkaSimulator.start(cluster: cluster, tickIntervalMs: nil)
        var adminConfig = AdminConfig(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: await sim.port(ofBroker: 1) ?? 0)])
        adminConfig.requestTimeout = .seconds(10)
        let admin = KafkaAdminClient(config: adminConfig)
        let now: @Sendable () -> Int64 = { clock.nowMs() }
        let poller = Poller(admin: admin, earliestEvery: 1, now: now)
        let monitor = Monitor(
            poller: poller, interval: .seconds(1), historyCapacity: historyCapacity,
            healthConfig: HealthConfig(stuckThresholdMs: stuckThresholdMs), stuckThresholdMs: stuckThresholdMs, now: now)
        return SimHarness(clock: clock, cluster: cluster, sim: sim, admin: admin, monitor: monitor)
    }

    func shutdown() async {
        await admin.close()
        await sim.shutdown()
    }

    var now: Int64 { clock.nowMs() }

    /// Simulated time only; no polls.
    func advance(_ ms: Int64) async { await cluster.advance(by: ms) }

    /// One poll now, recorded.
    @discardableResult
    func poll() async -> MonitorUpdate {
        let u = await monitor.pollOnce()
        recorder.add(u)
        return u
    }

    /// Groups whose settled-ness the simulator reports at every tick.
    let watched = Watched()
    final class Watched: @unchecked Sendable {
        private let lock = NSLock()
        private var _groups: [String: Int] = [:]
        func set(_ g: String, partitions: Int) { lock.withLock { _groups[g] = partitions } }
        var groups: [String: Int] { lock.withLock { _groups } }
    }

    /// Runs `ms` of simulated time in 100 ms ticks, polling every `pollEveryMs` (at the end of
    /// each interval) and sampling the truth of watched groups at every tick.
    func run(for ms: Int64, pollEveryMs: Int64 = 1_000) async {
        var elapsed: Int64 = 0
        while elapsed < ms {
            await cluster.advance(by: 100)
            elapsed += 100
            for (g, n) in watched.groups { recorder.addTruth(g, at: now, settled: await settled(g, partitions: n)) }
            if (now % pollEveryMs) == 0 { await poll() }
        }
    }

    /// Runs until the simulator shows `group` settled (or `limitMs` passes), polling as ``run(for:pollEveryMs:)``.
    func runUntilSettled(_ group: String, partitions: Int, limitMs: Int64 = 120_000, pollEveryMs: Int64 = 1_000) async {
        var elapsed: Int64 = 0
        while elapsed < limitMs {
            await run(for: 100, pollEveryMs: pollEveryMs)
            elapsed += 100
            if await settled(group, partitions: partitions) { return }
        }
    }

    /// The simulator's truth: Stable, every partition owned exactly once by a live member, and
    /// (KIP-848) every member at the assignment epoch, which has reached the group epoch.
    func settled(_ group: String, partitions: Int) async -> Bool {
        guard let st = await cluster.groupState(group), st.state == "Stable" else { return false }
        let members = await cluster.memberStatuses().filter { $0.groupID == group }
        let owned = members.flatMap(\.owned)
        guard owned.count == partitions, Set(owned).count == partitions else { return false }
        if st.type == .consumer, let e = await cluster.groupEpochs(group) {
            guard e.assignmentEpoch == e.groupEpoch, members.allSatisfy({ $0.epoch == e.assignmentEpoch }) else { return false }
        }
        return true
    }

    /// Unsettled intervals of the truth for `group`: (start, end) of each run of unsettled ticks.
    func truthEpisodes(_ group: String) -> [(start: Int64, end: Int64)] {
        var out: [(Int64, Int64)] = []
        var start: Int64?
        var previous: Int64?
        for (at, ok) in recorder.truth(group) {
            if !ok, start == nil { start = previous ?? at }
            if ok, let s = start { out.append((s, at)); start = nil }
            previous = at
        }
        return out
    }

    // MARK: - Derived views of what was recorded

    var allEvents: [GroupEvent] { recorder.updates.flatMap(\.events) }
    var allEpisodeEvents: [EpisodeEvent] { recorder.updates.flatMap(\.episodeEvents) }

    func events(_ group: String, _ type: GroupEventType) -> [GroupEvent] {
        allEvents.filter { $0.groupID == group && $0.type == type }
    }

    func finishedEpisodes(_ group: String) -> [RebalanceEpisode] {
        allEpisodeEvents.filter { $0.groupID == group && $0.type == .ended }.map(\.episode)
    }

    var latest: MonitorUpdate? { recorder.updates.last }

    func verdict(_ group: String) -> GroupVerdict? { latest?.verdicts[group] }

    /// Command clock: `now` is the manual clock, `sleep` advances the cluster (no wall time passes).
    var commandClock: CommandClock {
        let cluster = self.cluster
        let clock = self.clock
        return CommandClock(now: { clock.nowMs() }, sleep: { ms in await cluster.advance(by: ms) })
    }

    /// A clock whose sleeps also run `script` at simulated instants (relative to the first call).
    func scriptedClock(_ steps: [(atMs: Int64, action: @Sendable (SimCluster) async throws -> Void)]) -> CommandClock {
        let cluster = self.cluster
        let clock = self.clock
        let origin = clock.nowMs()
        let pending = ScriptQueue(steps.sorted { $0.atMs < $1.atMs })
        return CommandClock(now: { clock.nowMs() }, sleep: { ms in
            var left = ms
            while left > 0 {
                let step = min(left, 100)
                await cluster.advance(by: step)
                left -= step
                for action in pending.due(clock.nowMs() - origin) { try? await action(cluster) }
            }
        })
    }

    final class ScriptQueue: @unchecked Sendable {
        private let lock = NSLock()
        private var steps: [(atMs: Int64, action: @Sendable (SimCluster) async throws -> Void)]
        init(_ steps: [(atMs: Int64, action: @Sendable (SimCluster) async throws -> Void)]) { self.steps = steps }
        func due(_ elapsed: Int64) -> [@Sendable (SimCluster) async throws -> Void] {
            lock.withLock {
                var out: [@Sendable (SimCluster) async throws -> Void] = []
                while let first = steps.first, first.atMs <= elapsed { out.append(first.action); steps.removeFirst() }
                return out
            }
        }
    }
}

/// Member options with a readable client id.
func memberOptions(_ clientID: String, instance: String? = nil, rate: Double? = nil) -> SimMemberOptions {
    var o = SimMemberOptions()
    o.clientID = clientID
    o.instanceID = instance
    o.consumeRatePerSec = rate
    o.commitIntervalMs = 1_000
    return o
}

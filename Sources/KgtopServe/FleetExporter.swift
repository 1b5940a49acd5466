import GroupModel
import Monitor

/// One cluster `kgtop serve` polls: its name (the `cluster_name` label), its monitor, its interval
/// and which groups it exports.
public struct ServedContext: Sendable {
    /// The context's name.
    public var name: String
    /// The monitor that polls it (one per context, so a slow or dead cluster delays only itself).
    public var monitor: Monitor
    /// Time between polls (ms); `/readyz` allows three.
    public var intervalMs: Int64
    /// Whether a group is exported (the context's include / exclude patterns).
    public var accepts: @Sendable (Group) -> Bool

    /// Creates a served context.
    public init(name: String, monitor: Monitor, intervalMs: Int64, accepts: @escaping @Sendable (Group) -> Bool = { _ in true }) {
        self.name = name
        self.monitor = monitor
        self.intervalMs = intervalMs
        self.accepts = accepts
    }
}

/// Cardinality controls for `/metrics`.
public struct ExportLimits: Sendable, Hashable {
    /// Whether per-partition series (`kafka_consumergroup_group_lag`, `_lag_seconds`) are exported.
    public var partitionMetrics: Bool
    /// The most series one scrape returns; what is over is dropped (per-partition series first)
    /// and counted in `kgtop_series_dropped_total`.
    public var maxSeries: Int

    /// Creates limits.
    public init(partitionMetrics: Bool = true, maxSeries: Int = 100_000) {
        self.partitionMetrics = partitionMetrics
        self.maxSeries = maxSeries
    }
}

/// One context's readiness, for `/readyz`.
public struct ContextReadiness: Sendable, Hashable {
    /// The context.
    public var name: String
    /// Polled successfully within three intervals.
    public var ready: Bool
    /// Why, in words.
    public var detail: String
}

/// Keeps each served context's newest update and what accumulates across polls (rebalance
/// counts and durations, poll durations, poll errors), and turns them into metrics. Everything
/// it exports comes from the monitor's derivations (episodes, verdicts, summaries, time lag):
/// nothing is derived again here.
public actor FleetExporter {
    /// Bucket bounds of `kgtop_rebalance_duration_seconds`.
    public static let rebalanceBuckets: [Double] = [1, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600]
    /// Bucket bounds of `kgtop_poll_duration_seconds`.
    public static let pollBuckets: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    struct RebalanceKey: Hashable {
        var group: String
        var trigger: String
    }

    struct State: Sendable {
        var context: ServedContext
        var latest: MonitorUpdate?
        var lastAttemptAt: Int64?
        var lastSuccessAt: Int64?
        var lastFailure: String?
        var pollDuration = Histogram(bounds: FleetExporter.pollBuckets)
        var pollErrors: [String: Int] = [:]
        var rebalances: [RebalanceKey: Int] = [:]
        var rebalanceDurations: [String: Histogram] = [:]
        var emptySince: [String: Int64] = [:]
        var subscribers: [Int: AsyncStream<MonitorUpdate>.Continuation] = [:]
        /// Counts ingests: the lines below are current when ``renderedVersion`` equals it.
        var version = 0
        /// The context's sample lines as of ``renderedVersion``.
        var rendered: ContextLines?
        var renderedVersion = -1
        /// A poll is writing the lines of this version off the actor.
        var renderingVersion: Int?
    }

    /// The served contexts' names, in the order given.
    public nonisolated let names: [String]
    private var states: [String: State]
    private let limits: ExportLimits
    private var droppedSeries = 0
    private var nextSubscriber = 0
    private let now: @Sendable () -> Int64

    /// Creates an exporter for `contexts` (names must be distinct).
    public init(contexts: [ServedContext], limits: ExportLimits = ExportLimits(), now: @escaping @Sendable () -> Int64) {
        self.names = contexts.map(\.name)
        var states: [String: State] = [:]
        for c in contexts { states[c.name] = State(context: c) }
        self.states = states
        self.limits = limits
        self.now = now
    }

    // MARK: - Polling

    /// Polls one context once, records the result and writes the context's sample lines off the
    /// actor, so a scrape meanwhile is answered at once from the previous lines.
    public func poll(_ name: String) async {
        guard let monitor = states[name]?.context.monitor else { return }
        let update = await monitor.pollOnce()
        ingest(name, update)
        guard var s = states[name] else { return }
        let version = s.version
        s.subscribers = [:]
        states[name]?.renderingVersion = version
        let lines = await Self.render(s, partitionMetrics: limits.partitionMetrics)
        guard states[name]?.renderingVersion == version else { return }
        states[name]?.renderingVersion = nil
        if states[name]?.version == version { install(name, lines, version: version) }
    }

    /// Writes a context's lines; not isolated to the actor, so it runs beside it.
    private nonisolated static func render(_ s: State, partitionMetrics: Bool) async -> ContextLines {
        MetricCatalog.render(s, partitionMetrics: partitionMetrics)
    }

    private func install(_ name: String, _ lines: ContextLines, version: Int) {
        states[name]?.rendered = lines
        states[name]?.renderedVersion = version
    }

    /// Polls every context on its own interval until the calling task is cancelled; `sleep`
    /// waits (wall clock in the CLI).
    public func run(sleep: @escaping @Sendable (_ ms: Int64) async -> Void) async {
        let targets = names.compactMap { states[$0].map { ($0.context.name, $0.context.intervalMs) } }
        await withDiscardingTaskGroup { group in
            for (name, interval) in targets {
                group.addTask {
                    while !Task.isCancelled {
                        await self.poll(name)
                        await sleep(interval)
                    }
                }
            }
        }
    }

    /// Records one update of a context: counters from its episode events, poll duration and errors.
    public func ingest(_ name: String, _ update: MonitorUpdate) {
        guard var s = states[name] else { return }
        s.lastAttemptAt = update.at
        if let failure = update.failure {
            s.lastFailure = failure
            s.pollErrors["poll", default: 0] += 1
        } else if let snapshot = update.snapshot {
            s.lastFailure = nil
            s.lastSuccessAt = update.at
            s.pollDuration.observe(Double(snapshot.pollDurationMs) / 1_000)
            for e in snapshot.errors { s.pollErrors[e.operation, default: 0] += 1 }
            // Every exported group's counters start at 0 for every trigger, so that the first
            // rebalance of a kind shows as an increase (Prometheus cannot see a series' first value
            // as one).
            for g in snapshot.groups where s.context.accepts(g) {
                for trigger in RebalanceTrigger.allCases {
                    let key = RebalanceKey(group: g.groupID, trigger: trigger.rawValue)
                    if s.rebalances[key] == nil, s.rebalances.count < limits.maxSeries { s.rebalances[key] = 0 }
                }
            }
            for e in update.episodeEvents where s.context.acceptsID(e.groupID, in: snapshot) {
                switch e.type {
                case .started:
                    let key = RebalanceKey(group: e.groupID, trigger: e.episode.trigger.rawValue)
                    if s.rebalances[key] != nil || s.rebalances.count < limits.maxSeries { s.rebalances[key, default: 0] += 1 }
                case .ended where !e.episode.abandoned:
                    guard let ms = e.episode.durationMs else { continue }
                    if s.rebalanceDurations[e.groupID] == nil, s.rebalanceDurations.count >= limits.maxSeries { continue }
                    s.rebalanceDurations[e.groupID, default: Histogram(bounds: Self.rebalanceBuckets)].observe(Double(ms) / 1_000)
                default:
                    break
                }
            }
            // Since when each group has had no members (as far as this process has seen).
            var empty: [String: Int64] = [:]
            for g in snapshot.groups where g.members.isEmpty && g.state == .empty {
                empty[g.groupID] = s.emptySince[g.groupID] ?? snapshot.takenAt
            }
            s.emptySince = empty
        }
        s.latest = update
        s.version += 1
        for c in s.subscribers.values { c.yield(update) }
        states[name] = s
    }

    // MARK: - Reading

    /// The newest good snapshot of a context, nil when none yet (or no such context).
    public func snapshot(_ name: String) -> ClusterSnapshot? {
        guard let s = states[name] else { return nil }
        return s.latest?.snapshot.map { snapshot in
            var out = snapshot
            out.groups = snapshot.groups.filter(s.context.accepts)
            return out
        }
    }

    /// The newest update of a context (after a failed poll it carries the failure and the last good
    /// snapshot), nil before the first poll.
    public func latestUpdate(_ name: String) -> MonitorUpdate? { states[name]?.latest }

    /// Whether `name` is served.
    public func serves(_ name: String) -> Bool { states[name] != nil }

    /// A stream of a context's updates from now on (nil for an unknown context). Holds at most the
    /// newest 64 updates for a slow reader; the stream ends at ``finishAll()``.
    public func subscribe(_ name: String) -> AsyncStream<MonitorUpdate>? {
        guard states[name] != nil else { return nil }
        let (stream, continuation) = AsyncStream<MonitorUpdate>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id = nextSubscriber
        nextSubscriber += 1
        states[name]?.subscribers[id] = continuation
        continuation.onTermination = { _ in Task { await self.unsubscribe(name, id) } }
        return stream
    }

    /// Open `/events` streams of a context.
    public func subscriberCount(_ name: String) -> Int { states[name]?.subscribers.count ?? 0 }

    private func unsubscribe(_ name: String, _ id: Int) { states[name]?.subscribers[id] = nil }

    /// Ends every subscriber's stream (shutdown).
    public func finishAll() {
        for name in names {
            guard let subscribers = states[name]?.subscribers else { continue }
            for c in subscribers.values { c.finish() }
            states[name]?.subscribers.removeAll()
        }
    }

    /// Every context's readiness: polled successfully within three of its intervals.
    public func readiness() -> [ContextReadiness] {
        let t = now()
        return names.compactMap { name in
            guard let s = states[name] else { return nil }
            let window = 3 * s.context.intervalMs
            let why = s.lastFailure.map { ": \($0)" } ?? ""
            guard let ok = s.lastSuccessAt else {
                return ContextReadiness(
                    name: name, ready: false,
                    detail: s.lastAttemptAt == nil ? "not polled yet" : "no successful poll yet\(why)")
            }
            let age = t - ok
            if age <= window {
                return ContextReadiness(name: name, ready: true, detail: "last successful poll \(Self.seconds(age)) ago")
            }
            return ContextReadiness(
                name: name, ready: false,
                detail: "last successful poll \(Self.seconds(age)) ago, more than 3 intervals (\(Self.seconds(window)))\(why)")
        }
    }

    static func seconds(_ ms: Int64) -> String {
        ms % 1_000 == 0 ? "\(ms / 1_000) s" : "\(Double(ms / 100) / 10) s"
    }

    // MARK: - Metrics

    /// The `/metrics` exposition: each context's lines as written at its last poll, family by
    /// family, cut at the series cap (partition series first, then group series, then the
    /// contexts' own, each in context order), and the cap's own counter.
    public func exposition(format: ExpositionFormat) -> ExpositionBody {
        var contexts: [ContextLines] = []
        for name in names {
            guard let s = states[name] else { continue }
            // Lines a poll is still writing: the previous ones answer (they are at most one poll old).
            if s.renderedVersion != s.version, s.renderingVersion == nil || s.rendered == nil {
                install(name, MetricCatalog.render(s, partitionMetrics: limits.partitionMetrics), version: s.version)
            }
            if let lines = states[name]?.rendered { contexts.append(lines) }
        }
        // Series each (context, family) may show: the budget goes to the tiers in order.
        let families = MetricCatalog.all
        var allowed = Array(repeating: Array(repeating: 0, count: families.count), count: contexts.count)
        var budget = limits.maxSeries
        var dropped = 0
        for tier in [SeriesTier.context, .group, .partition] {
            for (c, lines) in contexts.enumerated() {
                for (f, spec) in families.enumerated() where spec.tier == tier {
                    let n = lines.families[f].count
                    let take = min(n, budget)
                    allowed[c][f] = take
                    budget -= take
                    dropped += n - take
                }
            }
        }
        droppedSeries += dropped
        var writer = ExpositionWriter(format: format)
        for (f, spec) in families.enumerated() {
            if spec.name == MetricCatalog.seriesDropped.name {
                var own = SeriesLines()
                own.series(spec.sampleName, Labels(), Double(droppedSeries))
                writer.family(spec, [own.bytes[...]])
                continue
            }
            writer.family(spec, contexts.indices.map { contexts[$0].families[f].prefix(series: allowed[$0][f]) })
        }
        return writer.finish()
    }

    /// The `/metrics` exposition as text (``exposition(format:)``).
    public func metrics(format: ExpositionFormat) -> String { exposition(format: format).text }

    /// Bytes of sample lines held for the next scrapes, all contexts together.
    public func heldBytes() -> Int { states.values.reduce(0) { $0 + ($1.rendered?.byteCount ?? 0) } }
}

extension ServedContext {
    /// Whether events of `groupID` are counted: by the group in the snapshot, else by its id alone.
    func acceptsID(_ groupID: String, in snapshot: ClusterSnapshot) -> Bool {
        if let g = snapshot.group(groupID) { return accepts(g) }
        return accepts(Group(groupID: groupID, type: .unknown(""), state: .dead))
    }
}


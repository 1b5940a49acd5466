import GroupModel
import KafkaAdmin

/// One published state of the monitor: the newest snapshot and what was derived from it.
public struct MonitorUpdate: Sendable {
    /// 1 for the first poll, then counting up (failed polls count too).
    public var sequence: Int
    /// The newest good snapshot; after a failed poll this is the previous one (see ``isStale``),
    /// nil when no poll has succeeded yet.
    public var snapshot: ClusterSnapshot?
    /// Events since the previous good snapshot (SnapshotDiff).
    public var events: [GroupEvent]
    /// Episode events produced by this poll (RebalanceTracker).
    public var episodeEvents: [EpisodeEvent]
    /// Rebalance episodes under way.
    public var openEpisodes: [RebalanceEpisode]
    /// Finished episodes, oldest first (bounded).
    public var finishedEpisodes: [RebalanceEpisode]
    /// Health verdict per group id (in the snapshot's group order).
    public var verdicts: GroupValues<GroupVerdict>
    /// What this poll cost; nil when it failed.
    public var stats: RequestStats?
    /// Why this poll failed entirely, nil when it succeeded.
    public var failure: String?
    /// Poll errors that were not present in the previous poll (each fault is reported once).
    public var newErrors: [PollError]
    /// When the last good poll was taken (epoch ms).
    public var lastSuccessAt: Int64?
    /// When this update was made (epoch ms).
    public var at: Int64
    /// Per group, per partition time lag: from the poller's own log-end samples, or measured from
    /// the record at the committed offset (empty when time lags are turned off).
    public var timeLags: GroupValues<PartitionTimeLags> = [:]
    /// Updates this subscriber's bounded buffer dropped so far (it read too slowly); a reader that
    /// must see every poll (`record`) reports a rise in this count.
    public var droppedBefore = 0

    /// Whether the data shown is older than this update (the last poll failed).
    public var isStale: Bool { failure != nil }
}

/// The poll loop: polls on an interval (pause, refresh now), diffs consecutive snapshots, tracks
/// rebalance episodes, keeps a bounded history and evaluates health, and publishes
/// ``MonitorUpdate``s to every subscriber of ``updates(bufferingNewest:)``.
public actor Monitor {
    /// The poller.
    public let poller: Poller
    /// Time between polls.
    public private(set) var interval: Duration
    /// Whether polling is paused (refresh-now still polls once).
    public private(set) var isPaused = false
    /// Health thresholds.
    public var healthConfig: HealthConfig

    private var sequence = 0
    private var lastSuccessAt: Int64?
    /// Diff, episodes, history, health, new errors and time lag: the same steps a replay runs.
    private var derivation: PollDerivation
    private var last: ClusterSnapshot? { derivation.last }
    private var subscribers: [Int: Subscriber] = [:]

    /// One reader of ``updates(bufferingNewest:)``: its stream and how many updates it lost.
    private struct Subscriber {
        var continuation: AsyncStream<MonitorUpdate>.Continuation
        var dropped = 0
    }
    private var nextSubscriber = 0
    private var loopTask: Task<Void, Never>?
    private var wake: CheckedContinuation<Void, Never>?
    private var timer: Task<Void, Never>?
    private let now: @Sendable () -> Int64
    /// Whether each update carries per-partition time lags (the dashboard wants them).
    public var computeTimeLags: Bool { derivation.computeTimeLags }

    /// Turns time-lag computation on or off.
    public func setComputeTimeLags(_ on: Bool) { derivation.computeTimeLags = on }

    /// Committed offsets whose record timestamp is read per poll at most (``RecordTimeProbe``; one
    /// Fetch per partition leader, only for lagging partitions older than the history); 0 turns the
    /// measurement off and leaves those time lags as lower bounds.
    public private(set) var recordTimeBudget = RecordTimeProbe.defaultBudget
    /// Groups whose partitions are measured first (the ones on screen).
    public private(set) var focusGroups: Set<String> = []

    /// The most requests one cycle sends to a cluster of `brokers` brokers: on each broker
    /// ListGroups, ConsumerGroupDescribe, DescribeGroups, OffsetFetch and the latest and earliest
    /// ListOffsets, and two more; the record-time Fetches and the group-config DescribeConfigs get
    /// what the poll left of it. Requests that set up connections and routing
    /// (``setUpAPIs``) are not counted.
    public static func requestBudget(brokers: Int) -> Int { 6 * max(1, brokers) + 2 }

    /// The APIs that set up connections and routes rather than observe groups: they come with a
    /// new connection, a metadata refresh or a moved coordinator, not with every poll.
    public static let setUpAPIs: Set<String> = ["ApiVersions", "SaslHandshake", "SaslAuthenticate", "Metadata", "FindCoordinator"]

    /// Changes the per-poll budget of record-timestamp reads.
    public func setRecordTimeBudget(_ budget: Int) { recordTimeBudget = max(0, budget) }

    /// Says which groups are on screen: their partitions are measured first.
    public func setFocusGroups(_ groupIDs: Set<String>) { focusGroups = groupIDs }

    /// Creates a monitor.
    /// - Parameters:
    ///   - historyCapacity: polls of history kept per partition (memory grows with it).
    ///   - now: wall-clock milliseconds since the epoch.
    public init(
        poller: Poller, interval: Duration = .seconds(2), historyCapacity: Int = 10,
        healthConfig: HealthConfig = HealthConfig(), stuckThresholdMs: Int64 = 30_000,
        now: @escaping @Sendable () -> Int64
    ) {
        self.poller = poller
        self.interval = interval
        self.derivation = PollDerivation(historyCapacity: historyCapacity, healthConfig: healthConfig, stuckThresholdMs: stuckThresholdMs)
        self.healthConfig = healthConfig
        self.now = now
    }

    // MARK: - Subscribing

    /// A stream of updates, always bounded: at most `bufferingNewest` updates wait for a slow
    /// reader; when the buffer is full the oldest is dropped and counted in the
    /// ``MonitorUpdate/droppedBefore`` of the updates that follow. A reader that must see every poll
    /// asks for a deeper buffer and reports drops; the dashboard needs only the newest.
    public func updates(bufferingNewest: Int = 1) -> AsyncStream<MonitorUpdate> {
        let (stream, continuation) = AsyncStream<MonitorUpdate>.makeStream(bufferingPolicy: .bufferingNewest(max(1, bufferingNewest)))
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = Subscriber(continuation: continuation)
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: Int) { subscribers[id] = nil }

    // MARK: - Control

    /// Starts the poll loop (the first poll happens at once). Calling it twice does nothing.
    public func start() {
        guard loopTask == nil else { return }
        loopTask = Task { await self.run() }
    }

    /// Stops the loop and finishes every subscriber's stream.
    public func stop() {
        loopTask?.cancel()
        loopTask = nil
        fire()
        for s in subscribers.values { s.continuation.finish() }
        subscribers.removeAll()
    }

    /// Pauses or resumes polling.
    public func setPaused(_ paused: Bool) {
        isPaused = paused
        if !paused { fire() }
    }

    /// Polls now instead of waiting for the interval (also while paused).
    public func refreshNow() {
        forceNext = true
        fire()
    }

    /// Changes the interval; the next wait uses it.
    public func setInterval(_ interval: Duration) { self.interval = interval }

    private var forceNext = false

    private func run() async {
        while !Task.isCancelled {
            if !isPaused || forceNext {
                forceNext = false
                let update = await pollOnce()
                publish(update)
            }
            await waitForNextPoll()
        }
    }

    /// Hands an update to every subscriber, counting what each one's full buffer drops.
    private func publish(_ update: MonitorUpdate) {
        for (id, subscriber) in subscribers {
            var update = update
            update.droppedBefore = subscriber.dropped
            if case .dropped = subscriber.continuation.yield(update) { subscribers[id]?.dropped += 1 }
        }
    }

    private func waitForNextPoll() async {
        // A refresh asked for while the last poll ran starts the next poll as soon as it ended.
        if Task.isCancelled || forceNext { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            wake = c
            let delay = interval
            timer = Task { [weak self] in
                try? await Task.sleep(for: delay)
                if !Task.isCancelled { await self?.fire() }
            }
        }
    }

    private func fire() {
        timer?.cancel()
        timer = nil
        let w = wake
        wake = nil
        w?.resume()
    }

    // MARK: - One poll

    /// Polls once and derives events, episodes and verdicts. Never throws: a poll that observed
    /// nothing is reported in ``MonitorUpdate/failure`` with the last good snapshot kept.
    public func pollOnce() async -> MonitorUpdate {
        sequence += 1
        let at = now()
        do {
            let outcome = try await poller.poll()
            var stats = outcome.stats
            let snapshot = outcome.snapshot
            // The snapshot's only copy goes to the derivation, which writes the labels in place.
            _ = consume outcome
            // What the poll left of the cycle's request budget goes to the record-time Fetches, then
            // to the group configs; what does not fit waits for the next cycle.
            let budget = Self.requestBudget(brokers: snapshot.cluster.brokers.count)
            func room() -> Int { budget - stats.requests + Self.setUpAPIs.reduce(0) { $0 + stats.requests($1) } }
            if recordTimeBudget > 0, room() > 0 {
                let keys = derivation.recordTimeCandidates(for: snapshot, focus: focusGroups, budget: recordTimeBudget)
                if !keys.isEmpty {
                    let (found, spent) = await RecordTimeProbe.read(keys, admin: poller.admin, maxFetches: room())
                    derivation.addRecordTimes(found)
                    stats.merge(spent)
                }
            }
            if readsGroupConfigs, room() > 0, let spent = await refreshGroupConfigs(at: at) { stats.merge(spent) }
            let update = ingest(consume snapshot, stats: stats, at: at)
            // The members the labeler has just labelled are the ones the next poll hands out.
            if let groups = update.snapshot?.groups { await poller.adoptLabels(of: groups) }
            return update
        } catch {
            let message = "\(error)"
            var update = MonitorUpdate(
                sequence: sequence, snapshot: last, events: [], episodeEvents: [],
                openEpisodes: derivation.tracker.openOldestFirst,
                finishedEpisodes: derivation.tracker.finished, verdicts: [:], stats: nil, failure: message,
                newErrors: [], lastSuccessAt: lastSuccessAt, at: at)
            // Keyed by the kind of fault, not its wording, so a lasting fault is reported once.
            if derivation.observeFailedPoll(faultKey: error.faultKey) {
                update.newErrors = [PollError(scope: .cluster, operation: "poll", message: message)]
            }
            return update
        }
    }

    /// Feeds a snapshot taken elsewhere (replay, tests) through the same derivations as a poll.
    public func ingest(_ taken: consuming ClusterSnapshot, stats: RequestStats? = nil, at: Int64? = nil) -> MonitorUpdate {
        derivation.healthConfig = healthConfig
        let d = derivation.ingest(carryOver(into: consume taken))
        let snapshot = d.snapshot
        forgetGroupConfigs(except: snapshot)
        lastSuccessAt = snapshot.takenAt
        return MonitorUpdate(
            sequence: sequence, snapshot: snapshot, events: d.events, episodeEvents: d.episodeEvents,
            openEpisodes: d.openEpisodes, finishedEpisodes: d.finishedEpisodes, verdicts: d.verdicts, stats: stats,
            failure: nil, newErrors: d.newErrors, lastSuccessAt: lastSuccessAt, at: at ?? snapshot.takenAt,
            timeLags: d.timeLags)
    }

    /// Groups whose coordinator did not answer ListGroups this poll would vanish from the
    /// snapshot (and read as deleted). They are kept from the last good snapshot instead, with
    /// the broker's error on them, so the dashboard shows the last known data marked as stale.
    private func carryOver(into snapshot: consuming ClusterSnapshot) -> ClusterSnapshot {
        guard let last else { return snapshot }
        var failed: [Int32: PollError] = [:]
        for e in snapshot.errors where e.operation == "ListGroups" {
            if let b = e.brokerID, failed[b] == nil { failed[b] = e }
        }
        guard !failed.isEmpty else { return snapshot }
        let present = Set(snapshot.groups.map(\.groupID))
        var out = snapshot
        var added = false
        for var g in last.groups where !present.contains(g.groupID) {
            guard let c = g.coordinatorID, let e = failed[c] else { continue }
            if g.error == nil {
                g.error = e.kafkaError ?? ItemError(code: -1, name: "STALE", message: e.message)
            }
            out.groups.append(g)
            added = true
        }
        if added { out.groups.sort { $0.groupID < $1.groupID } }
        return out
    }

    /// Replaces the limits a member blocking a hand-off is measured against (group configs read so
    /// far included).
    public func setRebalanceLimits(_ limits: RebalanceLimits) { derivation.rebalanceLimits = limits }

    /// The limits a member blocking a hand-off is measured against, as they stand.
    public var rebalanceLimits: RebalanceLimits { derivation.rebalanceLimits }

    /// Sets the broker's `group.consumer.session.timeout.ms` once read: the limit of every group
    /// without a session timeout of its own (group configs read so far are kept).
    public func setBrokerSessionTimeout(_ ms: Int64) {
        derivation.rebalanceLimits.sessionTimeoutMs = ms
        derivation.rebalanceLimits.sessionTimeoutSource = .broker
    }

    /// How many entries each per-group table of the monitor and its derivation holds, by name
    /// (``PollDerivation/retainedCounts`` and `groupConfigs`): bounded by the groups that exist.
    public var retainedCounts: [String: Int] {
        derivation.retainedCounts.merging(["groupConfigs": groupConfigReadAt.count]) { a, _ in a }
    }

    // MARK: - Group configs

    /// Whether the groups with a rebalance under way get their own `consumer.session.timeout.ms`
    /// read (DescribeConfigs on the GROUP resource), to measure blocked hand-offs against. On by
    /// default.
    public private(set) var readsGroupConfigs = true
    /// How long a group's config, once read, is trusted before it is read again (only while the
    /// group has a rebalance under way): ten minutes by default.
    public private(set) var groupConfigMaxAgeMs: Int64 = 600_000
    /// Groups whose configs one poll reads at most (one DescribeConfigs for all of them).
    public static let groupConfigBatch = 100
    /// Per group id: when its config was last asked for (ms), read or not. Only groups that had a
    /// rebalance under way, and only while they exist.
    public private(set) var groupConfigReadAt: [String: Int64] = [:]

    /// Turns the reading of group configs on or off, and sets how long a read is trusted.
    public func setGroupConfigReading(_ on: Bool, maxAgeMs: Int64 = 600_000) {
        readsGroupConfigs = on
        groupConfigMaxAgeMs = max(0, maxAgeMs)
    }

    /// Reads the configs of the groups with an episode under way whose config was never read or is
    /// older than ``groupConfigMaxAgeMs`` (at most ``groupConfigBatch``, one request); returns what
    /// it cost, or `nil` when nothing was due. A group that could not be read is asked again only
    /// after ``groupConfigMaxAgeMs``: a broker without group configs is not asked every poll.
    private func refreshGroupConfigs(at: Int64) async -> RequestStats? {
        let due = derivation.tracker.open.keys
            .filter { id in groupConfigReadAt[id].map { at - $0 >= groupConfigMaxAgeMs } ?? true }
            .sorted().prefix(Self.groupConfigBatch)
        guard !due.isEmpty else { return nil }
        for id in due { groupConfigReadAt[id] = at }
        let result: GroupConfigsResult
        do {
            result = try await poller.admin.describeGroupConfigs(Array(due), keys: KafkaAdminClient.groupConfigKeys)
        } catch {
            return nil
        }
        for id in due {
            guard case let .success(entries)? = result.groups[id] else { continue }
            if let entry = entries["consumer.session.timeout.ms"], entry.isGroupOverride, let ms = entry.value.flatMap({ Int64($0) }), ms > 0 {
                derivation.rebalanceLimits.groupSessionTimeoutMs[id] = ms
            } else {
                derivation.rebalanceLimits.groupSessionTimeoutMs[id] = nil
            }
        }
        return result.stats
    }

    /// Forgets the group configs of groups that are gone, so a long run with churning groups keeps
    /// only the groups that exist.
    private func forgetGroupConfigs(except snapshot: ClusterSnapshot) {
        guard !groupConfigReadAt.isEmpty || !derivation.rebalanceLimits.groupSessionTimeoutMs.isEmpty else { return }
        var present = Set<String>()
        present.reserveCapacity(snapshot.groups.count)
        for g in snapshot.groups { present.insert(g.groupID) }
        groupConfigReadAt = groupConfigReadAt.filter { present.contains($0.key) }
        let kept = derivation.rebalanceLimits.groupSessionTimeoutMs.filter { present.contains($0.key) }
        if kept.count != derivation.rebalanceLimits.groupSessionTimeoutMs.count { derivation.rebalanceLimits.groupSessionTimeoutMs = kept }
    }

    /// The log-end samples kept for a partition (for time lag).
    public func logEndSamples(_ tp: TopicPartition) -> [OffsetSample] { derivation.history.logEndSamples(tp) }

    /// Time lag of every partition of `group` from the kept samples (interpolation method).
    public func timeLags(of group: Group, now: Int64) -> [TopicPartition: TimeLag] {
        var out: [TopicPartition: TimeLag] = [:]
        for p in group.partitions {
            out[p.topicPartition] = TimeLagEstimator.timeLag(committed: p.committedOffset, samples: derivation.history.logEndSamples(p.topicPartition), now: now)
        }
        return out
    }
}

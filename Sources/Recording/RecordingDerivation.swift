import GroupModel

/// What one poll yields once derived: events, episodes, verdicts, new errors, time lags.
public struct DerivedPoll: Sendable {
    /// The poll's index in the recording.
    public var pollIndex: Int
    /// The snapshot.
    public var snapshot: ClusterSnapshot
    /// Events since the previous poll (``SnapshotDiff``); empty for the first poll.
    public var events: [GroupEvent]
    /// Episode events of this poll (``RebalanceTracker``).
    public var episodeEvents: [EpisodeEvent]
    /// Episodes under way, oldest first.
    public var openEpisodes: [RebalanceEpisode]
    /// Finished episodes, oldest first (bounded by the tracker).
    public var finishedEpisodes: [RebalanceEpisode]
    /// Health verdict per group id.
    public var verdicts: [String: GroupVerdict]
    /// Poll errors that were not present in the previous poll.
    public var newErrors: [PollError]
    /// Per group, per partition time lag.
    public var timeLags: [String: [TopicPartition: TimeLag]]

    /// Whether the poll brought a new error (a new poll error, a broker turning unreachable, a group
    /// error, a fenced member or a stuck member): where "next error" stops in a replay.
    public var hasNewError: Bool {
        !newErrors.isEmpty || episodeEvents.contains { $0.type == .memberStuck } || events.contains { e in
            switch e.type {
            case .pollError, .memberFenced: return true
            case .brokerError: return e.new == .text("unreachable")
            case .groupError: return e.new != nil
            default: return false
            }
        }
    }
}

/// Re-derives, from recorded snapshots, what the live monitor derived from polled ones: the same
/// steps in the same order (diff, rebalance tracker, history, health, new-error detection, time
/// lag), so a replay shows the episodes and verdicts the live dashboard showed. Pure; a value, so
/// replays keep copies as checkpoints.
public struct RecordingDerivation: Sendable {
    /// Health thresholds.
    public var healthConfig: HealthConfig
    /// The rebalance tracker.
    public private(set) var tracker: RebalanceTracker
    /// The bounded history (verdicts, time lag).
    public private(set) var history: History
    /// The last poll ingested.
    public private(set) var last: ClusterSnapshot?
    /// Polls ingested.
    public private(set) var count = 0
    private var previousErrorKeys: Set<String> = []

    /// Creates a derivation with the monitor's defaults.
    public init(historyCapacity: Int = 10, healthConfig: HealthConfig = HealthConfig(), stuckThresholdMs: Int64 = 30_000) {
        self.healthConfig = healthConfig
        self.tracker = RebalanceTracker(stuckThresholdMs: stuckThresholdMs)
        self.history = History(capacity: historyCapacity)
    }

    /// Ingests the next poll (in recorded order).
    public mutating func ingest(_ snapshot: ClusterSnapshot) -> DerivedPoll {
        let events = last.map { SnapshotDiff.diff(old: $0, new: snapshot) } ?? []
        let episodeEvents = tracker.ingest(snapshot)
        history.record(snapshot)
        var verdicts: [String: GroupVerdict] = [:]
        var timeLags: [String: [TopicPartition: TimeLag]] = [:]
        for g in snapshot.groups {
            verdicts[g.groupID] = HealthEvaluator.evaluate(group: g, history: history, now: snapshot.takenAt, config: healthConfig)
            var lags: [TopicPartition: TimeLag] = [:]
            for p in g.partitions {
                lags[p.topicPartition] = TimeLagEstimator.timeLag(
                    committed: p.committedOffset, samples: history.logEndSamples(p.topicPartition), now: snapshot.takenAt)
            }
            timeLags[g.groupID] = lags
        }
        var keys: Set<String> = []
        var fresh: [PollError] = []
        for e in snapshot.errors {
            let key = "\(e.scope)|\(e.operation)|\(e.brokerID ?? -1)|\(e.groupID ?? "")|\(e.topic ?? "")|\(e.kafkaError?.code ?? 0)"
            keys.insert(key)
            if !previousErrorKeys.contains(key) { fresh.append(e) }
        }
        previousErrorKeys = keys
        last = snapshot
        count += 1
        return DerivedPoll(
            pollIndex: count - 1, snapshot: snapshot, events: events, episodeEvents: episodeEvents,
            openEpisodes: tracker.open.values.sorted { $0.startedAt < $1.startedAt }, finishedEpisodes: tracker.finished,
            verdicts: verdicts, newErrors: fresh, timeLags: timeLags)
    }
}

// MARK: - Events of a recording

extension RecordingReader {
    /// The NDJSON lines `kgtop events --from FILE` prints: per poll, the ``GroupEvent``s then the
    /// ``EpisodeEvent``s, one JSON object per line (schema `kgtop.event/1`), re-derived from the
    /// recorded snapshots.
    public func eventLines() throws -> [String] {
        var derivation = RecordingDerivation()
        var lines: [String] = []
        try forEachSnapshot { _, snapshot in
            let poll = derivation.ingest(snapshot)
            for e in poll.events { lines.append(String(decoding: try SnapshotJSON.encodeLine(e), as: UTF8.self)) }
            for e in poll.episodeEvents { lines.append(String(decoding: try SnapshotJSON.encodeLine(e), as: UTF8.self)) }
        }
        return lines
    }
}

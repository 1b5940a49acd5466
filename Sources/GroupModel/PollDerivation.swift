
/// What one poll yields once derived: events, episodes, verdicts, new errors, time lags.
public struct DerivedPoll: Sendable {
    /// The poll's index (0 for the first snapshot ingested).
    public var pollIndex: Int
    /// The snapshot, its members labelled.
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

/// How long each step of the last ``PollDerivation/ingest(_:)`` took, in milliseconds (for
/// benchmarks; never used for decisions).
public struct DerivationTimings: Sendable, Hashable, Codable {
    /// Member labels, ``SnapshotDiff`` and departure refinement.
    public var diffMs = 0.0
    /// ``RebalanceTracker`` episodes (and fence reclassification).
    public var episodesMs = 0.0
    /// ``History/record(_:)``.
    public var historyMs = 0.0
    /// ``HealthEvaluator`` verdicts.
    public var healthMs = 0.0
    /// ``TimeLagEstimator`` time lags.
    public var timeLagMs = 0.0
    /// New-error detection and the result.
    public var errorsMs = 0.0

    /// Creates zero timings.
    public init() {}

    /// The sum of the steps.
    public var totalMs: Double { diffMs + episodesMs + historyMs + healthMs + timeLagMs + errorsMs }
}

/// What kgtop derives from consecutive snapshots, in one place for the live monitor and for
/// replays: diff (with fence detection from commit silence), rebalance tracker, history, health,
/// new-error detection and time lag. Pure; a value, so replays keep copies as checkpoints.
public struct PollDerivation: Sendable {
    /// Health thresholds.
    public var healthConfig: HealthConfig
    /// The rebalance tracker.
    public private(set) var tracker: RebalanceTracker
    /// The bounded history (verdicts, time lag).
    public private(set) var history: History
    /// The limits holders of blocked hand-offs are measured against (the tracker's).
    public var rebalanceLimits: RebalanceLimits {
        get { tracker.limits }
        set { tracker.limits = newValue }
    }
    /// Member labels, kept stable across polls.
    public private(set) var labeler = MemberLabeler()
    /// The last poll ingested.
    public private(set) var last: ClusterSnapshot?
    /// Polls ingested.
    public private(set) var count = 0
    /// Whether per-partition time lags are computed (the dashboard wants them; `events` does not).
    public var computeTimeLags = true
    /// The keys of the errors the last poll reported (each fault is reported once while it lasts).
    public private(set) var errorKeys: Set<String> = []
    /// What each step of the last ``ingest(_:)`` cost.
    public private(set) var lastTimings = DerivationTimings()
    /// The clock for ``lastTimings``, in milliseconds from any origin (a benchmark may pass a CPU-time
    /// clock); `nil` uses the monotonic wall clock.
    public var timingClock: (@Sendable () -> Double)?

    /// Creates a derivation with the monitor's defaults.
    public init(historyCapacity: Int = 10, healthConfig: HealthConfig = HealthConfig(), stuckThresholdMs: Int64 = 30_000) {
        self.healthConfig = healthConfig
        self.tracker = RebalanceTracker(stuckThresholdMs: stuckThresholdMs)
        self.history = History(capacity: historyCapacity)
    }

    /// Ingests the next snapshot (in the order taken). The poll's snapshot comes back in
    /// ``DerivedPoll/snapshot`` with every member labelled (``MemberLabeler``).
    public mutating func ingest(_ taken: ClusterSnapshot) -> DerivedPoll {
        let wall = ContinuousClock()
        let origin = wall.now
        let clock = timingClock ?? {
            let (s, a) = (wall.now - origin).components
            return Double(s) * 1000 + Double(a) / 1e15
        }
        var mark = clock()
        var timings = DerivationTimings()
        func lap() -> Double {
            let t = clock()
            defer { mark = t }
            return t - mark
        }
        var snapshot = taken
        labeler.label(&snapshot)
        // The history still ends at the previous snapshot here, as refineDepartures needs.
        let events = last.map {
            SnapshotDiff.refineDepartures(departuresMidRebalance(SnapshotDiff.diff(old: $0, new: snapshot), old: $0, at: snapshot.takenAt),
                                          old: $0, history: history, at: snapshot.takenAt)
        } ?? []
        timings.diffMs = lap()
        var episodeEvents = tracker.ingest(snapshot)
        let fencedGroups = Set(events.filter { $0.type == .memberFenced }.compactMap(\.groupID))
        for i in episodeEvents.indices where fencedGroups.contains(episodeEvents[i].groupID) {
            let e = episodeEvents[i]
            guard e.episode.startedAt == snapshot.takenAt, let leave = e.episode.triggers.firstIndex(of: .leave) else { continue }
            if e.episode.triggers.contains(.fence) {
                episodeEvents[i].episode.triggers.remove(at: leave)
            } else {
                episodeEvents[i].episode.triggers[leave] = .fence
            }
            tracker.reclassify(groupID: e.groupID, startedAt: e.episode.startedAt, replacing: .leave, with: .fence)
        }
        timings.episodesMs = lap()
        history.record(snapshot)
        timings.historyMs = lap()
        var verdicts: [String: GroupVerdict] = [:]
        verdicts.reserveCapacity(snapshot.groups.count)
        var scratch = HealthEvaluator.Scratch()
        let groups = snapshot.groups
        for g in groups.indices {
            verdicts[groups[g].groupID] = HealthEvaluator.evaluate(
                group: groups[g], history: history, now: snapshot.takenAt, config: healthConfig, scratch: &scratch)
        }
        timings.healthMs = lap()
        var timeLags: [String: [TopicPartition: TimeLag]] = [:]
        if computeTimeLags {
            timeLags.reserveCapacity(snapshot.groups.count)
            var samples: [OffsetSample] = []
            for g in groups.indices {
                let rows = groups[g].partitions
                var lags: [TopicPartition: TimeLag] = [:]
                lags.reserveCapacity(rows.count)
                // A group's rows come topic by topic: look each topic's samples up once.
                var topic: String?
                var ring: TopicRing?
                for i in rows.indices {
                    let tp = rows[i].topicPartition
                    if tp.topic != topic {
                        topic = tp.topic
                        ring = history.topicRings[tp.topic]
                    }
                    if let ring, let slot = ring.slot(of: tp.partition) {
                        ring.samples(slot: slot, into: &samples)
                    } else {
                        samples.removeAll(keepingCapacity: true)
                    }
                    lags[tp] = TimeLagEstimator.timeLag(committed: rows[i].committedOffset, ordered: samples, now: snapshot.takenAt)
                }
                timeLags[groups[g].groupID] = lags
            }
        }
        timings.timeLagMs = lap()
        var keys: Set<String> = []
        var fresh: [PollError] = []
        for e in snapshot.errors {
            let key = "\(e.scope)|\(e.operation)|\(e.brokerID ?? -1)|\(e.groupID ?? "")|\(e.topic ?? "")|\(e.kafkaError?.code ?? 0)"
            keys.insert(key)
            if !errorKeys.contains(key) { fresh.append(e) }
        }
        errorKeys = keys
        last = snapshot
        count += 1
        let derived = DerivedPoll(
            pollIndex: count - 1, snapshot: snapshot, events: events, episodeEvents: episodeEvents,
            openEpisodes: tracker.open.values.sorted { $0.startedAt < $1.startedAt }, finishedEpisodes: tracker.finished,
            verdicts: verdicts, newErrors: fresh, timeLags: timeLags)
        timings.errorsMs = lap()
        lastTimings = timings
        return derived
    }

    /// A KIP-848 member that vanished while behind the assignment epoch (or still revoking) is a
    /// fence by ``SnapshotDiff``'s rule; unless it had been behind for a session timeout, it left in
    /// the middle of a rebalance (as each pod of a rolling deploy does): `member_left`, which
    /// ``SnapshotDiff/refineDepartures(_:old:history:at:silentMs:)`` may still find was a crash.
    private func departuresMidRebalance(_ events: [GroupEvent], old: ClusterSnapshot, at: Int64) -> [GroupEvent] {
        guard events.contains(where: { $0.type == .memberFenced }) else { return events }
        return events.map { event in
            guard event.type == .memberFenced, event.new == nil, let groupID = event.groupID, let memberID = event.memberID,
                  old.group(groupID)?.type != .classic,
                  !tracker.behindAtLeastSessionTimeout(groupID: groupID, memberID: memberID, at: at)
            else { return event }
            var left = event
            left.type = .memberLeft
            left.detail = nil
            return left
        }
    }

    /// Replaces the error keys: a failed poll reports its own fault and keys it here, so the fault is
    /// reported once and the errors of the next good poll count as new.
    public mutating func replaceErrorKeys(_ keys: Set<String>) { errorKeys = keys }
}

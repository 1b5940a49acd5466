
/// Values per group of one snapshot (a ``DerivedPoll``'s verdicts and time lags), read like the
/// `[String: Value]` keyed by group id they stand for, but kept in the snapshot's group order.
///
/// The derivation hands over one value per group of the poll without hashing 10,000 ids into a
/// table, and a reader walking the same snapshot finds group `g`'s value at `g`
/// (``value(ofGroupAt:id:)``: one comparison of the id, the snapshot's own string). A lookup by id
/// alone is a binary search, the ids being ascending as a snapshot keeps them; ids out of order or
/// listed twice are put into a table once, and an id listed twice keeps its last value, as a
/// table keyed by id would.
public struct GroupValues<Value: Sendable>: Sendable, ExpressibleByDictionaryLiteral {
    /// Group ids, one per value, in the order given.
    private var ids: [String] = []
    /// Values, `values[i]` being `ids[i]`'s.
    private var values: [Value] = []
    /// Per id, the index of its last value; nil while the ids are strictly ascending.
    private var lastIndex: [String: Int]?

    /// No values.
    public init() {}

    /// The values of groups `ids` (in that order, as a snapshot lists its groups), `values[i]`
    /// being `ids[i]`'s.
    public init(ids: [String], values: [Value]) {
        precondition(ids.count == values.count, "one value per group")
        self.ids = ids
        self.values = values
        if !SnapshotDiff.strictlyAscending(count: ids.count, { ids[$0] }) {
            var table: [String: Int] = [:]
            table.reserveCapacity(ids.count)
            for i in ids.indices { table[ids[i]] = i }
            lastIndex = table
        }
    }

    /// Values of the same groups as `other`, in its order (its ids are not compared again).
    public init<Other>(values: [Value], sameGroupsAs other: GroupValues<Other>) {
        precondition(values.count == other.ids.count, "one value per group")
        self.ids = other.ids
        self.values = values
        self.lastIndex = other.lastIndex
    }

    /// The values of a table keyed by group id.
    public init(_ table: [String: Value]) {
        let keys = table.keys.sorted()
        self.init(ids: keys, values: keys.map { table[$0]! })
    }

    /// Values from a literal (an id listed twice keeps its last value).
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// Groups with a value.
    public var count: Int { lastIndex?.count ?? ids.count }

    /// Whether no group has one.
    public var isEmpty: Bool { ids.isEmpty }

    /// The group ids with a value (each once).
    public var keys: [String] { lastIndex.map { Array($0.keys) } ?? ids }

    /// The value of `groupID` (its last, when the id was given twice), or nil.
    public subscript(_ groupID: String) -> Value? {
        if let lastIndex { return lastIndex[groupID].map { values[$0] } }
        return ids.indexInSorted(of: groupID).map { values[$0] }
    }

    /// The value of group `position` of the snapshot the values were made from, whose id is
    /// `groupID`: found at that position (one comparison), else looked up by id.
    @inline(__always)
    public func value(ofGroupAt position: Int, id groupID: String) -> Value? {
        if lastIndex == nil, position >= 0, position < ids.count, ids[position] == groupID { return values[position] }
        return self[groupID]
    }

    /// The same values as a table.
    public var dictionary: [String: Value] {
        var table: [String: Value] = [:]
        table.reserveCapacity(ids.count)
        for i in ids.indices { table[ids[i]] = values[i] }
        return table
    }
}

extension GroupValues: Equatable where Value: Equatable {
    /// Equal when the tables are.
    public static func == (a: GroupValues, b: GroupValues) -> Bool {
        if a.lastIndex == nil, b.lastIndex == nil { return a.ids == b.ids && a.values == b.values }
        return a.dictionary == b.dictionary
    }
}

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
    /// Health verdict per group id (in the snapshot's group order).
    public var verdicts: GroupValues<GroupVerdict>
    /// Poll errors that were not present in the previous poll.
    public var newErrors: [PollError]
    /// Per group, per partition time lag (each group's figures aligned with its rows; none when
    /// ``PollDerivation/computeTimeLags`` is off).
    public var timeLags: GroupValues<PartitionTimeLags>

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
    /// Timestamps of the records at committed offsets read from the leaders, kept while some group
    /// is committed there (see ``addRecordTimes(_:)``).
    public private(set) var recordTimes = RecordTimes()
    /// Each group's verdict at the last poll, for `verdict_changed` events (by the group's position).
    private var lastStatus = GroupTable<HealthStatus>()
    /// The faults of the last polls: which of a poll's errors are new (each fault is reported once
    /// while it lasts). A poll that failed as a whole is recorded with ``observeFailedPoll(faultKey:)``.
    public private(set) var faults = FaultMemory()
    /// What each step of the last ``ingest(_:)`` cost.
    public private(set) var lastTimings = DerivationTimings()
    /// The clock for ``lastTimings``, in milliseconds from any origin (a benchmark may pass a CPU-time
    /// clock); `nil` uses the monotonic wall clock.
    public var timingClock: (@Sendable () -> Double)?

    /// How many entries each per-group (or per-topic) table of the derivation holds, by table
    /// name: what a long run with churning groups must keep bounded by the groups that exist.
    public var retainedCounts: [String: Int] {
        let history = history.retainedCounts
        return [
            "tracker": tracker.retainedGroupCount, "history.groups": history.groups, "history.topics": history.topics,
            "labels": labeler.retainedGroupCount, "verdicts": lastStatus.count,
            "limits.groups": rebalanceLimits.groupSessionTimeoutMs.count + rebalanceLimits.rebalanceTimeoutMs.count,
        ]
    }

    /// Creates a derivation with the monitor's defaults.
    public init(historyCapacity: Int = 10, healthConfig: HealthConfig = HealthConfig(), stuckThresholdMs: Int64 = 30_000) {
        self.healthConfig = healthConfig
        self.tracker = RebalanceTracker(stuckThresholdMs: stuckThresholdMs)
        self.history = History(capacity: historyCapacity)
    }

    /// Ingests the next snapshot (in the order taken). The poll's snapshot comes back in
    /// ``DerivedPoll/snapshot`` with every member labelled (``MemberLabeler``). A caller that hands
    /// its only copy over (`ingest(consume snapshot)`) lets the labels be written in place instead
    /// of into a copy of every group's members.
    public mutating func ingest(_ taken: consuming ClusterSnapshot) -> DerivedPoll {
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
        var snapshot = consume taken
        // Partitions a pre-4.3 broker leaves out of their revoking member's assignment: the last poll
        // knows who holds them (HandoffInference), before anything below reads the hand-off states.
        HandoffInference.refine(&snapshot.groups, previous: last)
        labeler.label(&snapshot)
        // The history still ends at the previous snapshot here, as refineDepartures needs.
        var events = last.map {
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
        // One verdict per group in group order (the ids are the groups' own strings): nothing is
        // hashed by id. A group id listed twice keeps the verdict of its last listing
        // (``GroupValues``).
        var groupVerdicts: [GroupVerdict] = []
        groupVerdicts.reserveCapacity(snapshot.groups.count)
        // Each group's status in group order, for the verdict events below (no verdict copied).
        var groupStatus: [HealthStatus] = []
        groupStatus.reserveCapacity(snapshot.groups.count)
        var scratch = HealthEvaluator.Scratch()
        let groups = snapshot.groups
        let ids = groups.map(\.groupID)
        let behindSince = history.behindSince
        let (now, config) = (snapshot.takenAt, healthConfig)
        // The groups are read in place: handing one to the evaluator from the list would copy it
        // (every field retained) for each group.
        groups.withUnsafeBufferPointer { groups in
            for g in groups.indices {
                // The group's ring is read where the history keeps it, not copied out of its table, and
                // found by the group's position (the history has just recorded this snapshot).
                let group = groups.baseAddress! + g
                let verdict = history.withGroupRing(group.pointee.groupID, position: g) { ring, aligned in
                    HealthEvaluator.evaluate(
                        group: group, ring: ring, ringIsAligned: aligned, behindSince: behindSince, now: now, config: config, scratch: &scratch)
                }
                groupStatus.append(verdict.status)
                groupVerdicts.append(verdict)
            }
        }
        let verdicts = GroupValues(ids: ids, values: groupVerdicts)
        // Fewer verdicts than groups: some id is listed twice, and its listings share the last one's.
        let repeatedIDs = verdicts.count < groups.count
        timings.healthMs = lap()
        var timeLags = GroupValues<PartitionTimeLags>()
        var usedRecords: Set<RecordTimes.Key> = []
        if computeTimeLags {
            var lags: [PartitionTimeLags] = []
            lags.reserveCapacity(snapshot.groups.count)
            for g in groups.indices {
                lags.append(self.timeLags(of: groups[g].partitions, now: snapshot.takenAt, used: &usedRecords))
            }
            timeLags = GroupValues(values: lags, sameGroupsAs: verdicts)
        }
        // A group whose verdict changed: one event, with the reason and the group's time lag.
        var verdictEvents: [GroupEvent] = []
        func statusNow(_ g: Int) -> HealthStatus { repeatedIDs ? verdicts[groups[g].groupID]?.status ?? groupStatus[g] : groupStatus[g] }
        for g in groups.indices {
            let id = groups[g].groupID
            let status = statusNow(g)
            // The last poll's status, found by position when the groups are the same as then.
            guard let i = lastStatus.index(ofGroupAt: g, id: id), let before = lastStatus.entry(at: i), before != status,
                  let verdict = verdicts.value(ofGroupAt: g, id: id)
            else { continue }
            let lags = timeLags.value(ofGroupAt: g, id: id) ?? self.timeLags(of: groups[g].partitions, now: snapshot.takenAt, used: &usedRecords)
            var event = GroupEvent(
                type: .verdictChanged, timestamp: snapshot.takenAt, groupID: id, old: .text(before.rawValue),
                new: .text(verdict.status.rawValue), detail: verdict.reason)
            event.timeLag = TimeLag.groupMaximum(groups[g].partitions.indices.compactMap { lags[groups[g].partitions[$0].topicPartition] })
            verdictEvents.append(event)
        }
        lastStatus.update(groups, make: { .ok }) { g, entry in entry = statusNow(g) }
        if !recordTimes.isEmpty {
            if !computeTimeLags {
                // Only the changed groups were looked at: keep what any group is committed at.
                for g in groups.indices {
                    let rows = groups[g].partitions
                    for i in rows.indices {
                        if let c = rows[i].committedOffset { usedRecords.insert(RecordTimes.Key(rows[i].topicPartition, offset: c)) }
                    }
                }
            }
            recordTimes.retain(usedRecords)
        }
        timings.timeLagMs = lap()
        let fresh = faults.observe(errors: snapshot.errors)
        last = snapshot
        count += 1
        // Appended in place (a sum would copy every event of the poll).
        events.append(contentsOf: verdictEvents)
        let derived = DerivedPoll(
            pollIndex: count - 1, snapshot: snapshot, events: events, episodeEvents: episodeEvents,
            openEpisodes: tracker.openOldestFirst, finishedEpisodes: tracker.finished,
            verdicts: verdicts, newErrors: fresh, timeLags: timeLags)
        timings.errorsMs = lap()
        lastTimings = timings
        return derived
    }

    /// Adds record timestamps read from the partition leaders; the next ``ingest(_:)`` measures the
    /// time lag of a partition committed at such an offset from it.
    public mutating func addRecordTimes(_ records: [RecordTimes.Key: RecordTimes.Record]) {
        for (key, record) in records { recordTimes[key] = record }
    }

    /// The committed offsets of `snapshot` (not ingested yet) whose record timestamps would make a
    /// time lag measurable: see ``RecordTimes/candidates(in:known:oldestLogEnd:focus:budget:)``.
    public func recordTimeCandidates(for snapshot: ClusterSnapshot, focus: Set<String>, budget: Int) -> [RecordTimes.Key] {
        RecordTimes.candidates(in: snapshot, known: recordTimes, history: history, focus: focus, budget: budget)
    }

    /// The time lag of one partition row of a group at `now`, given its figure from the history's
    /// log-end samples (`lag`): from the record at the committed offset instead when it was read,
    /// marking the record as in use. Static, given the records of the row's topic: a closure
    /// calling a method would copy the whole derivation for every row.
    private static func timeLag(
        _ row: UnsafePointer<GroupPartition>, history lag: TimeLag, records: RecordTimes.TopicRecords?, now: Int64,
        used: inout Set<RecordTimes.Key>
    ) -> TimeLag {
        guard let records, lag.method != .caughtUp, let committed = row.pointee.committedOffset,
              let record = records[partition: row.pointee.topicPartition.partition, offset: committed]
        else { return lag }
        used.insert(RecordTimes.Key(row.pointee.topicPartition, offset: committed))
        return RecordTimes.timeLag(record, history: lag, now: now)
    }

    /// Time lags of every partition of a group at `now`, aligned with its rows.
    /// The time lags of a group's `rows` (its partitions: passing the group would copy it, every
    /// field retained).
    private func timeLags(of rows: [GroupPartition], now: Int64, used: inout Set<RecordTimes.Key>) -> PartitionTimeLags {
        var lags: [TimeLag] = []
        lags.reserveCapacity(rows.count)
        // A group's rows come topic by topic: look each topic's samples up once. Rows are read in
        // place (copying a row retains every string in it), and a row's samples only as far as its
        // figure needs them (``TopicRing/timeLag(slot:committed:now:)``).
        // The topic's ring, copied once per run of its rows: read through a pointer, the ring
        // would be copied for each row's call.
        var topic: String?
        var ring: TopicRing?
        // The records read of the topic, looked up once per run too (nil when none).
        var records: RecordTimes.TopicRecords?
        let recordTimes = recordTimes
        history.withTopicRings { rings in
            rows.withUnsafeBufferPointer { rows in
                for i in rows.indices {
                    let row = rows.baseAddress! + i
                    if row.pointee.topicPartition.topic != topic {
                        topic = row.pointee.topicPartition.topic
                        ring = rings.ring(row.pointee.topicPartition.topic)?.pointee
                        records = recordTimes.isEmpty ? nil : recordTimes.records(ofTopic: row.pointee.topicPartition.topic)
                    }
                    let committed = row.pointee.committedOffset
                    let sampled = if let ring, let slot = ring.slot(of: row.pointee.topicPartition.partition) {
                        ring.timeLag(slot: slot, committed: committed, now: now)
                    } else {
                        TimeLagEstimator.timeLag(committed: committed, ordered: [OffsetSample](), now: now)
                    }
                    lags.append(Self.timeLag(row, history: sampled, records: records, now: now, used: &used))
                }
            }
        }
        return PartitionTimeLags(rows: rows, lags: lags)
    }

    /// Records a poll that failed as a whole (no snapshot to ingest) with the fault `faultKey`, so
    /// that the faults of the polls around it stay lasting; true when the fault is new.
    public mutating func observeFailedPoll(faultKey: String) -> Bool {
        faults.observeFailedPoll(faultKey: faultKey)
    }

    /// A KIP-848 member that vanished while behind the assignment epoch (or still revoking) is a
    /// fence by ``SnapshotDiff``'s rule; unless it had been behind for a session timeout, it left in
    /// the middle of a rebalance (as each pod of a rolling deploy does): `member_left`, which
    /// ``SnapshotDiff/refineDepartures(_:old:history:at:silentMs:)`` may still find was a crash.
    private func departuresMidRebalance(_ events: [GroupEvent], old: ClusterSnapshot, at: Int64) -> [GroupEvent] {
        guard events.contains(where: { $0.type == .memberFenced }) else { return events }
        let lookup = SnapshotDiff.GroupLookup(old.groups)
        return events.map { event in
            guard event.type == .memberFenced, event.new == nil, let groupID = event.groupID, let memberID = event.memberID,
                  lookup[groupID]?.type != .classic,
                  !tracker.behindAtLeastSessionTimeout(groupID: groupID, memberID: memberID, at: at)
            else { return event }
            var left = event
            left.type = .memberLeft
            left.detail = nil
            return left
        }
    }
}

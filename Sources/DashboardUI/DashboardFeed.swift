import GroupModel

/// Turns the monitor's derived data (GroupModel values) into ``DashboardUpdate``s, keeping the
/// state the views need across polls: the error stream, lag trends and recent member changes.
///
/// Pure and curses-free: the live dashboard, `kgtop demo` and a replay feed it the same way.
public struct DashboardFeed: Sendable {
    /// Entries kept in the error stream.
    public var errorCapacity = 1_000
    /// Lag-trend points kept per group (the sparkline).
    public var trendCapacity = 30
    /// How long a member counts as recently joined or left (ms).
    public var recentWindowMs: Int64 = 30_000
    /// Broker-side group settings, shown in the Protocols view.
    public var brokerSettings: [BrokerSetting]?
    /// The poll interval, for the header's staleness.
    public var pollIntervalMs: Int64?

    private var errors: [ErrorRow] = []
    private var trends = LagTrends()
    private var joined: [String: [String: Int64]] = [:]  // group -> member -> at
    private var left: [String: [String: Int64]] = [:]  // group -> label of a departed member -> at
    private var lastRebalance: [String: Int64] = [:]

    /// How many groups each of the feed's per-group tables holds (lag trends, last rebalance,
    /// recent joins and departures): bounded by the groups of the last good snapshot.
    public var retainedCounts: [String: Int] {
        ["trends": trends.ids.count, "lastRebalance": lastRebalance.count, "joined": joined.count, "left": left.count]
    }
    /// The last good poll's time (the header's staleness).
    private var lastGoodAt: Int64?
    /// The error row of the outage under way (polls failing one after another): one row that
    /// counts the failed polls, not one row per poll. Nil while polls succeed.
    private var outage: ErrorRow?

    /// Creates an empty feed.
    public init(pollIntervalMs: Int64? = nil, brokerSettings: [BrokerSetting]? = nil) {
        self.pollIntervalMs = pollIntervalMs
        self.brokerSettings = brokerSettings
    }

    /// The stream so far, oldest first.
    public var errorStream: [ErrorRow] { errors }

    /// How many groups the feed keeps state for (trends, last rebalance, member changes): the
    /// groups of the last poll at most, so a long run with groups coming and going stays bounded.
    var trackedGroups: Int {
        Set(trends.ids).union(lastRebalance.keys).union(joined.keys).union(left.keys).count
    }

    /// Adds one poll's worth of derived data and returns the update to draw.
    /// - Parameters:
    ///   - timeLags: per group, per partition time lag (from the poller's samples, or measured from the
    ///     record at the committed offset; a lower bound is kept as one).
    ///   - failure: set when this poll observed nothing; the snapshot is then the last good one.
    public mutating func ingest(
        snapshot: ClusterSnapshot, events: [GroupEvent], episodeEvents: [EpisodeEvent],
        openEpisodes: [RebalanceEpisode], finishedEpisodes: [RebalanceEpisode],
        verdicts: GroupValues<GroupVerdict>, newErrors: [PollError], timeLags: GroupValues<PartitionTimeLags> = [:],
        failure: String? = nil, at: Int64, isReplay: Bool = false
    ) -> DashboardUpdate {
        let now = at
        if let failure {
            // The monitor's own report of the same fault is this row, so it is skipped below.
            countOutage(ErrorRow(at: now, severity: .critical, source: .poll, message: "poll failed, showing data from the last good poll: \(failure)"))
        } else {
            lastGoodAt = snapshot.takenAt
        }
        for e in newErrors where !(failure != nil && e.scope == .cluster && e.operation == "poll") {
            append(Self.row(e, at: now))
        }
        if failure == nil { endOutage(at: now) }
        for e in events { if let row = Self.anomaly(e) { append(row) } }
        for e in episodeEvents {
            switch e.type {
            case .memberStuck:
                let m = e.member
                let who = m?.name ?? "a member"
                append(ErrorRow(at: e.timestamp, severity: .warning, source: .anomaly, groupID: e.groupID,
                                message: "\(who) stuck behind the assignment epoch for \((m?.behindForMs ?? 0) / 1000) s"))
            case .blocked:
                // A holder past its limit is the cause of the stall: one line in the error stream.
                let past = (e.blocked ?? []).filter(\.pastLimit)
                if let first = past.first {
                    let partitions = past.map(\.topicPartition.description).joined(separator: ", ")
                    append(ErrorRow(at: e.timestamp, severity: .warning, source: .anomaly, groupID: e.groupID,
                                    message: "\(first.holderLabel ?? "a member") stalls the rebalance: holds \(partitions) past \(first.limit)"
                                        + (first.waiterLabel.map { ", wanted by \($0)" } ?? "")))
                }
            case .started:
                lastRebalance[e.groupID] = e.timestamp
            case .ended:
                lastRebalance[e.groupID] = e.timestamp
            default:
                break
            }
        }
        for e in events {
            guard let member = e.memberID, let groupID = e.groupID else { continue }
            switch e.type {
            case .memberJoined: joined[groupID, default: [:]][member] = e.timestamp
            case .memberLeft, .memberFenced: left[groupID, default: [:]][e.label ?? member] = e.timestamp
            default: break
            }
        }

        var insights = GroupInsights()
        let groups = snapshot.groups
        // Each trend is found by walking the last poll's groups alongside this poll's (both in id
        // order), not by hashing ids; a poll that fails keeps the trends as they are.
        var walk = failure == nil ? trends.beginPoll(groups) : nil
        insights.reserveCapacity(
            groups.count, trendSamples: groups.count * min(trendCapacity, (trends.series.first?.count ?? 0) + 1),
            partitionStatuses: verdicts.isEmpty ? 0 : snapshot.groupPartitionCount, idsStrictlyAscending: walk?.idsStrictlyAscending ?? false)
        let kept = failure == nil ? nil : trends.index
        // Fields are read in place (a group, member or verdict is never copied whole: 10,000 groups
        // and 30,000 members a poll), one lookup per table and group; the tables of member changes
        // are empty most of the time. The trend is appended in place (the update keeps a copy of its
        // samples, not the array), so a poll allocates nothing per group.
        for i in groups.indices {
            let id = groups[i].groupID
            let trendSlot: Int?
            if walk != nil {
                let slot = trends.slot(for: id, walk: &walk!)
                trends.series[slot].append(groups[i].summary.totalLag)
                let count = trends.series[slot].count
                if count > trendCapacity { trends.series[slot].removeFirst(count - trendCapacity) }
                trendSlot = slot
            } else {
                trendSlot = kept?[id]
            }
            // One copy of the verdict, found at the group's position (no id hashed).
            let verdict = verdicts.value(ofGroupAt: i, id: id)
            let stuckMembers = verdict?.stuckMembers ?? []
            // Per-partition insights are composed when a view shows a partition, not here: a poll
            // costs nothing per partition (100,000 of them at 10,000 groups).
            // The verdicts are kept as one status per row where they can be (the update then holds
            // a byte a partition, not the poll's verdicts).
            let statusStart = insights.partitionStatusCount
            // Not in a closure: a group read from the list in one is copied whole.
            var compact = false
            if let verdict, !verdict.partitions.isEmpty {
                compact = insights.appendPartitionStatuses(rows: groups[i].partitions, verdicts: verdict.partitions)
            }
            let partitions = PartitionInsights(verdicts: compact ? [] : verdict?.partitions ?? [], timeLags: timeLags.value(ofGroupAt: i, id: id) ?? [:])
            let maxTimeLag = partitions.maxTimeLagFigure
            let recentJoins = joined.isEmpty ? [:] : (joined[id] ?? [:]).filter { now - $0.value <= recentWindowMs }
            var members: [String: MemberInsight] = [:]
            let assignmentEpoch = groups[i].assignmentEpoch
            for j in groups[i].members.indices {
                let memberID = groups[i].members[j].memberID
                let behind = !groups[i].members[j].isReconciled(assignmentEpoch: assignmentEpoch)
                let stuck = stuckMembers.isEmpty ? nil : stuckMembers.firstIndex { $0.memberID == memberID }
                let insight = MemberInsight(
                    reconcilingSince: behind ? stuck.flatMap { stuckMembers[$0].behindSince } : nil,
                    recentlyJoined: !recentJoins.isEmpty && recentJoins[memberID] != nil, stuck: stuck != nil)
                if insight != MemberInsight() { members[memberID] = insight }
            }
            let recentLeft = left.isEmpty ? [] : (left[id] ?? [:]).filter { now - $0.value <= recentWindowMs }.keys.sorted()
            insights.append(
                id, verdict: verdict?.status, verdictReason: verdict?.why,
                maxTimeLagMs: maxTimeLag?.ms, maxTimeLagIsBound: maxTimeLag?.isBound ?? false,
                lagTrend: trendSlot.map { trends.series[$0] } ?? [], lagRate: verdict?.lagTrend,
                lastRebalanceAt: lastRebalance.isEmpty ? nil : lastRebalance[id],
                partitions: partitions, partitionRows: compact ? groups[i].partitions : nil, statusStart: statusStart,
                members: members, recentlyLeft: recentLeft)
        }
        // Forget old member changes and groups that are gone, so the maps stay bounded in long runs.
        for (gid, m) in joined {
            let kept = m.filter { now - $0.value <= recentWindowMs }
            joined[gid] = kept.isEmpty ? nil : kept
        }
        for (gid, m) in left {
            let kept = m.filter { now - $0.value <= recentWindowMs }
            left[gid] = kept.isEmpty ? nil : kept
        }
        let groupsGone = walk.map { trends.endPoll($0) } ?? false
        if failure == nil, groupsGone || lastRebalance.count > snapshot.groups.count {
            // Every present group has a trend, so a trend not carried over means some group went away.
            let present = Set(snapshot.groups.map(\.groupID))
            lastRebalance = lastRebalance.filter { present.contains($0.key) }
            joined = joined.filter { present.contains($0.key) }
            left = left.filter { present.contains($0.key) }
        }

        // The groups of the episodes (the first of an id, should it appear twice), not a table of all.
        let episodeList = openEpisodes + finishedEpisodes.reversed()
        var episodeGroups: [String: Group] = [:]
        if !episodeList.isEmpty {
            let wanted = Set(episodeList.map(\.groupID))
            if insights.isStrictlyAscending {
                // One id per group: found by id (the insights are in the snapshot's order), not by
                // hashing every group's id.
                for id in wanted { if let i = insights.entryIndex(of: id) { episodeGroups[id] = groups[i] } }
            } else {
                for i in groups.indices where wanted.contains(groups[i].groupID) && episodeGroups[groups[i].groupID] == nil {
                    episodeGroups[groups[i].groupID] = groups[i]
                }
            }
        }
        let episodes = episodeList.map { Self.row($0, group: episodeGroups[$0.groupID]) }
        let staleness = failure != nil && !isReplay ? Staleness(lastGoodAt: lastGoodAt, failedPolls: outage?.count ?? 0) : nil
        return DashboardUpdate(
            snapshot: snapshot, episodes: episodes, errors: errors, insights: insights,
            brokerSettings: brokerSettings, pollIntervalMs: pollIntervalMs, isReplay: isReplay, staleness: staleness)
    }

    private mutating func append(_ row: ErrorRow) {
        errors.append(row)
        if errors.count > errorCapacity { errors.removeFirst(errors.count - errorCapacity) }
    }

    /// Counts one more failed poll on the outage's row (newest time and message), or starts it.
    private mutating func countOutage(_ row: ErrorRow) {
        guard var current = outage else {
            var first = row
            first.since = row.at
            outage = first
            append(first)
            return
        }
        let since = current.since
        current.count += 1
        current.at = row.at
        current.message = row.message
        outage = current
        // Other rows may have come since: find the outage's own row (the error stream is bounded, so
        // it may also have been dropped; then it comes back as the newest).
        if let index = errors.lastIndex(where: { $0.source == .poll && $0.severity == .critical && $0.since == since }) {
            errors[index] = current
        } else {
            append(current)
        }
    }

    /// Adds the row that says an outage ended, after how long and how many failed polls.
    private mutating func endOutage(at now: Int64) {
        guard let ended = outage else { return }
        outage = nil
        let polls = ended.count == 1 ? "1 poll" : "\(ended.count) polls"
        append(ErrorRow(
            at: now, severity: .info, source: ended.source,
            message: "ended after \(Format.duration(ms: now - (ended.since ?? ended.at))) (\(polls)): \(ended.message)"))
    }

    // MARK: - Conversions

    /// An error-stream row for a poll error.
    public static func row(_ e: PollError, at: Int64) -> ErrorRow {
        let severity: ErrorSeverity
        switch e.scope {
        case .cluster: severity = .critical
        case .broker, .group: severity = .error
        case .topic, .partition: severity = .warning
        }
        return ErrorRow(at: at, severity: severity, source: e.scope == .broker ? .broker : .poll,
                        groupID: e.groupID, brokerID: e.brokerID, message: e.message)
    }

    /// An anomaly row for the events worth a line in the error stream, nil for routine events.
    public static func anomaly(_ e: GroupEvent) -> ErrorRow? {
        switch e.type {
        case .memberFenced:
            // Named only here: most events are routine, and the name costs a substring search.
            let host = e.clientHost.map(MemberLabeler.normalizedHost) ?? ""
            let name = e.label ?? e.clientID.flatMap { $0.isEmpty ? nil : $0 } ?? e.memberID ?? "?"
            let who = host.isEmpty || name.contains(host) ? name : "\(name) on \(host)"
            return ErrorRow(at: e.timestamp, severity: .warning, source: .anomaly, groupID: e.groupID,
                            message: "member \(who) was fenced" + (e.detail.map { ": \($0)" } ?? ""))
        case .coordinatorMoved:
            return ErrorRow(at: e.timestamp, severity: .info, source: .anomaly, groupID: e.groupID,
                            message: "coordinator moved from broker \(e.old?.description ?? "?") to \(e.new?.description ?? "?")")
        case .groupError:
            return ErrorRow(at: e.timestamp, severity: .error, source: .poll, groupID: e.groupID,
                            message: e.detail ?? "group error \(e.new?.description ?? "")")
        default:
            return nil
        }
    }

    /// A Rebalances-view row for an episode; member convergence comes from the group's current members.
    public static func row(_ ep: RebalanceEpisode, group: Group?) -> EpisodeRow {
        let members = (group?.members ?? []).map { m in
            MemberConvergence(memberID: m.memberID, label: m.name, fromEpoch: ep.fromEpoch, currentEpoch: m.memberEpoch,
                              reachedAt: m.isReconciled(assignmentEpoch: group?.assignmentEpoch) ? (ep.endedAt ?? ep.targetComputedAt) : nil)
        }
        var outcome: String?
        if ep.abandoned {
            outcome = "abandoned"
        } else if !ep.stuckMembers.isEmpty {
            outcome = "stuck: " + ep.stuckMembers.map(\.name).joined(separator: ", ")
        } else if ep.endedAt != nil {
            outcome = "reconciled"
        }
        return EpisodeRow(
            groupID: ep.groupID, groupProtocol: ep.protocol, trigger: RebalanceTrigger.words(ep.triggers), startedAt: ep.startedAt,
            endedAt: ep.endedAt, fromEpoch: ep.fromEpoch, targetEpoch: ep.targetEpoch,
            membersReconciled: ep.progress.membersReconciled, membersTotal: ep.progress.membersTotal,
            partitionsSettled: ep.progress.partitionsSettled, partitionsTotal: ep.progress.partitionsTotal,
            members: members, outcome: outcome, blocking: ep.blocking, estimatedDurationMs: ep.estimatedDurationMs)
    }
}

/// The lag trends of the last good poll's groups, in its group order: `series[i]` is the trend of
/// `ids[i]`. A poll finds each group's trend by walking the last poll's ids alongside its own (both
/// ascending, as a snapshot's groups are), so no id is hashed; when either is not strictly
/// ascending the last poll's ids are looked up in a table instead, and a group id given twice in
/// one poll adds two samples to one trend.
struct LagTrends {
    private(set) var ids: [String] = []
    var series: [[Int64]] = []
    /// Whether ``ids`` are strictly ascending (then a poll can walk them).
    private var ascending = true

    /// Where a poll is in the last poll's trends.
    struct Walk {
        var previousIDs: [String]
        var previousSeries: [[Int64]]
        /// The last poll's ids by place, when they cannot be walked.
        var previousIndex: [String: Int]?
        var cursor = 0
        /// This poll's ids by place, while its ids are not strictly ascending.
        var index: [String: Int]?
        /// Whether this poll's group ids are strictly ascending.
        var idsStrictlyAscending: Bool { index == nil }
        var carried = 0
    }

    /// The trend index by id (a failed poll reads the trends without changing them).
    var index: [String: Int] {
        var table: [String: Int] = [:]
        table.reserveCapacity(ids.count)
        for i in ids.indices { table[ids[i]] = i }
        return table
    }

    /// Starts a good poll of `groups`: the trends are rebuilt in their order, each carried over
    /// from the last poll when its group was there.
    mutating func beginPoll(_ groups: [Group]) -> Walk {
        var strictly = true
        for i in groups.indices.dropFirst() where !(groups[i - 1].groupID < groups[i].groupID) {
            strictly = false
            break
        }
        let walk = Walk(
            previousIDs: ids, previousSeries: series, previousIndex: strictly && ascending ? nil : index,
            index: strictly ? nil : [:])
        ids = []
        series = []
        ids.reserveCapacity(groups.count)
        series.reserveCapacity(groups.count)
        ascending = strictly
        return walk
    }

    /// The place of `id`'s trend in this poll (added, with the last poll's samples, the first time
    /// the poll sees the id).
    mutating func slot(for id: String, walk: inout Walk) -> Int {
        if let slot = walk.index?[id] { return slot }
        var samples: [Int64] = []
        let previous: Int?
        if let previousIndex = walk.previousIndex {
            previous = previousIndex[id]
        } else {
            // Usually the group was the next one last poll too: one comparison. The cursor then
            // moves past it (this poll's next id is larger).
            var found = walk.cursor < walk.previousIDs.count && walk.previousIDs[walk.cursor] == id
            if !found {
                while walk.cursor < walk.previousIDs.count && walk.previousIDs[walk.cursor] < id { walk.cursor += 1 }
                found = walk.cursor < walk.previousIDs.count && walk.previousIDs[walk.cursor] == id
            }
            if found {
                previous = walk.cursor
                walk.cursor += 1
            } else {
                previous = nil
            }
        }
        if let previous {
            swap(&samples, &walk.previousSeries[previous])
            walk.carried += 1
        }
        let slot = ids.count
        ids.append(id)
        series.append(samples)
        walk.index?[id] = slot
        return slot
    }

    /// Ends the poll: whether some group of the last poll is gone.
    func endPoll(_ walk: Walk) -> Bool { walk.carried < walk.previousIDs.count }
}

import GroupModel

// View-model inputs: what the UI shows beyond a ClusterSnapshot. ``DashboardFeed`` fills these small
// types from GroupModel's rebalance tracker, time-lag estimator and health evaluator, the same way for
// the live dashboard, the demo and a replay.

// MARK: - Verdicts

/// How a health verdict (GroupModel's ``HealthStatus``, shown as its raw value) is drawn.
extension HealthStatus {
    /// The theme role the label is drawn with.
    public var role: ThemeRole {
        switch self {
        case .ok: return .verdictOK
        case .warn: return .verdictWarn
        case .stall: return .verdictStall
        case .stop: return .verdictStop
        case .rewind: return .verdictRewind
        case .err: return .verdictErr
        case .rebalancing: return .rebalancing
        case .stuck: return .verdictStall
        }
    }

    /// The role lag figures take under this verdict.
    public var lagRole: ThemeRole {
        switch self {
        case .ok, .rebalancing: return .lagOK
        case .warn: return .lagWarn
        case .stall, .stop, .rewind, .err, .stuck: return .lagCritical
        }
    }
}

/// What the health evaluator and time-lag estimator say about one partition.
public struct PartitionInsight: Sendable, Hashable {
    /// The partition's verdict.
    public var verdict: HealthStatus?
    /// Estimated time lag in milliseconds.
    public var timeLagMs: Int64?
    /// Whether ``timeLagMs`` is a lower bound (shown as `> 18s`).
    public var timeLagIsBound: Bool

    /// Creates a partition insight.
    public init(verdict: HealthStatus? = nil, timeLagMs: Int64? = nil, timeLagIsBound: Bool = false) {
        self.verdict = verdict
        self.timeLagMs = timeLagMs
        self.timeLagIsBound = timeLagIsBound
    }
}

/// A group's per-partition insights, looked up by partition.
///
/// Built either from explicit values (a dictionary literal) or, as the feed does, straight from the
/// health verdict's partitions and the time-lag estimates, so that a poll costs nothing per
/// partition: the insight of a partition is composed only when a view asks for it (a visible row).
public struct PartitionInsights: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    private var explicit: [TopicPartition: PartitionInsight] = [:]
    private var verdicts: [PartitionVerdict] = []
    private var timeLags = PartitionTimeLags()
    /// The verdicts as one status per row of the group (``rows``, strictly ascending by partition):
    /// what the views read of them, kept instead of ``verdicts`` by the feed (see
    /// ``GroupInsights``). Used when ``hasRowStatuses``.
    private var rows: [GroupPartition] = []
    private var rowStatuses: [HealthStatus?] = []
    private var hasRowStatuses = false

    /// Explicit insights.
    public init(_ insights: [TopicPartition: PartitionInsight]) {
        explicit = insights
    }

    /// Explicit insights from a literal.
    public init(dictionaryLiteral elements: (TopicPartition, PartitionInsight)...) {
        explicit = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    /// Insights composed on demand from a verdict's partitions and the estimated time lags.
    public init(verdicts: [PartitionVerdict], timeLags: PartitionTimeLags) {
        self.verdicts = verdicts
        self.timeLags = timeLags
    }

    /// Insights composed on demand from the verdict of each of a group's `rows` (`statuses[i]` being
    /// `rows[i]`'s, rows strictly ascending by partition) and the estimated time lags.
    init(rows: [GroupPartition], statuses: [HealthStatus?], timeLags: PartitionTimeLags) {
        precondition(rows.count == statuses.count, "one status per row")
        self.rows = rows
        self.rowStatuses = statuses
        self.timeLags = timeLags
        hasRowStatuses = true
    }

    /// Hands `body` each of `rows`' verdict status in row order (nil for a row without a verdict)
    /// and says whether they stand for `verdicts`: true when `rows` are strictly ascending and the
    /// verdicts name rows, in row order, once each (as a group's verdict does). On false `body`
    /// may have had some statuses, which the caller drops.
    static func rowStatuses(rows: [GroupPartition], verdicts: [PartitionVerdict], into body: (HealthStatus?) -> Void) -> Bool {
        var v = 0
        var matched = true
        for r in rows.indices {
            if r > 0, !(rows[r - 1].topicPartition < rows[r].topicPartition) { matched = false; break }
            if v < verdicts.count, verdicts[v].topicPartition == rows[r].topicPartition {
                body(verdicts[v].status)
                v += 1
            } else {
                body(nil)
            }
        }
        return matched && v == verdicts.count
    }

    /// The verdict status of a partition.
    private func status(_ tp: TopicPartition) -> HealthStatus? {
        guard hasRowStatuses else { return verdicts.first { $0.topicPartition == tp }?.status }
        return rows.rowIndex(of: tp).flatMap { rowStatuses[$0] }
    }

    /// The (partition, status) of every verdict, in partition order.
    private var statusList: [(TopicPartition, HealthStatus)] {
        guard hasRowStatuses else { return verdicts.map { ($0.topicPartition, $0.status) } }
        return rows.indices.compactMap { i in rowStatuses[i].map { (rows[i].topicPartition, $0) } }
    }

    /// Equal when they answer the same: the same explicit insights, verdict statuses and time lags.
    public static func == (a: PartitionInsights, b: PartitionInsights) -> Bool {
        a.explicit == b.explicit && a.timeLags == b.timeLags
            && a.statusList.elementsEqual(b.statusList) { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// The hash of what ``==`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(explicit)
        hasher.combine(timeLags)
        for (tp, status) in statusList {
            hasher.combine(tp)
            hasher.combine(status)
        }
    }

    /// The estimated time lags the insights were built with.
    var estimatedTimeLags: PartitionTimeLags { timeLags }

    /// The insight for one partition, or nil when nothing is known about it.
    public subscript(_ tp: TopicPartition) -> PartitionInsight? {
        if let insight = explicit[tp] { return insight }
        let verdict = status(tp)
        let lag = timeLags[tp]
        let ms = lag?.seconds.map { Int64(($0 * 1000).rounded()) }
        if verdict == nil && ms == nil { return nil }
        return PartitionInsight(verdict: verdict, timeLagMs: ms, timeLagIsBound: lag?.isLowerBound ?? false)
    }

    /// The group's time lag from the estimates (``TimeLag/groupMaximum(_:)``): the largest, a lower
    /// bound when any partition's is one. Explicit insights count as measured unless marked.
    public var maxTimeLag: TimeLag? {
        // As the feed builds them (no explicit insights): the estimates alone, in the same order.
        if explicit.isEmpty { return TimeLag.groupMaximum(timeLags.values) }
        let fromExplicit = explicit.values.compactMap { insight in
            insight.timeLagMs.map { TimeLag.known(seconds: Double($0) / 1000, method: insight.timeLagIsBound ? .lowerBound : .interpolation) }
        }
        return TimeLag.groupMaximum(fromExplicit + Array(timeLags.values))
    }

    /// ``maxTimeLag`` in milliseconds (rounded) and whether it is a lower bound, as the feed and
    /// the Groups view read it. For insights built from estimates alone the figures are read where
    /// they are kept, without collecting them into a list first.
    var maxTimeLagFigure: (ms: Int64, isBound: Bool)? {
        let lag = explicit.isEmpty ? TimeLag.groupMaximum(timeLags.values) : maxTimeLag
        return lag.flatMap { lag in lag.seconds.map { (Int64(($0 * 1000).rounded()), lag.isLowerBound) } }
    }

    /// The largest estimated time lag, in milliseconds.
    public var maxTimeLagMs: Int64? {
        var best = explicit.values.compactMap(\.timeLagMs).max()
        for lag in timeLags.values {
            if let s = lag.seconds { best = max(best ?? 0, Int64((s * 1000).rounded())) }
        }
        return best
    }
}

/// What the tracker knows about one member beyond the snapshot.
public struct MemberInsight: Sendable, Hashable {
    /// Since when (ms since the epoch) the member has been behind the assignment epoch.
    public var reconcilingSince: Int64?
    /// Whether the member joined in the last few polls.
    public var recentlyJoined: Bool
    /// Whether the tracker considers the member stuck (behind the assignment epoch for too long).
    public var stuck: Bool

    /// Creates a member insight.
    public init(reconcilingSince: Int64? = nil, recentlyJoined: Bool = false, stuck: Bool = false) {
        self.reconcilingSince = reconcilingSince
        self.recentlyJoined = recentlyJoined
        self.stuck = stuck
    }
}

/// Everything the UI shows about a group that a single snapshot cannot say: verdicts, time lag,
/// lag trend, rebalance history, member history.
public struct GroupInsight: Sendable, Hashable {
    /// The group's verdict.
    public var verdict: HealthStatus?
    /// Why, in a few words (shown in the group detail).
    public var verdictReason: String?
    /// The largest estimated time lag over the group's partitions, in milliseconds.
    public var maxTimeLagMs: Int64?
    /// Whether ``maxTimeLagMs`` is a lower bound (shown as `> 18s`).
    public var maxTimeLagIsBound: Bool
    /// Recent total-lag samples, oldest first (drawn as a sparkline).
    public var lagTrend: [Int64]
    /// The health evaluator's trend of the total lag: direction and rate (drawn as `↑ 1.2k/s`).
    public var lagRate: LagTrendResult?
    /// When the last rebalance of the group ended (ms since the epoch).
    public var lastRebalanceAt: Int64?
    /// Per-partition verdicts and time lag, looked up by partition.
    public var partitions: PartitionInsights
    /// Per-member history, by member id. The feed leaves out members with nothing to tell (not
    /// behind, not stuck, not recently joined): a missing member reads as `MemberInsight()`.
    public var members: [String: MemberInsight]
    /// Members that left in the last few polls (their labels), shown as departed rows.
    public var recentlyLeft: [String]

    /// Creates a group insight.
    public init(
        verdict: HealthStatus? = nil, verdictReason: String? = nil, maxTimeLagMs: Int64? = nil, maxTimeLagIsBound: Bool = false,
        lagTrend: [Int64] = [], lagRate: LagTrendResult? = nil, lastRebalanceAt: Int64? = nil, partitions: PartitionInsights = [:],
        members: [String: MemberInsight] = [:], recentlyLeft: [String] = []
    ) {
        self.verdict = verdict
        self.verdictReason = verdictReason
        self.maxTimeLagMs = maxTimeLagMs
        self.maxTimeLagIsBound = maxTimeLagIsBound
        self.lagTrend = lagTrend
        self.lagRate = lagRate
        self.lastRebalanceAt = lastRebalanceAt
        self.partitions = partitions
        self.members = members
        self.recentlyLeft = recentlyLeft
    }
}

/// The insights of a poll's groups, looked up by group id: what ``DashboardUpdate/insights`` holds.
///
/// Read like a dictionary keyed by group id (a literal, ``init(_:)``, ``subscript(_:)``; an id given
/// twice keeps its last insight), but stored as the feed builds it, in the snapshot's group order:
/// one entry per group in one array and every lag trend in one buffer, so a poll of 10,000 groups
/// hashes no id to store them, allocates no array per group, and frees two arrays, not a table of
/// 10,000 insights, when the update is dropped. A view that knows a group's place in the snapshot
/// finds its entry there at once (``entryIndex(of:at:)``).
public struct GroupInsights: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// One group's insight, its lag trend kept in ``trendSamples``; with `partitionRows`, its
    /// partitions' verdict statuses are kept in ``partitionStatuses`` from `statusStart` on, one per
    /// row, and `partitions` holds the time lags alone.
    struct Entry: Sendable {
        var verdict: HealthStatus?
        /// Put into words when a view reads the entry (``insight(at:)``): few of a poll's are.
        var verdictReason: GroupVerdict.Reason?
        var maxTimeLagMs: Int64?
        var maxTimeLagIsBound: Bool
        var trendStart: Int
        var trendCount: Int
        var lagRate: LagTrendResult?
        var lastRebalanceAt: Int64?
        var partitions: PartitionInsights
        var partitionRows: [GroupPartition]?
        var statusStart: Int
        var members: [String: MemberInsight]
        var recentlyLeft: [String]

        /// Whether the TREND cell has anything to show (samples or a rate).
        var hasTrend: Bool { trendCount > 0 || lagRate != nil }
    }

    /// Group ids, one per entry, in the order added.
    private(set) var ids: [String] = []
    /// Entries, `entries[i]` being `ids[i]`'s.
    private(set) var entries: [Entry] = []
    /// Every entry's lag trend, one after another.
    private var trendSamples: [Int64] = []
    /// The verdict status of every row of the entries with `partitionRows`, one after another: what
    /// the views read of a poll's partition verdicts (one byte a partition, where the verdicts
    /// themselves take about a hundred), so the update does not keep the verdicts alive.
    private var partitionStatuses: [HealthStatus?] = []
    /// Per id, its last entry; nil while the ids are strictly ascending (a snapshot's groups are),
    /// when an id is found where a view expects it or by binary search.
    private var lastIndex: [String: Int]?
    /// Set while the ids being appended are known to be strictly ascending.
    private var idsKnownAscending = false

    /// No insights.
    public init() {}

    /// Insights by group id.
    public init(_ insights: [String: GroupInsight]) {
        reserveCapacity(insights.count, trendSamples: insights.values.reduce(0) { $0 + $1.lagTrend.count })
        for (id, insight) in insights.sorted(by: { $0.key < $1.key }) { append(id, insight) }
    }

    /// Insights from a literal (an id listed twice keeps its last insight).
    public init(dictionaryLiteral elements: (String, GroupInsight)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// Groups with an insight.
    public var count: Int { lastIndex?.count ?? ids.count }

    /// Whether no group has one.
    public var isEmpty: Bool { ids.isEmpty }

    /// The insight of a group, or nil when it has none.
    public subscript(_ groupID: String) -> GroupInsight? {
        entryIndex(of: groupID).map(insight(at:))
    }

    /// The same insights as a table.
    public var dictionary: [String: GroupInsight] {
        var table: [String: GroupInsight] = [:]
        table.reserveCapacity(ids.count)
        for i in ids.indices { table[ids[i]] = insight(at: i) }
        return table
    }

    /// Equal when the tables are.
    public static func == (a: GroupInsights, b: GroupInsights) -> Bool {
        if a.lastIndex == nil, b.lastIndex == nil, a.ids == b.ids {
            return a.entries.indices.allSatisfy { a.insight(at: $0) == b.insight(at: $0) }
        }
        return a.dictionary == b.dictionary
    }

    /// The table's hash.
    public func hash(into hasher: inout Hasher) { hasher.combine(dictionary) }

    // MARK: Building and reading (the feed and the views)

    /// Makes room for `groups` entries and `samples` trend samples. `idsStrictlyAscending` says the
    /// ids to come are already known to be strictly ascending (the feed checked its snapshot), so
    /// ``append(_:verdict:verdictReason:maxTimeLagMs:maxTimeLagIsBound:lagTrend:lagRate:lastRebalanceAt:partitions:members:recentlyLeft:)``
    /// need not compare them again.
    mutating func reserveCapacity(_ groups: Int, trendSamples samples: Int, partitionStatuses statuses: Int = 0, idsStrictlyAscending: Bool = false) {
        idsKnownAscending = idsStrictlyAscending && ids.isEmpty
        partitionStatuses.reserveCapacity(statuses)
        ids.reserveCapacity(groups)
        entries.reserveCapacity(groups)
        trendSamples.reserveCapacity(samples)
    }

    /// Adds a group's insight (a later one of the same id replaces it for lookups).
    mutating func append(_ groupID: String, _ insight: GroupInsight) {
        append(
            groupID, verdict: insight.verdict, verdictReason: insight.verdictReason.map(GroupVerdict.Reason.init), maxTimeLagMs: insight.maxTimeLagMs,
            maxTimeLagIsBound: insight.maxTimeLagIsBound, lagTrend: insight.lagTrend, lagRate: insight.lagRate,
            lastRebalanceAt: insight.lastRebalanceAt, partitions: insight.partitions, members: insight.members,
            recentlyLeft: insight.recentlyLeft)
    }

    /// Adds a group's insight field by field, its trend copied into the shared buffer. The fields the
    /// entry keeps are taken over (`consuming`), not copied: a poll appends 10,000 entries.
    mutating func append(
        _ groupID: String, verdict: HealthStatus?, verdictReason: consuming GroupVerdict.Reason?, maxTimeLagMs: Int64?, maxTimeLagIsBound: Bool,
        lagTrend: [Int64], lagRate: LagTrendResult?, lastRebalanceAt: Int64?, partitions: consuming PartitionInsights,
        partitionRows: consuming [GroupPartition]? = nil, statusStart: Int = 0, members: consuming [String: MemberInsight],
        recentlyLeft: consuming [String]
    ) {
        let index = ids.count
        if lastIndex != nil {
            lastIndex?[groupID] = index
        } else if !idsKnownAscending, let previous = ids.last, !(previous < groupID) {
            var table: [String: Int] = [:]
            table.reserveCapacity(ids.capacity)
            for i in ids.indices { table[ids[i]] = i }
            table[groupID] = index
            lastIndex = table
        }
        ids.append(groupID)
        entries.append(Entry(
            verdict: verdict, verdictReason: verdictReason, maxTimeLagMs: maxTimeLagMs, maxTimeLagIsBound: maxTimeLagIsBound,
            trendStart: trendSamples.count, trendCount: lagTrend.count, lagRate: lagRate, lastRebalanceAt: lastRebalanceAt,
            partitions: partitions, partitionRows: partitionRows, statusStart: statusStart, members: members,
            recentlyLeft: recentlyLeft))
        trendSamples.append(contentsOf: lagTrend)
    }

    /// Where the next entry's partition statuses start.
    var partitionStatusCount: Int { partitionStatuses.count }

    /// Keeps the verdict statuses of a group's rows (see ``PartitionInsights/rowStatuses(rows:verdicts:into:)``)
    /// for the entry appended next with those `partitionRows`; false, keeping none, when the
    /// verdicts cannot be read as one status per row (the entry then keeps the verdicts).
    mutating func appendPartitionStatuses(rows: [GroupPartition], verdicts: [PartitionVerdict]) -> Bool {
        let start = partitionStatuses.count
        if PartitionInsights.rowStatuses(rows: rows, verdicts: verdicts, into: { partitionStatuses.append($0) }) { return true }
        partitionStatuses.removeSubrange(start...)
        return false
    }

    /// Whether every id is given once, in ascending order (as a snapshot's groups are): then an
    /// id's entry is its group's place in the snapshot.
    var isStrictlyAscending: Bool { lastIndex == nil }

    /// The entry of a group id (its last), checking `hint` first: the group's place in the
    /// snapshot the insights were built from.
    func entryIndex(of groupID: String, at hint: Int? = nil) -> Int? {
        if let lastIndex { return lastIndex[groupID] }
        if let hint, hint >= 0, hint < ids.count, ids[hint] == groupID { return hint }
        var lo = 0
        var hi = ids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ids[mid] < groupID { lo = mid + 1 } else { hi = mid }
        }
        return lo < ids.count && ids[lo] == groupID ? lo : nil
    }

    /// An entry's lag trend, oldest first.
    func trend(at index: Int) -> ArraySlice<Int64> {
        trendSamples[entries[index].trendStart..<(entries[index].trendStart + entries[index].trendCount)]
    }

    /// An entry as a ``GroupInsight``.
    func insight(at index: Int) -> GroupInsight {
        let e = entries[index]
        var partitions = e.partitions
        if let rows = e.partitionRows {
            partitions = PartitionInsights(
                rows: rows, statuses: Array(partitionStatuses[e.statusStart..<(e.statusStart + rows.count)]), timeLags: e.partitions.estimatedTimeLags)
        }
        return GroupInsight(
            verdict: e.verdict, verdictReason: e.verdictReason?.text, maxTimeLagMs: e.maxTimeLagMs, maxTimeLagIsBound: e.maxTimeLagIsBound,
            lagTrend: Array(trend(at: index)), lagRate: e.lagRate, lastRebalanceAt: e.lastRebalanceAt, partitions: partitions,
            members: e.members, recentlyLeft: e.recentlyLeft)
    }
}

// MARK: - Rebalance episodes

/// How one member moved towards the target epoch during an episode.
public struct MemberConvergence: Sendable, Hashable {
    /// The member id.
    public var memberID: String
    /// The member's label (``GroupMember/name``).
    public var label: String
    /// The member's epoch when the episode started (`nil` if it joined during the episode).
    public var fromEpoch: Int32?
    /// The member's epoch now (or at the end).
    public var currentEpoch: Int32?
    /// When (ms since the epoch) the member reached the target epoch, if it did.
    public var reachedAt: Int64?

    /// Creates a member convergence row.
    public init(memberID: String, label: String, fromEpoch: Int32? = nil, currentEpoch: Int32? = nil, reachedAt: Int64? = nil) {
        self.memberID = memberID
        self.label = label
        self.fromEpoch = fromEpoch
        self.currentEpoch = currentEpoch
        self.reachedAt = reachedAt
    }
}

/// One rebalance episode of one group, ongoing or finished (filled from the rebalance tracker).
public struct EpisodeRow: Sendable, Hashable {
    /// The group.
    public var groupID: String
    /// The group's protocol.
    public var groupProtocol: GroupProtocol
    /// What started and extended it, in words (`leave, join`, `in progress at start`, ...).
    public var trigger: String
    /// When it started (ms since the epoch).
    public var startedAt: Int64
    /// When it ended; `nil` while ongoing.
    public var endedAt: Int64?
    /// The epoch (KIP-848 group epoch, or classic generation) before the episode.
    public var fromEpoch: Int32?
    /// The epoch the group converges to.
    public var targetEpoch: Int32?
    /// Members at the target epoch.
    public var membersReconciled: Int
    /// Members in the group.
    public var membersTotal: Int
    /// Partitions owned by their target owner.
    public var partitionsSettled: Int
    /// Partitions in the target assignment.
    public var partitionsTotal: Int
    /// Per-member convergence (the epoch timeline).
    public var members: [MemberConvergence]
    /// How it ended (`completed`, `superseded`, `group emptied`), `nil` while ongoing.
    public var outcome: String?
    /// KIP-848, while ongoing: the hand-offs not done yet (who holds, who waits, since when).
    public var blocking: [BlockedHandoff]
    /// The median duration of the group's earlier episodes, `nil` before the first.
    public var estimatedDurationMs: Int64?

    /// Creates an episode row.
    public init(
        groupID: String, groupProtocol: GroupProtocol, trigger: String, startedAt: Int64, endedAt: Int64? = nil,
        fromEpoch: Int32? = nil, targetEpoch: Int32? = nil, membersReconciled: Int = 0, membersTotal: Int = 0,
        partitionsSettled: Int = 0, partitionsTotal: Int = 0, members: [MemberConvergence] = [], outcome: String? = nil,
        blocking: [BlockedHandoff] = [], estimatedDurationMs: Int64? = nil
    ) {
        self.blocking = blocking
        self.estimatedDurationMs = estimatedDurationMs
        self.groupID = groupID
        self.groupProtocol = groupProtocol
        self.trigger = trigger
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.fromEpoch = fromEpoch
        self.targetEpoch = targetEpoch
        self.membersReconciled = membersReconciled
        self.membersTotal = membersTotal
        self.partitionsSettled = partitionsSettled
        self.partitionsTotal = partitionsTotal
        self.members = members
        self.outcome = outcome
    }

    /// Whether the episode is still running.
    public var isOngoing: Bool { endedAt == nil }
}

// MARK: - Errors

/// How bad an error-stream entry is.
public enum ErrorSeverity: Int, Sendable, Hashable, CaseIterable, Comparable {
    /// Informational (coordinator moved, member fenced and rejoined).
    case info
    /// Worth a look (retriable errors, stuck member warnings).
    case warning
    /// A failed request or a broken group.
    case error
    /// The cluster or poller is failing.
    case critical

    /// `info`, `warning`, `error`, `critical`.
    public var name: String {
        switch self {
        case .info: return "info"
        case .warning: return "warning"
        case .error: return "error"
        case .critical: return "critical"
        }
    }

    /// Orders by badness.
    public static func < (lhs: ErrorSeverity, rhs: ErrorSeverity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where an error-stream entry comes from.
public enum ErrorSource: String, Sendable, Hashable, CaseIterable {
    /// A request of the poll failed.
    case poll
    /// A broker was unreachable or answered with an error.
    case broker
    /// An anomaly the tracker noticed (stuck member, fencing, coordinator move, duplicate instance id).
    case anomaly
}

/// One entry of the error stream.
public struct ErrorRow: Sendable, Hashable {
    /// When it happened (ms since the epoch).
    public var at: Int64
    /// How bad it is.
    public var severity: ErrorSeverity
    /// Where it comes from.
    public var source: ErrorSource
    /// The group concerned, if any.
    public var groupID: String?
    /// The broker concerned, if any.
    public var brokerID: Int32?
    /// What happened.
    public var message: String
    /// How many consecutive polls saw this fault (a lasting fault is one row, counted, not one row
    /// per poll); ``at`` is then the latest of them.
    public var count: Int
    /// When a lasting fault was first seen (ms since the epoch); nil for a one-off row.
    public var since: Int64?

    /// Creates an error row.
    public init(
        at: Int64, severity: ErrorSeverity, source: ErrorSource, groupID: String? = nil, brokerID: Int32? = nil,
        message: String, count: Int = 1, since: Int64? = nil
    ) {
        self.at = at
        self.severity = severity
        self.source = source
        self.groupID = groupID
        self.brokerID = brokerID
        self.message = message
        self.count = count
        self.since = since
    }

    /// The rows for a snapshot's own poll errors (used when an update carries no error stream):
    /// cluster errors are critical, broker and group errors errors, topic and partition errors warnings.
    public static func rows(for snapshot: ClusterSnapshot) -> [ErrorRow] {
        snapshot.errors.map { error in
            let severity: ErrorSeverity
            switch error.scope {
            case .cluster: severity = .critical
            case .broker, .group: severity = .error
            case .topic, .partition: severity = .warning
            }
            return ErrorRow(
                at: snapshot.takenAt, severity: severity, source: error.scope == .broker ? .broker : .poll,
                groupID: error.groupID, brokerID: error.brokerID, message: error.description)
        }
    }
}

// MARK: - Broker settings

/// One broker-side group setting (from DescribeConfigs), e.g. `group.consumer.session.timeout.ms`.
public struct BrokerSetting: Sendable, Hashable {
    /// The config name.
    public var key: String
    /// Its value.
    public var value: String
    /// Where the value comes from (`default`, `static`, `dynamic`), when known.
    public var source: String?

    /// Creates a setting.
    public init(key: String, value: String, source: String? = nil) {
        self.key = key
        self.value = value
        self.source = source
    }
}

// MARK: - Update

/// One update of what the dashboard shows: a snapshot plus optional inputs from the tracker,
/// estimator, evaluator and config reader. `nil` inputs mean "this source does not provide them".
public struct DashboardUpdate: Sendable, Hashable {
    /// The snapshot.
    public var snapshot: ClusterSnapshot
    /// Rebalance episodes, any order (ongoing ones are shown first).
    public var episodes: [EpisodeRow]?
    /// The error stream, any order (shown newest first); `nil` shows the snapshot's own poll errors.
    public var errors: [ErrorRow]?
    /// Insights per group id.
    public var insights: GroupInsights
    /// Broker-side group settings, `nil` when not read.
    public var brokerSettings: [BrokerSetting]?
    /// The poll interval, to tell when the data is stale.
    public var pollIntervalMs: Int64?
    /// Whether this is a replay of recorded data (the header shows REPLAY and the recorded time).
    public var isReplay: Bool
    /// A replay's cursor in words (`poll 12/720 ▶ 4×`), shown in the header next to REPLAY.
    public var replayStatus: String?
    /// Set when the newest poll failed: the data shown is from an older poll and the header says
    /// so (`STALE`), counts no broker as up and dims the values.
    public var staleness: Staleness?

    /// Creates an update.
    public init(
        snapshot: ClusterSnapshot, episodes: [EpisodeRow]? = nil, errors: [ErrorRow]? = nil,
        insights: [String: GroupInsight] = [:], brokerSettings: [BrokerSetting]? = nil,
        pollIntervalMs: Int64? = nil, isReplay: Bool = false, replayStatus: String? = nil,
        staleness: Staleness? = nil
    ) {
        self.init(
            snapshot: snapshot, episodes: episodes, errors: errors, insights: GroupInsights(insights), brokerSettings: brokerSettings,
            pollIntervalMs: pollIntervalMs, isReplay: isReplay, replayStatus: replayStatus, staleness: staleness)
    }

    /// Creates an update from insights as the feed stores them.
    public init(
        snapshot: ClusterSnapshot, episodes: [EpisodeRow]? = nil, errors: [ErrorRow]? = nil,
        insights: GroupInsights, brokerSettings: [BrokerSetting]? = nil,
        pollIntervalMs: Int64? = nil, isReplay: Bool = false, replayStatus: String? = nil,
        staleness: Staleness? = nil
    ) {
        self.snapshot = snapshot
        self.episodes = episodes
        self.errors = errors
        self.insights = insights
        self.brokerSettings = brokerSettings
        self.pollIntervalMs = pollIntervalMs
        self.isReplay = isReplay
        self.replayStatus = replayStatus
        self.staleness = staleness
    }

    /// The error stream to show: ``errors``, or the snapshot's poll errors.
    public var effectiveErrors: [ErrorRow] { errors ?? ErrorRow.rows(for: snapshot) }
}

/// Why the data on screen is older than the newest poll.
public struct Staleness: Sendable, Hashable {
    /// When the last poll that reached the cluster was taken (ms since the epoch); nil when no poll
    /// has reached it yet.
    public var lastGoodAt: Int64?
    /// Polls that failed in a row since then.
    public var failedPolls: Int

    /// Creates a staleness record.
    public init(lastGoodAt: Int64?, failedPolls: Int) {
        self.lastGoodAt = lastGoodAt
        self.failedPolls = failedPolls
    }
}

/// A health verdict, ordered by severity (``severity``).
public enum HealthStatus: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Healthy.
    case ok = "OK"
    /// A rebalance is in progress, or the partition is in a hand-off within its grace period.
    case rebalancing = "REBALANCING"
    /// Lag grows while the consumer advances.
    case warn = "WARN"
    /// A member has been behind the assignment epoch longer than the threshold.
    case stuck = "STUCK"
    /// The partition or group could not be observed (an error, an unknown lag).
    case err = "ERR"
    /// Nobody consumes the partition: its committed offset stands still, lag > 0, no owner.
    case stop = "STOP"
    /// The committed offset stands still while lag > 0 and a member owns the partition.
    case stall = "STALL"
    /// The committed offset went backwards and did not recover.
    case rewind = "REWIND"

    /// Severity rank: OK < REBALANCING < WARN < STUCK < ERR < STOP < STALL < REWIND (the last four in
    /// Burrow's order).
    public var severity: Int {
        switch self {
        case .ok: return 0
        case .rebalancing: return 1
        case .warn: return 2
        case .stuck: return 3
        case .err: return 4
        case .stop: return 5
        case .stall: return 6
        case .rewind: return 7
        }
    }

    /// Orders by severity.
    public static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool { lhs.severity < rhs.severity }
}

/// The verdict on one partition of one group.
///
/// The reason is kept as the figures it is written from and put into words when read: a poll judges
/// every partition of the estate, while only the few on screen or in a report are ever read.
/// Equality, hashing and coding see the words, as if the reason were stored as text.
public struct PartitionVerdict: Sendable, Hashable, Codable {
    /// The partition.
    public var topicPartition: TopicPartition
    /// The verdict.
    public var status: HealthStatus
    /// Why, in words and numbers.
    public var reason: String {
        get { why.text }
        set { why = .text(newValue) }
    }
    /// The current lag.
    public var lag: LagValue
    /// Observations the verdict was based on.
    public var observations: Int
    /// The reason, in words or as the figures it is written from.
    var why: VerdictReason

    /// Creates a partition verdict.
    public init(topicPartition: TopicPartition, status: HealthStatus, reason: String, lag: LagValue, observations: Int) {
        self.init(topicPartition: topicPartition, status: status, why: .text(reason), lag: lag, observations: observations)
    }

    /// Creates a partition verdict whose reason is written when read.
    init(topicPartition: TopicPartition, status: HealthStatus, why: VerdictReason, lag: LagValue, observations: Int) {
        self.topicPartition = topicPartition
        self.status = status
        self.why = why
        self.lag = lag
        self.observations = observations
    }

    private enum CodingKeys: String, CodingKey {
        case topicPartition, status, reason, lag, observations
    }

    /// Decodes a verdict (the reason as text).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            topicPartition: try c.decode(TopicPartition.self, forKey: .topicPartition), status: try c.decode(HealthStatus.self, forKey: .status),
            reason: try c.decode(String.self, forKey: .reason), lag: try c.decode(LagValue.self, forKey: .lag),
            observations: try c.decode(Int.self, forKey: .observations))
    }

    /// Encodes the verdict with its reason in words, in the order of its properties.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(topicPartition, forKey: .topicPartition)
        try c.encode(status, forKey: .status)
        try c.encode(reason, forKey: .reason)
        try c.encode(lag, forKey: .lag)
        try c.encode(observations, forKey: .observations)
    }

    /// Equal when every property is, the reason compared in words.
    public static func == (a: PartitionVerdict, b: PartitionVerdict) -> Bool {
        a.topicPartition == b.topicPartition && a.status == b.status && a.lag == b.lag && a.observations == b.observations
            && (a.why == b.why || a.reason == b.reason)
    }

    /// Hashes every property, the reason in words.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(topicPartition)
        hasher.combine(status)
        hasher.combine(reason)
        hasher.combine(lag)
        hasher.combine(observations)
    }
}

/// A partition verdict's reason: the words, or the figures the rules write them from (the common
/// outcomes, so that judging a partition builds no text). The cases with more than three figures
/// are kept out of line (`indirect`): a verdict holds one reason, and the common ones are small.
enum VerdictReason: Sendable, Hashable {
    /// Words already written.
    case text(String)
    /// `lag 12` (caught up now).
    case lag(Int64)
    /// `window incomplete (2/3 observations), lag 60`.
    case windowIncomplete(observations: Int, needed: Int, lag: Int64)
    /// `caught up within the last 18 s, lag 5`.
    case caughtUpWithin(spanMs: Int64, lag: Int64)
    /// `committed offset unchanged for less than 15 s, lag 50`.
    case unchangedBriefly(minimumStallMs: Int64, lag: Int64)
    /// `lag 10, consumer advancing`.
    case advancing(lag: Int64)
    /// `lag grew 10 → 40 over 30 s while the consumer advanced` (or `with the committed offset unchanged`).
    indirect case grew(first: Int64, lag: Int64, spanMs: Int64, standing: Bool)
    /// `lag rose 10 → 1000 over 50 s (+19.8 offsets/s): the consumer falls behind`.
    indirect case rose(first: Int64, lag: Int64, spanMs: Int64, rate: Double)
    /// STOP / STALL: `committed offset 100 unchanged for 30 s while ...`.
    indirect case standing(committed: Int64?, stoodMs: Int64, first: Int64, lag: Int64, owner: String?)

    /// The reason in words.
    var text: String {
        switch self {
        case .text(let words):
            return words
        default:
            var out = ""
            out.reserveCapacity(64)
            write(to: &out)
            return out
        }
    }

    /// Appends the reason in words to `out` (what ``text`` is): the commonest reasons piece by
    /// piece into the caller's string, so that a group's reason quoting its worst partition's is
    /// written into one string.
    func write(to out: inout String) {
        switch self {
        case .text(let words):
            out.append(words)
        case .lag(let lag):
            out.append("lag ")
            out.append(String(lag))
        case .caughtUpWithin(let span, let lag):
            out.append("caught up within the last ")
            out.append(HealthEvaluator.seconds(span))
            out.append(", lag ")
            out.append(String(lag))
        case .advancing(let lag):
            out.append("lag ")
            out.append(String(lag))
            out.append(", consumer advancing")
        default:
            out.append(words)
        }
    }

    /// The reasons not written piece by piece, in words.
    private var words: String {
        let seconds = HealthEvaluator.seconds
        switch self {
        case .text(let words):
            return words
        case .lag(let lag):
            return "lag \(lag)"
        case let .windowIncomplete(observations, needed, lag):
            return "window incomplete (\(observations)/\(needed) observations), lag \(lag)"
        case let .caughtUpWithin(span, lag):
            return "caught up within the last \(seconds(span)), lag \(lag)"
        case let .unchangedBriefly(minimum, lag):
            return "committed offset unchanged for less than \(seconds(minimum)), lag \(lag)"
        case .advancing(let lag):
            return "lag \(lag), consumer advancing"
        case let .grew(first, lag, span, standing):
            return "lag grew \(first) → \(lag) over \(seconds(span))" + (standing ? " with the committed offset unchanged" : " while the consumer advanced")
        case let .rose(first, lag, span, rate):
            return "lag rose \(first) → \(lag) over \(seconds(span)) (+\(HealthEvaluator.rateText(rate)) offsets/s): the consumer falls behind"
        case let .standing(committed, stood, first, lag, owner):
            let at = committed.map { "committed offset \($0)" } ?? "no committed offset"
            if owner == nil {
                return "\(at) unchanged for \(seconds(stood)) while lag went \(first) → \(lag); no member owns the partition"
            }
            return "\(at) unchanged for \(seconds(stood)) while lag is \(lag) (owner \(owner ?? "?"))"
        }
    }
}

/// The verdict on one group: the worst of its own conditions and its partitions'.
///
/// The reason is kept as the figures it is written from (``Reason``) and put into words when read,
/// as a partition's is: a poll judges every group, while only the few on screen, in a report or
/// in an event are ever read. Equality, hashing and coding see the words.
public struct GroupVerdict: Sendable, Hashable, Codable {
    /// The group.
    public var groupID: String
    /// The verdict.
    public var status: HealthStatus
    /// Why, in words and numbers.
    public var reason: String {
        get { why.text }
        set { why = Reason(newValue) }
    }
    /// The reason, as the figures it is written from (read it as words with ``Reason/text``):
    /// what a reader that keeps many verdicts' reasons and shows few of them holds.
    public var why: Reason
    /// Every partition's verdict, sorted by partition.
    public var partitions: [PartitionVerdict]
    /// Members behind the assignment epoch longer than the threshold.
    public var stuckMembers: [StuckMember]
    /// The trend of the group's total lag over the kept polls: direction, rate (offsets per second)
    /// and time to catch up. Its direction is `growing` exactly when the verdicts count the lag as
    /// growing (``TimeLagEstimator/growthRate(_:allowedLag:)``); `unknown` with fewer than three polls.
    public var lagTrend: LagTrendResult

    /// Creates a group verdict.
    public init(
        groupID: String, status: HealthStatus, reason: String, partitions: [PartitionVerdict], stuckMembers: [StuckMember],
        lagTrend: LagTrendResult = LagTrendResult(trend: .unknown, offsetsPerSecond: nil, etaSeconds: nil)
    ) {
        self.init(groupID: groupID, status: status, why: Reason(reason), partitions: partitions, stuckMembers: stuckMembers, lagTrend: lagTrend)
    }

    /// Creates a group verdict whose reason is written when read.
    init(groupID: String, status: HealthStatus, why: Reason, partitions: [PartitionVerdict], stuckMembers: [StuckMember], lagTrend: LagTrendResult) {
        self.groupID = groupID
        self.status = status
        self.why = why
        self.partitions = partitions
        self.stuckMembers = stuckMembers
        self.lagTrend = lagTrend
    }

    private enum CodingKeys: String, CodingKey {
        case groupID, status, reason, partitions, stuckMembers, lagTrend
    }

    /// Decodes a verdict (the reason as text).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            groupID: try c.decode(String.self, forKey: .groupID), status: try c.decode(HealthStatus.self, forKey: .status),
            why: Reason(try c.decode(String.self, forKey: .reason)), partitions: try c.decode([PartitionVerdict].self, forKey: .partitions),
            stuckMembers: try c.decode([StuckMember].self, forKey: .stuckMembers), lagTrend: try c.decode(LagTrendResult.self, forKey: .lagTrend))
    }

    /// Encodes the verdict with its reason in words, in the order of its properties.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(groupID, forKey: .groupID)
        try c.encode(status, forKey: .status)
        try c.encode(reason, forKey: .reason)
        try c.encode(partitions, forKey: .partitions)
        try c.encode(stuckMembers, forKey: .stuckMembers)
        try c.encode(lagTrend, forKey: .lagTrend)
    }

    /// A group verdict's reason: words, or the figures of the common outcomes (every partition OK;
    /// the worst partition quoted), written when ``text`` is read. Equal and hashed as its words.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        private enum Storage: Sendable, Hashable {
            case text(String)
            /// `10 partition(s) OK, total lag 42`.
            case allOK(partitions: Int, totalLag: Int64)
            /// `3 partition(s) WARN; worst orders-2: ` and the worst partition's reason.
            case worst(count: Int, status: HealthStatus, partition: TopicPartition, why: VerdictReason)
        }

        private var storage: Storage

        /// A reason in words.
        public init(_ text: String) { storage = .text(text) }

        /// `partitions` partitions, all OK, with a total lag of `totalLag`.
        static func allOK(partitions: Int, totalLag: Int64) -> Reason { Reason(storage: .allOK(partitions: partitions, totalLag: totalLag)) }

        /// `count` partitions at `status`, the worst of them `partition` for `why`.
        static func worst(count: Int, status: HealthStatus, partition: TopicPartition, why: VerdictReason) -> Reason {
            Reason(storage: .worst(count: count, status: status, partition: partition, why: why))
        }

        private init(storage: Storage) { self.storage = storage }

        /// The reason in words.
        public var text: String {
            switch storage {
            case .text(let words):
                return words
            case let .allOK(partitions, totalLag):
                return "\(partitions) partition(s) OK, total lag \(totalLag)"
            case let .worst(count, status, partition, why):
                // "3 partition(s) WARN; worst orders-2: lag 40, ...", written into one string.
                var reason = String(count)
                reason.reserveCapacity(96)
                reason.append(" partition(s) ")
                reason.append(status.rawValue)
                reason.append("; worst ")
                reason.append(partition.topic)
                reason.append("-")
                reason.append(String(partition.partition))
                reason.append(": ")
                why.write(to: &reason)
                return reason
            }
        }

        /// The reason in words.
        public var description: String { text }

        /// Equal when the words are.
        public static func == (a: Reason, b: Reason) -> Bool { a.storage == b.storage || a.text == b.text }

        /// Hashes the words.
        public func hash(into hasher: inout Hasher) { hasher.combine(text) }
    }
}

/// Settings for ``HealthEvaluator``.
public struct HealthConfig: Sendable, Hashable, Codable {
    /// Lag at or below this counts as caught up (Burrow's `allowed-lag`).
    public var allowedLag: Int64
    /// Observations needed before a partition is judged (fewer gives OK, "window incomplete"), and
    /// before a group's lag can count as growing.
    public var minimumObservations: Int
    /// How long a committed offset must have stood still (as the polls saw it) before STALL or STOP
    /// (ms); both also need ``minimumObservations``. A consumer that commits every few seconds is not
    /// stalled between two commits.
    public var minimumStallMs: Int64
    /// How long a partition may sit in a rebalance hand-off before it is judged normally (ms).
    public var handoffGraceMs: Int64
    /// How long a member may stay behind the assignment epoch before the group is STUCK (ms).
    public var stuckThresholdMs: Int64

    /// Creates a configuration.
    public init(
        allowedLag: Int64 = 0, minimumObservations: Int = 3, minimumStallMs: Int64 = 15_000, handoffGraceMs: Int64 = 60_000,
        stuckThresholdMs: Int64 = 30_000
    ) {
        self.allowedLag = allowedLag
        self.minimumObservations = minimumObservations
        self.minimumStallMs = minimumStallMs
        self.handoffGraceMs = handoffGraceMs
        self.stuckThresholdMs = stuckThresholdMs
    }
}

/// Burrow-style verdicts computed from the poller's own history (no `__consumer_offsets`). Pure.
///
/// Per partition, over its observations (oldest to newest), first match wins:
/// 1. **ERR**: the latest observation has an error or an unknown lag (**OK** when the lag is
///    not applicable: a share group's partition).
/// 2. **OK**: fewer than `minimumObservations` observations (not judged yet).
/// 3. **OK**: current lag ≤ `allowedLag`.
/// 4. **REWIND**: the committed offset went below an earlier one and did not come back.
/// 5. **REBALANCING**: the partition is pending revocation or awaiting release (or unowned while the
///    group rebalances) and has been for less than `handoffGraceMs`.
/// 6. **OK**: some observation in the window had lag ≤ `allowedLag` (recently caught up).
/// 7. **STOP** / **STALL**: the committed offset did not move across the window while lag > 0, and
///    has stood at that value for at least `minimumStallMs` (since the first poll that showed it):
///    STOP when nobody owns the partition (no consumer), STALL when a member owns it (a consumer is
///    there but makes no progress). Polling cannot see commits of an unchanged offset, so ownership
///    stands in for Burrow's commit timestamps.
/// 8. **WARN**: the lag grows: either it never decreased and ended higher than it started, or it
///    rises by a clear least-squares trend (``TimeLagEstimator/growthRate(_:allowedLag:)``).
///    (Unlike Burrow, a constant lag with a moving consumer is OK: it keeps pace.)
/// 9. **OK** otherwise.
///
/// Per group: ERR for a group-level error, STUCK for members behind the assignment epoch longer than
/// `stuckThresholdMs`, REBALANCING while the state is Assigning / Reconciling / PreparingRebalance /
/// CompletingRebalance, and (when not rebalancing) WARN when the group's total lag grows across the
/// kept polls by the same trend rule, even when no single partition's does (a consumer that
/// commits in bursts); the group's verdict is the most severe of these and its partitions'.
public enum HealthEvaluator {
    /// Evaluates one group against the history (which should already include the group's snapshot).
    public static func evaluate(group: Group, history: History, now: Int64, config: HealthConfig = HealthConfig()) -> GroupVerdict {
        var scratch = Scratch()
        return evaluate(group: group, history: history, now: now, config: config, scratch: &scratch)
    }

    /// Reusable buffers, so that judging a partition allocates nothing but its verdict.
    struct Scratch {
        /// A window given as observations (``evaluate(row:observations:groupRebalancing:now:config:)``);
        /// a group's windows are read from its ring instead.
        var window: [WindowEntry] = []
        var groupLags: [LagSample] = []
    }

    /// What the rules read of one observation.
    struct WindowEntry {
        var timestamp: Int64
        var committed: Int64?
        var lag: Int64?
        var handoff: HandoffState

        init(timestamp: Int64, committed: Int64?, lag: Int64?, handoff: HandoffState) {
            self.timestamp = timestamp
            self.committed = committed
            self.lag = lag
            self.handoff = handoff
        }

        init(_ obs: PartitionObservation) {
            self.init(timestamp: obs.timestamp, committed: obs.committed, lag: obs.lag.offsets, handoff: obs.handoff)
        }
    }

    /// ``evaluate(group:history:now:config:)`` with caller-owned buffers (one set for a whole poll).
    static func evaluate(group: Group, history: History, now: Int64, config: HealthConfig, scratch: inout Scratch) -> GroupVerdict {
        let ring = history.groupRings[group.groupID]
        return withUnsafePointer(to: group) { group in
            evaluate(group: group, ring: ring, behindSince: history.behindSince, now: now, config: config, scratch: &scratch)
        }
    }

    /// ``evaluate(group:history:now:config:scratch:)`` given the group, read where the caller keeps
    /// it (a group handed over by value from a list is copied, every field retained, and the
    /// derivation judges every group of every poll), its ring (borrowed where the history keeps it,
    /// ``History/withGroupRing(_:_:)``, not copied) and the history's ``History/behindSince``.
    /// `ringIsAligned`: the ring was recorded from these very rows (the history has just recorded
    /// this snapshot, and found the ring by the group's position), so row `i` is in slot `i`.
    static func evaluate(
        group: UnsafePointer<Group>, ring: borrowing GroupRing?, ringIsAligned: Bool = false, behindSince: [String: [String: Int64]], now: Int64,
        config: HealthConfig, scratch: inout Scratch
    ) -> GroupVerdict {
        let rebalancing = group.pointee.state.isRebalancing
        var partitions: [PartitionVerdict] = []
        partitions.reserveCapacity(group.pointee.partitions.count)
        // The rows' windows are read from the ring; nothing may be left from an earlier caller.
        scratch.window.removeAll(keepingCapacity: true)
        // Indexing (not `for row in`) reads the rows in place instead of copying each one.
        group.pointee.partitions.withUnsafeBufferPointer { rows in
            for index in rows.indices {
                let row = rows.baseAddress! + index
                let slot = if ringIsAligned { index } else { ring?.slot(of: row.pointee.topicPartition, hint: index) ?? -1 }
                let count = slot >= 0 ? ring?.count(slot: slot) ?? 0 : 0
                partitions.append(evaluate(
                    row: row, observationCount: count, groupRebalancing: rebalancing, now: now, config: config,
                    scratch: &scratch, ring: ring, slot: slot))
            }
        }
        var candidates: [(HealthStatus, GroupVerdict.Reason)] = []
        if let error = group.pointee.error { candidates.append((.err, GroupVerdict.Reason("group error \(error)"))) }

        var stuck: [StuckMember] = []
        for member in group.pointee.hasMembersBehindAssignmentEpoch ? group.pointee.membersBehindAssignmentEpoch : [] {
            guard let since = behindSince[group.pointee.groupID]?[member.memberID], now - since >= config.stuckThresholdMs else { continue }
            stuck.append(StuckMember(member: member, assignmentEpoch: group.pointee.assignmentEpoch, behindSince: since, now: now))
        }
        if !stuck.isEmpty {
            let names = stuck.map { member in
                "\(member.name) at epoch \(member.memberEpoch.map(String.init) ?? "?") for \(seconds(member.behindForMs))"
            }
            candidates.append((.stuck, GroupVerdict.Reason(
                "\(stuck.count) member(s) behind assignment epoch \(group.pointee.assignmentEpoch.map(String.init) ?? "?"): " + names.joined(separator: "; "))))
        }
        if rebalancing {
            let progress = RebalanceProgress(group: group.pointee)
            candidates.append((.rebalancing, GroupVerdict.Reason("group is \(group.pointee.state.brokerString): \(progress)")))
        }
        // The first of the most severe verdicts, found by index (iterating would copy every verdict).
        var worst = -1
        for i in partitions.indices where worst < 0 || partitions[i].status > partitions[worst].status { worst = i }
        if worst >= 0, partitions[worst].status > .ok {
            let status = partitions[worst].status
            var count = 0
            for i in partitions.indices where partitions[i].status == status { count += 1 }
            candidates.append((status, .worst(count: count, status: status, partition: partitions[worst].topicPartition, why: partitions[worst].why)))
        }
        // The group's total lag, judged by the same growth rule (after the partitions, so that a
        // partition's own WARN names the partition).
        // The group's ring is at hand: its totals go into a reused buffer (as groupLagSamples).
        scratch.groupLags.removeAll(keepingCapacity: true)
        ring?.totalLagSamples(into: &scratch.groupLags)
        let lagSamples = scratch.groupLags
        let lagTrend = groupTrend(lagSamples, config: config)
        if !rebalancing, lagTrend.trend == .growing, let rate = lagTrend.offsetsPerSecond,
           let first = lagSamples.first, let last = lagSamples.last {
            candidates.append((.warn, GroupVerdict.Reason(
                "total lag grew \(first.lag) → \(last.lag) over \(seconds(last.timestamp - first.timestamp)) (+\(rateText(rate)) offsets/s): the consumers fall behind")))
        }
        let verdict = candidates.max { $0.0 < $1.0 }
        let reason = verdict?.1 ?? .allOK(partitions: partitions.count, totalLag: group.pointee.summary.totalLag)
        return GroupVerdict(
            groupID: group.pointee.groupID, status: verdict?.0 ?? .ok, why: reason, partitions: partitions, stuckMembers: stuck,
            lagTrend: lagTrend)
    }

    /// The trend of a group's total lag: `growing` only by the verdicts' growth rule, `unknown` below
    /// `minimumObservations` polls; otherwise the least-squares direction with a tolerance of
    /// 0.1 offsets/s, and the time to catch up at that rate.
    public static func groupTrend(_ samples: [LagSample], config: HealthConfig) -> LagTrendResult {
        guard samples.count >= max(3, config.minimumObservations) else {
            return LagTrendResult(trend: .unknown, offsetsPerSecond: nil, etaSeconds: samples.last.map { $0.lag == 0 ? 0 : nil } ?? nil)
        }
        var result = TimeLagEstimator.trend(samples)
        if let rate = TimeLagEstimator.growthRate(samples, allowedLag: config.allowedLag) {
            result.trend = .growing
            result.offsetsPerSecond = rate
        } else if result.trend == .growing {
            // Rising, but not clearly beyond the scatter: not counted as growth.
            result.trend = .steady
        }
        return result
    }

    /// Offsets per second, short: `12.5`, `340`, `2.1k`.
    public static func rateText(_ perSecond: Double) -> String {
        let sign = perSecond < 0 ? "-" : ""
        let magnitude = abs(perSecond)
        func oneDecimal(_ x: Double) -> String {
            let tenths = Int64((x * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)"
        }
        if magnitude >= 9_999.5 { return sign + "\(Int64((magnitude / 1000).rounded()))k" }
        if magnitude >= 999.5 { return sign + oneDecimal(magnitude / 1000) + "k" }
        if magnitude >= 99.95 { return sign + "\(Int64(magnitude.rounded()))" }
        return sign + oneDecimal(magnitude)
    }

    /// Evaluates one partition from its observations (oldest first; the last is the current one).
    public static func evaluate(
        row: GroupPartition, observations: [PartitionObservation], groupRebalancing: Bool, now: Int64, config: HealthConfig
    ) -> PartitionVerdict {
        var scratch = Scratch()
        scratch.window = observations.map(WindowEntry.init)
        return withUnsafePointer(to: row) { row in
            evaluate(
                row: row, observationCount: observations.count, groupRebalancing: groupRebalancing, now: now, config: config,
                scratch: &scratch, ring: nil, slot: -1)
        }
    }

    /// The rules. The window is the partition's `observationCount` observations, oldest first: read
    /// from `slot` of `ring` when the rules get that far, else (no ring) already in
    /// `scratch.window`; with no observations the row itself stands in for the window.
    static func evaluate(
        row: UnsafePointer<GroupPartition>, observationCount: Int, groupRebalancing: Bool, now: Int64, config: HealthConfig, scratch: inout Scratch,
        ring: borrowing GroupRing?, slot: Int
    ) -> PartitionVerdict {
        func verdict(_ status: HealthStatus, _ reason: String) -> PartitionVerdict {
            verdict(status, .text(reason))
        }
        func verdict(_ status: HealthStatus, _ why: VerdictReason) -> PartitionVerdict {
            // A known lag is read from the stored bits (the getter would copy the row).
            let lag = row.pointee.lagOffsets.map { LagValue.known($0) } ?? row.pointee.lag
            return PartitionVerdict(topicPartition: row.pointee.topicPartition, status: status, why: why, lag: lag, observations: observationCount)
        }
        // 1. Errors.
        if row.pointee.hasError, let error = row.pointee.error { return verdict(.err, "error \(error)") }
        guard let lag = row.pointee.lagOffsets else {
            // A share group's partition has no lag to judge (it commits no offsets).
            if row.pointee.lag.isNotApplicable { return verdict(.ok, "lag \(LagValue.notApplicableReason)") }
            if case .unknown(let why) = row.pointee.lag { return verdict(.err, "lag unknown: \(why)") }
            return verdict(.err, "lag unknown")
        }
        // 2. Incomplete window.
        if observationCount < config.minimumObservations {
            return verdict(.ok, .windowIncomplete(observations: observationCount, needed: config.minimumObservations, lag: lag))
        }
        // 3. Caught up now.
        if lag <= config.allowedLag { return verdict(.ok, .lag(lag)) }
        // The window is read into memory on the stack (it holds at most the history's capacity).
        // The ring is read where it is (binding it with `if let` would copy it, for every row).
        if slot >= 0, let n = ring?.count(slot: slot), n > 0 {
            return withUnsafeTemporaryAllocation(of: WindowEntry.self, capacity: n) { buffer in
                ring?.readWindow(slot: slot, count: n, into: buffer.baseAddress!)
                let (status, why) = judge(row: row, lag: lag, window: UnsafeBufferPointer(buffer), groupRebalancing: groupRebalancing, now: now, config: config, ring: ring, slot: slot)
                return verdict(status, why)
            }
        }
        // A group's step leaves `scratch.window` empty: only a window given as observations is there.
        if scratch.window.isEmpty {
            let entry = WindowEntry(timestamp: now, committed: row.pointee.committedOffset, lag: lag, handoff: row.pointee.handoff)
            let (status, why) = withUnsafePointer(to: entry) { entry in
                judge(row: row, lag: lag, window: UnsafeBufferPointer(start: entry, count: 1), groupRebalancing: groupRebalancing, now: now, config: config, ring: nil, slot: -1)
            }
            return verdict(status, why)
        }
        let (status, why) = scratch.window.withUnsafeBufferPointer { window in
            judge(row: row, lag: lag, window: window, groupRebalancing: groupRebalancing, now: now, config: config, ring: nil, slot: -1)
        }
        return verdict(status, why)
    }

    /// Rules 4 to 9 over a partition's window (not empty), read in place: no list is built.
    private static func judge(
        row: UnsafePointer<GroupPartition>, lag: Int64, window: UnsafeBufferPointer<WindowEntry>, groupRebalancing: Bool, now: Int64,
        config: HealthConfig, ring: borrowing GroupRing?, slot: Int
    ) -> (HealthStatus, VerdictReason) {
        // 4. Rewind: a committed offset below the one before it, not reached again later.
        var previous: Int64?
        for i in window.indices {
            guard let c = window[i].committed else { continue }
            if let high = previous, c < high {
                var recovered = false
                var latest = c
                for j in (i + 1)..<window.count {
                    guard let d = window[j].committed else { continue }
                    latest = d
                    if d >= high { recovered = true }
                }
                if !recovered {
                    return (.rewind, .text("committed offset went back from \(high) to \(c) and has not recovered (now \(latest))"))
                }
            }
            previous = c
        }
        let first = window[0]
        let last = window[window.count - 1]
        let span = last.timestamp - first.timestamp
        // 5. Hand-off grace.
        func inHandoff(_ entry: WindowEntry) -> Bool {
            entry.handoff == .pendingRevocation || entry.handoff == .awaitingRelease || (entry.handoff == .unowned && groupRebalancing)
        }
        if inHandoff(last) {
            var since = last.timestamp
            for i in window.indices.reversed() {
                guard inHandoff(window[i]) else { break }
                since = window[i].timestamp
            }
            if now - since < config.handoffGraceMs {
                return (.rebalancing, .text("in hand-off (\(last.handoff.rawValue)) for \(seconds(now - since)) of a \(seconds(config.handoffGraceMs)) grace, lag \(lag)"))
            }
        }
        // 6. Recently caught up. The known lags of the window: the first, whether they never
        // decrease, how many.
        var firstLag: Int64?
        var previousLag: Int64?
        var neverDecreases = true
        var known = 0
        for i in window.indices {
            guard let l = window[i].lag else { continue }
            if l <= config.allowedLag { return (.ok, .caughtUpWithin(spanMs: span, lag: lag)) }
            if firstLag == nil { firstLag = l }
            if let p = previousLag, l < p { neverDecreases = false }
            previousLag = l
            known += 1
        }
        // 7. Not moving, for long enough.
        let firstOrNow = firstLag ?? lag
        let committedNow = row.pointee.committedOffset
        var standing = true
        for i in window.indices where window[i].committed != committedNow {
            standing = false
            break
        }
        if standing {
            // Since when the polls have seen this committed offset: the commit mark outlives the
            // window; without one, the window's start.
            var since = first.timestamp
            if slot >= 0, let mark = ring?.commitMark(slot: slot), mark.offset == committedNow { since = min(since, mark.since) }
            let stood = now - since
            if stood >= config.minimumStallMs {
                let why = VerdictReason.standing(committed: committedNow, stoodMs: stood, first: firstOrNow, lag: lag, owner: row.pointee.owner)
                return (row.pointee.owner == nil ? .stop : .stall, why)
            }
        }
        // 8. Falling behind.
        if neverDecreases, lag > firstOrNow {
            return (.warn, .grew(first: firstOrNow, lag: lag, spanMs: span, standing: standing))
        }
        let rate = withUnsafeTemporaryAllocation(of: LagSample.self, capacity: max(1, known)) { buffer -> Double? in
            var n = 0
            for i in window.indices {
                guard let l = window[i].lag else { continue }
                buffer.initializeElement(at: n, to: LagSample(timestamp: window[i].timestamp, lag: l))
                n += 1
            }
            return TimeLagEstimator.growthRate(UnsafeBufferPointer(rebasing: buffer[..<n]), allowedLag: config.allowedLag)
        }
        if let rate {
            return (.warn, .rose(first: firstOrNow, lag: lag, spanMs: span, rate: rate))
        }
        if standing {
            return (.ok, .unchangedBriefly(minimumStallMs: config.minimumStallMs, lag: lag))
        }
        return (.ok, .advancing(lag: lag))
    }

    /// Milliseconds as `12 s` / `1.5 s`.
    static func seconds(_ ms: Int64) -> String {
        ms % 1000 == 0 ? "\(ms / 1000) s" : "\(Double(ms) / 1000) s"
    }
}

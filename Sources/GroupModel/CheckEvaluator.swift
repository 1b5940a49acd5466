import Foundation

// `kgtop check`'s rules, beside the health evaluator: what an operator's rule concludes about a
// group, from snapshots, verdicts and (for the time-lag rules) offsets the caller looked up. Pure:
// the CLI selects the groups, asks the brokers and prints; everything it concludes is decided here.

// MARK: - Severity

/// The grade of a `kgtop check` finding, in the four levels monitoring systems read as a plugin's
/// exit code (the raw value).
///
/// ``HealthStatus`` is what the monitor concludes on its own (the dashboard's VERDICT column);
/// a `CheckStatus` is what an operator's ``CheckRule`` concludes. A rule may use a verdict's
/// findings (``CheckRule/noStuck`` counts the evaluator's STUCK members, ``CheckRule/noLagGrowth``
/// its growth rule), and the report quotes the verdict beside the findings.
public enum CheckStatus: Int32, Sendable, Hashable, Encodable, Comparable {
    /// Every rule holds.
    case ok = 0
    /// A warning threshold is crossed.
    case warning = 1
    /// A rule fails.
    case critical = 2
    /// A rule could not be decided (the cluster or a group could not be observed).
    case unknown = 3

    /// OK < WARN < UNKNOWN < CRITICAL: a definite failure outranks a partial observation.
    public var rank: Int {
        switch self {
        case .ok: return 0
        case .warning: return 1
        case .unknown: return 2
        case .critical: return 3
        }
    }

    /// Orders by ``rank``.
    public static func < (a: CheckStatus, b: CheckStatus) -> Bool { a.rank < b.rank }

    /// `OK`, `WARN`, `CRITICAL`, `UNKNOWN`: the word in the summary and in JSON.
    public var word: String {
        switch self {
        case .ok: return "OK"
        case .warning: return "WARN"
        case .critical: return "CRITICAL"
        case .unknown: return "UNKNOWN"
        }
    }

    /// Encodes as ``word``.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(word)
    }
}

// MARK: - Rules

/// One rule of `kgtop check`, for the groups its regular expression selects.
///
/// JSON (a `--rules` file is a list of these, or `{"rules": [...]}`), keys as the flags:
/// `group`, `max-lag`, `warn-lag`, `max-time-lag`, `warn-time-lag` (`"30s"` or seconds),
/// `state` (string or list), `protocol`, `min-members`, `no-stuck`, `no-lag-growth`. Decoding
/// refuses unknown keys, an unknown protocol and a malformed duration, naming the key.
public struct CheckRule: Sendable, Hashable, Decodable {
    /// The protocols `protocol` may name.
    public static let protocols = ["classic", "consumer", "mixed"]

    /// The groups the rule applies to (a regular expression searched in the group id); nil: all.
    public var group: String?
    /// CRITICAL when the group's total lag exceeds this.
    public var maxLag: Int64?
    /// WARN when the group's total lag exceeds this (and not ``maxLag``).
    public var warnLag: Int64?
    /// CRITICAL when a partition is more than this far behind in time (ms).
    public var maxTimeLagMs: Int64?
    /// WARN when a partition is more than this far behind in time (ms).
    public var warnTimeLagMs: Int64?
    /// CRITICAL unless the group is in one of these states (case does not matter); empty: any.
    public var states: [String] = []
    /// CRITICAL unless the group uses this protocol (one of ``protocols``).
    public var `protocol`: String?
    /// CRITICAL when the group has fewer members.
    public var minMembers: Int?
    /// CRITICAL when a member stays behind the assignment epoch (or a classic group stays in a
    /// rebalance) across the samples.
    public var noStuck = false
    /// WARN when the group's total lag grows.
    public var noLagGrowth = false

    /// Creates a rule.
    public init(group: String? = nil, maxLag: Int64? = nil, warnLag: Int64? = nil, maxTimeLagMs: Int64? = nil,
                warnTimeLagMs: Int64? = nil, states: [String] = [], protocol: String? = nil, minMembers: Int? = nil,
                noStuck: Bool = false, noLagGrowth: Bool = false) {
        self.group = group
        self.maxLag = maxLag
        self.warnLag = warnLag
        self.maxTimeLagMs = maxTimeLagMs
        self.warnTimeLagMs = warnTimeLagMs
        self.states = states
        self.protocol = `protocol`
        self.minMembers = minMembers
        self.noStuck = noStuck
        self.noLagGrowth = noLagGrowth
    }

    /// Whether the rule checks nothing (groups are then only checked for errors).
    public var isEmpty: Bool {
        maxLag == nil && warnLag == nil && maxTimeLagMs == nil && warnTimeLagMs == nil && states.isEmpty
            && self.protocol == nil && minMembers == nil && !noStuck && !noLagGrowth
    }

    /// Whether the rule needs more than one poll.
    public var needsHistory: Bool { noStuck || noLagGrowth }

    private enum Key: String, CodingKey, CaseIterable {
        case group, maxLag = "max-lag", warnLag = "warn-lag", maxTimeLag = "max-time-lag", warnTimeLag = "warn-time-lag"
        case state, `protocol`, minMembers = "min-members", noStuck = "no-stuck", noLagGrowth = "no-lag-growth"
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes a rule from its JSON keys.
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(Key.allCases.map(\.rawValue))
        for key in raw.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: raw,
                debugDescription: "unknown key \"\(key.stringValue)\"; valid: \(Key.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let c = try decoder.container(keyedBy: Key.self)
        group = try c.decodeIfPresent(String.self, forKey: .group)
        maxLag = try c.decodeIfPresent(Int64.self, forKey: .maxLag)
        warnLag = try c.decodeIfPresent(Int64.self, forKey: .warnLag)
        maxTimeLagMs = try Self.duration(c, .maxTimeLag)
        warnTimeLagMs = try Self.duration(c, .warnTimeLag)
        if let one = try? c.decodeIfPresent(String.self, forKey: .state) {
            states = [one]
        } else {
            states = try c.decodeIfPresent([String].self, forKey: .state) ?? []
        }
        self.protocol = try c.decodeIfPresent(String.self, forKey: .protocol)?.lowercased()
        if let p = self.protocol, !Self.protocols.contains(p) {
            throw DecodingError.dataCorruptedError(forKey: .protocol, in: c, debugDescription: "\"\(p)\" is not one of \(Self.protocols.joined(separator: ", "))")
        }
        minMembers = try c.decodeIfPresent(Int.self, forKey: .minMembers)
        noStuck = try c.decodeIfPresent(Bool.self, forKey: .noStuck) ?? false
        noLagGrowth = try c.decodeIfPresent(Bool.self, forKey: .noLagGrowth) ?? false
    }

    private static func duration(_ c: KeyedDecodingContainer<Key>, _ key: Key) throws -> Int64? {
        if let seconds = try? c.decodeIfPresent(Double.self, forKey: key) {
            guard seconds >= 0, seconds * 1_000 <= Double(DurationText.maximumMs) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(key.stringValue) \(seconds): must be 0 to 365 days, in seconds")
            }
            return Int64((seconds * 1_000).rounded())
        }
        guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
        do {
            return try DurationText.milliseconds(text)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(key.stringValue) \"\(text)\": \(error.description)")
        }
    }
}

// MARK: - Report

/// One failed (or undecidable) rule.
public struct CheckFinding: Sendable, Encodable, Hashable {
    /// The rule's name: its flag without dashes (`max-lag`), or `describe`, `group`, `observe`.
    public var rule: String
    /// The grade.
    public var status: CheckStatus
    /// What was found, in words and numbers.
    public var message: String

    /// Creates a finding.
    public init(rule: String, status: CheckStatus, message: String) {
        self.rule = rule
        self.status = status
        self.message = message
    }
}

/// The result for one group.
public struct GroupCheck: Sendable, Encodable {
    /// The group.
    public var groupID: String
    /// The worst of ``findings``, OK without any.
    public var status: CheckStatus
    /// The group's state, as the broker names it.
    public var state: String
    /// `classic`, `consumer` or `mixed`.
    public var `protocol`: String
    /// How many members the group has.
    public var members: Int
    /// The group's known total lag.
    public var totalLag: Int64
    /// Partitions whose lag is unknown.
    public var lagUnknownPartitions: Int
    /// The health evaluator's verdict, `STATUS: reason`.
    public var verdict: String?
    /// The findings of every rule that selected the group, without repeats.
    public var findings: [CheckFinding]
}

/// The whole `kgtop check` result (JSON schema kgtop.check/1).
public struct CheckReport: Sendable, Encodable {
    /// `kgtop.check/1`.
    public var schema = "kgtop.check/1"
    /// The worst status of every group and problem.
    public var status: CheckStatus
    /// The process's exit code (``status``'s raw value).
    public var exitCode: Int32
    /// When the check was made (ms since the epoch).
    public var checkedAt: Int64
    /// How many polls the check used.
    public var samples: Int
    /// The groups some rule selected, sorted by id.
    public var groups: [GroupCheck]
    /// Findings not tied to one group (no group matches, cluster not observed).
    public var problems: [CheckFinding]

    /// The report of a check that could not observe the cluster: UNKNOWN, with why.
    public static func unobserved(_ why: String, at now: Int64, samples: Int) -> CheckReport {
        CheckReport(
            status: .unknown, exitCode: CheckStatus.unknown.rawValue, checkedAt: now, samples: samples, groups: [],
            problems: [CheckFinding(rule: "observe", status: .unknown, message: "could not observe the cluster: \(why)")])
    }

    /// The summary for people: one line for the whole check, one per group, one per problem.
    public var summaryLines: [String] {
        var lines = ["kgtop check: \(status.word): \(groups.count) group(s) checked" + (samples > 1 ? " over \(samples) samples" : "")]
        for g in groups {
            var line = "\(g.status.word) \(g.groupID) (\(g.protocol), \(g.state), \(g.members) member(s), lag \(g.totalLag)\(g.lagUnknownPartitions > 0 ? "+?" : ""))"
            if !g.findings.isEmpty { line += ": " + g.findings.map(\.message).joined(separator: "; ") }
            lines.append(line)
        }
        for p in problems { lines.append("\(p.status.word) \(p.message)") }
        return lines
    }
}

// MARK: - Evaluation

/// What ListOffsets by timestamp answered for the partitions of one time-lag threshold.
public struct OffsetsAtTime: Sendable, Hashable {
    /// One partition's answer.
    public enum Answer: Sendable, Hashable {
        /// The first offset whose record is at or after the timestamp; -1 when no record is that recent.
        case offset(Int64)
        /// The broker refused this partition; why.
        case failed(String)
    }

    /// The answers, by partition.
    public var answers: [TopicPartition: Answer]
    /// Why the whole request failed (then ``answers`` is empty).
    public var failure: String?

    /// Creates the answers of one lookup.
    public init(answers: [TopicPartition: Answer] = [:], failure: String? = nil) {
        self.answers = answers
        self.failure = failure
    }
}

/// `kgtop check`'s rules engine: applies ``CheckRule``s to the groups each selects and collects a
/// ``CheckReport``. Pure; the caller selects the groups (by the rule's pattern) and, for the
/// time-lag rules, looks up the offsets at `now − threshold` (``timeLagThresholds(_:)``,
/// ``timeLagPartitions(_:)``).
///
/// Per group and rule: UNKNOWN when the group could not be described; `max-lag` CRITICAL above the
/// limit, UNKNOWN when within it but some partition's lag is unknown; `warn-lag` WARN above its
/// limit unless `max-lag` already fires; `state`, `protocol`, `min-members` CRITICAL when unmet;
/// `no-stuck` and `no-lag-growth` as ``stuckFinding(group:history:verdict:)`` and
/// ``lagGrowthFinding(group:history:verdict:)`` say; the time-lag rules as
/// ``timeLagFindings(rule:groups:offsets:)`` says. A group's status is the worst of its findings.
public struct CheckEvaluator: Sendable {
    /// One time-lag threshold of a rule: its name, its limit and the grade when exceeded.
    public struct TimeLagThreshold: Sendable, Hashable {
        /// `max-time-lag` or `warn-time-lag`.
        public var rule: String
        /// The limit (ms).
        public var limitMs: Int64
        /// CRITICAL or WARN.
        public var status: CheckStatus
    }

    private let snapshot: ClusterSnapshot
    private let history: [ClusterSnapshot]
    private let verdicts: [String: GroupVerdict]
    private let now: Int64
    private let timeLags: [String: PartitionTimeLags]
    private var problems: [CheckFinding] = []
    private var perGroup: [String: [CheckFinding]] = [:]
    private var selected: [String: Group] = [:]

    /// Starts a check of `snapshot` (the newest of `history`, oldest first) with the monitor's
    /// verdicts and time lags from the same poll.
    public init(
        snapshot: ClusterSnapshot, history: [ClusterSnapshot], verdicts: [String: GroupVerdict], now: Int64,
        timeLags: [String: PartitionTimeLags] = [:]
    ) {
        self.snapshot = snapshot
        self.history = history
        self.verdicts = verdicts
        self.now = now
        self.timeLags = timeLags
    }

    /// Records that `rule`'s pattern matches no group: CRITICAL, or UNKNOWN when a broker could
    /// not list its groups (it may coordinate the missing group).
    public mutating func noGroupMatches(_ rule: CheckRule) {
        let pattern = rule.group.map { "/\($0)/" } ?? "(any)"
        let unlisted = snapshot.errors.filter { $0.scope == .broker && $0.operation == "ListGroups" }.compactMap(\.brokerID)
        if unlisted.isEmpty {
            problems.append(CheckFinding(rule: "group", status: .critical, message: "no group matches \(pattern)"))
        } else {
            problems.append(CheckFinding(
                rule: "group", status: .unknown,
                message: "no group matches \(pattern), but broker(s) \(unlisted.sorted().map(String.init).joined(separator: ", ")) could not list their groups"))
        }
    }

    /// Applies `rule` to the `groups` it selects; `offsets` are the lookups for the rule's
    /// ``timeLagThresholds(_:)``, in that order.
    public mutating func apply(_ rule: CheckRule, to groups: [Group], offsets: [OffsetsAtTime] = []) {
        let timeFindings = timeLagFindings(rule: rule, groups: groups, offsets: offsets)
        for g in groups {
            selected[g.groupID] = g
            perGroup[g.groupID, default: []] += Self.findings(rule: rule, group: g, history: history, verdict: verdicts[g.groupID])
            perGroup[g.groupID, default: []] += timeFindings[g.groupID] ?? []
        }
    }

    /// The report of the rules applied so far.
    public var report: CheckReport {
        var checks: [GroupCheck] = []
        for (id, g) in selected.sorted(by: { $0.key < $1.key }) {
            var seen: Set<CheckFinding> = []
            let list = (perGroup[id] ?? []).filter { seen.insert($0).inserted }
            checks.append(GroupCheck(
                groupID: id, status: list.map(\.status).max() ?? .ok, state: g.state.brokerString, protocol: g.protocol.rawValue,
                members: g.members.count, totalLag: g.summary.totalLag, lagUnknownPartitions: g.summary.partitionsLagUnknown,
                verdict: verdicts[id].map { "\($0.status.rawValue): \($0.reason)" }, findings: list))
        }
        let status = (checks.map(\.status) + problems.map(\.status)).max() ?? .ok
        return CheckReport(status: status, exitCode: status.rawValue, checkedAt: now, samples: history.count, groups: checks, problems: problems)
    }

    /// The findings of every rule except time lag.
    public static func findings(rule: CheckRule, group g: Group, history: [ClusterSnapshot], verdict: GroupVerdict?) -> [CheckFinding] {
        var out: [CheckFinding] = []
        if let error = g.error {
            out.append(CheckFinding(rule: "describe", status: .unknown, message: "could not describe the group: \(error)"))
        }
        let lag = g.summary.totalLag
        let unknownParts = g.summary.partitionsLagUnknown
        if let max = rule.maxLag {
            if lag > max {
                out.append(CheckFinding(rule: "max-lag", status: .critical, message: "lag \(g.summary.totalLagText) > max-lag \(max)\(worst(g))"))
            } else if unknownParts > 0 {
                out.append(CheckFinding(rule: "max-lag", status: .unknown, message: "lag unknown on \(unknownParts) partition(s) (known lag \(lag) ≤ \(max))"))
            }
        }
        if let warn = rule.warnLag, lag > warn, !(rule.maxLag.map { lag > $0 } ?? false) {
            out.append(CheckFinding(rule: "warn-lag", status: .warning, message: "lag \(g.summary.totalLagText) > warn-lag \(warn)\(worst(g))"))
        }
        if !rule.states.isEmpty, !rule.states.contains(where: { $0.lowercased() == g.state.brokerString.lowercased() }) {
            out.append(CheckFinding(rule: "state", status: .critical, message: "state \(g.state.brokerString), expected \(rule.states.joined(separator: " or "))"))
        }
        if let p = rule.protocol, g.protocol.rawValue != p {
            out.append(CheckFinding(rule: "protocol", status: .critical, message: "protocol \(g.protocol.rawValue), expected \(p)"))
        }
        if let min = rule.minMembers, g.members.count < min {
            out.append(CheckFinding(rule: "min-members", status: .critical, message: "\(g.members.count) member(s) < min-members \(min)"))
        }
        if rule.noStuck, let f = stuckFinding(group: g, history: history, verdict: verdict) { out.append(f) }
        if rule.noLagGrowth, let f = lagGrowthFinding(group: g, history: history, verdict: verdict) { out.append(f) }
        return out
    }

    private static func worst(_ g: Group) -> String {
        guard let tp = g.summary.maxLagPartition, let max = g.summary.maxLag else { return "" }
        return " (worst \(tp) at \(max))"
    }

    /// `no-stuck`, CRITICAL. KIP-848: members behind the assignment epoch in every sample, and the
    /// verdict's STUCK members; classic: a rebalance state in every sample. Nil with fewer than two
    /// samples of the group.
    public static func stuckFinding(group g: Group, history: [ClusterSnapshot], verdict: GroupVerdict?) -> CheckFinding? {
        let views = history.compactMap { s in s.groups.first { $0.groupID == g.groupID } }
        guard views.count >= 2, let first = history.first?.takenAt, let last = history.last?.takenAt else { return nil }
        let span = DurationText.seconds(last - first)
        if g.type == .classic {
            if views.allSatisfy({ $0.state.isRebalancing }) {
                return CheckFinding(rule: "no-stuck", status: .critical, message: "rebalance (\(g.state.brokerString)) did not finish across \(views.count) samples over \(span)")
            }
            return nil
        }
        var behind = Set(views[0].membersBehindAssignmentEpoch.map(\.memberID))
        for v in views.dropFirst() { behind.formIntersection(v.membersBehindAssignmentEpoch.map(\.memberID)) }
        for m in verdict?.stuckMembers ?? [] { behind.insert(m.memberID) }
        guard !behind.isEmpty else { return nil }
        let names = g.members.filter { behind.contains($0.memberID) }.map { m in
            "\(m.name) at epoch \(m.memberEpoch.map(String.init) ?? "?")"
        }
        return CheckFinding(
            rule: "no-stuck", status: .critical,
            message: "\(behind.count) member(s) behind assignment epoch \(g.assignmentEpoch.map(String.init) ?? "?") across \(views.count) samples over \(span): \(names.joined(separator: "; "))")
    }

    /// `no-lag-growth`, WARN when the group's total lag grows: by the health evaluator's growth
    /// rule over the monitor's kept polls when it has enough of them (the verdict's trend, as the
    /// dashboard shows it); with fewer samples, when the total lag rose at every sample.
    public static func lagGrowthFinding(group g: Group, history: [ClusterSnapshot], verdict: GroupVerdict? = nil) -> CheckFinding? {
        let lags = history.compactMap { s in s.groups.first { $0.groupID == g.groupID }?.summary.totalLag }
        if let trend = verdict?.lagTrend, trend.trend != .unknown {
            guard trend.trend == .growing, let rate = trend.offsetsPerSecond else { return nil }
            let span = (history.last?.takenAt ?? 0) - (history.first?.takenAt ?? 0)
            return CheckFinding(
                rule: "no-lag-growth", status: .warning,
                message: "lag grew \(lags.first.map(String.init) ?? "?") → \(lags.last.map(String.init) ?? "?") over \(DurationText.seconds(span)) (+\(HealthEvaluator.rateText(rate)) offsets/s)")
        }
        guard lags.count >= 2, zip(lags, lags.dropFirst()).allSatisfy({ $1 > $0 }) else { return nil }
        let samples = history.map { s in LagSample(timestamp: s.takenAt, lag: s.groups.first { $0.groupID == g.groupID }?.summary.totalLag ?? 0) }
        let trend = TimeLagEstimator.trend(samples)
        let rate = trend.offsetsPerSecond.map { String(format: "%.1f", $0) } ?? "?"
        return CheckFinding(rule: "no-lag-growth", status: .warning, message: "lag grew \(lags.map(String.init).joined(separator: " → ")) (\(rate) offsets/s)")
    }

    /// The time-lag thresholds of `rule` to look up, CRITICAL first; `warn-time-lag` is left out
    /// when `max-time-lag` is no longer than it (it could never fire alone).
    public static func timeLagThresholds(_ rule: CheckRule) -> [TimeLagThreshold] {
        var out: [TimeLagThreshold] = []
        if let max = rule.maxTimeLagMs { out.append(TimeLagThreshold(rule: "max-time-lag", limitMs: max, status: .critical)) }
        if let warn = rule.warnTimeLagMs, !(rule.maxTimeLagMs.map { $0 <= warn } ?? false) {
            out.append(TimeLagThreshold(rule: "warn-time-lag", limitMs: warn, status: .warning))
        }
        return out
    }

    /// The rows a time-lag rule judges: partitions assigned, or with a commit.
    private static func timeLagRows(_ groups: [Group]) -> [(Group, GroupPartition)] {
        groups.flatMap { g in g.partitions.filter { $0.handoff != .notAssigned || $0.committedOffset != nil }.map { (g, $0) } }
    }

    /// The partitions whose offsets at `now − threshold` a time-lag rule needs, sorted, once each.
    public static func timeLagPartitions(_ groups: [Group]) -> [TopicPartition] {
        Array(Set(timeLagRows(groups).map(\.1.topicPartition))).sorted()
    }

    /// The exact time-lag test: a partition is within X iff its committed offset is at or past the
    /// offset at `now − X` (the log end when no record is that recent). A partition without a
    /// commit is measured from the log start. A finding names the partition's time lag as the
    /// dashboard shows it (from the same poll), so the two can be compared. Many partitions over
    /// one threshold make one finding per rule and group, with the first as example.
    public func timeLagFindings(rule: CheckRule, groups: [Group], offsets: [OffsetsAtTime]) -> [String: [CheckFinding]] {
        var out: [String: [CheckFinding]] = [:]
        let thresholds = Self.timeLagThresholds(rule)
        guard !thresholds.isEmpty else { return out }
        let rows = Self.timeLagRows(groups)
        var critical: Set<String> = []
        for (index, threshold) in thresholds.enumerated() {
            let (name, limit, status) = (threshold.rule, threshold.limitMs, threshold.status)
            let lookup = index < offsets.count ? offsets[index] : OffsetsAtTime()
            for (g, row) in rows {
                if status == .warning && critical.contains("\(g.groupID)|\(row.topicPartition)") { continue }
                let committed = row.committedOffset ?? row.logStart ?? 0
                switch lookup.answers[row.topicPartition] {
                case .offset(let offset)?:
                    let threshold: Int64? = offset >= 0 ? offset : row.logEnd
                    guard let threshold else {
                        out[g.groupID, default: []].append(CheckFinding(rule: name, status: .unknown, message: "\(row.topicPartition): log end unknown"))
                        continue
                    }
                    if committed < threshold {
                        if status == .critical { critical.insert("\(g.groupID)|\(row.topicPartition)") }
                        let at = offset >= 0
                            ? "offset \(threshold) at now−\(DurationText.seconds(limit))"
                            : "the log end \(threshold) (nothing newer than now−\(DurationText.seconds(limit)))"
                        out[g.groupID, default: []].append(CheckFinding(
                            rule: name, status: status,
                            message: "\(row.topicPartition) more than \(DurationText.seconds(limit)) behind: committed \(committed) < \(at)"
                                + (timeLags[g.groupID]?[row.topicPartition].map { " (time lag \($0))" } ?? "")))
                    }
                case .failed(let why)?:
                    out[g.groupID, default: []].append(CheckFinding(rule: name, status: .unknown, message: "\(row.topicPartition): ListOffsets by timestamp failed: \(why)"))
                case nil:
                    out[g.groupID, default: []].append(CheckFinding(rule: name, status: .unknown, message: "\(row.topicPartition): ListOffsets by timestamp failed: \(lookup.failure ?? "no answer")"))
                }
            }
        }
        for (id, list) in out {
            var merged: [CheckFinding] = []
            for ruleName in ["max-time-lag", "warn-time-lag"] {
                for st in [CheckStatus.critical, .warning, .unknown] {
                    let same = list.filter { $0.rule == ruleName && $0.status == st }
                    guard let first = same.first else { continue }
                    merged.append(same.count == 1 ? first : CheckFinding(rule: ruleName, status: st, message: "\(same.count) partitions, e.g. \(first.message)"))
                }
            }
            out[id] = merged
        }
        return out
    }
}

import ArgumentParser
import Foundation
import GroupModel
import KafkaAdmin
import Monitor

/// `kgtop check`: one health evaluation with monitoring-plugin exit codes.
public struct CheckCommand: AsyncParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check groups against rules; exit 0 OK, 1 WARN, 2 CRITICAL, 3 UNKNOWN.",
        discussion: """
            The rules come from flags (applied to the groups --group selects, all by default) and from \
            a JSON --rules file (a list of rules, each with its own "group" regular expression). At \
            least one rule is required: there is no default rule set, and --group alone is exit 64. A \
            rule whose regular expression matches no group is CRITICAL. --no-stuck and \
            --no-lag-growth need history: kgtop then polls --samples times, --sample-interval apart. \
            One line per group on stderr; the report as JSON on stdout with --json. \
            Exit codes: 0 OK, 1 WARN, 2 CRITICAL, 3 UNKNOWN (the cluster could not be observed, or a \
            group could not be described), 64 bad input. When groups differ, the exit code is the \
            worst in the order OK < WARN < UNKNOWN < CRITICAL.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("group"), help: ArgumentHelp("Groups the flag rules apply to (regular expression; default: the context's group, else all).", valueName: "regex"))
    var group: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("CRITICAL when a group's total lag exceeds N.", valueName: "n"))
    var maxLag: Int64?

    @Option(parsing: .unconditional, help: ArgumentHelp("WARN when a group's total lag exceeds N.", valueName: "n"))
    var warnLag: Int64?

    @Option(parsing: .unconditional, help: ArgumentHelp("CRITICAL when a partition is more than this far behind in time, e.g. 30s (exact ListOffsets-by-timestamp test).", valueName: "duration"), transform: DurationArgument.transform)
    var maxTimeLag: DurationArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("WARN when a partition is more than this far behind in time.", valueName: "duration"), transform: DurationArgument.transform)
    var warnTimeLag: DurationArgument?

    @Option(name: .customLong("state"), help: ArgumentHelp("CRITICAL unless the group is in this state (Stable, Empty, ...). Repeatable.", valueName: "state"))
    var states: [String] = []

    @Option(name: .customLong("protocol"), help: ArgumentHelp("CRITICAL unless the group uses this protocol: consumer, classic or mixed.", valueName: "protocol"))
    var groupProtocol: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("CRITICAL when the group has fewer members.", valueName: "n"))
    var minMembers: Int?

    @Flag(help: "CRITICAL when a member stays behind the assignment epoch (or a classic group stays in a rebalance) across the samples.")
    var noStuck = false

    @Flag(help: "WARN when the group's total lag grows across every sample.")
    var noLagGrowth = false

    @Option(help: ArgumentHelp("A JSON rules file (see docs/HEALTH.md).", valueName: "file"))
    var rules: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Polls to take when a rule needs history.", valueName: "n"))
    var samples: Int = 2

    @Option(parsing: .unconditional, help: ArgumentHelp("Time between those polls, e.g. 5s.", valueName: "duration"), transform: DurationArgument.transform)
    var sampleInterval: DurationArgument = DurationArgument(milliseconds: 5_000)

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    /// The most polls `--samples` may ask for.
    static let maxSamples = 1_000

    /// Creates the command with defaults.
    public init() {}

    /// Validates the options.
    public func validate() throws {
        if samples < 2 { throw ValidationError("--samples must be at least 2") }
        if samples > Self.maxSamples { throw ValidationError("--samples must be at most \(Self.maxSamples)") }
        if let minMembers, minMembers < 0 { throw ValidationError("--min-members must not be negative") }
        if let group { do throws(UserFacingError) { _ = try GroupPattern.compile(group, flag: "--group") } catch { throw ValidationError(error.message) } }
        if rules == nil && flagRule()?.isEmpty != false {
            throw ValidationError("no rule given: name at least one, e.g. --max-lag N, --state Stable, --min-members N, --no-stuck, or --rules FILE (--group alone selects groups; it checks nothing)")
        }
        for (name, v) in [("--max-lag", maxLag), ("--warn-lag", warnLag)] where (v ?? 0) < 0 {
            throw ValidationError("\(name) must not be negative")
        }
        if let p = groupProtocol, !CheckRule.protocols.contains(p.lowercased()) {
            throw ValidationError("--protocol \(p): not one of \(CheckRule.protocols.joined(separator: ", "))")
        }
    }

    /// The rule the flags describe, nil when no flag rule was given.
    func flagRule() -> CheckRule? {
        let rule = CheckRule(
            group: group, maxLag: maxLag, warnLag: warnLag, maxTimeLagMs: maxTimeLag?.milliseconds,
            warnTimeLagMs: warnTimeLag?.milliseconds, states: states, protocol: groupProtocol?.lowercased(),
            minMembers: minMembers, noStuck: noStuck, noLagGrowth: noLagGrowth)
        return rule.isEmpty && rules != nil ? nil : rule
    }

    /// The groups the flag rules apply to: `--group`, else the context's group, else all.
    func effective(environment: [String: String]) throws(UserFacingError) -> EffectiveOptions {
        EffectiveOptions(include: try CommandDefaults(connection, environment: environment).include(group))
    }

    /// Evaluates once and exits with the result.
    public func run() async throws {
        let code: Int32
        do {
            var all: [CheckRule] = []
            if let path = rules { all += try CheckRule.load(path) }
            if var r = flagRule() {
                r.group = try effective(environment: ProcessInfo.processInfo.environment).include
                all.append(r)
            }
            let session = try Session.open(connection)
            let options = CheckRunner.Options(rules: all, samples: samples, sampleIntervalMs: sampleInterval.milliseconds, json: json)
            code = await CheckRunner.run(monitor: session.monitor, options: options, clock: .wall, output: .standard).code
            await session.close()
        } catch {
            throw report(error)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

// MARK: - Rules

/// One rule of `kgtop check`, for the groups its regular expression selects.
///
/// JSON (the `--rules` file is a list of these, or `{"rules": [...]}`), keys as the flags:
/// `group`, `max-lag`, `warn-lag`, `max-time-lag`, `warn-time-lag` (`"30s"` or seconds),
/// `state` (string or list), `protocol`, `min-members`, `no-stuck`, `no-lag-growth`.
struct CheckRule: Sendable, Hashable, Decodable {
    static let protocols = ["classic", "consumer", "mixed"]

    var group: String?
    var maxLag: Int64?
    var warnLag: Int64?
    var maxTimeLagMs: Int64?
    var warnTimeLagMs: Int64?
    var states: [String] = []
    var `protocol`: String?
    var minMembers: Int?
    var noStuck = false
    var noLagGrowth = false

    init(group: String? = nil, maxLag: Int64? = nil, warnLag: Int64? = nil, maxTimeLagMs: Int64? = nil,
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
    var isEmpty: Bool {
        maxLag == nil && warnLag == nil && maxTimeLagMs == nil && warnTimeLagMs == nil && states.isEmpty
            && self.protocol == nil && minMembers == nil && !noStuck && !noLagGrowth
    }

    /// Whether the rule needs more than one poll.
    var needsHistory: Bool { noStuck || noLagGrowth }

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

    init(from decoder: any Decoder) throws {
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

    private struct File: Decodable { var rules: [CheckRule] }

    /// Parses a rules file's text.
    static func parse(_ data: Data, name: String) throws(UserFacingError) -> [CheckRule] {
        do {
            // A list or an object, told by the first character, so the error is the one that matters.
            let first = data.first { ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains($0) }
            if first == UInt8(ascii: "[") { return try JSONDecoder().decode([CheckRule].self, from: data) }
            return try JSONDecoder().decode(File.self, from: data).rules
        } catch let DecodingError.dataCorrupted(ctx) where !ctx.codingPath.isEmpty {
            // The rules' own checks (unknown key, bad state) say what is wrong in full.
            throw UserFacingError("--rules \(name): \(ctx.debugDescription)")
        } catch let error as DecodingError {
            if case .dataCorrupted = error {
                throw UserFacingError("--rules \(name): not valid JSON; expected a JSON list of rules or {\"rules\": [...]}")
            }
            if case let .typeMismatch(_, ctx) = error, ctx.codingPath.isEmpty {
                throw UserFacingError("--rules \(name): expected a JSON list of rules or {\"rules\": [...]}")
            }
            throw UserFacingError("--rules \(name): \(DecodingProblem.describe(error, place: place))")
        } catch {
            throw UserFacingError("--rules \(name): expected a JSON list of rules or {\"rules\": [...]}")
        }
    }

    /// `rule 2, max-lag` for a decoding path (list positions count from 1).
    private static func place(_ path: [any CodingKey]) -> String {
        let parts = path.filter { $0.stringValue != "rules" }.map { key in key.intValue.map { "rule \($0 + 1)" } ?? key.stringValue }
        return parts.isEmpty ? "the top level" : parts.joined(separator: ", ")
    }

    /// Reads a rules file.
    static func load(_ path: String) throws(UserFacingError) -> [CheckRule] {
        let data = try InputFile.read(path, flag: "--rules")
        let rules = try parse(data, name: path)
        if rules.isEmpty { throw UserFacingError("--rules \(path): holds no rule") }
        for (i, r) in rules.enumerated() {
            if let g = r.group { _ = try GroupPattern.compile(g, flag: "--rules \(path): group") }
            for (key, value) in [("max-lag", r.maxLag), ("warn-lag", r.warnLag), ("min-members", r.minMembers.map(Int64.init))] where (value ?? 0) < 0 {
                throw UserFacingError("--rules \(path): rule \(i + 1): \(key) must not be negative")
            }
        }
        return rules
    }
}

// MARK: - Evaluation

/// A monitoring plugin's status; the raw value is the exit code.
enum CheckStatus: Int32, Encodable, Comparable {
    case ok = 0, warning = 1, critical = 2, unknown = 3

    /// OK < WARN < UNKNOWN < CRITICAL: a definite failure outranks a partial observation.
    var rank: Int {
        switch self {
        case .ok: return 0
        case .warning: return 1
        case .unknown: return 2
        case .critical: return 3
        }
    }

    static func < (a: CheckStatus, b: CheckStatus) -> Bool { a.rank < b.rank }

    var word: String {
        switch self {
        case .ok: return "OK"
        case .warning: return "WARN"
        case .critical: return "CRITICAL"
        case .unknown: return "UNKNOWN"
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(word)
    }
}

/// One failed (or undecidable) rule.
struct CheckFinding: Encodable, Hashable {
    var rule: String
    var status: CheckStatus
    var message: String
}

/// The result for one group.
struct GroupCheck: Encodable {
    var groupID: String
    var status: CheckStatus
    var state: String
    var `protocol`: String
    var members: Int
    var totalLag: Int64
    var lagUnknownPartitions: Int
    var verdict: String?
    var findings: [CheckFinding]
}

/// The whole `kgtop check` result (JSON schema kgtop.check/1).
struct CheckReport: Encodable {
    var schema = "kgtop.check/1"
    var status: CheckStatus
    var exitCode: Int32
    var checkedAt: Int64
    var samples: Int
    var groups: [GroupCheck]
    /// Findings not tied to one group (no group matches, cluster not observed).
    var problems: [CheckFinding]
}

/// The logic of `kgtop check`, independent of the process.
enum CheckRunner {
    struct Options {
        var rules: [CheckRule]
        var samples: Int = 2
        var sampleIntervalMs: Int64 = 5_000
        var json = false
    }

    /// Polls (once, or `samples` times when a rule needs history), evaluates, writes the summary on
    /// `output.err` and, with `json`, the report on `output.out`. Returns the exit code and report.
    static func run(monitor: Monitor, options: Options, clock: CommandClock, output: CommandOutput) async -> (code: Int32, report: CheckReport) {
        let rules = options.rules.isEmpty ? [CheckRule()] : options.rules
        let pollCount = rules.contains(where: \.needsHistory) ? max(2, options.samples) : 1
        var snapshots: [ClusterSnapshot] = []
        var last: MonitorUpdate?
        for i in 0..<pollCount {
            if i > 0 { await clock.sleep(options.sampleIntervalMs) }
            let update = await monitor.pollOnce()
            last = update
            if update.failure == nil, let s = update.snapshot { snapshots.append(s) }
        }
        let report: CheckReport
        if let final = last, final.failure == nil, let snapshot = snapshots.last {
            report = await evaluate(snapshot: snapshot, history: snapshots, verdicts: final.verdicts, rules: rules,
                                    admin: monitor.poller.admin, now: clock.now(), timeLags: final.timeLags)
        } else {
            let why = last?.failure ?? "no poll"
            report = CheckReport(
                status: .unknown, exitCode: CheckStatus.unknown.rawValue, checkedAt: clock.now(), samples: snapshots.count,
                groups: [], problems: [CheckFinding(rule: "observe", status: .unknown, message: "could not observe the cluster: \(why)")])
        }
        for line in summaryLines(report) { output.err(line) }
        if options.json { output.out(EventSelector.encode(report)) }
        return (report.exitCode, report)
    }

    /// Human summary: one line per group, then problems.
    static func summaryLines(_ r: CheckReport) -> [String] {
        var lines = ["kgtop check: \(r.status.word): \(r.groups.count) group(s) checked" + (r.samples > 1 ? " over \(r.samples) samples" : "")]
        for g in r.groups {
            var line = "\(g.status.word) \(g.groupID) (\(g.protocol), \(g.state), \(g.members) member(s), lag \(g.totalLag)\(g.lagUnknownPartitions > 0 ? "+?" : ""))"
            if !g.findings.isEmpty { line += ": " + g.findings.map(\.message).joined(separator: "; ") }
            lines.append(line)
        }
        for p in r.problems { lines.append("\(p.status.word) \(p.message)") }
        return lines
    }

    /// The groups a rule selects: all without a pattern; none when the pattern does not compile
    /// (the command and the rules file refuse such patterns; a rule built in code may not).
    static func select(_ rule: CheckRule, in snapshot: ClusterSnapshot) -> [Group] {
        guard let pattern = rule.group else { return snapshot.groups }
        guard let regex = try? GroupPattern.compile(pattern, flag: "group") else { return [] }
        return snapshot.groups.filter { GroupPattern.matches(regex, $0.groupID) }
    }

    /// Applies the rules to the newest snapshot (with the earlier ones as history).
    static func evaluate(
        snapshot: ClusterSnapshot, history: [ClusterSnapshot], verdicts: [String: GroupVerdict], rules: [CheckRule],
        admin: KafkaAdminClient, now: Int64, timeLags: [String: [TopicPartition: TimeLag]] = [:]
    ) async -> CheckReport {
        var problems: [CheckFinding] = []
        var perGroup: [String: [CheckFinding]] = [:]
        var selected: [String: Group] = [:]
        for rule in rules {
            let groups = select(rule, in: snapshot)
            if groups.isEmpty {
                let pattern = rule.group.map { "/\($0)/" } ?? "(any)"
                // A broker that could not list its groups may coordinate the missing group.
                let unlisted = snapshot.errors.filter { $0.scope == .broker && $0.operation == "ListGroups" }.compactMap(\.brokerID)
                if unlisted.isEmpty {
                    problems.append(CheckFinding(rule: "group", status: .critical, message: "no group matches \(pattern)"))
                } else {
                    problems.append(CheckFinding(
                        rule: "group", status: .unknown,
                        message: "no group matches \(pattern), but broker(s) \(unlisted.sorted().map(String.init).joined(separator: ", ")) could not list their groups"))
                }
                continue
            }
            let timeFindings = await timeLagFindings(rule: rule, groups: groups, admin: admin, now: now, timeLags: timeLags)
            for g in groups {
                selected[g.groupID] = g
                perGroup[g.groupID, default: []] += findings(rule: rule, group: g, history: history, verdict: verdicts[g.groupID], now: now)
                perGroup[g.groupID, default: []] += timeFindings[g.groupID] ?? []
            }
        }
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
    static func findings(rule: CheckRule, group g: Group, history: [ClusterSnapshot], verdict: GroupVerdict?, now: Int64) -> [CheckFinding] {
        var out: [CheckFinding] = []
        if let error = g.error {
            out.append(CheckFinding(rule: "describe", status: .unknown, message: "could not describe the group: \(error)"))
        }
        let lag = g.summary.totalLag
        let unknownParts = g.summary.partitionsLagUnknown
        if let max = rule.maxLag {
            if lag > max {
                out.append(CheckFinding(rule: "max-lag", status: .critical, message: "lag \(Words.lag(g)) > max-lag \(max)\(worst(g))"))
            } else if unknownParts > 0 {
                out.append(CheckFinding(rule: "max-lag", status: .unknown, message: "lag unknown on \(unknownParts) partition(s) (known lag \(lag) ≤ \(max))"))
            }
        }
        if let warn = rule.warnLag, lag > warn, !(rule.maxLag.map { lag > $0 } ?? false) {
            out.append(CheckFinding(rule: "warn-lag", status: .warning, message: "lag \(Words.lag(g)) > warn-lag \(warn)\(worst(g))"))
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

    /// KIP-848: members behind the assignment epoch in every sample; classic: a rebalance state in
    /// every sample. Also the monitor's own STUCK members.
    static func stuckFinding(group g: Group, history: [ClusterSnapshot], verdict: GroupVerdict?) -> CheckFinding? {
        let views = history.compactMap { s in s.groups.first { $0.groupID == g.groupID } }
        guard views.count >= 2, let first = history.first?.takenAt, let last = history.last?.takenAt else { return nil }
        let span = Words.seconds(last - first)
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

    /// WARN when the group's total lag grows: by the health evaluator's growth rule over the
    /// monitor's kept polls when it has enough of them (the verdict's trend, as the dashboard shows
    /// it); with fewer samples, when the total lag rose at every sample.
    static func lagGrowthFinding(group g: Group, history: [ClusterSnapshot], verdict: GroupVerdict? = nil) -> CheckFinding? {
        if let trend = verdict?.lagTrend, trend.trend != .unknown {
            guard trend.trend == .growing, let rate = trend.offsetsPerSecond else { return nil }
            let lags = history.compactMap { s in s.groups.first { $0.groupID == g.groupID }?.summary.totalLag }
            let span = (history.last?.takenAt ?? 0) - (history.first?.takenAt ?? 0)
            return CheckFinding(
                rule: "no-lag-growth", status: .warning,
                message: "lag grew \(lags.first.map(String.init) ?? "?") → \(lags.last.map(String.init) ?? "?") over \(Words.seconds(span)) (+\(HealthEvaluator.rateText(rate)) offsets/s)")
        }
        let lags = history.compactMap { s in s.groups.first { $0.groupID == g.groupID }?.summary.totalLag }
        guard lags.count >= 2, zip(lags, lags.dropFirst()).allSatisfy({ $1 > $0 }) else { return nil }
        let samples = history.map { s in LagSample(timestamp: s.takenAt, lag: s.groups.first { $0.groupID == g.groupID }?.summary.totalLag ?? 0) }
        let trend = TimeLagEstimator.trend(samples)
        let rate = trend.offsetsPerSecond.map { String(format: "%.1f", $0) } ?? "?"
        return CheckFinding(rule: "no-lag-growth", status: .warning, message: "lag grew \(lags.map(String.init).joined(separator: " → ")) (\(rate) offsets/s)")
    }

    /// The exact time-lag test: ListOffsets with timestamp now − X for the groups' partitions;
    /// a partition is within X iff its committed offset is at or past that offset (the log end when
    /// no record is that recent). A partition without a commit is measured from the log start.
    /// A finding names the partition's time lag as the dashboard shows it (`timeLags`, from the same
    /// poll), so the two can be compared.
    static func timeLagFindings(
        rule: CheckRule, groups: [Group], admin: KafkaAdminClient, now: Int64, timeLags: [String: [TopicPartition: TimeLag]] = [:]
    ) async -> [String: [CheckFinding]] {
        var out: [String: [CheckFinding]] = [:]
        let thresholds: [(String, Int64, CheckStatus)] = [
            rule.maxTimeLagMs.map { ("max-time-lag", $0, CheckStatus.critical) },
            rule.warnTimeLagMs.map { ("warn-time-lag", $0, CheckStatus.warning) },
        ].compactMap { $0 }
        guard !thresholds.isEmpty else { return out }
        let rows = groups.flatMap { g in g.partitions.filter { $0.handoff != .notAssigned || $0.committedOffset != nil }.map { (g, $0) } }
        let partitions = Array(Set(rows.map { PartitionID(topic: $0.1.topicPartition.topic, partition: $0.1.topicPartition.partition) })).sorted()
        var critical: Set<String> = []
        for (name, limit, status) in thresholds {
            if status == .warning, let max = rule.maxTimeLagMs, max <= limit { continue }
            var offsets: [PartitionID: Result<ListedOffset, AdminItemError>] = [:]
            var failure: String?
            if !partitions.isEmpty {
                do {
                    offsets = try await admin.listOffsets(partitions, spec: .timestamp(now - limit)).partitions
                } catch {
                    failure = "\(error)"
                }
            }
            for (g, row) in rows {
                if status == .warning && critical.contains("\(g.groupID)|\(row.topicPartition)") { continue }
                let id = PartitionID(topic: row.topicPartition.topic, partition: row.topicPartition.partition)
                let committed = row.committedOffset ?? row.logStart ?? 0
                switch offsets[id] {
                case .success(let o)?:
                    let threshold: Int64? = o.offset >= 0 ? o.offset : row.logEnd
                    guard let threshold else {
                        out[g.groupID, default: []].append(CheckFinding(rule: name, status: .unknown, message: "\(row.topicPartition): log end unknown"))
                        continue
                    }
                    if committed < threshold {
                        if status == .critical { critical.insert("\(g.groupID)|\(row.topicPartition)") }
                        let at = o.offset >= 0 ? "offset \(threshold) at now−\(Words.seconds(limit))" : "the log end \(threshold) (nothing newer than now−\(Words.seconds(limit)))"
                        out[g.groupID, default: []].append(CheckFinding(
                            rule: name, status: status,
                            message: "\(row.topicPartition) more than \(Words.seconds(limit)) behind: committed \(committed) < \(at)"
                                + (timeLags[g.groupID]?[row.topicPartition].map { " (time lag \($0))" } ?? "")))
                    }
                case .failure(let e)?:
                    out[g.groupID, default: []].append(CheckFinding(rule: name, status: .unknown, message: "\(row.topicPartition): ListOffsets by timestamp failed: \(e)"))
                case nil:
                    out[g.groupID, default: []].append(CheckFinding(rule: name, status: .unknown, message: "\(row.topicPartition): ListOffsets by timestamp failed: \(failure ?? "no answer")"))
                }
            }
        }
        // Many partitions over one threshold make one finding per rule and group, with the first as example.
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

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
        usage: """
            kgtop check [-b <hosts>] [-X <key=value> ...] [-F <file> ...] [--context <name>] [--group <regex>]
                        [--max-lag <n>] [--warn-lag <n>] [--max-time-lag <duration>] [--warn-time-lag <duration>]
                        [--state <state> ...] [--protocol <protocol>] [--min-members <n>] [--no-stuck] [--no-lag-growth]
                        [--rules <file>] [--samples <n>] [--sample-interval <duration>] [--json]
            """,
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

// MARK: - Rules files

// The rules themselves (``CheckRule``), their grades and the engine that applies them live in
// GroupModel (CheckEvaluator.swift), beside the health evaluator; here the command reads files.

extension CheckRule {
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

// MARK: - Running

/// `kgtop check` without the process: polls, looks up what the time-lag rules need, lets
/// ``CheckEvaluator`` decide, and writes.
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
        let pollCount = options.rules.contains(where: \.needsHistory) ? max(2, options.samples) : 1
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
            report = await evaluate(snapshot: snapshot, history: snapshots, verdicts: final.verdicts.dictionary, rules: options.rules,
                                    admin: monitor.poller.admin, now: clock.now(), timeLags: final.timeLags.dictionary)
        } else {
            report = .unobserved(last?.failure ?? "no poll", at: clock.now(), samples: snapshots.count)
        }
        for line in report.summaryLines { output.err(line) }
        if options.json { output.out(EventSelector.encode(report)) }
        return (report.exitCode, report)
    }

    /// The groups a rule selects: all without a pattern; none when the pattern does not compile
    /// (the command and the rules file refuse such patterns; a rule built in code may not).
    static func select(_ rule: CheckRule, in snapshot: ClusterSnapshot) -> [Group] {
        guard let pattern = rule.group else { return snapshot.groups }
        guard let regex = try? GroupPattern.compile(pattern, flag: "group") else { return [] }
        return snapshot.groups.filter { GroupPattern.matches(regex, $0.groupID) }
    }

    /// Applies the rules to the newest snapshot (with the earlier ones as history), asking the
    /// brokers for the offsets the time-lag rules compare against.
    static func evaluate(
        snapshot: ClusterSnapshot, history: [ClusterSnapshot], verdicts: [String: GroupVerdict], rules: [CheckRule],
        admin: KafkaAdminClient, now: Int64, timeLags: [String: PartitionTimeLags] = [:]
    ) async -> CheckReport {
        var evaluator = CheckEvaluator(snapshot: snapshot, history: history, verdicts: verdicts, now: now, timeLags: timeLags)
        for rule in rules {
            let groups = select(rule, in: snapshot)
            guard !groups.isEmpty else {
                evaluator.noGroupMatches(rule)
                continue
            }
            let thresholds = CheckEvaluator.timeLagThresholds(rule)
            let partitions = thresholds.isEmpty ? [] : CheckEvaluator.timeLagPartitions(groups)
            var lookups: [OffsetsAtTime] = []
            for threshold in thresholds {
                lookups.append(await offsets(at: now - threshold.limitMs, of: partitions, admin: admin))
            }
            evaluator.apply(rule, to: groups, offsets: lookups)
        }
        return evaluator.report
    }

    /// ListOffsets by timestamp for `partitions`: the first offset at or after `timestamp` each.
    static func offsets(at timestamp: Int64, of partitions: [TopicPartition], admin: KafkaAdminClient) async -> OffsetsAtTime {
        guard !partitions.isEmpty else { return OffsetsAtTime() }
        do {
            let listed = try await admin.listOffsetsInOrder(partitions, spec: .timestamp(timestamp)).results
            var answers: [TopicPartition: OffsetsAtTime.Answer] = [:]
            for (tp, result) in zip(partitions, listed) {
                switch result {
                case .success(let o): answers[tp] = .offset(o.offset)
                case .failure(let e): answers[tp] = .failed("\(e)")
                }
            }
            return OffsetsAtTime(answers: answers)
        } catch {
            return OffsetsAtTime(failure: "\(error)")
        }
    }
}

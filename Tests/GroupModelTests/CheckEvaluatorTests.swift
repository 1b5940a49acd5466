import Testing
@testable import GroupModel

/// `kgtop check`'s rules on hand-made groups: thresholds, stuck members, lag growth, time lag by
/// looked-up offsets, and how findings make a report.
@Suite("CheckEvaluator")
struct CheckEvaluatorTests {
    /// `kg`, KIP-848, reconciling: member `stuck` at epoch 2 of 3; no commits, so every partition's
    /// lag is its log end.
    static let reconciling = Fixtures.group(Fixtures.reconciling)
    /// `kg`, stable, committed at the log end (lag 0).
    static let caughtUp = Fixtures.group(Fixtures.stable, committed: Fixtures.ordersCommittedAtEnd)

    static func report(_ rules: [CheckRule], groups: [Group], history: [ClusterSnapshot]? = nil, errors: [PollError] = [],
                       offsets: [OffsetsAtTime] = []) -> CheckReport {
        let snapshot = Fixtures.snapshot(at: 60_000, groups: groups, errors: errors)
        var evaluator = CheckEvaluator(snapshot: snapshot, history: history ?? [snapshot], verdicts: [:], now: 60_000)
        for rule in rules {
            let selected = groups.filter { g in rule.group.map { $0 == g.groupID } ?? true }
            if selected.isEmpty { evaluator.noGroupMatches(rule) } else { evaluator.apply(rule, to: selected, offsets: offsets) }
        }
        return evaluator.report
    }

    @Test("Grades order OK < WARN < UNKNOWN < CRITICAL, and the exit code is the raw value")
    func gradeOrder() {
        #expect([CheckStatus.critical, .unknown, .ok, .warning].sorted() == [.ok, .warning, .unknown, .critical])
        #expect(CheckStatus.unknown.rawValue == 3)
        #expect(CheckStatus.warning.word == "WARN")
    }

    @Test("max-lag is CRITICAL above the limit; warn-lag WARNs only below max-lag")
    func lagThresholds() {
        let g = Self.reconciling
        let lag = g.summary.totalLag
        #expect(lag > 100)
        let critical = CheckEvaluator.findings(rule: CheckRule(maxLag: 100, warnLag: 10), group: g, history: [], verdict: nil)
        #expect(critical.map(\.rule) == ["max-lag"])
        #expect(critical.first?.status == .critical)
        #expect(critical.first?.message.hasPrefix("lag \(lag) > max-lag 100 (worst orders-1 at 116)") == true)
        let warn = CheckEvaluator.findings(rule: CheckRule(maxLag: lag * 2, warnLag: 10), group: g, history: [], verdict: nil)
        #expect(warn == [CheckFinding(rule: "warn-lag", status: .warning, message: "lag \(lag) > warn-lag 10 (worst orders-1 at 116)")])
        #expect(CheckEvaluator.findings(rule: CheckRule(maxLag: lag), group: g, history: [], verdict: nil).isEmpty)
    }

    @Test("state, protocol and min-members are CRITICAL when unmet")
    func groupFacts() {
        let g = Self.caughtUp
        let rule = CheckRule(states: ["empty"], protocol: "classic", minMembers: 4)
        let found = CheckEvaluator.findings(rule: rule, group: g, history: [], verdict: nil)
        #expect(found.map(\.rule) == ["state", "protocol", "min-members"])
        #expect(found.allSatisfy { $0.status == .critical })
        #expect(found[0].message == "state Stable, expected empty")
        #expect(found[2].message == "3 member(s) < min-members 4")
        #expect(CheckEvaluator.findings(rule: CheckRule(states: ["STABLE"], protocol: "consumer", minMembers: 3), group: g, history: [], verdict: nil).isEmpty)
    }

    @Test("no-stuck: a member behind the assignment epoch in every sample is CRITICAL; one sample decides nothing")
    func stuck() throws {
        let g = Self.reconciling
        let history = [Fixtures.snapshot(at: 0, groups: [g]), Fixtures.snapshot(at: 10_000, groups: [g])]
        let finding = try #require(CheckEvaluator.stuckFinding(group: g, history: history, verdict: nil))
        #expect(finding.status == .critical)
        #expect(finding.message.hasPrefix("1 member(s) behind assignment epoch 3 across 2 samples over 10 s: "))
        #expect(CheckEvaluator.stuckFinding(group: g, history: [history[1]], verdict: nil) == nil)
        let healthy = [Fixtures.snapshot(at: 0, groups: [Self.caughtUp]), Fixtures.snapshot(at: 10_000, groups: [Self.caughtUp])]
        #expect(CheckEvaluator.stuckFinding(group: Self.caughtUp, history: healthy, verdict: nil) == nil)
    }

    @Test("no-lag-growth without a verdict's trend: WARN when the total lag rose at every sample")
    func lagGrowth() throws {
        let low = Self.caughtUp
        let high = Self.reconciling
        let rising = [Fixtures.snapshot(at: 0, groups: [low]), Fixtures.snapshot(at: 1_500, groups: [high])]
        let finding = try #require(CheckEvaluator.lagGrowthFinding(group: high, history: rising))
        #expect(finding.status == .warning)
        #expect(finding.message.hasPrefix("lag grew 0 → \(high.summary.totalLag) ("))
        let falling = [Fixtures.snapshot(at: 0, groups: [high]), Fixtures.snapshot(at: 1_500, groups: [low])]
        #expect(CheckEvaluator.lagGrowthFinding(group: low, history: falling) == nil)
    }

    @Test("Time lag: warn-time-lag is not looked up when max-time-lag is no longer")
    func thresholds() {
        #expect(CheckEvaluator.timeLagThresholds(CheckRule(maxTimeLagMs: 30_000, warnTimeLagMs: 60_000)).map(\.rule) == ["max-time-lag"])
        #expect(CheckEvaluator.timeLagThresholds(CheckRule(maxTimeLagMs: 60_000, warnTimeLagMs: 30_000)).map(\.status) == [.critical, .warning])
        #expect(CheckEvaluator.timeLagThresholds(CheckRule(maxLag: 1)).isEmpty)
    }

    @Test("Time lag: committed below the offset at now − X is CRITICAL, -1 means the log end, failures are UNKNOWN")
    func timeLag() throws {
        let g = Self.caughtUp
        let partitions = CheckEvaluator.timeLagPartitions([g])
        #expect(partitions == Fixtures.orders(0, 1, 2, 3, 4, 5))
        let rule = CheckRule(maxTimeLagMs: 30_000)
        // orders-0 committed at 102: behind an offset of 110; the rest answer -1 (their log end, met).
        var answers: [TopicPartition: OffsetsAtTime.Answer] = [:]
        for tp in partitions { answers[tp] = .offset(-1) }
        answers[partitions[0]] = .offset(110)
        answers[partitions[1]] = .failed("NOT_LEADER_OR_FOLLOWER")
        let evaluator = CheckEvaluator(snapshot: Fixtures.snapshot(at: 0, groups: [g]), history: [], verdicts: [:], now: 0)
        let found = try #require(evaluator.timeLagFindings(rule: rule, groups: [g], offsets: [OffsetsAtTime(answers: answers)])["kg"])
        #expect(found == [
            CheckFinding(rule: "max-time-lag", status: .critical, message: "orders-0 more than 30 s behind: committed 102 < offset 110 at now−30 s"),
            CheckFinding(rule: "max-time-lag", status: .unknown, message: "orders-1: ListOffsets by timestamp failed: NOT_LEADER_OR_FOLLOWER"),
        ])
        let failed = evaluator.timeLagFindings(rule: rule, groups: [g], offsets: [OffsetsAtTime(failure: "timed out")])["kg"]
        #expect(failed == [CheckFinding(rule: "max-time-lag", status: .unknown, message: "6 partitions, e.g. orders-0: ListOffsets by timestamp failed: timed out")])
    }

    @Test("The report: the worst finding wins, repeats count once, an unmatched pattern is CRITICAL or UNKNOWN")
    func report() {
        let twice = CheckRule(group: "kg", minMembers: 4)
        let r = Self.report([twice, twice, CheckRule(group: "kg", warnLag: 1_000_000)], groups: [Self.caughtUp])
        #expect(r.status == .critical && r.exitCode == 2)
        #expect(r.groups.map(\.groupID) == ["kg"])
        #expect(r.groups[0].findings.count == 1)
        #expect(r.summaryLines == ["kgtop check: CRITICAL: 1 group(s) checked", "CRITICAL kg (consumer, Stable, 3 member(s), lag 0): 3 member(s) < min-members 4"])

        let missing = Self.report([CheckRule(group: "other", maxLag: 1)], groups: [Self.caughtUp])
        #expect(missing.status == .critical)
        #expect(missing.problems == [CheckFinding(rule: "group", status: .critical, message: "no group matches /other/")])
        let unlisted = Self.report(
            [CheckRule(group: "other", maxLag: 1)], groups: [Self.caughtUp],
            errors: [PollError(scope: .broker, operation: "ListGroups", brokerID: 2, message: "timeout")])
        #expect(unlisted.status == .unknown)
        #expect(unlisted.problems.first?.message == "no group matches /other/, but broker(s) 2 could not list their groups")

        let unobserved = CheckReport.unobserved("connection refused", at: 5, samples: 0)
        #expect(unobserved.exitCode == 3)
        #expect(unobserved.summaryLines.last == "UNKNOWN could not observe the cluster: connection refused")
    }
}

import ArgumentParser
import Foundation
import GroupModel
import Monitor

/// `kgtop wait`: a deploy gate that waits until the groups a pattern selects are stable again.
public struct WaitCommand: AsyncParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until groups are stable (a deploy gate); exit 0 when they are, 2 on timeout.",
        discussion: """
            --group is a regular expression, as on every command (^orders$ for exactly orders); \
            every group it matches must meet the condition. Polls every --interval and prints one \
            progress line per matching group and poll on stderr. --until stable holds when the group \
            is Stable, every member is at the assignment epoch, no partition is pending revocation, \
            awaiting release or unowned, no rebalance episode is open, and (with --max-lag) the total \
            lag is at most N; --stable-for makes it hold that long (it must be shorter than --timeout). \
            Exit codes: 0 the condition held, 2 timeout (the unmet conditions are named), 3 the \
            cluster could not be observed at the start (later failures are retried until the \
            timeout), or no group matched in two consecutive polls (or by the timeout), 64 bad input.
            """)

    /// Conditions `--until` accepts.
    public enum Condition: String, ExpressibleByArgument, CaseIterable, Sendable {
        /// Stable, reconciled, settled, no open episode.
        case stable
    }

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("group"), help: ArgumentHelp("The groups to wait for (regular expression; ^id$ for exactly one id). Required unless the context has a group.", valueName: "regex"))
    var group: String?

    @Option(help: "Condition to wait for: stable.")
    var until: Condition = .stable

    @Option(parsing: .unconditional, help: ArgumentHelp("Also require each group's total lag to be at most N.", valueName: "n"))
    var maxLag: Int64?

    @Option(parsing: .unconditional, help: ArgumentHelp("The condition must hold this long, e.g. 30s.", valueName: "duration"), transform: DurationArgument.transform)
    var stableFor: DurationArgument = DurationArgument(milliseconds: 0)

    @Option(parsing: .unconditional, help: ArgumentHelp("Give up after this long, e.g. 5m.", valueName: "duration"), transform: DurationArgument.transform)
    var timeout: DurationArgument = DurationArgument(milliseconds: 300_000)

    @Option(parsing: .unconditional, help: ArgumentHelp("Time between polls, e.g. 2s (default: the context's interval, else 2s).", valueName: "duration"), transform: DurationArgument.transform)
    var interval: DurationArgument?

    /// Creates the command with defaults.
    public init() {}

    /// Validates the options.
    public func validate() throws {
        if let interval, interval.milliseconds < 10 { throw ValidationError("--interval must be at least 10ms") }
        if timeout.milliseconds < 1 { throw ValidationError("--timeout must be positive") }
        if let maxLag, maxLag < 0 { throw ValidationError("--max-lag must not be negative") }
        if stableFor.milliseconds >= timeout.milliseconds {
            throw ValidationError("--stable-for \(stableFor) cannot be met within --timeout \(timeout): make the timeout longer than the time the condition must hold")
        }
        if let group { do throws(UserFacingError) { _ = try GroupPattern.compile(group, flag: "--group") } catch { throw ValidationError(error.message) } }
    }

    /// Interval and groups as the wait polls with them (flag, context, built-in); no group at all
    /// is a usage error.
    func effective(environment: [String: String]) throws(UserFacingError) -> EffectiveOptions {
        let defaults = try CommandDefaults(connection, environment: environment)
        guard let include = defaults.include(group) else {
            throw UserFacingError("--group: name the groups to wait for, a regular expression such as ^orders$ (or set group in the context)")
        }
        return EffectiveOptions(intervalMs: try defaults.interval(interval, builtInMs: 2_000, minimumMs: 10).milliseconds, include: include)
    }

    /// Waits, printing progress on stderr, and exits with the outcome.
    public func run() async throws {
        let code: Int32
        do {
            let resolved = try effective(environment: ProcessInfo.processInfo.environment)
            let intervalMs = resolved.intervalMs ?? 2_000
            let session = try Session.open(connection, interval: .milliseconds(intervalMs))
            let options = WaitRunner.Options(
                group: resolved.include ?? "", condition: until, maxLag: maxLag, stableForMs: stableFor.milliseconds,
                timeoutMs: timeout.milliseconds, intervalMs: intervalMs)
            code = await WaitRunner.run(monitor: session.monitor, options: options, clock: .wall, output: .standard)
            await session.close()
        } catch {
            throw report(error)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// The logic of `kgtop wait`, independent of the process.
enum WaitRunner {
    /// What to wait for, and for how long.
    struct Options {
        /// The groups: a pattern as ``GroupPattern`` reads it (`^svc$` for exactly `svc`).
        var group: String
        var condition: WaitCommand.Condition = .stable
        var maxLag: Int64?
        var stableForMs: Int64 = 0
        var timeoutMs: Int64 = 300_000
        var intervalMs: Int64 = 2_000
    }

    /// Polls until the condition has held for `stableForMs` on every matching group (0), the
    /// timeout passes (2), or the cluster cannot be observed at the first poll or no group matches
    /// in two consecutive polls or by the timeout (3). Progress and the outcome go to `output.err`.
    static func run(monitor: Monitor, options: Options, clock: CommandClock, output: CommandOutput) async -> Int32 {
        let regex: NSRegularExpression
        do throws(UserFacingError) { regex = try GroupPattern.compile(options.group, flag: "--group") } catch {
            output.err("kgtop: \(error.message)")
            return KgtopExit.usage
        }
        let name = "/\(options.group)/"
        let started = clock.now()
        var heldSince: Int64?
        var lastUnmet: [String] = ["not observed yet"]
        var observedOnce = false
        var pollsWithoutMatch = 0
        var everMatched = false
        while true {
            let update = await monitor.pollOnce()
            let now = clock.now()
            if let failure = update.failure {
                if !observedOnce {
                    output.err("kgtop wait: could not observe the cluster: \(failure)")
                    return KgtopExit.unobservable
                }
                output.err("kgtop wait: \(name): poll failed, retrying: \(failure)")
                heldSince = nil
                lastUnmet = ["cluster not observed: \(failure)"]
            } else if let snapshot = update.snapshot {
                observedOnce = true
                let groups = snapshot.groups.filter { GroupPattern.matches(regex, $0.groupID) }
                if groups.isEmpty {
                    pollsWithoutMatch += 1
                    heldSince = nil
                    lastUnmet = ["no group matches \(name)"]
                    output.err("kgtop wait: \(name): no group matches")
                    if pollsWithoutMatch >= 2 {
                        output.err("kgtop wait: no group matches \(name) in \(pollsWithoutMatch) consecutive polls over \(DurationText.seconds(now - started))\(everMatched ? " (the groups it matched are gone)" : "")")
                        return KgtopExit.unobservable
                    }
                } else {
                    pollsWithoutMatch = 0
                    everMatched = true
                    var unmet: [String] = []
                    for g in groups {
                        let episode = update.openEpisodes.first { $0.groupID == g.groupID }
                        let missing = unmetConditions(group: g, episode: episode, options: options, now: now)
                        output.err(progressLine(groupID: g.groupID, group: g, episode: episode, unmet: missing, now: now))
                        unmet += missing.map { groups.count > 1 ? "\(g.groupID): \($0)" : $0 }
                    }
                    let ids = groups.map(\.groupID)
                    if unmet.isEmpty {
                        let since = heldSince ?? now
                        heldSince = since
                        if now - since >= options.stableForMs {
                            let held = options.stableForMs > 0 ? " for \(DurationText.seconds(now - since))" : ""
                            let subject = ids.count == 1 ? "\(ids[0]) is" : "\(ids.count) groups (\(ids.joined(separator: ", "))) are"
                            output.err("kgtop wait: \(subject) stable\(held) after \(DurationText.seconds(now - started))")
                            return KgtopExit.ok
                        }
                        lastUnmet = ["stable for \(DurationText.seconds(now - since)) of the required \(DurationText.seconds(options.stableForMs))"]
                    } else {
                        heldSince = nil
                        lastUnmet = ids.count == 1 ? ["\(ids[0]): " + unmet.joined(separator: "; ")] : unmet
                    }
                }
            }
            let elapsed = clock.now() - started
            if elapsed >= options.timeoutMs {
                if pollsWithoutMatch > 0 {
                    output.err("kgtop wait: timeout after \(DurationText.seconds(elapsed)): no group matches \(name)")
                    return KgtopExit.unobservable
                }
                output.err("kgtop wait: timeout after \(DurationText.seconds(elapsed)): " + lastUnmet.joined(separator: "; "))
                return KgtopExit.critical
            }
            await clock.sleep(min(options.intervalMs, options.timeoutMs - elapsed))
        }
    }

    /// The conditions of `--until stable` that do not hold, in words and numbers (empty: it holds).
    static func unmetConditions(group g: Group, episode: RebalanceEpisode?, options: Options, now: Int64) -> [String] {
        var unmet: [String] = []
        if let error = g.error { unmet.append("describe failed: \(error)") }
        if g.state != .stable { unmet.append("state \(g.state.brokerString), not Stable") }
        if let groupEpoch = g.groupEpoch, let assignmentEpoch = g.assignmentEpoch, assignmentEpoch < groupEpoch {
            unmet.append("target assignment at epoch \(assignmentEpoch), group epoch \(groupEpoch)")
        }
        let behind = g.membersBehindAssignmentEpoch
        if !behind.isEmpty {
            let names = behind.prefix(3).map { m in "\(m.name) at epoch \(m.memberEpoch.map(String.init) ?? "?")" }
            unmet.append("\(behind.count) of \(g.members.count) member(s) behind assignment epoch \(g.assignmentEpoch.map(String.init) ?? "?") (\(names.joined(separator: ", "))\(behind.count > 3 ? ", ..." : ""))")
        }
        if g.summary.pendingRevocation > 0 { unmet.append("\(g.summary.pendingRevocation) partition(s) pending revocation") }
        if g.summary.awaitingRelease > 0 { unmet.append("\(g.summary.awaitingRelease) partition(s) awaiting release") }
        if g.summary.partitionsUnowned > 0 { unmet.append("\(g.summary.partitionsUnowned) partition(s) unowned") }
        if let episode {
            unmet.append("rebalance episode #\(episode.number) (\(RebalanceTrigger.words(episode.triggers))) open for \(DurationText.seconds(now - episode.startedAt))")
            let blocking = episode.blocking.filter { $0.holderID != nil }
            if !blocking.isEmpty {
                let stalled = blocking.filter(\.pastLimit)
                let shown = (stalled.isEmpty ? blocking : stalled).prefix(3).map(\.description)
                unmet.append((stalled.isEmpty ? "hand-offs blocked: " : "stalled by a member past its limit: ") + shown.joined(separator: "; ") + (blocking.count > 3 ? "; ..." : ""))
            }
        }
        if let maxLag = options.maxLag {
            if g.summary.totalLag > maxLag {
                unmet.append("lag \(g.summary.totalLagText) > \(maxLag)")
            } else if g.summary.partitionsLagUnknown > 0 {
                unmet.append("lag unknown on \(g.summary.partitionsLagUnknown) partition(s)")
            }
        }
        return unmet
    }

    /// `order-service Reconciling members 4/6 reconciled, partitions 10/12 settled, lag 120, episode #3 open 12 s (join)`.
    static func progressLine(groupID: String, group g: Group, episode: RebalanceEpisode?, unmet: [String], now: Int64) -> String {
        let p = RebalanceProgress(group: g)
        var line = "kgtop wait: \(groupID) \(g.state.brokerString), members \(p.membersReconciled)/\(p.membersTotal) reconciled, partitions \(p.partitionsSettled)/\(p.partitionsTotal) settled, lag \(g.summary.totalLagText)"
        if let episode {
            line += ", episode #\(episode.number) (\(RebalanceTrigger.words(episode.triggers))) open \(DurationText.seconds(now - episode.startedAt))"
            if let holder = episode.blocking.first(where: { $0.holderID != nil }) { line += ", blocked: \(holder.description)" }
        }
        line += unmet.isEmpty ? ": ok" : ": waiting"
        return line
    }
}

import ArgumentParser
import Foundation
import GroupModel
import Monitor

/// `kgtop events`: NDJSON, one event per line as it happens (schema kgtop.event/1).
public struct EventsCommand: AsyncParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Stream group changes, rebalance episodes and errors as NDJSON (kgtop.event/1).",
        discussion: """
            Polls every --interval and writes one JSON object per line on stdout, flushed at once: \
            group and member changes, rebalance episode start / target computed / progress / stuck / \
            end (with durations), and poll and broker errors (each fault once, when it appears). \
            The fields of every event type are listed in docs/EVENTS.md. Runs until interrupted, or \
            for --max-polls polls or --duration. Exit codes: 0 done, 3 no poll succeeded, 64 bad input.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Time between polls, e.g. 2s or 500ms (default: the context's interval, else 2s).", valueName: "duration"), transform: DurationArgument.transform)
    var interval: DurationArgument?

    @Option(name: .customLong("group"), help: ArgumentHelp("Only groups whose id matches this regular expression (default: the context's group, else all).", valueName: "regex"))
    var group: String?

    @Option(help: ArgumentHelp("Leave out groups whose id matches this regular expression (default: the context's exclude, else none).", valueName: "regex"))
    var exclude: String?

    @Option(name: .customLong("type"), help: ArgumentHelp(GroupFilter.typeHelp, valueName: "type"))
    var types: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many polls.", valueName: "n"))
    var maxPolls: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this long, e.g. 10m.", valueName: "duration"), transform: DurationArgument.transform)
    var duration: DurationArgument?

    @Option(name: .customLong("from"), help: ArgumentHelp("Re-derive the events of a recording instead of polling a cluster.", valueName: "file"))
    var from: String?

    /// Creates the command with defaults.
    public init() {}

    /// Validates the options.
    public func validate() throws {
        if let interval, interval.milliseconds < 10 { throw ValidationError("--interval must be at least 10ms") }
        if let maxPolls, maxPolls < 1 { throw ValidationError("--max-polls must be at least 1") }
        if let duration, duration.milliseconds < 1 { throw ValidationError("--duration must be positive") }
        if let group { do throws(UserFacingError) { _ = try GroupPattern.compile(group, flag: "--group") } catch { throw ValidationError(error.message) } }
        if let exclude { do throws(UserFacingError) { _ = try GroupPattern.compile(exclude, flag: "--exclude") } catch { throw ValidationError(error.message) } }
        if let from {
            // A recording is re-derived whole: polling bounds and filters have nothing to act on.
            let polling: [(String, Bool)] = [
                ("--max-polls", maxPolls != nil), ("--duration", duration != nil), ("--interval", interval != nil), ("--group", group != nil),
                ("--exclude", exclude != nil), ("--type", !types.isEmpty),
                ("-b/-X/-F", connection.bootstrapServers != nil || !connection.properties.isEmpty || !connection.propertyFiles.isEmpty),
            ]
            if let given = polling.first(where: { $0.1 }) {
                throw ValidationError("--from \(from) replays a whole recording: \(given.0) applies to polling a cluster; leave it out")
            }
        }
    }

    /// Interval, group and exclude as a poll of the cluster uses them (flag, context, built-in).
    func effective(environment: [String: String]) throws(UserFacingError) -> EffectiveOptions {
        let defaults = try CommandDefaults(connection, environment: environment)
        return EffectiveOptions(
            intervalMs: try defaults.interval(interval, builtInMs: 2_000, minimumMs: 10).milliseconds,
            include: defaults.include(group), exclude: defaults.exclude(exclude))
    }

    /// Streams events until interrupted or bounded by --max-polls / --duration.
    public func run() async throws {
        let code: Int32
        do {
            if let from {
                for line in try RecordingCLI.events(from: from) { print(line) }
                return
            }
            let options = try effective(environment: ProcessInfo.processInfo.environment)
            let intervalMs = options.intervalMs ?? 2_000
            let filter = try GroupFilter(include: options.include, exclude: options.exclude, types: types)
            let session = try Session.open(connection, interval: .milliseconds(intervalMs))
            code = await EventsRunner.run(
                monitor: session.monitor,
                options: EventsRunner.Options(intervalMs: intervalMs, maxPolls: maxPolls, durationMs: duration?.milliseconds),
                filter: filter, clock: .wall, output: .standard)
            await session.close()
        } catch {
            throw report(error)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// The logic of `kgtop events`, independent of the process: poll, turn each update into lines.
enum EventsRunner {
    /// Bounds and pacing.
    struct Options {
        /// Time between polls (ms).
        var intervalMs: Int64
        /// Stop after this many polls (nil: no limit).
        var maxPolls: Int?
        /// Stop once this long has passed since the first poll (nil: no limit).
        var durationMs: Int64?
    }

    /// Polls until a bound is reached (forever without one) and writes one line per event.
    /// Returns 0, or 3 when not a single poll succeeded.
    static func run(monitor: Monitor, options: Options, filter: GroupFilter?, clock: CommandClock, output: CommandOutput) async -> Int32 {
        let started = clock.now()
        var polls = 0
        var anySuccess = false
        var selector = EventSelector(filter: filter)
        while !Task.isCancelled {
            let update = await monitor.pollOnce()
            polls += 1
            if update.failure == nil { anySuccess = true }
            for line in selector.lines(for: update) { output.out(line) }
            if let max = options.maxPolls, polls >= max { break }
            if let limit = options.durationMs {
                let left = limit - (clock.now() - started)
                if left <= 0 { break }
                await clock.sleep(min(options.intervalMs, left))
                if clock.now() - started >= limit {
                    // One last poll at the end of the window, so the window is covered.
                    let last = await monitor.pollOnce()
                    if last.failure == nil { anySuccess = true }
                    for line in selector.lines(for: last) { output.out(line) }
                    break
                }
            } else {
                await clock.sleep(options.intervalMs)
            }
        }
        return anySuccess ? KgtopExit.ok : KgtopExit.unobservable
    }
}

/// Chooses and encodes the lines for one update, applying the group filter. Keeps which groups
/// the filter accepted, so events of a group that just disappeared are still filtered right.
struct EventSelector {
    var filter: GroupFilter?
    private var accepted: [String: Bool] = [:]
    /// Whether a poll has succeeded yet (its groups are the baseline, reported as they appear).
    private var sawSnapshot = false

    init(filter: GroupFilter?) {
        self.filter = filter
    }

    private mutating func accepts(_ groupID: String?, in snapshot: ClusterSnapshot?) -> Bool {
        guard let groupID else { return true }
        guard let filter else { return true }
        if let g = snapshot?.groups.first(where: { $0.groupID == groupID }) {
            let ok = filter.accepts(g)
            accepted[groupID] = ok
            return ok
        }
        if let known = accepted[groupID] { return known }
        // Never seen as a group (an error about it): judge by id alone.
        if let include = filter.include, !GroupFilter.matches(include, groupID) { return false }
        if let exclude = filter.exclude, GroupFilter.matches(exclude, groupID) { return false }
        return true
    }

    /// The NDJSON lines for one update: errors first, then group events, then episode events.
    mutating func lines(for update: MonitorUpdate) -> [String] {
        var out: [String] = []
        let snapshot = update.failure == nil ? update.snapshot : nil
        for error in update.newErrors where accepts(error.groupID, in: snapshot) {
            out.append(Self.encode(ErrorLine(error, at: update.at)))
        }
        // Poll errors come from newErrors above (each fault once); the diff's copies are dropped.
        var events = update.events
        if let snapshot, !sawSnapshot {
            // The first good poll has no earlier one to differ from: every group it sees is
            // reported as group_appeared, so even a one-poll run shows what is there.
            sawSnapshot = true
            var nothing = snapshot
            nothing.groups = []
            let known = Set(events.filter { $0.type == .groupAppeared }.compactMap(\.groupID))
            let baseline = SnapshotDiff.diff(old: nothing, new: snapshot).filter { $0.type == .groupAppeared && !known.contains($0.groupID ?? "") }
            events = baseline + events
        }
        for event in events where event.type != .pollError && accepts(event.groupID, in: snapshot) {
            out.append(Self.encode(event))
        }
        for event in update.episodeEvents where accepts(event.groupID, in: snapshot) {
            out.append(Self.encode(EpisodeLine(event)))
        }
        return out
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        guard let data = try? SnapshotJSON.encodeLine(value), let text = String(data: data, encoding: .utf8) else {
            return #"{"schema":"kgtop.event/1","type":"encoding_error"}"#
        }
        return text
    }
}

/// An episode event as one flat NDJSON object (documented in docs/EVENTS.md).
struct EpisodeLine: Encodable {
    var schema = GroupEvent.currentSchema
    var type: String
    var timestamp: Int64
    var groupID: String
    var episode: Int
    var `protocol`: String
    var trigger: String
    var triggers: [String]
    var estimatedDurationMs: Int64?
    var blocking: [BlockedHandoff]?
    var blocked: [BlockedHandoff]?
    var startedAt: Int64
    var endedAt: Int64?
    /// Ended: the episode's duration; otherwise: time since it started.
    var durationMs: Int64
    var fromEpoch: Int32?
    var targetEpoch: Int32?
    var targetComputedAt: Int64?
    var progress: RebalanceProgress
    var member: StuckMember?
    var stuckMembers: [StuckMember]
    var abandoned: Bool?

    init(_ e: EpisodeEvent) {
        type = e.type.rawValue
        timestamp = e.timestamp
        groupID = e.groupID
        episode = e.episode.number
        self.protocol = e.episode.protocol.rawValue
        trigger = e.episode.trigger.rawValue
        triggers = e.episode.triggers.map(\.rawValue)
        estimatedDurationMs = e.episode.estimatedDurationMs
        blocking = e.episode.blocking.isEmpty ? nil : e.episode.blocking
        blocked = e.blocked
        startedAt = e.episode.startedAt
        endedAt = e.episode.endedAt
        durationMs = e.episode.durationMs ?? (e.timestamp - e.episode.startedAt)
        fromEpoch = e.episode.fromEpoch
        targetEpoch = e.episode.targetEpoch
        targetComputedAt = e.episode.targetComputedAt
        progress = e.episode.progress
        member = e.member
        stuckMembers = e.episode.stuckMembers
        abandoned = e.type == .ended ? e.episode.abandoned : nil
    }
}

/// A poll or broker error as one NDJSON object.
struct ErrorLine: Encodable {
    var schema = GroupEvent.currentSchema
    var type = GroupEventType.pollError.rawValue
    var timestamp: Int64
    var scope: String
    var operation: String
    var brokerID: Int32?
    var groupID: String?
    var topic: String?
    var partition: Int32?
    var error: ItemError?
    var message: String

    init(_ e: PollError, at: Int64) {
        timestamp = at
        scope = e.scope.rawValue
        operation = e.operation
        brokerID = e.brokerID
        groupID = e.groupID
        topic = e.topic
        partition = e.partition
        error = e.kafkaError
        message = e.message
    }
}

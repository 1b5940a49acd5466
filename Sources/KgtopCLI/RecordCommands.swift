import ArgumentParser
import DashboardUI
import Foundation
import GroupModel
import Monitor
import NcursesTerminal
import Recording
import Replay

// `kgtop record`, `kgtop replay`, `kgtop diff`, and the recording helpers of `snapshot --from` and
// `events --from` (docs/RECORDING.md).

// MARK: - Helpers for other commands

/// Recording helpers the other commands call (`snapshot --from`, `events --from`, `--record`).
public enum RecordingCLI {
    /// The snapshot of a recording at `time` (`RFC 3339`, `+90s`, `#12`; `nil`: the last poll).
    public static func snapshot(from path: String, at time: String?) throws(UserFacingError) -> ClusterSnapshot {
        let spec: TimeSpec?
        do { spec = try time.map { t throws(TimeSpec.ParseError) in try TimeSpec(parsing: t) } } catch {
            throw UserFacingError("--at \(error.description)")
        }
        try InputFile.check(path, flag: "--from")
        do {
            return try SnapshotReference(path: path, time: spec).load()
        } catch {
            throw UserFacingError("\(path): \(error)", code: KgtopExit.unobservable)
        }
    }

    /// The events of a recording as NDJSON lines (GroupEvent and EpisodeEvent, `kgtop.event/1`),
    /// re-derived from the recorded snapshots. A damaged tail is reported on stderr.
    public static func events(from path: String) throws(UserFacingError) -> [String] {
        try InputFile.check(path, flag: "--from")
        do {
            let reader = try RecordingReader(path: path)
            if let damage = reader.damage { printError("kgtop: \(path): \(damage)") }
            return try reader.eventLines()
        } catch {
            throw UserFacingError("\(path): \(error)", code: KgtopExit.unobservable)
        }
    }

    /// Opens a recording file for `--record FILE` / `kgtop record -o FILE`. `source` names where
    /// the data comes from (never credentials).
    public static func openWriter(path: String, pollIntervalMs: Int64, source: String, overwrite: Bool = false, flag: String = "--record") throws(UserFacingError) -> RecordingWriter {
        try InputFile.checkOutput(path, flag: flag)
        let header = RecordingHeader(kgtopVersion: kgtopVersion, createdAt: wallClockNowMs(), pollIntervalMs: pollIntervalMs, source: source)
        do throws(RecordingError) {
            return try RecordingWriter(path: path, header: header, options: .init(overwrite: overwrite))
        } catch {
            if case .alreadyExists = error, flag == "--record" {
                // watch and demo have no --force: a recording is never appended to or overwritten.
                throw UserFacingError("--record \(path): already exists; name a new file (or remove it first)")
            }
            throw UserFacingError("\(flag) \(path): \(error.description)")
        }
    }

    /// Appends a monitor update's snapshot (good polls only). Errors come back as a poll error for
    /// the dashboard's error stream instead of stopping it.
    public static func record(_ update: MonitorUpdate, to writer: RecordingWriter) -> PollError? {
        guard update.failure == nil, let snapshot = update.snapshot else { return nil }
        do {
            try writer.append(snapshot)
            return nil
        } catch {
            return PollError(scope: .cluster, operation: "record", message: error.description)
        }
    }

    static func wallClockNowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

// MARK: - kgtop record

/// `kgtop record -o FILE`: polls the cluster and appends every poll to a recording.
public struct RecordCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record every poll to a file for replay and diff (kgtop.recording/1).",
        discussion: """
            Each poll is appended as one frame (keyframes plus deltas, docs/RECORDING.md); a killed recorder \
            loses at most the poll in flight. A write error (disk full) is reported and recording goes on.
            Replay with `kgtop replay FILE`, compare polls with `kgtop diff FILE@+0s FILE@+5m`.
            Exit codes: 0 at least one poll was recorded, 3 no poll was recorded (the cluster could not be \
            observed; the empty file is removed), 64 bad input (an existing file without --force, a \
            directory).
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The recording file to create.", valueName: "file"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Time between polls, e.g. 5s (default: the context's interval, else 5s).", valueName: "duration"), transform: DurationArgument.transform)
    var interval: DurationArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this long (e.g. 30m); default: until interrupted.", valueName: "duration"), transform: DurationArgument.transform)
    var duration: DurationArgument?

    @Flag(help: "Overwrite the file if it exists.")
    var force = false

    @Flag(help: "Print nothing while recording.")
    var quiet = false

    public init() {}

    public func validate() throws {
        if let interval, interval.milliseconds < 100 { throw ValidationError("--interval must be at least 100ms") }
        if let duration, duration.milliseconds < 1 { throw ValidationError("--duration must be positive") }
    }

    public func run() async throws {
        do {
            try await record()
        } catch {
            throw report(error)
        }
    }

    /// The interval the recording polls at: `--interval`, else the context's, else 5s.
    func effective(environment: [String: String]) throws(UserFacingError) -> EffectiveOptions {
        let defaults = try CommandDefaults(connection, environment: environment)
        return EffectiveOptions(intervalMs: try defaults.interval(interval, builtInMs: 5_000, minimumMs: 100).milliseconds)
    }

    private func record() async throws(UserFacingError) {
        let interval = DurationArgument(milliseconds: try effective(environment: ProcessInfo.processInfo.environment).intervalMs ?? 5_000)
        let session = try Session.open(connection, interval: interval.duration)
        let source = "kgtop record, bootstrap \(connection.bootstrapServers ?? ProcessInfo.processInfo.environment["KGTOP_BOOTSTRAP_SERVERS"] ?? "from -X/-F")"
        let writer = try RecordingCLI.openWriter(path: output, pollIntervalMs: interval.milliseconds, source: source, overwrite: force, flag: "--output")
        // Bounded: a disk that stalls for a thousand polls loses the oldest ones, and says so.
        let updates = await session.monitor.updates(bufferingNewest: 1_000)
        var dropped = 0
        await session.monitor.start()
        let deadline = duration.map { RecordingCLI.wallClockNowMs() + $0.milliseconds }
        var stopper: Task<Void, Never>?
        if let duration {
            let monitor = session.monitor
            stopper = Task {
                try? await Task.sleep(for: duration.duration)
                await monitor.stop()
            }
        }
        for await update in updates {
            if update.droppedBefore > dropped {
                printError("kgtop record: \(update.droppedBefore - dropped) poll(s) lost: writing fell behind the polls")
                dropped = update.droppedBefore
            }
            if let failure = update.failure {
                if !quiet { printError("kgtop record: poll failed, nothing recorded: \(failure)") }
            } else if let problem = RecordingCLI.record(update, to: writer) {
                printError("kgtop record: \(problem.message)")
            } else if !quiet {
                printError("kgtop record: poll \(writer.pollCount) recorded (\(writer.byteCount) bytes)")
            }
            if let deadline, RecordingCLI.wallClockNowMs() >= deadline { break }
        }
        stopper?.cancel()
        await session.monitor.stop()
        await session.close()
        writer.close()
        if writer.pollCount == 0 {
            // A file without a poll replays nothing and diffs nothing: not a recording worth keeping.
            try? FileManager.default.removeItem(atPath: output)
            throw UserFacingError("record: no poll was recorded (the cluster could not be observed); \(output) removed", code: KgtopExit.unobservable)
        }
        if dropped > 0 {
            throw UserFacingError("\(dropped) poll(s) were not recorded (writing fell behind); the file holds the other \(writer.pollCount)", code: KgtopExit.warning)
        }
    }
}

// MARK: - kgtop replay

/// `kgtop replay FILE`: the dashboard on a recording, with a time cursor.
public struct ReplayFileCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording in the dashboard: play/pause, speed, step, jump to episodes and errors.",
        discussion: """
            Keys during a replay: Space play/pause, + and - speed (1x to 64x), . and , step a poll, n next \
            rebalance episode, e next error; every other dashboard key works as usual (? lists them).
            Episodes, events and verdicts are re-derived from the recorded polls.
            """)

    @Argument(help: ArgumentHelp("The recording.", valueName: "file"))
    var file: String

    @Option(parsing: .unconditional, help: "Playback speed: 1, 2, 4, 8, 16, 32 or 64.")
    var speed: Int = 1

    @Option(help: ArgumentHelp("Start at this poll: RFC 3339 time, +90s from the start, or #12.", valueName: "time"))
    var at: String?

    @Option(help: ArgumentHelp("Theme: default, light, monochrome, high-contrast.", valueName: "name"))
    var theme: String?

    @Flag(help: "Run without a terminal: play every poll as fast as possible and print the last frame.")
    var headless = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many loop iterations (polls shown and keys).", valueName: "n"))
    var maxIterations: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Headless screen size.", valueName: "WxH"))
    var size: String = "200x60"

    public init() {}

    public func validate() throws {
        guard ReplayController.speeds.contains(speed) else { throw ValidationError("--speed \(speed): use one of 1, 2, 4, 8, 16, 32, 64") }
        if let n = maxIterations, n < 1 { throw ValidationError("--max-iterations must be at least 1") }
        do throws(UserFacingError) { _ = try TerminalSize(parsing: size) } catch { throw ValidationError(error.message) }
        if let at {
            do throws(TimeSpec.ParseError) { _ = try TimeSpec(parsing: at) } catch { throw ValidationError("--at \(error.description)") }
        }
    }

    public func run() async throws {
        do {
            let settings = ReplaySettings(file: file, speed: speed, at: at, theme: theme, headless: headless, maxIterations: maxIterations, size: size)
            let code = try await ReplayRunner.run(settings)
            if code != 0 { throw ExitCode(code) }
        } catch let e as UserFacingError {
            throw report(e)
        }
    }
}

/// ``ReplayFileCommand``'s options, sendable to the main actor.
struct ReplaySettings: Sendable {
    var file: String
    var speed: Int
    var at: String?
    var theme: String?
    var headless: Bool
    var maxIterations: Int?
    var size: String
}

/// The events of a headless replay: every poll from the controller's cursor on, in order (at most
/// `maxPolls`), then the end of the data. An update is made only when the dashboard loop asks for
/// the next event, so one update exists at a time however long the recording: nothing is queued
/// and nothing is dropped.
@MainActor
final class HeadlessReplayFeed {
    private let session: ReplaySession
    private var controller: ReplayController
    private var next: Int
    private let end: Int
    private var ended = false
    /// Why the recording could not be read to its end, if it could not.
    private(set) var failure: RecordingError?
    /// Updates made so far.
    private(set) var produced = 0

    init(session: ReplaySession, controller: ReplayController, maxPolls: Int?) {
        self.session = session
        self.controller = controller
        let count = session.reader.pollCount
        next = controller.cursor
        // Bounded by the recording first, so a huge --max-iterations cannot overflow.
        end = min(count, controller.cursor + min(maxPolls ?? count, count))
    }

    /// The next event: the next poll's update, then `dataEnded`, then nothing.
    func nextEvent() -> DashboardEvent? {
        if next < end {
            controller.move(to: next)
            next += 1
            do {
                let update = try session.update(for: controller)
                produced += 1
                return .update(update)
            } catch {
                failure = error
                next = end
            }
        }
        if ended { return nil }
        ended = true
        return .dataEnded
    }

    /// The events, made one at a time as the loop asks for them.
    var events: AsyncStream<DashboardEvent> {
        AsyncStream(unfolding: { await self.nextEvent() })
    }
}

/// Drives the dashboard from a ``ReplaySession`` and a ``ReplayController``.
@MainActor
final class ReplayRunner {
    let session: ReplaySession
    var controller: ReplayController
    let continuation: AsyncStream<DashboardUpdate>.Continuation
    private var timer: Task<Void, Never>?

    init(session: ReplaySession, controller: ReplayController, continuation: AsyncStream<DashboardUpdate>.Continuation) {
        self.session = session
        self.controller = controller
        self.continuation = continuation
    }

    /// Shows the cursor's poll (with the controller's status) and re-arms the play timer.
    func show() {
        do {
            continuation.yield(try session.update(for: controller))
        } catch {
            printError("kgtop replay: \(error)")
            continuation.finish()
            return
        }
        schedule()
    }

    func handle(_ command: ReplayCommand) {
        controller.apply(command)
        show()
    }

    private func schedule() {
        timer?.cancel()
        guard let delay = controller.delayToNextMs else { return }
        timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(delay))
            guard !Task.isCancelled, let self else { return }
            self.controller.tick()
            self.show()
        }
    }

    func stop() {
        timer?.cancel()
        continuation.finish()
    }

    static func run(_ command: ReplaySettings) async throws(UserFacingError) -> Int32 {
        let session: ReplaySession
        try InputFile.check(command.file, flag: "replay")
        do {
            let reader = try RecordingReader(path: command.file)
            if let damage = reader.damage { printError("kgtop replay: \(command.file): \(damage); replaying the \(reader.pollCount) complete poll(s)") }
            session = try ReplaySession(reader: reader)
        } catch {
            throw UserFacingError("\(command.file): \(error.description)", code: KgtopExit.unobservable)
        }
        var controller = session.controller(speed: command.speed, playing: !command.headless)
        if let at = command.at {
            do { controller.move(to: try TimeSpec(parsing: at).pollIndex(in: session.reader)) } catch let e as TimeSpec.ParseError {
                throw UserFacingError("--at \(e.description)")
            } catch {
                throw UserFacingError("--at \(at): \(error)")
            }
        }
        var themes = Theme.builtins
        var initialTheme = 0
        if let name = command.theme {
            guard let i = themes.firstIndex(where: { $0.name == name }) else {
                throw UserFacingError("--theme \(name): use one of " + themes.map(\.name).joined(separator: ", "))
            }
            initialTheme = i
            themes = Theme.builtins
        }
        let options = DashboardApp.Options(maxIterations: command.maxIterations, tickIntervalMs: nil)

        if command.headless {
            let screen = try TerminalSize(parsing: command.size)
            // Headless: every poll from the cursor on, in order, as fast as the loop takes them; each
            // update is made when the loop asks for it, so memory does not grow with the recording.
            let feed = HeadlessReplayFeed(session: session, controller: controller, maxPolls: command.maxIterations)
            let terminal = HeadlessTerminal(size: screen)
            let app = DashboardApp(terminal: terminal, themes: themes, initialTheme: initialTheme, options: options)
            _ = await app.run(events: feed.events)
            if let failure = feed.failure {
                throw UserFacingError("\(command.file): \(failure.description)", code: KgtopExit.unobservable)
            }
            if let frame = terminal.lastFrame { print(frame.text.joined(separator: "\n")) }
            return KgtopExit.ok
        }

        let (stream, continuation) = AsyncStream<DashboardUpdate>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let runner = ReplayRunner(session: session, controller: controller, continuation: continuation)
        do {
            _ = try await NcursesTerminal.withTerminal { terminal in
                let app = DashboardApp(terminal: terminal, themes: themes, initialTheme: initialTheme, options: options)
                app.onReplayCommand = { command in runner.handle(command) }
                runner.show()
                let reason = await app.run(updates: stream)
                runner.stop()
                return reason
            }
        } catch let e as NcursesTerminalError {
            runner.stop()
            throw UserFacingError("cannot start the terminal UI: \(e.message) (use --headless)")
        } catch {
            runner.stop()
            throw UserFacingError("replay: \(error)")
        }
        return KgtopExit.ok
    }
}

// MARK: - kgtop diff

/// `kgtop diff A B`: what changed between two snapshots (JSON files or `FILE@TIME`).
public struct DiffCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two snapshots: members added and removed, partition moves, epochs, lag.",
        discussion: """
            A and B are snapshot JSON files (kgtop snapshot) or polls of a recording, FILE@TIME, where TIME is \
            an RFC 3339 time (the last poll at or before it), an offset from the recording's first poll \
            (+90s, +1m30s), or a poll index (#12, #-1 for the last). A recording without @TIME means its \
            last poll. Exit codes: 0 compared (whether or not anything differs), 3 a file cannot be read, \
            64 bad input.
            """)

    @Argument(help: ArgumentHelp("The older snapshot.", valueName: "a"))
    var a: String

    @Argument(help: ArgumentHelp("The newer snapshot.", valueName: "b"))
    var b: String

    @Flag(help: "Print JSON (schema kgtop.diff/1) instead of a table.")
    var json = false

    public init() {}

    public func run() async throws {
        do {
            let output = try Self.diff(a, b, json: json)
            FileHandle.standardOutput.write(Data(output.utf8))
        } catch {
            throw report(error)
        }
    }

    /// The diff of two references as text or JSON.
    public static func diff(_ a: String, _ b: String, json: Bool) throws(UserFacingError) -> String {
        let left = try load(a), right = try load(b)
        let comparison = SnapshotComparison(left, right)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            guard let data = try? encoder.encode(comparison) else { throw UserFacingError("cannot encode the diff", code: KgtopExit.unobservable) }
            return String(decoding: data, as: UTF8.self) + "\n"
        }
        return comparison.rendered(fromLabel: a, toLabel: b)
    }

    private static func load(_ argument: String) throws(UserFacingError) -> ClusterSnapshot {
        let reference: SnapshotReference
        do { reference = try SnapshotReference(parsing: argument) } catch { throw UserFacingError(error.description) }
        try InputFile.check(reference.path, flag: "diff")
        do { return try reference.load() } catch let e as TimeSpec.ParseError {
            throw UserFacingError(e.description)
        } catch {
            throw UserFacingError("\(argument): \(error)", code: KgtopExit.unobservable)
        }
    }
}

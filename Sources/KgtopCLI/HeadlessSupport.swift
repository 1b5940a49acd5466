import ArgumentParser
import Foundation
import GroupModel
import Monitor

// Shared by `events`, `check` and `wait`: durations on the command line, an injectable clock (the
// wall clock in the CLI, the simulator's manual clock in tests), and where their output goes.

/// A duration written on the command line: `250ms`, `30s`, `5m`, `1h30m`, `2d`, or a plain number
/// of seconds. The grammar and its bounds are ``DurationText``'s (the one parser kgtop has); every
/// duration option declares `parsing: .unconditional, transform: DurationArgument.transform`, so a
/// negative value is read (and refused as "must be positive") instead of being taken for a flag.
public struct DurationArgument: ExpressibleByArgument, Sendable, Hashable, CustomStringConvertible {
    /// The duration in milliseconds.
    public var milliseconds: Int64

    /// Creates a duration of `milliseconds`.
    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// Parses `250ms`, `30s`, `1h30m` or `12` (seconds); nil when malformed, negative or too long.
    public init?(argument: String) {
        guard let ms = try? DurationText.milliseconds(argument) else { return nil }
        self.milliseconds = ms
    }

    /// ArgumentParser's transform for duration options: the error says what is wrong with the
    /// value (ArgumentParser names the flag and the value before it).
    @Sendable public static func transform(_ text: String) throws -> DurationArgument {
        DurationArgument(milliseconds: try DurationText.milliseconds(text))
    }

    /// As a Swift `Duration`.
    public var duration: Duration { .milliseconds(milliseconds) }

    /// `30s`, `1.5s`, `250ms`, `5m`, `1h30m`.
    public var description: String { DurationText.format(milliseconds) }

    /// Shown in `--help`.
    public static var defaultCompletionKind: CompletionKind { .default }
}

/// Time for the headless commands: what time it is (ms since the Unix epoch) and how to wait.
/// The CLI uses the wall clock; tests pass a clock that advances a simulated cluster instead of
/// sleeping, so every duration they observe is exact.
public struct CommandClock: Sendable {
    /// The current time in milliseconds since the Unix epoch.
    public var now: @Sendable () -> Int64
    /// Waits for `ms` milliseconds (or makes that much simulated time pass).
    public var sleep: @Sendable (_ ms: Int64) async -> Void

    /// Creates a clock.
    public init(now: @escaping @Sendable () -> Int64, sleep: @escaping @Sendable (_ ms: Int64) async -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The wall clock, sleeping with `Task.sleep`.
    public static let wall = CommandClock(now: wallClockMs, sleep: { ms in
        if ms > 0 { try? await Task.sleep(for: .milliseconds(ms)) }
    })
}

/// Where a headless command writes: standard output lines (data) and standard error lines (people).
/// The CLI writes each line as it comes (flushed: FileHandle writes are unbuffered); tests collect.
public struct CommandOutput: Sendable {
    /// Writes one line of data (no trailing newline in `line`).
    public var out: @Sendable (String) -> Void
    /// Writes one line for people.
    public var err: @Sendable (String) -> Void

    /// Creates an output.
    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        self.out = out
        self.err = err
    }

    /// Standard output and standard error of the process.
    public static let standard = CommandOutput(
        out: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) },
        err: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
}

/// Lines collected from a ``CommandOutput`` (thread-safe), for tests and for callers that want the
/// whole output at the end.
public final class CollectedOutput: @unchecked Sendable {
    // The one mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var outLines: [String] = []
    private var errLines: [String] = []

    /// Creates an empty collector.
    public init() {}

    /// An output that appends to this collector.
    public var output: CommandOutput {
        CommandOutput(
            out: { line in self.lock.withLock { self.outLines.append(line) } },
            err: { line in self.lock.withLock { self.errLines.append(line) } })
    }

    /// Standard output lines so far.
    public var stdout: [String] { lock.withLock { outLines } }
    /// Standard error lines so far.
    public var stderr: [String] { lock.withLock { errLines } }
}

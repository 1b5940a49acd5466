import Foundation

/// Runs a child process with a time limit, for tests that start kgtop, Python or librdkafka
/// programs. Both output pipes are read to EOF on their own threads before waiting (a child that
/// fills a pipe would otherwise block), and a child still running at the limit is sent SIGTERM,
/// then SIGKILL.
public enum ChildProcess {
    /// How a child ended and what it printed.
    public struct Result: Sendable {
        /// The exit status (or the signal that ended it).
        public var status: Int32
        /// Everything it wrote on standard output.
        public var stdout: String
        /// Everything it wrote on standard error.
        public var stderr: String
        /// Whether the time limit ended it.
        public var timedOut: Bool
        /// How long it ran.
        public var elapsed: Duration
        /// Everything the child printed.
        public var output: String { stdout + stderr }
    }

    /// The child could not be started (no such executable, not executable, ...).
    public struct CannotStart: Error, CustomStringConvertible {
        /// What went wrong, naming the executable.
        public var description: String
    }

    /// Like ``run(_:_:environment:timeout:)``, waiting on a thread of its own: a test that blocked
    /// a cooperative or Dispatch global thread (as many as cores on Linux) could starve the
    /// simulator the child talks to.
    public static func runAsync(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(60)
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Result, any Error>) in
            Thread {
                c.resume(with: Swift.Result { try run(executable, arguments, environment: environment, timeout: timeout) })
            }.start()
        }
    }

    /// Runs `executable` with `arguments` (and `environment` instead of this process's, when
    /// given), standard input empty, until it exits or `timeout` passes.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(60)
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let start = ContinuousClock.now
        do { try process.run() } catch {
            throw CannotStart(description: "cannot start \(executable): \(error)")
        }
        // The parent's copies of the write ends must be closed, or EOF never comes.
        try? out.fileHandleForWriting.close()
        try? err.fileHandleForWriting.close()

        let group = DispatchGroup()
        let collected = Collected()
        for (pipe, isOut) in [(out, true), (err, false)] {
            group.enter()
            Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(data, isOut: isOut)
                group.leave()
            }.start()
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        var timedOut = false
        if group.wait(timeout: .now() + seconds) == .timedOut {
            timedOut = true
            process.terminate()
            if group.wait(timeout: .now() + 3) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                _ = group.wait(timeout: .now() + 3)
            }
        }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: collected.text(isOut: true), stderr: collected.text(isOut: false),
            timedOut: timedOut, elapsed: start.duration(to: .now))
    }

    private final class Collected: @unchecked Sendable {
        // The two buffers are guarded by `lock`.
        private let lock = NSLock()
        private var out = Data(), err = Data()
        func set(_ d: Data, isOut: Bool) {
            lock.lock()
            defer { lock.unlock() }
            if isOut { out = d } else { err = d }
        }
        func text(isOut: Bool) -> String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: isOut ? out : err, as: UTF8.self)
        }
    }

    /// The kgtop executable: `KGTOP_BIN`, else `kgtop` beside the test bundle (the build folder).
    public static func kgtopBinary() throws -> String {
        if let env = ProcessInfo.processInfo.environment["KGTOP_BIN"], !env.isEmpty { return env }
        var candidates: [String] = []
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("kgtop").path)
            dir = dir.deletingLastPathComponent()
        }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: c, isDirectory: &isDir), !isDir.boolValue { return c }
        }
        throw CannotStart(description: "kgtop binary not found (looked at \(candidates.joined(separator: ", "))); set KGTOP_BIN")
    }
}

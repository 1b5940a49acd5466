import Foundation

/// Runs a child process with a time limit. Both output pipes are read to EOF on their own threads
/// before waiting (a child that fills a pipe would otherwise block), and a child still running at
/// the limit is sent SIGTERM, then SIGKILL.
enum ChildProcess {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        var elapsed: Duration
        /// Everything the child printed.
        var output: String { stdout + stderr }
    }

    struct CannotStart: Error, CustomStringConvertible {
        var description: String
    }

    /// Like ``run(_:_:environment:timeout:)``, waiting on a thread of its own: a test that blocked
    /// a cooperative or Dispatch global thread (as many as cores on Linux) could starve the
    /// simulator the child talks to.
    static func runAsync(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(60)
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Result, any Error>) in
            Thread {
                c.resume(with: Swift.Result { try run(executable, arguments, environment: environment, timeout: timeout) })
            }.start()
        }
    }

    static func run(
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
    /// The repository root (the folder holding README.md above this file).
    static let repositoryRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("README.md").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()

    static func kgtopBinary() throws -> String {
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

import Foundation
import GroupModel
import KafkaAdmin
import Monitor
import Testing

/// A child process whose standard output is read line by line and whose standard input the test
/// closes to let it finish. Output pipes are drained on a thread of their own, so the child never
/// blocks on a full pipe and `waitUntilExit` cannot hang on it.
final class PeerProcess: @unchecked Sendable {
    // Guarded by `lock`: the lines read so far.
    private let lock = NSLock()
    private var lines: [String] = []
    let process = Process()
    private let stdin = Pipe()
    private let stdout = Pipe()

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = stdout.fileHandleForReading
        Thread.detachNewThread { [self] in
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: 10) {
                    let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...nl)
                    lock.withLock { lines.append(line) }
                }
            }
        }
    }

    /// Waits (bounded) for a line that satisfies `match`.
    func waitForLine(timeout: Duration, _ match: (String) -> Bool) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = lock.withLock({ lines.first(where: match) }) { return line }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Closes the child's stdin and waits (bounded) for it to exit; terminates it otherwise.
    func finish(timeout: Duration = .seconds(20)) async {
        try? stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { process.terminate() }
    }
}

/// kgtop's poller against Tansu, a third-party Kafka-compatible broker, with real librdkafka
/// consumers in a classic group: the poll completes, shows what Tansu reports and marks what it does not.
@Suite(
    "Poller against Tansu with real classic consumers",
    .enabled(
        if: ProcessInfo.processInfo.environment["KGTOP_TANSU"] != nil && ProcessInfo.processInfo.environment["KGTOP_VENV"] != nil,
        "set KGTOP_TANSU and KGTOP_VENV (make test does) to run against Tansu"),
    .serialized)
struct TansuSnapshotTests {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("a classic group on Tansu: members listed, unknown state kept, missing assignment marked unknown")
    func classicGroup() async throws {
        let env = ProcessInfo.processInfo.environment
        let port = 20_000 + Int.random(in: 0..<20_000)
        let tansu = try PeerProcess(env["KGTOP_TANSU"]!, [
            "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
            "--storage-engine", "memory://tansu/", "--silent",
        ])
        // SIGKILL: the test process's children inherit a blocked SIGTERM, so Tansu would ignore
        // terminate() and outlive the test (its storage is in memory; nothing is lost).
        defer { kill(tansu.process.processIdentifier, SIGKILL); tansu.process.waitUntilExit() }
        let python = env["KGTOP_VENV"]! + "/bin/python"
        let script = Self.packageRoot.appendingPathComponent("scripts/peer_consumers.py").path
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": "127.0.0.1:\(port)", "socket.timeout.ms": "5000"])
        // Wait until Tansu answers before starting the clients.
        let poller = Poller(admin: admin, now: { Int64(Date().timeIntervalSince1970 * 1000) })
        var up = false
        for _ in 0..<50 where !up {
            up = (try? await admin.bootstrap()) != nil
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(up, "Tansu did not answer on 127.0.0.1:\(port)")
        let consumers = try PeerProcess(python, [script, "127.0.0.1:\(port)", "tansu-g1", "tansu-t1", "4", "2", "classic", "range"])
        let ready = await consumers.waitForLine(timeout: .seconds(45)) { $0 == "READY" || $0 == "TIMEOUT" }
        #expect(ready == "READY", "the consumers did not get every partition: \(ready ?? "no answer")")

        var group: Group?
        for _ in 0..<30 where group?.members.count != 2 {
            group = try await poller.poll().snapshot.group("tansu-g1")
            if group?.members.count != 2 { try await Task.sleep(for: .milliseconds(300)) }
        }
        await consumers.finish()
        await admin.close()

        let g = try #require(group, "the group was never listed")
        #expect(g.members.count == 2)
        #expect(g.type == .classic || g.type == .unknown(""), "Tansu's ListGroups type: \(g.type)")
        #expect(g.protocol == .classic || g.protocol == .unknown)
        // Tansu fills neither client ids nor assignments: kgtop keeps them empty and says so.
        #expect(g.members.allSatisfy { $0.assignmentUnknown == true && $0.assignment.isEmpty })
        #expect(g.groupEpoch == nil && g.assignmentEpoch == nil, "no invented epochs for a classic group")
        #expect(g.error == nil)
    }
}

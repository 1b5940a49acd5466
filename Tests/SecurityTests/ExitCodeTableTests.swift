import Foundation
import KgtopTestSupport
import KafkaSim
import Testing

/// The README's exit-code table is the truth: every row (command, code) has a case here that runs
/// the built binary and gets that code, and every case here is a row of the table. Cases that need
/// a cluster use an in-process KafkaSim; unreachable cases use a closed loopback port with short
/// connection timeouts.
@Suite("The README's exit-code table, run against the binary")
struct ExitCodeTableTests {
    /// A closed loopback port, and connection settings that give up on it quickly.
    static let closed = ["-b", "127.0.0.1:1", "-X", "socket.connection.setup.timeout.ms=2000", "-X", "socket.timeout.ms=2000"]

    struct Case: Sendable, CustomStringConvertible {
        var command: String
        var code: Int32
        var arguments: [String]
        /// Text stdout must contain.
        var stdout: [String] = []
        /// Text stderr must contain.
        var stderr: [String] = []
        var description: String { "kgtop " + arguments.joined(separator: " ") }
    }

    /// The README's rows: (command, code) pairs of the "Exit codes" table.
    static func documentedRows() throws -> Set<String> {
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "\n## Exit codes\n") else { return [] }
        let section = readme[start.upperBound...]
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        var rows: Set<String> = []
        for line in section[..<end].split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1].hasPrefix("`"), cells[1].hasSuffix("`"), let code = Int32(cells[2]) else { continue }
            rows.insert("\(cells[1].dropFirst().dropLast()) \(code)")
        }
        return rows
    }

    /// Every case, in the order they run (record's file is replayed and diffed after it is made).
    static func cases(servers: String, dir: String) -> [Case] {
        let sim = ["-b", servers, "-X", "socket.connection.setup.timeout.ms=30000", "-X", "socket.timeout.ms=30000"]
        let recording = dir + "/run.kgrec"
        let text = dir + "/notes.txt"
        return [
            Case(command: "watch", code: 0, arguments: ["watch"] + sim + ["--headless", "--max-iterations", "2", "--size", "120x40"], stdout: ["billing"]),
            Case(command: "watch", code: 64, arguments: ["watch"] + closed + ["--headless", "--size", "100000x100000"], stderr: ["--size"]),
            Case(command: "demo", code: 0, arguments: ["demo", "--headless", "--max-iterations", "1", "--brokers", "1"]),
            Case(command: "demo", code: 64, arguments: ["demo", "--brokers", "0"], stderr: ["--brokers"]),
            Case(command: "snapshot", code: 0, arguments: ["snapshot", "--format", "json"] + sim, stdout: ["\"billing\""]),
            Case(command: "snapshot", code: 3, arguments: ["snapshot"] + closed, stderr: ["could not observe"]),
            Case(command: "snapshot", code: 64, arguments: ["snapshot"] + closed + ["--group", "(bad["], stderr: ["--group", "(bad["]),
            Case(command: "events", code: 0, arguments: ["events"] + sim + ["--max-polls", "1"], stdout: ["group_appeared", "billing"]),
            Case(command: "events", code: 3, arguments: ["events"] + closed + ["--max-polls", "1"]),
            Case(command: "events", code: 64, arguments: ["events"] + closed + ["--from", text, "--max-polls", "1"], stderr: ["--from", "--max-polls"]),
            Case(command: "check", code: 0, arguments: ["check"] + sim + ["--group", "^billing$", "--min-members", "1"], stderr: ["OK"]),
            Case(command: "check", code: 1, arguments: ["check"] + sim + ["--group", "^stale$", "--warn-lag", "5"], stderr: ["WARN stale"]),
            Case(command: "check", code: 2, arguments: ["check"] + sim + ["--group", "^billing$", "--min-members", "5"], stderr: ["CRITICAL billing"]),
            Case(command: "check", code: 3, arguments: ["check"] + closed + ["--max-lag", "1"], stderr: ["UNKNOWN"]),
            Case(command: "check", code: 64, arguments: ["check"] + sim + ["--group", "(bad["], stderr: ["--group", "(bad["]),
            Case(command: "wait", code: 0, arguments: ["wait"] + sim + ["--group", "^billing$", "--interval", "200ms", "--timeout", "60s"], stderr: ["billing is stable"]),
            Case(command: "wait", code: 2, arguments: ["wait"] + sim + ["--group", "^stale$", "--interval", "200ms", "--timeout", "1s"], stderr: ["timeout", "not Stable"]),
            Case(command: "wait", code: 3, arguments: ["wait"] + sim + ["--group", "^nosuch$", "--interval", "200ms", "--timeout", "60s"], stderr: ["no group matches"]),
            Case(command: "wait", code: 64, arguments: ["wait"] + sim + ["--group", "^billing$", "--stable-for", "60s", "--timeout", "45s"], stderr: ["--stable-for"]),
            Case(command: "record", code: 0, arguments: ["record"] + sim + ["-o", recording, "--interval", "200ms", "--duration", "1s", "--quiet"]),
            Case(command: "record", code: 3, arguments: ["record"] + closed + ["-o", dir + "/empty.kgrec", "--duration", "1s", "--quiet"], stderr: ["no poll was recorded"]),
            Case(command: "record", code: 64, arguments: ["record"] + sim + ["-o", recording, "--duration", "1s"], stderr: ["already exists", "--force"]),
            Case(command: "replay", code: 0, arguments: ["replay", recording, "--headless", "--size", "120x40"], stdout: ["billing"]),
            Case(command: "replay", code: 0, arguments: ["replay", recording, "--headless", "--at", "#-1", "--max-iterations", "\(Int.max)"], stdout: ["billing"]),
            Case(command: "replay", code: 3, arguments: ["replay", text, "--headless"], stderr: [text]),
            Case(command: "replay", code: 64, arguments: ["replay", recording, "--speed", "3"], stderr: ["--speed"]),
            Case(command: "diff", code: 0, arguments: ["diff", recording + "@#0", recording]),
            Case(command: "diff", code: 3, arguments: ["diff", text, text], stderr: [text]),
            Case(command: "diff", code: 64, arguments: ["diff", recording + "@+99999999999999h", recording], stderr: ["too long"]),
            Case(command: "sim", code: 64, arguments: ["sim", "--groups", "5", "--scenario", "demo"], stderr: ["--groups"]),
            Case(command: "load", code: 0, arguments: ["load"] + sim + ["--topic", "orders", "--rate", "20/s", "--duration", "1s"], stderr: ["0 failed"]),
            Case(command: "load", code: 1, arguments: ["load"] + closed + ["--topic", "orders", "--rate", "20/s", "--duration", "1s", "-X", "message.timeout.ms=500"]),
            Case(command: "load", code: 64, arguments: ["load"] + sim + ["--topic", "orders", "--rate", "0"], stderr: ["--rate"]),
            Case(command: "rehearse", code: 0, arguments: ["rehearse", "--sim", "--sim-brokers", "1", "--sim-rebalance-delay-ms", "0", "--members", "1", "--rate", "0", "--cooldown", "0", "-q"]),
            Case(command: "rehearse", code: 1, arguments: ["rehearse", "--sim", "--sim-brokers", "1", "--sim-rebalance-delay-ms", "0", "--members", "1", "--rate", "0", "--step", "scale-out", "1", "--step-timeout", "1ms", "--cooldown", "0", "-q"]),
            Case(command: "rehearse", code: 2, arguments: ["rehearse"] + sim + ["--group", "billing", "--members", "1", "--rate", "0", "-q"], stderr: ["billing"]),
            Case(command: "rehearse", code: 3, arguments: ["rehearse"] + closed + ["--members", "1", "--rate", "0", "-q"]),
            Case(command: "rehearse", code: 64, arguments: ["rehearse"] + closed + ["--members", "0"], stderr: ["--members"]),
        ]
    }

    @Test("Every documented exit code of every command happens, and every one that happens is documented")
    func table() async throws {
        let documented = try Self.documentedRows()
        #expect(documented.count >= 30, "README exit-code rows: \(documented.sorted())")
        let dir = try CLITests.temporaryDirectory()
        try "not a snapshot, not a recording\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        try await Fixture.withSim(.plaintext) { sim in
            // A group with lag and no members (Empty, so never Stable), beside Fixture's billing.
            _ = try await sim.cluster.createTopic("ledger", partitions: 1)
            _ = try await sim.cluster.append(topic: "ledger", partition: 0, count: 100)
            await sim.cluster.commitOffset(group: "stale", topic: "ledger", partition: 0, offset: 10)
            let cases = Self.cases(servers: await sim.bootstrapServers(), dir: dir)
            var implemented = Set(cases.map { "\($0.command) \($0.code)" })
            implemented.insert("sim 0")
            #expect(implemented == documented, "cases without a README row: \(implemented.subtracting(documented).sorted()); README rows without a case: \(documented.subtracting(implemented).sorted())")
            for c in cases {
                let r = try await CLITests.kgtop(c.arguments, timeout: .seconds(90))
                #expect(r.status == c.code, "\(c): exit \(r.status), expected \(c.code); output: \(r.output.suffix(2_000))")
                for m in c.stdout { #expect(r.stdout.contains(m), "\(c): stdout lacks '\(m)': \(r.stdout.prefix(2_000))") }
                for m in c.stderr { #expect(r.stderr.contains(m), "\(c): stderr lacks '\(m)': \(r.stderr.suffix(2_000))") }
                // stdout is data (a diff names poll #0); a trace would be on stderr.
                var errors = r
                errors.stdout = ""
                CLITests.expectNoStackTrace(errors, "\(c)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/empty.kgrec"), "record left a file without a poll")
    }

    @Test("sim: stopped by SIGTERM right after it printed its bootstrap line, it exits 0")
    func simStopsCleanly() async throws {
        let binary = try ChildProcess.kgtopBinary()
        let outcome: (line: String, finished: Bool, status: Int32) = try await withCheckedThrowingContinuation { c in
            // A thread of its own: the reads and the wait block.
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = ["sim", "--brokers", "1", "--scenario", "empty"]
                var env = ProcessInfo.processInfo.environment
                env["KGTOP_BOOTSTRAP_SERVERS"] = nil
                process.environment = env
                let out = Pipe()
                process.standardOutput = out
                process.standardError = FileHandle.nullDevice
                process.standardInput = FileHandle.nullDevice
                let exited = DispatchSemaphore(value: 0)
                process.terminationHandler = { _ in exited.signal() }
                do { try process.run() } catch {
                    c.resume(throwing: error)
                    return
                }
                try? out.fileHandleForWriting.close()
                // A guard, not a wait: a kgtop that never prints or never stops is killed after 60 s.
                let pid = process.processIdentifier
                DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if process.isRunning { kill(pid, SIGKILL) } }
                // Blocks until kgtop prints its first line (or exits: end of file).
                var line = Data()
                while true {
                    let byte = out.fileHandleForReading.readData(ofLength: 1)
                    if byte.isEmpty || byte == Data("\n".utf8) { break }
                    line.append(byte)
                }
                process.terminate()
                let finished = exited.wait(timeout: .now() + 60) == .success
                c.resume(returning: (String(decoding: line, as: UTF8.self), finished, finished ? process.terminationStatus : -1))
            }.start()
        }
        #expect(outcome.line.hasPrefix("127.0.0.1:"), "first line: \(outcome.line)")
        #expect(outcome.finished)
        #expect(outcome.status == 0)
        let documented = try Self.documentedRows()
        #expect(documented.contains("sim 0"))
    }
}

import Foundation
import KgtopTestSupport
import GroupModel
import KafkaSim
import Testing

/// The built kgtop binary run as a child process: bad input gets one specific line naming the
/// culprit and a documented exit code, never a stack trace; secrets never reach its output.
@Suite("kgtop as a child process")
struct CLITests {
    static func kgtop(_ arguments: [String], timeout: Duration = .seconds(40)) async throws -> ChildProcess.Result {
        var env = ProcessInfo.processInfo.environment
        env["KGTOP_BOOTSTRAP_SERVERS"] = nil
        env["TERM"] = "dumb"
        let result = try await ChildProcess.runAsync(try ChildProcess.kgtopBinary(), arguments, environment: env, timeout: timeout)
        #expect(!result.timedOut, "kgtop \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        return result
    }

    /// No crash report, no Swift runtime trace.
    static func expectNoStackTrace(_ r: ChildProcess.Result, _ context: String) {
        for marker in ["Fatal error", "Stack dump", "Backtrace", "#0 ", "Current stack trace", "Segmentation fault"] {
            #expect(!r.output.contains(marker), "\(context): \(r.output)")
        }
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kgtop-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    struct BadInput: Sendable, CustomStringConvertible {
        var arguments: [String]
        var code: Int32
        var mentions: [String]
        var description: String { arguments.joined(separator: " ") }
    }

    static var badInputs: [BadInput] {
        get throws {
            let dir = try temporaryDirectory()
            let malformed = dir + "/malformed.properties"
            try "bootstrap.servers=127.0.0.1:9092\nthis line has no separator\n".write(toFile: malformed, atomically: true, encoding: .utf8)
            let badTheme = dir + "/theme.json"
            try "{ not json".write(toFile: badTheme, atomically: true, encoding: .utf8)
            return [
                BadInput(arguments: ["snapshot", "--no-such-flag"], code: 64, mentions: ["--no-such-flag"]),
                BadInput(arguments: ["frobnicate"], code: 64, mentions: ["frobnicate"]),
                BadInput(arguments: ["snapshot", "-b", "127.0.0.1:1", "-X", "client.id"], code: 64, mentions: ["client.id", "key=value"]),
                BadInput(arguments: ["snapshot", "-b", "127.0.0.1:1", "-X", "no.such.property=1"], code: 64, mentions: ["no.such.property"]),
                BadInput(arguments: ["snapshot", "-b", "127.0.0.1:1", "-X", "socket.timeout.ms=soon"], code: 64, mentions: ["socket.timeout.ms", "soon"]),
                BadInput(arguments: ["snapshot", "-b", "host:notaport"], code: 64, mentions: ["host:notaport"]),
                BadInput(arguments: ["snapshot", "-F", malformed], code: 64, mentions: [malformed, "line 2"]),
                BadInput(arguments: ["snapshot", "-F", dir + "/absent.properties"], code: 64, mentions: ["absent.properties"]),
                BadInput(arguments: ["snapshot", "-b", "127.0.0.1:1", "-X", "security.protocol=ssl", "-X", "ssl.ca.location=\(dir)/no-ca.pem"],
                         code: 64, mentions: ["ssl.ca.location", "\(dir)/no-ca.pem"]),
                BadInput(arguments: ["snapshot", "-b", "127.0.0.1:1", "-X", "security.protocol=sasl_plaintext"], code: 64, mentions: ["sasl.mechanism"]),
                BadInput(arguments: ["demo", "--theme", "no-such-theme"], code: 64, mentions: ["--theme", "no-such-theme"]),
                BadInput(arguments: ["demo", "--theme", badTheme], code: 64, mentions: ["--theme", badTheme]),
                BadInput(arguments: ["snapshot", "-b", "no-such-host.invalid:9092", "-X", "socket.connection.setup.timeout.ms=3000"],
                         code: 3, mentions: ["no-such-host.invalid"]),
                BadInput(arguments: ["snapshot", "-b", "127.0.0.1:1", "-X", "socket.connection.setup.timeout.ms=2000"],
                         code: 3, mentions: ["127.0.0.1:1", "refused"]),
            ]
        }
    }

    @Test("Bad input: one message naming the culprit, a documented exit code, no stack trace")
    func badInput() async throws {
        for input in try Self.badInputs {
            let r = try await Self.kgtop(input.arguments)
            #expect(r.status == input.code, "kgtop \(input): exit \(r.status), output: \(r.output)")
            for m in input.mentions {
                #expect(r.stderr.contains(m), "kgtop \(input): stderr lacks '\(m)': \(r.stderr)")
            }
            Self.expectNoStackTrace(r, "kgtop \(input)")
            if input.code != 64 || !input.arguments.contains(where: { $0.hasPrefix("--no-such") || $0 == "frobnicate" }) {
                // kgtop's own errors are one line; ArgumentParser's usage errors add the usage text.
                let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("kgtop: ") && !$0.contains("warning") }
                #expect(lines.count == 1 || r.stderr.contains("Usage:") || r.stderr.contains("Error:"), "kgtop \(input): \(r.stderr)")
            }
        }
    }

    /// The per-partition time lags a snapshot JSON carries, by group.
    /// Each group's rows' time lags, in row order (as ``SnapshotJSON/TimeLagSource`` gives them).
    static func timeLags(in data: Data) throws -> [String: [TimeLag]] {
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        var out: [String: [TimeLag]] = [:]
        for group in object?["groups"] as? [[String: Any]] ?? [] {
            guard let id = group["groupID"] as? String else { continue }
            for row in group["partitions"] as? [[String: Any]] ?? [] {
                guard let lag = row["timeLag"] else { continue }
                out[id, default: []].append(try JSONDecoder().decode(TimeLag.self, from: JSONSerialization.data(withJSONObject: lag)))
            }
        }
        return out
    }

    @Test("snapshot --output writes the same JSON as stdout, replaces an existing file whole, leaves no partial file")
    func snapshotOutputFile() async throws {
        try await Fixture.withSim(.plaintext) { sim in
            let servers = await sim.bootstrapServers()
            let dir = try Self.temporaryDirectory()
            let path = dir + "/snap.json"
            try "old contents".write(toFile: path, atomically: true, encoding: .utf8)
            let base = ["snapshot", "--format", "json", "-b", servers, "-X", "socket.connection.setup.timeout.ms=30000", "-X", "socket.timeout.ms=30000"]
            for _ in 0..<2 {
                let r = try await Self.kgtop(base + ["--output", path])
                #expect(r.status == 0, "\(r.output)")
                let text = try String(contentsOfFile: path, encoding: .utf8)
                #expect(text.hasPrefix("{\n") && text.hasSuffix("}\n"), "\(text.prefix(200))")
                let snapshot = try SnapshotJSON.decodeSnapshot(Data(text.utf8))
                #expect(snapshot.groups.map(\.groupID) == ["billing"])
                // Exactly the canonical encoding (time lags included), not a partial file.
                let lags = try Self.timeLags(in: Data(text.utf8))
                #expect(!lags.isEmpty)
                #expect(Data(text.utf8) == (try SnapshotJSON.encode(snapshot, timeLags: { lags[$0.groupID] ?? [] })) + Data("\n".utf8))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["snap.json"])
            let stdout = try await Self.kgtop(base)
            #expect(stdout.status == 0)
            #expect(try SnapshotJSON.decodeSnapshot(Data(stdout.stdout.utf8)).groups.map(\.groupID) == ["billing"])
        }
    }

    @Test("A SASL session's every output is free of the password (wrong and right password)")
    func noSecretInOutput() async throws {
        try await Fixture.withSim(.saslPlaintext(Fixture.sasl)) { sim in
            let servers = await sim.bootstrapServers()
            // Generous timeouts: the test machine may be busy with other suites.
            let base = ["snapshot", "--format", "json", "-b", servers, "-X", "socket.connection.setup.timeout.ms=30000",
                        "-X", "socket.timeout.ms=30000", "-X", "security.protocol=sasl_plaintext",
                        "-X", "sasl.mechanism=SCRAM-SHA-256", "-X", "sasl.username=alice"]
            let wrong = try await Self.kgtop(base + ["-X", "sasl.password=\(Fixture.wrongPassword)"])
            #expect(wrong.status == 3, "\(wrong.output)")
            #expect(wrong.stderr.contains("authentication failed"), "\(wrong.stderr)")
            #expect(Fixture.leaked(in: wrong.output).isEmpty, "\(wrong.output)")
            Self.expectNoStackTrace(wrong, "wrong password")

            let right = try await Self.kgtop(base + ["-X", "sasl.password=\(Fixture.password)"])
            #expect(right.status == 0, "\(right.output)")
            #expect(right.stdout.contains("billing"))
            #expect(Fixture.leaked(in: right.output).isEmpty, "\(right.output)")
        }
    }

    @Test("A properties file holding a password and readable by others gets a warning (and works)")
    func worldReadablePropertiesFile() async throws {
        try await Fixture.withSim(.saslPlaintext(Fixture.sasl)) { sim in
            let dir = try Self.temporaryDirectory()
            let file = dir + "/client.properties"
            let servers = await sim.bootstrapServers()
            try """
                bootstrap.servers=\(servers)
                security.protocol=sasl_plaintext
                sasl.mechanism=PLAIN
                sasl.username=alice
                sasl.password=\(Fixture.password)
                socket.connection.setup.timeout.ms=30000
                socket.timeout.ms=30000

                """.write(toFile: file, atomically: true, encoding: .utf8)
            chmod(file, 0o644)
            let open = try await Self.kgtop(["snapshot", "--format", "json", "-F", file])
            #expect(open.status == 0, "\(open.output)")
            #expect(open.stderr.contains("warning") && open.stderr.contains("readable by others"), "\(open.stderr)")
            #expect(Fixture.leaked(in: open.output).isEmpty)
            chmod(file, 0o600)
            let closed = try await Self.kgtop(["snapshot", "--format", "json", "-F", file])
            #expect(closed.status == 0, "\(closed.output)")
            #expect(!closed.stderr.contains("readable by others"), "\(closed.stderr)")
        }
    }

    @Test("Turning certificate verification off prints one warning")
    func verificationOffWarning() async throws {
        let pki = try await TestPKI.shared()
        try await Fixture.withSim(.ssl(Fixture.serverTLS(pki))) { sim in
            let servers = await sim.bootstrapServers()
            let r = try await Self.kgtop([
                "snapshot", "--format", "json", "-b", servers, "-X", "socket.connection.setup.timeout.ms=30000",
                "-X", "socket.timeout.ms=30000", "-X", "security.protocol=ssl", "-X", "enable.ssl.certificate.verification=false",
            ])
            #expect(r.status == 0, "\(r.output)")
            let warnings = r.stderr.split(separator: "\n").filter { $0.contains("enable.ssl.certificate.verification=false") }
            #expect(warnings.count == 1, "\(r.stderr)")
        }
    }
}

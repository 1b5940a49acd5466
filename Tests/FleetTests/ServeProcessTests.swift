import Foundation
import KafkaSim
import Testing

@testable import KgtopCLI

/// `kgtop serve` as a process: it becomes ready on a simulated cluster, serves on loopback, and
/// stops cleanly on SIGTERM (exit 0).
@Suite("kgtop serve process", .serialized)
struct ServeProcessTests {
    /// The kgtop executable beside the test bundle (the build folder), or `KGTOP_BIN`.
    static func kgtopBinary() -> String? {
        if let env = ProcessInfo.processInfo.environment["KGTOP_BIN"], !env.isEmpty { return env }
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("kgtop").path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    @Test("ready on a simulated cluster, metrics on loopback, no endpoint shows a properties-file secret, SIGTERM exits 0 and says so")
    func sigterm() async throws {
        let binary = try #require(Self.kgtopBinary(), "the kgtop executable is not built beside the tests")
        let clock = KafkaSim.ManualClock()
        let sim = try await SimContext.start("sim", clock: clock)
        _ = try await sim.cluster.createTopic("orders", partitions: 2)
        await sim.cluster.commitOffset(group: "audit", topic: "orders", partition: 0, offset: 0)
        let dir = NSTemporaryDirectory() + "kgtop-serve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = PrometheusTests.freePort()
        // Secrets in the context's properties file (plaintext ignores them, so the polls go on).
        let secret = "hunter2-from-file"
        try "sasl.username=monitor\nsasl.password=\(secret)\nssl.key.password=\(secret)-key\n"
            .write(toFile: dir + "/sim.properties", atomically: true, encoding: .utf8)
        chmod(dir + "/sim.properties", 0o600)
        try """
            current-context: sim
            contexts:
              sim:
                bootstrap: 127.0.0.1:\(await sim.sim.port(ofBroker: 1) ?? 0)
                properties-file: \(dir)/sim.properties
                interval: 200ms
            """.write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)"]
        var environment = ProcessInfo.processInfo.environment
        environment["KGTOP_CONFIG"] = dir + "/config.yaml"
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()

        // Ready within a bounded wait (polling every 100 ms).
        var ready: RawHTTP.Reply?
        for _ in 0..<200 {
            ready = await RawHTTP.get(port: port, "/readyz", timeoutMs: 2_000)
            if ready?.status == 200 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(ready?.status == 200, "\(ready?.body ?? "no answer")")
        #expect(ready?.body.hasPrefix("ready\nsim: ready") == true)
        let metrics = try #require(await RawHTTP.get(port: port, "/metrics"))
        #expect(Scrape(metrics.body).value("kgtop_up", ["cluster_name": "sim"]) == 1)
        #expect(Scrape(metrics.body).value("kgtop_group_committed_partitions", ["cluster_name": "sim", "group": "audit"]) == 1)
        let snapshot = try #require(await RawHTTP.get(port: port, "/snapshot"))
        #expect(snapshot.status == 200 && snapshot.body.contains("\"audit\""))
        let events = try #require(await RawHTTP.get(port: port, "/events", timeoutMs: 1_000))
        #expect(events.status == 200)
        let openMetrics = await RawHTTP.get(port: port, "/metrics", accept: "application/openmetrics-text")
        for (what, body) in [
            ("/metrics", metrics.body), ("OpenMetrics", openMetrics?.body ?? ""), ("/snapshot", snapshot.body), ("/events", events.body),
            ("/readyz", ready?.body ?? ""), ("/", await RawHTTP.get(port: port, "/")?.body ?? ""),
            ("kgtop contexts", try ContextsCommand.render(environment: ["KGTOP_CONFIG": dir + "/config.yaml"])),
        ] {
            #expect(!body.contains(secret) && !body.contains("sasl.password"), "\(what) shows a property: \(body.prefix(300))")
        }

        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "kgtop serve did not stop within 10 s of SIGTERM")
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let said = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.contains("kgtop serve: listening on http://127.0.0.1:\(port)/metrics; contexts sim"), "\(said)")
        #expect(said.hasSuffix("kgtop serve: stopped\n"), "\(said)")
        #expect(!said.contains(secret), "\(said)")
        await sim.shutdown()
    }
}

import Foundation
import KafkaSim
import KgtopServe
import Testing

@testable import KgtopCLI

/// The shipped alert rules under `promtool test rules`, and a real Prometheus scraping the
/// exporter while a simulated cluster goes through a rolling restart. Both need Debian's
/// `prometheus` package: skipped with a message when it is absent, failed under CI=true.
@Suite("Prometheus", .serialized)
struct PrometheusTests {
    /// The repository's deploy/prometheus folder.
    static var deployDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/prometheus").path
    }

    static func available(_ tool: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/\(tool)") else {
            if Promtool.requiredByCI {
                Issue.record("/usr/bin/\(tool) is missing (CI=true): scripts/bootstrap.sh installs Debian's prometheus")
            } else {
                print("skipped: /usr/bin/\(tool) is not installed (apt-get install prometheus)")
            }
            return false
        }
        return true
    }

    @Test("promtool check rules and promtool test rules pass on deploy/prometheus")
    func rules() throws {
        guard Self.available("promtool") else { return }
        let (checked, checkOutput) = try Promtool.run(["check", "rules", "kgtop.rules.yml"], in: Self.deployDirectory)
        #expect(checked == 0, "\(checkOutput)")
        let (tested, testOutput) = try Promtool.run(["test", "rules", "kgtop.rules.test.yml"], in: Self.deployDirectory)
        #expect(tested == 0, "\(testOutput)")
        #expect(testOutput.contains("SUCCESS"), "\(testOutput)")
        // Every alert of the rules file has a unit test.
        let rules = try String(contentsOfFile: Self.deployDirectory + "/kgtop.rules.yml", encoding: .utf8)
        let tests = try String(contentsOfFile: Self.deployDirectory + "/kgtop.rules.test.yml", encoding: .utf8)
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("- alert: ") ? String(t.dropFirst(9)) : nil
        }
        #expect(alerts.count == 6)
        for alert in alerts { #expect(tests.contains("alertname: \(alert)"), "no test for \(alert)") }
    }

    /// A free loopback port (bound and released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// One number from Prometheus's instant-query API (the first result), nil when there is none.
    static func query(_ port: Int, _ promql: String) async -> Double? {
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        guard let reply = await RawHTTP.get(port: port, "/api/v1/query?query=\(encoded)", timeoutMs: 5_000), reply.status == 200,
            let json = try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any],
            let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
            let value = result.first?["value"] as? [Any], value.count == 2, let text = value[1] as? String
        else { return nil }
        return Double(text)
    }

    /// Polls Prometheus (every 200 ms, at most `seconds`) until `promql` answers a value `ok` accepts.
    static func wait(_ port: Int, _ promql: String, seconds: Double = 60, until ok: (Double) -> Bool) async throws -> Double? {
        let deadline = Date().addingTimeInterval(seconds)
        var last: Double?
        while Date() < deadline {
            last = await query(port, promql)
            if let v = last, ok(v) { return v }
            try await Task.sleep(for: .milliseconds(200))
        }
        return last
    }

    @Test("A real Prometheus scrapes kgtop serve through a rolling restart: the epochs move and the histogram counts the episodes")
    func realPrometheus() async throws {
        guard Self.available("prometheus") else { return }
        let clock = KafkaSim.ManualClock()
        let prod = try await SimContext.start("prod", clock: clock)
        var handles = try await prod.addServiceGroup()
        let exporter = FleetExporter(contexts: [prod.served()], now: { clock.nowMs() })
        await ServeTests.run(20_000, prod, clock: clock, exporter: exporter, polled: ["prod"])

        let server = try await HTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            await ServeRoutes.route(request, exporter: exporter, filters: [:])
        }
        let serving = Task { await server.run() }

        let dir = NSTemporaryDirectory() + "kgtop-prometheus-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - \(Self.deployDirectory)/kgtop.rules.yml
            scrape_configs:
              - job_name: kgtop
                static_configs:
                  - targets: ['127.0.0.1:\(server.port)']
            """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = Self.freePort()
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        prometheus.arguments = [
            "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data", "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ]
        let log = FileHandle(forWritingAtPath: "/dev/null")
        prometheus.standardOutput = log
        prometheus.standardError = log
        try prometheus.run()
        defer {
            prometheus.terminate()
            prometheus.waitUntilExit()
        }

        let svc = #"{cluster_name="prod",group="svc"}"#
        let first = try await Self.wait(port, "kgtop_group_epoch\(svc)") { $0 > 0 }
        let before = try #require(first, "Prometheus never scraped the epoch")
        let up = try await Self.wait(port, "up{job=\"kgtop\"}") { $0 == 1 }
        #expect(up == 1)

        for i in 0..<3 {
            try await prod.cluster.stopMember(handles[i])
            await ServeTests.run(3_000, prod, clock: clock, exporter: exporter, polled: ["prod"])
            handles[i] = try await prod.cluster.addMember(group: "svc", protocol: .consumer, topics: ["orders"], options: member("svc-\(i + 1)"))
            await ServeTests.run(15_000, prod, clock: clock, exporter: exporter, polled: ["prod"])
        }
        let episodes = await exporter.latestUpdate("prod")?.finishedEpisodes.filter { $0.groupID == "svc" && !$0.abandoned }.count ?? 0
        #expect(episodes >= 3)

        let after = try await Self.wait(port, "kgtop_group_epoch\(svc)") { $0 >= before + 6 }
        #expect((after ?? 0) >= before + 6, "epoch \(before) -> \(after ?? -1)")
        let counted = try await Self.wait(port, "kgtop_rebalance_duration_seconds_count\(svc)") { $0 == Double(episodes) }
        #expect(counted == Double(episodes), "histogram count \(counted ?? -1), episodes \(episodes)")
        let rebalances = try await Self.wait(port, "sum(kgtop_rebalances_total\(svc))") { $0 >= Double(episodes) }
        #expect((rebalances ?? 0) >= Double(episodes))
        // The recording rules evaluate on the scraped series.
        let recorded = try await Self.wait(port, "kgtop:rebalances:increase1h\(svc)") { $0 > 0 }
        #expect((recorded ?? 0) > 0)

        serving.cancel()
        await serving.value
        await prod.shutdown()
    }
}

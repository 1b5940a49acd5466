import Foundation
import GroupModel
import KafkaSim
import Monitor
import Testing

@testable import KgtopServe

@testable import KgtopCLI

/// `kgtop serve`: the exposition format, two contexts on two simulated clusters (a rolling restart
/// on one, the other stopped), and the HTTP endpoints.
@Suite("kgtop serve", .serialized)
struct ServeTests {
    // MARK: - Exposition

    /// Families written through the same writer a scrape uses; the last has no lines.
    static func exposition(_ format: ExpositionFormat) -> String {
        var writer = ExpositionWriter(format: format)
        var up = SeriesLines()
        up.series("kgtop_up", Labels("cluster_name", "a \"quoted\" \\ name\nx"), 1)
        writer.family(MetricSpec(name: "kgtop_up", type: .gauge, help: "1 when up."), [up.bytes[...]])
        var rebalances = SeriesLines()
        rebalances.series("kgtop_rebalances_total", Labels("group", "g"), "trigger", "join", 3)
        writer.family(MetricSpec(name: "kgtop_rebalances", type: .counter, help: "Episodes."), [rebalances.bytes[...]])
        var state = SeriesLines()
        state.series("kgtop_group_state_info", Labels("group", "g"), "state", "Stable", 1)
        writer.family(MetricSpec(name: "kgtop_group_state", type: .info, help: "State."), [state.bytes[...]])
        var h = Histogram(bounds: [1, 10])
        h.observe(0.5)
        h.observe(4)
        h.observe(40)
        var durations = SeriesLines()
        h.write("kgtop_rebalance_duration_seconds", labels: Labels("group", "g"), into: &durations)
        #expect(durations.count == 1, "a histogram is one series")
        writer.family(MetricSpec(name: "kgtop_rebalance_duration_seconds", type: .histogram, help: "Durations."), [durations.bytes[...]])
        writer.family(MetricSpec(name: "kgtop_empty", type: .gauge, help: "No samples: left out."), [SeriesLines().bytes[...]])
        return writer.finish().text
    }

    @Test("Prometheus text: HELP and TYPE per family, escaped labels, counters _total, info as gauge, cumulative buckets")
    func prometheusText() throws {
        let text = Self.exposition(.prometheus)
        #expect(text == """
            # HELP kgtop_up 1 when up.
            # TYPE kgtop_up gauge
            kgtop_up{cluster_name="a \\"quoted\\" \\\\ name\\nx"} 1
            # HELP kgtop_rebalances_total Episodes.
            # TYPE kgtop_rebalances_total counter
            kgtop_rebalances_total{group="g",trigger="join"} 3
            # HELP kgtop_group_state_info State.
            # TYPE kgtop_group_state_info gauge
            kgtop_group_state_info{group="g",state="Stable"} 1
            # HELP kgtop_rebalance_duration_seconds Durations.
            # TYPE kgtop_rebalance_duration_seconds histogram
            kgtop_rebalance_duration_seconds_bucket{group="g",le="1.0"} 1
            kgtop_rebalance_duration_seconds_bucket{group="g",le="10.0"} 2
            kgtop_rebalance_duration_seconds_bucket{group="g",le="+Inf"} 3
            kgtop_rebalance_duration_seconds_sum{group="g"} 44.5
            kgtop_rebalance_duration_seconds_count{group="g"} 3

            """)
        let open = Self.exposition(.openMetrics)
        #expect(open.contains("# TYPE kgtop_rebalances counter\nkgtop_rebalances_total{"))
        #expect(open.contains("# TYPE kgtop_group_state info\nkgtop_group_state_info{"))
        #expect(open.hasSuffix("# EOF\n"))
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=1.0.0,text/plain;q=0.5") == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "text/plain") == .prometheus)
        #expect(ExpositionFormat.negotiate(accept: nil) == .prometheus)
        try Self.promtoolCheck(text)
    }

    /// `promtool check metrics` on a scrape (skipped with a message when promtool is absent,
    /// except under CI, where the bootstrap installs it).
    static func promtoolCheck(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard Promtool.path != nil else {
            if Promtool.requiredByCI {
                Issue.record("promtool is missing (CI=true): scripts/bootstrap.sh installs Debian's prometheus", sourceLocation: sourceLocation)
            } else {
                print("promtool check metrics skipped: promtool is not installed (apt-get install prometheus)")
            }
            return
        }
        let (status, output) = try Promtool.run(["check", "metrics"], input: text)
        #expect(status == 0, "promtool check metrics: \(output)", sourceLocation: sourceLocation)
    }

    // MARK: - Two contexts

    /// Advances simulated time in 100 ms ticks of `a`'s cluster, polling the contexts in `polled`
    /// every second.
    static func run(_ ms: Int64, _ a: SimContext, clock: KafkaSim.ManualClock, exporter: FleetExporter, polled: [String]) async {
        var elapsed: Int64 = 0
        while elapsed < ms {
            await a.cluster.advance(by: 100)
            elapsed += 100
            if clock.nowMs() % 1_000 == 0 {
                for name in polled { await exporter.poll(name) }
            }
        }
    }

    @Test("Two contexts: a rolling restart moves epochs and counts episodes; a stopped cluster fails alone and /readyz names it")
    func twoContexts() async throws {
        let clock = KafkaSim.ManualClock()
        let prod = try await SimContext.start("prod", clock: clock)
        let staging = try await SimContext.start("staging", clock: clock)
        var handles = try await prod.addServiceGroup()
        _ = try await staging.cluster.createTopic("audit", partitions: 1)
        _ = try await staging.cluster.append(topic: "audit", partition: 0, count: 10)
        await staging.cluster.commitOffset(group: "audit-replay", topic: "audit", partition: 0, offset: 4)
        let exporter = FleetExporter(contexts: [prod.served(), staging.served()], now: { clock.nowMs() })

        await Self.run(20_000, prod, clock: clock, exporter: exporter, polled: ["prod", "staging"])
        let settled = Scrape(await exporter.metrics(format: .prometheus))
        let svc = ["cluster_name": "prod", "group": "svc"]
        #expect(settled.value("kgtop_up", ["cluster_name": "prod"]) == 1)
        #expect(settled.value("kgtop_up", ["cluster_name": "staging"]) == 1)
        #expect(settled.value("kgtop_group_members", svc) == 3)
        #expect(settled.value("kgtop_group_members_behind_assignment_epoch", svc) == 0)
        #expect(settled.value("kgtop_group_protocol_info", svc.merging(["protocol": "consumer", "type": "consumer"]) { $1 }) == 1)
        #expect(settled.value("kgtop_group_state_code", svc) == 3, "Stable")
        #expect(settled.value("kgtop_group_health_info", svc.merging(["status": "OK"]) { $1 }) == 1, "\(settled.samples("kgtop_group_health_info", svc))")
        let epochBefore = try #require(settled.value("kgtop_group_epoch", svc))
        #expect(settled.value("kgtop_group_assignment_epoch", svc) == epochBefore)
        let lags = settled.samples("kafka_consumergroup_group_lag", svc)
        #expect(lags.count == 6)
        #expect(lags.allSatisfy { $0.0.contains("client_id=\"svc-") && $0.0.contains("member_host=\"") && !$0.0.contains("consumer_id=\"\"") }, "\(lags)")
        #expect(settled.samples("kafka_consumergroup_group_lag_seconds", svc).count == 6)
        #expect(settled.value("kafka_consumergroup_group_topic_sum_lag", svc.merging(["topic": "orders"]) { $1 }) != nil)
        #expect(settled.value("kafka_consumergroup_group_max_lag_seconds", svc) != nil)
        // A consuming group's time lag is measured (interpolated or caught up), not a bound.
        #expect(settled.value("kgtop_group_max_lag_seconds_is_lower_bound", svc) == 0)
        let audit = ["cluster_name": "staging", "group": "audit-replay"]
        #expect(settled.value("kafka_consumergroup_group_sum_lag", audit) == 6)
        #expect(settled.value("kgtop_group_committed_partitions", audit) == 1)
        #expect(settled.value("kgtop_group_state_info", audit.merging(["state": "Empty"]) { $1 }) == 1)
        #expect((settled.value("kgtop_group_empty_seconds", audit) ?? 0) >= 15)
        #expect(settled.value("kgtop_poll_duration_seconds_count", ["cluster_name": "prod"]) == 20)
        try Self.promtoolCheck(settled.text)

        // A rolling restart of prod's three members.
        for i in 0..<3 {
            try await prod.cluster.stopMember(handles[i])
            await Self.run(3_000, prod, clock: clock, exporter: exporter, polled: ["prod"])
            handles[i] = try await prod.cluster.addMember(group: "svc", protocol: .consumer, topics: ["orders"], options: member("svc-\(i + 1)"))
            await Self.run(15_000, prod, clock: clock, exporter: exporter, polled: ["prod"])
        }
        let restarted = Scrape(await exporter.metrics(format: .prometheus))
        let epochAfter = try #require(restarted.value("kgtop_group_epoch", svc))
        #expect(epochAfter >= epochBefore + 6, "each restart bumps the epoch on leave and on join")
        let latest = try #require(await exporter.latestUpdate("prod"))
        let finished = latest.finishedEpisodes.filter { $0.groupID == "svc" && !$0.abandoned && $0.startedAt > clock.nowMs() - 60_000 }
        #expect(finished.count >= 3, "\(finished.map(\.trigger))")
        let counted = restarted.samples("kgtop_rebalances_total", svc).map(\.1).reduce(0, +)
        let histogramCount = try #require(restarted.value("kgtop_rebalance_duration_seconds_count", svc))
        #expect(counted == Double(latest.finishedEpisodes.filter { $0.groupID == "svc" }.count + latest.openEpisodes.filter { $0.groupID == "svc" }.count))
        #expect(histogramCount == Double(latest.finishedEpisodes.filter { $0.groupID == "svc" && !$0.abandoned }.count))
        #expect(histogramCount >= 3)
        #expect(restarted.value("kgtop_rebalance_episode_seconds", svc) == 0)
        #expect(restarted.value("kgtop_group_members", svc) == 3)

        // Staging stops: its series go, kgtop_up says 0 with a poll error; prod stays current.
        await staging.sim.shutdown()
        await Self.run(2_000, prod, clock: clock, exporter: exporter, polled: ["prod", "staging"])
        await Self.run(2_000, prod, clock: clock, exporter: exporter, polled: ["prod"])
        let failing = Scrape(await exporter.metrics(format: .prometheus))
        #expect(failing.value("kgtop_up", ["cluster_name": "staging"]) == 0)
        #expect(failing.value("kgtop_up", ["cluster_name": "prod"]) == 1)
        #expect((failing.value("kgtop_poll_errors_total", ["cluster_name": "staging", "kind": "poll"]) ?? 0) == 2)
        #expect(failing.samples("kgtop_group_members", ["cluster_name": "staging"]).isEmpty)
        #expect(failing.value("kgtop_group_members", svc) == 3)
        #expect(failing.value("kgtop_last_successful_poll_timestamp_seconds", ["cluster_name": "prod"]) == Double(clock.nowMs()) / 1_000)
        try Self.promtoolCheck(failing.text)

        // Readiness: prod polled within 3 intervals, staging not (its last success > 3 s ago).
        let ready = await exporter.readiness()
        #expect(ready.first { $0.name == "prod" }?.ready == true)
        let stagingReady = try #require(ready.first { $0.name == "staging" })
        #expect(!stagingReady.ready)
        #expect(stagingReady.detail.contains("more than 3 intervals (3 s)"), "\(stagingReady.detail)")

        // The same over HTTP.
        let server = try await HTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            await ServeRoutes.route(request, exporter: exporter, filters: [:])
        }
        let serving = Task { await server.run() }
        let readyz = try #require(await RawHTTP.get(port: server.port, "/readyz"))
        #expect(readyz.status == 503)
        #expect(readyz.body.hasPrefix("not ready: staging\n"), "\(readyz.body)")
        #expect(readyz.body.contains("prod: ready"))
        let healthz = try #require(await RawHTTP.get(port: server.port, "/healthz"))
        #expect(healthz.status == 200 && healthz.body == "ok\n")
        let metrics = try #require(await RawHTTP.get(port: server.port, "/metrics"))
        #expect(metrics.status == 200)
        #expect(metrics.headers.lowercased().contains("content-type: text/plain; version=0.0.4"))
        #expect(Scrape(metrics.body).value("kgtop_group_members", svc) == 3)
        let openMetrics = try #require(await RawHTTP.get(port: server.port, "/metrics", accept: "application/openmetrics-text; version=1.0.0"))
        #expect(openMetrics.headers.lowercased().contains("application/openmetrics-text"))
        #expect(openMetrics.body.hasSuffix("# EOF\n"))
        let snapshot = try #require(await RawHTTP.get(port: server.port, "/snapshot?context=prod"))
        #expect(snapshot.status == 200)
        let decoded = try SnapshotJSON.decodeSnapshot(Data(snapshot.body.utf8))
        #expect(decoded.schema == "kgtop.snapshot/1" && decoded.group("svc")?.members.count == 3)
        #expect(await RawHTTP.get(port: server.port, "/snapshot")?.status == 400)
        #expect(await RawHTTP.get(port: server.port, "/snapshot?context=nope")?.status == 404)
        #expect(await RawHTTP.get(port: server.port, "/nothing")?.status == 404)

        // /events stays open and streams prod's events as polls happen.
        async let events = RawHTTP.get(port: server.port, "/events?context=prod", timeoutMs: 20_000) { text in
            text.contains("\"type\":\"episode_ended\"")
        }
        // Wait (bounded) until the subscription exists, then cause a rebalance.
        var subscribed = false
        for _ in 0..<200 where !subscribed {
            subscribed = await exporter.subscriberCount("prod") > 0
            if !subscribed { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(subscribed)
        try await prod.cluster.stopMember(handles[0])
        await Self.run(20_000, prod, clock: clock, exporter: exporter, polled: ["prod"])
        let stream = try #require(await events)
        #expect(stream.status == 200)
        #expect(stream.headers.lowercased().contains("application/x-ndjson"))
        let lines = stream.body.split(separator: "\n")
        #expect(lines.contains { $0.contains("\"type\":\"member_left\"") && $0.contains("svc-1") }, "\(lines)")
        #expect(lines.contains { $0.contains("\"type\":\"episode_ended\"") })

        serving.cancel()
        await serving.value
        await exporter.finishAll()
        await prod.shutdown()
        await staging.admin.close()
    }

    @Test("The README's Metrics table lists every metric the exporter writes, by its exposed name")
    func readmeListsEveryMetric() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Metrics\n").dropFirst().first?.components(separatedBy: "\n## ").first)
        for spec in MetricCatalog.all {
            let exposed = spec.name + (spec.type == .counter ? "_total" : spec.type == .info ? "_info" : "")
            #expect(section.contains("| `\(exposed)` |"), "README Metrics lacks \(exposed)")
        }
        let listed = section.split(separator: "\n").filter { $0.hasPrefix("| `") }.count
        #expect(listed == MetricCatalog.all.count, "README lists \(listed) metrics, the exporter writes \(MetricCatalog.all.count)")
    }

    @Test("Numbers: integers plain, fractions to the microsecond without float noise")
    func numbers() {
        #expect(ExpositionWriter.number(3) == "3")
        #expect(ExpositionWriter.number(0.1 + 0.133) == "0.233")
        #expect(ExpositionWriter.number(1_796_424_261.849) == "1796424261.849")
        #expect(ExpositionWriter.number(-2.5) == "-2.5")
        #expect(ExpositionWriter.number(.nan) == "NaN")
        #expect(ExpositionWriter.number(.infinity) == "+Inf")
        #expect(ExpositionWriter.number(-.infinity) == "-Inf")
        #expect(ExpositionWriter.number(0) == "0")
        #expect(ExpositionWriter.number(-3) == "-3")
        #expect(ExpositionWriter.number(0.05) == "0.05")
        #expect(ExpositionWriter.number(-0.001) == "-0.001")
        #expect(ExpositionWriter.number(123.000001) == "123.000001")
        #expect(ExpositionWriter.number(0.0000004) == "0")
        #expect(ExpositionWriter.number(1e14) == "100000000000000")
        #expect(ExpositionWriter.number(12_345_678_901.25) == "12345678901.25", "beyond 9e9 the fraction is printed as before")
    }

    @Test("State codes are klag-exporter's: 1-7 for the classic and KIP-848 states, 0 for the rest")
    func stateCodes() {
        let expected: [(GroupState, Int)] = [
            (.preparingRebalance, 1), (.completingRebalance, 2), (.stable, 3), (.dead, 4), (.empty, 5), (.assigning, 6), (.reconciling, 7),
            (.notReady, 0), (.unknown("Unknown"), 0), (.unknown("Shrinking"), 0),
        ]
        for (state, code) in expected {
            #expect(MetricCatalog.code(of: state) == code, "\(state)")
            #expect(MetricCatalog.code(of: GroupState(brokerString: state.brokerString)) == code, "\(state.brokerString) as the broker spells it")
        }
    }

    @Test("A member stuck in revocation: blocking-member series with its label, episode seconds, STUCK verdict")
    func blockingMember() async throws {
        let clock = KafkaSim.ManualClock()
        let prod = try await SimContext.start("prod", clock: clock)
        let handles = try await prod.addServiceGroup()
        let exporter = FleetExporter(contexts: [prod.served()], now: { clock.nowMs() })
        await Self.run(20_000, prod, clock: clock, exporter: exporter, polled: ["prod"])
        try await prod.cluster.slowMember(handles[0], revocationDelayMs: 600_000)
        _ = try await prod.cluster.addMember(group: "svc", protocol: .consumer, topics: ["orders"], options: member("svc-4"))
        await Self.run(40_000, prod, clock: clock, exporter: exporter, polled: ["prod"])

        let scrape = Scrape(await exporter.metrics(format: .prometheus))
        let svc = ["cluster_name": "prod", "group": "svc"]
        let blocking = scrape.samples("kgtop_rebalance_blocking_member_info", svc)
        #expect(blocking.count == 1, "\(blocking)")
        let series = try #require(blocking.first?.0)
        #expect(series.contains("member=\"svc-1\"") && series.contains("client_id=\"svc-1\"") && series.contains("member_id=\""), "\(series)")
        let behind = try #require(scrape.value("kgtop_rebalance_blocking_member_seconds", svc.merging(["client_id": "svc-1"]) { $1 }))
        #expect(behind >= 30 && behind <= 40, "\(behind)")
        let episode = try #require(scrape.value("kgtop_rebalance_episode_seconds", svc))
        #expect(episode >= behind && episode <= 41, "\(episode)")
        #expect(scrape.value("kgtop_group_members_behind_assignment_epoch", svc) == 1)
        #expect(scrape.value("kgtop_group_members", svc) == 4)
        let handoff = (scrape.value("kgtop_group_partitions_pending_revocation", svc) ?? 0) + (scrape.value("kgtop_group_partitions_awaiting_release", svc) ?? 0)
        #expect(handoff > 0)
        #expect(scrape.value("kgtop_group_health_info", svc.merging(["status": "STUCK"]) { $1 }) == 1, "\(scrape.samples("kgtop_group_health_info", svc))")
        #expect(scrape.value("kgtop_group_health_severity", svc) == 3)
        try Self.promtoolCheck(scrape.text)
        await prod.shutdown()
    }

    @Test("Cardinality: --partition-metrics off leaves out per-partition series; the series cap drops and counts")
    func cardinality() async throws {
        let clock = KafkaSim.ManualClock()
        let prod = try await SimContext.start("prod", clock: clock)
        _ = try await prod.cluster.createTopic("orders", partitions: 6)
        for g in ["keep-1", "keep-2", "drop-me"] {
            for p in 0..<6 { await prod.cluster.commitOffset(group: g, topic: "orders", partition: Int32(p), offset: 0) }
        }
        let filter = try GroupFilter(include: "^keep-", exclude: nil, types: [])
        let noPartitions = FleetExporter(contexts: [prod.served(filter: filter)], limits: ExportLimits(partitionMetrics: false), now: { clock.nowMs() })
        await noPartitions.poll("prod")
        let scrape = Scrape(await noPartitions.metrics(format: .prometheus))
        #expect(scrape.samples("kafka_consumergroup_group_lag").isEmpty)
        #expect(scrape.samples("kgtop_group_members").map(\.0).sorted() == [
            "kgtop_group_members{cluster_name=\"prod\",group=\"keep-1\"}", "kgtop_group_members{cluster_name=\"prod\",group=\"keep-2\"}",
        ])
        #expect(scrape.value("kgtop_groups", ["cluster_name": "prod"]) == 2)
        #expect(scrape.value("kgtop_series_dropped_total") == 0)

        let capped = FleetExporter(contexts: [prod.served()], limits: ExportLimits(partitionMetrics: true, maxSeries: 10), now: { clock.nowMs() })
        await capped.poll("prod")
        let first = Scrape(await capped.metrics(format: .prometheus))
        #expect(first.samples("kafka_consumergroup_group_lag").isEmpty, "per-partition series go first")
        let dropped = try #require(first.value("kgtop_series_dropped_total"))
        #expect(dropped > 0)
        // A histogram's buckets, sum and count are one series (counted by its _count sample).
        let series = first.values.keys.filter { !$0.contains("_bucket{") && !$0.contains("_sum{") && $0 != "kgtop_series_dropped_total" }
        #expect(series.count == 10, "\(series.sorted())")
        let second = Scrape(await capped.metrics(format: .prometheus))
        #expect(second.value("kgtop_series_dropped_total") == dropped * 2, "a counter: each scrape adds what it dropped")
        await prod.shutdown()
    }

    @Test("The cap across two contexts: every context's partition series go before any group series; a scrape reuses the lines of the last poll")
    func capAcrossContexts() async throws {
        let clock = KafkaSim.ManualClock()
        let prod = try await SimContext.start("prod", clock: clock)
        _ = try await prod.cluster.createTopic("orders", partitions: 4)
        for g in ["g1", "g2"] {
            for p in 0..<4 { await prod.cluster.commitOffset(group: g, topic: "orders", partition: Int32(p), offset: 0) }
        }
        // Two contexts over the same cluster: the same series twice, told apart by cluster_name.
        let contexts = [prod.served(), ServedContext(name: "copy", monitor: prod.monitor, intervalMs: 1_000)]
        func series(_ text: String) -> [String] {
            text.split(separator: "\n").map(String.init).filter {
                !$0.hasPrefix("#") && !$0.contains("_bucket{") && !$0.contains("_sum{") && !$0.hasPrefix("kgtop_series_dropped_total")
            }
        }
        func isPartition(_ line: String) -> Bool {
            line.hasPrefix("kafka_consumergroup_group_lag{") || line.hasPrefix("kafka_consumergroup_group_lag_seconds{")
        }
        let whole = FleetExporter(contexts: contexts, limits: ExportLimits(partitionMetrics: true, maxSeries: 1_000), now: { clock.nowMs() })
        await whole.poll("prod")
        await whole.poll("copy")
        let all = series(await whole.metrics(format: .prometheus))
        let partitionCount = all.filter(isPartition).count
        #expect(partitionCount >= 2 * 2 * 4, "lag of 4 partitions of 2 groups in 2 contexts")
        #expect(all.filter { $0.contains("cluster_name=\"copy\"") }.count == all.count / 2)
        #expect(await whole.heldBytes() > 0)
        let again = await whole.metrics(format: .prometheus)
        #expect(series(again) == all, "no poll between two scrapes: the same lines")

        let keep = all.count - partitionCount + 1
        let capped = FleetExporter(contexts: contexts, limits: ExportLimits(partitionMetrics: true, maxSeries: keep), now: { clock.nowMs() })
        await capped.poll("prod")
        await capped.poll("copy")
        let text = await capped.metrics(format: .prometheus)
        let kept = series(text)
        #expect(kept.count == keep)
        #expect(kept.filter(isPartition) == [all.first(where: isPartition)!], "one partition series is left, the first context's first")
        #expect(Set(kept.filter { !isPartition($0) }) == Set(all.filter { !isPartition($0) }), "every group and context series stays")
        #expect(Scrape(text).value("kgtop_series_dropped_total") == Double(partitionCount - 1))
        let open = await capped.metrics(format: .openMetrics)
        #expect(open.hasSuffix("# EOF\n") && open.contains("# TYPE kgtop_series_dropped counter\n"))
        try Self.promtoolCheck(text)
        await prod.shutdown()
    }

    @Test("--listen: host:port checked, loopback told apart")
    func listenAddress() throws {
        #expect(try ListenAddress("127.0.0.1:9308") == ListenAddress("127.0.0.1:9308"))
        let v6 = try ListenAddress("[::1]:9308")
        #expect(v6.host == "::1" && v6.port == 9308 && v6.isLoopback)
        #expect(try !ListenAddress("0.0.0.0:9308").isLoopback)
        for bad in ["9308", ":9308", "host:", "host:99999", "[::1]9308", "a:b:c"] {
            #expect(throws: UserFacingError.self, "\(bad)") { try ListenAddress(bad) }
        }
    }
}

import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing

@testable import KgtopCLI

/// `check` exit codes per rule, `wait` across a rolling restart, `events` NDJSON, and UNKNOWN (3)
/// when nothing answers: the in-process runners against KafkaSim on a manual clock.
@Suite("Headless commands", .serialized)
struct CommandScenarioTests {
    /// "svc": KIP-848, 3 members keeping up; "lagger": classic, one member consuming 10 records/s of
    /// 60; "audit": committed offsets only (Empty).
    static func cluster() async throws -> SimHarness {
        let h = try await SimHarness.start()
        _ = try await HealthScenarioTests.consumerGroup(h, members: 3)
        var slow = memberOptions("lagger-1", rate: 10)
        slow.classicAssignor = .range
        try await h.cluster.addMember(group: "lagger", protocol: .classic, topics: ["orders"], options: slow)
        await h.cluster.commitOffset(group: "audit", topic: "orders", partition: 0, offset: 0)
        await h.run(for: 60_000, pollEveryMs: 5_000)
        return h
    }

    static func check(_ h: SimHarness, _ rules: [CheckRule], samples: Int = 2) async -> (Int32, [String]) {
        let out = CollectedOutput()
        let r = await CheckRunner.run(
            monitor: h.monitor, options: .init(rules: rules, samples: samples, sampleIntervalMs: 2_000, json: true),
            clock: h.commandClock, output: out.output)
        #expect(out.stdout.count == 1)
        return (r.code, out.stderr)
    }

    @Test("check: exit code per rule (0 OK, 1 WARN, 2 CRITICAL, 3 UNKNOWN)")
    func checkRules() async throws {
        let h = try await Self.cluster()
        let snapshot = try #require(h.latest?.snapshot)
        let lagger = try #require(snapshot.groups.first { $0.groupID == "lagger" })
        let lag = lagger.summary.totalLag
        #expect(lag > 1_000)

        let cases: [(String, CheckRule, Int32)] = [
            ("no rule", CheckRule(group: "^svc$"), 0),
            ("max-lag ok", CheckRule(group: "^lagger$", maxLag: lag * 10), 0),
            ("warn-lag", CheckRule(group: "^lagger$", maxLag: lag * 10, warnLag: 100), 1),
            ("max-lag", CheckRule(group: "^lagger$", maxLag: 100, warnLag: 10), 2),
            ("max-time-lag ok", CheckRule(group: "^svc$", maxTimeLagMs: 30_000), 0),
            ("warn-time-lag", CheckRule(group: "^lagger$", maxTimeLagMs: 3_600_000, warnTimeLagMs: 10_000), 1),
            ("max-time-lag", CheckRule(group: "^lagger$", maxTimeLagMs: 30_000), 2),
            ("state ok", CheckRule(group: "^svc$", states: ["Stable"]), 0),
            ("state", CheckRule(group: "^svc$", states: ["Empty"]), 2),
            ("protocol ok", CheckRule(group: "^svc$", protocol: "consumer"), 0),
            ("protocol", CheckRule(group: "^svc$", protocol: "classic"), 2),
            ("min-members ok", CheckRule(group: "^svc$", minMembers: 3), 0),
            ("min-members", CheckRule(group: "^svc$", minMembers: 4), 2),
            ("no-stuck ok", CheckRule(group: "^svc$", noStuck: true), 0),
            ("no group matches", CheckRule(group: "^nothing-here$", maxLag: 1), 2),
            ("no-lag-growth", CheckRule(group: "^lagger$", noLagGrowth: true), 1),
            ("audit state", CheckRule(group: "^audit$", states: ["Empty"]), 0),
        ]
        for (name, rule, expected) in cases {
            let (code, lines) = await Self.check(h, [rule])
            #expect(code == expected, "\(name): \(lines)")
        }
        // The summary names the failed rule in words and numbers.
        let (_, lines) = await Self.check(h, [CheckRule(group: "^lagger$", maxLag: 100)])
        #expect(lines.contains { $0.hasPrefix("CRITICAL lagger") && $0.contains("> max-lag 100") }, "\(lines)")
        let (_, timeLines) = await Self.check(h, [CheckRule(group: "^lagger$", maxTimeLagMs: 30_000)])
        #expect(timeLines.contains { $0.contains("more than 30 s behind") && $0.contains("committed") }, "\(timeLines)")

        // A rules file with several groups: the worst wins.
        let file = Data("""
            {"rules": [
              {"group": "^svc$", "state": "Stable", "min-members": 3, "max-time-lag": "30s", "protocol": "consumer"},
              {"group": "^lagger$", "warn-lag": 100, "max-lag": \(lag * 10)}
            ]}
            """.utf8)
        let rules = try CheckRule.parse(file, name: "rules.json")
        #expect(rules.count == 2)
        #expect(rules[0].maxTimeLagMs == 30_000)
        let (fileCode, _) = await Self.check(h, rules)
        #expect(fileCode == 1)
        #expect(throws: UserFacingError.self) { try CheckRule.parse(Data(#"[{"max-lagg": 1}]"#.utf8), name: "x") }

        // UNKNOWN: the coordinator answers every group with an error.
        try await h.sim.setFaults(BrokerFaults(coordinatorError: 30), broker: 1)
        let (faultCode, faultLines) = await Self.check(h, [CheckRule(group: "^svc$", minMembers: 1)])
        #expect(faultCode == 3, "\(faultLines)")
        try await h.sim.setFaults(BrokerFaults(), broker: 1)
        await h.shutdown()
    }

    /// A monitor whose bootstrap refuses connections.
    static func unreachableMonitor() async throws -> Monitor {
        let probe = try await SimHarness.start()
        let port = await probe.sim.port(ofBroker: 1) ?? 1
        await probe.shutdown()
        var config = AdminConfig(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: port)])
        config.connectionSetupTimeout = .seconds(1)
        config.requestTimeout = .seconds(1)
        config.reconnectBackoffMax = .milliseconds(200)
        let admin = KafkaAdminClient(config: config)
        return Monitor(poller: Poller(admin: admin, now: wallClockMs), now: wallClockMs)
    }

    @Test("check, wait and events exit 3 when the bootstrap is unreachable; events reports the fault once")
    func unreachable() async throws {
        let monitor = try await Self.unreachableMonitor()
        let noSleep = CommandClock(now: wallClockMs, sleep: { _ in })
        let out = CollectedOutput()
        let check = await CheckRunner.run(monitor: monitor, options: .init(rules: [CheckRule(maxLag: 1)]), clock: noSleep, output: out.output)
        #expect(check.code == 3)
        #expect(out.stderr.contains { $0.contains("could not observe") })
        let w = CollectedOutput()
        #expect(await WaitRunner.run(monitor: monitor, options: .init(group: "^svc$"), clock: noSleep, output: w.output) == 3)
        let e = CollectedOutput()
        let fresh = try await Self.unreachableMonitor()
        let code = await EventsRunner.run(monitor: fresh, options: .init(intervalMs: 10, maxPolls: 3), filter: nil, clock: noSleep, output: e.output)
        #expect(code == 3)
        #expect(e.stdout.count == 1, "\(e.stdout)")
        #expect(e.stdout.first?.contains(#""type":"poll_error""#) == true)
        #expect(e.stdout.first?.contains(#""scope":"cluster""#) == true)
    }

    @Test("wait exits 0 only after a rolling restart of 6 members has settled and held")
    func waitRollingRestart() async throws {
        let h = try await SimHarness.start()
        let handles = try await HealthScenarioTests.consumerGroup(h, members: 6)
        // Restart 1 starts now; restarts 2-6 every 15 s; each replacement joins 2 s after the stop.
        try await h.cluster.stopMember(handles[0])
        var steps: [(atMs: Int64, action: @Sendable (SimCluster) async throws -> Void)] = []
        for i in 0..<6 {
            let t = Int64(i) * 15_000
            if i > 0 {
                let handle = handles[i]
                steps.append((t, { c in try await c.stopMember(handle) }))
            }
            let client = "svc-\(i + 1)"
            steps.append((t + 2_000, { c in
                try await c.addMember(group: "svc", protocol: .consumer, topics: ["orders"], options: memberOptions(client))
            }))
        }
        let started = h.now
        let out = CollectedOutput()
        let code = await WaitRunner.run(
            monitor: h.monitor, options: .init(group: "^svc$", maxLag: 1_000, stableForMs: 10_000, timeoutMs: 300_000, intervalMs: 2_000),
            clock: h.scriptedClock(steps), output: out.output)
        #expect(code == 0, "\(out.stderr.suffix(3))")
        let took = h.now - started
        // The last replacement joins at 77 s; the group settles and then holds for 10 s.
        #expect(took >= 77_000 + 10_000, "exited after \(took) ms")
        #expect(took <= 77_000 + 10_000 + 15_000, "exited after \(took) ms")
        #expect(out.stderr.contains { $0.contains("Reconciling") && $0.contains("episode #") }, "\(out.stderr.prefix(5))")
        #expect(out.stderr.last?.contains("is stable for 10 s") == true, "\(out.stderr.last ?? "")")
        await h.shutdown()
    }

    @Test("wait: --group is a pattern over every matching group; no match in two consecutive polls is exit 3")
    func waitPattern() async throws {
        let h = try await SimHarness.start()
        _ = try await HealthScenarioTests.consumerGroup(h, group: "orders-a", members: 2)
        _ = try await HealthScenarioTests.consumerGroup(h, group: "orders-b", members: 1)
        let both = CollectedOutput()
        let code = await WaitRunner.run(
            monitor: h.monitor, options: .init(group: "^orders-", timeoutMs: 60_000, intervalMs: 1_000),
            clock: h.commandClock, output: both.output)
        #expect(code == 0, "\(both.stderr)")
        #expect(both.stderr.contains { $0.contains("kgtop wait: orders-a Stable") }, "\(both.stderr)")
        #expect(both.stderr.contains { $0.contains("kgtop wait: orders-b Stable") }, "\(both.stderr)")
        #expect(both.stderr.last?.contains("2 groups (orders-a, orders-b) are stable") == true, "\(both.stderr)")

        // An exact id is ^id$: orders-a alone, not every id that contains it.
        let one = CollectedOutput()
        #expect(await WaitRunner.run(
            monitor: h.monitor, options: .init(group: "^orders-a$", timeoutMs: 60_000, intervalMs: 1_000),
            clock: h.commandClock, output: one.output) == 0)
        #expect(!one.stderr.contains { $0.contains("orders-b") }, "\(one.stderr)")

        // No match: exit 3 at the second poll, one interval later, not 2 at the timeout.
        let none = CollectedOutput()
        let started = h.now
        let missing = await WaitRunner.run(
            monitor: h.monitor, options: .init(group: "^orders$", timeoutMs: 60_000, intervalMs: 1_000),
            clock: h.commandClock, output: none.output)
        #expect(missing == 3, "\(none.stderr)")
        #expect(h.now - started == 1_000, "exited after \(h.now - started) ms")
        #expect(none.stderr.last?.contains("no group matches /^orders$/ in 2 consecutive polls") == true, "\(none.stderr)")

        // A timeout shorter than one interval with no match is still "no group" (3), not a timeout (2).
        let short = CollectedOutput()
        #expect(await WaitRunner.run(
            monitor: h.monitor, options: .init(group: "^nosuch$", timeoutMs: 500, intervalMs: 1_000),
            clock: h.commandClock, output: short.output) == 3)
        #expect(short.stderr.last?.contains("no group matches") == true, "\(short.stderr)")
        await h.shutdown()
    }

    @Test("events: the first poll reports every group it sees (group_appeared), so one poll is never empty")
    func eventsBaseline() async throws {
        let h = try await SimHarness.start()
        _ = try await HealthScenarioTests.consumerGroup(h, group: "svc", members: 1)
        _ = try await HealthScenarioTests.consumerGroup(h, group: "other", members: 1)
        // The harness's monitor has polled before, but this run has not: its first poll is the baseline.
        let out = CollectedOutput()
        let code = await EventsRunner.run(
            monitor: h.monitor, options: .init(intervalMs: 1_000, maxPolls: 1), filter: try GroupFilter(include: "^svc$", exclude: nil, types: []),
            clock: h.commandClock, output: out.output)
        #expect(code == 0)
        let appeared = out.stdout.filter { $0.contains(#""type":"group_appeared""#) }
        #expect(appeared.count == 1, "\(out.stdout)")
        #expect(appeared.first?.contains(#""groupID":"svc""#) == true, "\(out.stdout)")
        #expect(!out.stdout.contains { $0.contains(#""groupID":"other""#) }, "\(out.stdout)")
        await h.shutdown()
    }

    @Test("events: NDJSON lines with schema, group events and episodes with durations, filtered by group")
    func eventsStream() async throws {
        let h = try await SimHarness.start()
        let handles = try await HealthScenarioTests.consumerGroup(h, members: 3)
        _ = try await HealthScenarioTests.consumerGroup(h, group: "other", members: 1)
        try await h.cluster.stopMember(handles[0])
        let filter = try GroupFilter(include: "^svc$", exclude: nil, types: [])
        let out = CollectedOutput()
        let code = await EventsRunner.run(
            monitor: h.monitor, options: .init(intervalMs: 1_000, maxPolls: nil, durationMs: 20_000), filter: filter,
            clock: h.commandClock, output: out.output)
        #expect(code == 0)
        var types: [String] = []
        for line in out.stdout {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["schema"] as? String == "kgtop.event/1")
            if let g = object["groupID"] as? String { #expect(g == "svc") }
            types.append(object["type"] as? String ?? "?")
        }
        #expect(types.contains("member_left"))
        #expect(types.contains("group_epoch_bumped"))
        #expect(types.contains("episode_started"))
        let ended = try #require(out.stdout.first { $0.contains(#""type":"episode_ended""#) })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(ended.utf8)) as? [String: Any])
        #expect((object["durationMs"] as? Int ?? 0) > 0)
        #expect(object["trigger"] as? String == "leave")
        await h.shutdown()
    }
}

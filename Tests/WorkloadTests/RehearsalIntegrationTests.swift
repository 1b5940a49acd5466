import Foundation
import GroupModel
import KafkaSim
import KgtopTestSupport
import Testing

@testable import Rehearsal
@testable import Workload

/// Where the integration tests find their peers and the kgtop binary.
enum Peers {
    static let environment = ProcessInfo.processInfo.environment

    /// The repository root.
    static let root = Repository.root

    /// The folder whose `librdkafka.so.1` is librdkafka 2.16.
    static var rdkafka216: String? { environment["KGTOP_RDKAFKA216_DIR"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The built `kgtop` (KGTOP_BIN, or beside the test bundle), when it has the rehearse command.
    static let kgtop: String? = {
        var candidates: [String] = []
        if let bin = environment["KGTOP_BIN"], !bin.isEmpty { candidates.append(bin) }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("kgtop").path)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(root.appendingPathComponent(".build/debug/kgtop").path)
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        // The command tree must include `rehearse` (registered in KgtopCommand).
        guard let help = try? ChildProcess.runWithin(.seconds(20), path, ["rehearse", "--help"]), help.status == 0 else { return nil }
        return path
    }()

    /// Child-process rehearsals need librdkafka 2.16 and the kgtop binary with `rehearse`.
    static var childReady: Bool { environment["KGTOP_VENV"] != nil && rdkafka216 != nil && kgtop != nil }
}

extension ChildProcess {
    /// Runs `path` with `extra` added to this process's environment; a child still running at
    /// `timeout` is an error (``ChildTimeout``) naming the command and the end of its stderr.
    static func runWithin(_ timeout: Duration, _ path: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        let child = try run(path, arguments, environment: environment, timeout: timeout)
        if child.timedOut {
            throw ChildTimeout(description: "\(path) \(arguments.joined(separator: " ")) ran over \(timeout); stderr: \(child.stderr.suffix(2000))")
        }
        return child
    }

    /// Runs `kgtop rehearse ... --json` with librdkafka 2.16 and decodes the report.
    static func rehearse(_ arguments: [String], timeout: Duration = .seconds(90)) throws -> (RehearsalReport, Result) {
        let kgtop = try #require(Peers.kgtop)
        let child = try runWithin(
            timeout, kgtop, ["rehearse", "--json"] + arguments, environment: ["LD_LIBRARY_PATH": try #require(Peers.rdkafka216)])
        guard child.status == 0 else {
            throw ChildTimeout(description: "kgtop rehearse exited \(child.status); stderr: \(child.stderr.suffix(3000))")
        }
        let report = try JSONDecoder().decode(RehearsalReport.self, from: Data(child.stdout.utf8))
        return (report, child)
    }
}

struct ChildTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Real librdkafka members against KafkaSim and Tansu, measured by the rehearsal. The in-process
/// tests need only the librdkafka the tests are linked against (Debian's 2.0.2) and always run; the
/// child-process ones need librdkafka 2.16 from the venv and say so when it is missing (under
/// `CI=true`, `CIPrerequisitesTests` fails instead).
@Suite("Rehearsals with real clients", .serialized)
struct RehearsalIntegrationTests {
    @Test("classic rehearsal with the linked librdkafka (Debian 2.0.2) against KafkaSim in-process", .timeLimit(.minutes(2)))
    func classicInProcess() async throws {
        var config = SimConfig(brokerCount: 3)
        config.classicInitialRebalanceDelayMs = 0
        let sim = try await KafkaSimulator.start(config: config, tickIntervalMs: 20)
        let servers = await sim.bootstrapServers()
        let cluster = sim.cluster
        let plan = RehearsalPlan(
            topic: "kgtop-rehearse-classic", groupID: "kgtop-rehearse-classic", partitions: 6, members: 3, protocol: .classic,
            steps: [.roll, .scaleOut(1), .kill(1)], ratePerSecond: 100,
            properties: ClientProperties([
                "bootstrap.servers": servers, "session.timeout.ms": "6000", "heartbeat.interval.ms": "500",
            ]),
            settleTimeout: .seconds(30), stepTimeout: .seconds(30),
            addPartitions: { topic, total in try await cluster.addPartitions(topic, totalCount: total) })
        let outcome: Result<RehearsalReport, RehearsalError>
        do { outcome = .success(try await Rehearsal(plan: plan).run()) } catch { outcome = .failure(error) }
        await sim.shutdown()
        let report = try outcome.get()

        #expect(report.librdkafkaVersion == Workload.librdkafkaVersion)
        #expect(report.observedGroupType == "classic")
        #expect(report.rebalanceProtocol == "EAGER")
        #expect(!report.startup.timedOut)
        #expect(report.steps.map(\.step) == ["roll", "scale-out 1", "kill 1"])
        for step in report.steps {
            #expect(!step.timedOut, "\(step.step): \(step.notes)")
            #expect(step.reconciledMs != nil)
            #expect(step.targetComputedMs != nil, "\(step.step): target")
        }
        // Eager: every step moves every partition; a kill leaves the dead member's partitions
        // unowned until its session (6 s) times out.
        let kill = report.steps[2]
        #expect(kill.maxUnownedMs >= 4000)
        #expect(kill.membersAfter == 3)
        #expect(report.consumed > 0)
        #expect(report.produced > 0)
    }

    @Test("a group with members kgtop did not start is refused", .timeLimit(.minutes(1)))
    func refusesForeignGroup() async throws {
        var config = SimConfig(brokerCount: 1)
        config.classicInitialRebalanceDelayMs = 0
        let sim = try await KafkaSimulator.start(config: config, tickIntervalMs: 20)
        let servers = await sim.bootstrapServers()
        try await sim.cluster.createTopic("busy", partitions: 2)
        let journal = WorkloadJournal()
        let other = try WorkloadConsumer(
            WorkloadConsumerConfig(name: "x", groupID: "busy-group", topics: ["busy"], properties: ClientProperties(["bootstrap.servers": servers])),
            journal: journal)
        let joined = await other.waitForAssignment(timeout: .seconds(20))
        let plan = RehearsalPlan(
            topic: "busy", groupID: "busy-group", members: 1, protocol: .classic, steps: [], ratePerSecond: 0,
            properties: ClientProperties(["bootstrap.servers": servers]))
        var refused: RehearsalError?
        do { _ = try await Rehearsal(plan: plan).run() } catch { refused = error }
        await other.close()
        await sim.shutdown()
        #expect(joined)
        #expect(refused?.kind == .groupInUse)
        #expect(refused?.message.contains("did not start") == true)
    }

    @Test(
        "classic rehearsal against Tansu with librdkafka 2.16 (child process)", .timeLimit(.minutes(2)),
        .enabled(if: Peers.childReady && Peers.environment["KGTOP_TANSU"] != nil, "needs KGTOP_TANSU, KGTOP_RDKAFKA216_DIR and a kgtop with `rehearse`"))
    func classicTansu() throws {
        let peers = Peers.root.appendingPathComponent("scripts/peers.sh").path
        let port = try ChildProcess.runWithin(.seconds(20), "/bin/bash", [peers, "free-port"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let started = try ChildProcess.runWithin(.seconds(20), "/bin/bash", [peers, "tansu-start", port])
        let pid = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(started.status == 0 && !pid.isEmpty, "tansu-start: \(started.stderr)")
        defer { _ = try? ChildProcess.runWithin(.seconds(20), "/bin/bash", [peers, "tansu-stop", pid]) }

        let (report, _) = try ChildProcess.rehearse([
            "-b", "127.0.0.1:\(port)", "--members", "3", "--partitions", "6", "--protocol", "classic",
            "--step", "scale-out", "1", "scale-in", "1", "--rate", "50/s",
            // Tansu counts record batches in its high watermark: one record per batch keeps offsets real.
            "-X", "batch.num.messages=1", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
            "--settle-timeout", "40s", "--step-timeout", "40s", "-q",
        ])
        #expect(report.librdkafkaVersion.hasPrefix("2.16"))
        #expect(!report.startup.timedOut)
        #expect(report.steps.count == 2)
        for step in report.steps {
            #expect(!step.timedOut, "\(step.step): \(step.notes)")
            #expect(step.reconciledMs != nil)
        }
        #expect(report.consumed > 0)
    }

    @Test(
        "KIP-848 rehearsal against KafkaSim with librdkafka 2.16 (child process, --sim)", .timeLimit(.minutes(2)),
        .enabled(if: Peers.childReady, "needs KGTOP_RDKAFKA216_DIR and a kgtop with `rehearse`"))
    func consumerProtocolSim() throws {
        let (report, _) = try ChildProcess.rehearse([
            "--sim", "--sim-heartbeat-interval-ms", "1000", "--sim-session-timeout-ms", "6000",
            "--members", "3", "--partitions", "6", "--protocol", "consumer", "--assignor", "uniform",
            "--step", "roll", "scale-out", "1", "kill", "1", "--settle-timeout", "30s", "--step-timeout", "30s", "-q",
        ])
        #expect(report.librdkafkaVersion.hasPrefix("2.16"))
        #expect(report.observedGroupType == "consumer")
        #expect(report.rebalanceProtocol == "COOPERATIVE")
        #expect(report.observedAssignor == "uniform")
        for step in [report.startup] + report.steps {
            #expect(!step.timedOut, "\(step.step): \(step.notes)")
            #expect(step.targetComputedMs != nil, "\(step.step): target")
            #expect(step.targetSource == "coordinator")
            if let target = step.targetComputedMs, let reconciled = step.reconciledMs { #expect(target <= reconciled) }
            if let before = step.epochBefore, let after = step.epochAfter { #expect(after > before) }
        }
        // Incremental: scaling out moves only what the new member gets.
        let scaleOut = report.steps[1]
        #expect(scaleOut.partitionsUnowned <= 2)
    }

    @Test(
        "add-partitions 12 → 120 with 6 members, classic and KIP-848 side by side (KafkaSim)", .timeLimit(.minutes(3)),
        .enabled(if: Peers.childReady, "needs KGTOP_RDKAFKA216_DIR and a kgtop with `rehearse`"))
    func addPartitionsExperiment() throws {
        var reports: [String: RehearsalReport] = [:]
        for (proto, assignor) in [("classic", "cooperative-sticky"), ("consumer", "uniform")] {
            let (report, _) = try ChildProcess.rehearse([
                "--sim", "--sim-rebalance-delay-ms", "0", "--sim-heartbeat-interval-ms", "1000",
                "--members", "6", "--partitions", "12", "--protocol", proto, "--assignor", assignor,
                "--step", "add-partitions", "120", "--rate", "200/s",
                // Classic members learn of new partitions only from their own metadata refresh.
                "-X", "topic.metadata.refresh.interval.ms=5000",
                "--settle-timeout", "40s", "--step-timeout", "60s", "-q",
            ], timeout: .seconds(100))
            reports[proto] = report
        }
        let classic = try #require(reports["classic"]?.steps.first)
        let consumer = try #require(reports["consumer"]?.steps.first)
        for step in [classic, consumer] {
            #expect(!step.timedOut, "\(step.step): \(step.notes)")
            #expect(step.partitionsAfter == 120)
            #expect(step.partitionsUnowned >= 108)
        }
        // KIP-848: the coordinator sees the new partitions itself; classic waits for a member's
        // metadata refresh to trigger a rebalance.
        #expect((consumer.reconciledMs ?? .max) < (classic.reconciledMs ?? .max))
        // The report names why classic waits, and the refresh interval the members ran with.
        let cause = try #require(classic.cause, "classic add-partitions must name its cause")
        #expect(cause.setting == "topic.metadata.refresh.interval.ms")
        #expect(cause.settingMs == 5000)
        #expect(cause.text.contains("metadata refresh"))
        #expect(consumer.cause == nil)
        print("add-partitions 12→120, 6 members: classic reconciled \(classic.reconciledMs ?? -1) ms, max unowned \(classic.maxUnownedMs) ms; KIP-848 reconciled \(consumer.reconciledMs ?? -1) ms, max unowned \(consumer.maxUnownedMs) ms")
    }
}

import ArgumentParser
import Foundation
import KafkaSim
import Rehearsal
import Workload

/// `kgtop rehearse`: real consumers cause rebalances on purpose while kgtop measures them.
public struct RehearseCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rehearse",
        abstract: "Run N real consumers (librdkafka) in one group, cause rebalances step by step, and measure each.",
        usage: """
            kgtop rehearse [-b <hosts>] [-X <key=value> ...] [-F <file> ...] [--context <name>] --members <N>
                           [--step <step> ...] [--topic <topic>] [--group <group>] [--partitions <P>]
                           [--protocol <protocol>] [--assignor <name>] [--rate <N/s>] [--size <bytes>]
                           [--settle-timeout <duration>] [--step-timeout <duration>] [--poll-interval <duration>]
                           [--cooldown <duration>] [--json] [--quiet]
            kgtop rehearse --sim [--sim-brokers <N>] [--sim-session-timeout-ms <ms>] [--sim-heartbeat-interval-ms <ms>]
                           [--sim-rebalance-delay-ms <ms>] --members <N> [the options above but -b]
            """,
        discussion: """
            Steps (several, in order; words after --step until the next option):
              roll              restart every member in turn (leave, start), waiting for the group to settle
              scale-out M       start M more members
              scale-in M        close M members (they leave the group)
              kill K            destroy K members without leaving (a crash: no LeaveGroup, no commit)
              add-partitions P  raise the topic to P partitions in total
            e.g. --step roll --step scale-out 2 kill 1, or --step 'add-partitions 120'.

            Per step it prints: the trigger; time to target computed (KIP-848: the assignment epoch \
            reaches the bumped group epoch; classic: the final generation is Stable); time to \
            reconciled (every member at the assignment epoch, nothing pending, every partition owned \
            by exactly one member); the longest time any partition had no owner (from the members' \
            own assign/revoke timestamps); messages consumed twice; the peak lag seen. --json prints \
            the same as a report (schema kgtop.rehearsal/1).

            The topic and group default to fresh kgtop-rehearse-<id> names. A group that already has \
            members is never touched. --protocol consumer needs librdkafka 2.4 or newer at run time \
            (LD_LIBRARY_PATH). Classic members see new partitions only on their metadata refresh \
            (topic.metadata.refresh.interval.ms, librdkafka's default 300000): the report names it, \
            with the value in force and, when the step timed out, when they will see them.
            Exit codes: 0 every step settled, 1 a step did not settle in time, 2 the group has members \
            kgtop did not start, 3 the cluster could not be reached, 64 bad input.
            """)

    /// Why `arguments` (a `kgtop rehearse` command line) give a step a negative count, e.g.
    /// `--step kill -1`, or nil when they do not. Checked before parsing: `--step` takes the words up
    /// to the next option, and `-1` would otherwise read as an unknown option.
    static func negativeStepCount(_ arguments: [String]) -> String? {
        guard arguments.first == "rehearse" else { return nil }
        var inStep = false
        var previous = ""
        for word in arguments.dropFirst() {
            if word == "--step" {
                inStep = true
            } else if inStep, word.hasPrefix("-"), Int(word) != nil || Double(word) != nil {
                return "--step \(previous) \(word): the count must be a positive number, e.g. --step \(previous) 2"
            } else if word.hasPrefix("-") {
                inStep = false
            }
            previous = word
        }
        return nil
    }

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The topic (created when missing; default kgtop-rehearse-<id>).", valueName: "topic"))
    var topic: String?

    @Option(help: ArgumentHelp("The consumer group (default: kgtop-rehearse-<id>).", valueName: "group"))
    var group: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Partitions when the topic is created.", valueName: "P"))
    var partitions: Int = 12

    @Option(parsing: .unconditional, help: ArgumentHelp("Members to start with.", valueName: "N"))
    var members: Int

    @Option(name: .customLong("protocol"), help: ArgumentHelp("Group protocol: classic or consumer (KIP-848).", valueName: "protocol"))
    var groupProtocol: String = "classic"

    @Option(help: ArgumentHelp(
        "Assignor: partition.assignment.strategy for classic (range, roundrobin, cooperative-sticky), group.remote.assignor for consumer (uniform, range).",
        valueName: "name"))
    var assignor: String?

    @Option(name: .customLong("step"), parsing: .upToNextOption, help: ArgumentHelp(
        "A step: roll, scale-out M, scale-in M, kill K, add-partitions P. Repeatable.", valueName: "step"))
    var stepWords: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Messages per second produced during the rehearsal; 0 for none.", valueName: "N/s"))
    var rate: String = "100/s"

    @Option(parsing: .unconditional, help: ArgumentHelp("Payload size of produced messages in bytes.", valueName: "bytes"))
    var size: Int = 100

    @Option(name: .customLong("settle-timeout"), parsing: .unconditional, help: ArgumentHelp("Wait this long for the group to settle after start-up and after each restart of a roll.", valueName: "duration"), transform: DurationArgument.transform)
    var settleTimeout = DurationArgument(milliseconds: 60_000)

    @Option(name: .customLong("step-timeout"), parsing: .unconditional, help: ArgumentHelp("Wait this long for the group to settle after a step.", valueName: "duration"), transform: DurationArgument.transform)
    var stepTimeout = DurationArgument(milliseconds: 120_000)

    @Option(name: .customLong("poll-interval"), parsing: .unconditional, help: ArgumentHelp("Time between polls of the group.", valueName: "duration"), transform: DurationArgument.transform)
    var pollInterval = DurationArgument(milliseconds: 200)

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep measuring this long after the group settled.", valueName: "duration"), transform: DurationArgument.transform)
    var cooldown = DurationArgument(milliseconds: 1_000)

    @Flag(help: "Run against an embedded simulated cluster (KafkaSim) started for this run instead of -b.")
    var sim = false

    @Option(name: .customLong("sim-brokers"), parsing: .unconditional, help: ArgumentHelp("Brokers of the --sim cluster.", valueName: "N"))
    var simBrokers: Int = 3

    @Option(name: .customLong("sim-session-timeout-ms"), parsing: .unconditional, help: ArgumentHelp(
        "--sim: group.consumer.session.timeout.ms, when a KIP-848 member that stopped heartbeating is removed (Kafka's default too).", valueName: "ms"))
    var simSessionTimeoutMs: Int32 = 45_000

    @Option(name: .customLong("sim-heartbeat-interval-ms"), parsing: .unconditional, help: ArgumentHelp(
        "--sim: group.consumer.heartbeat.interval.ms for KIP-848 members (Kafka's default too).", valueName: "ms"))
    var simHeartbeatIntervalMs: Int32 = 5_000

    @Option(name: .customLong("sim-rebalance-delay-ms"), parsing: .unconditional, help: ArgumentHelp(
        "--sim: group.initial.rebalance.delay.ms for classic groups (Kafka's default too).", valueName: "ms"))
    var simRebalanceDelayMs: Int64 = 3_000

    @Flag(help: "Print the report as JSON (schema kgtop.rehearsal/1) on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "No progress lines on stderr.")
    var quiet = false

    public init() {}

    public func run() async throws {
        do {
            guard sim else {
                let plan = try makePlan(properties: try connection.resolvedProperties())
                try output(try await execute(plan))
                return
            }
            if connection.bootstrapServers != nil {
                throw UserFacingError("--sim starts its own cluster: leave out -b/--bootstrap-server")
            }
            guard (1...16).contains(simBrokers) else { throw UserFacingError("--sim-brokers must be 1...16") }
            var config = SimConfig(brokerCount: simBrokers)
            config.consumerSessionTimeoutMs = simSessionTimeoutMs
            config.consumerHeartbeatIntervalMs = simHeartbeatIntervalMs
            config.classicInitialRebalanceDelayMs = simRebalanceDelayMs
            let simulator: KafkaSimulator
            do {
                simulator = try await KafkaSimulator.start(config: config, tickIntervalMs: 20)
            } catch {
                throw UserFacingError("cannot start the simulated cluster: \(error)", code: KgtopExit.unobservable)
            }
            let servers = await simulator.bootstrapServers()
            var plan = try makePlan(properties: try connection.resolvedProperties(environment: ["KGTOP_BOOTSTRAP_SERVERS": servers]))
            let cluster = simulator.cluster
            // CreatePartitions is not in kgtop's protocol layer nor in the simulator's wire API:
            // the simulator's own admin hook raises the partition count.
            plan.addPartitions = { topic, total in try await cluster.addPartitions(topic, totalCount: total) }
            let outcome: Result<RehearsalReport, UserFacingError>
            do {
                outcome = .success(try await execute(plan))
            } catch {
                outcome = .failure(error)
            }
            await simulator.shutdown()
            try output(try outcome.get())
        } catch let e as UserFacingError {
            throw report(e)
        }
    }

    /// Builds the plan from the options and the resolved connection properties.
    func makePlan(properties: [String: String]) throws(UserFacingError) -> RehearsalPlan {
        guard let proto = RehearsalProtocol(rawValue: groupProtocol.lowercased()) else {
            throw UserFacingError("--protocol \(groupProtocol): not one of classic, consumer")
        }
        let steps: [RehearsalStep]
        do {
            steps = try RehearsalStep.parse(stepWords)
        } catch {
            throw UserFacingError("\(error)")
        }
        guard members > 0 else { throw UserFacingError("--members must be at least 1") }
        guard partitions > 0 else { throw UserFacingError("--partitions must be at least 1") }
        guard members <= 1_000 else { throw UserFacingError("--members must be at most 1000") }
        guard partitions <= 100_000 else { throw UserFacingError("--partitions must be at most 100000") }
        guard (0...LoadCommand.maxMessageBytes).contains(size) else { throw UserFacingError("--size must be 0 to \(LoadCommand.maxMessageBytes) bytes") }
        for (flag, value) in [("--settle-timeout", settleTimeout), ("--step-timeout", stepTimeout)] where value.milliseconds < 1 {
            throw UserFacingError("\(flag) must be positive")
        }
        guard pollInterval.milliseconds >= 10 else { throw UserFacingError("--poll-interval must be at least 10ms") }
        guard simSessionTimeoutMs > 0, simHeartbeatIntervalMs > 0, simRebalanceDelayMs >= 0 else {
            throw UserFacingError("--sim-session-timeout-ms and --sim-heartbeat-interval-ms must be positive, --sim-rebalance-delay-ms not negative")
        }
        let rateText = rate.trimmingCharacters(in: .whitespaces)
        let perSecond: Double = rateText == "0" || rateText == "0/s" ? 0 : try parseRate(rateText)
        let (settle, stepLimit, poll, cool) = (settleTimeout.duration, stepTimeout.duration, pollInterval.duration, cooldown.duration)
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var progress: (@Sendable (String) -> Void)?
        if !quiet {
            progress = { @Sendable (line: String) -> Void in printError("kgtop rehearse: " + line) }
        }
        return RehearsalPlan(
            topic: topic ?? "\(RehearsalPlan.namePrefix)\(runID)", groupID: group ?? "\(RehearsalPlan.namePrefix)\(runID)",
            partitions: partitions, members: members, protocol: proto, assignor: assignor, steps: steps,
            ratePerSecond: perSecond, messageSize: size, properties: ClientProperties(properties),
            settleTimeout: settle, stepTimeout: stepLimit, pollInterval: poll, cooldown: cool,
            progress: progress)
    }

    /// Runs the plan; maps failures to exit codes.
    func execute(_ plan: RehearsalPlan) async throws(UserFacingError) -> RehearsalReport {
        do {
            return try await Rehearsal(plan: plan).run()
        } catch {
            switch error.kind {
            case .groupInUse: throw UserFacingError(error.message, code: KgtopExit.critical)
            case .cluster: throw UserFacingError(error.message, code: KgtopExit.unobservable)
            case .invalidPlan, .client: throw UserFacingError(error.message)
            }
        }
    }

    private func output(_ report: RehearsalReport) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            print(RehearsalTable.render(report), terminator: "")
        }
        if report.startup.timedOut || report.steps.contains(where: \.timedOut) { throw ExitCode(1) }
    }
}

/// The human-readable rehearsal report.
enum RehearsalTable {
    static func render(_ r: RehearsalReport) -> String {
        func s(_ v: Int64?) -> String { v.map { String(format: "%.2f s", Double($0) / 1000) } ?? "—" }
        var out = "group \(r.groupID)  topic \(r.topic)  \(r.members) members  \(r.partitions) partitions  protocol \(r.protocol.rawValue)"
        out += "\(r.observedGroupType.map { " (coordinator: \($0))" } ?? "")"
        out += "  assignor \(r.observedAssignor ?? r.assignor ?? "default")"
        out += "  librdkafka \(r.librdkafkaVersion)\(r.rebalanceProtocol.map { " \($0)" } ?? "")  \(formatRate(r.ratePerSecond))\n\n"
        let header = ["step", "trigger", "target", "reconciled", "max unowned", "dup", "lag peak", "epoch"]
        var rows = [header]
        for step in [r.startup] + r.steps {
            let epoch = "\(step.epochBefore.map(String.init) ?? "-")→\(step.epochAfter.map(String.init) ?? "-")"
            rows.append([
                step.step, s(step.triggerMs), s(step.targetComputedMs),
                step.timedOut ? "TIMED OUT" : s(step.reconciledMs),
                step.maxUnownedMs > 0 ? "\(s(step.maxUnownedMs)) (\(step.partitionsUnowned))" : "0",
                "\(step.duplicates)", step.lagPeak.map(String.init) ?? "—", epoch,
            ])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        for row in rows {
            out += row.enumerated().map { i, cell in
                i == 0 || i == 1 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ") + "\n"
        }
        out += "\n"
        for step in [r.startup] + r.steps {
            out += "\(step.step): \(step.trigger)\n"
            for note in step.notes { out += "  note: \(note)\n" }
            if let cause = step.cause { out += "  why: \(cause.text)\n" }
        }
        out += "\nproduced \(r.produced), consumed \(r.consumed), consumed twice \(r.duplicates), in \(s(r.durationMs)); times from the step's start; coordinator-side times have the poll interval's resolution (\(r.pollIntervalMs) ms); max unowned (n): n partitions were without owner at some point\n"
        return out
    }
}

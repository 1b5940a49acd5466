import ArgumentParser
import Dispatch
import Foundation
import KafkaSim

/// `kgtop sim`: runs an embedded simulated Kafka cluster on loopback until SIGINT or SIGTERM.
public struct SimCommand: AsyncParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a simulated Kafka cluster (classic and KIP-848 groups) on 127.0.0.1.",
        discussion: """
            Prints the bootstrap servers on the first line of standard output, then serves until \
            interrupted. Scenarios: \(SimScenario.names.joined(separator: ", ")).
            """)

    /// Number of brokers.
    @Option(name: .long, parsing: .unconditional, help: "Number of brokers (one listener each).")
    public var brokers: Int = 3

    /// First port; 0 picks free ports.
    @Option(name: .long, parsing: .unconditional, help: "Port of the first broker (the others follow); 0 picks free ports.")
    public var port: Int = 0

    /// Scenario name.
    @Option(name: .long, help: "Scenario: empty, demo or scale.")
    public var scenario: String?

    /// Group count for the scale scenario.
    @Option(name: .long, parsing: .unconditional, help: "Number of groups (implies --scenario scale).")
    public var groups: Int?

    /// Partitions per topic for the scale scenario.
    @Option(name: .long, parsing: .unconditional, help: "Partitions per topic in the scale scenario (default 10).")
    public var partitions: Int?

    /// Members per group for the scale scenario.
    @Option(name: .long, parsing: .unconditional, help: "Simulated members per group in the scale scenario (default: alternately 2 and 1).")
    public var members: Int?

    /// Producer rate per topic for the scale scenario.
    @Option(name: .long, parsing: .unconditional, help: "Records per second produced to each topic of the scale scenario (default 0: none).")
    public var produceRate: Double?

    /// A scenario file.
    @Option(name: .long, help: "Scenario file (one command per line; see the simulator docs).")
    public var scenarioFile: String?

    /// Classic initial rebalance delay.
    @Option(name: .long, parsing: .unconditional, help: "group.initial.rebalance.delay.ms for classic groups.")
    public var initialRebalanceDelayMs: Int = 3_000

    /// Where to write the bootstrap list once the cluster is ready (for scripts that run it in the background).
    @Option(name: .long, help: ArgumentHelp(
        "Once the cluster is ready, also write its bootstrap list to this file (written whole, then renamed into place), so a script can start it in the background and wait for the file.",
        valueName: "path"))
    public var readyFile: String?

    /// The Kafka release whose group-coordinator behaviour is reproduced.
    @Option(name: .long, help: ArgumentHelp(
        "Reproduce the group coordinator of this Kafka release where releases differ: 4.0, 4.1, 4.2 or 4.3.",
        valueName: "version"))
    public var kafkaVersion: String = SimKafkaVersion.newest.rawValue

    /// Creates the command with defaults.
    public init() {}

    /// Validates the options.
    public func validate() throws {
        guard (1...64).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 64") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if port != 0, port + brokers - 1 > 65_535 {
            throw ValidationError("--port \(port) with --brokers \(brokers): the brokers take ports \(port)...\(port + brokers - 1), past 65535")
        }
        if let groups, groups < 0 { throw ValidationError("--groups must not be negative") }
        if let partitions, !(1...10_000).contains(partitions) { throw ValidationError("--partitions must be between 1 and 10000") }
        if let members, !(0...1_000).contains(members) { throw ValidationError("--members must be between 0 and 1000") }
        if let groups, groups > 100_000 { throw ValidationError("--groups must be at most 100000") }
        if let produceRate, !(0...1_000_000).contains(produceRate) { throw ValidationError("--produce-rate must be between 0 and 1000000") }
        if initialRebalanceDelayMs < 0 { throw ValidationError("--initial-rebalance-delay-ms must not be negative") }
        if let scenarioFile {
            if scenario != nil { throw ValidationError("--scenario and --scenario-file are two scenarios: give one") }
            if groups != nil { throw ValidationError("--groups makes the scale scenario: leave it out with --scenario-file") }
            do throws(UserFacingError) { try InputFile.check(scenarioFile, flag: "--scenario-file") } catch { throw ValidationError(error.message) }
        }
        if let scenario, scenario != "scale", groups != nil {
            throw ValidationError("--groups makes the scale scenario: leave it out with --scenario \(scenario)")
        }
        if partitions != nil || members != nil || produceRate != nil, scenario.map({ $0 != "scale" }) ?? (groups == nil) {
            throw ValidationError("--partitions, --members and --produce-rate shape the scale scenario: use them with --groups N or --scenario scale")
        }
        if let readyFile {
            do throws(UserFacingError) { try InputFile.checkOutput(readyFile, flag: "--ready-file") } catch { throw ValidationError(error.message) }
        }
        if SimKafkaVersion(parsing: kafkaVersion) == nil {
            throw ValidationError("--kafka-version \(kafkaVersion): use one of " + SimKafkaVersion.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let name = scenario ?? (groups != nil ? "scale" : "demo")
        if SimScenario(name: name, groups: groups) == nil {
            throw ValidationError("unknown scenario '\(name)'; valid: \(SimScenario.names.joined(separator: ", "))")
        }
    }

    /// Starts the cluster, prints its bootstrap list and waits for a signal.
    public func run() async throws {
        var config = SimConfig(brokerCount: brokers)
        config.basePort = port
        config.classicInitialRebalanceDelayMs = Int64(initialRebalanceDelayMs)
        config.kafkaVersion = SimKafkaVersion(parsing: kafkaVersion) ?? .newest
        var name = scenario ?? (groups != nil ? "scale" : "demo")
        var chosen: SimScenario
        if let path = scenarioFile {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read scenario file \(path): \(error.localizedDescription)")
            }
            do {
                chosen = .script(try SimScript(parsing: text))
            } catch {
                throw ValidationError("\(path): \(error)")
            }
            name = path
        } else {
            guard let named = SimScenario(name: name, groups: groups) else { throw ValidationError("unknown scenario '\(name)'") }
            chosen = named
            if case .scale(let count, let defaultPartitions) = named, partitions != nil || members != nil || produceRate != nil {
                chosen = .estate(SimEstate(
                    groups: count, partitions: partitions ?? defaultPartitions, membersPerGroup: members,
                    recordsPerSecPerTopic: produceRate ?? 0))
            }
        }
        // Signals are caught before the bootstrap line is printed: a supervisor that stops the
        // cluster as soon as it has read that line gets a clean exit 0, never a default kill.
        let (signals, sources) = Self.catchTermination()
        defer { for s in sources { s.cancel() } }
        let sim = try await KafkaSimulator.start(config: config)
        let started = ContinuousClock.now
        try await chosen.apply(to: sim.cluster)
        let bootstrap = await sim.bootstrapServers()
        if let readyFile {
            // Whole or not at all: a reader polling for the file never sees half a line.
            let temporary = readyFile + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
            var problem: String?
            if !FileManager.default.createFile(atPath: temporary, contents: Data((bootstrap + "\n").utf8)) {
                problem = "cannot create a file there: the folder must exist and be writable"
            } else if rename(temporary, readyFile) != 0 {
                problem = String(cString: strerror(errno))
                unlink(temporary)
            }
            if let problem {
                await sim.shutdown()
                throw report(UserFacingError("--ready-file \(readyFile): \(problem)"))
            }
        }
        FileHandle.standardOutput.write(Data((bootstrap + "\n").utf8))
        let took = ContinuousClock.now - started
        FileHandle.standardError.write(Data("kgtop sim: scenario \(name) ready in \(took); Ctrl-C to stop\n".utf8))
        for await _ in signals { break }
        await sim.shutdown()
    }

    /// Suspends until SIGINT or SIGTERM (`sim`, `serve`).
    static func waitForTermination() async {
        let (signals, sources) = catchTermination()
        for await _ in signals { break }
        for s in sources { s.cancel() }
    }

    /// Replaces SIGINT's and SIGTERM's default action (exit) by a stream of their arrivals. The
    /// two signals are also unblocked on the calling thread: a parent that spawned kgtop with them
    /// blocked (the mask is inherited) could otherwise never stop it.
    static func catchTermination() -> (AsyncStream<Int32>, [any DispatchSourceSignal]) {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let queue = DispatchQueue(label: "kgtop.sim.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            sources.append(source)
        }
        return (stream, sources)
    }
}

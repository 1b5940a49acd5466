import ArgumentParser
import DashboardUI
import Foundation
import KafkaSim
import KgtopConfig
import Monitor

/// `kgtop demo`: the dashboard on an embedded simulated cluster with a scripted story.
public struct DemoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Open the dashboard on an embedded simulated cluster (no setup needed).",
        discussion: """
            The story, repeating every 3 minutes: a rolling deploy of the KIP-848 group order-service (from \
            its eighth second; a slow pod holds a partition its replacement waits for), members joining and leaving, a member that stops heartbeating and is fenced, a \
            slow member stuck in revocation, a classic cooperative-sticky group, a mixed group mid-migration, \
            a consumer that cannot keep up, and a broker that restarts. Press ? for keys, q to quit.
            """)

    @OptionGroup var dashboard: DashboardOptions

    @Option(parsing: .unconditional, help: "Number of simulated brokers.")
    var brokers: Int = 3

    public init() {}

    /// What the demo takes from the config file: the current context's theme, nothing else (its
    /// cluster is the embedded one, polled every --interval, else 2s).
    static func defaults(environment: [String: String]) throws(UserFacingError) -> CommandDefaults {
        var current = try CommandDefaults.current(environment: environment)
        if var context = current.context {
            context.defaults = ContextDefaults(theme: context.defaults.theme)
            current.context = context
        }
        return current
    }

    /// Interval and theme as the demo will use them.
    func effective(environment: [String: String]) throws(UserFacingError) -> EffectiveOptions {
        try dashboard.effective(Self.defaults(environment: environment))
    }

    public func validate() throws {
        guard (1...16).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 16") }
    }

    /// The demo's additions to the simulator's demo scenario: a rolling deploy of order-service,
    /// starting once the dashboard has polled a few times, as Kubernetes rolls a Deployment (the
    /// new pod starts, then an old one stops). Its last original pod is slow to give partitions up
    /// (10 s), so the first new pod visibly waits for it.
    static let rollingDeploy = """
        every 180s
        at 1s slow order-service#last 10s
        at 8s add order-service consumer orders assignor=uniform client=order-service
        at 10s stop order-service#first
        at 16s add order-service consumer orders assignor=uniform client=order-service
        at 18s stop order-service#first
        at 24s add order-service consumer orders assignor=uniform client=order-service
        at 26s stop order-service#first
        """

    public func run() async throws {
        do {
            // The demo's cluster is its own; only the current context's theme (a display preference) applies.
            let settings = try dashboard.settings(Self.defaults(environment: ProcessInfo.processInfo.environment))
            var config = SimConfig(brokerCount: brokers)
            config.classicInitialRebalanceDelayMs = 1_000
            let sim = try await KafkaSimulator.start(config: config)
            try await SimScenario.demo.apply(to: sim.cluster)
            try await SimScript(parsing: Self.rollingDeploy).apply(to: sim.cluster)
            // A broker hiccup: the last broker restarts 45 s into every 3-minute cycle.
            let hiccups = Task.detached {
                var first = true
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(first ? 45 : 180))
                    first = false
                    if Task.isCancelled { break }
                    try? await sim.restartBroker(Int32(config.brokerCount), downMs: 4_000)
                }
            }
            let bootstrap = await sim.bootstrapServers()
            let connection = try ConnectionOptions.parse(["-b", bootstrap])
            let session = try Session.open(connection, interval: .milliseconds(settings.pollIntervalMs))
            let code = try await DashboardRunner.run(monitor: session.monitor, options: settings)
            hiccups.cancel()
            await session.close()
            await sim.shutdown()
            if code != 0 { throw ExitCode(code) }
        } catch let e as UserFacingError {
            throw report(e)
        }
    }
}

import ArgumentParser
import Foundation
import GroupModel
import KafkaAdmin
import KgtopConfig
import KgtopServe
import Monitor

/// `kgtop serve`: polls one or more contexts concurrently and serves Prometheus metrics,
/// readiness, snapshots and events over HTTP.
public struct ServeCommand: AsyncParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Poll named contexts and serve /metrics (Prometheus, OpenMetrics), /readyz, /snapshot and /events over HTTP.",
        discussion: """
            Contexts come from the config file (see `kgtop contexts`): --context NAME (repeatable), \
            --all-contexts, or the current context. Each context is polled on its own, so one that \
            cannot be reached reports kgtop_up 0 and poll errors while the others stay current. \
            Endpoints: /metrics, /healthz (the process is up), /readyz (every context polled \
            successfully within three intervals; 503 names those that were not), \
            /snapshot?context=NAME (kgtop.snapshot/1 JSON), /events?context=NAME (kgtop.event/1 \
            NDJSON, held open). Binds loopback unless --listen says otherwise; no endpoint shows a \
            property or a secret. SIGTERM or SIGINT stops it cleanly. Exit codes: 0 stopped, 64 bad input.
            """)

    /// `--partition-metrics` values.
    public enum Toggle: String, ExpressibleByArgument, CaseIterable, Sendable {
        case on, off
    }

    @Option(name: .customLong("context"), help: ArgumentHelp("A context to poll (repeatable). Default: the current context.", valueName: "name"))
    var contexts: [String] = []

    @Flag(name: .customLong("all-contexts"), help: "Poll every context of the config file.")
    var allContexts = false

    @Option(help: ArgumentHelp("Address to serve on, host:port ([::1]:9308 for IPv6).", valueName: "host:port"))
    var listen: String = "127.0.0.1:9308"

    @Option(help: ArgumentHelp("Time between polls of each context (default: the context's interval, else 5s).", valueName: "duration"))
    var interval: DurationArgument?

    @Option(name: .customLong("group"), help: ArgumentHelp("Only groups whose id matches this regular expression (default: the context's).", valueName: "regex"))
    var group: String?

    @Option(help: ArgumentHelp("Leave out groups whose id matches this regular expression (default: the context's).", valueName: "regex"))
    var exclude: String?

    @Option(help: ArgumentHelp("Per-partition series (kafka_consumergroup_group_lag, _lag_seconds): on or off.", valueName: "on|off"))
    var partitionMetrics: Toggle = .on

    @Option(help: ArgumentHelp("The most series one scrape returns; the rest are dropped and counted in kgtop_series_dropped_total.", valueName: "n"))
    var maxSeries: Int = 100_000

    /// Creates the command with defaults.
    public init() {}

    /// Validates the options.
    public func validate() throws {
        if let interval, interval.milliseconds < 10 { throw ValidationError("--interval must be at least 10ms") }
        if maxSeries < 1 { throw ValidationError("--max-series must be at least 1") }
        if allContexts && !contexts.isEmpty { throw ValidationError("--all-contexts and --context exclude each other") }
        do { _ = try ListenAddress(listen) } catch { throw ValidationError(error.message) }
    }

    /// Serves until SIGTERM or SIGINT.
    public func run() async throws {
        do {
            let address = try ListenAddress(listen)
            let planned = try plan(environment: ProcessInfo.processInfo.environment)
            var served: [ServedContext] = []
            var admins: [KafkaAdminClient] = []
            for c in planned {
                for warning in c.config.security.warnings { printError("kgtop: warning: context \(c.name): \(warning)") }
                let admin = KafkaAdminClient(config: c.config)
                admins.append(admin)
                let monitor = Monitor(poller: Poller(admin: admin, now: wallClockMs), interval: .milliseconds(c.intervalMs), now: wallClockMs)
                await monitor.setComputeTimeLags(true)
                let filter = c.filter
                served.append(ServedContext(name: c.name, monitor: monitor, intervalMs: c.intervalMs, accepts: { filter.accepts($0) }))
            }
            let filters = Dictionary(uniqueKeysWithValues: planned.map { ($0.name, $0.filter) })
            let exporter = FleetExporter(
                contexts: served, limits: ExportLimits(partitionMetrics: partitionMetrics == .on, maxSeries: maxSeries), now: wallClockMs)
            let server: HTTPServer
            do {
                server = try await HTTPServer.bind(host: address.host, port: address.port) { request in
                    await ServeRoutes.route(request, exporter: exporter, filters: filters)
                }
            } catch {
                for admin in admins { await admin.close() }
                throw UserFacingError("--listen \(listen): cannot listen there: \(error.message)")
            }
            if !address.isLoopback {
                printError("kgtop: warning: --listen \(listen) is not a loopback address: every endpoint can be reached from the network")
            }
            printError("kgtop serve: listening on http://\(address.display(port: server.port))/metrics; contexts \(planned.map(\.name).joined(separator: ", "))")
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await server.run() }
                group.addTask { await exporter.run(sleep: CommandClock.wall.sleep) }
                group.addTask { await SimCommand.waitForTermination() }
                _ = await group.next()
                group.cancelAll()
                await exporter.finishAll()
            }
            for admin in admins { await admin.close() }
            printError("kgtop serve: stopped")
        } catch let error as UserFacingError {
            throw report(error)
        }
    }

    /// One context as it will be served.
    struct PlannedContext {
        var name: String
        var config: AdminConfig
        var intervalMs: Int64
        var filter: GroupFilter
        /// Interval and patterns as resolved (flag, context, built-in).
        var effective: EffectiveOptions
    }

    /// Reads the config file and resolves each chosen context (properties, interval, filter).
    func plan(environment: [String: String]) throws(UserFacingError) -> [PlannedContext] {
        let path = ContextConfig.defaultPath(environment: environment)
        let loaded: ContextConfig?
        do { loaded = try ContextConfig.loadDefault(environment: environment) } catch { throw UserFacingError("\(error)") }
        guard let config = loaded else {
            throw UserFacingError("kgtop serve polls named contexts, and there is no config file at \(path) (see `kgtop contexts --help`)")
        }
        var names: [String]
        if allContexts {
            names = config.contexts.map(\.name)
            if names.isEmpty { throw UserFacingError("--all-contexts: \(config.path) defines no context") }
        } else if !contexts.isEmpty {
            names = []
            for n in contexts where !names.contains(n) { names.append(n) }
        } else if let current = config.currentContext {
            names = [current]
        } else {
            throw UserFacingError("no context chosen: use --context NAME or --all-contexts, or set current-context in \(config.path)")
        }
        var out: [PlannedContext] = []
        for name in names {
            let context: ClusterContext
            do { context = try config.require(name) } catch { throw UserFacingError("--context \(name): \(error)") }
            let props = try ConnectionOptions.properties(of: context, configFile: config.path, environment: environment)
            guard props["bootstrap.servers"].map({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) ?? false else {
                throw UserFacingError("\(config.path):\(context.line): contexts.\(name): no brokers: give bootstrap, or bootstrap.servers in properties or properties-file")
            }
            let admin: AdminConfig
            do { admin = try AdminConfig(properties: props) } catch {
                throw UserFacingError("context \(name): configuration: \(error)")
            }
            let defaults = CommandDefaults(context: context, configFile: config.path)
            let intervalMs = try defaults.interval(interval, builtInMs: 5_000, minimumMs: 10).milliseconds
            let effective = EffectiveOptions(intervalMs: intervalMs, include: defaults.include(group), exclude: defaults.exclude(exclude))
            let filter = try GroupFilter(include: effective.include, exclude: effective.exclude, types: [])
            out.append(PlannedContext(name: name, config: admin, intervalMs: intervalMs, filter: filter, effective: effective))
        }
        return out
    }
}

/// `--listen host:port`, checked.
struct ListenAddress: Hashable {
    var host: String
    var port: Int

    init(_ text: String) throws(UserFacingError) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw UserFacingError("--listen \(text): expected host:port, e.g. 127.0.0.1:9308 or [::1]:9308")
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw UserFacingError("--listen \(text): expected host:port, e.g. 127.0.0.1:9308 or [::1]:9308")
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw UserFacingError("--listen \(text): the host before ':' is empty (0.0.0.0 serves every interface)") }
        guard let p = Int(port), (0...65_535).contains(p) else {
            throw UserFacingError("--listen \(text): the port must be a number from 0 to 65535")
        }
        self.host = String(host)
        self.port = p
    }

    /// Whether only this machine can connect.
    var isLoopback: Bool { host == "localhost" || host.hasPrefix("127.") || host == "::1" }

    /// `host:port` with IPv6 hosts in brackets.
    func display(port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The endpoints of `kgtop serve`.
enum ServeRoutes {
    static let index = """
        kgtop serve
        /metrics                 Prometheus text (OpenMetrics when asked for)
        /healthz                 the process is up
        /readyz                  every context polled successfully within three intervals
        /snapshot?context=NAME   the newest snapshot (kgtop.snapshot/1 JSON)
        /events?context=NAME     events as they happen (kgtop.event/1 NDJSON, held open)

        """

    static func route(_ request: ServeRequest, exporter: FleetExporter, filters: [String: GroupFilter]) async -> ServeResponse {
        switch request.path {
        case "/", "":
            return .text(200, index)
        case "/metrics":
            let format = ExpositionFormat.negotiate(accept: request.accept)
            return .pieces(status: 200, contentType: format.contentType, pieces: await exporter.exposition(format: format).pieces)
        case "/healthz":
            return .text(200, "ok\n")
        case "/readyz":
            let states = await exporter.readiness()
            let ready = states.allSatisfy(\.ready)
            var body = ready ? "ready\n" : "not ready: \(states.filter { !$0.ready }.map(\.name).joined(separator: ", "))\n"
            for s in states { body += "\(s.name): \(s.ready ? "ready" : "not ready"): \(s.detail)\n" }
            return .text(ready ? 200 : 503, body)
        case "/snapshot":
            let name: String
            switch choose(request, exporter.names) {
            case .success(let n): name = n
            case .failure(let e): return e.response
            }
            guard let snapshot = await exporter.snapshot(name) else {
                return .text(503, "no successful poll of context \(name) yet\n")
            }
            do {
                return .full(status: 200, contentType: "application/json", body: try SnapshotJSON.encodeBytes(snapshot) + [0x0A])
            } catch {
                return .text(500, "the snapshot could not be encoded\n")
            }
        case "/events":
            let name: String
            switch choose(request, exporter.names) {
            case .success(let n): name = n
            case .failure(let e): return e.response
            }
            guard let updates = await exporter.subscribe(name) else { return .text(404, "no context named \(name)\n") }
            let filter = filters[name]
            let (lines, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(4_096))
            let task = Task {
                var selector = EventSelector(filter: filter)
                for await update in updates {
                    for line in selector.lines(for: update) { continuation.yield(line) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
            return .stream(contentType: "application/x-ndjson", lines: lines)
        default:
            return .text(404, "no such endpoint: \(request.path)\n\n" + index)
        }
    }

    struct RouteError: Error {
        var response: ServeResponse
    }

    /// The `context` parameter, or the only context when one is served.
    static func choose(_ request: ServeRequest, _ names: [String]) -> Result<String, RouteError> {
        guard let name = request.query["context"] else {
            if names.count == 1 { return .success(names[0]) }
            return .failure(RouteError(response: .text(400, "name a context: ?context=NAME (served: \(names.joined(separator: ", ")))\n")))
        }
        guard names.contains(name) else {
            return .failure(RouteError(response: .text(404, "no context named \(name) is served (served: \(names.joined(separator: ", ")))\n")))
        }
        return .success(name)
    }
}

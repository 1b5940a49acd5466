import ArgumentParser
import DashboardUI
import Foundation
import GroupModel
import KafkaAdmin
import Monitor
import NcursesTerminal
import Recording

/// Options of every command that opens the dashboard (`watch`, `demo`).
public struct DashboardOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Time between polls, e.g. 2s or 500ms (default: the context's interval, else 2s).", valueName: "duration"), transform: DurationArgument.transform)
    var interval: DurationArgument?

    @Option(help: ArgumentHelp("Theme: default, light, monochrome, high-contrast, or a theme file's path (default: the context's theme, else default).", valueName: "name|path"))
    var theme: String?

    @Flag(help: "Run the dashboard loop without a terminal (for tests and scripts); prints the last frame.")
    var headless = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many loop iterations (updates and keys).", valueName: "n"))
    var maxIterations: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Headless screen size.", valueName: "WxH"))
    var size: String = "200x60"

    @Option(help: ArgumentHelp("Also record every poll to this file (see `kgtop replay`).", valueName: "file"))
    var record: String?

    /// Creates default options.
    public init() {}

    public func validate() throws {
        if let n = maxIterations, n < 1 { throw ValidationError("--max-iterations must be at least 1") }
        do throws(UserFacingError) { _ = try TerminalSize(parsing: size) } catch { throw ValidationError(error.message) }
        if let interval, interval.milliseconds < Self.minimumIntervalMs { throw ValidationError("--interval must be at least 100ms") }
    }

    /// The dashboard's built-in interval and the shortest it takes.
    static let builtInIntervalMs: Int64 = 2_000
    static let minimumIntervalMs: Int64 = 100

    /// Interval and theme: the flags, else `defaults`' (the context's), else the built-in ones.
    func effective(_ defaults: CommandDefaults) throws(UserFacingError) -> EffectiveOptions {
        let chosen = try defaults.interval(interval, builtInMs: Self.builtInIntervalMs, minimumMs: Self.minimumIntervalMs)
        return EffectiveOptions(intervalMs: chosen.milliseconds, theme: defaults.theme(theme)?.value)
    }

    var parsedSize: TerminalSize? { try? TerminalSize(parsing: size) }

    /// The validated, sendable form of these options, with interval and theme filled in from
    /// `defaults` (``effective(_:)``).
    func settings(_ defaults: CommandDefaults) throws(UserFacingError) -> DashboardSettings {
        let intervalMs = try effective(defaults).intervalMs ?? Self.builtInIntervalMs
        let (themes, initial) = try themes(defaults.theme(theme))
        let writer = try record.map { path throws(UserFacingError) in
            try RecordingCLI.openWriter(path: path, pollIntervalMs: intervalMs, source: "kgtop watch")
        }
        return DashboardSettings(
            themes: themes, initialTheme: initial, pollIntervalMs: intervalMs, headless: headless,
            maxIterations: maxIterations, size: parsedSize ?? TerminalSize(width: 200, height: 60), recorder: writer)
    }

    /// The theme list and the index to start with; a bad theme is a usage error naming where it
    /// was given (`--theme`, or the context's `theme`).
    func themes(_ chosen: (value: String, source: String)?) throws(UserFacingError) -> ([Theme], Int) {
        var all = Theme.builtins
        guard let chosen else { return (all, 0) }
        let (theme, source) = chosen
        if let i = all.firstIndex(where: { $0.name == theme }) { return (all, i) }
        if FileManager.default.fileExists(atPath: theme) { try InputFile.check(theme, flag: source) }
        do {
            let custom = try Theme.resolve(theme)
            all.append(custom)
            return (all, all.count - 1)
        } catch {
            throw UserFacingError("\(source) \(theme): \(error)")
        }
    }
}

extension TerminalSize {
    /// Headless screen sizes kgtop accepts: enough for the dashboard, small enough that a typo
    /// cannot ask for gigabytes of cells.
    static let acceptedWidths = 40...1_000
    static let acceptedHeights = 10...500

    /// Parses `WIDTHxHEIGHT` (`120x40`) for `flag`; the error names the flag and the bounds.
    init(parsing text: String, flag: String = "--size") throws(UserFacingError) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else {
            throw UserFacingError("\(flag) \(text): expected WIDTHxHEIGHT, e.g. 120x40")
        }
        let (ws, hs) = (Self.acceptedWidths, Self.acceptedHeights)
        guard ws.contains(w), hs.contains(h) else {
            throw UserFacingError("\(flag) \(text): the width must be \(ws.lowerBound) to \(ws.upperBound) and the height \(hs.lowerBound) to \(hs.upperBound)")
        }
        self.init(width: w, height: h)
    }
}

/// What the dashboard loop needs from ``DashboardOptions``, validated.
struct DashboardSettings: Sendable {
    var themes: [Theme]
    var initialTheme: Int
    var pollIntervalMs: Int64
    var headless: Bool
    var maxIterations: Int?
    var size: TerminalSize
    /// Where `--record` appends every poll, if anywhere.
    var recorder: RecordingWriter?
}

/// The broker settings once read (the Protocols view shows them), handed from the task that reads
/// them to the feed.
actor BrokerSettingsSlot {
    private(set) var value: [BrokerSetting]?
    init(_ value: [BrokerSetting]?) { self.value = value }
    func set(_ value: [BrokerSetting]?) { self.value = value }
}

/// Connects a Monitor's updates to the dashboard loop, on a real terminal or headless.
enum DashboardRunner {
    /// The group.* settings of the first broker that answers DescribeConfigs, nil when none does.
    static func brokerSettings(_ admin: KafkaAdminClient) async -> [BrokerSetting]? {
        guard let result = try? await admin.describeBrokerConfigs(keys: KafkaAdminClient.groupConsumerConfigKeys) else { return nil }
        for (_, r) in result.brokers.sorted(by: { $0.key < $1.key }) {
            guard case let .success(entries) = r else { continue }
            return entries.sorted { $0.key < $1.key }.map { key, e in
                BrokerSetting(key: key, value: e.isSensitive ? "[sensitive]" : (e.value ?? "-"), source: e.isDefault ? "default" : "set")
            }
        }
        return nil
    }

    /// Runs until the user quits (or `--max-iterations`, or the data ends). Returns the exit code.
    @MainActor
    static func run(monitor: Monitor, options: DashboardSettings, brokerSettings: [BrokerSetting]? = nil) async throws -> Int32 {
        let themes = options.themes
        let initialTheme = options.initialTheme
        // Bounded: the feed never waits on the network, so a short queue is enough; a drop is shown.
        let updates = await monitor.updates(bufferingNewest: 16)
        let (stream, continuation) = AsyncStream<DashboardUpdate>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let pollMs = options.pollIntervalMs
        let admin = await monitor.poller.admin
        let recorder = options.recorder
        let settings = BrokerSettingsSlot(brokerSettings)
        let feedTask = Task.detached {
            var feed = DashboardFeed(pollIntervalMs: pollMs, brokerSettings: brokerSettings)
            var settingsAsked = brokerSettings != nil
            var settingsTask: Task<Void, Never>?
            var dropped = 0
            for await var u in updates {
                // A recording failure (disk full, unwritable) goes to the error stream; the dashboard goes on.
                if let recorder, let failure = RecordingCLI.record(u, to: recorder) { u.newErrors.append(failure) }
                if u.droppedBefore > dropped {
                    u.newErrors.append(PollError(scope: .cluster, operation: "dashboard", message: "\(u.droppedBefore - dropped) poll(s) skipped: the dashboard fell behind" + (recorder == nil ? "" : " (not recorded)")))
                    dropped = u.droppedBefore
                }
                if !settingsAsked, u.snapshot != nil {
                    // Once the cluster answers: the broker-side settings that govern rebalance timing,
                    // read beside the feed so a slow DescribeConfigs never holds up a poll's update.
                    settingsAsked = true
                    settingsTask = Task {
                        let read = await Self.brokerSettings(admin)
                        await settings.set(read)
                        // The limit a member blocking a hand-off is held to (the rebalance view's `past limit`).
                        if let value = read?.first(where: { $0.key == "group.consumer.session.timeout.ms" })?.value, let ms = Int64(value) {
                            await monitor.setBrokerSessionTimeout(ms)
                        }
                    }
                }
                if feed.brokerSettings == nil { feed.brokerSettings = await settings.value }
                let snapshot = u.snapshot ?? ClusterSnapshot(
                    takenAt: u.at, pollDurationMs: 0, cluster: ClusterInfo(),
                    errors: [PollError(scope: .cluster, operation: "poll", message: u.failure ?? "no data yet")])
                let update = feed.ingest(
                    snapshot: snapshot, events: u.events, episodeEvents: u.episodeEvents, openEpisodes: u.openEpisodes,
                    finishedEpisodes: u.finishedEpisodes, verdicts: u.verdicts, newErrors: u.newErrors,
                    timeLags: u.timeLags, failure: u.failure, at: u.at)
                continuation.yield(update)
            }
            settingsTask?.cancel()
            continuation.finish()
        }
        defer { feedTask.cancel() }
        await monitor.start()
        let appOptions = DashboardApp.Options(maxIterations: options.maxIterations)
        let control: @MainActor (DashboardControl) -> Void = { c in
            Task {
                switch c {
                case .refreshNow: await monitor.refreshNow()
                case let .setPaused(p): await monitor.setPaused(p)
                case let .focus(groupIDs): await monitor.setFocusGroups(groupIDs)
                }
            }
        }
        if options.headless {
            let terminal = HeadlessTerminal(size: options.size)
            let app = DashboardApp(terminal: terminal, themes: themes, initialTheme: initialTheme, options: appOptions)
            app.onControl = control
            _ = await app.run(updates: stream)
            await monitor.stop()
            if let frame = terminal.lastFrame { print(frame.text.joined(separator: "\n")) }
            return KgtopExit.ok
        }
        do {
            let reason = try await NcursesTerminal.withTerminal { terminal in
                let app = DashboardApp(terminal: terminal, themes: themes, initialTheme: initialTheme, options: appOptions)
                app.onControl = control
                return await app.run(updates: stream)
            }
            _ = reason
        } catch let e as NcursesTerminalError {
            await monitor.stop()
            throw UserFacingError("cannot start the terminal UI: \(e.message) (use --headless, or `kgtop snapshot` for JSON)")
        }
        await monitor.stop()
        return KgtopExit.ok
    }
}

/// `kgtop watch` (the default command): the live dashboard on a cluster.
public struct WatchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "The live dashboard: groups, members, partitions, rebalances, protocols, errors (default command).",
        discussion: "Keys: press ? in the dashboard; the README lists them. No cluster at hand? Try `kgtop demo`.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var dashboard: DashboardOptions

    public init() {}

    /// Interval and theme as the dashboard will use them (flag, context, built-in).
    func effective(environment: [String: String]) throws(UserFacingError) -> EffectiveOptions {
        try dashboard.effective(CommandDefaults(connection, environment: environment))
    }

    public func run() async throws {
        do {
            let defaults = try CommandDefaults(connection, environment: ProcessInfo.processInfo.environment)
            let settings = try dashboard.settings(defaults)
            let session = try Session.open(connection, interval: .milliseconds(settings.pollIntervalMs))
            let code = try await DashboardRunner.run(monitor: session.monitor, options: settings)
            await session.close()
            if code != 0 { throw ExitCode(code) }
        } catch let e as UserFacingError {
            throw report(e)
        }
    }
}

import ArgumentParser
import Foundation
import KgtopConfig
import Testing

@testable import KgtopCLI

/// A context's defaults (`interval`, `group`, `exclude`, `theme`) on every command that connects:
/// the flag, else the context's value, else the built-in default.
@Suite("Context defaults")
struct ContextDefaultsTests {
    static let config = """
        current-context: prod
        contexts:
          prod:
            bootstrap: broker1:9092
            interval: 7s
            group: '^payments-'
            exclude: '^payments-test'
            theme: light
          plain:
            bootstrap: broker2:9092
          fast:
            bootstrap: broker3:9092
            interval: 50ms
          badtheme:
            bootstrap: broker4:9092
            theme: no-such-theme
        """

    /// A config file holding ``config`` in a new temporary directory: the environment naming it,
    /// its path, and the directory to remove.
    static func configFile() throws -> (env: [String: String], path: String, dir: String) {
        let dir = NSTemporaryDirectory() + "kgtop-defaults-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/config.yaml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return (["KGTOP_CONFIG": path, "HOME": dir], path, dir)
    }

    /// One connecting command: how it parses and resolves its options.
    struct Command {
        var name: String
        /// Arguments every run needs (a rule for check, a file for record).
        var base: [String]
        var resolve: (_ arguments: [String], _ env: [String: String]) throws -> EffectiveOptions
        /// What the current context (prod) gives when no flag is given.
        var fromContext: EffectiveOptions
        /// Flags overriding every default the command has, and what they give.
        var flags: [String]
        var fromFlags: EffectiveOptions
        /// What no context at all (`-b`) gives: the built-in defaults.
        var builtIn: EffectiveOptions
    }

    static var commands: [Command] { [
        Command(
            name: "watch", base: [], resolve: { try WatchCommand.parse($0).effective(environment: $1) },
            fromContext: EffectiveOptions(intervalMs: 7_000, theme: "light"),
            flags: ["--interval", "3s", "--theme", "monochrome"], fromFlags: EffectiveOptions(intervalMs: 3_000, theme: "monochrome"),
            builtIn: EffectiveOptions(intervalMs: 2_000)),
        Command(
            name: "snapshot", base: [], resolve: { try SnapshotCommand.parse($0).effective(environment: $1) },
            fromContext: EffectiveOptions(include: "^payments-", exclude: "^payments-test"),
            flags: ["--group", "^a", "--exclude", "^b"], fromFlags: EffectiveOptions(include: "^a", exclude: "^b"),
            builtIn: EffectiveOptions()),
        Command(
            name: "events", base: [], resolve: { try EventsCommand.parse($0).effective(environment: $1) },
            fromContext: EffectiveOptions(intervalMs: 7_000, include: "^payments-", exclude: "^payments-test"),
            flags: ["--interval", "3s", "--group", "^a", "--exclude", "^b"], fromFlags: EffectiveOptions(intervalMs: 3_000, include: "^a", exclude: "^b"),
            builtIn: EffectiveOptions(intervalMs: 2_000)),
        Command(
            name: "check", base: ["--max-lag", "1"], resolve: { try CheckCommand.parse($0).effective(environment: $1) },
            fromContext: EffectiveOptions(include: "^payments-"),
            flags: ["--group", "^a"], fromFlags: EffectiveOptions(include: "^a"),
            builtIn: EffectiveOptions()),
        Command(
            name: "wait", base: [], resolve: { try WaitCommand.parse($0).effective(environment: $1) },
            fromContext: EffectiveOptions(intervalMs: 7_000, include: "^payments-"),
            flags: ["--interval", "3s", "--group", "^a"], fromFlags: EffectiveOptions(intervalMs: 3_000, include: "^a"),
            builtIn: EffectiveOptions(intervalMs: 2_000, include: "^x$")),
        Command(
            name: "record", base: ["-o", "/nonexistent/recording"], resolve: { try RecordCommand.parse($0).effective(environment: $1) },
            fromContext: EffectiveOptions(intervalMs: 7_000),
            flags: ["--interval", "3s"], fromFlags: EffectiveOptions(intervalMs: 3_000),
            builtIn: EffectiveOptions(intervalMs: 5_000)),
        Command(
            name: "serve", base: [],
            resolve: { arguments, env in
                // serve connects to contexts only; "-b" below stands for "no context": --context plain.
                let args = arguments.first == "-b" ? ["--context", "plain"] + arguments.dropFirst(2) : arguments
                return try #require(try ServeCommand.parse(args).plan(environment: env).first).effective
            },
            fromContext: EffectiveOptions(intervalMs: 7_000, include: "^payments-", exclude: "^payments-test"),
            flags: ["--interval", "3s", "--group", "^a", "--exclude", "^b"], fromFlags: EffectiveOptions(intervalMs: 3_000, include: "^a", exclude: "^b"),
            builtIn: EffectiveOptions(intervalMs: 5_000)),
        Command(
            name: "demo", base: [],
            resolve: { arguments, env in
                // The demo polls its own cluster: only the current context's theme applies.
                try DemoCommand.parse(arguments.first == "-b" ? [] : arguments)
                    .effective(environment: arguments.first == "-b" ? ["HOME": "/nonexistent-home"] : env)
            },
            fromContext: EffectiveOptions(intervalMs: 2_000, theme: "light"),
            flags: ["--interval", "3s", "--theme", "monochrome"], fromFlags: EffectiveOptions(intervalMs: 3_000, theme: "monochrome"),
            builtIn: EffectiveOptions(intervalMs: 2_000)),
    ] }

    @Test("every connecting command: no flag takes the context's value, a flag wins, no context takes the built-in default")
    func flagOverContextOverBuiltIn() throws {
        let (env, _, dir) = try Self.configFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            for c in Self.commands {
                #expect(try c.resolve(c.base, env) == c.fromContext, "\(c.name): the current context's defaults")
                if c.name != "demo" {
                    #expect(try c.resolve(c.base + ["--context", "prod"], env) == c.fromContext, "\(c.name): --context prod")
                }
                #expect(try c.resolve(c.base + c.flags, env) == c.fromFlags, "\(c.name): flags win")
                let extra = c.name == "wait" ? ["--group", "^x$"] : []
                #expect(try c.resolve(["-b", "x:1"] + c.base + extra, env) == c.builtIn, "\(c.name): -b, no context: built-in defaults")
            }
        }
    }

    @Test("help texts name the built-in default beside the context's", arguments: [
        ("watch", "--interval", "the context's interval, else 2s"), ("watch", "--theme", "the context's theme, else default"),
        ("events", "--interval", "the context's interval, else 2s"), ("events", "--group", "the context's group, else all"),
        ("events", "--exclude", "the context's exclude, else none"), ("snapshot", "--group", "the context's group, else all"),
        ("check", "--group", "the context's group, else all"), ("wait", "--interval", "the context's interval, else 2s"),
        ("record", "--interval", "the context's interval, else 5s"), ("serve", "--interval", "the context's interval, else 5s"),
    ])
    func helpTexts(command: String, option: String, words: String) throws {
        let help: String
        switch command {
        case "watch": help = WatchCommand.helpMessage(columns: 400)
        case "events": help = EventsCommand.helpMessage(columns: 400)
        case "snapshot": help = SnapshotCommand.helpMessage(columns: 400)
        case "check": help = CheckCommand.helpMessage(columns: 400)
        case "wait": help = WaitCommand.helpMessage(columns: 400)
        case "record": help = RecordCommand.helpMessage(columns: 400)
        default: help = ServeCommand.helpMessage(columns: 400)
        }
        let line = try #require(help.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(option + " ") })
        #expect(line.contains(words), "\(line)")
    }

    @Test("a context's interval is held to the command's minimum, the error naming file, line and key")
    func intervalMinimum() throws {
        let (env, path, dir) = try Self.configFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            // 50ms is fine for events (10ms at least), not for the dashboard (100ms at least).
            #expect(try EventsCommand.parse(["--context", "fast"]).effective(environment: env).intervalMs == 50)
            do {
                _ = try WatchCommand.parse(["--context", "fast"]).effective(environment: env)
                Issue.record("50ms must be refused for watch")
            } catch let error as UserFacingError {
                #expect(error.message == "\(path):13: contexts.fast.interval: \"50ms\" is not a duration of at least 100ms (e.g. 500ms, 2s, 1m); give --interval to override it")
                #expect(error.code == KgtopExit.usage)
            }
            #expect(try WatchCommand.parse(["--context", "fast", "--interval", "1s"]).effective(environment: env).intervalMs == 1_000)
        }
    }

    @Test("wait without --group takes the context's group; with neither it is a usage error")
    func waitNeedsAGroup() throws {
        let (env, _, dir) = try Self.configFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            do {
                _ = try WaitCommand.parse(["--context", "plain"]).effective(environment: env)
                Issue.record("no group at all must fail")
            } catch let error as UserFacingError {
                #expect(error.message.hasPrefix("--group: name the groups to wait for"), "\(error.message)")
                #expect(error.code == KgtopExit.usage)
            }
        }
    }

    @Test("a context's theme that is not one is named by file and key")
    func badTheme() throws {
        let (env, path, dir) = try Self.configFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let watch = try WatchCommand.parse(["--context", "badtheme", "--headless"])
            do {
                _ = try watch.dashboard.settings(CommandDefaults(watch.connection, environment: env))
                Issue.record("an unknown theme must fail")
            } catch {
                #expect(error.message.hasPrefix("\(path): contexts.badtheme.theme no-such-theme: "), "\(error.message)")
            }
            let flagged = try WatchCommand.parse(["--context", "badtheme", "--headless", "--theme", "light"])
            let settings = try flagged.dashboard.settings(CommandDefaults(flagged.connection, environment: env))
            #expect(settings.themes[settings.initialTheme].name == "light", "--theme wins over the context's")
        }
    }

    @Test("a recording read with --from takes no context defaults")
    func recordingsTakeNoDefaults() throws {
        let (env, _, dir) = try Self.configFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            #expect(try SnapshotCommand.parse(["--from", "/nonexistent/r.kgrec"]).effective(environment: env) == EffectiveOptions())
        }
    }
}

import Foundation
import GroupModel
import KafkaAdmin
import KgtopConfig
import Monitor

/// Wall-clock milliseconds since the epoch.
@Sendable func wallClockMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

/// An admin client with a poller and a monitor, closed together.
struct Session {
    let admin: KafkaAdminClient
    let poller: Poller
    let monitor: Monitor

    /// Connects lazily (the first poll bootstraps). Invalid configuration is a usage error.
    /// `singlePoll`: only one poll is taken, so neither the poller nor the admin client keeps
    /// anything of it for a next one (``Poller/init(admin:earliestEvery:remembersAssembly:now:)``,
    /// `KafkaAdminClient(config:remembersAnswers:)`).
    static func open(
        _ options: ConnectionOptions, interval: Duration = .seconds(2), historyCapacity: Int = 10, singlePoll: Bool = false
    ) throws(UserFacingError) -> Session {
        let config = try options.adminConfig()
        // Printed once, before anything connects (and before the TUI takes the terminal).
        for warning in config.security.warnings { printError("kgtop: warning: \(warning)") }
        let admin = KafkaAdminClient(config: config, remembersAnswers: !singlePoll)
        let poller = Poller(admin: admin, remembersAssembly: !singlePoll, now: wallClockMs)
        let monitor = Monitor(poller: poller, interval: interval, historyCapacity: historyCapacity, now: wallClockMs)
        return Session(admin: admin, poller: poller, monitor: monitor)
    }

    func close() async {
        await monitor.stop()
        await admin.close()
    }
}

/// The one order in which every command that connects fills in an option a person left out: the
/// flag, else the selected context's default (`interval`, `group`, `exclude` and `theme` in the
/// config file), else the command's built-in default. A command applies the defaults it has an
/// option for; a context's value is checked as the flag's would be, and an error names the file
/// and the key.
struct CommandDefaults {
    /// The context whose defaults apply; nil when none is selected (brokers given by `-b`, `-F`,
    /// `-X` or `KGTOP_BOOTSTRAP_SERVERS` without `--context`, or no config file).
    var context: ClusterContext?
    /// The config file the context was read from.
    var configFile: String

    /// No context: every option is the flag or the built-in default.
    static let none = CommandDefaults(context: nil, configFile: "")

    /// The defaults of `context`, read from `configFile`.
    init(context: ClusterContext?, configFile: String) {
        self.context = context
        self.configFile = configFile
    }

    /// The defaults of the context `connection` connects through (``ConnectionOptions/selectedContext(environment:)``).
    init(_ connection: ConnectionOptions, environment: [String: String]) throws(UserFacingError) {
        let selected = try connection.selectedContext(environment: environment)
        self.init(context: selected?.context, configFile: selected?.file ?? "")
    }

    /// The current context's defaults, for a command that connects to no context of its own
    /// (`demo`): a person's display preferences still apply.
    static func current(environment: [String: String]) throws(UserFacingError) -> CommandDefaults {
        let config: ContextConfig?
        do { config = try ContextConfig.loadDefault(environment: environment) } catch { throw UserFacingError("\(error)") }
        guard let config, let name = config.currentContext else { return .none }
        return CommandDefaults(context: config.context(named: name), configFile: config.path)
    }

    /// `--interval`: the flag, else the context's `interval`, else `builtInMs`. The context's value
    /// must be a duration of at least `minimumMs`, as the flag must.
    func interval(_ flag: DurationArgument?, builtInMs: Int64, minimumMs: Int64) throws(UserFacingError) -> DurationArgument {
        if let flag { return flag }
        guard let context, let text = context.defaults.interval else { return DurationArgument(milliseconds: builtInMs) }
        guard let ms = try? DurationText.milliseconds(text), ms >= minimumMs else {
            let key = "\(configFile):\(context.defaults.intervalLine ?? context.line): contexts.\(context.name).interval"
            throw UserFacingError(
                "\(key): \"\(text)\" is not a duration of at least \(DurationText.format(minimumMs)) (e.g. 500ms, 2s, 1m); give --interval to override it")
        }
        return DurationArgument(milliseconds: ms)
    }

    /// `--group`: the flag, else the context's `group` (nil: every group).
    func include(_ flag: String?) -> String? { flag ?? context?.defaults.include }

    /// `--exclude`: the flag, else the context's `exclude` (nil: none left out).
    func exclude(_ flag: String?) -> String? { flag ?? context?.defaults.exclude }

    /// `--theme`: the flag, else the context's `theme`, with how messages about it name it (nil:
    /// the built-in default theme).
    func theme(_ flag: String?) -> (value: String, source: String)? {
        if let flag { return (flag, "--theme") }
        guard let context, let theme = context.defaults.theme else { return nil }
        return (theme, "\(configFile): contexts.\(context.name).theme")
    }
}

/// The options a connecting command polls with once ``CommandDefaults`` filled them in; nil for an
/// option the command does not have (or leaves unset: every group, the default theme).
struct EffectiveOptions: Hashable {
    /// Time between polls.
    var intervalMs: Int64?
    /// `--group`.
    var include: String?
    /// `--exclude`.
    var exclude: String?
    /// `--theme`.
    var theme: String?
}

/// Group selection shared by the headless commands.
struct GroupFilter {
    var include: NSRegularExpression?
    var exclude: NSRegularExpression?
    var types: Set<String>

    /// Compiles the patterns and checks the types; a bad one is a ``UserFacingError`` naming its flag.
    init(include: String?, exclude: String?, types: [String]) throws(UserFacingError) {
        func compile(_ pattern: String?, _ flag: String) throws(UserFacingError) -> NSRegularExpression? {
            try pattern.map { p throws(UserFacingError) in try GroupPattern.compile(p, flag: flag) }
        }
        self.include = try compile(include, "--group")
        self.exclude = try compile(exclude, "--exclude")
        for t in types where !Self.acceptedTypes.contains(t.lowercased()) {
            throw UserFacingError("--type \(t): not one of \(Self.acceptedTypes.joined(separator: ", "))")
        }
        self.types = Set(types.map { $0.lowercased() })
    }

    /// What `--type` accepts: a group's protocol as kgtop derives it (``GroupProtocol``), so
    /// `consumer` is KIP-848 groups with consumer members only and `mixed` those in the middle of an
    /// online migration; `unknown` is a type this version does not know.
    static let acceptedTypes = ["classic", "consumer", "mixed", "share", "streams", "unknown"]

    /// The `--type` help every command that filters groups shows: each accepted type, in words.
    static let typeHelp = "Only groups of this type: classic, consumer (KIP-848, no classic members), mixed (KIP-848 with classic members), share, streams, or unknown (a type kgtop does not know). Repeatable."

    static func matches(_ re: NSRegularExpression, _ s: String) -> Bool {
        re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    func accepts(_ g: Group) -> Bool {
        if let include, !Self.matches(include, g.groupID) { return false }
        if let exclude, Self.matches(exclude, g.groupID) { return false }
        // By protocol, not by the broker's type: a mixed group is type `consumer` but not what
        // `--type consumer` asks for.
        if !types.isEmpty, !types.contains(g.protocol.rawValue) { return false }
        return true
    }

    func apply(_ s: ClusterSnapshot) -> ClusterSnapshot {
        var out = s
        out.groups = s.groups.filter(accepts)
        return out
    }
}

/// The one way a group pattern given by a person is read, on every command (`--group`,
/// `--exclude`, a `check` rules file's `"group"`): a regular expression searched anywhere in the
/// group id (`^orders$` for exactly `orders`). An invalid or empty pattern is a usage error (exit
/// 64) naming the flag and the pattern.
enum GroupPattern {
    /// Compiles `pattern` given with `flag`.
    static func compile(_ pattern: String, flag: String) throws(UserFacingError) -> NSRegularExpression {
        if pattern.isEmpty {
            throw UserFacingError("\(flag): the pattern is empty (a regular expression such as ^orders$; leave the flag out for every group)")
        }
        do { return try NSRegularExpression(pattern: pattern) } catch {
            throw UserFacingError("\(flag) \(pattern): not a valid regular expression (e.g. ^orders$ for exactly orders, ^orders for every id starting with it)")
        }
    }

    /// Whether `regex` matches somewhere in `groupID`.
    static func matches(_ regex: NSRegularExpression, _ groupID: String) -> Bool {
        GroupFilter.matches(regex, groupID)
    }
}

/// Files named on the command line: what is wrong with a path is said before anything opens it
/// (a FIFO would block a read forever, a directory or a device is not what anyone meant).
enum InputFile {
    /// Checks that `path` (given with `flag`) is an existing regular file.
    static func check(_ path: String, flag: String) throws(UserFacingError) {
        if path.isEmpty { throw UserFacingError("\(flag): the path is empty") }
        guard let type = fileType(path) else { throw UserFacingError("\(flag) \(path): no such file") }
        switch type {
        case .typeRegular: return
        case .typeDirectory: throw UserFacingError("\(flag) \(path): is a directory, not a file")
        default: throw UserFacingError("\(flag) \(path): not a regular file (a device, FIFO or socket)")
        }
    }

    /// The contents of the regular file `path` (given with `flag`).
    static func read(_ path: String, flag: String) throws(UserFacingError) -> Data {
        try check(path, flag: flag)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserFacingError("\(flag) \(path): cannot read it (permissions?)")
        }
        return data
    }

    /// Checks that `path` (given with `flag`) can be written as a file: it is not empty, and if
    /// something exists there it is a regular file.
    static func checkOutput(_ path: String, flag: String) throws(UserFacingError) {
        if path.isEmpty { throw UserFacingError("\(flag): the path is empty") }
        guard let type = fileType(path) else { return }
        switch type {
        case .typeRegular: return
        case .typeDirectory: throw UserFacingError("\(flag) \(path): is a directory; name a file to write")
        default: throw UserFacingError("\(flag) \(path): not a regular file (a device, FIFO or socket); name a file to write")
        }
    }

    /// The type of what `path` names (following symbolic links), nil when nothing is there.
    private static func fileType(_ path: String) -> FileAttributeType? {
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { target in
            target.hasPrefix("/") ? target : (path as NSString).deletingLastPathComponent + "/" + target
        } ?? path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) else { return nil }
        return attributes[.type] as? FileAttributeType
    }
}

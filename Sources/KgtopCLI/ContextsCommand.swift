import ArgumentParser
import Foundation
import KgtopConfig

/// `kgtop contexts`: the named clusters of the config file, without secrets, and which is current.
public struct ContextsCommand: ParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "contexts",
        abstract: "List the named clusters of the config file (no secrets) and say which is current.",
        discussion: """
            The config file is $KGTOP_CONFIG, else $XDG_CONFIG_HOME/kgtop/config.yaml, else \
            ~/.config/kgtop/config.yaml. Every command that connects takes --context NAME; without it \
            (and without -b, -F or KGTOP_BOOTSTRAP_SERVERS) the current context is used, and its \
            defaults (interval, group, exclude, theme) fill in the options not given. Secrets are \
            shown only as their reference (env:NAME, file:PATH). Exit codes: 0 listed, 64 bad file.
            """)

    /// Creates the command.
    public init() {}

    /// Prints the table.
    public func run() throws {
        do {
            let output = try Self.render(environment: ProcessInfo.processInfo.environment)
            FileHandle.standardOutput.write(Data(output.utf8))
        } catch {
            throw report(error)
        }
    }

    /// The listing for the config file the environment points at.
    static func render(environment: [String: String]) throws(UserFacingError) -> String {
        let path = ContextConfig.defaultPath(environment: environment)
        let config: ContextConfig?
        do { config = try ContextConfig.loadDefault(environment: environment) } catch { throw UserFacingError("\(error)") }
        guard let config else {
            return "no config file at \(path): see `kgtop contexts --help` and the README (Contexts)\n"
        }
        return render(config)
    }

    /// The listing of one configuration: a header naming the file, then one row per context.
    static func render(_ config: ContextConfig) -> String {
        var out = "config \(config.path)"
        out += config.currentContext.map { "  current \($0)\n\n" } ?? "  no current context\n\n"
        guard !config.contexts.isEmpty else { return out + "no contexts defined\n" }
        var rows = [["NAME", "BOOTSTRAP", "PROPERTIES", "DEFAULTS"]]
        for c in config.contexts {
            var props = c.properties.map { "\($0.key)=\(shown($0))" }
            if let file = c.propertiesFile { props.append("-F \(file)") }
            var defaults: [String] = []
            if let i = c.defaults.interval { defaults.append("interval \(i)") }
            if let g = c.defaults.include { defaults.append("group \(g)") }
            if let e = c.defaults.exclude { defaults.append("exclude \(e)") }
            if let t = c.defaults.theme { defaults.append("theme \(t)") }
            rows.append([
                c.name == config.currentContext ? "\(c.name) (current)" : c.name, c.bootstrap ?? "-",
                props.isEmpty ? "-" : props.joined(separator: " "), defaults.isEmpty ? "-" : defaults.joined(separator: ", "),
            ])
        }
        return out + SnapshotTable.table(rows)
    }

    /// A property's value as listed: a reference as written, a secret's literal value (only the
    /// OAuth token file or command may be one) redacted by the one secret rule.
    static func shown(_ p: ContextProperty) -> String {
        if p.value.isReference { return p.value.description }
        return ConnectionOptions.redacted([p.key: p.value.description])[p.key] ?? "[redacted]"
    }
}

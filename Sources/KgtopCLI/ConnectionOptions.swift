import ArgumentParser
import Foundation
import KafkaAdmin
import KgtopConfig

/// How kgtop reaches a cluster, with librdkafka's property names (as kcat takes them).
///
/// Precedence, lowest first: the context (`--context NAME`, or the config file's current context
/// when no broker is given any other way), `KGTOP_BOOTSTRAP_SERVERS`, `-F` files in order, `-X` in
/// order, `-b`. Secrets given here never reach output: see ``redacted(_:)``.
public struct ConnectionOptions: ParsableArguments {
    @Option(name: [.customShort("b"), .customLong("bootstrap-server")], help: ArgumentHelp(
        "Brokers to start from, host:port[,host:port...] (property bootstrap.servers; env KGTOP_BOOTSTRAP_SERVERS).",
        valueName: "hosts"))
    var bootstrapServers: String?

    @Option(name: .customShort("X"), help: ArgumentHelp(
        "A librdkafka-style property, e.g. -X client.id=kgtop -X security.protocol=plaintext. Repeatable.",
        valueName: "key=value"))
    var properties: [String] = []

    @Option(name: .customShort("F"), help: ArgumentHelp(
        "A properties file (key=value lines, # comments), as kcat reads. Repeatable.", valueName: "file"))
    var propertyFiles: [String] = []

    @Option(name: .customLong("context"), help: ArgumentHelp(
        "A named cluster from the config file ($KGTOP_CONFIG, else $XDG_CONFIG_HOME/kgtop/config.yaml, else ~/.config/kgtop/config.yaml); `kgtop contexts` lists them.",
        valueName: "name"))
    var context: String?

    /// Creates empty options (ArgumentParser fills them).
    public init() {}

    /// A copy of `props` safe to print.
    public static func redacted(_ props: [String: String]) -> [String: String] {
        var out = props
        for key in props.keys where SecretProperties.isSecret(key) { out[key] = "[redacted]" }
        return out
    }

    /// The merged properties, validated for shape (not yet for meaning).
    public func resolvedProperties(environment: [String: String] = ProcessInfo.processInfo.environment) throws(UserFacingError) -> [String: String] {
        var props: [String: String] = [:]
        if let selected = try selectedContext(environment: environment) {
            props = try Self.properties(of: selected.context, configFile: selected.file, environment: environment)
        }
        if let env = environment["KGTOP_BOOTSTRAP_SERVERS"], !env.isEmpty { props["bootstrap.servers"] = env }
        for file in propertyFiles {
            for (k, v) in try Self.readPropertiesFile(file) { props[k] = v }
        }
        for item in properties {
            guard let eq = item.firstIndex(of: "=") else {
                throw UserFacingError("-X \(item): expected key=value, e.g. -X client.id=kgtop")
            }
            let key = item[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw UserFacingError("-X \(item): the key before '=' is empty") }
            props[key] = String(item[item.index(after: eq)...])
        }
        if let b = bootstrapServers { props["bootstrap.servers"] = b }
        guard let servers = props["bootstrap.servers"], !servers.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw UserFacingError("no brokers given: use -b host:port, -X bootstrap.servers=host:port, a -F file, KGTOP_BOOTSTRAP_SERVERS, or --context NAME (kgtop contexts lists them)")
        }
        return props
    }

    /// The context these options connect through: `--context NAME`, or else the config file's
    /// `current-context` when no broker is given by `-b`, `-F`, `-X bootstrap.servers` or
    /// `KGTOP_BOOTSTRAP_SERVERS`. Nil when there is none (no config file, or brokers given).
    func selectedContext(environment: [String: String]) throws(UserFacingError) -> (context: ClusterContext, file: String)? {
        let brokersGiven = bootstrapServers != nil || !propertyFiles.isEmpty
            || properties.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("bootstrap.servers") }
            || !(environment["KGTOP_BOOTSTRAP_SERVERS"] ?? "").isEmpty
        if context == nil && brokersGiven { return nil }
        let config: ContextConfig?
        do { config = try ContextConfig.loadDefault(environment: environment) } catch { throw UserFacingError("\(error)") }
        guard let config else {
            if let context {
                throw UserFacingError("--context \(context): there is no config file (\(ContextConfig.defaultPath(environment: environment)))")
            }
            return nil
        }
        guard let name = context ?? config.currentContext else { return nil }
        do { return (try config.require(name), config.path) } catch { throw UserFacingError("--context \(name): \(error)") }
    }

    /// A context's properties with every reference resolved: its `properties-file` (read as `-F`
    /// reads one), then its `properties`, then `bootstrap` as `bootstrap.servers`.
    static func properties(of context: ClusterContext, configFile: String, environment: [String: String]) throws(UserFacingError) -> [String: String] {
        var props: [String: String] = [:]
        if let file = context.propertiesFile {
            do {
                for (k, v) in try readPropertiesFile(file) { props[k] = v }
            } catch {
                throw UserFacingError("\(configFile): contexts.\(context.name).properties-file: \(error.message)")
            }
        }
        for p in context.properties {
            do {
                props[p.key] = try p.value.resolve(
                    environment: environment, file: configFile, line: p.line, key: "contexts.\(context.name).properties.\(p.key)")
            } catch {
                throw UserFacingError("\(error)")
            }
        }
        if let bootstrap = context.bootstrap { props["bootstrap.servers"] = bootstrap }
        return props
    }

    /// The admin client configuration, with KafkaAdmin's validation turned into a user-facing error.
    public func adminConfig() throws(UserFacingError) -> AdminConfig {
        let props = try resolvedProperties()
        do {
            return try AdminConfig(properties: props)
        } catch {
            throw UserFacingError("configuration: \(error)")
        }
    }

    /// Parses a properties file: `key=value` (or `key: value`) lines; blank lines and lines
    /// starting with `#` or `!` are skipped. A malformed line is an error naming file and line.
    /// A file that holds a secret and is readable by others gets a warning on stderr.
    static func readPropertiesFile(_ path: String) throws(UserFacingError) -> [(String, String)] {
        let data = try InputFile.read(path, flag: "-F")
        guard let text = String(data: data, encoding: .utf8) else {
            throw UserFacingError("-F \(path): not UTF-8 text")
        }
        var out: [(String, String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw UserFacingError("-F \(path): line \(n + 1): expected key=value")
            }
            let key = line[..<sep].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw UserFacingError("-F \(path): line \(n + 1): the key before '=' is empty") }
            out.append((key, line[line.index(after: sep)...].trimmingCharacters(in: .whitespaces)))
        }
        if out.contains(where: { SecretProperties.isSecret($0.0) }),
           let attrs = try? FileManager.default.attributesOfItem(atPath: path),
           let mode = attrs[.posixPermissions] as? Int, mode & 0o044 != 0
        {
            printError("kgtop: warning: \(path) holds a secret and is readable by others (chmod 600 \(path))")
        }
        return out
    }
}

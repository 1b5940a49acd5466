import Foundation
import KafkaAdmin
import Yams

/// The kgtop configuration file: named cluster contexts (`kgtop --context NAME`, `kgtop contexts`,
/// `kgtop serve`).
///
/// ```yaml
/// current-context: prod
/// contexts:
///   prod:
///     bootstrap: broker1:9092,broker2:9092
///     properties:                        # librdkafka property names, as -X takes them
///       security.protocol: SASL_SSL
///       sasl.password: env:KAFKA_PASSWORD  # secrets only by reference: env:NAME or file:PATH
///     properties-file: /etc/kgtop/prod.properties   # as -F
///     interval: 5s                       # per-context defaults
///     group: '^payments-'
///     exclude: '^_'
///     theme: light
/// ```
///
/// Loading checks the whole file: every error names the file, the line and the key.
public struct ContextConfig: Sendable, Hashable {
    /// The file the configuration was read from.
    public var path: String
    /// `current-context`: the context used when a command is given no cluster at all.
    public var currentContext: String?
    /// The contexts, in file order.
    public var contexts: [ClusterContext]

    /// Creates a configuration.
    public init(path: String, currentContext: String? = nil, contexts: [ClusterContext] = []) {
        self.path = path
        self.currentContext = currentContext
        self.contexts = contexts
    }

    /// The context called `name`, if the file defines it.
    public func context(named name: String) -> ClusterContext? {
        contexts.first { $0.name == name }
    }

    /// The context called `name`, or an error that lists the names the file defines.
    public func require(_ name: String) throws(ConfigError) -> ClusterContext {
        if let c = context(named: name) { return c }
        let known = contexts.map(\.name)
        throw ConfigError(
            file: path, line: nil, key: nil,
            message: "no context named \"\(name)\"" + (known.isEmpty ? " (the file defines none)" : "; defined: \(known.joined(separator: ", "))"))
    }

    // MARK: - Where the file is

    /// The configuration file's path: `$KGTOP_CONFIG`, else `$XDG_CONFIG_HOME/kgtop/config.yaml`,
    /// else `~/.config/kgtop/config.yaml` (`$HOME`).
    public static func defaultPath(environment: [String: String]) -> String {
        if let explicit = environment["KGTOP_CONFIG"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/kgtop/config.yaml" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/kgtop/config.yaml"
    }

    /// Reads the configuration file at ``defaultPath(environment:)``; nil when there is none.
    /// `$KGTOP_CONFIG` naming a missing file is an error (it was asked for).
    public static func loadDefault(environment: [String: String]) throws(ConfigError) -> ContextConfig? {
        let path = defaultPath(environment: environment)
        if !FileManager.default.fileExists(atPath: path) {
            if let explicit = environment["KGTOP_CONFIG"], !explicit.isEmpty {
                throw ConfigError(file: path, line: nil, key: nil, message: "no such file (named by KGTOP_CONFIG)")
            }
            return nil
        }
        return try load(path: path)
    }

    /// Reads and checks the configuration file at `path`.
    public static func load(path: String) throws(ConfigError) -> ContextConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                file: path, line: nil, key: nil,
                message: FileManager.default.fileExists(atPath: path) ? "cannot read it (permissions?)" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, key: nil, message: "not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses and checks configuration text; `path` is used in error messages.
    public static func parse(_ text: String, path: String) throws(ConfigError) -> ContextConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(yaml: error, file: path)
        } catch {
            throw ConfigError(file: path, line: nil, key: nil, message: "not valid YAML")
        }
        guard let root else { return ContextConfig(path: path) }
        var reader = ConfigReader(path: path)
        return try reader.read(root)
    }
}

/// One named cluster: how to reach it and the defaults that go with it.
public struct ClusterContext: Sendable, Hashable {
    /// The context's name (the key under `contexts:`); also the `cluster_name` label of `kgtop serve`.
    public var name: String
    /// `bootstrap`: brokers to start from (property `bootstrap.servers`).
    public var bootstrap: String?
    /// `properties`: librdkafka-style properties, in file order, values possibly references.
    public var properties: [ContextProperty]
    /// `properties-file`: a properties file read as `-F` reads it.
    public var propertiesFile: String?
    /// Per-context defaults for the commands.
    public var defaults: ContextDefaults
    /// The line of the context's name in the file.
    public var line: Int

    /// Creates a context.
    public init(
        name: String, bootstrap: String? = nil, properties: [ContextProperty] = [], propertiesFile: String? = nil,
        defaults: ContextDefaults = ContextDefaults(), line: Int = 0
    ) {
        self.name = name
        self.bootstrap = bootstrap
        self.properties = properties
        self.propertiesFile = propertiesFile
        self.defaults = defaults
        self.line = line
    }
}

/// Per-context defaults: what a command that connects through the context uses when its own
/// option is not given (the CLI's `CommandDefaults` weighs flag, context and built-in default).
public struct ContextDefaults: Sendable, Hashable {
    /// `interval`: time between polls as written (`5s`); read with the CLI's duration syntax when
    /// the context is used, an error then naming ``intervalLine``.
    public var interval: String?
    /// The line of `interval` in the file.
    public var intervalLine: Int?
    /// `group`: only groups whose id matches this regular expression.
    public var include: String?
    /// `exclude`: leave out groups whose id matches this regular expression.
    public var exclude: String?
    /// `theme`: the dashboard theme (name or path).
    public var theme: String?

    /// Creates defaults.
    public init(interval: String? = nil, intervalLine: Int? = nil, include: String? = nil, exclude: String? = nil, theme: String? = nil) {
        self.interval = interval
        self.intervalLine = intervalLine
        self.include = include
        self.exclude = exclude
        self.theme = theme
    }
}

/// One property of a context, as written: its value is literal or a reference to a secret.
public struct ContextProperty: Sendable, Hashable {
    /// The librdkafka property name.
    public var key: String
    /// The value, as written.
    public var value: PropertyValue
    /// The line in the file.
    public var line: Int

    /// Creates a property.
    public init(key: String, value: PropertyValue, line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}

/// A property value: literal text, or a reference resolved when the context is used.
public enum PropertyValue: Sendable, Hashable, CustomStringConvertible {
    /// The text itself.
    case literal(String)
    /// `env:NAME`: the value of environment variable NAME.
    case environment(String)
    /// `file:PATH`: the contents of the file at PATH (a final newline dropped).
    case file(String)

    /// Reads `env:NAME`, `file:PATH` or literal text.
    public init(parsing text: String) {
        if text.hasPrefix("env:") {
            self = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:") {
            self = .file(String(text.dropFirst(5)))
        } else {
            self = .literal(text)
        }
    }

    /// Whether the value is a reference rather than the text itself.
    public var isReference: Bool {
        if case .literal = self { return false }
        return true
    }

    /// The value as written in the file (`env:NAME`, `file:PATH`, or the text). Safe to show for
    /// references; a literal secret is refused when the file is loaded.
    public var description: String {
        switch self {
        case .literal(let text): return text
        case .environment(let name): return "env:\(name)"
        case .file(let path): return "file:\(path)"
        }
    }
}

extension PropertyValue {
    /// The value to use: the text, the environment variable's value, or the file's contents (one
    /// final newline dropped). A missing variable or unreadable file is an error naming the
    /// property's file, line and key.
    public func resolve(environment: [String: String], file: String, line: Int?, key: String) throws(ConfigError) -> String {
        switch self {
        case .literal(let text):
            return text
        case .environment(let name):
            guard let value = environment[name] else {
                throw ConfigError(file: file, line: line, key: key, message: "environment variable \(name) is not set")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(
                    file: file, line: line, key: key,
                    message: FileManager.default.fileExists(atPath: path) ? "cannot read \(path) (permissions?)" : "\(path): no such file")
            }
            guard var text = String(data: data, encoding: .utf8) else {
                throw ConfigError(file: file, line: line, key: key, message: "\(path) is not UTF-8 text")
            }
            // "\r\n" is one Character, so one removeLast drops either line ending.
            if text.hasSuffix("\n") || text.hasSuffix("\r\n") { text.removeLast() }
            return text
        }
    }
}

/// A configuration error: the file, the line and the key at fault, and what is wrong.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration file.
    public var file: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The key's path (`contexts.prod.properties.sasl.password`), when one is at fault.
    public var key: String?
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    init(yaml error: YamlError, file: String) {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            self.init(file: file, line: mark.line, key: nil, message: "not valid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            self.init(
                file: file, line: context.mark.line, key: nil,
                message: "duplicate key \(duplicates.sorted().joined(separator: ", "))")
        default:
            self.init(file: file, line: nil, key: nil, message: "not valid YAML")
        }
    }

    /// `FILE:LINE: KEY: message`.
    public var description: String {
        var out = file
        if let line { out += ":\(line)" }
        if let key { out += ": \(key)" }
        return out + ": " + message
    }
}

// MARK: - Reading the tree

/// Walks the composed YAML tree, checking shape and keys.
private struct ConfigReader {
    let path: String

    func error(_ node: Node?, _ key: String?, _ message: String) -> ConfigError {
        ConfigError(file: path, line: node?.mark?.line, key: key, message: message)
    }

    func string(_ node: Node, _ key: String) throws(ConfigError) -> String {
        guard let scalar = node.scalar else { throw error(node, key, "expected a single value, not a list or a map") }
        return scalar.string
    }

    func mapping(_ node: Node, _ key: String?) throws(ConfigError) -> Node.Mapping {
        guard let m = node.mapping else { throw error(node, key, "expected a map of key: value") }
        return m
    }

    mutating func read(_ root: Node) throws(ConfigError) -> ContextConfig {
        var config = ContextConfig(path: path)
        var currentNode: Node?
        for (k, v) in try mapping(root, nil) {
            let key = try string(k, "(top level)")
            switch key {
            case "current-context":
                config.currentContext = try string(v, key)
                currentNode = v
            case "contexts":
                if v.null != nil { continue }
                for (nameNode, body) in try mapping(v, key) {
                    let name = try string(nameNode, key)
                    guard !name.isEmpty else { throw error(nameNode, key, "a context needs a name") }
                    config.contexts.append(try context(name, body, line: nameNode.mark?.line ?? 0))
                }
            default:
                throw error(k, key, "unknown key; expected current-context or contexts")
            }
        }
        if let current = config.currentContext, config.context(named: current) == nil {
            let known = config.contexts.map(\.name)
            throw error(
                currentNode, "current-context",
                "names no context" + (known.isEmpty ? " (the file defines none)" : "; defined: \(known.joined(separator: ", "))"))
        }
        return config
    }

    func context(_ name: String, _ body: Node, line: Int) throws(ConfigError) -> ClusterContext {
        var c = ClusterContext(name: name, line: line)
        let base = "contexts.\(name)"
        if body.null != nil { return c }
        for (k, v) in try mapping(body, base) {
            let key = try string(k, base)
            let full = "\(base).\(key)"
            switch key {
            case "bootstrap":
                let value = try string(v, full).trimmingCharacters(in: .whitespaces)
                guard !value.isEmpty else { throw error(v, full, "empty; expected host:port[,host:port...]") }
                c.bootstrap = value
            case "properties":
                if v.null != nil { continue }
                for (pk, pv) in try mapping(v, full) {
                    let property = try string(pk, full)
                    let pfull = "\(full).\(property)"
                    let text = try string(pv, pfull)
                    let value = PropertyValue(parsing: text)
                    try check(value, pv, pfull, property: property)
                    c.properties.append(ContextProperty(key: property, value: value, line: pk.mark?.line ?? 0))
                }
            case "properties-file":
                c.propertiesFile = try string(v, full)
            case "interval":
                c.defaults.interval = try string(v, full)
                c.defaults.intervalLine = v.mark?.line
            case "group", "exclude":
                let pattern = try string(v, full)
                if pattern.isEmpty { throw error(v, full, "empty; leave the key out to keep every group") }
                do { _ = try NSRegularExpression(pattern: pattern) } catch {
                    throw self.error(v, full, "\"\(pattern)\" is not a valid regular expression")
                }
                if key == "group" { c.defaults.include = pattern } else { c.defaults.exclude = pattern }
            case "theme":
                c.defaults.theme = try string(v, full)
            default:
                throw error(k, full, "unknown key; expected bootstrap, properties, properties-file, interval, group, exclude or theme")
            }
        }
        return c
    }

    /// A secret may be given only by reference; a reference must name something.
    func check(_ value: PropertyValue, _ node: Node, _ key: String, property: String) throws(ConfigError) {
        switch value {
        case .literal:
            if SecretProperties.isSecret(property), !SecretProperties.referenceKeys.contains(property) {
                throw error(node, key, "a secret must be given by reference: env:NAME or file:PATH, not written in the file")
            }
        case .environment(let name):
            if name.isEmpty { throw error(node, key, "env: needs a variable name, e.g. env:KAFKA_PASSWORD") }
        case .file(let file):
            if file.isEmpty { throw error(node, key, "file: needs a path, e.g. file:/run/secrets/kafka") }
        }
    }

}

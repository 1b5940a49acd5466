import KafkaWire

/// A broker's `host:port`.
public struct BrokerAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with IPv6 literals in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public static func < (a: BrokerAddress, b: BrokerAddress) -> Bool { (a.host, a.port) < (b.host, b.port) }

    /// Parses `host:port`, `host` (port 9092) or `[v6]:port`; nil when malformed.
    public init?(parsing text: String, defaultPort: Int = 9092) {
        var s = text.trimmingCharactersInWhitespace()
        if s.hasPrefix("plaintext://") || s.hasPrefix("PLAINTEXT://") { s.removeFirst("plaintext://".count) }
        guard !s.isEmpty else { return nil }
        var host = s
        var portText: Substring?
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = s.lastIndex(of: ":") {
            guard s.firstIndex(of: ":") == colon else { return nil }  // bare IPv6 needs brackets
            host = String(s[..<colon])
            portText = s[s.index(after: colon)...]
        }
        guard !host.isEmpty else { return nil }
        var port = defaultPort
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { return nil }
            port = p
        }
        self.init(host: host, port: port)
    }
}

extension String {
    func trimmingCharactersInWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// The admin client's settings, under librdkafka's property names.
///
/// Its description leaves out every `sasl.*` and `ssl.*` value, so printing a configuration never
/// shows a password or token.
public struct AdminConfig: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// `security.protocol` values.
    public enum SecurityProtocol: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case plaintext
        /// TLS.
        case ssl
        /// SASL over plain TCP.
        case saslPlaintext = "sasl_plaintext"
        /// SASL over TLS.
        case saslSSL = "sasl_ssl"
    }

    /// `bootstrap.servers`: where to start.
    public var bootstrapServers: [BrokerAddress]
    /// `client.id`: sent in every request header.
    public var clientID: String = "kgtop"
    /// `socket.timeout.ms`: how long to wait for each answer.
    public var requestTimeout: Duration = .seconds(30)
    /// `socket.connection.setup.timeout.ms`: how long a connection (TCP and ApiVersions) may take.
    /// kgtop's default is 10 s (librdkafka's is 30 s): a dashboard should say early that it cannot connect.
    public var connectionSetupTimeout: Duration = .seconds(10)
    /// `reconnect.backoff.ms`: the first wait after a failed connection.
    public var reconnectBackoff: Duration = .milliseconds(100)
    /// `reconnect.backoff.max.ms`: the longest wait between attempts (the wait doubles each failure).
    public var reconnectBackoffMax: Duration = .seconds(10)
    /// `topic.metadata.refresh.interval.ms`: how old cached metadata may get before a refresh.
    public var metadataRefreshInterval: Duration = .seconds(300)
    /// `receive.message.max.bytes`: the largest answer accepted.
    public var maxResponseSize: Int = 100_000_000
    /// `security.protocol`.
    public var securityProtocol: SecurityProtocol = .plaintext
    /// `sasl.*` and `ssl.*` properties as given (never logged; see ``security`` for their meaning).
    public var securityProperties: [String: String] = [:]
    /// TLS and SASL settings, validated from ``securityProtocol`` and ``securityProperties``.
    public var security: SecuritySettings = .plaintext
    /// The client software version sent in ApiVersions v3+.
    public var clientSoftwareVersion: String = "0.1.0"

    /// The settings without secrets.
    public var description: String {
        "AdminConfig(bootstrap.servers=\(bootstrapServers.map(\.description).joined(separator: ",")) client.id=\(clientID) \(security))"
    }

    /// Hides the security properties from `dump` and mirrors.
    public var customMirror: Mirror {
        Mirror(self, children: ["description": description], displayStyle: .struct)
    }

    /// Creates a configuration with defaults.
    public init(bootstrapServers: [BrokerAddress]) {
        self.bootstrapServers = bootstrapServers
    }

    /// The properties ``init(properties:)`` understands.
    public static let knownProperties: [String] = [
        "bootstrap.servers", "client.id", "socket.timeout.ms", "socket.connection.setup.timeout.ms",
        "reconnect.backoff.ms", "reconnect.backoff.max.ms", "topic.metadata.refresh.interval.ms",
        "receive.message.max.bytes", "security.protocol", "enable.ssl.certificate.verification",
    ]

    /// Parses librdkafka-style properties. Keys starting with `sasl.` or `ssl.` are kept in
    /// ``securityProperties``; any other unknown key is an error that lists the known ones.
    public init(properties: [String: String]) throws(KafkaAdminError) {
        guard let servers = properties["bootstrap.servers"] ?? properties["metadata.broker.list"] else {
            throw .invalidConfiguration(key: "bootstrap.servers", message: "missing; give a comma-separated list of host:port")
        }
        var addresses: [BrokerAddress] = []
        for part in servers.split(separator: ",") {
            let item = String(part).trimmingCharactersInWhitespace()
            if item.isEmpty { continue }
            guard let address = BrokerAddress(parsing: item) else {
                throw .invalidConfiguration(
                    key: "bootstrap.servers",
                    message: "'\(item)' is not host:port (port 1-65535; IPv6 as [addr]:port)")
            }
            addresses.append(address)
        }
        if addresses.isEmpty {
            throw .invalidConfiguration(key: "bootstrap.servers", message: "empty; give a comma-separated list of host:port")
        }
        self.init(bootstrapServers: addresses)

        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "bootstrap.servers", "metadata.broker.list": break
            case "client.id":
                guard !value.isEmpty else { throw .invalidConfiguration(key: key, message: "must not be empty") }
                clientID = value
            case "socket.timeout.ms":
                requestTimeout = try Self.milliseconds(key, value, 10...300_000)
            case "socket.connection.setup.timeout.ms":
                connectionSetupTimeout = try Self.milliseconds(key, value, 1000...2_147_483_647)
            case "reconnect.backoff.ms":
                reconnectBackoff = try Self.milliseconds(key, value, 0...3_600_000)
            case "reconnect.backoff.max.ms":
                reconnectBackoffMax = try Self.milliseconds(key, value, 0...3_600_000)
            case "topic.metadata.refresh.interval.ms":
                metadataRefreshInterval = try Self.milliseconds(key, value, 1000...3_600_000)
            case "receive.message.max.bytes":
                guard let n = Int(value), (1000...2_147_483_647).contains(n) else {
                    throw .invalidConfiguration(key: key, message: "must be a whole number of bytes in 1000...2147483647, got '\(value)'")
                }
                maxResponseSize = n
            case "security.protocol":
                guard let p = SecurityProtocol(rawValue: value.lowercased()) else {
                    throw .invalidConfiguration(
                        key: key,
                        message: "'\(value)' is not one of \(SecurityProtocol.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                securityProtocol = p
            default:
                if key.hasPrefix("sasl.") || key.hasPrefix("ssl.") || key == "enable.ssl.certificate.verification" {
                    securityProperties[key] = value
                } else {
                    throw .invalidConfiguration(
                        key: key, message: "unknown property; known: \(Self.knownProperties.joined(separator: ", ")), sasl.*, ssl.*")
                }
            }
        }
        security = try SecuritySettings(securityProtocol: securityProtocol, properties: securityProperties)
        if reconnectBackoffMax < reconnectBackoff {
            throw .invalidConfiguration(
                key: "reconnect.backoff.max.ms", message: "must be at least reconnect.backoff.ms (\(reconnectBackoff.milliseconds))")
        }
    }

    private static func milliseconds(_ key: String, _ value: String, _ range: ClosedRange<Int64>) throws(KafkaAdminError) -> Duration {
        guard let n = Int64(value.trimmingCharactersInWhitespace()), range.contains(n) else {
            throw .invalidConfiguration(
                key: key, message: "must be a whole number of milliseconds in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
        }
        return .milliseconds(n)
    }
}

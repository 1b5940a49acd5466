import CRdKafka
import Foundation
import KafkaAdmin

/// librdkafka configuration properties (`bootstrap.servers`, `security.protocol`, `group.protocol`,
/// ...), as given with `-X key=value` and `-F file`, passed to librdkafka unchanged.
public struct ClientProperties: Sendable, Hashable {
    /// The properties by name.
    public var values: [String: String]

    /// Creates a property set.
    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// Reads properties: first every `-F` file in order, then every `-X key=value` (later wins).
    /// A file holds one `key=value` per line; blank lines and lines starting with `#` are skipped.
    public init(assignments: [String], files: [String] = []) throws(WorkloadError) {
        var values: [String: String] = [:]
        for path in files {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .unreadableFile(path: path, reason: error.localizedDescription)
            }
            for raw in text.split(whereSeparator: \.isNewline) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                let (key, value) = try Self.split(line)
                values[key] = value
            }
        }
        for assignment in assignments {
            let (key, value) = try Self.split(assignment)
            values[key] = value
        }
        self.values = values
    }

    /// The value of one property.
    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// These properties with `other` laid over them.
    public func merging(_ other: [String: String]) -> ClientProperties {
        ClientProperties(values.merging(other) { _, new in new })
    }

    /// Whether a property holds a secret whose value must never be shown.
    public static func isSecret(_ name: String) -> Bool {
        SecretProperties.isSecret(name)
    }

    private static func split(_ text: String) throws(WorkloadError) -> (String, String) {
        guard let eq = text.firstIndex(of: "=") else { throw .malformedProperty(redacted(text)) }
        let key = text[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw .malformedProperty(redacted(text)) }
        return (key, String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces))
    }

    /// `text` with everything after `=` hidden when the key names a secret.
    private static func redacted(_ text: String) -> String {
        isSecret(text) ? (text.split(separator: "=").first.map { "\($0)=***" } ?? "***") : text
    }

    // MARK: - librdkafka configuration

    /// Builds an `rd_kafka_conf_t` with every property set; the caller owns the result (hand it to
    /// `rd_kafka_new`, or destroy it). Properties are set in name order, so errors are deterministic.
    func makeConf() throws(WorkloadError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw .clientCreation("rd_kafka_conf_new returned nothing") }
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            var errstr = [CChar](repeating: 0, count: 512)
            let res = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
            switch res {
            case RD_KAFKA_CONF_OK:
                continue
            case RD_KAFKA_CONF_UNKNOWN:
                rd_kafka_conf_destroy(conf)
                throw .unknownProperty(name: name, librdkafkaVersion: Workload.librdkafkaVersion)
            default:
                rd_kafka_conf_destroy(conf)
                var message = String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if Self.isSecret(name), !value.isEmpty {
                    message = message.replacingOccurrences(of: value, with: "***")
                }
                throw .invalidProperty(name: name, message: message.isEmpty ? "invalid value" : message)
            }
        }
        return conf
    }
}

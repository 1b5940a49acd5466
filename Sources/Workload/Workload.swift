import CRdKafka
import Foundation

/// Real Kafka clients (librdkafka) for `kgtop load`, `kgtop rehearse` and the integration tests.
///
/// This is the only module that imports `CRdKafka`; no C type appears in its public API. Which
/// librdkafka runs is decided by the dynamic loader, not at build time: the binary links against
/// Debian's 2.0.2, and a newer `librdkafka.so.1` on `LD_LIBRARY_PATH` (2.4 or later) gives KIP-848
/// consumers through the same `group.protocol` property.
public enum Workload {
    /// The version string of the librdkafka loaded into this process, e.g. `2.0.2`.
    public static var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }

    /// The loaded librdkafka's version as `0xMMmmrrpp` (major, minor, revision, pre-release).
    public static var librdkafkaVersionNumber: Int { Int(rd_kafka_version()) }

    /// Whether the loaded librdkafka can run KIP-848 (`group.protocol=consumer`) members: 2.4 or newer.
    public static var supportsConsumerProtocol: Bool { librdkafkaVersionNumber >= 0x0204_0000 }

    /// Wall-clock milliseconds since the Unix epoch; every timestamp this module records uses it, so
    /// member events line up with snapshot times (`ClusterSnapshot.takenAt`).
    public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Why a workload client could not be configured, created or driven.
public enum WorkloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The loaded librdkafka does not know a property (e.g. `group.protocol` before 2.4).
    case unknownProperty(name: String, librdkafkaVersion: String)
    /// The loaded librdkafka rejected a property's value; the message never contains secret values.
    case invalidProperty(name: String, message: String)
    /// A `-X` argument or a line of a `-F` file is not `key=value`.
    case malformedProperty(String)
    /// A `-F` file could not be read.
    case unreadableFile(path: String, reason: String)
    /// `rd_kafka_new` failed (librdkafka's message, e.g. conflicting properties).
    case clientCreation(String)
    /// A consumer or producer operation failed.
    case operation(String, message: String)
    /// A bad argument (rate, size, member count, ...).
    case invalidArgument(String)

    /// A one-line explanation for the user.
    public var description: String {
        switch self {
        case let .unknownProperty(name, version):
            return "the loaded librdkafka \(version) does not know property \(name)"
                + (name.hasPrefix("group.") && version.hasPrefix("2.") && !Workload.supportsConsumerProtocol
                    ? " (KIP-848 properties need librdkafka 2.4 or newer on LD_LIBRARY_PATH)" : "")
        case let .invalidProperty(name, message):
            return "property \(name): \(message)"
        case let .malformedProperty(text):
            return "expected key=value, got '\(text)'"
        case let .unreadableFile(path, reason):
            return "cannot read property file \(path): \(reason)"
        case let .clientCreation(message):
            return "librdkafka \(Workload.librdkafkaVersion) could not create the client: \(message)"
        case let .operation(what, message):
            return "\(what) failed: \(message)"
        case let .invalidArgument(message):
            return message
        }
    }
}

import GroupModel
import KafkaWire

// MARK: - Whole-operation failures

/// A failure of a whole admin operation: nothing could be observed.
///
/// Failures of single items (a broker, a group, a partition) are never thrown; they travel inside
/// the results as ``AdminItemError`` values.
public enum KafkaAdminError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A configuration property has an invalid value.
    case invalidConfiguration(key: String, message: String)
    /// No bootstrap (or known) broker answered; `causes` holds one reason per address (a refusal, or
    /// no answer within the connection timeout `timeout`).
    case noBrokerReachable(addresses: [String], timeout: Duration, causes: [String])
    /// The broker at `address` answered, but cannot serve kgtop (e.g. no common ApiVersions or Metadata version).
    case unsupportedBroker(address: String, reason: String)
    /// The broker rejected kgtop's credentials.
    case authentication(address: String, message: String)
    /// A single-request operation (e.g. DescribeCluster) failed.
    case requestFailed(api: String, error: AdminItemError)
    /// The client was closed.
    case closed

    public var description: String {
        switch self {
        case let .invalidConfiguration(key, message):
            return "invalid value for \(key): \(message)"
        case let .noBrokerReachable(addresses, _, causes):
            // Each cause says how that address failed (refused at once, or no answer within the
            // connection timeout); the sentence claims no waiting time of its own.
            let base = "no broker answered at \(addresses.joined(separator: ", "))"
            return causes.isEmpty ? base : base + " (" + causes.joined(separator: "; ") + ")"
        case let .unsupportedBroker(address, reason):
            return "the broker at \(address) is not supported: \(reason)"
        case let .authentication(address, message):
            return "authentication failed at \(address): \(message)"
        case let .requestFailed(api, error):
            return "\(api) failed: \(error)"
        case .closed:
            return "the admin client is closed"
        }
    }
}

extension KafkaAdminError {
    /// A key that stays the same while the same fault lasts, although the message may vary (which
    /// address failed first, how long until the next attempt): the Monitor reports a fault once.
    public var faultKey: String {
        switch self {
        case let .invalidConfiguration(key, _): return "configuration|\(key)"
        case let .noBrokerReachable(addresses, _, _): return "unreachable|\(addresses.joined(separator: ","))"
        case .unsupportedBroker: return "unsupportedBroker"
        case .authentication: return "authentication"
        case let .requestFailed(api, error): return "request|\(api)|\(error.code)"
        case .closed: return "closed"
        }
    }
}

/// Formats a duration for messages: `10 s`, `1.5 s` or `250 ms`.
func formatDuration(_ d: Duration) -> String {
    let ms = d.milliseconds
    if ms >= 1000 {
        if ms % 1000 == 0 { return "\(ms / 1000) s" }
        let tenths = (ms + 50) / 100
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }
    return "\(ms) ms"
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}

// MARK: - Per-item failures

/// Why one item of a result (a broker, a group, a partition) could not be observed.
///
/// Broker-sent errors keep their Kafka code; client-side failures map to the nearest Kafka code
/// (a dropped connection is `NETWORK_EXCEPTION`, a timeout `REQUEST_TIMED_OUT`), so every item
/// error has a ``code`` and a ``name``.
public struct AdminItemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the failure comes from.
    public enum Kind: Sendable, Hashable {
        /// The broker answered with this Kafka error code.
        case broker(code: Int16)
        /// No connection could be made, or it dropped before the answer.
        case connection
        /// The answer did not arrive in time.
        case timeout
        /// The answer could not be decoded.
        case malformedResponse
        /// The broker lacks the API, or every version of it that kgtop speaks.
        case unsupportedVersion
        /// The broker answered but left this item out.
        case missingFromResponse
        /// No broker to send the request to (no leader, no coordinator, unknown node).
        case notRoutable
        /// kgtop does not describe this kind of item (e.g. share or streams groups).
        case notSupported
    }

    /// Where the failure comes from.
    public var kind: Kind
    /// A human-readable explanation (the broker's message, or the client-side reason).
    public var message: String?

    /// Creates an item error.
    public init(_ kind: Kind, message: String? = nil) {
        self.kind = kind
        self.message = message
    }

    /// A broker-sent error code, with the broker's message when it sent one.
    public static func broker(_ code: Int16, message: String? = nil) -> AdminItemError {
        AdminItemError(.broker(code: code), message: message)
    }

    /// The Kafka error code: the broker's, or the nearest Kafka code for a client-side failure.
    public var code: Int16 {
        switch kind {
        case let .broker(code): return code
        case .connection: return KafkaErrorCode.networkException.code
        case .timeout: return KafkaErrorCode.requestTimedOut.code
        case .malformedResponse: return KafkaErrorCode.corruptMessage.code
        case .unsupportedVersion: return KafkaErrorCode.unsupportedVersion.code
        case .missingFromResponse, .notSupported: return KafkaErrorCode.unknownServerError.code
        case .notRoutable: return KafkaErrorCode.leaderNotAvailable.code
        }
    }

    /// The symbolic name, e.g. `NOT_COORDINATOR`; client-side failures have their own names
    /// (`CONNECTION_FAILED`, `TIMEOUT`, `MALFORMED_RESPONSE`, `MISSING_FROM_RESPONSE`, ...).
    public var name: String {
        switch kind {
        case let .broker(code): return KafkaErrorCode(code).name
        case .connection: return ItemError.connectionFailedName
        case .timeout: return ItemError.timeoutName
        case .malformedResponse: return ItemError.malformedResponseName
        case .unsupportedVersion: return "UNSUPPORTED_VERSION"
        case .missingFromResponse: return "MISSING_FROM_RESPONSE"
        case .notRoutable: return "NOT_ROUTABLE"
        case .notSupported: return "NOT_SUPPORTED"
        }
    }

    /// Whether trying again later may succeed.
    public var isRetriable: Bool {
        switch kind {
        case let .broker(code): return KafkaErrorCode(code).isRetriable
        case .connection, .timeout, .notRoutable, .missingFromResponse: return true
        case .malformedResponse, .unsupportedVersion, .notSupported: return false
        }
    }

    /// Whether the error means the group's coordinator should be looked up again.
    public var isCoordinatorError: Bool {
        switch kind {
        case let .broker(code): return KafkaErrorCode.coordinatorErrors.contains(code)
        case .connection, .timeout: return true
        default: return false
        }
    }

    /// `NAME (code): message`.
    public var description: String {
        if let message, !message.isEmpty { return "\(name) (\(code)): \(message)" }
        return "\(name) (\(code))"
    }

    /// Converts a connection-layer failure.
    init(_ error: BrokerConnectionError) {
        switch error {
        case .requestTimedOut, .connectTimedOut: self.init(.timeout, message: error.description)
        case .malformedResponse, .unexpectedCorrelationID, .frameTooLarge: self.init(.malformedResponse, message: error.description)
        case .encoding: self.init(.unsupportedVersion, message: error.description)
        case .connectFailed, .closed, .backingOff, .tlsFailed, .authenticationFailed: self.init(.connection, message: error.description)
        }
    }

    /// Nil for error code 0, else a broker error.
    static func fromCode(_ code: Int16, message: String? = nil) -> AdminItemError? {
        code == 0 ? nil : .broker(code, message: message)
    }
}

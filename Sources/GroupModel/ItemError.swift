/// A Kafka error attached to one item of a result (a group, a partition, a topic).
///
/// GroupModel does not know the Kafka error table; whoever builds the inputs fills in the name
/// (for example `NOT_COORDINATOR`) next to the number.
public struct ItemError: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The Kafka error code (never 0: no error is `nil`, not an `ItemError`).
    public var code: Int16
    /// The error's symbolic name, such as `GROUP_AUTHORIZATION_FAILED`.
    public var name: String
    /// The broker's error message, when it sent one.
    public var message: String?

    /// Creates an item error.
    public init(code: Int16, name: String, message: String? = nil) {
        self.code = code
        self.name = name
        self.message = message
    }

    /// The names of the client-side failures of a broker's connection: the connection failed or
    /// closed, a request timed out, the answer could not be read. The admin client names its
    /// errors with these; whichever request meets a broker that drops its connections fails with
    /// one of them.
    public static let connectionFailedName = "CONNECTION_FAILED"
    /// See ``connectionFailedName``.
    public static let timeoutName = "TIMEOUT"
    /// See ``connectionFailedName``.
    public static let malformedResponseName = "MALFORMED_RESPONSE"

    /// Whether this is a failure of the connection to the broker (``connectionFailedName``,
    /// ``timeoutName``, ``malformedResponseName``), not an answer about the item.
    public var isConnectionFault: Bool {
        name == Self.connectionFailedName || name == Self.timeoutName || name == Self.malformedResponseName
    }

    /// `NAME (code): message`.
    public var description: String {
        if let message, !message.isEmpty { return "\(name) (\(code)): \(message)" }
        return "\(name) (\(code))"
    }
}

/// The error of a whole group (describe or offset-fetch failed for it).
public typealias GroupError = ItemError

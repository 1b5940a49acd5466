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

    /// `NAME (code): message`.
    public var description: String {
        if let message, !message.isEmpty { return "\(name) (\(code)): \(message)" }
        return "\(name) (\(code))"
    }
}

/// The error of a whole group (describe or offset-fetch failed for it).
public typealias GroupError = ItemError

/// A message that can be encoded and decoded at any of its valid versions.
///
/// The generated request, response and data types in `KafkaProtocol` conform to this.
public protocol KafkaMessage: Sendable, Hashable {
    /// The message's name as in Kafka's definitions, e.g. `ListGroupsRequest`.
    static var messageName: String { get }
    /// The versions this message exists in.
    static var validVersions: ClosedRange<Int16> { get }
    /// The first version that uses the flexible (compact, tagged) encoding, or nil when none does.
    static var firstFlexibleVersion: Int16? { get }
    /// Decodes a message body at `version`.
    init(from reader: inout WireReader, version: Int16) throws(WireError)
    /// Encodes the message body at `version`.
    func encode(to writer: inout WireWriter, version: Int16) throws(WireError)
}

extension KafkaMessage {
    /// Whether `version` uses the flexible encoding.
    public static func isFlexible(_ version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }

    /// Decodes a whole body: every byte must belong to the message.
    public static func decode(_ bytes: [UInt8], version: Int16) throws(WireError) -> Self {
        var reader = WireReader(bytes)
        let value = try Self(from: &reader, version: version)
        try reader.expectEnd()
        return value
    }

    /// Encodes the message body at `version` into a new byte array.
    public func encoded(version: Int16) throws(WireError) -> [UInt8] {
        var writer = WireWriter(capacity: 128)
        try encode(to: &writer, version: version)
        return writer.bytes
    }

    /// Throws when `version` is not one of the message's versions.
    public static func checkVersion(_ version: Int16) throws(WireError) {
        if !validVersions.contains(version) { throw .unsupportedVersion(api: messageName, version: version) }
    }
}

/// A request or response of one Kafka API (it has an API key).
public protocol KafkaAPIMessage: KafkaMessage {
    /// The API key, e.g. 16 for ListGroups.
    static var apiKey: Int16 { get }
}

/// A request, tied to the response type it is answered with.
public protocol KafkaRequestMessage: KafkaAPIMessage {
    /// The response type of this API.
    associatedtype Response: KafkaAPIMessage

    /// Reads this request's answer at `version`. The default (every generated request) is
    /// `Response(from:version:)`; a request can read its answer with what it knows beyond the
    /// bytes (the admin client's describe requests carry Metadata's topic names).
    func readResponse(from reader: inout WireReader, version: Int16) throws(WireError) -> Response
}

extension KafkaRequestMessage {
    /// Reads the answer as `Response(from:version:)`.
    public func readResponse(from reader: inout WireReader, version: Int16) throws(WireError) -> Response {
        try Response(from: &reader, version: version)
    }
}

import KafkaProtocol
import KafkaWire

/// A message the admin client reads or writes its own way, for one generated message's API: its
/// API key, name, versions and first flexible version are the generated message's.
///
/// The flat readers (`FlatMetadata`, `FlatOffsetFetch`, `FlatGroupDescriptions`, `FlatListOffsets`)
/// declare which generated message they stand for, instead of copying its four header values; a
/// reader that accepts fewer versions than the generated message declares its own `validVersions`.
protocol FlatMessage: KafkaAPIMessage {
    /// The generated message this one stands for.
    associatedtype Generated: KafkaAPIMessage
}

extension FlatMessage {
    static var apiKey: Int16 { Generated.apiKey }
    static var messageName: String { Generated.messageName }
    static var validVersions: ClosedRange<Int16> { Generated.validVersions }
    static var firstFlexibleVersion: Int16? { Generated.firstFlexibleVersion }
}

/// A generated request sent as it is, whose answer is read by a flat reader (with what the request
/// knows beyond the bytes, such as Metadata's topic names or the group ids asked).
protocol WrappedRequest: FlatMessage, KafkaRequestMessage where Generated: KafkaRequestMessage {
    /// The generated request.
    var request: Generated { get }
}

extension WrappedRequest {
    /// Writes the generated request.
    func encode(to writer: inout WireWriter, version: Int16) throws(WireError) {
        try request.encode(to: &writer, version: version)
    }
}

/// Everything that can go wrong while reading or writing Kafka wire data.
///
/// Decoders never trap on bad input: every malformed, truncated or oversized value ends in one of
/// these cases, so a misbehaving broker (or a fuzzer) can never take the process down.
public enum WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input ended before a value was complete.
    case truncated(needed: Int, remaining: Int, offset: Int)
    /// A length prefix was negative where no null is allowed, or otherwise impossible.
    case invalidLength(Int64, offset: Int)
    /// A length or count is larger than the bytes that remain (or than a configured limit).
    case lengthTooLarge(Int64, limit: Int, offset: Int)
    /// A variable-length integer ran over its maximum width.
    case varintTooLong(offset: Int)
    /// A string was not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A non-nullable field was null on the wire.
    case unexpectedNull(field: String, offset: Int)
    /// The message does not exist at this version.
    case unsupportedVersion(api: String, version: Int16)
    /// A field that this version cannot carry holds a non-default value.
    case fieldNotSupported(field: String, version: Int16)
    /// A frame's size prefix is negative or exceeds the configured maximum.
    case frameTooLarge(size: Int32, limit: Int)
    /// A record batch failed validation.
    case invalidRecordBatch(String)
    /// Bytes were left over after a complete message was decoded.
    case trailingBytes(count: Int)

    public var description: String {
        switch self {
        case let .truncated(needed, remaining, offset):
            return "truncated input: needed \(needed) byte(s) at offset \(offset), \(remaining) remain"
        case let .invalidLength(length, offset):
            return "invalid length \(length) at offset \(offset)"
        case let .lengthTooLarge(length, limit, offset):
            return "length \(length) at offset \(offset) exceeds the \(limit) byte(s) available"
        case let .varintTooLong(offset):
            return "variable-length integer at offset \(offset) is too long"
        case let .invalidUTF8(offset):
            return "string at offset \(offset) is not valid UTF-8"
        case let .unexpectedNull(field, offset):
            return "field \(field) is null at offset \(offset), but it is not nullable"
        case let .unsupportedVersion(api, version):
            return "\(api) has no version \(version)"
        case let .fieldNotSupported(field, version):
            return "field \(field) cannot be sent at version \(version) and holds a non-default value"
        case let .frameTooLarge(size, limit):
            return "frame size \(size) is outside 0...\(limit)"
        case let .invalidRecordBatch(reason):
            return "invalid record batch: \(reason)"
        case let .trailingBytes(count):
            return "\(count) unexpected byte(s) after the end of the message"
        }
    }
}

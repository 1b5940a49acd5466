/// Kafka's framing: every request and response is a big-endian `int32` size followed by that many bytes.
public enum Frame {
    /// The default largest frame accepted (100 MiB, Kafka's `socket.request.max.bytes` default).
    public static let defaultMaxSize = 100 * 1024 * 1024

    /// Prefixes `body` with its size.
    public static func encode(_ body: [UInt8]) -> [UInt8] {
        var w = WireWriter(capacity: body.count + 4)
        w.writeInt32(Int32(truncatingIfNeeded: body.count))
        w.writeRawBytes(body)
        return w.bytes
    }

    /// The body size a frame's `int32` prefix announces, checked against `maxFrameSize` before
    /// anything is allocated for it: a negative or larger size is ``WireError/frameTooLarge(size:limit:)``.
    public static func bodySize(announced size: Int32, maxFrameSize: Int) throws(WireError) -> Int {
        guard size >= 0, Int(size) <= maxFrameSize else { throw .frameTooLarge(size: size, limit: maxFrameSize) }
        return Int(size)
    }
}

/// Splits a byte stream into frames, however the bytes arrive (one at a time or many frames at once).
/// (Network connections use KafkaWireNIO's `KafkaFrameDecoder`, the same rule over NIO buffers.)
///
/// The size prefix is validated before any allocation, so an oversized or negative prefix raises
/// ``WireError/frameTooLarge(size:limit:)`` instead of reserving memory for it.
public struct FrameDecoder: Sendable {
    /// The largest frame body accepted.
    public let maxFrameSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    /// Creates a decoder that accepts frames up to `maxFrameSize` bytes.
    public init(maxFrameSize: Int = Frame.defaultMaxSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete frame body, nil when more bytes are needed.
    public mutating func next() throws(WireError) -> [UInt8]? {
        guard buffer.count - start >= 4 else { return nil }
        let size = Int32(bitPattern: UInt32(buffer[start]) << 24 | UInt32(buffer[start + 1]) << 16
            | UInt32(buffer[start + 2]) << 8 | UInt32(buffer[start + 3]))
        let total = try 4 + Frame.bodySize(announced: size, maxFrameSize: maxFrameSize)
        guard buffer.count - start >= total else { return nil }
        let body = Array(buffer[start + 4..<start + total])
        start += total
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return body
    }
}

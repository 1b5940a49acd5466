import KafkaWire
import NIOCore

/// Splits a TCP byte stream into Kafka frames (the bytes after each `int32` size prefix), for an
/// NIO pipeline: `ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: …))`. The client
/// (`KafkaAdmin.BrokerConnection`) and the simulated brokers (`KafkaSim.KafkaSimulator`) both use
/// it; KafkaWire's ``KafkaWire/FrameDecoder`` is the same framing over byte arrays (fuzzing, tests).
///
/// The size prefix is checked by ``KafkaWire/Frame/bodySize(announced:maxFrameSize:)`` before
/// anything is allocated; the frame is a slice of the received buffer (no copy).
public struct KafkaFrameDecoder: ByteToMessageDecoder {
    /// Each frame's body.
    public typealias InboundOut = ByteBuffer
    /// The largest frame body accepted.
    public let maxFrameSize: Int

    /// Creates a decoder that accepts frames up to `maxFrameSize` bytes.
    public init(maxFrameSize: Int = Frame.defaultMaxSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// The bytes to make room for while a frame of `bodySize` bytes (after its 4-byte size) is
    /// incomplete with `readable` bytes in: once half of it is in, the rest, so that a large answer
    /// (megabytes) arriving in many reads is not copied again when the buffer outgrows its storage
    /// at the end; before that 0. Never more than what has arrived, so a size prefix alone makes
    /// nothing be allocated.
    public static func reservation(readable: Int, bodySize: Int) -> Int {
        let missing = 4 + bodySize - readable
        return missing > 0 && readable >= missing ? missing : 0
    }

    /// Passes on every complete frame in `buffer`; an oversized or negative size prefix is
    /// ``KafkaWire/WireError/frameTooLarge(size:limit:)``.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let announced = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        let size = try Frame.bodySize(announced: announced, maxFrameSize: maxFrameSize)
        guard buffer.readableBytes >= 4 + size else {
            let room = Self.reservation(readable: buffer.readableBytes, bodySize: size)
            if room > 0 { buffer.reserveCapacity(minimumWritableBytes: room) }
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let frame = buffer.readSlice(length: size) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }
}

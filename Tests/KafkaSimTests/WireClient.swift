import KafkaProtocol
import KafkaWire
import KafkaWireNIO
import NIOCore
import NIOPosix

@testable import KafkaSim

/// A tiny async Kafka client over loopback TCP for tests: sends a generated request, reads one
/// frame back and decodes it. Use it inside ``with(port:_:)``, which closes the connection.
final class WireClient {
    enum Failure: Error { case io(String), closed }

    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var correlation: Int32 = 0

    private init(iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, writer: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.iterator = iterator
        self.writer = writer
    }

    /// Connects to 127.0.0.1:`port`, runs `body` with a client, then closes.
    static func with(port: Int, _ body: (WireClient) async throws -> Void) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: Frame.defaultMaxSize)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            let client = WireClient(iterator: inbound.makeAsyncIterator(), writer: outbound)
            try await body(client)
        }
    }

    /// Sends raw frame body bytes.
    func sendRaw(_ body: [UInt8]) async throws {
        var buf = ByteBuffer()
        buf.writeInteger(Int32(body.count))
        buf.writeBytes(body)
        try await writer.write(buf)
    }

    /// Reads one frame body.
    func readFrame() async throws -> [UInt8] {
        guard let frame = try await iterator.next() else { throw Failure.closed }
        return Array(frame.readableBytesView)
    }

    /// Sends `request` at `version` and decodes the response.
    func send<R: KafkaRequestMessage>(_ request: R, version: Int16, clientID: String = "kgtop-test") async throws -> R.Response {
        correlation += 1
        let flexible = R.isFlexible(version)
        var w = WireWriter()
        RequestHeader(apiKey: R.apiKey, apiVersion: version, correlationID: correlation, clientID: clientID)
            .encode(to: &w, headerVersion: RequestHeader.version(flexible: flexible))
        try request.encode(to: &w, version: version)
        try await sendRaw(w.bytes)
        let body = try await readFrame()
        var r = WireReader(body)
        let header = try ResponseHeader.decode(from: &r, headerVersion: ResponseHeader.version(apiKey: R.apiKey, flexible: R.Response.isFlexible(version)))
        guard header.correlationID == correlation else { throw Failure.io("correlation \(header.correlationID) != \(correlation)") }
        let resp = try R.Response(from: &r, version: version)
        try r.expectEnd()
        return resp
    }
}

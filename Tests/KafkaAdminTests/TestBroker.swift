import KafkaProtocol
import KafkaWire
import KafkaWireNIO
import NIOCore
import NIOPosix
@testable import KafkaAdmin

/// One request as the in-test broker received it.
struct ReceivedRequest: Sendable {
    let apiKey: Int16
    let apiVersion: Int16
    let correlationID: Int32
    let clientID: String?
    let body: [UInt8]
    let channel: any Channel

    /// Decodes the body as `R`.
    func decode<R: KafkaMessage>(_: R.Type) throws -> R {
        var reader = WireReader(body)
        return try R(from: &reader, version: apiVersion)
    }

    /// The bytes of a whole answer frame: size, header (v0/v1 by the API's flexibility), body.
    func frame(_ body: [UInt8], correlationID: Int32? = nil) -> [UInt8] {
        let flexible = KafkaAPIs.info(key: apiKey)?.isFlexible(apiVersion) ?? false
        var w = WireWriter()
        w.writeInt32(0)
        ResponseHeader(correlationID: correlationID ?? self.correlationID)
            .encode(to: &w, headerVersion: ResponseHeader.version(apiKey: apiKey, flexible: flexible))
        w.writeRawBytes(body)
        w.patchInt32(Int32(w.count - 4), at: 0)
        return w.bytes
    }

    /// Answers with `body`.
    func respond(_ body: [UInt8]) {
        writeRaw(frame(body))
    }

    /// Answers with `message` encoded at the request's version.
    func respond<M: KafkaMessage>(_ message: M) {
        respond(try! message.encoded(version: apiVersion))
    }

    /// Writes raw bytes.
    func writeRaw(_ bytes: [UInt8]) {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// Closes the connection.
    func close() {
        channel.close(promise: nil)
    }
}

/// Decodes request frames and hands them to the test.
final class TestBrokerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ReceivedRequest>.Continuation

    init(continuation: AsyncStream<ReceivedRequest>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        var reader = WireReader(Array(frame.readableBytesView))
        guard var header = try? RequestHeader.decodePrefix(from: &reader) else { return }
        let flexible = KafkaAPIs.info(key: header.apiKey)?.isFlexible(header.apiVersion) ?? false
        try? header.decodeRest(from: &reader, headerVersion: RequestHeader.version(flexible: flexible))
        let body = Array(frame.readableBytesView.dropFirst(reader.offset))
        continuation.yield(ReceivedRequest(
            apiKey: header.apiKey, apiVersion: header.apiVersion, correlationID: header.correlationID,
            clientID: header.clientID, body: body, channel: context.channel))
    }
}

/// A tiny Kafka-speaking server on 127.0.0.1 whose answers the test writes by hand.
final class TestBroker: Sendable {
    let channel: any Channel
    let requests: AsyncStream<ReceivedRequest>
    let port: Int

    private init(channel: any Channel, requests: AsyncStream<ReceivedRequest>) {
        self.channel = channel
        self.requests = requests
        self.port = channel.localAddress?.port ?? 0
    }

    var address: BrokerAddress { BrokerAddress(host: "127.0.0.1", port: port) }

    static func start() async throws -> TestBroker {
        let (stream, continuation) = AsyncStream<ReceivedRequest>.makeStream()
        let channel = try await ServerBootstrap(group: KafkaAdminClient.sharedEventLoopGroup)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 64 * 1024 * 1024)))
                    try child.pipeline.syncOperations.addHandler(TestBrokerHandler(continuation: continuation))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestBroker(channel: channel, requests: stream)
    }

    /// Answers every request with `answer` in a background task until stopped.
    func serve(_ answer: @escaping @Sendable (ReceivedRequest) async -> Void) -> Task<Void, Never> {
        let requests = self.requests
        return Task {
            for await request in requests {
                if Task.isCancelled { break }
                await answer(request)
            }
        }
    }

    func stop() async {
        try? await channel.close()
    }
}

/// A ready-made cluster of one in-test broker: ApiVersions with `ranges`, Metadata naming itself node 1.
enum FakeCluster {
    static func apiVersions(_ ranges: [Int16: ClosedRange<Int16>], features: [String: Int16] = [:]) -> ApiVersionsResponse {
        ApiVersionsResponse(
            apiKeys: ranges.keys.sorted().map {
                ApiVersionsResponse.ApiVersion(apiKey: $0, minVersion: ranges[$0]!.lowerBound, maxVersion: ranges[$0]!.upperBound)
            },
            finalizedFeatures: features.keys.sorted().map {
                ApiVersionsResponse.FinalizedFeatureKey(name: $0, maxVersionLevel: features[$0]!, minVersionLevel: features[$0]!)
            })
    }

    static let fullRanges: [Int16: ClosedRange<Int16>] = Dictionary(
        uniqueKeysWithValues: KafkaAPIs.all.map { ($0.key, $0.versions) })

    static func metadata(port: Int, topics: [String: Int] = [:]) -> MetadataResponse {
        MetadataResponse(
            brokers: [MetadataResponse.MetadataResponseBroker(nodeID: 1, host: "127.0.0.1", port: Int32(port))],
            clusterID: "test-cluster", controllerID: 1,
            topics: topics.keys.sorted().map { name in
                MetadataResponse.MetadataResponseTopic(
                    name: name, topicID: KafkaUUID(high: 1, low: UInt64(name.count)),
                    partitions: (0..<topics[name]!).map {
                        MetadataResponse.MetadataResponsePartition(partitionIndex: Int32($0), leaderID: 1, replicaNodes: [1], isrNodes: [1])
                    })
            })
    }

    /// Answers ApiVersions and Metadata; everything else goes to `other`.
    static func answer(
        _ request: ReceivedRequest, port: Int, ranges: [Int16: ClosedRange<Int16>] = fullRanges,
        topics: [String: Int] = [:], other: (ReceivedRequest) -> Void = { _ in }
    ) {
        switch request.apiKey {
        case ApiVersionsRequest.apiKey: request.respond(apiVersions(ranges))
        case MetadataRequest.apiKey: request.respond(metadata(port: port, topics: topics))
        default: other(request)
        }
    }
}

/// Waits (bounded) until `condition` holds.
func eventually(_ timeout: Duration = .seconds(5), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

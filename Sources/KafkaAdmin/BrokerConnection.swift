import KafkaProtocol
import KafkaWire
import KafkaWireNIO
import NIOCore
import NIOPosix
import NIOSSL

// MARK: - Errors

/// A failure of one broker connection or of one request on it.
public enum BrokerConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The TCP connection could not be made.
    case connectFailed(address: String, reason: String)
    /// The TCP connection (or its ApiVersions handshake) did not complete in time.
    case connectTimedOut(address: String, after: Duration)
    /// The connection is closed or dropped; every request pending on it fails with this.
    case closed(address: String, reason: String)
    /// No answer to a request within its timeout. The connection stays usable.
    case requestTimedOut(address: String, api: String, correlationID: Int32, after: Duration)
    /// The broker sent a frame larger than the configured maximum; the connection was closed.
    case frameTooLarge(address: String, size: Int32, limit: Int)
    /// An answer could not be decoded.
    case malformedResponse(address: String, api: String, reason: String)
    /// The broker answered a correlation id no request used; the connection was closed.
    case unexpectedCorrelationID(address: String, correlationID: Int32)
    /// The request could not be encoded at the chosen version.
    case encoding(api: String, version: Int16, reason: String)
    /// A recent attempt to reach the broker failed; kgtop waits before the next one.
    case backingOff(address: String, retryIn: Duration, lastError: String)
    /// The TLS handshake failed (certificate not trusted or expired, wrong host name, or the
    /// broker does not speak TLS on this port).
    case tlsFailed(address: String, reason: String)
    /// SASL authentication failed; `message` is the broker's (never the password).
    case authenticationFailed(address: String, message: String)

    public var description: String {
        switch self {
        case let .connectFailed(address, reason): return "cannot connect to \(address): \(reason)"
        case let .connectTimedOut(address, after): return "no answer from \(address) within \(formatDuration(after))"
        case let .closed(address, reason): return "connection to \(address) closed: \(reason)"
        case let .requestTimedOut(address, api, id, after):
            return "\(api) to \(address) (correlation id \(id)) got no answer within \(formatDuration(after))"
        case let .frameTooLarge(address, size, limit):
            return "\(address) " + Self.describeForeignFrame(size: size, limit: limit)
        case let .malformedResponse(address, api, reason): return "cannot decode \(api) answer from \(address): \(reason)"
        case let .unexpectedCorrelationID(address, id): return "\(address) answered unknown correlation id \(id)"
        case let .encoding(api, version, reason): return "cannot encode \(api) v\(version): \(reason)"
        case let .backingOff(address, retryIn, lastError):
            return "\(address) is unreachable (\(lastError)); next attempt in \(formatDuration(retryIn))"
        case let .tlsFailed(address, reason): return "TLS with \(address) failed: \(reason)"
        case let .authenticationFailed(address, message): return "authentication failed at \(address): \(message)"
        }
    }
}

extension BrokerConnectionError {
    /// What an impossible frame size says about the server: its four bytes are usually the start
    /// of another protocol's answer (`HTTP` is 1,213,486,160 as a size), or a TLS record.
    static func describeForeignFrame(size: Int32, limit: Int) -> String {
        let bytes = withUnsafeBytes(of: size.bigEndian) { Array($0) }
        if bytes[0] == 0x15 || bytes[0] == 0x16, bytes[1] == 0x03 {
            return "answered with TLS, not plaintext Kafka: set security.protocol=SSL (or SASL_SSL) for this listener"
        }
        let printable = bytes.allSatisfy { (0x20...0x7e).contains($0) }
        if printable {
            let text = String(decoding: bytes, as: UTF8.self)
            if text.hasPrefix("HTTP") {
                return "answered like an HTTP server (\"\(text)…\"), not a Kafka broker: is this the broker's port?"
            }
            if text.hasPrefix("SSH-") {
                return "answered like an SSH server (\"\(text)…\"), not a Kafka broker: is this the broker's port?"
            }
            return "answered with text (\"\(text)…\"), not the Kafka protocol: is this the broker's port?"
        }
        return "sent a frame of \(size) bytes, above the \(limit)-byte limit: is this a Kafka listener?"
    }
}

// MARK: - Raw exchange

/// The body of one answer, with the bytes both ways (frame size prefixes included).
public struct RawResponse: Sendable, Hashable {
    /// The response body, after the response header.
    public var body: [UInt8]
    /// Bytes written for the request.
    public var bytesSent: Int
    /// Bytes read for the answer.
    public var bytesReceived: Int
}

/// A decoded answer with its byte counts.
public struct Exchange<Response: Sendable>: Sendable {
    /// The decoded response.
    public var response: Response
    /// Bytes written for the request.
    public var bytesSent: Int
    /// Bytes read for the answer.
    public var bytesReceived: Int
}

// MARK: - Connection

/// One TCP connection to one broker, with pipelined requests matched to answers by correlation id.
///
/// Requests are written as soon as they are sent; answers may arrive in any order. Each request
/// has its own timeout; when the connection drops, every pending request fails with
/// ``BrokerConnectionError/closed(address:reason:)``.
public final class BrokerConnection: Sendable {
    /// Settings of one connection.
    public struct Options: Sendable, Hashable {
        /// The client id sent in every request header.
        public var clientID: String?
        /// The default time to wait for each answer.
        public var requestTimeout: Duration
        /// The time to wait for the TCP connection.
        public var connectTimeout: Duration
        /// The largest answer frame accepted; a larger one closes the connection.
        public var maxFrameSize: Int

        /// Creates options.
        public init(
            clientID: String? = "kgtop", requestTimeout: Duration = .seconds(30),
            connectTimeout: Duration = .seconds(10), maxFrameSize: Int = Frame.defaultMaxSize
        ) {
            self.clientID = clientID
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.maxFrameSize = maxFrameSize
        }
    }

    /// The broker's host.
    public let host: String
    /// The broker's port.
    public let port: Int
    /// The options this connection was made with.
    public let options: Options
    private let channel: any Channel

    /// `host:port`.
    public var address: String { BrokerAddress(host: host, port: port).description }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    private init(host: String, port: Int, options: Options, channel: any Channel) {
        self.host = host
        self.port = port
        self.options = options
        self.channel = channel
    }

    /// Opens a connection to `host:port`.
    ///
    /// With `tls`, the TLS handshake is part of connecting: it must finish within
    /// `options.connectTimeout`, and its failure is ``BrokerConnectionError/tlsFailed(address:reason:)``.
    public static func connect(
        host: String, port: Int, options: Options = Options(), tls: NIOSSLContext? = nil,
        eventLoopGroup: any EventLoopGroup
    ) async throws(BrokerConnectionError) -> BrokerConnection {
        let address = BrokerAddress(host: host, port: port).description
        let maxFrame = options.maxFrameSize
        // SNI takes host names only; an IP literal is checked against the certificate's IP SANs.
        let sniName: String? = TLSHandshakeWaiter.isIPAddress(host) ? nil : host
        let outcomes = TLSHandshakeWaiter.Outcomes()
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(options.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: sniName))
                        try outcomes.install(on: channel)
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrame)))
                    try channel.pipeline.syncOperations.addHandler(KafkaClientHandler(address: address))
                }
            }
        let start = ContinuousClock.now
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw Self.connectError(error, address: address, timeout: options.connectTimeout)
        }
        if tls != nil {
            let remaining = options.connectTimeout - start.duration(to: .now)
            do {
                try await TLSHandshakeWaiter.wait(for: outcomes.take(channel), on: channel, timeout: max(remaining, .milliseconds(1)))
            } catch {
                try? await channel.close()
                var mapped = TLSHandshakeWaiter.mapError(error, address: address, timeout: options.connectTimeout)
                if case let .tlsFailed(_, reason) = mapped, reason.contains("expired, or not yet valid"),
                   let why = await TLSHandshakeWaiter.diagnoseValidity(
                       host: host, port: port, timeout: options.connectTimeout, group: eventLoopGroup)
                {
                    mapped = .tlsFailed(address: address, reason: "certificate verification failed: \(why)")
                }
                throw mapped
            }
        }
        return BrokerConnection(host: host, port: port, options: options, channel: channel)
    }

    /// The resolver's own words (`Name or service not known`) without NIO's type name and codes.
    static func resolverMessage(_ error: any Error) -> String {
        let text = String(describing: error)
        guard let colon = text.range(of: ": ") else { return "the name has no address" }
        let rest = text[colon.upperBound...]
        let message = rest.range(of: " (error").map { rest[..<$0.lowerBound] } ?? rest
        return message.isEmpty ? "the name has no address" : String(message)
    }

    private static func connectError(_ error: any Error, address: String, timeout: Duration) -> BrokerConnectionError {
        if let e = error as? ChannelError, case .connectTimeout = e { return .connectTimedOut(address: address, after: timeout) }
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first { return connectError(first.error, address: address, timeout: timeout) }
            if let dns = e.dnsAAAAError ?? e.dnsAError { return .connectFailed(address: address, reason: "cannot resolve host: \(resolverMessage(dns))") }
            return .connectFailed(address: address, reason: "no address to connect to")
        }
        if let e = error as? IOError {
            switch e.errnoCode {
            case 111, 61: return .connectFailed(address: address, reason: "connection refused")
            case 110, 60: return .connectTimedOut(address: address, after: timeout)
            case 113, 65, 101, 51: return .connectFailed(address: address, reason: "host unreachable")
            default: return .connectFailed(address: address, reason: e.description)
            }
        }
        return .connectFailed(address: address, reason: String(describing: error))
    }

    /// Sends `request` at `version` and waits for its answer.
    ///
    /// The request header is v2 for a flexible version and v1 otherwise; the response header is v1
    /// for a flexible version and v0 otherwise (always v0 for ApiVersions).
    public func send<R: KafkaRequestMessage>(
        _ request: R, version: Int16, timeout: Duration? = nil
    ) async throws(BrokerConnectionError) -> R.Response {
        try await exchange(request, version: version, timeout: timeout).response
    }

    /// Like ``send(_:version:timeout:)``, also returning the bytes written and read.
    public func exchange<R: KafkaRequestMessage>(
        _ request: R, version: Int16, timeout: Duration? = nil
    ) async throws(BrokerConnectionError) -> Exchange<R.Response> {
        let api = KafkaAPIs.info(key: R.apiKey)?.name ?? R.messageName
        let body: [UInt8]
        do { body = try request.encoded(version: version) } catch {
            throw .encoding(api: api, version: version, reason: error.description)
        }
        let raw = try await sendRaw(
            apiKey: R.apiKey, version: version, flexible: R.isFlexible(version), body: body, timeout: timeout)
        do {
            var reader = WireReader(raw.body)
            // Trailing bytes are tolerated: a broker may append fields kgtop does not know.
            let response = try request.readResponse(from: &reader, version: version)
            return Exchange(response: response, bytesSent: raw.bytesSent, bytesReceived: raw.bytesReceived)
        } catch {
            throw .malformedResponse(address: address, api: api, reason: error.description)
        }
    }

    /// Sends an already-encoded request body and returns the answer body (after its header).
    public func sendRaw(
        apiKey: Int16, version: Int16, flexible: Bool, body: [UInt8], timeout: Duration? = nil
    ) async throws(BrokerConnectionError) -> RawResponse {
        let address = self.address
        let limit = timeout ?? options.requestTimeout
        let promise = channel.eventLoop.makePromise(of: RawResponse.self)
        let request = OutboundRequest(
            apiKey: apiKey, apiVersion: version,
            apiName: KafkaAPIs.info(key: apiKey)?.name ?? "API \(apiKey)",
            requestHeaderVersion: RequestHeader.version(flexible: flexible),
            responseHeaderVersion: ResponseHeader.version(apiKey: apiKey, flexible: flexible),
            clientID: options.clientID, body: body, timeout: limit, promise: promise)
        channel.writeAndFlush(request).whenFailure { error in
            // A request the handler already owns is failed there first; a second failure is ignored.
            promise.fail(BrokerConnectionError.closed(address: address, reason: "write failed: \(error)"))
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as BrokerConnectionError {
            throw error
        } catch {
            throw .closed(address: address, reason: String(describing: error))
        }
    }

    /// Closes the connection; pending requests fail with ``BrokerConnectionError/closed(address:reason:)``.
    public func close() async {
        try? await channel.close()
    }
}

// MARK: - Pipeline

/// One request on its way to the handler, which assigns its correlation id.
struct OutboundRequest: Sendable {
    let apiKey: Int16
    let apiVersion: Int16
    let apiName: String
    let requestHeaderVersion: Int16
    let responseHeaderVersion: Int16
    let clientID: String?
    let body: [UInt8]
    let timeout: Duration
    let promise: EventLoopPromise<RawResponse>
}

/// Owns the pending requests of one connection; runs only on the channel's event loop.
final class KafkaClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutboundRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        let apiName: String
        let responseHeaderVersion: Int16
        let bytesSent: Int
        let promise: EventLoopPromise<RawResponse>
        let timeoutTask: Scheduled<Void>
    }

    private let address: String
    private var nextCorrelationID: Int32 = 1
    private var pending: [Int32: Pending] = [:]
    /// Correlation ids of requests that timed out, so a late answer is dropped rather than fatal.
    private var expired: Set<Int32> = []
    private var expiredOrder: [Int32] = []
    private static let expiredMemory = 4096
    private var failure: BrokerConnectionError?

    init(address: String) {
        self.address = address
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = Self.unwrapOutboundIn(data)
        if let failure {
            request.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        let id = nextCorrelationID
        nextCorrelationID = nextCorrelationID == Int32.max ? 1 : nextCorrelationID + 1

        var writer = WireWriter(capacity: request.body.count + 64)
        writer.writeInt32(0)
        RequestHeader(apiKey: request.apiKey, apiVersion: request.apiVersion, correlationID: id, clientID: request.clientID)
            .encode(to: &writer, headerVersion: request.requestHeaderVersion)
        writer.writeRawBytes(request.body)
        writer.patchInt32(Int32(writer.count - 4), at: 0)
        var buffer = context.channel.allocator.buffer(capacity: writer.count)
        buffer.writeBytes(writer.bytes)

        let timeout = request.timeout
        let task = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            self.expire(id, after: timeout)
        }
        pending[id] = Pending(
            apiName: request.apiName, responseHeaderVersion: request.responseHeaderVersion,
            bytesSent: writer.count, promise: request.promise, timeoutTask: task)
        context.write(Self.wrapOutboundOut(buffer), promise: promise)
    }

    private func expire(_ id: Int32, after timeout: Duration) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        expired.insert(id)
        expiredOrder.append(id)
        if expiredOrder.count > Self.expiredMemory {
            expired.remove(expiredOrder.removeFirst())
        }
        entry.promise.fail(BrokerConnectionError.requestTimedOut(
            address: address, api: entry.apiName, correlationID: id, after: timeout))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = Self.unwrapInboundIn(data)
        let frameSize = frame.readableBytes
        guard let id = frame.readInteger(as: Int32.self) else {
            fail(context: context, with: .malformedResponse(address: address, api: "?", reason: "frame shorter than a header"))
            return
        }
        guard let entry = pending.removeValue(forKey: id) else {
            if expired.remove(id) != nil { return }
            fail(context: context, with: .unexpectedCorrelationID(address: address, correlationID: id))
            return
        }
        entry.timeoutTask.cancel()
        if entry.responseHeaderVersion >= 1 {
            // The header's tagged fields are skipped before the body is copied out, so that a body
            // of megabytes is copied once rather than copied and then shifted. Almost every header
            // has none (one zero byte).
            var headerSize = 1
            if frame.readableBytesView.first != 0 {
                var reader = WireReader(Array(frame.readableBytesView))
                var unknown: [RawTaggedField] = []
                do {
                    try reader.readTaggedFields(unknown: &unknown) { _, _ throws(WireError) in false }
                } catch {
                    entry.promise.fail(BrokerConnectionError.malformedResponse(
                        address: address, api: entry.apiName, reason: "response header: \(error)"))
                    return
                }
                headerSize = reader.offset
            }
            frame.moveReaderIndex(forwardBy: headerSize)
        }
        let bytes = Array(frame.readableBytesView)
        entry.promise.succeed(RawResponse(body: bytes, bytesSent: entry.bytesSent, bytesReceived: frameSize + 4))
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(with: failure ?? .closed(address: address, reason: "closed by the broker"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let mapped: BrokerConnectionError
        if let wire = error as? WireError, case let .frameTooLarge(size, limit) = wire {
            mapped = .frameTooLarge(address: address, size: size, limit: limit)
        } else if let own = error as? BrokerConnectionError {
            mapped = own
        } else {
            mapped = .closed(address: address, reason: String(describing: error))
        }
        fail(context: context, with: mapped)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(with: failure ?? .closed(address: address, reason: "connection closed"))
    }

    private func fail(context: ChannelHandlerContext, with error: BrokerConnectionError) {
        failAll(with: error)
        context.close(promise: nil)
    }

    private func failAll(with error: BrokerConnectionError) {
        if failure == nil { failure = error }
        let entries = pending
        pending.removeAll()
        for (_, entry) in entries {
            entry.timeoutTask.cancel()
            entry.promise.fail(error)
        }
    }
}

import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Completes a promise when the TLS handshake of its channel finishes, or fails it when the
/// handshake fails or the channel closes first, so connecting includes the handshake and its
/// failure has a clear cause.
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Closed during the handshake: the peer is probably not a TLS listener.
    struct ClosedDuringHandshake: Error {}

    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e { promise.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ClosedDuringHandshake())
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise.fail(ClosedDuringHandshake())
    }

    /// The handshake outcome of each channel, recorded by the channel initializer, so it can be
    /// awaited even when the channel already closed (and its handlers are gone) by then.
    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var promises: [ObjectIdentifier: EventLoopPromise<Void>] = [:]

        /// Adds a waiter to `channel` and records its future (call in the channel initializer).
        func install(on channel: any Channel) throws {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            try channel.pipeline.syncOperations.addHandler(TLSHandshakeWaiter(promise: promise))
            lock.lock()
            promises[ObjectIdentifier(channel)] = promise
            lock.unlock()
        }

        /// Removes and returns the promise recorded for `channel`.
        func take(_ channel: any Channel) -> EventLoopPromise<Void>? {
            lock.lock()
            defer { lock.unlock() }
            return promises.removeValue(forKey: ObjectIdentifier(channel))
        }
    }

    /// Waits for the handshake `promise` of `channel`, failing it (and closing) after `timeout`.
    static func wait(for promise: EventLoopPromise<Void>?, on channel: any Channel, timeout: Duration) async throws {
        guard let promise else { throw ClosedDuringHandshake() }
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(ChannelError.connectTimeout(TimeAmount(timeout)))
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        try await promise.futureResult.get()
    }

    /// Whether `host` is an IPv4 or IPv6 literal (those are not sent as SNI).
    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// A message for a failed handshake, naming the likely cause.
    static func mapError(_ error: any Error, address: String, timeout: Duration) -> BrokerConnectionError {
        if let e = error as? ChannelError, case .connectTimeout = e {
            return .tlsFailed(address: address, reason: "no TLS handshake within \(formatDuration(timeout)); is this a TLS listener?")
        }
        if error is ClosedDuringHandshake {
            return .tlsFailed(
                address: address,
                reason: "the broker closed the connection during the TLS handshake; it probably does not speak TLS on this port (check security.protocol)")
        }
        if let e = error as? NIOSSLExtraError, e == .failedToValidateHostname {
            return .tlsFailed(
                address: address,
                reason: "certificate verification failed: the certificate does not name this host (\(e)); set ssl.endpoint.identification.algorithm=none only if you must")
        }
        if let e = error as? NIOSSLError {
            switch e {
            case let .handshakeFailed(inner):
                let text = "\(inner)"
                if text.contains("CERTIFICATE_VERIFY_FAILED") {
                    return .tlsFailed(
                        address: address,
                        reason: "certificate verification failed: the broker's certificate is not signed by a trusted CA, expired, or not yet valid (check ssl.ca.location)")
                }
                if text.contains("EOF during handshake") {
                    return .tlsFailed(
                        address: address,
                        reason: "the broker closed the connection during the TLS handshake; it probably does not speak TLS on this port (check security.protocol)")
                }
                if text.contains("WRONG_VERSION_NUMBER") || text.contains("UNKNOWN_PROTOCOL") || text.contains("PACKET_LENGTH_TOO_LONG") {
                    return .tlsFailed(address: address, reason: "the broker did not answer in TLS; it probably does not speak TLS on this port (check security.protocol)")
                }
                if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE") || text.contains("BAD_CERTIFICATE") {
                    return .tlsFailed(address: address, reason: "the broker refused the handshake (does it require a client certificate? see ssl.certificate.location): \(text)")
                }
                return .tlsFailed(address: address, reason: "handshake failed: \(text)")
            case .uncleanShutdown:
                return .tlsFailed(
                    address: address,
                    reason: "the broker closed the connection during the TLS handshake; it probably does not speak TLS on this port (check security.protocol)")
            default:
                return .tlsFailed(address: address, reason: "\(e)")
            }
        }
        return .tlsFailed(address: address, reason: String(describing: error))
    }

    /// After a verification failure: looks at the broker's certificate without verifying it, to
    /// say whether it expired, is not valid yet, or (dates being fine) has an untrusted signer.
    /// Nil when the certificate cannot be fetched.
    static func diagnoseValidity(host: String, port: Int, timeout: Duration, group: any EventLoopGroup) async -> String? {
        var config = TLSConfiguration.makeClientConfiguration()
        config.certificateVerification = .none
        guard let context = try? NIOSSLContext(configuration: config) else { return nil }
        let sni: String? = isIPAddress(host) ? nil : host
        let outcomes = Outcomes()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: sni))
                    try outcomes.install(on: channel)
                }
            }
        guard let channel = try? await bootstrap.connect(host: host, port: port).get() else { return nil }
        defer { channel.close(promise: nil) }
        do { try await wait(for: outcomes.take(channel), on: channel, timeout: timeout) } catch { return nil }
        guard let times = try? await channel.eventLoop.submit({ () -> (Int, Int)? in
            let handler = try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
            guard let cert = handler.peerCertificate else { return nil }
            return (Int(cert.notValidBefore), Int(cert.notValidAfter))
        }).get() else { return nil }
        let now = Int(Date().timeIntervalSince1970)
        let format: (Int) -> String = { t in
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime]
            return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
        }
        if times.1 < now { return "the broker's certificate expired at \(format(times.1))" }
        if times.0 > now { return "the broker's certificate is not valid before \(format(times.0))" }
        return "the broker's certificate is not signed by a CA kgtop trusts (set ssl.ca.location to the CA's PEM file)"
    }
}

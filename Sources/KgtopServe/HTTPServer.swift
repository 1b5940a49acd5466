import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the routes see it.
public struct ServeRequest: Sendable, Hashable {
    /// `GET`, `HEAD`, ...
    public var method: String
    /// The path without the query (`/metrics`).
    public var path: String
    /// Query parameters (the last value of a repeated name wins), percent-decoded.
    public var query: [String: String]
    /// The `Accept` header, if any.
    public var accept: String?

    /// Creates a request.
    public init(method: String, path: String, query: [String: String] = [:], accept: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.accept = accept
    }

    /// Splits a request target (`/snapshot?context=prod`) into path and query.
    public init(method: String, target: String, accept: String?) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.decode(kv[0])
                query[key] = kv.count > 1 ? Self.decode(kv[1]) : ""
            }
        }
        self.init(method: method, path: String(parts.first ?? ""), query: query, accept: accept)
    }

    static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}

/// What a route answers: a whole body, or lines written as they come (held open until the stream
/// ends or the client goes away).
public enum ServeResponse: Sendable {
    /// A complete response.
    case full(status: Int, contentType: String, body: [UInt8])
    /// A complete response whose body is the concatenation of `pieces` (a scrape: each context's
    /// lines as held, written without first copying them into one buffer).
    case pieces(status: Int, contentType: String, pieces: [ArraySlice<UInt8>])
    /// A streamed response of lines (`/events`): each line is sent, newline-terminated, as it comes.
    case stream(contentType: String, lines: AsyncStream<String>)

    /// A text response.
    public static func text(_ status: Int, _ body: String, contentType: String = "text/plain; charset=utf-8") -> ServeResponse {
        .full(status: status, contentType: contentType, body: Array(body.utf8))
    }
}

/// Why the server could not listen (`Address already in use`).
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// The reason, in words.
    public var message: String

    /// The reason.
    public var description: String { message }
}

/// A small HTTP/1.1 server on SwiftNIO: keep-alive, one task per connection, a bound on open
/// connections, request bodies ignored (every route is a GET).
public struct HTTPServer: Sendable {
    /// Connections served at once; more are answered 503 and closed.
    public static let maxConnections = 64

    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let handler: @Sendable (ServeRequest) async -> ServeResponse
    private let open = NIOLockedValueBox(0)
    /// Connections accepted and not yet taken by the serving loop (see ``PendingConnections``).
    private let unserved: PendingConnections

    private init(
        channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        handler: @escaping @Sendable (ServeRequest) async -> ServeResponse, unserved: PendingConnections
    ) {
        self.channel = channel
        self.handler = handler
        self.unserved = unserved
    }

    /// The bound address's port (the one chosen when 0 was asked for).
    public var port: Int { channel.channel.localAddress?.port ?? 0 }

    /// Binds `host:port`. Throws ``HTTPServerError`` when the address cannot be bound.
    public static func bind(
        host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handler: @escaping @Sendable (ServeRequest) async -> ServeResponse
    ) async throws(HTTPServerError) -> HTTPServer {
        do {
            let unserved = PendingConnections()
            return HTTPServer(
                channel: try await listen(host: host, port: port, group: group, unserved: unserved), handler: handler,
                unserved: unserved)
        } catch let error as IOError {
            throw HTTPServerError(message: String(cString: strerror(error.errnoCode)))
        } catch {
            throw HTTPServerError(message: "\(error)")
        }
    }

    private static func listen(
        host: String, port: Int, group: any EventLoopGroup, unserved: PendingConnections
    ) async throws -> NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never> {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    // Outbound half-closure: finishing the writer shuts the socket's output down only
                    // after every pending write has reached the socket, so an answer is never cut short.
                    let connection = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: child, configuration: .init(isOutboundHalfClosureEnabled: true))
                    unserved.add(connection)
                    return connection
                }
            }
    }

    /// Serves until the calling task is cancelled, then closes the listening socket and every
    /// connection.
    public func run() async {
        await withDiscardingTaskGroup { group in
            do {
                try await channel.executeThenClose { inbound in
                    for try await connection in inbound {
                        unserved.remove(connection)
                        let admitted = open.withLockedValue { n in
                            if n >= Self.maxConnections { return false }
                            n += 1
                            return true
                        }
                        group.addTask {
                            if admitted {
                                await serve(connection)
                                open.withLockedValue { $0 -= 1 }
                            } else {
                                await refuse(connection)
                            }
                        }
                    }
                }
            } catch {
                // The listening socket failed or the task was cancelled: stop serving.
            }
            // Connections accepted that the loop did not take are closed unanswered (their
            // clients see the connection close), as is any accepted from now on.
            for connection in unserved.closeAll() {
                group.addTask { try? await connection.executeThenClose { _, _ in } }
            }
        }
    }

    private func refuse(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { _, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: "0")
            headers.add(name: "connection", value: "close")
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .serviceUnavailable, headers: headers)))
            try await outbound.write(.end(nil))
        }
    }

    /// The most bytes handed to the socket in one write: a large scrape goes out in slices, each
    /// awaited, so it is never copied whole into the channel's buffers.
    static let writeSlice = 1 << 20

    /// Writes a complete answer (`Content-Length` known) of `pieces`; closes our side after it
    /// when the client asked for `Connection: close`.
    private static func write(
        status: Int, contentType: String, pieces: [ArraySlice<UInt8>], head h: HTTPRequestHead,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        let keepAlive = h.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(pieces.reduce(0) { $0 + $1.count }))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        try await outbound.write(.head(HTTPResponseHead(version: h.version, status: .init(statusCode: status), headers: headers)))
        if h.method != .HEAD {
            for piece in pieces {
                var at = piece.startIndex
                while at < piece.endIndex {
                    let end = min(piece.endIndex, at + writeSlice)
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: piece[at..<end]))))
                    at = end
                }
            }
        }
        try await outbound.write(.end(nil))
        if !keepAlive {
            // `Connection: close`: shut our side once the answer is written (closing
            // at once would drop what the socket has not taken yet and cut a large
            // scrape short), then wait for the client to close its side.
            outbound.finish()
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                case .body:
                    continue
                case .end:
                    guard let h = head else { continue }
                    head = nil
                    let request = ServeRequest(method: h.method.rawValue, target: h.uri, accept: h.headers.first(name: "accept"))
                    let response: ServeResponse =
                        h.method == .GET || h.method == .HEAD
                        ? await handler(request) : .text(405, "only GET is served\n")
                    switch response {
                    case let .full(status, contentType, body):
                        try await Self.write(status: status, contentType: contentType, pieces: [body[...]], head: h, to: outbound)
                    case let .pieces(status, contentType, pieces):
                        try await Self.write(status: status, contentType: contentType, pieces: pieces, head: h, to: outbound)
                    case let .stream(contentType, lines):
                        var headers = HTTPHeaders()
                        headers.add(name: "content-type", value: contentType)
                        headers.add(name: "cache-control", value: "no-store")
                        headers.add(name: "connection", value: "close")
                        // No content-length: HTTP/1.1 answers are chunked, each line sent as it comes.
                        try await outbound.write(.head(HTTPResponseHead(version: h.version, status: .ok, headers: headers)))
                        if h.method != .HEAD {
                            for await line in lines {
                                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: line + "\n"))))
                            }
                        }
                        try await outbound.write(.end(nil))
                        outbound.finish()
                    }
                }
            }
        }
    }
}

/// The connections a listener accepted that the serving loop has not taken yet (see
/// ``HTTPServer``). NIO hands an accepted connection to the loop through a buffer; when the loop
/// is cancelled, what is still in that buffer is dropped, and an async channel dropped before its
/// writer was finished stops the process. This table holds each connection from the moment it is
/// made until the loop takes it; once the loop has stopped, ``closeAll()`` hands back what is left
/// and every connection accepted after that is closed as soon as it is made. At most the
/// listener's backlog waits here, since the loop takes connections as they come.
final class PendingConnections: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private struct State {
        var waiting: [ObjectIdentifier: Connection] = [:]
        var closed = false
    }
    private let state = NIOLockedValueBox(State())

    /// Holds a connection just made; after ``closeAll()`` finishes its writer and closes it
    /// instead. Called on the connection's event loop.
    func add(_ connection: Connection) {
        let held = state.withLockedValue { s in
            if s.closed { return false }
            s.waiting[ObjectIdentifier(connection.channel)] = connection
            return true
        }
        if !held { Self.close(connection) }
    }

    /// The serving loop took `connection`: it is closed by whoever serves it.
    func remove(_ connection: Connection) {
        _ = state.withLockedValue { $0.waiting.removeValue(forKey: ObjectIdentifier(connection.channel)) }
    }

    /// The connections no one took; from now on, new ones are closed as they are made.
    func closeAll() -> [Connection] {
        state.withLockedValue { s in
            s.closed = true
            defer { s.waiting.removeAll() }
            return Array(s.waiting.values)
        }
    }

    /// A server dropped without having run closes what it accepted.
    deinit {
        for connection in closeAll() { Self.close(connection) }
    }

    /// Closes a connection nobody serves, finishing its writer (the task holds it until then).
    private static func close(_ connection: Connection) {
        Task { try? await connection.executeThenClose { _, _ in } }
    }
}

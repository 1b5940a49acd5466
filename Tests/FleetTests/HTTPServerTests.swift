import Foundation
import Testing

@testable import KgtopServe

/// The HTTP server sends a large answer whole, also to a client that asks to close the connection
/// (a scrape of a big estate is many megabytes; closing at once used to drop what the socket had
/// not taken yet).
@Suite("kgtop serve's HTTP server")
struct HTTPServerTests {
    @Test("A 12 MB answer arrives whole with Connection: close")
    func largeAnswerWithConnectionClose() async throws {
        let line = Array("kgtop_group_members{cluster_name=\"prod\",group=\"g\"} 3\n".utf8)
        var body: [UInt8] = []
        while body.count < 12 << 20 { body += line }
        let payload = body
        let server = try await HTTPServer.bind(host: "127.0.0.1", port: 0) { _ in
            .full(status: 200, contentType: "text/plain; version=0.0.4", body: payload)
        }
        let serving = Task { await server.run() }
        defer { serving.cancel() }
        // RawHTTP sends `Connection: close` and reads until the server closes.
        let reply = try #require(await RawHTTP.get(port: server.port, "/metrics", timeoutMs: 60_000))
        #expect(reply.status == 200)
        #expect(reply.headers.lowercased().contains("content-length: \(payload.count)"))
        #expect(reply.body.utf8.count == payload.count, "got \(reply.body.utf8.count) of \(payload.count) bytes")
    }

    @Test("Stopping the server while connections wait to be taken closes each of them instead of stopping the process")
    func cancelWithConnectionsWaiting() async throws {
        // NIO drops the connections still buffered between the listener and the serving loop when
        // the loop is cancelled; an async channel dropped unfinished stops the process. A burst of
        // connections and an immediate stop leaves some in that buffer (without the fix this test
        // process stopped with "Deinited NIOAsyncWriter without calling finish()" in 3 runs of 3).
        for _ in 0..<5 {
            let server = try await HTTPServer.bind(host: "127.0.0.1", port: 0) { _ in
                .full(status: 200, contentType: "text/plain", body: Array("ok\n".utf8))
            }
            let serving = Task { await server.run() }
            var sockets: [Int32] = []
            for _ in 0..<64 {
                let fd = try #require(RawSocket.connect(port: server.port))
                sockets.append(fd)
            }
            serving.cancel()
            await serving.value
            // Every connection is closed by the server (end of stream, or a reset for one the
            // listener never accepted): none is left open with nobody to serve it.
            for fd in sockets {
                let end = RawSocket.readUntilClosed(fd, timeoutSeconds: 30)
                #expect(end == .closed, "a connection was left open after the server stopped: \(end)")
                close(fd)
            }
        }
    }
}

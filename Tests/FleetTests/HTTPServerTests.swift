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
}

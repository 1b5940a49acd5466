import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif
@testable import KafkaAdmin

@Suite("BrokerConnection")
struct BrokerConnectionTests {
    /// Connects to `broker`. The in-test broker answers from a task on the shared cooperative pool,
    /// which the rest of the suite running beside it can keep busy for seconds on a 2-core machine:
    /// the default request timeout is long, and a test about timeouts passes its own.
    func connect(_ broker: TestBroker, _ options: BrokerConnection.Options = .init(requestTimeout: .seconds(60))) async throws -> BrokerConnection {
        try await BrokerConnection.connect(
            host: "127.0.0.1", port: broker.port, options: options, eventLoopGroup: KafkaAdminClient.sharedEventLoopGroup)
    }

    @Test("pipelined requests answered out of order reach the right callers")
    func pipelining() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let connection = try await connect(broker)
        let count = 20
        // The broker holds every request, then answers them newest first, echoing the filter as group id.
        let server = Task {
            var held: [ReceivedRequest] = []
            for await request in broker.requests {
                held.append(request)
                if held.count == count { break }
            }
            for request in held.reversed() {
                let filter = try request.decode(ListGroupsRequest.self).typesFilter.first ?? "?"
                request.respond(ListGroupsResponse(groups: [.init(groupID: filter, protocolType: "consumer", groupType: filter)]))
            }
            return held.map(\.correlationID)
        }
        let answers = await withTaskGroup(of: (Int, String?).self) { group in
            for i in 0..<count {
                group.addTask {
                    let r = try? await connection.send(ListGroupsRequest(typesFilter: ["g\(i)"]), version: 5)
                    return (i, r?.groups.first?.groupID)
                }
            }
            var all: [Int: String?] = [:]
            for await (i, id) in group { all[i] = id }
            return all
        }
        for i in 0..<count { #expect(answers[i] == "g\(i)") }
        let ids = try await server.value
        #expect(Set(ids).count == count)
        await connection.close()
    }

    @Test("a request without an answer times out; a late answer is dropped and the connection keeps working")
    func perRequestTimeout() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let connection = try await connect(broker)
        var iterator = broker.requests.makeAsyncIterator()
        do {
            _ = try await connection.send(ListGroupsRequest(), version: 4, timeout: .milliseconds(150))
            Issue.record("expected a timeout")
        } catch {
            guard case let .requestTimedOut(_, api, _, after) = error else { Issue.record("wrong error \(error)"); return }
            #expect(api == "ListGroups")
            #expect(after == .milliseconds(150))
        }
        let late = try #require(await iterator.next())
        late.respond(ListGroupsResponse())  // after the timeout: must be ignored
        async let next = connection.send(ListGroupsRequest(), version: 4)
        let second = try #require(await iterator.next())
        second.respond(ListGroupsResponse(groups: [.init(groupID: "after", protocolType: "")]))
        #expect(try await next.groups.first?.groupID == "after")
        #expect(connection.isActive)
        await connection.close()
    }

    @Test("a dropped connection fails every pending request with .closed")
    func dropFailsPending() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let connection = try await connect(broker)
        let server = Task {
            var seen = 0
            for await request in broker.requests {
                seen += 1
                if seen == 3 { request.close(); break }
            }
        }
        let results = await withTaskGroup(of: BrokerConnectionError?.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do throws(BrokerConnectionError) {
                        _ = try await connection.send(ListGroupsRequest(), version: 3)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            var all: [BrokerConnectionError?] = []
            for await r in group { all.append(r) }
            return all
        }
        await server.value
        #expect(results.count == 3)
        for r in results {
            guard case .closed? = r else { Issue.record("expected .closed, got \(String(describing: r))"); continue }
        }
        #expect(await eventually { !connection.isActive })
        do {
            _ = try await connection.send(ListGroupsRequest(), version: 3)
            Issue.record("send on a closed connection succeeded")
        } catch {
            #expect(error.description.contains("closed") || error.description.contains("write failed"))
        }
    }

    @Test("frames split across reads and several frames in one read are decoded")
    func splitFrames() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        // The first answer dribbles in a byte at a time (the default timeout is long enough for it).
        let connection = try await connect(broker)
        // The server says when each request has arrived, so the next is sent only then (in order).
        let (arrivals, arrived) = AsyncStream<Int>.makeStream()
        let server = Task {
            var held: [ReceivedRequest] = []
            for await request in broker.requests {
                held.append(request)
                arrived.yield(held.count)
                if held.count == 3 { break }
            }
            // First answer one byte per write; the other two glued together in one write.
            let first = held[0].frame(try! ListGroupsResponse(groups: [.init(groupID: "one", protocolType: "")]).encoded(version: 3))
            for byte in first {
                held[0].writeRaw([byte])
                try? await Task.sleep(for: .milliseconds(1))
            }
            let second = held[1].frame(try! ListGroupsResponse(groups: [.init(groupID: "two", protocolType: "")]).encoded(version: 3))
            let third = held[2].frame(try! ListGroupsResponse(groups: [.init(groupID: "three", protocolType: "")]).encoded(version: 3))
            held[1].writeRaw(second + third)
        }
        var arrival = arrivals.makeAsyncIterator()
        async let a = connection.send(ListGroupsRequest(), version: 3)
        #expect(await arrival.next() == 1)
        async let b = connection.send(ListGroupsRequest(), version: 3)
        #expect(await arrival.next() == 2)
        async let c = connection.send(ListGroupsRequest(), version: 3)
        let (ra, rb, rc) = try await (a, b, c)
        await server.value
        #expect(ra.groups.first?.groupID == "one")
        #expect(rb.groups.first?.groupID == "two")
        #expect(rc.groups.first?.groupID == "three")
        await connection.close()
    }

    @Test("an oversized frame fails with .frameTooLarge and closes the connection")
    func oversizedFrame() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let connection = try await connect(broker, .init(requestTimeout: .seconds(60), maxFrameSize: 1024))
        let server = broker.serve { request in
            var w = WireWriter()
            w.writeInt32(10_000)
            w.writeInt32(request.correlationID)
            request.writeRaw(w.bytes)
        }
        defer { server.cancel() }
        do {
            _ = try await connection.send(ListGroupsRequest(), version: 3)
            Issue.record("expected frameTooLarge")
        } catch {
            guard case let .frameTooLarge(_, size, limit) = error else { Issue.record("wrong error \(error)"); return }
            #expect(size == 10_000)
            #expect(limit == 1024)
            #expect(error.description.hasSuffix("sent a frame of 10000 bytes, above the 1024-byte limit: is this a Kafka listener?"), "\(error)")
        }
        #expect(await eventually { !connection.isActive })
    }

    @Test("a server of another protocol is named by what its first bytes say", arguments: [
        ("HTTP/1.1 400", "answered like an HTTP server (\"HTTP…\")"),
        ("SSH-2.0-Open", "answered like an SSH server (\"SSH-…\")"),
        ("\u{16}\u{03}\u{01}\u{00}", "answered with TLS, not plaintext Kafka: set security.protocol=SSL"),
    ])
    func foreignServer(first: String, says: String) async throws {
        let bytes = Array(first.utf8.prefix(4))
        let size = bytes.reduce(Int32(0)) { ($0 << 8) | Int32($1) }
        let text = BrokerConnectionError.frameTooLarge(address: "127.0.0.1:8080", size: size, limit: 100 << 20).description
        #expect(text.hasPrefix("127.0.0.1:8080 " + says), "\(text)")
        #expect(!text.contains("\(size)"), "\(text)")
    }

    @Test("response header v1 (flexible) and v0 (ApiVersions, always) are both read")
    func headerVersions() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let connection = try await connect(broker)
        let server = broker.serve { request in
            FakeCluster.answer(request, port: broker.port) { r in
                r.respond(ConsumerGroupDescribeResponse(groups: [.init(groupID: "g", groupState: "Stable", groupEpoch: 3)]))
            }
        }
        defer { server.cancel() }
        let versions = try await connection.send(ApiVersionsRequest(clientSoftwareName: "t", clientSoftwareVersion: "1"), version: 3)
        #expect(versions.apiKeys.count == FakeCluster.fullRanges.count)
        let described = try await connection.send(ConsumerGroupDescribeRequest(groupIDs: ["g"]), version: 1)
        #expect(described.groups.first?.groupEpoch == 3)
        await connection.close()
    }

    @Test("connecting to a closed port fails with connection refused")
    func connectRefused() async throws {
        // A socket bound but not listening holds the port, so no other test can take it meanwhile
        // (a stopped server's port could be reused at once), and a connection to it is refused.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        do {
            _ = try await BrokerConnection.connect(
                host: "127.0.0.1", port: port, options: .init(connectTimeout: .seconds(2)),
                eventLoopGroup: KafkaAdminClient.sharedEventLoopGroup)
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
    }
}

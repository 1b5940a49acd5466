import GroupModel
import KafkaProtocol
import KafkaWire
import Testing
@testable import KafkaAdmin

extension AdminClientTests {
    @Test("listOffsetsInOrder asked the same list again reuses its routing and answers as a new client does")
    func listOffsetsRoutingReused() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let server = broker.serve { request in
            FakeCluster.answer(request, port: broker.port, topics: ["orders": 3, "audit": 2]) { r in
                guard r.apiKey == ListOffsetsRequest.apiKey, let req = try? r.decode(ListOffsetsRequest.self) else { return r.close() }
                r.respond(ListOffsetsResponse(topics: req.topics.map { t in
                    .init(name: t.name, partitions: t.partitions.map { p in
                        .init(
                            partitionIndex: p.partitionIndex, timestamp: -1,
                            offset: p.timestamp == -2 ? 0 : Int64(t.name.count * 100) + Int64(p.partitionIndex))
                    })
                }))
            }
        }
        defer { server.cancel() }
        func id(_ t: String, _ p: Int32) -> TopicPartition { TopicPartition(topic: t, partition: p) }
        // Sorted and unique, with partitions Metadata does not know (no leader to ask).
        let list = [id("audit", 0), id("audit", 1), id("nope", 0), id("orders", 0), id("orders", 2), id("orders", 7)]
        let kept = client(broker)
        let first = try await kept.listOffsetsInOrder(list, spec: .latest)
        #expect(await kept.lastListOffsetsRouting?.partitions == list)
        let again = try await kept.listOffsetsInOrder(list, spec: .latest)
        // The requests are kept with the routing, per timestamp: EARLIEST asks with its own.
        #expect(await kept.lastListOffsetsRouting?.requests.keys.sorted() == [OffsetSpec.latest.wireTimestamp])
        let earliest = try await kept.listOffsetsInOrder(list, spec: .earliest)
        #expect(earliest.results.compactMap { try? $0.get().offset } == [0, 0, 0, 0])
        #expect(await kept.lastListOffsetsRouting?.requests.keys.sorted() == [OffsetSpec.earliest.wireTimestamp, OffsetSpec.latest.wireTimestamp].sorted())
        // A point in time is asked anew each time and not kept: the kept requests stay bounded.
        for ms in [Int64(1_000), 2_000] { _ = try await kept.listOffsetsInOrder(list, spec: .timestamp(ms)) }
        #expect(await kept.lastListOffsetsRouting?.requests.count == 2)
        let latestAgain = try await kept.listOffsetsInOrder(list, spec: .latest)
        let equalCopy = try await kept.listOffsetsInOrder(list.map { id(String(decoding: Array($0.topic.utf8), as: UTF8.self), $0.partition) }, spec: .latest)
        // Another list routes anew.
        let other = [id("orders", 1), id("audit", 1)]
        let changed = try await kept.listOffsetsInOrder(other, spec: .latest)
        #expect(await kept.lastListOffsetsRouting?.partitions == other.sorted())
        let fresh = client(broker)
        let reference = try await fresh.listOffsetsInOrder(list, spec: .latest)
        let otherReference = try await fresh.listOffsetsInOrder(other, spec: .latest)
        for r in [first, again, latestAgain, equalCopy] {
            #expect(r.results == reference.results)
        }
        #expect(changed.results == otherReference.results)
        #expect(reference.results.compactMap { try? $0.get().offset } == [500, 501, 600, 602])
        await kept.close()
        await fresh.close()
    }
}

import Foundation
import Testing
@testable import GroupModel

@Suite("SnapshotJSON")
struct SnapshotJSONTests {
    @Test("Snapshot JSON round-trips and is independent of input order")
    func roundTrip() throws {
        let a = Fixtures.group(Fixtures.reconciling, committed: Fixtures.ordersCommittedAtEnd)
        var other = Group(groupID: "aaa", type: .unknown("future"), state: .unknown("Odd"), partitions: [
            GroupPartition(topicPartition: TopicPartition(topic: "t", partition: 1), lag: .unknown(reason: "log end offset unknown"), handoff: .notAssigned),
            GroupPartition(topicPartition: TopicPartition(topic: "t", partition: 0), committedOffset: 3, lag: .known(2), handoff: .notAssigned),
        ])
        other.recomputeDerived()
        let errors = [
            PollError(scope: .group, operation: "OffsetFetch", groupID: "kg", kafkaError: ItemError(code: 16, name: "NOT_COORDINATOR"), message: "moved"),
            PollError(scope: .broker, operation: "connect", brokerID: 2, message: "connection refused"),
        ]
        let snapshot = Fixtures.snapshot(at: 1_700_000_000_000, groups: [a, other], errors: errors)
        let reversed = Fixtures.snapshot(at: 1_700_000_000_000, groups: [other, a], errors: errors.reversed())

        let data = try SnapshotJSON.encode(snapshot)
        #expect(data == (try SnapshotJSON.encode(reversed)))
        let decoded = try SnapshotJSON.decodeSnapshot(data)
        #expect(decoded == snapshot)
        #expect(decoded.groups.map(\.groupID) == ["aaa", "kg"])
        #expect(decoded.errors.first?.scope == .broker)

        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"schema\" : \"kgtop.snapshot/1\""))
        #expect(text.contains("\"unknown\" : \"log end offset unknown\""))
        #expect(text.contains("\"state\" : \"Reconciling\""))
        #expect(text.contains("\"type\" : \"future\""))
        #expect(text.contains("\"kip848Enabled\" : true"))
    }

    @Test("LagValue JSON shape")
    func lagShape() throws {
        #expect(String(decoding: try SnapshotJSON.encodeLine(LagValue.known(7)), as: UTF8.self) == #"{"known":7}"#)
        #expect(String(decoding: try SnapshotJSON.encodeLine(LagValue.unknown(reason: "r")), as: UTF8.self) == #"{"unknown":"r"}"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LagValue.self, from: Data("{}".utf8)) }
    }
}

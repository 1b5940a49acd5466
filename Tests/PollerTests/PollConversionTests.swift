import GroupModel
import KafkaAdmin
import KafkaProtocol
import KafkaWire
import Monitor
import Testing

/// Interning topic names in the conversions changes no value.
@Suite("PollConversion with interned topic names")
struct PollConversionTests {
    @Test("the table answers equal strings, adding names it did not know")
    func table() {
        let table = TopicNameTable(["orders", "scale-topic-0001"])
        #expect(table.intern(String("scale-topic-000") + "1") == "scale-topic-0001")
        #expect(table.intern("new-topic-beyond-small-strings") == "new-topic-beyond-small-strings")
        #expect(table.intern(["orders", "b", "orders"]) == ["orders", "b", "orders"])
    }

    @Test("the committed conversion gives the same inputs with and without the table")
    func sameValues() throws {
        let table = TopicNameTable(["orders-with-a-long-name"])
        let offsets = GroupOffsets(groupID: "g", offsets: [
            (TopicPartition(topic: "orders-with-a-long-name", partition: 0), CommittedOffset(offset: 5, metadata: "x")),
            (TopicPartition(topic: "orders-with-a-long-name", partition: 1), CommittedOffset(offset: nil)),
            (TopicPartition(topic: "zeta", partition: 0), CommittedOffset(offset: 1, error: .broker(3))),
        ])
        #expect(PollConversion.committed(offsets, names: table) == PollConversion.committed(offsets))
    }
}

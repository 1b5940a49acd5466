import GroupModel
import KafkaAdmin
import KafkaProtocol
import KafkaWire
import Monitor
import Testing

/// The committed-offsets conversion.
@Suite("PollConversion of committed offsets")
struct PollConversionTests {
    @Test("the committed conversion keeps every entry, and the caller's group id only when it is the answer's")
    func sameValues() throws {
        let offsets = GroupOffsets(groupID: "g", offsets: [
            (TopicPartition(topic: "orders-with-a-long-name", partition: 0), CommittedOffset(offset: 5, metadata: "x")),
            (TopicPartition(topic: "orders-with-a-long-name", partition: 1), CommittedOffset(offset: nil)),
            (TopicPartition(topic: "zeta", partition: 0), CommittedOffset(offset: 1, error: .broker(3))),
        ])
        let plain = PollConversion.committed(offsets)
        #expect(plain.groupID == "g" && plain.offsets.count == 3)
        #expect(plain.offsets[0] == CommittedOffsetsInput.Offset(
            topicPartition: TopicPartition(topic: "orders-with-a-long-name", partition: 0), offset: 5, metadata: "x"))
        #expect(plain.offsets[2].error?.code == 3 && plain.offsets[2].offset == 1)
        // The caller's id is used only when it is the answer's.
        #expect(PollConversion.committed(offsets, groupID: "g") == plain)
        #expect(PollConversion.committed(offsets, groupID: "other").groupID == "g")
    }
}

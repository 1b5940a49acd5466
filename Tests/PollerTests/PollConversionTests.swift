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

    @Test("consumer, classic and committed conversions give the same inputs with and without the table")
    func sameValues() throws {
        let id = KafkaUUID(high: 1, low: 2)
        let assignment = ConsumerGroupDescribeResponse.Assignment(topicPartitions: [
            .init(topicID: id, topicName: "", partitions: [0, 1]),
            .init(topicID: KafkaUUID(high: 3, low: 4), topicName: "payments-with-a-long-name", partitions: [2, 0]),
        ])
        let consumer = ConsumerGroupDescribeResponse.DescribedGroup(
            groupID: "g", groupState: "Stable", groupEpoch: 3, assignmentEpoch: 3, assignorName: "uniform",
            members: [.init(
                memberID: "m-1", memberEpoch: 3, clientID: "c", clientHost: "/h",
                subscribedTopicNames: ["orders-with-a-long-name", "payments-with-a-long-name"],
                assignment: assignment, targetAssignment: assignment)])
        let topicNames = [id: "orders-with-a-long-name"]
        let table = TopicNameTable(["orders-with-a-long-name"])
        #expect(
            PollConversion.consumerGroup(consumer, apiVersion: 1, topicNames: topicNames, names: table)
                == PollConversion.consumerGroup(consumer, apiVersion: 1, topicNames: topicNames))

        let subscription = ConsumerProtocolSubscription(
            topics: ["orders-with-a-long-name"],
            ownedPartitions: [.init(topic: "orders-with-a-long-name", partitions: [1, 0])], generationID: 4, rackID: "r")
        let owned = ConsumerProtocolAssignment(assignedPartitions: [
            .init(topic: "orders-with-a-long-name", partitions: [1]), .init(topic: "b", partitions: [0]),
        ])
        let classic = DescribeGroupsResponse.DescribedGroup(
            groupID: "k", groupState: "Stable", protocolType: "consumer", protocolData: "range",
            members: [.init(
                memberID: "m", clientID: "c", clientHost: "/h",
                memberMetadata: try subscription.encodedVersionPrefixed(version: 3),
                memberAssignment: try owned.encodedVersionPrefixed(version: 1))])
        let converted = PollConversion.classicGroup(classic, names: table)
        #expect(converted == PollConversion.classicGroup(classic))
        #expect(converted.members.first?.assignment?.map(\.description) == ["b-0", "orders-with-a-long-name-1"])

        let offsets = GroupOffsets(groupID: "g", offsets: [
            (TopicPartition(topic: "orders-with-a-long-name", partition: 0), CommittedOffset(offset: 5, metadata: "x")),
            (TopicPartition(topic: "orders-with-a-long-name", partition: 1), CommittedOffset(offset: nil)),
            (TopicPartition(topic: "zeta", partition: 0), CommittedOffset(offset: 1, error: .broker(3))),
        ])
        let plain = PollConversion.committed(offsets)
        #expect(PollConversion.committed(offsets, names: table) == plain)
        #expect(plain.groupID == "g" && plain.offsets.count == 3)
        #expect(plain.offsets[0] == CommittedOffsetsInput.Offset(
            topicPartition: TopicPartition(topic: "orders-with-a-long-name", partition: 0), offset: 5, metadata: "x"))
        #expect(plain.offsets[2].error?.code == 3 && plain.offsets[2].offset == 1)
        // The caller's id is used only when it is the answer's.
        #expect(PollConversion.committed(offsets, groupID: "g") == plain)
        #expect(PollConversion.committed(offsets, groupID: "other").groupID == "g")
    }
}

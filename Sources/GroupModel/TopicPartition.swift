/// One partition of one topic, named by topic name and partition index.
///
/// Ordered by topic name, then partition index, which is the order kgtop uses everywhere it lists
/// partitions (JSON, tables, events).
public struct TopicPartition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition index within the topic.
    public var partition: Int32

    /// Creates a topic-partition.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// Orders by topic name, then by partition index.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        if lhs.topic != rhs.topic { return lhs.topic < rhs.topic }
        return lhs.partition < rhs.partition
    }

    /// `topic-partition`, as Kafka's tools print it.
    public var description: String { "\(topic)-\(partition)" }
}

extension Array where Element == TopicPartition {
    /// Builds a sorted, de-duplicated list of partitions of one topic.
    public static func partitions(_ topic: String, _ indexes: Int32...) -> [TopicPartition] {
        indexes.map { TopicPartition(topic: topic, partition: $0) }.sortedUnique()
    }

    /// The same list sorted (duplicates kept); returned as is when it already is (what brokers
    /// send), without comparing each pair twice as a sort would.
    public func sortedIfNeeded() -> [TopicPartition] {
        var i = 1
        while i < count {
            if self[i] < self[i - 1] { return sorted() }
            i += 1
        }
        return self
    }

    /// The same partitions, sorted and without duplicates.
    public func sortedUnique() -> [TopicPartition] {
        Array(Set(self)).sorted()
    }
}

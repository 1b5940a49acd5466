import GroupModel
import KafkaAdmin
import KafkaWire

/// What a poll derives from Metadata's topics: the topic-id tables (ids to names with the tables'
/// own strings, ids as text) and every topic's partitions in order with their leaders.
///
/// The poller keeps one value and builds a new one only when Metadata's topics differ from the ones
/// it was built from (``matches(_:)``). The admin client hands out its cached Metadata between
/// refreshes, so most polls see the very same dictionary and the check is an identity comparison;
/// after a refresh it compares the topics (names, ids, partitions, leaders) by value, and on a match
/// holds on to the refreshed dictionary instead of the superseded one (which is then let go: the
/// tables' names are their own strings, the first Metadata's, kept from poll to poll). A class: a
/// poll keeps the one it started with across its awaits, whatever a poll started meanwhile installs.
final class MetadataTables {
    /// The topics these tables were last found to match: the Metadata dictionary they were built
    /// from, or an equal one from a later refresh.
    private(set) var topics: [String: KafkaAdmin.TopicInfo]
    /// Topic names by topic id (topics whose id is zero are left out) and the tables' own strings,
    /// for reading the describe and OffsetFetch answers.
    let topicNames: MetadataTopicNames
    /// Topic names in order; a topic's number is its position here.
    let sortedNames: [String]
    /// Each topic's number.
    let numbers: [String: Int]
    /// Every topic's partitions, by topic number then partition.
    let partitions: [TopicPartition]
    /// Each entry of ``partitions``' leader (nil when it has none).
    let leaders: [Int32?]
    /// Where each topic's entries are in ``partitions``, by topic number.
    let ranges: [Range<Int>]
    /// Each topic's id as text (nil when zero), by topic number.
    let idTexts: [String?]
    /// The last selection ``partitions(of:)`` answered, kept so that the same selection hands out
    /// the same arrays (and the poller's log-start cache then compares them by identity).
    private var lastSelection: (wanted: [Bool], selection: Selection)?

    /// The partitions of some topics.
    struct Selection {
        /// Sorted by topic and partition.
        var partitions: [TopicPartition] = []
        /// Each partition's leader (nil when it has none).
        var leaders: [Int32?] = []
        /// The ids as text (nil when zero) of the topics with at least one partition, in order.
        var topicIDs: [String?] = []
    }

    /// Builds the tables of `topics`.
    init(_ topics: [String: KafkaAdmin.TopicInfo]) {
        self.topics = topics
        sortedNames = topics.keys.sorted()
        var numbers: [String: Int] = [:]
        numbers.reserveCapacity(sortedNames.count)
        // Sized exactly: the arrays live as long as the tables.
        let total = topics.values.reduce(0) { $0 + $1.partitions.count }
        var partitions: [TopicPartition] = []
        partitions.reserveCapacity(total)
        var leaders: [Int32?] = []
        leaders.reserveCapacity(total)
        var byID: [KafkaUUID: String] = [:]
        byID.reserveCapacity(sortedNames.count)
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(sortedNames.count)
        var idTexts: [String?] = []
        idTexts.reserveCapacity(sortedNames.count)
        for (n, name) in sortedNames.enumerated() {
            numbers[name] = n
            let topic = topics[name]
            if let id = topic?.topicID, !id.isZero { byID[id] = name }
            idTexts.append(topic.flatMap { $0.topicID.isZero ? nil : $0.topicID.description })
            let start = partitions.count
            // Metadata lists partitions in order, as a rule: sorted only when not.
            let listed = topic?.partitions ?? []
            let inOrder = zip(listed, listed.dropFirst()).allSatisfy { $0.partition < $1.partition }
            for p in inOrder ? listed : listed.sorted(by: { $0.partition < $1.partition }) {
                partitions.append(TopicPartition(topic: name, partition: p.partition))
                leaders.append(p.leaderID)
            }
            ranges.append(start..<partitions.count)
        }
        self.numbers = numbers
        topicNames = MetadataTopicNames(byID: byID, numbers: numbers)
        self.partitions = partitions
        self.leaders = leaders
        self.ranges = ranges
        self.idTexts = idTexts
    }

    /// Whether these tables were built from `topics` (equal values). On a match the tables hold
    /// `topics` from then on, so that the next poll's check is an identity comparison and a
    /// superseded Metadata is not kept alive by the tables.
    func matches(_ topics: [String: KafkaAdmin.TopicInfo]) -> Bool {
        // Equal storage answers at once; otherwise the dictionaries are compared by value.
        guard self.topics == topics else { return false }
        self.topics = topics
        return true
    }

    /// The partitions (with their leaders and topic ids) of the topics whose number is marked in
    /// `wanted` (one flag per topic number).
    func partitions(of wanted: [Bool]) -> Selection {
        if let last = lastSelection, last.wanted == wanted { return last.selection }
        var selected = Selection()
        if !wanted.contains(false) {
            selected.partitions = partitions
            selected.leaders = leaders
            for n in ranges.indices where !ranges[n].isEmpty { selected.topicIDs.append(idTexts[n]) }
        } else {
            for n in wanted.indices where wanted[n] {
                selected.partitions.append(contentsOf: partitions[ranges[n]])
                selected.leaders.append(contentsOf: leaders[ranges[n]])
                if !ranges[n].isEmpty { selected.topicIDs.append(idTexts[n]) }
            }
        }
        lastSelection = (wanted, selected)
        return selected
    }
}

import GroupModel
import KafkaProtocol
import KafkaWire

// ConsumerGroupDescribe and DescribeGroups answers read straight into GroupModel's describe inputs
// (the generated answers' nested structs are never built): the one reading of these answers the
// admin client uses. Topic names are resolved and interned while reading (``MetadataTopicNames``),
// and the classic members' consumer-protocol bytes are read in place.

/// Metadata's topic names, for reading answers that name topics: by id (for an answer that leaves a
/// name empty), and as Metadata's own strings (a name read from an answer is Metadata's equal
/// string, found by the answer's bytes, so that equal names share one storage across the poll and
/// no name is made or hashed as a string).
public struct MetadataTopicNames: Sendable, Hashable {
    /// Topic names by topic id (topics with a non-zero id).
    public let byID: [KafkaUUID: String]
    /// The strings names are replaced with, found by their bytes.
    let known: WireStringTable

    /// The names of `metadata`'s topics (none for nil).
    public init(_ metadata: ClusterMetadata?) {
        self.init(topics: metadata?.topics ?? [:])
    }

    /// The names of `topics` (Metadata's topics by name).
    public init(topics: [String: TopicInfo]) {
        var byID: [KafkaUUID: String] = [:]
        byID.reserveCapacity(topics.count)
        for (name, t) in topics where !t.topicID.isZero { byID[t.topicID] = name }
        self.byID = byID
        known = WireStringTable(topics.keys)
    }

    /// Names kept by a caller: `numbers`' keys are the strings names are replaced with, `byID` the
    /// names by topic id (for a caller that keeps its names across Metadata refreshes, and so does
    /// not keep a superseded Metadata for its strings).
    public init(byID: [KafkaUUID: String], numbers: [String: Int]) {
        self.byID = byID
        known = WireStringTable(numbers.keys)
    }

    /// Metadata's string equal to `name`, or `name` when Metadata has no such topic.
    public func interned(_ name: String) -> String { known.interned(name) }

    /// Reads a non-null topic name: Metadata's string when Metadata has the topic, else the name as
    /// sent (the errors of ``WireReader/readString(compact:field:)``).
    func read(_ r: inout WireReader, compact: Bool, field: String) throws(WireError) -> String {
        try r.readString(compact: compact, field: field, from: known)
    }
}

/// What one answer's reading remembers so as to reuse strings it already made: the last topic named
/// by id, the last topic named by name, the last member's subscription. Members of a group usually
/// name the same topics one after another, so most names are compared in place and never made again
/// or hashed.
struct TopicNameReader {
    let names: MetadataTopicNames
    private var lastID: KafkaUUID?
    private var lastIDWire = ""
    private var lastIDName = ""
    private var lastName: String?

    init(_ names: MetadataTopicNames) { self.names = names }

    /// A topic given as id and name (ConsumerGroupDescribe's `TopicId`, `TopicName`): the name as
    /// sent, or Metadata's name for the id when the broker left it empty, or the id's text when
    /// Metadata does not know it either.
    mutating func byID(_ r: inout WireReader) throws(WireError) -> String {
        let id = try r.readUUID()
        if id == lastID, r.skipString(compact: true, ifEqualTo: lastIDWire) { return lastIDName }
        let known = names.byID[id]
        // The name as sent: Metadata's string for the id when the bytes are its own (the usual case),
        // else Metadata's equal string, else a new one.
        let wire: String
        if let known, !known.isEmpty, r.skipString(compact: true, ifEqualTo: known) {
            wire = known
        } else {
            wire = try names.read(&r, compact: true, field: "topicName")
        }
        let name = wire.isEmpty ? known ?? id.description : wire
        lastID = id
        lastIDWire = wire
        lastIDName = name
        return name
    }

    /// A topic given by name (Metadata's string when Metadata knows it).
    mutating func byName(_ r: inout WireReader, compact: Bool, field: String) throws(WireError) -> String {
        if let last = lastName, r.skipString(compact: compact, ifEqualTo: last) { return last }
        let name = try names.read(&r, compact: compact, field: field)
        lastName = name
        return name
    }

    /// A non-null array of topic names; `last` is the previous list read, which is returned (its
    /// storage shared) when the names are the same, and becomes the list read.
    mutating func nameList(_ r: inout WireReader, compact: Bool, field: String, last: inout [String]) throws(WireError) -> [String] {
        guard let count = try r.readArrayCount(compact: compact) else {
            throw WireError.unexpectedNull(field: field, offset: r.offset)
        }
        // nil while every name so far is `last`'s.
        var list: [String]?
        for i in 0..<count {
            if list == nil {
                if i < last.count, r.skipString(compact: compact, ifEqualTo: last[i]) { continue }
                var fresh = Array(last[..<i])
                fresh.reserveCapacity(Swift.min(count, 1 << 10))
                list = fresh
            }
            list!.append(try byName(&r, compact: compact, field: field))
        }
        let out = list ?? (count == last.count ? last : Array(last[..<count]))
        last = out
        return out
    }
}

// MARK: - Requests whose answers are read with topic names

/// An answer read with Metadata's topic names (ids resolved, names interned as they are read).
protocol TopicNamedAnswer: KafkaAPIMessage {
    /// Reads an answer, resolving and interning topic names with `topicNames`; a group id equal to
    /// the one asked at its position is that string (``AskedIDs``).
    init(from r: inout WireReader, version: Int16, topicNames: MetadataTopicNames, askedIDs: AskedIDs) throws(WireError)
}

extension TopicNamedAnswer {
    /// Reads an answer, resolving and interning topic names with `topicNames`.
    init(from r: inout WireReader, version: Int16, topicNames: MetadataTopicNames) throws(WireError) {
        try self.init(from: &r, version: version, topicNames: topicNames, askedIDs: AskedIDs())
    }

    /// Reads an answer without Metadata's names: names as sent, an empty one as its topic id.
    init(from r: inout WireReader, version: Int16) throws(WireError) {
        try self.init(from: &r, version: version, topicNames: MetadataTopicNames(nil))
    }
}

/// The group ids a request asked about, in the order asked. Brokers answer in that order, so the id
/// answered at a position is, as a rule, the one asked there: it is then read as the asked string,
/// not made again (no string per group per answer, and the poll's later comparisons of group ids,
/// all made from the listed groups' strings, are identity checks).
struct AskedIDs: Sendable, Hashable {
    /// The ids asked, in order.
    var ids: [String] = []
    /// What the last ConsumerGroupDescribe answer said of the group asked at each position (nil, or
    /// none past the end, where it said nothing): a member read equal to the member at its position
    /// there is that value (``FlatConsumerGroupDescribeResponse/member(_:version:names:equals:)``),
    /// so that the members answered again poll after poll are not made again.
    var lastConsumer = DescribeGuides<DescribedConsumerGroupInput>()
    /// The same for DescribeGroups (``FlatDescribeGroupsResponse/member(_:version:flexible:decodable:names:equals:)``).
    var lastClassic = DescribeGuides<DescribedClassicGroupInput>()
    /// The bytes of the last answer the guides (``lastConsumer`` or ``lastClassic``) were read from.
    var lastBytes: [UInt8] = []
    /// Per position, where the guide there lay in ``lastBytes``: an empty range where there is no
    /// guide, or where its bytes no longer stand for it (``LastDescribeAnswer/guides(for:version:topicNames:)``).
    var lastSpans: [Range<Int>] = []

    /// Moves past the group at the reader when its bytes are those the guide at position `k` was
    /// read from, and returns true: the group is then the guide, with nothing read (a group's
    /// reading depends only on its bytes, the version and the names, and its encoding ends where
    /// the same bytes ended before). Otherwise the reader stays where it was.
    func skipGuideBytes(_ r: inout WireReader, at k: Int) -> Bool {
        guard k < lastSpans.count, !lastSpans[k].isEmpty else { return false }
        return r.skipBytes(ifEqualTo: lastBytes, lastSpans[k])
    }

    /// The guide at position `k` of `guides` (``lastConsumer`` or ``lastClassic``) when the group
    /// at the reader is its very bytes (``skipGuideBytes(_:at:)``; the reader is then past them),
    /// its id the asked string as ``read(_:at:compact:)`` gives it; nil, the reader unmoved, otherwise.
    func guideIfSameBytes<Group: AnsweredGroup>(_ r: inout WireReader, at k: Int, in guides: DescribeGuides<Group>) -> Group? {
        guard k < ids.count, let j = guides.answerIndex(at: k), skipGuideBytes(&r, at: k) else { return nil }
        var same = guides.answer[j]
        if same.groupID == ids[k] { same.groupID = ids[k] }
        return same
    }

    /// The group id at position `k` of the answer: `ids[k]` when the bytes are its own, else the
    /// string read (with the errors `readString` throws).
    func read(_ r: inout WireReader, at k: Int, compact: Bool) throws(WireError) -> String {
        if k < ids.count, r.skipString(compact: compact, ifEqualTo: ids[k]) { return ids[k] }
        return try r.readString(compact: compact, field: "groupID")
    }
}

/// Where an answer's groups were read from: the answer's bytes and each group's range in them, in
/// the order answered, kept to read the coordinator's next answer with (``LastDescribeAnswer``).
/// Not part of the answer's value: answers with the same groups are equal wherever they were read.
struct AnswerSource: Sendable, Hashable {
    /// The answer's bytes (the reader's buffer, shared).
    var bytes: [UInt8] = []
    /// Each group's range in ``bytes``.
    var spans: [Range<Int>] = []

    static func == (a: AnswerSource, b: AnswerSource) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}

/// A group of a describe answer, found by its id (what ``LastDescribeAnswer`` keeps).
protocol AnsweredGroup: Sendable, Hashable {
    var groupID: String { get set }
}

extension DescribedConsumerGroupInput: AnsweredGroup {}
extension DescribedClassicGroupInput: AnsweredGroup {}

extension AskedIDs {
    /// The ids asked, with `last` (the coordinator's last answer of the same API) as the guides,
    /// set at `guides` (``lastConsumer`` or ``lastClassic``), and its bytes when they still stand
    /// for them (``LastDescribeAnswer/guides(for:version:topicNames:)``); no guides without `last`.
    init<Group: AnsweredGroup>(
        ids: [String], guidedBy last: LastDescribeAnswer<Group>?, version: Int16, topicNames: MetadataTopicNames,
        guides: WritableKeyPath<AskedIDs, DescribeGuides<Group>>
    ) {
        self.init(ids: ids)
        guard let last else { return }
        let found = last.guides(for: ids, version: version, topicNames: topicNames)
        self[keyPath: guides] = found.groups
        lastBytes = found.bytes
        lastSpans = found.spans
    }
}

/// The guides of ``AskedIDs`` for one API: the coordinator's last answer's groups (its list, shared,
/// not copied group by group) and, per position asked, the index of the group with that id in it.
/// As a collection, the guide at each position asked (nil where there is none).
struct DescribeGuides<Group: AnsweredGroup>: Sendable, Hashable, RandomAccessCollection {
    /// The last answer's groups, in the order answered.
    var answer: [Group] = []
    /// Per position asked, the index in ``answer`` of its group; -1 where there is none.
    var positions: [Int] = []

    /// The index in ``answer`` of the guide of the group asked at position `k`, nil when there is none.
    @inline(__always)
    func answerIndex(at k: Int) -> Int? {
        guard k < positions.count, positions[k] >= 0 else { return nil }
        return positions[k]
    }

    var startIndex: Int { 0 }
    var endIndex: Int { positions.count }
    subscript(k: Int) -> Group? { answerIndex(at: k).map { answer[$0] } }
}

/// One coordinator's last answer to a describe request, kept to read its next answer with: the
/// groups as read (the guides of ``AskedIDs``), where each was read from, and the version and
/// topic names their reading depended on.
struct LastDescribeAnswer<Group: AnsweredGroup>: Sendable {
    /// The groups, in the order answered.
    var groups: [Group]
    /// Where they were read from.
    var source: AnswerSource
    /// The version the answer was read at.
    var version: Int16
    /// Metadata's topic names by id it was read with (ConsumerGroupDescribe's empty names are them).
    var topicsByID: [KafkaUUID: String]

    /// The guides for `ids` (sorted, each once), by position: the group of the answer (sorted by
    /// id, as an answer about sorted ids is) with each id, nil where it has none; with their bytes
    /// when those still stand for them, that is when the next answer is read at the same version
    /// with the same names by id.
    func guides(
        for ids: [String], version: Int16, topicNames: MetadataTopicNames
    ) -> (groups: DescribeGuides<Group>, bytes: [UInt8], spans: [Range<Int>]) {
        if groups.isEmpty { return (DescribeGuides(), [], []) }
        // Each id's position in the answer (-1: none), both lists walked in id order.
        var positions = [Int](repeating: -1, count: ids.count)
        var j = 0
        for k in ids.indices {
            while j < groups.count, groups[j].groupID < ids[k] { j += 1 }
            if j < groups.count, groups[j].groupID == ids[k] {
                positions[k] = j
                j += 1
            }
        }
        // The answer's list itself, shared, with the positions: no group is copied out of it.
        let guides = DescribeGuides(answer: groups, positions: positions)
        guard version == self.version, topicsByID == topicNames.byID, source.spans.count == groups.count else {
            return (guides, [], [])
        }
        return (guides, source.bytes, positions.map { $0 < 0 ? 0..<0 : source.spans[$0] })
    }
}

/// A generated request sent as it is, whose answer (`Answer`) is read with the topic names the
/// request carries: the one wrapper for the describe requests the admin client sends.
struct FlatDescribeRequest<Request: KafkaRequestMessage, Answer: TopicNamedAnswer>: WrappedRequest {
    typealias Response = Answer
    typealias Generated = Request

    /// The request.
    var request: Request
    /// The names the answer's topics are resolved and interned with.
    var topicNames: MetadataTopicNames
    /// The group ids the request asks about, in its order.
    var askedIDs: AskedIDs

    init(_ request: Request, topicNames: MetadataTopicNames, askedIDs: AskedIDs = AskedIDs()) {
        self.request = request
        self.topicNames = topicNames
        self.askedIDs = askedIDs
    }

    /// Reads the request (without Metadata's names or the ids asked).
    init(from reader: inout WireReader, version: Int16) throws(WireError) {
        request = try Request(from: &reader, version: version)
        topicNames = MetadataTopicNames(nil)
        askedIDs = AskedIDs()
    }

    func readResponse(from reader: inout WireReader, version: Int16) throws(WireError) -> Answer {
        try Answer(from: &reader, version: version, topicNames: topicNames, askedIDs: askedIDs)
    }
}

// MARK: - ConsumerGroupDescribe

/// ConsumerGroupDescribe as the admin client sends it, answered by a
/// ``FlatConsumerGroupDescribeResponse`` read with the request's topic names.
typealias FlatConsumerGroupDescribeRequest = FlatDescribeRequest<ConsumerGroupDescribeRequest, FlatConsumerGroupDescribeResponse>

/// A ConsumerGroupDescribe answer read straight into ``DescribedConsumerGroupInput`` values. The
/// same values as the generated answer converted group by group (`ErrorCode` and `ErrorMessage` as
/// the group's error; topic ids resolved to names; every list of partitions sorted; v0 members
/// counted as consumer members), and the same errors where the generated decoder fails. Tagged
/// fields are checked and skipped: the admin client reads none.
struct FlatConsumerGroupDescribeResponse: TopicNamedAnswer, FlatMessage {
    typealias Generated = ConsumerGroupDescribeResponse

    /// `ThrottleTimeMs`.
    var throttleTimeMs: Int32 = 0
    /// The groups, as answered.
    var groups: [DescribedConsumerGroupInput] = []
    /// Where they were read from.
    var source = AnswerSource()

    init(throttleTimeMs: Int32 = 0, groups: [DescribedConsumerGroupInput] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    /// Reads an answer, resolving and interning topic names with `topicNames`, with the ids asked.
    init(from r: inout WireReader, version: Int16, topicNames: MetadataTopicNames, askedIDs: AskedIDs) throws(WireError) {
        try Self.checkVersion(version)
        throttleTimeMs = try r.readInt32()
        guard let count = try r.readArrayCount(compact: true) else {
            throw WireError.unexpectedNull(field: "groups", offset: r.offset)
        }
        groups.reserveCapacity(Swift.min(count, r.remaining / 8))
        source.spans.reserveCapacity(Swift.min(count, r.remaining / 8))
        var names = TopicNameReader(topicNames)
        var strings = RepeatedStrings()
        for k in 0..<count {
            let start = r.offset
            if let same = askedIDs.guideIfSameBytes(&r, at: k, in: askedIDs.lastConsumer) {
                groups.append(same)
            } else {
                groups.append(try Self.readGroup(&r, version: version, names: &names, strings: &strings, asked: askedIDs, at: k))
            }
            source.spans.append(start..<r.offset)
        }
        source.bytes = r.buffer
        try FlatListOffsetsResponse.skipTaggedFields(&r)
    }

    static func readGroup(
        _ r: inout WireReader, version: Int16, names: inout TopicNameReader, strings: inout RepeatedStrings,
        asked: AskedIDs, at k: Int
    ) throws(WireError) -> DescribedConsumerGroupInput {
        let code = try r.readInt16()
        let message = try r.readNullableString(compact: true)
        let groupID = try asked.read(&r, at: k, compact: true)
        let state = try RepeatedStrings.read(&r, compact: true, field: "groupState", last: &strings.state)
        let groupEpoch = try r.readInt32()
        let assignmentEpoch = try r.readInt32()
        let assignor = try RepeatedStrings.read(&r, compact: true, field: "assignorName", last: &strings.assignor)
        guard let memberCount = try r.readArrayCount(compact: true) else {
            throw WireError.unexpectedNull(field: "members", offset: r.offset)
        }
        // The last answer's members of this group, when it is the group asked here.
        var guide: [DescribedConsumerGroupInput.Member] = []
        if let j = asked.lastConsumer.answerIndex(at: k), asked.lastConsumer.answer[j].groupID == groupID {
            guide = asked.lastConsumer.answer[j].members
        }
        let members = try readMembers(
            &r, count: memberCount, guide: guide,
            equals: { member(&$0, version: version, names: &names, equals: $1) },
            read: { (r: inout WireReader) throws(WireError) in try readMember(&r, version: version, names: &names, strings: &strings) })
        _ = try r.readInt32()  // AuthorizedOperations
        try FlatListOffsetsResponse.skipTaggedFields(&r)
        return DescribedConsumerGroupInput(
            groupID: groupID, error: ItemError(answeredCode: code, message: message), state: GroupState(brokerString: state),
            groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch, assignor: assignor, members: members)
    }

    /// A group's `count` members: each is first compared in place with `guide`'s member at its
    /// position (the coordinator's last answer about the group) and is that value when it reads
    /// equal (`equals` leaves the reader past it), else it is read anew from its start (`read`).
    /// While every member so far is the guide's, no list is built: the guide's storage is the
    /// answer's. Used for ConsumerGroupDescribe and DescribeGroups members alike.
    static func readMembers<Member>(
        _ r: inout WireReader, count: Int, guide: [Member],
        equals: (inout WireReader, Member) -> Bool, read: (inout WireReader) throws(WireError) -> Member
    ) throws(WireError) -> [Member] {
        var fresh: [Member]?
        for j in 0..<count {
            if j < guide.count {
                var probe = r
                if equals(&probe, guide[j]) {
                    r = probe
                    fresh?.append(guide[j])
                    continue
                }
            }
            if fresh == nil {
                var list = Array(guide[..<j])
                list.reserveCapacity(Swift.min(count, j + r.remaining / 8))
                fresh = list
            }
            fresh!.append(try read(&r))
        }
        return fresh ?? (count == guide.count ? guide : Array(guide[..<count]))
    }

    /// Whether the member at the reader reads as `m` (then the reader is past it): each field is
    /// compared as it is read, in place, and the first difference (or failure to read) answers false.
    static func member(
        _ r: inout WireReader, version: Int16, names: inout TopicNameReader, equals m: DescribedConsumerGroupInput.Member
    ) -> Bool {
        guard r.skipString(compact: true, ifEqualTo: m.memberID), r.skipNullableString(compact: true, ifEqualTo: m.instanceID),
              r.skipNullableString(compact: true, ifEqualTo: m.rackID), (try? r.readInt32()) == m.memberEpoch,
              r.skipString(compact: true, ifEqualTo: m.clientID), r.skipString(compact: true, ifEqualTo: m.clientHost)
        else { return false }
        guard let count = try? r.readArrayCount(compact: true), count == m.subscribedTopicNames.count else { return false }
        for name in m.subscribedTopicNames where !r.skipString(compact: true, ifEqualTo: name) { return false }
        guard r.skipNullableString(compact: true, ifEqualTo: m.subscribedTopicRegex),
              assignment(&r, names: &names, equals: m.assignment), assignment(&r, names: &names, equals: m.targetAssignment)
        else { return false }
        if version >= 1 {
            guard let type = try? r.readInt8(), MemberType(wireValue: type) == m.memberType else { return false }
        } else if m.memberType != .consumer {
            return false
        }
        return (try? FlatListOffsetsResponse.skipTaggedFields(&r)) != nil
    }

    /// Whether the `Assignment` at the reader reads as `list` (``readAssignment(_:names:)``).
    static func assignment(_ r: inout WireReader, names: inout TopicNameReader, equals list: [TopicPartition]) -> Bool {
        partitions(&r, compact: true, tagged: true, equals: list) { r in try? names.byID(&r) }
            && (try? FlatListOffsetsResponse.skipTaggedFields(&r)) != nil
    }

    /// Whether the array of topics with their partitions at the reader (each topic's name read by
    /// `topic`, then its partitions, then its tagged fields when `tagged`) reads as `list`, which is
    /// sorted as the readers leave such lists. Its topics may come in any order, each once, with
    /// their partitions in order (as brokers and clients send them); anything else answers false,
    /// and is then read.
    static func partitions(
        _ r: inout WireReader, compact: Bool, tagged: Bool, equals list: [TopicPartition], topic: (inout WireReader) -> String?
    ) -> Bool {
        guard let topicCount = try? r.readArrayCount(compact: compact) else { return false }
        var matched = 0
        // Where the last topic's run ended in `list`: the next topic usually starts there.
        var next = 0
        var seen: [String] = []
        for _ in 0..<topicCount {
            guard let name = topic(&r), let count = try? r.readArrayCount(compact: compact) else { return false }
            if count > 0 {
                // A topic named twice could cover one run of `list` twice.
                if seen.contains(name) { return false }
                seen.append(name)
                guard let first = try? r.readInt32() else { return false }
                var j: Int
                if next < list.count, list[next].partition == first, list[next].topic == name {
                    j = next
                } else {
                    // Its place in `list`, by binary search.
                    let wanted = TopicPartition(topic: name, partition: first)
                    var low = 0
                    var high = list.count
                    while low < high {
                        let mid = (low + high) / 2
                        if list[mid] < wanted { low = mid + 1 } else { high = mid }
                    }
                    guard low < list.count, list[low] == wanted else { return false }
                    j = low
                }
                j += 1
                for _ in 1..<count {
                    guard j < list.count, let partition = try? r.readInt32(), list[j].partition == partition, list[j].topic == name else {
                        return false
                    }
                    j += 1
                }
                matched += count
                next = j
            }
            if tagged, (try? FlatListOffsetsResponse.skipTaggedFields(&r)) == nil { return false }
        }
        return matched == list.count
    }

    static func readMember(
        _ r: inout WireReader, version: Int16, names: inout TopicNameReader, strings: inout RepeatedStrings
    ) throws(WireError) -> DescribedConsumerGroupInput.Member {
        let memberID = try r.readString(compact: true, field: "memberID")
        let instanceID = try r.readNullableString(compact: true)
        let rackID = try r.readNullableString(compact: true)
        let epoch = try r.readInt32()
        let clientID = try RepeatedStrings.read(&r, compact: true, field: "clientID", last: &strings.clientID)
        let clientHost = try RepeatedStrings.read(&r, compact: true, field: "clientHost", last: &strings.clientHost)
        let subscribed = try names.nameList(&r, compact: true, field: "subscribedTopicNames", last: &strings.subscription)
        let regex = try r.readNullableString(compact: true)
        let assignment = try readAssignment(&r, names: &names)
        var target = try readAssignment(&r, names: &names)
        // One storage for both when they are equal (a member at its target, the usual case).
        if target == assignment { target = assignment }
        // v0 has no MemberType; every member a KIP-848 describe lists is a consumer member unless
        // v1 says otherwise.
        let type: MemberType = version >= 1 ? MemberType(wireValue: try r.readInt8()) : .consumer
        try FlatListOffsetsResponse.skipTaggedFields(&r)
        return DescribedConsumerGroupInput.Member(
            memberID: memberID, instanceID: instanceID, rackID: rackID, memberEpoch: epoch, clientID: clientID,
            clientHost: clientHost, subscribedTopicNames: subscribed, subscribedTopicRegex: regex,
            assignment: assignment, targetAssignment: target, memberType: type)
    }

    /// An `Assignment`: its topic-partitions, sorted.
    static func readAssignment(_ r: inout WireReader, names: inout TopicNameReader) throws(WireError) -> [TopicPartition] {
        guard let topicCount = try r.readArrayCount(compact: true) else {
            throw WireError.unexpectedNull(field: "topicPartitions", offset: r.offset)
        }
        var out: [TopicPartition] = []
        for _ in 0..<topicCount {
            let name = try names.byID(&r)
            guard let count = try r.readArrayCount(compact: true) else {
                throw WireError.unexpectedNull(field: "partitions", offset: r.offset)
            }
            if out.isEmpty { out.reserveCapacity(Swift.min(count * topicCount, count + r.remaining / 4)) }
            for _ in 0..<count { out.append(TopicPartition(topic: name, partition: try r.readInt32())) }
            try FlatListOffsetsResponse.skipTaggedFields(&r)
        }
        try FlatListOffsetsResponse.skipTaggedFields(&r)
        return out.sortedIfNeeded()
    }

    /// Writes the generated answer these values read back as: topics by name with zero ids, each
    /// run of one topic's partitions as one topic, errors as their codes and messages.
    func encode(to w: inout WireWriter, version: Int16) throws(WireError) {
        func assignment(_ list: [TopicPartition]) -> ConsumerGroupDescribeResponse.Assignment {
            ConsumerGroupDescribeResponse.Assignment(topicPartitions: topicRuns(list).map {
                .init(topicID: .zero, topicName: $0.topic, partitions: $0.partitions)
            })
        }
        let answer = ConsumerGroupDescribeResponse(throttleTimeMs: throttleTimeMs, groups: groups.map { g in
            .init(
                errorCode: g.error?.code ?? 0, errorMessage: g.error?.message, groupID: g.groupID,
                groupState: g.state.brokerString, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch,
                assignorName: g.assignor ?? "",
                members: g.members.map { m in
                    .init(
                        memberID: m.memberID, instanceID: m.instanceID, rackID: m.rackID, memberEpoch: m.memberEpoch,
                        clientID: m.clientID, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames,
                        subscribedTopicRegex: m.subscribedTopicRegex, assignment: assignment(m.assignment),
                        targetAssignment: assignment(m.targetAssignment),
                        memberType: m.memberType == .classic ? 0 : m.memberType == .consumer ? 1 : -1)
                })
        })
        try answer.encode(to: &w, version: version)
    }
}

/// Strings that repeat from one group or member of an answer to the next (states, assignors,
/// client ids and hosts, subscriptions): each is compared in place with the last one read and
/// reused when equal.
struct RepeatedStrings {
    var state = ""
    var assignor = ""
    var clientID = ""
    var clientHost = ""
    var protocolType = ""
    var protocolName = ""
    var subscription: [String] = []

    /// A non-null string, `last` when the bytes are its own; becomes `last`.
    static func read(_ r: inout WireReader, compact: Bool, field: String, last: inout String) throws(WireError) -> String {
        if r.skipString(compact: compact, ifEqualTo: last) { return last }
        last = try r.readString(compact: compact, field: field)
        return last
    }
}

/// `list`'s runs of one topic, in order.
func topicRuns(_ list: [TopicPartition]) -> [(topic: String, partitions: [Int32])] {
    var runs: [(topic: String, partitions: [Int32])] = []
    for tp in list {
        if runs.last?.topic == tp.topic {
            runs[runs.count - 1].partitions.append(tp.partition)
        } else {
            runs.append((tp.topic, [tp.partition]))
        }
    }
    return runs
}

extension ItemError {
    /// A group's error from the `ErrorCode` and `ErrorMessage` of an answer; nil for 0.
    init?(answeredCode code: Int16, message: String?) {
        guard code != 0 else { return nil }
        self.init(code: code, name: KafkaErrorCode(code).name, message: message)
    }
}

// MARK: - DescribeGroups

/// DescribeGroups as the admin client sends it, answered by a ``FlatDescribeGroupsResponse`` read
/// with the request's topic names.
typealias FlatDescribeGroupsRequest = FlatDescribeRequest<DescribeGroupsRequest, FlatDescribeGroupsResponse>

/// A DescribeGroups answer read straight into ``DescribedClassicGroupInput`` values, the members'
/// `MemberMetadata` and `MemberAssignment` read in place as the classic consumer protocol's
/// version-prefixed `ConsumerProtocolSubscription` and `ConsumerProtocolAssignment` when the
/// protocol type is `consumer` or empty (as Kafka's admin client does). Bytes that do not read as
/// those leave the member's subscription or assignment unknown rather than failing the group, and
/// so do empty bytes (the broker did not say; an empty assignment encodes as a version and a zero
/// count). The same values and errors as the generated answer with the generated consumer-protocol
/// decoders (`decodeVersionPrefixed`); tagged fields are checked and skipped.
struct FlatDescribeGroupsResponse: TopicNamedAnswer, FlatMessage {
    typealias Generated = DescribeGroupsResponse

    /// `ThrottleTimeMs` (v1+).
    var throttleTimeMs: Int32 = 0
    /// The groups, as answered.
    var groups: [DescribedClassicGroupInput] = []
    /// Where they were read from.
    var source = AnswerSource()

    init(throttleTimeMs: Int32 = 0, groups: [DescribedClassicGroupInput] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    /// Reads an answer, interning topic names with `topicNames`, with the ids asked.
    init(from r: inout WireReader, version: Int16, topicNames: MetadataTopicNames, askedIDs: AskedIDs) throws(WireError) {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        guard let count = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: "groups", offset: r.offset)
        }
        groups.reserveCapacity(Swift.min(count, r.remaining / 8))
        source.spans.reserveCapacity(Swift.min(count, r.remaining / 8))
        var names = TopicNameReader(topicNames)
        var strings = RepeatedStrings()
        for k in 0..<count {
            let start = r.offset
            if let same = askedIDs.guideIfSameBytes(&r, at: k, in: askedIDs.lastClassic) {
                groups.append(same)
            } else {
                groups.append(try Self.readGroup(
                    &r, version: version, flexible: flexible, names: &names, strings: &strings, asked: askedIDs, at: k))
            }
            source.spans.append(start..<r.offset)
        }
        source.bytes = r.buffer
        if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
    }

    static func readGroup(
        _ r: inout WireReader, version: Int16, flexible: Bool, names: inout TopicNameReader, strings: inout RepeatedStrings,
        asked: AskedIDs, at k: Int
    ) throws(WireError) -> DescribedClassicGroupInput {
        let code = try r.readInt16()
        let message = version >= 6 ? try r.readNullableString(compact: flexible) : nil
        let groupID = try asked.read(&r, at: k, compact: flexible)
        let state = try RepeatedStrings.read(&r, compact: flexible, field: "groupState", last: &strings.state)
        let protocolType = try RepeatedStrings.read(&r, compact: flexible, field: "protocolType", last: &strings.protocolType)
        let protocolName = try RepeatedStrings.read(&r, compact: flexible, field: "protocolData", last: &strings.protocolName)
        guard let memberCount = try r.readArrayCount(compact: flexible) else {
            throw WireError.unexpectedNull(field: "members", offset: r.offset)
        }
        let decodable = protocolType == "consumer" || protocolType.isEmpty
        // As for ConsumerGroupDescribe: the last answer's members of this group are the guides.
        var guide: [DescribedClassicGroupInput.Member] = []
        if let j = asked.lastClassic.answerIndex(at: k), asked.lastClassic.answer[j].groupID == groupID {
            guide = asked.lastClassic.answer[j].members
        }
        let members = try FlatConsumerGroupDescribeResponse.readMembers(
            &r, count: memberCount, guide: guide,
            equals: { member(&$0, version: version, flexible: flexible, decodable: decodable, names: &names, equals: $1) },
            read: { (r: inout WireReader) throws(WireError) in try readMember(&r, version: version, flexible: flexible, decodable: decodable, names: &names, strings: &strings) })
        if version >= 3 { _ = try r.readInt32() }  // AuthorizedOperations
        if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
        return DescribedClassicGroupInput(
            groupID: groupID, error: ItemError(answeredCode: code, message: message), state: GroupState(brokerString: state),
            protocolType: protocolType, protocolName: protocolName, members: members)
    }

    /// Whether the member at the reader reads as `m` (then the reader is past it), each field
    /// compared in place as it is read; false at the first difference or failure to read (and for
    /// member bytes that did not read as the consumer protocol, which are read again).
    static func member(
        _ r: inout WireReader, version: Int16, flexible: Bool, decodable: Bool, names: inout TopicNameReader,
        equals m: DescribedClassicGroupInput.Member
    ) -> Bool {
        guard r.skipString(compact: flexible, ifEqualTo: m.memberID),
              version >= 4 ? r.skipNullableString(compact: flexible, ifEqualTo: m.instanceID) : m.instanceID == nil,
              r.skipString(compact: flexible, ifEqualTo: m.clientID), r.skipString(compact: flexible, ifEqualTo: m.clientHost),
              var metadata = try? r.readBytesInPlace(compact: flexible, field: "memberMetadata"),
              var assigned = try? r.readBytesInPlace(compact: flexible, field: "memberAssignment")
        else { return false }
        if flexible, (try? FlatListOffsetsResponse.skipTaggedFields(&r)) == nil { return false }
        if decodable, !metadata.isAtEnd {
            guard let subscription = m.subscription, Self.subscription(&metadata, names: &names, equals: subscription) else { return false }
        } else if m.subscription != nil {
            return false
        }
        if decodable, !assigned.isAtEnd {
            guard let assignment = m.assignment, let version = try? assigned.readInt16(), version >= 0,
                  FlatConsumerGroupDescribeResponse.partitions(&assigned, compact: false, tagged: false, equals: assignment, topic: { r in
                      try? names.byName(&r, compact: false, field: "topic")
                  }),
                  skipUserData(&assigned), version > newestAssignment || assigned.isAtEnd
            else { return false }
        } else if m.assignment != nil {
            return false
        }
        return true
    }

    /// Whether the `ConsumerProtocolSubscription` at the reader reads as `s` (``readSubscription(_:names:strings:)``).
    static func subscription(_ r: inout WireReader, names: inout TopicNameReader, equals s: DescribedClassicGroupInput.Subscription) -> Bool {
        guard let version = try? r.readInt16(), version >= 0,
              let count = try? r.readArrayCount(compact: false), count == s.topics.count
        else { return false }
        for name in s.topics where !r.skipString(compact: false, ifEqualTo: name) { return false }
        guard skipUserData(&r) else { return false }
        if version >= 1 {
            guard let owned = s.ownedPartitions,
                  FlatConsumerGroupDescribeResponse.partitions(&r, compact: false, tagged: false, equals: owned, topic: { r in
                      try? names.byName(&r, compact: false, field: "topic")
                  })
            else { return false }
        } else if s.ownedPartitions != nil {
            return false
        }
        if version >= 2 {
            guard let generation = try? r.readInt32(), (generation >= 0 ? generation : nil) == s.generationID else { return false }
        } else if s.generationID != nil {
            return false
        }
        if version >= 3 {
            guard r.skipNullableString(compact: false, ifEqualTo: s.rackID) else { return false }
        } else if s.rackID != nil {
            return false
        }
        return version > newestSubscription || r.isAtEnd
    }

    /// Moves past the consumer protocol's `UserData` (nullable bytes); false when it does not read.
    static func skipUserData(_ r: inout WireReader) -> Bool {
        do {
            _ = try r.readNullableBytesInPlace(compact: false)
            return true
        } catch {
            return false
        }
    }

    /// Reads one member (``readGroup(_:version:flexible:names:strings:asked:at:)``).
    static func readMember(
        _ r: inout WireReader, version: Int16, flexible: Bool, decodable: Bool, names: inout TopicNameReader,
        strings: inout RepeatedStrings
    ) throws(WireError) -> DescribedClassicGroupInput.Member {
            let memberID = try r.readString(compact: flexible, field: "memberID")
            let instanceID = version >= 4 ? try r.readNullableString(compact: flexible) : nil
            let clientID = try RepeatedStrings.read(&r, compact: flexible, field: "clientID", last: &strings.clientID)
            let clientHost = try RepeatedStrings.read(&r, compact: flexible, field: "clientHost", last: &strings.clientHost)
            var metadata = try r.readBytesInPlace(compact: flexible, field: "memberMetadata")
            var assigned = try r.readBytesInPlace(compact: flexible, field: "memberAssignment")
            if flexible { try FlatListOffsetsResponse.skipTaggedFields(&r) }
            var subscription: DescribedClassicGroupInput.Subscription?
            var assignment: [TopicPartition]?
            if decodable, !metadata.isAtEnd {
                subscription = try? Self.readSubscription(&metadata, names: &names, strings: &strings)
            }
            if decodable, !assigned.isAtEnd {
                assignment = try? Self.readAssignment(&assigned, names: &names)
            }
            return DescribedClassicGroupInput.Member(
                memberID: memberID, instanceID: instanceID, clientID: clientID, clientHost: clientHost,
                subscription: subscription, assignment: assignment)
    }

    /// The newest consumer-protocol version known; a newer one is read with its layout (these
    /// schemas only append fields) and its trailing bytes ignored, as `decodeVersionPrefixed` does.
    static let newestSubscription = ConsumerProtocolSubscription.validVersions.upperBound
    static let newestAssignment = ConsumerProtocolAssignment.validVersions.upperBound

    /// A version-prefixed `ConsumerProtocolSubscription`, every byte of it (up to the newest known
    /// version's fields).
    static func readSubscription(
        _ r: inout WireReader, names: inout TopicNameReader, strings: inout RepeatedStrings
    ) throws(WireError) -> DescribedClassicGroupInput.Subscription {
        let version = try r.readInt16()
        if version < 0 { throw WireError.unsupportedVersion(api: ConsumerProtocolSubscription.messageName, version: version) }
        let topics = try names.nameList(&r, compact: false, field: "topics", last: &strings.subscription)
        _ = try r.readNullableBytesInPlace(compact: false)  // UserData
        var owned: [TopicPartition]?
        if version >= 1 { owned = try readTopicPartitions(&r, names: &names, field: "ownedPartitions") }
        let generation = version >= 2 ? try r.readInt32() : -1
        let rack = version >= 3 ? try r.readNullableString(compact: false) : nil
        if version <= newestSubscription { try r.expectEnd() }
        return DescribedClassicGroupInput.Subscription(
            topics: topics, ownedPartitions: owned, generationID: version >= 2 && generation >= 0 ? generation : nil,
            rackID: rack)
    }

    /// A version-prefixed `ConsumerProtocolAssignment`'s partitions, sorted.
    static func readAssignment(_ r: inout WireReader, names: inout TopicNameReader) throws(WireError) -> [TopicPartition] {
        let version = try r.readInt16()
        if version < 0 { throw WireError.unsupportedVersion(api: ConsumerProtocolAssignment.messageName, version: version) }
        let partitions = try readTopicPartitions(&r, names: &names, field: "assignedPartitions")
        _ = try r.readNullableBytesInPlace(compact: false)  // UserData
        if version <= newestAssignment { try r.expectEnd() }
        return partitions
    }

    /// The consumer protocol's array of topics with their partitions, sorted.
    static func readTopicPartitions(_ r: inout WireReader, names: inout TopicNameReader, field: String) throws(WireError) -> [TopicPartition] {
        guard let topicCount = try r.readArrayCount(compact: false) else {
            throw WireError.unexpectedNull(field: field, offset: r.offset)
        }
        var out: [TopicPartition] = []
        for _ in 0..<topicCount {
            let name = try names.byName(&r, compact: false, field: "topic")
            guard let count = try r.readArrayCount(compact: false) else {
                throw WireError.unexpectedNull(field: "partitions", offset: r.offset)
            }
            if out.isEmpty { out.reserveCapacity(Swift.min(count * topicCount, count + r.remaining / 4)) }
            for _ in 0..<count { out.append(TopicPartition(topic: name, partition: try r.readInt32())) }
        }
        return out.sortedIfNeeded()
    }

    /// Writes the generated answer these values read back as: the subscription at v3 and the
    /// assignment at v1 (none as empty bytes), errors as their codes and messages.
    func encode(to w: inout WireWriter, version: Int16) throws(WireError) {
        func tps(_ list: [TopicPartition]) -> [(topic: String, partitions: [Int32])] { topicRuns(list) }
        let answer = DescribeGroupsResponse(throttleTimeMs: throttleTimeMs, groups: try groups.map { g throws(WireError) in
            DescribeGroupsResponse.DescribedGroup(
                errorCode: g.error?.code ?? 0, errorMessage: g.error?.message, groupID: g.groupID,
                groupState: g.state.brokerString, protocolType: g.protocolType ?? "", protocolData: g.protocolName ?? "",
                members: try g.members.map { m throws(WireError) in
                    let metadata = try m.subscription.map { s throws(WireError) in
                        try ConsumerProtocolSubscription(
                            topics: s.topics,
                            ownedPartitions: tps(s.ownedPartitions ?? []).map { .init(topic: $0.topic, partitions: $0.partitions) },
                            generationID: s.generationID ?? -1, rackID: s.rackID
                        ).encodedVersionPrefixed(version: 3)
                    } ?? []
                    let assignment = try m.assignment.map { a throws(WireError) in
                        try ConsumerProtocolAssignment(
                            assignedPartitions: tps(a).map { .init(topic: $0.topic, partitions: $0.partitions) }
                        ).encodedVersionPrefixed(version: 1)
                    } ?? []
                    return DescribeGroupsResponse.DescribedGroupMember(
                        memberID: m.memberID, groupInstanceID: m.instanceID, clientID: m.clientID, clientHost: m.clientHost,
                        memberMetadata: metadata, memberAssignment: assignment)
                })
        })
        try answer.encode(to: &w, version: version)
    }
}

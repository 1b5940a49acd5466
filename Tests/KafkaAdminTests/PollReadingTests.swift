import GroupModel
import KafkaProtocol
import KafkaWire
import SeededRandom
import Testing
@testable import KafkaAdmin

/// What the poll's readers reuse instead of making again: Metadata's topic names found by the
/// answer's bytes, and a ListOffsets answer's names taken from its request.
@Suite("Poll reading: names reused, values unchanged")
struct PollReadingTests {
    /// Whether two strings share one storage (the same string, not merely equal ones).
    static func same(_ a: String, _ b: String) -> Bool {
        unsafeBitCast(a, to: (UInt64, UInt64).self) == unsafeBitCast(b, to: (UInt64, UInt64).self)
    }

    static let long = "a-very-long-topic-name-beyond-the-small-string-limit"

    @Test("names read from an answer are Metadata's strings, whether Metadata is kept as topics or as a caller's numbers")
    func metadataStrings() throws {
        let ids = [KafkaUUID(high: 1, low: 1), KafkaUUID(high: 2, low: 2)]
        let names = [Self.long, Self.long + "-2"]
        let topics = Dictionary(uniqueKeysWithValues: zip(names, ids).map { ($0, TopicInfo(name: $0, topicID: $1, isInternal: false, partitions: [])) })
        let kept = topics.keys.sorted()
        let numbers = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        let byID = Dictionary(uniqueKeysWithValues: zip(ids, names))
        for topicNames in [MetadataTopicNames(topics: topics), MetadataTopicNames(byID: byID, numbers: numbers)] {
            // OffsetFetch names topics by name; ConsumerGroupDescribe by id and name (the name left
            // empty for the second topic, so that it is resolved by id).
            let fetch = try OffsetFetchResponse(groups: [.init(
                groupID: "g", topics: names.map { .init(name: $0, partitions: [.init(partitionIndex: 0, committedOffset: 5)]) })])
                .encoded(version: 8)
            var r = WireReader(fetch)
            let offsets = try FlatOffsetFetchResponse(from: &r, version: 8, askedIDs: ["g"], topicNames: topicNames)
            let read = offsets.groups[0].offsets.offsets.map(\.topicPartition.topic)
            #expect(read == names)
            for name in read { #expect(Self.same(name, topicNames.interned(name)) && Self.same(name, topicNames.byID[ids[names.firstIndex(of: name)!]]!)) }
            let describe = try ConsumerGroupDescribeResponse(groups: [.init(groupID: "g", members: [.init(
                memberID: "m", memberEpoch: 1, clientID: "c", clientHost: "/h",
                assignment: .init(topicPartitions: [
                    .init(topicID: ids[0], topicName: names[0], partitions: [0]), .init(topicID: ids[1], topicName: "", partitions: [1]),
                    .init(topicID: KafkaUUID(high: 9, low: 9), topicName: names[1], partitions: [2]),
                ]))])]).encoded(version: 1)
            var d = WireReader(describe)
            let described = try FlatConsumerGroupDescribeResponse(from: &d, version: 1, topicNames: topicNames, askedIDs: AskedIDs(ids: ["g"]))
            let assignment = described.groups[0].members[0].assignment
            #expect(assignment.map(\.topic) == [names[0], names[1], names[1]])
            for tp in assignment { #expect(Self.same(tp.topic, topicNames.interned(tp.topic))) }
        }
    }

    @Test("a ListOffsets answer reads as without the request's names, its names the request's strings where asked")
    func listOffsetsNames() throws {
        var rng = SplitMix64(seed: 5)
        for version in ListOffsetsResponse.validVersions {
            for trial in 0..<100 {
                let pool = ["orders", Self.long, "t", "évènements"]
                let asked = (0..<rng.below(4)).map { _ in String(decoding: Array(pool[rng.below(pool.count)].utf8), as: UTF8.self) }
                // Answered in the order asked, or with a topic the request did not name, or fewer topics.
                var answered = asked
                if rng.below(3) == 0 { answered.insert("unasked", at: rng.below(answered.count + 1)) }
                if rng.below(4) == 0, !answered.isEmpty { answered.removeLast() }
                let answer = ListOffsetsResponse(topics: answered.map { .init(name: $0, partitions: [.init(partitionIndex: 0, offset: 7)]) })
                var bytes = try answer.encoded(version: version)
                if trial % 5 == 4, !bytes.isEmpty { bytes[rng.below(bytes.count)] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
                var plain = WireReader(bytes)
                var withNames = WireReader(bytes)
                let a = Result { () throws(WireError) in try FlatListOffsetsResponse(from: &plain, version: version) }
                let b = Result { () throws(WireError) in try FlatListOffsetsResponse(from: &withNames, version: version, askedTopics: asked) }
                #expect(a == b, "version \(version), trial \(trial)")
                if trial % 5 != 4, case let .success(r) = b {
                    for (k, name) in r.topicNames.enumerated() where k < asked.count && asked[k] == name {
                        #expect(Self.same(name, asked[k]))
                    }
                }
            }
        }
    }

    /// `answer` changed as from one poll to the next: at times a member's epoch, client, assignment
    /// or subscription, a member more or less, a group's error.
    static func changed(_ answer: ConsumerGroupDescribeResponse, _ rng: inout SplitMix64) -> ConsumerGroupDescribeResponse {
        var next = answer
        for g in next.groups.indices {
            for m in next.groups[g].members.indices {
                switch rng.below(12) {
                case 0: next.groups[g].members[m].memberEpoch += 1
                case 1: next.groups[g].members[m].clientID += "x"
                case 2: next.groups[g].members[m].assignment = FlatGroupDescriptionsTests.assignment(&rng, tagged: false)
                case 3: next.groups[g].members[m].targetAssignment.topicPartitions.reverse()
                case 4: next.groups[g].members[m].subscribedTopicNames.append("unlisted")
                case 5: next.groups[g].members[m].instanceID = next.groups[g].members[m].instanceID == nil ? "pod-9" : nil
                case 6: next.groups[g].members[m].memberType = 0
                default: break
                }
            }
            switch rng.below(8) {
            case 0 where !next.groups[g].members.isEmpty: next.groups[g].members.removeLast()
            case 1: next.groups[g].members.append(next.groups[g].members.first ?? .init(memberID: "new", clientID: "c", clientHost: "/h"))
            case 2: next.groups[g].errorCode = 16
            default: break
            }
        }
        if rng.below(6) == 0, !next.groups.isEmpty { next.groups.removeFirst() }
        return next
    }

    /// `bytes` read as the admin client reads an answer after `last`: its groups the guides, and
    /// (when `spans`) the bytes they were read from.
    static func guided(
        _ bytes: [UInt8], version: Int16, ids: [String], last: FlatConsumerGroupDescribeResponse, spans: Bool
    ) -> Result<FlatConsumerGroupDescribeResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            let names = FlatGroupDescriptionsTests.topicNames
            let kept = LastDescribeAnswer(groups: last.groups, source: last.source, version: version, topicsByID: names.byID)
            let g = kept.guides(for: ids, version: version, topicNames: names)
            let asked = AskedIDs(ids: ids, lastConsumer: g.groups, lastBytes: spans ? g.bytes : [], lastSpans: spans ? g.spans : [])
            return try FlatConsumerGroupDescribeResponse(from: &r, version: version, topicNames: names, askedIDs: asked)
        }
    }

    /// The last answer read again (`read`, without and with its bytes, `spans`) is `last`: with the
    /// bytes every group with members is the guide itself (its list shared); without them, the
    /// groups whose lists the member comparison shared are counted (returned).
    static func expectSameAnswerReused<Group: Equatable, Member>(
        _ last: [Group], members: KeyPath<Group, [Member]>, read: (_ spans: Bool) throws -> [Group]
    ) throws -> (shared: Int, of: Int) {
        let again = try read(false)
        #expect(again == last)
        let byBytes = try read(true)
        #expect(byBytes == last)
        let whole = sharesMembers(byBytes, last) { $0[keyPath: members] }
        #expect(whole.shared == whole.of)
        return sharesMembers(again, last) { $0[keyPath: members] }
    }

    /// Whether every group of `a` with members shares its list with `b`'s at its position.
    static func sharesMembers<Group>(_ a: [Group], _ b: [Group], members: (Group) -> [some Any]) -> (shared: Int, of: Int) {
        var shared = 0
        var of = 0
        for (x, y) in zip(a, b) where !members(x).isEmpty {
            of += 1
            if members(x).withUnsafeBufferPointer({ UnsafeRawPointer($0.baseAddress) }) == members(y).withUnsafeBufferPointer({ UnsafeRawPointer($0.baseAddress) }) {
                shared += 1
            }
        }
        return (shared, of)
    }

    @Test("ConsumerGroupDescribe read with the last answer as guide reads what the generated answer converts to, errors included")
    func guidedConsumer() throws {
        var rng = SplitMix64(seed: 29)
        var reused = 0
        var groups = 0
        var members = 0
        for version in ConsumerGroupDescribeResponse.validVersions {
            for trial in 0..<300 {
                let first = FlatGroupDescriptionsTests.consumerAnswer(&rng, tagged: trial % 2 == 1)
                let ids = (0..<5).map { "group-\($0)" }
                let firstBytes = try first.encoded(version: version)
                let lastAnswer = try FlatGroupDescriptionsTests.consumerFlat(firstBytes, version: version).get()
                let last = lastAnswer.groups
                // The same answer again. Without its bytes, a group whose members all read as the
                // guide's keeps the guide's list (members with unsorted partitions are read again:
                // their lists are sorted, unlike the bytes); with them, every group is the guide.
                let byMembers = try Self.expectSameAnswerReused(last, members: \.members) { spans in
                    try Self.guided(firstBytes, version: version, ids: ids, last: lastAnswer, spans: spans).get().groups
                }
                reused += byMembers.shared
                groups += byMembers.of
                // A changed answer: what it says, whatever the guide said.
                let bytes = try Self.changed(first, &rng).encoded(version: version)
                let reference = FlatGroupDescriptionsTests.consumerReference(bytes, version: version)
                for spans in [false, true] {
                    #expect(Self.guided(bytes, version: version, ids: ids, last: lastAnswer, spans: spans) == reference, "version \(version), trial \(trial)")
                }
                members += (try? reference.get())?.groups.reduce(0) { $0 + $1.members.count } ?? 0
                Self.expectCutAndDamagedAgree(
                    bytes, cuts: trial % 10 == 0, &rng, guided: { Self.guided($0, version: version, ids: ids, last: lastAnswer, spans: trial % 2 == 0) },
                    reference: { FlatGroupDescriptionsTests.consumerReference($0, version: version) })
                // The first answer cut or damaged, read with its own bytes as the guide's.
                Self.expectCutAndDamagedAgree(
                    firstBytes, cuts: trial % 10 == 5, &rng, guided: { Self.guided($0, version: version, ids: ids, last: lastAnswer, spans: true) },
                    reference: { FlatGroupDescriptionsTests.consumerReference($0, version: version) })
            }
        }
        #expect(reused > groups / 5 && members > 500)
    }

    /// Cut answers (every third prefix, when `cuts`) and `bytes` with one byte damaged read the same
    /// through the guided reader as through the reference: the generated decoder's error or value.
    static func expectCutAndDamagedAgree<Answer: Equatable>(
        _ bytes: [UInt8], cuts: Bool, _ rng: inout SplitMix64, guided: ([UInt8]) -> Answer, reference: ([UInt8]) -> Answer
    ) {
        if cuts {
            for cut in stride(from: 0, to: bytes.count, by: 3) {
                let prefix = Array(bytes[..<cut])
                #expect(guided(prefix) == reference(prefix), "cut at \(cut) of \(bytes.count)")
            }
        }
        var damaged = bytes
        if !damaged.isEmpty { damaged[rng.below(damaged.count)] = UInt8(truncatingIfNeeded: rng.next()) }
        #expect(guided(damaged) == reference(damaged))
    }

    /// ``guided(_:version:ids:last:spans:)`` for DescribeGroups.
    static func guidedClassic(
        _ bytes: [UInt8], version: Int16, ids: [String], last: FlatDescribeGroupsResponse, spans: Bool
    ) -> Result<FlatDescribeGroupsResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            let names = FlatGroupDescriptionsTests.topicNames
            let kept = LastDescribeAnswer(groups: last.groups, source: last.source, version: version, topicsByID: names.byID)
            let g = kept.guides(for: ids, version: version, topicNames: names)
            let asked = AskedIDs(ids: ids, lastClassic: g.groups, lastBytes: spans ? g.bytes : [], lastSpans: spans ? g.spans : [])
            return try FlatDescribeGroupsResponse(from: &r, version: version, topicNames: names, askedIDs: asked)
        }
    }

    @Test("DescribeGroups read with the last answer as guide reads what the generated answer converts to, errors included")
    func guidedClassic() throws {
        var rng = SplitMix64(seed: 31)
        var reused = 0
        var groups = 0
        var members = 0
        let ids = (0..<5).map { "classic-\($0)" }
        for version in DescribeGroupsResponse.validVersions {
            for trial in 0..<150 {
                let tagged = DescribeGroupsResponse.isFlexible(version) && trial % 2 == 1
                let first = try FlatGroupDescriptionsTests.classicAnswer(&rng, version: version, tagged: tagged)
                let firstBytes = try first.encoded(version: version)
                let lastAnswer = try FlatGroupDescriptionsTests.classicFlat(firstBytes, version: version).get()
                let last = lastAnswer.groups
                let byMembers = try Self.expectSameAnswerReused(last, members: \.members) { spans in
                    try Self.guidedClassic(firstBytes, version: version, ids: ids, last: lastAnswer, spans: spans).get().groups
                }
                reused += byMembers.shared
                groups += byMembers.of
                Self.expectCutAndDamagedAgree(
                    firstBytes, cuts: trial % 10 == 5, &rng,
                    guided: { Self.guidedClassic($0, version: version, ids: ids, last: lastAnswer, spans: true) },
                    reference: { FlatGroupDescriptionsTests.classicReference($0, version: version) })
                // Changed as from one poll to the next: member bytes, clients, members, protocol types.
                var next = first
                for g in next.groups.indices {
                    for m in next.groups[g].members.indices {
                        switch rng.below(10) {
                        case 0: next.groups[g].members[m].memberMetadata = try FlatGroupDescriptionsTests.memberMetadata(&rng)
                        case 1: next.groups[g].members[m].memberAssignment = try FlatGroupDescriptionsTests.memberAssignment(&rng)
                        case 2: next.groups[g].members[m].clientHost += "x"
                        case 3 where version >= 4: next.groups[g].members[m].groupInstanceID = nil
                        default: break
                        }
                    }
                    switch rng.below(8) {
                    case 0 where !next.groups[g].members.isEmpty: next.groups[g].members.removeFirst()
                    case 1: next.groups[g].protocolType = "connect"
                    case 2: next.groups[g].members += next.groups[g].members.prefix(1)
                    default: break
                    }
                }
                let bytes = try next.encoded(version: version)
                let reference = FlatGroupDescriptionsTests.classicReference(bytes, version: version)
                for spans in [false, true] {
                    #expect(Self.guidedClassic(bytes, version: version, ids: ids, last: lastAnswer, spans: spans) == reference, "version \(version), trial \(trial)")
                }
                members += (try? reference.get())?.groups.reduce(0) { $0 + $1.members.count } ?? 0
                Self.expectCutAndDamagedAgree(
                    bytes, cuts: trial % 10 == 0, &rng,
                    guided: { Self.guidedClassic($0, version: version, ids: ids, last: lastAnswer, spans: trial % 2 == 0) },
                    reference: { FlatGroupDescriptionsTests.classicReference($0, version: version) })
            }
        }
        #expect(reused > groups / 10 && members > 500)
    }

    @Test("a group's last bytes stand for it only at the same version and with the same topic names by id")
    func lastBytesNeedSameVersionAndNames() throws {
        let id = KafkaUUID(high: 7, low: 7)
        // The broker leaves the topic's name empty: it is Metadata's name for the id.
        let answer = ConsumerGroupDescribeResponse(groups: [.init(groupID: "g", members: [.init(
            memberID: "m", memberEpoch: 3, clientID: "c", clientHost: "/h",
            assignment: .init(topicPartitions: [.init(topicID: id, topicName: "", partitions: [0, 1])]))])])
        let bytes = try answer.encoded(version: 1)
        let before = MetadataTopicNames(byID: [id: "orders"], numbers: ["orders": 0])
        let after = MetadataTopicNames(byID: [id: "payments"], numbers: ["payments": 0])
        var r = WireReader(bytes)
        let first = try FlatConsumerGroupDescribeResponse(from: &r, version: 1, topicNames: before, askedIDs: AskedIDs(ids: ["g"]))
        #expect(first.groups[0].members[0].assignment.map(\.topic) == ["orders", "orders"])
        #expect(first.source.spans.count == 1 && first.source.bytes == bytes)
        let kept = LastDescribeAnswer(groups: first.groups, source: first.source, version: 1, topicsByID: before.byID)
        #expect(kept.guides(for: ["g"], version: 1, topicNames: before).spans == first.source.spans)
        #expect(kept.guides(for: ["g"], version: 0, topicNames: before).spans.isEmpty)
        let renamed = kept.guides(for: ["g"], version: 1, topicNames: after)
        #expect(renamed.spans.isEmpty && renamed.groups.count == 1)
        // Read as the admin client reads it after a Metadata refresh renamed the topic's id.
        var again = WireReader(bytes)
        let read = try FlatConsumerGroupDescribeResponse(
            from: &again, version: 1, topicNames: after,
            askedIDs: AskedIDs(ids: ["g"], lastConsumer: renamed.groups, lastBytes: renamed.bytes, lastSpans: renamed.spans))
        #expect(read.groups[0].members[0].assignment.map(\.topic) == ["payments", "payments"])
        // A group not asked before has no guide, and other ids keep their positions.
        let shifted = kept.guides(for: ["a", "g"], version: 1, topicNames: before)
        #expect(shifted.spans == [0..<0, first.source.spans[0]] && shifted.groups.map { $0?.groupID } == [nil, "g"])
    }

    @Test("lowercasedIfNeeded is lowercased(), and the string itself when it is lower-case ASCII")
    func lowercasing() {
        for s in ["consumer", "Consumer", "CLASSIC", "share", "évènements", "ÉTAT", "", "Stable", "a-b_c.9", "İ"] {
            #expect(s.lowercasedIfNeeded == s.lowercased())
        }
        let long = String(decoding: Array("a-lower-case-state-longer-than-fifteen-bytes".utf8), as: UTF8.self)
        #expect(Self.same(long.lowercasedIfNeeded, long))
    }
}

import GroupModel
import KafkaProtocol
import KafkaWire
import SeededRandom
import Testing
@testable import KafkaAdmin

/// What the admin client and the poller made of a generated OffsetFetch answer before it was read
/// flat: the answer's topics as `GroupOffsets` (entries in (topic, partition) order, a repeated
/// partition keeping its last entry; -1 offsets as nil; error codes as broker errors), then
/// `PollConversion.committed` into the assembler's input. The reference the flat reader is held to.
enum ReferenceOffsetFetchConversion {
    struct Committed: Hashable {
        var offset: Int64?
        var metadata: String?
        var error: AdminItemError?
    }

    /// `GroupOffsets(groupID:answered:)`.
    static func groupOffsets(_ entries: [(TopicPartition, Committed)]) -> [(TopicPartition, Committed)] {
        var i = 1
        while i < entries.count, entries[i - 1].0 < entries[i].0 { i += 1 }
        if i >= entries.count { return entries }
        var last: [TopicPartition: Committed] = [:]
        for o in entries { last[o.0] = o.1 }
        return last.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// `PollConversion.committed`.
    static func committed(groupID: String, _ entries: [(TopicPartition, Committed)]) -> CommittedOffsetsInput {
        CommittedOffsetsInput(groupID: groupID, offsets: entries.map { tp, c in
            CommittedOffsetsInput.Offset(
                topicPartition: tp, offset: c.offset, metadata: c.metadata,
                error: c.error.map { ItemError(code: $0.code, name: $0.name, message: $0.message) })
        })
    }

    static func convert<Topic>(
        groupID: String, _ topics: [Topic], name: (Topic) -> String,
        partitions: (Topic) -> [(index: Int32, offset: Int64, metadata: String?, code: Int16)]
    ) -> CommittedOffsetsInput {
        var entries: [(TopicPartition, Committed)] = []
        for t in topics {
            for p in partitions(t) {
                entries.append((
                    TopicPartition(topic: name(t), partition: p.index),
                    Committed(offset: p.offset >= 0 ? p.offset : nil, metadata: p.metadata, error: AdminItemError.fromCode(p.code))))
            }
        }
        return committed(groupID: groupID, groupOffsets(entries))
    }

    static func flat(_ r: OffsetFetchResponse, version: Int16) -> FlatOffsetFetchResponse {
        if version <= 7 {
            let offsets = convert(groupID: "", r.topics, name: \.name, partitions: { t in
                t.partitions.map { ($0.partitionIndex, $0.committedOffset, $0.metadata, $0.errorCode) }
            })
            return FlatOffsetFetchResponse(throttleTimeMs: r.throttleTimeMs, groups: [.init(errorCode: r.errorCode, offsets: offsets)])
        }
        return FlatOffsetFetchResponse(
            throttleTimeMs: r.throttleTimeMs,
            groups: r.groups.map { g in
                .init(errorCode: g.errorCode, offsets: convert(groupID: g.groupID, g.topics, name: \.name, partitions: { t in
                    t.partitions.map { ($0.partitionIndex, $0.committedOffset, $0.metadata, $0.errorCode) }
                }))
            })
    }

    /// Each group's entries as answered (one group for v2-7).
    static func entries(of r: OffsetFetchResponse, version: Int16) -> [[TopicPartition]] {
        if version <= 7 { return [r.topics.flatMap { t in t.partitions.map { TopicPartition(topic: t.name, partition: $0.partitionIndex) } }] }
        return r.groups.map { g in g.topics.flatMap { t in t.partitions.map { TopicPartition(topic: t.name, partition: $0.partitionIndex) } } }
    }
}

/// The flat OffsetFetch answer against the generated decoder followed by the conversions it
/// replaced (``ReferenceOffsetFetchConversion``), on random answers at every version the admin
/// client asks (2-9): the same values, and the same error on every truncation and damaged bytes.
@Suite("FlatOffsetFetch")
struct FlatOffsetFetchTests {
    static let versions: ClosedRange<Int16> = 2...9

    static func name(_ rng: inout SplitMix64) -> String {
        let pool = ["orders", "scale-topic-1234", "t", "payments.v2", "évènements", "a-very-long-topic-name-beyond-the-small-string-limit"]
        return pool[rng.below(pool.count)] + (rng.below(3) == 0 ? "" : "-\(rng.below(20))")
    }

    static func tags(_ rng: inout SplitMix64, _ on: Bool) -> [RawTaggedField] {
        guard on, rng.below(3) == 0 else { return [] }
        return [RawTaggedField(tag: UInt32(rng.below(5)), data: rng.bytes(rng.below(4)))]
    }

    static func randomAnswer(_ rng: inout SplitMix64, version: Int16, tagged: Bool) -> OffsetFetchResponse {
        func fields() -> (Int32, Int64, Int32, String?, Int16) {
            (Int32(rng.below(40)) - 2, rng.below(4) == 0 ? -1 : Int64(rng.below(1 << 40)),
             version >= 5 ? Int32(rng.below(10)) - 1 : -1,
             [nil, "", "m", "metadata with ünïcode", "consumer-metadata-beyond-15"][rng.below(5)], [0, 0, 0, 3, 87][rng.below(5)])
        }
        if version <= 7 {
            let topics = (0..<rng.below(4)).map { _ in
                OffsetFetchResponse.OffsetFetchResponseTopic(
                    name: name(&rng),
                    partitions: (0..<rng.below(5)).map { _ in
                        let (p, o, e, m, c) = fields()
                        return OffsetFetchResponse.OffsetFetchResponsePartition(
                            partitionIndex: p, committedOffset: o, committedLeaderEpoch: e, metadata: m, errorCode: c,
                            unknownTaggedFields: tags(&rng, tagged))
                    },
                    unknownTaggedFields: tags(&rng, tagged))
            }
            return OffsetFetchResponse(
                throttleTimeMs: version >= 3 ? Int32(rng.below(50)) : 0, topics: topics,
                errorCode: [0, 0, 16][rng.below(3)], unknownTaggedFields: tags(&rng, tagged))
        }
        let groups = (0..<rng.below(5)).map { k in
            OffsetFetchResponse.OffsetFetchResponseGroup(
                groupID: rng.below(3) == 0 ? "group-\(rng.below(10))" : "group-\(k)",
                topics: (0..<rng.below(4)).map { _ in
                    OffsetFetchResponse.OffsetFetchResponseTopics(
                        name: name(&rng),
                        partitions: (0..<rng.below(5)).map { _ in
                            let (p, o, e, m, c) = fields()
                            return OffsetFetchResponse.OffsetFetchResponsePartitions(
                                partitionIndex: p, committedOffset: o, committedLeaderEpoch: e, metadata: m, errorCode: c,
                                unknownTaggedFields: tags(&rng, tagged))
                        },
                        unknownTaggedFields: tags(&rng, tagged))
                },
                errorCode: [0, 0, 15][rng.below(3)], unknownTaggedFields: tags(&rng, tagged))
        }
        return OffsetFetchResponse(
            throttleTimeMs: Int32(rng.below(50)), groups: groups, unknownTaggedFields: tags(&rng, tagged))
    }

    /// Names Metadata knows (the strings answers' names are replaced with).
    static let topicNames = MetadataTopicNames(topics: Dictionary(uniqueKeysWithValues: [
        "orders", "scale-topic-1234", "payments.v2", "évènements", "a-very-long-topic-name-beyond-the-small-string-limit",
    ].map { ($0, KafkaAdmin.TopicInfo(name: $0, topicID: .zero, isInternal: false, partitions: [])) }))

    static func reference(_ bytes: [UInt8], version: Int16) -> Result<FlatOffsetFetchResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            return ReferenceOffsetFetchConversion.flat(try OffsetFetchResponse(from: &r, version: version), version: version)
        }
    }

    static func flat(_ bytes: [UInt8], version: Int16, asked: [String] = [], names: MetadataTopicNames = MetadataTopicNames(nil)) -> Result<FlatOffsetFetchResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            return try FlatOffsetFetchResponse(from: &r, version: version, askedIDs: asked, topicNames: names)
        }
    }

    /// Whether two strings share one storage (the same string, not merely equal ones).
    static func same(_ a: String, _ b: String) -> Bool {
        unsafeBitCast(a, to: (UInt64, UInt64).self) == unsafeBitCast(b, to: (UInt64, UInt64).self)
    }

    @Test("the flat answer reads what the generated answer converts to, at every version asked")
    func values() throws {
        var rng = SplitMix64(seed: 8)
        var entries = 0, unordered = 0
        for version in Self.versions {
            for trial in 0..<80 {
                let tagged = OffsetFetchResponse.isFlexible(version) && trial % 2 == 1
                let answer = Self.randomAnswer(&rng, version: version, tagged: tagged)
                let bytes = try answer.encoded(version: version)
                let flat = try FlatOffsetFetchResponse.decode(bytes, version: version)
                #expect(flat == (try Self.reference(bytes, version: version).get()), "version \(version), trial \(trial)")
                // With the ids asked and Metadata's names: the same values.
                let asked = (0..<rng.below(6)).map { "group-\($0)" }
                #expect(try Self.flat(bytes, version: version, asked: asked, names: Self.topicNames).get() == flat)
                // Written back, the flat answer reads as the same values.
                #expect(try FlatOffsetFetchResponse.decode(flat.encoded(version: version), version: version) == flat)
                entries += flat.groups.reduce(0) { $0 + $1.offsets.offsets.count }
                unordered += ReferenceOffsetFetchConversion.entries(of: answer, version: version).filter { list in
                    !zip(list, list.dropFirst()).allSatisfy { $0 < $1 }
                }.count
            }
        }
        #expect(entries > 1_000 && unordered > 50)
    }

    @Test("the same error as the generated decoder on every truncation and on damaged bytes")
    func errors() throws {
        var rng = SplitMix64(seed: 31)
        for version in Self.versions {
            for trial in 0..<3 {
                let tagged = OffsetFetchResponse.isFlexible(version) && trial != 0
                let bytes = try Self.randomAnswer(&rng, version: version, tagged: tagged).encoded(version: version)
                let asked = (0..<5).map { "group-\($0)" }
                for cut in 0..<bytes.count {
                    let prefix = Array(bytes[..<cut])
                    let reference = Self.reference(prefix, version: version)
                    #expect(Self.flat(prefix, version: version) == reference, "version \(version), cut at \(cut)")
                    #expect(Self.flat(prefix, version: version, asked: asked, names: Self.topicNames) == reference,
                            "version \(version), cut at \(cut)")
                }
                for _ in 0..<300 where !bytes.isEmpty {
                    var damaged = bytes
                    for _ in 0...rng.below(2) { damaged[rng.below(damaged.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                    let reference = Self.reference(damaged, version: version)
                    #expect(Self.flat(damaged, version: version) == reference, "version \(version)")
                    #expect(Self.flat(damaged, version: version, asked: asked, names: Self.topicNames) == reference, "version \(version)")
                }
            }
        }
        #expect(Self.flat([0, 0], version: 10) == .failure(.unsupportedVersion(api: "OffsetFetchResponse", version: 10)))
    }

    @Test("a group id equal to the one asked is that string; topic names are Metadata's strings")
    func sharedStrings() throws {
        let asked = ["group-with-a-long-id-0001", "group-with-a-long-id-0002"]
        let topic = "a-very-long-topic-name-beyond-the-small-string-limit"
        let answer = OffsetFetchResponse(groups: asked.map { id in
            .init(groupID: id, topics: [.init(name: topic, partitions: [.init(partitionIndex: 0, committedOffset: 4, metadata: "")])])
        })
        let bytes = try answer.encoded(version: 9)
        let flat = try Self.flat(bytes, version: 9, asked: asked.map { String(decoding: Array($0.utf8), as: UTF8.self) }, names: Self.topicNames).get()
        #expect(flat.groups.map(\.offsets.groupID) == asked)
        let known = Self.topicNames.interned(topic)
        for g in flat.groups { #expect(Self.same(g.offsets.offsets[0].topicPartition.topic, known)) }
        var askedCopies = asked.map { String(decoding: Array($0.utf8), as: UTF8.self) }
        let again = try Self.flat(bytes, version: 9, asked: askedCopies, names: Self.topicNames).get()
        for (k, g) in again.groups.enumerated() { #expect(Self.same(g.offsets.groupID, askedCopies[k])) }
        // An answer in another order: the ids are read, equal to the asked ones but not them.
        askedCopies.reverse()
        let reordered = try Self.flat(bytes, version: 9, asked: askedCopies, names: Self.topicNames).get()
        #expect(reordered.groups.map(\.offsets.groupID) == asked)
        for (k, g) in reordered.groups.enumerated() { #expect(!Self.same(g.offsets.groupID, askedCopies[k])) }
    }

    @Test("the request is the generated request's bytes")
    func request() throws {
        let r = OffsetFetchRequest(
            groups: [OffsetFetchRequest.OffsetFetchRequestGroup(groupID: "g", memberID: nil, memberEpoch: -1, topics: nil)],
            requireStable: true)
        #expect(try FlatOffsetFetchRequest(r).encoded(version: 9) == (try r.encoded(version: 9)))
        let old = OffsetFetchRequest(groupID: "g", topics: nil, requireStable: false)
        #expect(try FlatOffsetFetchRequest(old).encoded(version: 3) == (try old.encoded(version: 3)))
        #expect(try FlatOffsetFetchRequest.decode(try old.encoded(version: 3), version: 3) == FlatOffsetFetchRequest(old))
    }
}

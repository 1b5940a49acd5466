import GroupModel
import KafkaProtocol
import KafkaWire
import SeededRandom
import Testing
@testable import KafkaAdmin

/// The flat OffsetFetch answer against the generated decoder followed by the conversion of its
/// topics (``GroupOffsets/init(groupID:answered:)``), on random answers at every version the admin
/// client asks (2-9).
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
             [nil, "", "m", "metadata with ünïcode"][rng.below(4)], [0, 0, 0, 3, 87][rng.below(5)])
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
        let groups = (0..<rng.below(5)).map { _ in
            OffsetFetchResponse.OffsetFetchResponseGroup(
                groupID: "group-\(rng.below(10))",
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

    /// What the admin client made of the generated answer before it read answers flat.
    static func reference(_ r: OffsetFetchResponse, version: Int16) -> FlatOffsetFetchResponse {
        if version <= 7 {
            return FlatOffsetFetchResponse(
                throttleTimeMs: r.throttleTimeMs,
                groups: [.init(errorCode: r.errorCode, offsets: GroupOffsets(groupID: "", answered: r.topics))])
        }
        return FlatOffsetFetchResponse(
            throttleTimeMs: r.throttleTimeMs,
            groups: r.groups.map { .init(errorCode: $0.errorCode, offsets: GroupOffsets(groupID: $0.groupID, answered: $0.topics)) })
    }

    @Test("the flat answer reads what the generated answer converts to, at every version asked")
    func values() throws {
        var rng = SplitMix64(seed: 8)
        for version in Self.versions {
            for trial in 0..<80 {
                let tagged = OffsetFetchResponse.isFlexible(version) && trial % 2 == 1
                let bytes = try Self.randomAnswer(&rng, version: version, tagged: tagged).encoded(version: version)
                let flat = try FlatOffsetFetchResponse.decode(bytes, version: version)
                let generated = try OffsetFetchResponse.decode(bytes, version: version)
                #expect(flat == Self.reference(generated, version: version), "version \(version), trial \(trial)")
                // Written back, the flat answer reads as the same values.
                #expect(try FlatOffsetFetchResponse.decode(flat.encoded(version: version), version: version) == flat)
            }
        }
    }

    @Test("the flat answer fails where the generated decoder fails on every truncation")
    func truncated() throws {
        var rng = SplitMix64(seed: 31)
        for version in [Int16(2), 5, 6, 7, 8, 9] {
            let bytes = try Self.randomAnswer(&rng, version: version, tagged: OffsetFetchResponse.isFlexible(version)).encoded(version: version)
            for cut in 0..<bytes.count {
                let prefix = Array(bytes[..<cut])
                let generatedFails = (try? OffsetFetchResponse.decode(prefix, version: version)) == nil
                let flatFails = (try? FlatOffsetFetchResponse.decode(prefix, version: version)) == nil
                #expect(generatedFails == flatFails, "version \(version), cut at \(cut)")
            }
        }
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

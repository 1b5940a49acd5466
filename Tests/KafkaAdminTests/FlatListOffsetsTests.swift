import GroupModel
import KafkaProtocol
import KafkaWire
import SeededRandom
import Testing
@testable import KafkaAdmin

/// The flat ListOffsets request and answer against the generated types, on random content at every
/// version the admin client may send.
@Suite("FlatListOffsets")
struct FlatListOffsetsTests {
    static func name(_ rng: inout SplitMix64) -> String {
        let pool = ["orders", "scale-topic-1234", "t", "payments.v2", "évènements", "a-very-long-topic-name-beyond-the-small-string-limit"]
        return pool[rng.below(pool.count)] + (rng.below(3) == 0 ? "" : "-\(rng.below(100))")
    }

    static func randomRequest(_ rng: inout SplitMix64, version: Int16) -> FlatListOffsetsRequest {
        var r = FlatListOffsetsRequest(
            replicaID: -1, isolationLevel: version >= 2 ? Int8(rng.below(2)) : 0,
            timeoutMs: version >= 10 ? Int32(rng.below(60_000)) : 0,
            timestamp: [-1, -2, -3, 1_700_000_000_000][rng.below(4)])
        for _ in 0..<rng.below(6) {
            r.append(topic: name(&rng), partitions: (0..<rng.below(5)).map { _ in Int32(rng.below(1000)) })
        }
        return r
    }

    static func randomResponse(_ rng: inout SplitMix64, version: Int16, tagged: Bool) -> ListOffsetsResponse {
        func tags() -> [RawTaggedField] {
            guard tagged, rng.below(3) == 0 else { return [] }
            return [RawTaggedField(tag: UInt32(rng.below(5)), data: rng.bytes(rng.below(4)))]
        }
        let topics = (0..<rng.below(6)).map { _ in
            ListOffsetsResponse.ListOffsetsTopicResponse(
                name: name(&rng),
                partitions: (0..<rng.below(5)).map { _ in
                    ListOffsetsResponse.ListOffsetsPartitionResponse(
                        partitionIndex: Int32(rng.below(1000)), errorCode: [0, 0, 6, 3][rng.below(4)],
                        timestamp: rng.below(2) == 0 ? -1 : Int64(rng.below(1 << 40)),
                        offset: rng.below(5) == 0 ? -1 : Int64(rng.below(1 << 40)),
                        leaderEpoch: version >= 4 ? Int32(rng.below(20)) - 1 : -1,
                        unknownTaggedFields: tags())
                },
                unknownTaggedFields: tags())
        }
        return ListOffsetsResponse(
            throttleTimeMs: version >= 2 ? Int32(rng.below(100)) : 0, topics: topics, unknownTaggedFields: tags())
    }

    @Test("the flat request writes the generated request's bytes at every version")
    func requestBytes() throws {
        var rng = SplitMix64(seed: 17)
        for version in ListOffsetsRequest.validVersions {
            for _ in 0..<50 {
                let flat = Self.randomRequest(&rng, version: version)
                let bytes = try flat.encoded(version: version)
                #expect(bytes == (try flat.generated.encoded(version: version)))
                // And reads back through the generated decoder into the same request (the timestamp
                // is the first partition's: a request without partitions has none).
                if !flat.partitions.isEmpty {
                    #expect(try FlatListOffsetsRequest.decode(bytes, version: version) == flat)
                }
            }
        }
    }

    @Test("the flat answer reads the generated answer's values at every version, tagged fields skipped")
    func responseValues() throws {
        var rng = SplitMix64(seed: 4242)
        for version in ListOffsetsResponse.validVersions {
            for trial in 0..<80 {
                let tagged = Self.isFlexibleResponse(version) && trial % 2 == 1
                let generated = Self.randomResponse(&rng, version: version, tagged: tagged)
                let bytes = try generated.encoded(version: version)
                let flat = try FlatListOffsetsResponse.decode(bytes, version: version)
                let reference = try ListOffsetsResponse.decode(bytes, version: version)
                #expect(flat == FlatListOffsetsResponse(reference))
                if !tagged {
                    // Without tagged fields, the flat answer writes the same bytes back.
                    #expect(try flat.encoded(version: version) == bytes)
                }
            }
        }
    }

    @Test("the flat answer fails where the generated decoder fails: every truncation, a bad tag order")
    func malformed() throws {
        var rng = SplitMix64(seed: 99)
        for version in [Int16(1), 4, 5, 6, 11] {
            let bytes = try Self.randomResponse(&rng, version: version, tagged: Self.isFlexibleResponse(version)).encoded(version: version)
            for cut in 0..<bytes.count {
                let prefix = Array(bytes[..<cut])
                let generatedFails = (try? ListOffsetsResponse.decode(prefix, version: version)) == nil
                let flatFails = (try? FlatListOffsetsResponse.decode(prefix, version: version)) == nil
                #expect(generatedFails == flatFails, "version \(version), cut at \(cut)")
            }
        }
        // Tags out of order in the top-level section (v6+).
        var w = WireWriter()
        w.writeInt32(0)
        w.writeArrayCount(0, compact: true)
        w.writeUnsignedVarint(2)
        for tag in [UInt32(3), 1] {
            w.writeUnsignedVarint(tag)
            w.writeUnsignedVarint(0)
        }
        #expect(throws: WireError.self) { try ListOffsetsResponse.decode(w.bytes, version: 6) }
        #expect(throws: WireError.self) { try FlatListOffsetsResponse.decode(w.bytes, version: 6) }
    }

    @Test("answers are matched to the request in order, and by partition when out of order")
    func matching() {
        let unique = [
            TopicPartition(topic: "a", partition: 0), TopicPartition(topic: "a", partition: 1),
            TopicPartition(topic: "b", partition: 0), TopicPartition(topic: "c", partition: 2),
        ]
        var inOrder = FlatListOffsetsResponse()
        for (name, parts) in [("a", [Int32(0), 1]), ("b", [0])] {
            inOrder.topicNames.append(name)
            for p in parts {
                inOrder.partitionIndexes.append(p)
                inOrder.errorCodes.append(0)
                inOrder.timestamps.append(-1)
                inOrder.offsets.append(Int64(p))
                inOrder.leaderEpochs.append(-1)
            }
            inOrder.topicEnds.append(inOrder.partitionIndexes.count)
        }
        #expect(KafkaAdminClient.matchAnswers(.success(inOrder), slots: [0, 1, 2], unique: unique) == [0, 1, 2])
        // Slot 3 left out of the answer.
        #expect(KafkaAdminClient.matchAnswers(.success(inOrder), slots: [0, 1, 2, 3], unique: unique) == [0, 1, 2, -1])
        // Another order: "b" first.
        var swapped = FlatListOffsetsResponse()
        swapped.topicNames = ["b", "a"]
        swapped.partitionIndexes = [0, 1, 0]
        swapped.topicEnds = [1, 3]
        swapped.errorCodes = [0, 0, 0]
        swapped.timestamps = [-1, -1, -1]
        swapped.offsets = [7, 8, 9]
        swapped.leaderEpochs = [-1, -1, -1]
        #expect(KafkaAdminClient.matchAnswers(.success(swapped), slots: [0, 1, 2], unique: unique) == [2, 1, 0])
        #expect(KafkaAdminClient.matchAnswers(.failure(AdminItemError(.missingFromResponse)), slots: [0], unique: unique) == [])
        // With the request: an answer that mirrors it is matched position for position; one that
        // does not (a slot left out, another order) as without it.
        let asked = FlatListOffsetsRequest(asking: [0, 1, 2], of: unique, timestamp: -1)
        #expect(asked.topicNames == ["a", "b"] && asked.topicEnds == [2, 3] && asked.partitions == [0, 1, 0])
        #expect(inOrder.mirrors(asked) && !swapped.mirrors(asked))
        #expect(KafkaAdminClient.matchAnswers(.success(inOrder), slots: [0, 1, 2], unique: unique, asked: asked) == [0, 1, 2])
        #expect(KafkaAdminClient.matchAnswers(.success(swapped), slots: [0, 1, 2], unique: unique, asked: asked) == [2, 1, 0])
        let all = FlatListOffsetsRequest(asking: [0, 1, 2, 3], of: unique, timestamp: -1)
        #expect(!inOrder.mirrors(all))
        #expect(KafkaAdminClient.matchAnswers(.success(inOrder), slots: [0, 1, 2, 3], unique: unique, asked: all) == [0, 1, 2, -1])
        // Slots that skip entries of the list: the request asks for just those.
        let some = FlatListOffsetsRequest(asking: [1, 3], of: unique, timestamp: -2)
        #expect(some.topicNames == ["a", "c"] && some.topicEnds == [1, 2] && some.partitions == [1, 2] && some.timestamp == -2)
    }

    static func isFlexibleResponse(_ version: Int16) -> Bool { ListOffsetsResponse.isFlexible(version) }
}

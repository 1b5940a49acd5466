import GroupModel
import KafkaProtocol
import KafkaWire
import SeededRandom
import Testing
@testable import KafkaAdmin

/// What the admin client made of a generated Metadata answer before it read answers flat (the
/// conversion `ClusterMetadata` did, less the replica lists it no longer keeps): the reference the
/// flat reader is held to.
enum ReferenceMetadataConversion {
    static func flat(_ r: MetadataResponse) -> FlatMetadataResponse {
        var topics: [String: KafkaAdmin.TopicInfo] = [:]
        for t in r.topics {
            guard let name = t.name, !name.isEmpty else { continue }
            let partitions = t.partitions.map { p in
                PartitionInfo(
                    partition: p.partitionIndex, leaderID: p.leaderID >= 0 ? p.leaderID : nil,
                    leaderEpoch: p.leaderEpoch >= 0 ? p.leaderEpoch : nil, errorCode: p.errorCode)
            }.sorted { $0.partition < $1.partition }
            topics[name] = KafkaAdmin.TopicInfo(
                name: name, topicID: t.topicID, isInternal: t.isInternal, partitions: partitions, errorCode: t.errorCode)
        }
        return FlatMetadataResponse(
            throttleTimeMs: r.throttleTimeMs,
            brokers: r.brokers.map { KafkaAdmin.BrokerInfo(nodeID: $0.nodeID, host: $0.host, port: Int($0.port), rack: $0.rack) }.sorted(),
            clusterID: r.clusterID, controllerID: r.controllerID, topics: topics, errorCode: r.errorCode)
    }

    /// The cluster the generated answer describes.
    static func cluster(_ r: MetadataResponse, version: Int16, features: [String: Int16] = [:]) -> ClusterMetadata {
        ClusterMetadata(flat(r), version: version, features: features)
    }
}

/// The flat Metadata answer against the generated decoder followed by the conversion it replaced,
/// at every version: the same values, and the same error on every truncation and on damaged bytes.
@Suite("FlatMetadata")
struct FlatMetadataTests {
    static func pick<T>(_ rng: inout SplitMix64, _ pool: [T]) -> T { pool[rng.below(pool.count)] }

    static func tags(_ rng: inout SplitMix64, _ on: Bool) -> [RawTaggedField] {
        guard on, rng.below(3) == 0 else { return [] }
        return [RawTaggedField(tag: UInt32(rng.below(5)), data: rng.bytes(rng.below(4)))]
    }

    static func nodes(_ rng: inout SplitMix64) -> [Int32] {
        (0..<rng.below(4)).map { _ in Int32(rng.below(6)) - 1 }
    }

    static func randomAnswer(_ rng: inout SplitMix64, version: Int16) -> MetadataResponse {
        let tagged = MetadataResponse.isFlexible(version)
        let brokers = (0..<rng.below(5)).map { _ in
            MetadataResponse.MetadataResponseBroker(
                nodeID: Int32(rng.below(6)), host: pick(&rng, ["127.0.0.1", "broker-1.kafka.internal.example.com", "b", "hôte"]),
                port: Int32(rng.below(70_000)) - 100,
                rack: version >= 1 ? pick(&rng, [nil, "r1", "rack-with-a-name-longer-than-fifteen"]) : nil,
                unknownTaggedFields: tags(&rng, tagged))
        }
        let topics = (0..<rng.below(7)).map { _ -> MetadataResponse.MetadataResponseTopic in
            let names: [String?] = ["orders", "scale-topic-01234", "", "évènements", "a-very-long-topic-name-beyond-the-small-string-limit"]
                + (version >= 12 ? [nil] : [])
            let count = rng.below(6)
            var indexes = (0..<count).map { Int32($0) }
            if rng.below(3) == 0 { indexes.shuffle(using: &rng) }
            if rng.below(6) == 0 { indexes = indexes.map { $0 + Int32(rng.below(3)) - 1 } }
            let partitions = indexes.map { index in
                MetadataResponse.MetadataResponsePartition(
                    errorCode: pick(&rng, [0, 0, 0, 5, 9]), partitionIndex: index, leaderID: Int32(rng.below(6)) - 2,
                    leaderEpoch: version >= 7 ? Int32(rng.below(8)) - 2 : -1, replicaNodes: nodes(&rng), isrNodes: nodes(&rng),
                    offlineReplicas: version >= 5 ? nodes(&rng) : [], unknownTaggedFields: tags(&rng, tagged))
            }
            return MetadataResponse.MetadataResponseTopic(
                errorCode: pick(&rng, [0, 0, 3]), name: pick(&rng, names),
                topicID: version >= 10 && rng.below(4) != 0 ? KafkaUUID(high: rng.next(), low: rng.next()) : .zero,
                isInternal: version >= 1 && rng.below(5) == 0, partitions: partitions,
                topicAuthorizedOperations: version >= 8 ? Int32(rng.below(3)) - 1 : Int32.min,
                unknownTaggedFields: tags(&rng, tagged))
        }
        return MetadataResponse(
            throttleTimeMs: version >= 3 ? Int32(rng.below(50)) : 0, brokers: brokers,
            clusterID: version >= 2 ? pick(&rng, [nil, "cluster-7", "a-cluster-id-of-twenty-two"]) : nil,
            controllerID: version >= 1 ? Int32(rng.below(5)) - 1 : -1, topics: topics,
            clusterAuthorizedOperations: (8...10).contains(version) ? Int32(rng.below(3)) - 1 : Int32.min,
            errorCode: version >= 13 ? pick(&rng, [0, 0, 41]) : 0, unknownTaggedFields: tags(&rng, tagged))
    }

    static func reference(_ bytes: [UInt8], version: Int16) -> Result<FlatMetadataResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            return ReferenceMetadataConversion.flat(try MetadataResponse(from: &r, version: version))
        }
    }

    static func flat(_ bytes: [UInt8], version: Int16) -> Result<FlatMetadataResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            return try FlatMetadataResponse(from: &r, version: version)
        }
    }

    @Test("the flat answer reads what the generated answer converts to, v0-13")
    func values() throws {
        var rng = SplitMix64(seed: 12)
        var partitions = 0, unordered = 0
        for version in MetadataResponse.validVersions {
            for trial in 0..<120 {
                let answer = Self.randomAnswer(&rng, version: version)
                let bytes = try answer.encoded(version: version)
                let flat = try Self.flat(bytes, version: version).get()
                #expect(flat == (try Self.reference(bytes, version: version).get()), "version \(version), trial \(trial)")
                #expect(try FlatMetadataResponse.decode(bytes, version: version) == flat)
                partitions += flat.topics.values.reduce(0) { $0 + $1.partitions.count }
                unordered += answer.topics.filter { t in !zip(t.partitions, t.partitions.dropFirst()).allSatisfy { $0.partitionIndex < $1.partitionIndex } }.count
                // Written back, the flat answer reads as the same values.
                #expect(try FlatMetadataResponse.decode(flat.encoded(version: version), version: version) == flat)
                // And the cluster is the one the generated answer described.
                let features: [String: Int16] = ["group.version": 1]
                #expect(ClusterMetadata(flat, version: version, features: features)
                    == ReferenceMetadataConversion.cluster(answer, version: version, features: features))
            }
        }
        #expect(partitions > 3_000 && unordered > 200)
    }

    @Test("the same error as the generated decoder on every truncation and on damaged bytes")
    func errors() throws {
        var rng = SplitMix64(seed: 29)
        for version in MetadataResponse.validVersions {
            for _ in 0..<3 {
                let bytes = try Self.randomAnswer(&rng, version: version).encoded(version: version)
                for cut in 0..<bytes.count {
                    let prefix = Array(bytes[..<cut])
                    #expect(Self.flat(prefix, version: version) == Self.reference(prefix, version: version), "version \(version), cut at \(cut)")
                }
                for _ in 0..<300 where !bytes.isEmpty {
                    var damaged = bytes
                    for _ in 0...rng.below(2) { damaged[rng.below(damaged.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                    #expect(Self.flat(damaged, version: version) == Self.reference(damaged, version: version), "version \(version)")
                }
            }
        }
        #expect(Self.flat([0, 0], version: 14) == .failure(.unsupportedVersion(api: "MetadataResponse", version: 14)))
    }

    @Test("the request is the generated request's bytes")
    func request() throws {
        for version in MetadataRequest.validVersions {
            // As the admin client asks (v0-3 cannot carry allowAutoTopicCreation = false).
            let r = MetadataRequest(topics: version >= 1 ? nil : [], allowAutoTopicCreation: version < 4)
            #expect(try FlatMetadataRequest(r).encoded(version: version) == (try r.encoded(version: version)))
            #expect(try FlatMetadataRequest.decode(try r.encoded(version: version), version: version) == FlatMetadataRequest(r))
        }
    }

    @Test("a partition keeps its leader, epoch and error; -1 and below mean none")
    func partitionInfo() {
        var p = PartitionInfo(partition: 3, leaderID: -1, leaderEpoch: -7, errorCode: 9)
        #expect(p.leaderID == nil && p.leaderEpoch == nil && p.error?.code == 9)
        #expect(p == PartitionInfo(partition: 3, leaderID: nil, leaderEpoch: nil, errorCode: 9))
        p.leaderID = 2
        p.leaderEpoch = 5
        #expect(p.leaderID == 2 && p.leaderEpoch == 5)
        p.leaderID = -4
        #expect(p.leaderID == nil && p == PartitionInfo(partition: 3, leaderID: nil, leaderEpoch: 5, errorCode: 9))
        #expect(PartitionInfo(partition: 0, leaderID: 1).error == nil)
        #expect(MemoryLayout<PartitionInfo>.stride == 16)
    }
}

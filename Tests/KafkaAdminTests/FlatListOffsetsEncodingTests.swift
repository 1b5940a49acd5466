import KafkaProtocol
import KafkaWire
import SeededRandom
import Testing
@testable import KafkaAdmin

/// The flat ListOffsets request is sized and written through a pointer: held to the generated
/// request's bytes where lengths and counts take more than one varint byte, and where the writer
/// already holds bytes.
@Suite("FlatListOffsetsEncoding")
struct FlatListOffsetsEncodingTests {
    @Test("wide requests (multi-byte counts and name lengths) write the generated request's bytes at every version")
    func wideRequests() throws {
        var rng = SplitMix64(seed: 41)
        let long = String(repeating: "topic-name-of-some-length.", count: 6) + "é"
        for version in ListOffsetsRequest.validVersions {
            var flat = FlatListOffsetsRequest(
                replicaID: -1, isolationLevel: version >= 2 ? 1 : 0, timeoutMs: version >= 10 ? 30_000 : 0,
                timestamp: version.isMultiple(of: 2) ? -1 : -2)
            flat.append(topic: long, partitions: (0..<300).map { Int32($0) })
            for t in 0..<(130 + rng.below(40)) {
                flat.append(topic: "t\(t)", partitions: (0..<rng.below(4)).map { _ in Int32(rng.below(100_000)) })
            }
            flat.append(topic: "", partitions: [])
            let bytes = try flat.encoded(version: version)
            #expect(bytes == (try flat.generated.encoded(version: version)), "version \(version)")
            // Appended after what a writer holds already.
            var w = WireWriter()
            w.writeInt32(7)
            try flat.encode(to: &w, version: version)
            #expect(w.bytes == [0, 0, 0, 7] + bytes)
        }
    }

    @Test("an isolation level below v2 is refused, as the generated request refuses it")
    func isolationBelowV2() {
        let flat = FlatListOffsetsRequest(replicaID: -1, isolationLevel: 1, timeoutMs: 0, timestamp: -1)
        for version in Int16(1)...1 {
            #expect(throws: WireError.self) { try flat.encoded(version: version) }
            #expect(throws: WireError.self) { try flat.generated.encoded(version: version) }
        }
    }
}

import SeededRandom
import KafkaWire
import Testing

@Suite("CRC-32C")
struct CRC32CTests {
    /// Bit-at-a-time reference, independent of the table-driven implementation.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        }
        return ~c
    }

    @Test("standard check vectors")
    func vectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test("matches a bitwise reference at every length up to 100")
    func matchesReference() {
        var rng = SplitMix64(seed: 7)
        let data = rng.bytes(100)
        for n in 0...data.count {
            let slice = Array(data.prefix(n))
            #expect(CRC32C.checksum(slice) == Self.reference(slice), "length \(n)")
        }
    }

    @Test("incremental updates and ranges agree with one pass")
    func incremental() {
        var rng = SplitMix64(seed: 99)
        let data = rng.bytes(257)
        let whole = CRC32C.checksum(data)
        for split in stride(from: 0, through: data.count, by: 13) {
            let first = CRC32C.update(0, data, 0..<split)
            #expect(CRC32C.update(first, data, split..<data.count) == whole, "split \(split)")
        }
        #expect(CRC32C.checksum(data, range: 10..<50) == CRC32C.checksum(Array(data[10..<50])))
    }
}

/// CRC-32C (Castagnoli), the checksum of Kafka's record batch v2.
///
/// Reflected polynomial `0x82F63B78`, initial value and final XOR `0xFFFFFFFF`. Table-driven with
/// slicing-by-8: eight 256-entry tables, computed once, let the loop consume eight bytes per step.
public enum CRC32C {
    /// The reflected Castagnoli polynomial.
    public static let polynomial: UInt32 = 0x82F6_3B78

    /// Eight 256-entry tables back to back: `tables[k * 256 + b]` is the CRC contribution of byte
    /// `b` followed by `k` zero bytes.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ polynomial : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = t[(k - 1) * 256 + b]
                t[k * 256 + b] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// The checksum of all of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        update(0, bytes, bytes.startIndex..<bytes.endIndex)
    }

    /// The checksum of `bytes[range]`.
    public static func checksum(_ bytes: [UInt8], range: Range<Int>) -> UInt32 {
        update(0, bytes, range)
    }

    /// Extends a finished checksum `crc` (of earlier bytes; 0 for none) with `bytes[range]`, so that
    /// `update(checksum(a), b, b.indices) == checksum(a + b)`.
    ///
    /// - Precondition: `range` lies within `bytes`.
    public static func update(_ crc: UInt32, _ bytes: [UInt8], _ range: Range<Int>) -> UInt32 {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "CRC32C range out of bounds")
        var c = ~crc
        tables.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { p in
                var i = range.lowerBound
                let end = range.upperBound
                while end - i >= 8 {
                    let lo = c ^ (UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16 | UInt32(p[i + 3]) << 24)
                    c = t[7 * 256 + Int(lo & 0xFF)]
                        ^ t[6 * 256 + Int(lo >> 8 & 0xFF)]
                        ^ t[5 * 256 + Int(lo >> 16 & 0xFF)]
                        ^ t[4 * 256 + Int(lo >> 24)]
                        ^ t[3 * 256 + Int(p[i + 4])]
                        ^ t[2 * 256 + Int(p[i + 5])]
                        ^ t[1 * 256 + Int(p[i + 6])]
                        ^ t[Int(p[i + 7])]
                    i += 8
                }
                while i < end {
                    c = (c >> 8) ^ t[Int((c ^ UInt32(p[i])) & 0xFF)]
                    i += 1
                }
            }
        }
        return ~c
    }
}

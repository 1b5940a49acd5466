/// A Kafka UUID (topic ids, ...): 16 bytes, shown in Kafka's URL-safe base64 without padding.
public struct KafkaUUID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The most significant 8 bytes.
    public var high: UInt64
    /// The least significant 8 bytes.
    public var low: UInt64

    /// The all-zero UUID, which Kafka uses for "no id".
    public static let zero = KafkaUUID(high: 0, low: 0)

    /// Creates a UUID from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Whether this is the all-zero UUID.
    public var isZero: Bool { high == 0 && low == 0 }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return out
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Kafka's textual form: URL-safe base64 of the 16 bytes, no padding (22 characters).
    public var description: String {
        let b = bytes
        var out = [UInt8]()
        out.reserveCapacity(22)
        var i = 0
        while i + 3 <= b.count {
            let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            out.append(Self.alphabet[Int(n >> 18 & 63)])
            out.append(Self.alphabet[Int(n >> 12 & 63)])
            out.append(Self.alphabet[Int(n >> 6 & 63)])
            out.append(Self.alphabet[Int(n & 63)])
            i += 3
        }
        // 16 = 5*3 + 1: one byte remains.
        let n = UInt32(b[15]) << 16
        out.append(Self.alphabet[Int(n >> 18 & 63)])
        out.append(Self.alphabet[Int(n >> 12 & 63)])
        return String(decoding: out, as: UTF8.self)
    }

    /// The 32 lower-case hex digits.
    public var hex: String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return b < 16 ? "0" + s : s
        }.joined()
    }

    /// Parses Kafka's base64 form (22 characters); nil when it is not one.
    public init?(base64 text: String) {
        let chars = Array(text.utf8)
        guard chars.count == 22 else { return nil }
        var values = [UInt32]()
        for c in chars {
            guard let index = Self.alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt32(index))
        }
        var out = [UInt8]()
        var i = 0
        while i + 4 <= 20 {
            let n = values[i] << 18 | values[i + 1] << 12 | values[i + 2] << 6 | values[i + 3]
            out.append(UInt8(n >> 16 & 255)); out.append(UInt8(n >> 8 & 255)); out.append(UInt8(n & 255))
            i += 4
        }
        out.append(UInt8((values[20] << 2 | values[21] >> 4) & 255))
        self.init(bytes: out)
    }

    /// Creates a UUID from exactly 16 bytes; nil for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        self.init(high: h, low: l)
    }

    /// A random (version 4) UUID from the given generator.
    public static func random<G: RandomNumberGenerator>(using rng: inout G) -> KafkaUUID {
        var h = rng.next() as UInt64, l = rng.next() as UInt64
        h = (h & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        l = (l & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return KafkaUUID(high: h, low: l)
    }

    public static func < (a: KafkaUUID, b: KafkaUUID) -> Bool { (a.high, a.low) < (b.high, b.low) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = KafkaUUID(base64: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a Kafka UUID: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

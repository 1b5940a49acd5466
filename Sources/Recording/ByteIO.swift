// Little helpers for the recording's binary encoding: big-endian fixed-width integers, unsigned
// LEB128 varints and zigzag-coded signed varints.

/// Appends primitives to a byte buffer.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func varint(_ value: Int) { varint(UInt64(value)) }

    /// Zigzag: small magnitudes of either sign take few bytes.
    mutating func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        varint(utf8.count)
        bytes.append(contentsOf: utf8)
    }
}

/// Reads primitives from a byte buffer; every read is bounds-checked.
struct ByteReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    var remaining: Int { end - position }

    struct Overrun: Error {}

    mutating func u8() throws(Overrun) -> UInt8 {
        guard position < end else { throw Overrun() }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws(Overrun) -> UInt16 {
        let a = UInt16(try u8()), b = UInt16(try u8())
        return a << 8 | b
    }

    mutating func u32() throws(Overrun) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(try u8()) }
        return value
    }

    mutating func varint() throws(Overrun) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8()
            guard shift < 64 else { throw Overrun() }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A varint used as a count or index: bounded so a corrupt value cannot ask for huge allocations.
    mutating func count(limit: Int = 1 << 28) throws(Overrun) -> Int {
        let value = try varint()
        guard value <= UInt64(limit) else { throw Overrun() }
        return Int(value)
    }

    mutating func signed() throws(Overrun) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func take(_ n: Int) throws(Overrun) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw Overrun() }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func string() throws(Overrun) -> String {
        let n = try count()
        return String(decoding: try take(n), as: UTF8.self)
    }
}

/// Writes Kafka wire primitives into a growing byte buffer.
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// Creates an empty writer, optionally reserving capacity.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written.
    @inlinable public var count: Int { bytes.count }

    // MARK: - Fixed-width integers

    /// Writes an `int8`.
    public mutating func writeInt8(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }
    /// Writes a `bool` as one byte, 0 or 1.
    public mutating func writeBool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    @inline(__always)
    mutating func writeBigEndian(_ v: UInt64, width: Int) {
        var shift = (width - 1) * 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
            shift -= 8
        }
    }

    /// Writes a big-endian `int16`.
    public mutating func writeInt16(_ v: Int16) { writeBigEndian(UInt64(UInt16(bitPattern: v)), width: 2) }
    /// Writes a big-endian `uint16`.
    public mutating func writeUInt16(_ v: UInt16) { writeBigEndian(UInt64(v), width: 2) }
    /// Writes a big-endian `int32`.
    public mutating func writeInt32(_ v: Int32) { writeBigEndian(UInt64(UInt32(bitPattern: v)), width: 4) }
    /// Writes a big-endian `uint32`.
    public mutating func writeUInt32(_ v: UInt32) { writeBigEndian(UInt64(v), width: 4) }
    /// Writes a big-endian `int64`.
    public mutating func writeInt64(_ v: Int64) { writeBigEndian(UInt64(bitPattern: v), width: 8) }
    /// Writes a big-endian IEEE 754 `float64`.
    public mutating func writeFloat64(_ v: Double) { writeBigEndian(v.bitPattern, width: 8) }

    /// Overwrites 4 bytes at `at` with a big-endian `int32` (for size prefixes written afterwards).
    public mutating func patchInt32(_ v: Int32, at: Int) {
        let u = UInt32(bitPattern: v)
        bytes[at] = UInt8(truncatingIfNeeded: u >> 24)
        bytes[at + 1] = UInt8(truncatingIfNeeded: u >> 16)
        bytes[at + 2] = UInt8(truncatingIfNeeded: u >> 8)
        bytes[at + 3] = UInt8(truncatingIfNeeded: u)
    }

    // MARK: - Variable-length integers

    /// Writes an unsigned LEB128 varint.
    public mutating func writeUnsignedVarint(_ v: UInt32) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Writes an unsigned LEB128 varlong.
    public mutating func writeUnsignedVarlong(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Writes a zig-zag encoded signed varint.
    public mutating func writeVarint(_ v: Int32) {
        writeUnsignedVarint(UInt32(bitPattern: (v << 1) ^ (v >> 31)))
    }

    /// Writes a zig-zag encoded signed varlong.
    public mutating func writeVarlong(_ v: Int64) {
        writeUnsignedVarlong(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    /// The number of bytes `writeUnsignedVarint(v)` writes.
    public static func unsignedVarintSize(_ v: UInt32) -> Int {
        var n = 1
        var v = v
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    // MARK: - Lengths, strings, bytes, arrays

    /// Writes an array's element count, or null when `count` is nil.
    public mutating func writeArrayCount(_ count: Int?, compact: Bool) {
        if compact {
            writeUnsignedVarint(UInt32(truncatingIfNeeded: (count ?? -1) + 1))
        } else {
            writeInt32(Int32(truncatingIfNeeded: count ?? -1))
        }
    }

    /// Writes a nullable string (classic: int16 length; compact: varint length + 1).
    public mutating func writeNullableString(_ s: String?, compact: Bool) {
        guard let s else {
            if compact { writeUnsignedVarint(0) } else { writeInt16(-1) }
            return
        }
        let utf8 = s.utf8
        if compact {
            writeUnsignedVarint(UInt32(truncatingIfNeeded: utf8.count + 1))
        } else {
            writeInt16(Int16(truncatingIfNeeded: utf8.count))
        }
        bytes.append(contentsOf: utf8)
    }

    /// Writes a non-nullable string.
    public mutating func writeString(_ s: String, compact: Bool) { writeNullableString(s, compact: compact) }

    /// Writes nullable bytes (classic: int32 length; compact: varint length + 1).
    public mutating func writeNullableBytes(_ b: [UInt8]?, compact: Bool) {
        guard let b else {
            if compact { writeUnsignedVarint(0) } else { writeInt32(-1) }
            return
        }
        if compact {
            writeUnsignedVarint(UInt32(truncatingIfNeeded: b.count + 1))
        } else {
            writeInt32(Int32(truncatingIfNeeded: b.count))
        }
        bytes.append(contentsOf: b)
    }

    /// Writes non-nullable bytes.
    public mutating func writeBytes(_ b: [UInt8], compact: Bool) { writeNullableBytes(b, compact: compact) }

    /// Appends raw bytes with no prefix.
    public mutating func writeRawBytes(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// Writes a 16-byte UUID.
    public mutating func writeUUID(_ u: KafkaUUID) {
        writeBigEndian(u.high, width: 8)
        writeBigEndian(u.low, width: 8)
    }

    // MARK: - Tagged fields

    /// Writes a tagged-field section from fields already encoded as (tag, bytes), merged with the
    /// unknown fields kept from decoding, in ascending tag order as the protocol requires.
    public mutating func writeTaggedFields(_ known: [RawTaggedField], unknown: [RawTaggedField]) {
        var all = known
        if !unknown.isEmpty {
            all.append(contentsOf: unknown)
            all.sort { $0.tag < $1.tag }
        }
        writeUnsignedVarint(UInt32(all.count))
        for field in all {
            writeUnsignedVarint(field.tag)
            writeUnsignedVarint(UInt32(field.data.count))
            bytes.append(contentsOf: field.data)
        }
    }
}

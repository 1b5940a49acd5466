import SeededRandom
import Foundation
import KafkaWire
import Testing

@Suite("Wire primitives")
struct WirePrimitiveTests {
    // MARK: - Fixed width

    @Test("int8 round-trips", arguments: [Int8.min, -1, 0, 1, Int8.max])
    func int8(_ v: Int8) throws {
        let bytes = written { $0.writeInt8(v) }
        #expect(bytes.count == 1)
        #expect(try readAll(bytes) { r throws(WireError) in try r.readInt8() } == v)
    }

    @Test("int16 round-trips big-endian", arguments: [Int16.min, -1, 0, 1, 0x0102, Int16.max])
    func int16(_ v: Int16) throws {
        let bytes = written { $0.writeInt16(v) }
        #expect(bytes == [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)])
        #expect(try readAll(bytes) { r throws(WireError) in try r.readInt16() } == v)
    }

    @Test("int32 round-trips", arguments: [Int32.min, -1, 0, 1, 0x0102_0304, Int32.max])
    func int32(_ v: Int32) throws {
        let bytes = written { $0.writeInt32(v) }
        #expect(bytes.count == 4)
        #expect(try readAll(bytes) { r throws(WireError) in try r.readInt32() } == v)
    }

    @Test("int64 round-trips", arguments: [Int64.min, -1, 0, 1, 0x0102_0304_0506_0708, Int64.max])
    func int64(_ v: Int64) throws {
        let bytes = written { $0.writeInt64(v) }
        #expect(bytes.count == 8)
        #expect(try readAll(bytes) { r throws(WireError) in try r.readInt64() } == v)
    }

    @Test("uint16 and uint32 round-trip", arguments: [UInt32.min, 1, 0xFFFF, 0x8000_0000, UInt32.max])
    func unsigned(_ v: UInt32) throws {
        let b32 = written { $0.writeUInt32(v) }
        #expect(try readAll(b32) { r throws(WireError) in try r.readUInt32() } == v)
        let v16 = UInt16(truncatingIfNeeded: v)
        let b16 = written { $0.writeUInt16(v16) }
        #expect(try readAll(b16) { r throws(WireError) in try r.readUInt16() } == v16)
    }

    @Test("bool writes 0/1 and reads any non-zero as true")
    func bool() throws {
        #expect(written { $0.writeBool(true) } == [1])
        #expect(written { $0.writeBool(false) } == [0])
        #expect(try readAll([0x7F]) { r throws(WireError) in try r.readBool() } == true)
        #expect(try readAll([0x00]) { r throws(WireError) in try r.readBool() } == false)
    }

    @Test("float64 round-trips bit for bit",
          arguments: [0.0, -0.0, 1.5, Double.pi, Double.infinity, -Double.greatestFiniteMagnitude,
                      Double.leastNonzeroMagnitude, Double.nan])
    func float64(_ v: Double) throws {
        let bytes = written { $0.writeFloat64(v) }
        #expect(bytes.count == 8)
        let back = try readAll(bytes) { r throws(WireError) in try r.readFloat64() }
        #expect(back.bitPattern == v.bitPattern)
    }

    // MARK: - Varints

    @Test("unsigned varint boundaries have the right size and round-trip",
          arguments: [(UInt32(0), 1), (127, 1), (128, 2), (16383, 2), (16384, 3), (2_097_151, 3),
                      (2_097_152, 4), (268_435_455, 4), (268_435_456, 5), (UInt32.max, 5)] as [(UInt32, Int)])
    func unsignedVarint(_ v: UInt32, size: Int) throws {
        let bytes = written { $0.writeUnsignedVarint(v) }
        #expect(bytes.count == size)
        #expect(WireWriter.unsignedVarintSize(v) == size)
        #expect(try readAll(bytes) { r throws(WireError) in try r.readUnsignedVarint() } == v)
    }

    @Test("unsigned varint known encodings")
    func unsignedVarintBytes() {
        #expect(written { $0.writeUnsignedVarint(0) } == [0x00])
        #expect(written { $0.writeUnsignedVarint(127) } == [0x7F])
        #expect(written { $0.writeUnsignedVarint(128) } == [0x80, 0x01])
        #expect(written { $0.writeUnsignedVarint(16384) } == [0x80, 0x80, 0x01])
        #expect(written { $0.writeUnsignedVarint(UInt32.max) } == [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
    }

    @Test("unsigned varlong boundaries round-trip",
          arguments: [(UInt64(0), 1), (127, 1), (128, 2), (16383, 2), (16384, 3),
                      (UInt64(UInt32.max), 5), (UInt64(Int64.max), 9), (UInt64.max, 10)] as [(UInt64, Int)])
    func unsignedVarlong(_ v: UInt64, size: Int) throws {
        let bytes = written { $0.writeUnsignedVarlong(v) }
        #expect(bytes.count == size)
        #expect(try readAll(bytes) { r throws(WireError) in try r.readUnsignedVarlong() } == v)
    }

    @Test("zig-zag varint round-trips", arguments: [Int32.min, Int32.min + 1, -65, -64, -1, 0, 1, 63, 64, Int32.max])
    func varint(_ v: Int32) throws {
        let bytes = written { $0.writeVarint(v) }
        #expect(try readAll(bytes) { r throws(WireError) in try r.readVarint() } == v)
    }

    @Test("zig-zag maps small magnitudes to small codes")
    func zigZagBytes() {
        #expect(written { $0.writeVarint(0) } == [0x00])
        #expect(written { $0.writeVarint(-1) } == [0x01])
        #expect(written { $0.writeVarint(1) } == [0x02])
        #expect(written { $0.writeVarint(-64) } == [0x7F])
        #expect(written { $0.writeVarint(64) } == [0x80, 0x01])
        #expect(written { $0.writeVarint(Int32.min) } == [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(written { $0.writeVarlong(Int64.min) }.count == 10)
    }

    @Test("zig-zag varlong round-trips", arguments: [Int64.min, Int64.min + 1, -1, 0, 1, Int64(Int32.max) + 1, Int64.max])
    func varlong(_ v: Int64) throws {
        let bytes = written { $0.writeVarlong(v) }
        #expect(try readAll(bytes) { r throws(WireError) in try r.readVarlong() } == v)
    }

    @Test("a 6-byte varint is rejected")
    func varintTooLong() {
        let six: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        #expect(throws: WireError.varintTooLong(offset: 0)) { try readAll(six) { r throws(WireError) in try r.readUnsignedVarint() } }
        #expect(throws: WireError.varintTooLong(offset: 0)) { try readAll(six) { r throws(WireError) in try r.readVarint() } }
        // A 5th byte carrying bits above 32 is also too long.
        let overflow: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x1F]
        #expect(throws: WireError.varintTooLong(offset: 0)) { try readAll(overflow) { r throws(WireError) in try r.readUnsignedVarint() } }
        let eleven = [UInt8](repeating: 0x80, count: 10) + [0x01]
        #expect(throws: WireError.varintTooLong(offset: 0)) { try readAll(eleven) { r throws(WireError) in try r.readVarlong() } }
    }

    // MARK: - Strings

    static let strings = ["", "group-1", "grüße", "日本語のグループ", "🚀 launch", String(repeating: "x", count: 300)]

    @Test("strings round-trip in classic and compact form", arguments: strings, [false, true])
    func string(_ s: String, compact: Bool) throws {
        let bytes = written { $0.writeString(s, compact: compact) }
        #expect(bytes.count == s.utf8.count + (compact ? WireWriter.unsignedVarintSize(UInt32(s.utf8.count + 1)) : 2))
        #expect(try readAll(bytes) { r throws(WireError) in try r.readString(compact: compact) } == s)
        #expect(try readAll(bytes) { r throws(WireError) in try r.readNullableString(compact: compact) } == s)
    }

    @Test("null strings round-trip and are rejected where not nullable", arguments: [false, true])
    func nullString(compact: Bool) throws {
        let bytes = written { $0.writeNullableString(nil, compact: compact) }
        #expect(bytes == (compact ? [0x00] : [0xFF, 0xFF]))
        #expect(try readAll(bytes) { r throws(WireError) in try r.readNullableString(compact: compact) } == nil)
        #expect(throws: WireError.unexpectedNull(field: "groupID", offset: 0)) {
            try readAll(bytes) { r throws(WireError) in try r.readString(compact: compact, field: "groupID") }
        }
    }

    @Test("invalid UTF-8 is a typed error")
    func invalidUTF8() {
        let classic: [UInt8] = [0x00, 0x02, 0xC3, 0x28]
        #expect(throws: WireError.invalidUTF8(offset: 2)) {
            try readAll(classic) { r throws(WireError) in try r.readString(compact: false) }
        }
        let compact: [UInt8] = [0x03, 0xFF, 0xFE]
        #expect(throws: WireError.invalidUTF8(offset: 1)) {
            try readAll(compact) { r throws(WireError) in try r.readNullableString(compact: true) }
        }
    }

    @Test("a negative length other than -1 is invalid")
    func negativeLength() {
        #expect(throws: WireError.invalidLength(-2, offset: 0)) {
            try readAll([0xFF, 0xFE]) { r throws(WireError) in try r.readNullableString(compact: false) }
        }
        #expect(throws: WireError.invalidLength(-5, offset: 0)) {
            try readAll([0xFF, 0xFF, 0xFF, 0xFB]) { r throws(WireError) in try r.readArrayCount(compact: false) }
        }
    }

    // MARK: - Bytes and arrays

    static let byteValues: [[UInt8]?] = [nil, [], [0], [0xFF, 0x00, 0x7F], [UInt8](repeating: 0xAB, count: 200)]

    @Test("bytes round-trip in classic and compact form", arguments: byteValues, [false, true])
    func bytes(_ b: [UInt8]?, compact: Bool) throws {
        let encoded = written { $0.writeNullableBytes(b, compact: compact) }
        #expect(try readAll(encoded) { r throws(WireError) in try r.readNullableBytes(compact: compact) } == b)
        if let b {
            #expect(try readAll(encoded) { r throws(WireError) in try r.readBytes(compact: compact) } == b)
        } else {
            #expect(throws: WireError.self) { try readAll(encoded) { r throws(WireError) in try r.readBytes(compact: compact) } }
        }
    }

    @Test("array counts round-trip, including null", arguments: [nil, 0, 1, 3, 200] as [Int?], [false, true])
    func arrayCount(_ count: Int?, compact: Bool) throws {
        var w = WireWriter()
        w.writeArrayCount(count, compact: compact)
        // Counts are checked against the bytes that follow, so give each element one byte.
        w.writeRawBytes([UInt8](repeating: 0, count: count ?? 0))
        var r = WireReader(w.bytes)
        #expect(try r.readArrayCount(compact: compact) == count)
        #expect(r.remaining == (count ?? 0))
    }

    // MARK: - Hostile lengths

    @Test("huge length prefixes give lengthTooLarge before any allocation")
    func hostileLengths() {
        #expect(throws: WireError.lengthTooLarge(Int64(Int32.max), limit: 2, offset: 0)) {
            try readAll([0x7F, 0xFF, 0xFF, 0xFF, 1, 2]) { r throws(WireError) in try r.readNullableBytes(compact: false) }
        }
        #expect(throws: WireError.lengthTooLarge(Int64(UInt32.max) - 1, limit: 1, offset: 0)) {
            try readAll([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 9]) { r throws(WireError) in try r.readNullableBytes(compact: true) }
        }
        #expect(throws: WireError.lengthTooLarge(Int64(Int16.max), limit: 0, offset: 0)) {
            try readAll([0x7F, 0xFF]) { r throws(WireError) in try r.readString(compact: false) }
        }
        #expect(throws: WireError.lengthTooLarge(Int64(Int32.max), limit: 0, offset: 0)) {
            try readAll([0x7F, 0xFF, 0xFF, 0xFF]) { r throws(WireError) in try r.readArrayCount(compact: false) }
        }
        #expect(throws: WireError.lengthTooLarge(Int64(UInt32.max) - 1, limit: 0, offset: 0)) {
            try readAll([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { r throws(WireError) in try r.readArrayCount(compact: true) }
        }
    }

    // MARK: - UUID

    @Test("UUIDs round-trip through bytes and base64")
    func uuid() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<50 {
            let u = KafkaUUID.random(using: &rng)
            #expect(u.description.count == 22)
            #expect(KafkaUUID(base64: u.description) == u)
            let bytes = written { $0.writeUUID(u) }
            #expect(bytes == u.bytes)
            #expect(try readAll(bytes) { r throws(WireError) in try r.readUUID() } == u)
        }
        #expect(KafkaUUID.zero.description == "AAAAAAAAAAAAAAAAAAAAAA")
        #expect(KafkaUUID(base64: "not-a-uuid") == nil)
        #expect(KafkaUUID(base64: "AAAAAAAAAAAAAAAAAAAA*A") == nil)
        let json = try JSONEncoder().encode([KafkaUUID(high: 1, low: 2)])
        #expect(try JSONDecoder().decode([KafkaUUID].self, from: json) == [KafkaUUID(high: 1, low: 2)])
    }

    // MARK: - Tagged fields

    @Test("tagged fields: known ones are read, unknown ones kept in tag order and re-encoded")
    func taggedFields() throws {
        let unknownIn = [RawTaggedField(tag: 7, data: [9, 9]), RawTaggedField(tag: 2, data: [])]
        let known = [RawTaggedField(tag: 0, data: written { $0.writeInt32(1234) })]
        let bytes = written { $0.writeTaggedFields(known, unknown: unknownIn) }

        var r = WireReader(bytes)
        var unknown: [RawTaggedField] = []
        var value: Int32?
        try r.readTaggedFields(unknown: &unknown) { tag, sub throws(WireError) in
            guard tag == 0 else { return false }
            value = try sub.readInt32()
            return true
        }
        try r.expectEnd()
        #expect(value == 1234)
        #expect(unknown.map(\.tag) == [2, 7])
        #expect(unknown.last?.data == [9, 9])
        #expect(written { $0.writeTaggedFields(known, unknown: unknown) } == bytes)
    }

    @Test("tagged fields out of order are rejected")
    func taggedFieldOrder() {
        // Two fields, tags 3 then 1, each empty.
        let bytes: [UInt8] = [0x02, 0x03, 0x00, 0x01, 0x00]
        var unknown: [RawTaggedField] = []
        var r = WireReader(bytes)
        #expect(throws: WireError.invalidLength(1, offset: 3)) {
            try r.readTaggedFields(unknown: &unknown) { _, _ throws(WireError) in false }
        }
    }

    @Test("a known tagged field that leaves bytes unread is an error")
    func taggedFieldLeftovers() {
        let bytes = written { $0.writeTaggedFields([RawTaggedField(tag: 0, data: [1, 2, 3])], unknown: []) }
        var unknown: [RawTaggedField] = []
        var r = WireReader(bytes)
        #expect(throws: WireError.trailingBytes(count: 2)) {
            try r.readTaggedFields(unknown: &unknown) { _, sub throws(WireError) in _ = try sub.readInt8(); return true }
        }
    }

    // MARK: - Truncation

    /// A message using every primitive, and a reader for it.
    static func sample() -> [UInt8] {
        written { w in
            w.writeInt8(-3); w.writeInt16(300); w.writeInt32(-70000); w.writeInt64(1 << 40)
            w.writeUInt16(65000); w.writeUInt32(4_000_000_000); w.writeFloat64(2.5); w.writeBool(true)
            w.writeUnsignedVarint(300); w.writeUnsignedVarlong(1 << 50); w.writeVarint(-200); w.writeVarlong(-(1 << 45))
            w.writeString("héllo", compact: false); w.writeString("wörld", compact: true)
            w.writeNullableString(nil, compact: false); w.writeNullableBytes([1, 2, 3], compact: false)
            w.writeBytes([4, 5], compact: true); w.writeArrayCount(2, compact: true); w.writeInt8(1); w.writeInt8(2)
            w.writeUUID(KafkaUUID(high: 0x0102_0304_0506_0708, low: 0x1112_1314_1516_1718))
            w.writeTaggedFields([], unknown: [RawTaggedField(tag: 1, data: [0xAA, 0xBB])])
        }
    }

    static func readSample(_ r: inout WireReader) throws(WireError) {
        _ = try r.readInt8(); _ = try r.readInt16(); _ = try r.readInt32(); _ = try r.readInt64()
        _ = try r.readUInt16(); _ = try r.readUInt32(); _ = try r.readFloat64(); _ = try r.readBool()
        _ = try r.readUnsignedVarint(); _ = try r.readUnsignedVarlong(); _ = try r.readVarint(); _ = try r.readVarlong()
        _ = try r.readString(compact: false); _ = try r.readString(compact: true)
        _ = try r.readNullableString(compact: false); _ = try r.readNullableBytes(compact: false)
        _ = try r.readBytes(compact: true)
        let n = try r.readArrayCount(compact: true) ?? 0
        for _ in 0..<n { _ = try r.readInt8() }
        _ = try r.readUUID()
        var unknown: [RawTaggedField] = []
        try r.readTaggedFields(unknown: &unknown) { _, _ throws(WireError) in false }
    }

    @Test("the full sample decodes, and every truncation of it is a typed error")
    func truncationEverywhere() throws {
        let full = Self.sample()
        try readAll(full) { r throws(WireError) in try Self.readSample(&r) }
        for cut in 0..<full.count {
            let prefix = Array(full.prefix(cut))
            #expect(throws: WireError.self, "cut at \(cut)") {
                try readAll(prefix) { r throws(WireError) in try Self.readSample(&r) }
            }
        }
    }

    @Test("leftover bytes after a message are reported")
    func trailingBytes() {
        #expect(throws: WireError.trailingBytes(count: 2)) {
            try readAll([0, 1, 2, 3]) { r throws(WireError) in try r.readInt16() }
        }
    }

    @Test("sub-readers, skip and raw reads are bounded")
    func boundedHelpers() throws {
        var r = WireReader([1, 2, 3, 4])
        var sub = try r.subReader(2)
        #expect(try sub.readInt16() == 0x0102)
        #expect(throws: WireError.truncated(needed: 1, remaining: 0, offset: 2)) { try sub.readInt8() }
        #expect(throws: WireError.truncated(needed: 3, remaining: 2, offset: 2)) { try r.skip(3) }
        #expect(throws: WireError.invalidLength(-1, offset: 2)) { try r.readRawBytes(-1) }
        #expect(try r.readRawBytes(2) == [3, 4])
        #expect(r.isAtEnd)
    }
}

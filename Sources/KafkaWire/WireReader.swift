#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads Kafka wire primitives from a byte buffer, front to back.
///
/// Every read checks bounds first and throws ``WireError`` instead of trapping. Lengths and counts
/// are checked against the bytes that remain before anything is allocated, so a hostile length
/// prefix cannot make the reader allocate more than the input's size.
public struct WireReader: Sendable {
    @usableFromInline let storage: [UInt8]
    @usableFromInline let end: Int
    /// The index of the next byte to read (written only by the reader's own methods).
    @usableFromInline var _offset: Int
    /// The index of the next byte to read.
    @inlinable public var offset: Int { _offset }

    /// Creates a reader over all of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.storage = bytes
        self._offset = 0
        self.end = bytes.count
    }

    /// Creates a reader over `bytes[range]`.
    public init(_ bytes: [UInt8], range: Range<Int>) {
        self.storage = bytes
        self._offset = range.lowerBound
        self.end = range.upperBound
    }

    /// Bytes left to read.
    @inlinable public var remaining: Int { end - offset }
    /// Whether every byte has been read.
    @inlinable public var isAtEnd: Bool { offset >= end }

    @inlinable @inline(__always)
    mutating func need(_ n: Int) throws(WireError) {
        if n > end - offset { throw .truncated(needed: n, remaining: end - offset, offset: offset) }
    }

    /// Throws ``WireError/trailingBytes(count:)`` unless every byte was consumed.
    public func expectEnd() throws(WireError) {
        if offset != end { throw .trailingBytes(count: end - offset) }
    }

    // MARK: - Fixed-width integers

    /// Reads an `int8`.
    @inlinable public mutating func readInt8() throws(WireError) -> Int8 {
        try need(1)
        defer { _offset += 1 }
        return Int8(bitPattern: storage[offset])
    }

    /// Reads a `bool` (any non-zero byte is true, as Kafka's Java reader does).
    @inlinable public mutating func readBool() throws(WireError) -> Bool { try readInt8() != 0 }

    /// Reads `width` (1 to 8) bytes as a big-endian unsigned value. The bytes are loaded at once
    /// after one bounds check (``need(_:)``), not one checked subscript per byte.
    @inlinable @inline(__always)
    mutating func readBigEndian(_ width: Int) throws(WireError) -> UInt64 {
        try need(width)
        let at = offset
        _offset += width
        if width == 8 {
            return storage.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        }
        if width == 4 {
            return UInt64(storage.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) })
        }
        if width == 2 {
            return UInt64(storage.withUnsafeBytes { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt16.self)) })
        }
        var v: UInt64 = 0
        for i in at..<at + width { v = v << 8 | UInt64(storage[i]) }
        return v
    }

    /// Reads a big-endian `int16`.
    @inlinable public mutating func readInt16() throws(WireError) -> Int16 { Int16(truncatingIfNeeded: try readBigEndian(2)) }
    /// Reads a big-endian `uint16`.
    @inlinable public mutating func readUInt16() throws(WireError) -> UInt16 { UInt16(truncatingIfNeeded: try readBigEndian(2)) }
    /// Reads a big-endian `int32`.
    @inlinable public mutating func readInt32() throws(WireError) -> Int32 { Int32(truncatingIfNeeded: try readBigEndian(4)) }
    /// Reads a big-endian `uint32`.
    @inlinable public mutating func readUInt32() throws(WireError) -> UInt32 { UInt32(truncatingIfNeeded: try readBigEndian(4)) }
    /// Reads a big-endian `int64`.
    @inlinable public mutating func readInt64() throws(WireError) -> Int64 { Int64(bitPattern: try readBigEndian(8)) }
    /// Reads a big-endian IEEE 754 `float64`.
    @inlinable public mutating func readFloat64() throws(WireError) -> Double { Double(bitPattern: try readBigEndian(8)) }

    // MARK: - Variable-length integers

    /// Reads an unsigned LEB128 varint of at most 5 bytes (32 bits).
    @inlinable public mutating func readUnsignedVarint() throws(WireError) -> UInt32 {
        let start = offset
        var value: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            try need(1)
            let b = storage[offset]
            _offset += 1
            if shift == 28 && b > 0x0F { throw .varintTooLong(offset: start) }
            value |= UInt32(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
            if shift > 28 { throw .varintTooLong(offset: start) }
        }
    }

    /// Reads an unsigned LEB128 varlong of at most 10 bytes (64 bits).
    public mutating func readUnsignedVarlong() throws(WireError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            try need(1)
            let b = storage[offset]
            _offset += 1
            if shift == 63 && b > 0x01 { throw .varintTooLong(offset: start) }
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw .varintTooLong(offset: start) }
        }
    }

    /// Reads a zig-zag encoded signed varint (32 bits).
    @inlinable public mutating func readVarint() throws(WireError) -> Int32 {
        let u = try readUnsignedVarint()
        return Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// Reads a zig-zag encoded signed varlong (64 bits).
    public mutating func readVarlong() throws(WireError) -> Int64 {
        let u = try readUnsignedVarlong()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    // MARK: - Lengths

    /// Reads a length prefix: `int16` (classic strings), `int32` (classic bytes and arrays) or an
    /// unsigned varint minus one (compact forms). Returns nil for null (-1), and checks that the
    /// length fits in what remains when `bytesPerUnit` > 0.
    @inline(__always)
    mutating func readLength(compact: Bool, wide: Bool, bytesPerUnit: Int) throws(WireError) -> Int? {
        let start = offset
        let n: Int64
        if compact {
            n = Int64(try readUnsignedVarint()) - 1
        } else if wide {
            n = Int64(try readInt32())
        } else {
            n = Int64(try readInt16())
        }
        if n < -1 { throw .invalidLength(n, offset: start) }
        if n == -1 { return nil }
        if bytesPerUnit > 0 && n > Int64(remaining / bytesPerUnit) {
            throw .lengthTooLarge(n, limit: remaining, offset: start)
        }
        return Int(n)
    }

    /// Reads an array's element count (int32, or compact varint), nil for a null array. The count is
    /// bounded by the remaining bytes: every element in Kafka's schemas takes at least one byte.
    public mutating func readArrayCount(compact: Bool) throws(WireError) -> Int? {
        try readLength(compact: compact, wide: true, bytesPerUnit: 1)
    }

    /// Reads `count` raw bytes.
    public mutating func readRawBytes(_ count: Int) throws(WireError) -> [UInt8] {
        if count < 0 { throw .invalidLength(Int64(count), offset: offset) }
        try need(count)
        defer { _offset += count }
        return Array(storage[offset..<offset + count])
    }

    /// Skips `count` bytes.
    public mutating func skip(_ count: Int) throws(WireError) {
        if count < 0 { throw .invalidLength(Int64(count), offset: offset) }
        try need(count)
        _offset += count
    }

    /// The whole buffer the reader reads from (not only what is left): a caller that keeps where a
    /// value lay in it can later ask whether other bytes are the same (``skipBytes(ifEqualTo:_:)``).
    /// The array is shared, not copied.
    public var buffer: [UInt8] { storage }

    /// Moves past the next `range.count` bytes when they are `bytes[range]` and returns true;
    /// otherwise (different bytes, too few left, a range outside `bytes`) leaves the reader where it
    /// was and returns false.
    public mutating func skipBytes(ifEqualTo bytes: [UInt8], _ range: Range<Int>) -> Bool {
        let n = range.count
        guard n <= end - offset, range.lowerBound >= 0, range.upperBound <= bytes.count else { return false }
        if n == 0 { return true }
        let at = offset
        let equal = storage.withUnsafeBytes { s in
            bytes.withUnsafeBytes { b in memcmp(s.baseAddress! + at, b.baseAddress! + range.lowerBound, n) == 0 }
        }
        if equal { _offset += n }
        return equal
    }

    /// A reader over the next `count` bytes, which this reader then skips.
    public mutating func subReader(_ count: Int) throws(WireError) -> WireReader {
        if count < 0 { throw .invalidLength(Int64(count), offset: offset) }
        try need(count)
        defer { _offset += count }
        return WireReader(storage, range: offset..<offset + count)
    }

    // MARK: - Strings and bytes

    @inline(__always)
    mutating func decodeString(_ count: Int) throws(WireError) -> String {
        let start = offset
        try need(count)
        _offset += count
        if count == 0 { return "" }
        // Fast path: ASCII needs no validation beyond the high bit.
        var ascii = true
        for i in start..<start + count where storage[i] >= 0x80 { ascii = false; break }
        if ascii { return String(decoding: storage[start..<start + count], as: UTF8.self) }
        guard let s = String(validating: storage[start..<start + count], as: UTF8.self) else {
            throw .invalidUTF8(offset: start)
        }
        return s
    }

    /// Reads a nullable string (classic: int16 length; compact: varint length + 1).
    public mutating func readNullableString(compact: Bool) throws(WireError) -> String? {
        guard let n = try readLength(compact: compact, wide: false, bytesPerUnit: 1) else { return nil }
        return try decodeString(n)
    }

    /// Reads a non-nullable string; a null on the wire is an error naming `field`.
    public mutating func readString(compact: Bool, field: String = "string") throws(WireError) -> String {
        let at = offset
        guard let s = try readNullableString(compact: compact) else { throw .unexpectedNull(field: field, offset: at) }
        return s
    }

    /// Reads a non-nullable string as ``readString(compact:field:)`` does (the same value, the same
    /// errors), but when its bytes are those of a string of `table` returns the table's string, with
    /// no new string made.
    public mutating func readString(compact: Bool, field: String = "string", from table: WireStringTable) throws(WireError) -> String {
        let at = offset
        guard let n = try readLength(compact: compact, wide: false, bytesPerUnit: 1) else {
            throw .unexpectedNull(field: field, offset: at)
        }
        if n > 0, n <= end - offset, !table.isEmpty {
            let start = offset
            let found = storage.withUnsafeBufferPointer { table.number(ofUTF8: UnsafeBufferPointer(rebasing: $0[start..<start + n])) }
            if let found {
                _offset += n
                return table.strings[found]
            }
        }
        return try decodeString(n)
    }

    /// Moves past a non-null string when its bytes are `known`'s and returns true; otherwise
    /// (other bytes, a null, a bad or oversized length) leaves the reader where it was and returns
    /// false, so that ``readString(compact:field:)`` then reads the string, or throws what it
    /// would have thrown. Lets a decoder reuse a string it already holds instead of making an equal
    /// one (a topic named again by the next member of a group).
    public mutating func skipString(compact: Bool, ifEqualTo known: String) -> Bool {
        let start = offset
        guard let n = try? readLength(compact: compact, wide: false, bytesPerUnit: 1), n <= end - offset else {
            _offset = start
            return false
        }
        var known = known
        let at = offset
        let equal = known.withUTF8 { k -> Bool in
            guard k.count == n else { return false }
            return storage.withUnsafeBufferPointer { s in
                var i = 0
                while i < n, k[i] == s[at + i] { i += 1 }
                return i == n
            }
        }
        if equal {
            _offset += n
        } else {
            _offset = start
        }
        return equal
    }

    /// ``skipString(compact:ifEqualTo:)`` for a nullable string: moves past a null when `known` is
    /// nil, or past `known`'s bytes; otherwise leaves the reader where it was and returns false.
    public mutating func skipNullableString(compact: Bool, ifEqualTo known: String?) -> Bool {
        if let known { return skipString(compact: compact, ifEqualTo: known) }
        let start = offset
        do {
            if try readLength(compact: compact, wide: false, bytesPerUnit: 1) == nil { return true }
        } catch {}
        _offset = start
        return false
    }

    /// Reads nullable bytes (classic: int32 length; compact: varint length + 1).
    public mutating func readNullableBytes(compact: Bool) throws(WireError) -> [UInt8]? {
        guard let n = try readLength(compact: compact, wide: true, bytesPerUnit: 1) else { return nil }
        return try readRawBytes(n)
    }

    /// Reads non-nullable bytes; a null on the wire is an error naming `field`.
    public mutating func readBytes(compact: Bool, field: String = "bytes") throws(WireError) -> [UInt8] {
        let at = offset
        guard let b = try readNullableBytes(compact: compact) else { throw .unexpectedNull(field: field, offset: at) }
        return b
    }

    /// Reads nullable bytes as a reader over them, without copying them out: nil for null, and the
    /// same errors as ``readNullableBytes(compact:)``.
    public mutating func readNullableBytesInPlace(compact: Bool) throws(WireError) -> WireReader? {
        guard let n = try readLength(compact: compact, wide: true, bytesPerUnit: 1) else { return nil }
        return try subReader(n)
    }

    /// Reads non-nullable bytes as a reader over them, without copying them out; the same errors as
    /// ``readBytes(compact:field:)``.
    public mutating func readBytesInPlace(compact: Bool, field: String = "bytes") throws(WireError) -> WireReader {
        let at = offset
        guard let b = try readNullableBytesInPlace(compact: compact) else { throw .unexpectedNull(field: field, offset: at) }
        return b
    }

    /// Reads a 16-byte UUID.
    public mutating func readUUID() throws(WireError) -> KafkaUUID {
        let h = try readBigEndian(8)
        let l = try readBigEndian(8)
        return KafkaUUID(high: h, low: l)
    }

    // MARK: - Tagged fields

    /// Reads one tagged field's tag and size and returns the tag with a reader over its bytes.
    /// Tags must be strictly ascending within a section (`previous` tracks the last one; start at -1),
    /// which keeps a decoded value's re-encoding byte-exact.
    public mutating func readTaggedField(previous: inout Int64) throws(WireError) -> (tag: UInt32, data: WireReader) {
        let at = offset
        let tag = try readUnsignedVarint()
        if Int64(tag) <= previous { throw .invalidLength(Int64(tag), offset: at) }
        previous = Int64(tag)
        let size = Int(try readUnsignedVarint())
        return (tag, try subReader(size))
    }

    /// Reads a tagged-field section, calling `known` for each field; `known` reads the field from
    /// the sub-reader it is given and returns true, or returns false for a tag it does not know,
    /// which is then kept in `unknown` with its raw bytes.
    public mutating func readTaggedFields(
        unknown: inout [RawTaggedField],
        _ known: (UInt32, inout WireReader) throws(WireError) -> Bool
    ) throws(WireError) {
        let count = try readUnsignedVarint()
        if Int(count) > remaining { throw .lengthTooLarge(Int64(count), limit: remaining, offset: offset) }
        var previous: Int64 = -1
        for _ in 0..<count {
            let tagAt = offset
            let tag = try readUnsignedVarint()
            if Int64(tag) <= previous { throw .invalidLength(Int64(tag), offset: tagAt) }
            previous = Int64(tag)
            let size = Int(try readUnsignedVarint())
            var sub = try subReader(size)
            if try known(tag, &sub) {
                try sub.expectEnd()
            } else {
                unknown.append(RawTaggedField(tag: tag, data: try sub.readRawBytes(sub.remaining)))
            }
        }
    }
}

/// A tagged field this codec does not know, kept byte for byte so it survives a re-encode.
public struct RawTaggedField: Sendable, Hashable {
    /// The field's tag.
    public var tag: UInt32
    /// The field's raw value bytes.
    public var data: [UInt8]

    /// Creates a raw tagged field.
    public init(tag: UInt32, data: [UInt8]) {
        self.tag = tag
        self.data = data
    }
}

/// One header of a record: a string key and nullable bytes.
public struct RecordHeader: Sendable, Hashable {
    /// The header's key (never null on the wire).
    public var key: String
    /// The header's value; nil is a null value.
    public var value: [UInt8]?

    /// Creates a header.
    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// One record inside an uncompressed record batch (v2).
public struct Record: Sendable, Hashable {
    /// Record attributes (unused by Kafka today, kept as read).
    public var attributes: Int8
    /// Milliseconds from the batch's `baseTimestamp`.
    public var timestampDelta: Int64
    /// Distance from the batch's `baseOffset`.
    public var offsetDelta: Int32
    /// The key; nil is a null key.
    public var key: [UInt8]?
    /// The value; nil is a null value (a tombstone on a compacted topic).
    public var value: [UInt8]?
    /// The headers, in wire order.
    public var headers: [RecordHeader]

    /// Creates a record.
    public init(
        attributes: Int8 = 0, timestampDelta: Int64, offsetDelta: Int32,
        key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []
    ) {
        self.attributes = attributes
        self.timestampDelta = timestampDelta
        self.offsetDelta = offsetDelta
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A record batch, magic 2: the unit a partition's log, Produce and Fetch are made of.
///
/// Layout (big-endian): `baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 |
/// crc u32 | attributes i16 | lastOffsetDelta i32 | baseTimestamp i64 | maxTimestamp i64 |
/// producerId i64 | producerEpoch i16 | baseSequence i32 | recordCount i32 | records`. The CRC-32C
/// covers `attributes` to the end, so `baseOffset` and `partitionLeaderEpoch` can be rewritten in
/// place without recomputing it.
///
/// kgtop does not decompress: a compressed batch decodes its header, keeps the payload in
/// ``compressedPayload`` and explains in ``recordsUnavailableReason`` why ``records`` is empty.
public struct RecordBatch: Sendable, Hashable {
    /// The compression codec, attribute bits 0-2.
    public enum Compression: Int16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Uncompressed.
        case none = 0
        /// gzip.
        case gzip = 1
        /// Snappy.
        case snappy = 2
        /// LZ4.
        case lz4 = 3
        /// Zstandard.
        case zstd = 4

        /// The codec's lower-case name, as in Kafka's `compression.type`.
        public var description: String {
            switch self {
            case .none: "none"
            case .gzip: "gzip"
            case .snappy: "snappy"
            case .lz4: "lz4"
            case .zstd: "zstd"
            }
        }
    }

    /// Which clock the timestamps come from, attribute bit 3.
    public enum TimestampType: Sendable, Hashable {
        /// Set by the producer.
        case createTime
        /// Set by the broker when it appended the batch (then ``maxTimestamp`` is the time).
        case logAppendTime
    }

    /// The offset of the first record.
    public var baseOffset: Int64
    /// The leader epoch of the partition when the batch was appended (-1 from producers).
    public var partitionLeaderEpoch: Int32
    /// Raw attribute bits; see ``compression``, ``timestampType``, ``isTransactional``, ``isControl``.
    public var attributes: Int16
    /// The offset delta of the last record; the batch covers `baseOffset...baseOffset + lastOffsetDelta`.
    public var lastOffsetDelta: Int32
    /// The timestamp the records' deltas count from.
    public var baseTimestamp: Int64
    /// The largest timestamp in the batch (the append time under LogAppendTime).
    public var maxTimestamp: Int64
    /// The idempotent producer's id, -1 when none.
    public var producerID: Int64
    /// The idempotent producer's epoch, -1 when none.
    public var producerEpoch: Int16
    /// The sequence number of the first record, -1 when none.
    public var baseSequence: Int32
    /// The record count from the header. Encoding an uncompressed batch writes `records.count` instead.
    public var recordCount: Int32
    /// The records; empty when the batch is compressed (see ``recordsUnavailableReason``).
    public var records: [Record]
    /// The still-compressed records section of a compressed batch, kept byte for byte; nil otherwise.
    public var compressedPayload: [UInt8]?
    /// Why ``records`` is empty although the batch holds records; nil when they were decoded.
    public var recordsUnavailableReason: String?

    /// The magic byte of record batch v2.
    public static let magic: Int8 = 2
    /// Bytes before the records: the fixed header up to and including `recordCount`.
    public static let headerSize = 61
    /// Bytes from `baseOffset` to the end of `batchLength`, which `batchLength` does not count.
    public static let logOverhead = 12

    // Byte positions of header fields, from the start of the batch.
    static let batchLengthOffset = 8
    static let partitionLeaderEpochOffset = 12
    static let magicOffset = 16
    static let crcOffset = 17
    static let attributesOffset = 21
    static let lastOffsetDeltaOffset = 23
    static let maxTimestampOffset = 35
    static let recordCountOffset = 57

    /// Creates a batch. `recordCount` is taken from `records`.
    public init(
        baseOffset: Int64, partitionLeaderEpoch: Int32 = -1, attributes: Int16 = 0,
        lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64,
        producerID: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
        records: [Record]
    ) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordCount = Int32(truncatingIfNeeded: records.count)
        self.records = records
        self.compressedPayload = nil
        self.recordsUnavailableReason = nil
    }

    // MARK: - Attributes

    /// The compression codec; nil when the codec bits hold a value Kafka does not define (5-7).
    public var compression: Compression? {
        get { Compression(rawValue: attributes & 0x07) }
        set { attributes = (attributes & ~0x07) | (newValue ?? .none).rawValue }
    }

    /// Whether the timestamps are CreateTime or LogAppendTime.
    public var timestampType: TimestampType {
        get { attributes & 0x08 != 0 ? .logAppendTime : .createTime }
        set { attributes = newValue == .logAppendTime ? attributes | 0x08 : attributes & ~0x08 }
    }

    /// Whether the batch belongs to a transaction.
    public var isTransactional: Bool {
        get { attributes & 0x10 != 0 }
        set { attributes = newValue ? attributes | 0x10 : attributes & ~0x10 }
    }

    /// Whether the batch holds control records (transaction markers) rather than data.
    public var isControl: Bool {
        get { attributes & 0x20 != 0 }
        set { attributes = newValue ? attributes | 0x20 : attributes & ~0x20 }
    }

    /// Whether `baseTimestamp` holds a delete horizon (set by log compaction).
    public var hasDeleteHorizon: Bool { attributes & 0x40 != 0 }

    // MARK: - Derived values

    /// The offset after the batch's last record: where the next batch starts.
    public var nextOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) &+ 1 }

    /// The absolute offset of `record`.
    public func offset(of record: Record) -> Int64 { baseOffset &+ Int64(record.offsetDelta) }

    /// The time of `record` for lag purposes: `baseTimestamp + timestampDelta` under CreateTime, the
    /// batch's `maxTimestamp` under LogAppendTime.
    public func timestamp(of record: Record) -> Int64 {
        timestampType == .logAppendTime ? maxTimestamp : baseTimestamp &+ record.timestampDelta
    }

    // MARK: - Making batches

    /// A plain uncompressed batch of `records` (key, value, timestamp in ms), offsets counting from
    /// `baseOffset`, with no producer id. An empty list gives an empty batch with timestamps -1.
    public static func make(
        records: [(key: [UInt8]?, value: [UInt8]?, timestamp: Int64)], baseOffset: Int64 = 0
    ) -> RecordBatch {
        let base = records.first?.timestamp ?? -1
        let maxTime = records.map(\.timestamp).max() ?? -1
        let built = records.enumerated().map { index, r in
            Record(timestampDelta: r.timestamp &- base, offsetDelta: Int32(truncatingIfNeeded: index),
                   key: r.key, value: r.value)
        }
        return RecordBatch(
            baseOffset: baseOffset, lastOffsetDelta: Int32(truncatingIfNeeded: max(records.count - 1, 0)),
            baseTimestamp: base, maxTimestamp: maxTime, records: built)
    }

    // MARK: - Encoding

    /// Appends the encoded batch, computing `batchLength` and the CRC.
    ///
    /// An uncompressed batch writes ``records`` (and `records.count` as the count); a batch with a
    /// ``compressedPayload`` writes ``recordCount`` and the payload unchanged.
    public func encode(to w: inout WireWriter) {
        let start = w.count
        w.writeInt64(baseOffset)
        w.writeInt32(0)  // batchLength, patched below
        w.writeInt32(partitionLeaderEpoch)
        w.writeInt8(Self.magic)
        w.writeUInt32(0)  // crc, patched below
        let crcStart = w.count
        w.writeInt16(attributes)
        w.writeInt32(lastOffsetDelta)
        w.writeInt64(baseTimestamp)
        w.writeInt64(maxTimestamp)
        w.writeInt64(producerID)
        w.writeInt16(producerEpoch)
        w.writeInt32(baseSequence)
        if let compressedPayload {
            w.writeInt32(recordCount)
            w.writeRawBytes(compressedPayload)
        } else {
            w.writeInt32(Int32(truncatingIfNeeded: records.count))
            var body = WireWriter(capacity: 64)
            for record in records {
                body.bytes.removeAll(keepingCapacity: true)
                record.encodeBody(to: &body)
                w.writeVarint(Int32(truncatingIfNeeded: body.count))
                w.writeRawBytes(body.bytes)
            }
        }
        w.patchInt32(Int32(truncatingIfNeeded: w.count - start - Self.logOverhead), at: start + Self.batchLengthOffset)
        let crc = CRC32C.checksum(w.bytes, range: crcStart..<w.count)
        w.patchInt32(Int32(bitPattern: crc), at: start + Self.crcOffset)
    }

    /// The encoded batch.
    public func encoded() -> [UInt8] {
        var w = WireWriter(capacity: Self.headerSize + records.count * 32 + (compressedPayload?.count ?? 0))
        encode(to: &w)
        return w.bytes
    }

    // MARK: - Decoding

    /// Decodes exactly one batch that fills all of `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> RecordBatch {
        var r = WireReader(bytes)
        let batch = try decode(from: &r)
        try r.expectEnd()
        return batch
    }

    /// Decodes one batch at the reader's position, verifying the magic byte and the CRC.
    public static func decode(from r: inout WireReader) throws(WireError) -> RecordBatch {
        let baseOffset = try r.readInt64()
        let lengthAt = r.offset
        let batchLength = try r.readInt32()
        if batchLength < Int32(headerSize - logOverhead) {
            throw .invalidRecordBatch(
                "batch length \(batchLength) at offset \(lengthAt) is shorter than the \(headerSize - logOverhead)-byte v2 header")
        }
        var body = try r.subReader(Int(batchLength))
        let partitionLeaderEpoch = try body.readInt32()
        let magic = try body.readInt8()
        if magic != Self.magic {
            throw .invalidRecordBatch("magic \(magic) at offset \(body.offset - 1): only record batch v2 (magic 2) is supported")
        }
        let storedCRC = try body.readUInt32()
        let computedCRC = CRC32C.checksum(body.storage, range: body.offset..<body.end)
        if storedCRC != computedCRC {
            throw .invalidRecordBatch(
                "CRC mismatch in batch at base offset \(baseOffset): stored \(hex(storedCRC)), computed \(hex(computedCRC))")
        }
        var batch = RecordBatch(
            baseOffset: baseOffset,
            partitionLeaderEpoch: partitionLeaderEpoch,
            attributes: try body.readInt16(),
            lastOffsetDelta: try body.readInt32(),
            baseTimestamp: try body.readInt64(),
            maxTimestamp: try body.readInt64(),
            producerID: try body.readInt64(),
            producerEpoch: try body.readInt16(),
            baseSequence: try body.readInt32(),
            records: [])
        let countAt = body.offset
        batch.recordCount = try body.readInt32()
        if batch.recordCount < 0 {
            throw .invalidRecordBatch("negative record count \(batch.recordCount) at offset \(countAt)")
        }
        guard let compression = batch.compression else {
            throw .invalidRecordBatch("unknown compression codec \(batch.attributes & 0x07) in batch at base offset \(baseOffset)")
        }
        if compression != .none {
            batch.compressedPayload = try body.readRawBytes(body.remaining)
            batch.recordsUnavailableReason = "\(compression)-compressed batch: kgtop does not decompress records"
            return batch
        }
        // Every record takes at least 7 bytes (length, attributes, three deltas, key and value
        // lengths, header count): a hostile count cannot make us reserve more than the input.
        if Int(batch.recordCount) > body.remaining {
            throw .lengthTooLarge(Int64(batch.recordCount), limit: body.remaining, offset: countAt)
        }
        var records: [Record] = []
        records.reserveCapacity(Int(batch.recordCount))
        for _ in 0..<batch.recordCount {
            records.append(try Record.decode(from: &body))
        }
        if !body.isAtEnd {
            throw .invalidRecordBatch(
                "\(body.remaining) byte(s) after the last of \(batch.recordCount) record(s) in batch at base offset \(baseOffset)")
        }
        batch.records = records
        return batch
    }

    /// The batches of a `records` field, and what was left over.
    public struct DecodedBatches: Sendable, Hashable {
        /// The complete batches, in order.
        public var batches: [RecordBatch]
        /// Bytes of a trailing partial batch that were skipped (0 when the input ended cleanly).
        public var skippedTrailingBytes: Int
    }

    /// Decodes every batch of a `records` field (Fetch responses, Produce requests).
    ///
    /// A broker may cut the last batch short at the fetch size limit; such a trailing partial batch
    /// ends decoding cleanly and its size is reported in ``DecodedBatches/skippedTrailingBytes``. A complete
    /// batch that fails validation still throws.
    public static func decodeAll(_ bytes: [UInt8]) throws(WireError) -> DecodedBatches {
        var batches: [RecordBatch] = []
        var r = WireReader(bytes)
        while !r.isAtEnd {
            let start = r.offset
            if r.remaining < logOverhead { return DecodedBatches(batches: batches, skippedTrailingBytes: r.remaining) }
            var peek = r
            _ = try peek.readInt64()
            let batchLength = try peek.readInt32()
            // A length below the header size is corruption, not truncation; let decode report it.
            if batchLength >= 0, Int(batchLength) > peek.remaining {
                return DecodedBatches(batches: batches, skippedTrailingBytes: bytes.count - start)
            }
            batches.append(try decode(from: &r))
        }
        return DecodedBatches(batches: batches, skippedTrailingBytes: 0)
    }

    // MARK: - Working on encoded bytes

    /// Overwrites the `baseOffset` of the encoded batch starting at `start`, leaving the CRC valid
    /// (it does not cover `baseOffset`). This is how a broker assigns offsets on append.
    public static func setBaseOffset(_ baseOffset: Int64, in bytes: inout [UInt8], at start: Int) throws(WireError) {
        try checkHeader(bytes, at: start)
        let u = UInt64(bitPattern: baseOffset)
        for i in 0..<8 { bytes[start + i] = UInt8(truncatingIfNeeded: u >> UInt64(56 - 8 * i)) }
    }

    /// Overwrites the `partitionLeaderEpoch` of the encoded batch starting at `start`, leaving the
    /// CRC valid.
    public static func setPartitionLeaderEpoch(_ epoch: Int32, in bytes: inout [UInt8], at start: Int) throws(WireError) {
        try checkHeader(bytes, at: start)
        let u = UInt32(bitPattern: epoch)
        for i in 0..<4 { bytes[start + partitionLeaderEpochOffset + i] = UInt8(truncatingIfNeeded: u >> UInt32(24 - 8 * i)) }
    }

    /// The `baseOffset` of the encoded batch starting at `start`.
    public static func baseOffset(in bytes: [UInt8], at start: Int = 0) throws(WireError) -> Int64 {
        var r = try headerReader(bytes, at: start, field: 0)
        return try r.readInt64()
    }

    /// The total encoded size (`batchLength` + 12) of the batch starting at `start`.
    public static func encodedSize(in bytes: [UInt8], at start: Int = 0) throws(WireError) -> Int {
        var r = try headerReader(bytes, at: start, field: batchLengthOffset)
        return logOverhead + Int(try r.readInt32())
    }

    /// The `lastOffsetDelta` of the encoded batch starting at `start`.
    public static func lastOffsetDelta(in bytes: [UInt8], at start: Int = 0) throws(WireError) -> Int32 {
        var r = try headerReader(bytes, at: start, field: lastOffsetDeltaOffset)
        return try r.readInt32()
    }

    /// The `maxTimestamp` of the encoded batch starting at `start`.
    public static func maxTimestamp(in bytes: [UInt8], at start: Int = 0) throws(WireError) -> Int64 {
        var r = try headerReader(bytes, at: start, field: maxTimestampOffset)
        return try r.readInt64()
    }

    /// The `recordCount` of the encoded batch starting at `start`.
    public static func recordCount(in bytes: [UInt8], at start: Int = 0) throws(WireError) -> Int32 {
        var r = try headerReader(bytes, at: start, field: recordCountOffset)
        return try r.readInt32()
    }

    /// Checks that a whole v2 header is present at `start`, with the right magic byte.
    static func checkHeader(_ bytes: [UInt8], at start: Int) throws(WireError) {
        guard start >= 0, start <= bytes.count else {
            throw .invalidRecordBatch("batch start \(start) is outside the \(bytes.count)-byte buffer")
        }
        if bytes.count - start < headerSize {
            throw .truncated(needed: headerSize, remaining: bytes.count - start, offset: start)
        }
        let magic = Int8(bitPattern: bytes[start + magicOffset])
        if magic != Self.magic {
            throw .invalidRecordBatch("magic \(magic) at offset \(start + magicOffset): only record batch v2 (magic 2) is supported")
        }
    }

    /// A reader positioned at `field` bytes into the checked header at `start`.
    static func headerReader(_ bytes: [UInt8], at start: Int, field: Int) throws(WireError) -> WireReader {
        try checkHeader(bytes, at: start)
        var r = WireReader(bytes, range: start..<bytes.count)
        try r.skip(field)
        return r
    }

    static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}

// MARK: - Record encoding

extension Record {
    /// Writes the record without its length prefix.
    func encodeBody(to w: inout WireWriter) {
        w.writeInt8(attributes)
        w.writeVarlong(timestampDelta)
        w.writeVarint(offsetDelta)
        Self.writeVarintBytes(key, to: &w)
        Self.writeVarintBytes(value, to: &w)
        w.writeVarint(Int32(truncatingIfNeeded: headers.count))
        for header in headers {
            Self.writeVarintBytes(Array(header.key.utf8), to: &w)
            Self.writeVarintBytes(header.value, to: &w)
        }
    }

    static func writeVarintBytes(_ b: [UInt8]?, to w: inout WireWriter) {
        guard let b else { w.writeVarint(-1); return }
        w.writeVarint(Int32(truncatingIfNeeded: b.count))
        w.writeRawBytes(b)
    }

    /// Reads one length-prefixed record.
    static func decode(from r: inout WireReader) throws(WireError) -> Record {
        let lengthAt = r.offset
        let length = try r.readVarint()
        if length < 0 { throw .invalidLength(Int64(length), offset: lengthAt) }
        if Int(length) > r.remaining { throw .lengthTooLarge(Int64(length), limit: r.remaining, offset: lengthAt) }
        var sub = try r.subReader(Int(length))
        let attributes = try sub.readInt8()
        let timestampDelta = try sub.readVarlong()
        let offsetDelta = try sub.readVarint()
        let key = try readVarintBytes(&sub)
        let value = try readVarintBytes(&sub)
        let countAt = sub.offset
        let headerCount = try sub.readVarint()
        if headerCount < 0 { throw .invalidLength(Int64(headerCount), offset: countAt) }
        // Each header takes at least two bytes (two lengths).
        if Int(headerCount) > sub.remaining / 2 {
            throw .lengthTooLarge(Int64(headerCount), limit: sub.remaining, offset: countAt)
        }
        var headers: [RecordHeader] = []
        headers.reserveCapacity(Int(headerCount))
        for _ in 0..<headerCount {
            let keyAt = sub.offset
            guard let keyLength = try readVarintLength(&sub) else {
                throw .unexpectedNull(field: "header key", offset: keyAt)
            }
            let key = try sub.decodeString(keyLength)
            headers.append(RecordHeader(key: key, value: try readVarintBytes(&sub)))
        }
        if !sub.isAtEnd {
            throw .invalidRecordBatch("record at offset \(lengthAt) has \(sub.remaining) unread byte(s) after its headers")
        }
        return Record(attributes: attributes, timestampDelta: timestampDelta, offsetDelta: offsetDelta,
                      key: key, value: value, headers: headers)
    }

    /// Reads a zig-zag varint length: nil for -1, an error below that or beyond the remaining bytes.
    static func readVarintLength(_ r: inout WireReader) throws(WireError) -> Int? {
        let at = r.offset
        let n = try r.readVarint()
        if n == -1 { return nil }
        if n < -1 { throw .invalidLength(Int64(n), offset: at) }
        if Int(n) > r.remaining { throw .lengthTooLarge(Int64(n), limit: r.remaining, offset: at) }
        return Int(n)
    }

    static func readVarintBytes(_ r: inout WireReader) throws(WireError) -> [UInt8]? {
        guard let n = try readVarintLength(&r) else { return nil }
        return try r.readRawBytes(n)
    }
}

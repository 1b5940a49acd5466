import KafkaWire
import Testing

@Suite("Record batch v2")
struct RecordBatchTests {
    /// A batch exercising keys, null keys, null values, headers (null value, non-ASCII key).
    static func sampleBatch() -> RecordBatch {
        RecordBatch(
            baseOffset: 1000, partitionLeaderEpoch: 5, attributes: 0, lastOffsetDelta: 3,
            baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_250,
            producerID: 77, producerEpoch: 2, baseSequence: 10,
            records: [
                Record(timestampDelta: 0, offsetDelta: 0, key: Array("k1".utf8), value: Array("v1".utf8)),
                Record(timestampDelta: 100, offsetDelta: 1, key: nil, value: Array("no key".utf8),
                       headers: [RecordHeader(key: "trace-id", value: [1, 2, 3]), RecordHeader(key: "empty", value: nil)]),
                Record(timestampDelta: -5, offsetDelta: 2, key: [], value: nil,
                       headers: [RecordHeader(key: "schlüssel", value: [])]),
                Record(timestampDelta: 250, offsetDelta: 3, key: [UInt8](repeating: 0xEE, count: 200),
                       value: [UInt8](repeating: 0x11, count: 1000)),
            ])
    }

    static func compressed(_ codec: RecordBatch.Compression) -> RecordBatch {
        var b = RecordBatch(baseOffset: 42, lastOffsetDelta: 2, baseTimestamp: 10, maxTimestamp: 20, records: [])
        b.compression = codec
        b.recordCount = 3
        b.compressedPayload = [0x1F, 0x8B, 0x08, 0x00, 0xDE, 0xAD, 0xBE, 0xEF]
        return b
    }

    /// Recomputes the CRC of a batch at the start of `bytes` after a test edited a covered field.
    static func reseal(_ bytes: inout [UInt8]) {
        let crc = CRC32C.checksum(bytes, range: 21..<bytes.count)
        for i in 0..<4 { bytes[17 + i] = UInt8(truncatingIfNeeded: crc >> UInt32(24 - 8 * i)) }
    }

    static func patchInt32(_ v: Int32, in bytes: inout [UInt8], at: Int) {
        let u = UInt32(bitPattern: v)
        for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: u >> UInt32(24 - 8 * i)) }
    }

    // MARK: - Round trips

    @Test("a batch with keys, values, headers and nulls round-trips")
    func roundTrip() throws {
        let batch = Self.sampleBatch()
        let bytes = batch.encoded()
        let back = try RecordBatch.decode(bytes)
        #expect(back == batch)
        #expect(back.records[1].key == nil)
        #expect(back.records[1].headers[1].value == nil)
        #expect(back.records[2].headers[0].key == "schlüssel")
        #expect(back.recordsUnavailableReason == nil)
        #expect(back.encoded() == bytes)
    }

    @Test("the encoded header has the v2 layout")
    func layout() throws {
        let batch = Self.sampleBatch()
        let bytes = batch.encoded()
        var r = WireReader(bytes)
        #expect(try r.readInt64() == 1000)
        #expect(try r.readInt32() == Int32(bytes.count - 12))
        #expect(try r.readInt32() == 5)
        #expect(try r.readInt8() == 2)
        #expect(try r.readUInt32() == CRC32C.checksum(bytes, range: 21..<bytes.count))
        #expect(try RecordBatch.encodedSize(in: bytes) == bytes.count)
        #expect(try RecordBatch.baseOffset(in: bytes) == 1000)
        #expect(try RecordBatch.lastOffsetDelta(in: bytes) == 3)
        #expect(try RecordBatch.recordCount(in: bytes) == 4)
        #expect(try RecordBatch.maxTimestamp(in: bytes) == 1_700_000_000_250)
    }

    @Test("make builds offsets and timestamps from its inputs")
    func make() throws {
        let batch = RecordBatch.make(
            records: [(key: nil, value: [1], timestamp: 5000), (key: [2], value: nil, timestamp: 4990),
                      (key: [3], value: [3], timestamp: 5100)],
            baseOffset: 50)
        #expect(batch.lastOffsetDelta == 2)
        #expect(batch.nextOffset == 53)
        #expect(batch.baseTimestamp == 5000 && batch.maxTimestamp == 5100)
        #expect(batch.records.map { batch.offset(of: $0) } == [50, 51, 52])
        #expect(batch.records.map { batch.timestamp(of: $0) } == [5000, 4990, 5100])
        #expect(batch.producerID == -1 && batch.compression == RecordBatch.Compression.none)
        #expect(try RecordBatch.decode(batch.encoded()) == batch)
        let empty = RecordBatch.make(records: [])
        #expect(empty.records.isEmpty && empty.recordCount == 0)
        #expect(try RecordBatch.decode(empty.encoded()) == empty)
    }

    @Test("attribute bits map to compression, timestamp type, transactional and control")
    func attributes() {
        var b = RecordBatch.make(records: [(key: nil, value: [1], timestamp: 100)])
        b.compression = .zstd
        b.timestampType = .logAppendTime
        b.isTransactional = true
        b.isControl = true
        #expect(b.attributes == 0b0011_1100)
        #expect(b.compression == .zstd && b.timestampType == .logAppendTime && b.isTransactional && b.isControl)
        #expect(!b.hasDeleteHorizon)
        b.maxTimestamp = 999
        #expect(b.timestamp(of: b.records[0]) == 999)
        b.isControl = false
        b.isTransactional = false
        b.timestampType = .createTime
        b.compression = RecordBatch.Compression.none
        #expect(b.attributes == 0)
        b.attributes = 6
        #expect(b.compression == nil)
    }

    // MARK: - Validation

    @Test("flipping any byte covered by the CRC (or the CRC itself) is detected")
    func crcMismatch() throws {
        let bytes = Self.sampleBatch().encoded()
        for i in 17..<bytes.count {
            var bad = bytes
            bad[i] ^= 0x40
            do {
                _ = try RecordBatch.decode(bad)
                Issue.record("flip at \(i) was not detected")
            } catch {
                guard case .invalidRecordBatch(let reason) = error else {
                    Issue.record("flip at \(i): unexpected \(error)")
                    continue
                }
                #expect(reason.contains("CRC mismatch"), "flip at \(i)")
            }
        }
    }

    @Test("a batch with another magic byte is rejected with the reason", arguments: [Int8(0), 1, 3])
    func wrongMagic(_ magic: Int8) {
        var bytes = Self.sampleBatch().encoded()
        bytes[16] = UInt8(bitPattern: magic)
        #expect {
            try RecordBatch.decode(bytes)
        } throws: { error in
            guard case WireError.invalidRecordBatch(let reason) = error else { return false }
            return reason.contains("magic \(magic)")
        }
        #expect(throws: WireError.self) { try RecordBatch.lastOffsetDelta(in: bytes) }
    }

    @Test("truncating a batch at any length gives a typed error")
    func truncated() {
        let bytes = Self.sampleBatch().encoded()
        for cut in 0..<bytes.count {
            #expect(throws: WireError.self, "cut at \(cut)") { try RecordBatch.decode(Array(bytes.prefix(cut))) }
        }
    }

    @Test("a batch length shorter than the header is rejected", arguments: [Int32(-1), 0, 48])
    func shortBatchLength(_ length: Int32) {
        var bytes = Self.sampleBatch().encoded()
        Self.patchInt32(length, in: &bytes, at: 8)
        #expect {
            try RecordBatch.decode(bytes)
        } throws: { error in
            guard case WireError.invalidRecordBatch(let reason) = error else { return false }
            return reason.contains("batch length \(length)")
        }
    }

    @Test("a hostile record count is rejected without allocating")
    func hostileRecordCount() {
        var huge = Self.sampleBatch().encoded()
        Self.patchInt32(Int32.max, in: &huge, at: 57)
        Self.reseal(&huge)
        #expect(throws: WireError.lengthTooLarge(Int64(Int32.max), limit: huge.count - 61, offset: 57)) {
            try RecordBatch.decode(huge)
        }
        var negative = Self.sampleBatch().encoded()
        Self.patchInt32(-1, in: &negative, at: 57)
        Self.reseal(&negative)
        #expect(throws: WireError.invalidRecordBatch("negative record count -1 at offset 57")) {
            try RecordBatch.decode(negative)
        }
    }

    /// A one-record batch whose record body is given raw (after its length prefix).
    static func batch(withRecordBody body: [UInt8]) -> [UInt8] {
        var bytes = RecordBatch.make(records: []).encoded()
        Self.patchInt32(1, in: &bytes, at: 57)
        bytes += written { $0.writeVarint(Int32(body.count)) } + body
        Self.patchInt32(Int32(bytes.count - 12), in: &bytes, at: 8)
        Self.reseal(&bytes)
        return bytes
    }

    @Test("malformed records inside a valid batch give typed errors")
    func malformedRecords() throws {
        // attributes, timestampDelta 0, offsetDelta 0, key null, value [7], one header.
        let prefix: [UInt8] = [0, 0, 0, 0x01, 0x02, 7, 0x02]
        let good = Self.batch(withRecordBody: prefix + [0x02, 0x61, 0x01])
        let decoded = try RecordBatch.decode(good)
        #expect(decoded.records == [Record(timestampDelta: 0, offsetDelta: 0, key: nil, value: [7],
                                           headers: [RecordHeader(key: "a", value: nil)])])
        // A null header key.
        #expect(throws: WireError.unexpectedNull(field: "header key", offset: 61 + 1 + 7)) {
            try RecordBatch.decode(Self.batch(withRecordBody: prefix + [0x01, 0x01]))
        }
        // A header key that is not UTF-8.
        #expect(throws: WireError.invalidUTF8(offset: 61 + 1 + 8)) {
            try RecordBatch.decode(Self.batch(withRecordBody: prefix + [0x02, 0xFF, 0x01]))
        }
        // A key length of -2.
        #expect(throws: WireError.invalidLength(-2, offset: 61 + 1 + 3)) {
            try RecordBatch.decode(Self.batch(withRecordBody: [0, 0, 0, 0x03, 0x01, 0x00]))
        }
        // A header count far beyond the record's bytes.
        #expect(throws: WireError.lengthTooLarge(1_000_000, limit: 0, offset: 61 + 1 + 5)) {
            try RecordBatch.decode(Self.batch(withRecordBody: [0, 0, 0, 0x01, 0x01] + written { $0.writeVarint(1_000_000) }))
        }
        // Bytes left inside a record after its headers.
        #expect {
            try RecordBatch.decode(Self.batch(withRecordBody: prefix.dropLast() + [0x00, 0xAB]))
        } throws: { error in
            guard case WireError.invalidRecordBatch(let reason) = error else { return false }
            return reason.contains("1 unread byte(s)")
        }
    }

    @Test("a record count that disagrees with the records is an error")
    func countMismatch() {
        var fewer = Self.sampleBatch().encoded()
        Self.patchInt32(3, in: &fewer, at: 57)
        Self.reseal(&fewer)
        #expect {
            try RecordBatch.decode(fewer)
        } throws: { error in
            guard case WireError.invalidRecordBatch(let reason) = error else { return false }
            return reason.contains("after the last of 3 record(s)")
        }
        var more = Self.sampleBatch().encoded()
        Self.patchInt32(5, in: &more, at: 57)
        Self.reseal(&more)
        #expect(throws: WireError.self) { try RecordBatch.decode(more) }
    }

    @Test("an undefined compression codec is rejected")
    func unknownCodec() {
        var b = Self.compressed(.gzip)
        b.attributes = 5
        #expect {
            try RecordBatch.decode(b.encoded())
        } throws: { error in
            guard case WireError.invalidRecordBatch(let reason) = error else { return false }
            return reason.contains("unknown compression codec 5")
        }
    }

    // MARK: - Compressed batches

    @Test("compressed batches decode their header and keep the payload",
          arguments: [RecordBatch.Compression.gzip, .snappy, .lz4, .zstd])
    func compressedBatch(_ codec: RecordBatch.Compression) throws {
        let batch = Self.compressed(codec)
        let bytes = batch.encoded()
        let back = try RecordBatch.decode(bytes)
        #expect(back.compression == codec)
        #expect(back.records.isEmpty)
        #expect(back.recordCount == 3)
        #expect(back.nextOffset == 45)
        #expect(back.compressedPayload == batch.compressedPayload)
        #expect(back.recordsUnavailableReason == "\(codec)-compressed batch: kgtop does not decompress records")
        #expect(back.encoded() == bytes)
    }

    // MARK: - Sequences of batches

    @Test("decodeAll reads consecutive batches and skips a trailing partial batch of any size")
    func decodeAllPartial() throws {
        let first = RecordBatch.make(records: [(key: nil, value: [1], timestamp: 1)], baseOffset: 0)
        let second = Self.sampleBatch()
        let third = Self.compressed(.lz4).encoded()
        let complete = first.encoded() + second.encoded()
        let whole = try RecordBatch.decodeAll(complete + third)
        #expect(whole.batches.count == 3 && whole.skippedTrailingBytes == 0)
        for cut in 1..<third.count {
            let result = try RecordBatch.decodeAll(complete + third.prefix(cut))
            #expect(result.batches == [first, second], "cut at \(cut)")
            #expect(result.skippedTrailingBytes == cut, "cut at \(cut)")
        }
        let empty = try RecordBatch.decodeAll([])
        #expect(empty.batches.isEmpty && empty.skippedTrailingBytes == 0)
    }

    @Test("decodeAll still reports a complete batch that is corrupt")
    func decodeAllCorrupt() {
        var bytes = Self.sampleBatch().encoded()
        bytes[bytes.count - 1] ^= 1
        #expect(throws: WireError.self) { try RecordBatch.decodeAll(bytes + RecordBatch.make(records: []).encoded()) }
    }

    @Test("decodeAll treats a huge batch length as a partial batch, without allocating")
    func decodeAllHugeLength() throws {
        var bytes = Self.sampleBatch().encoded()
        Self.patchInt32(Int32.max, in: &bytes, at: 8)
        let result = try RecordBatch.decodeAll(bytes)
        #expect(result.batches.isEmpty && result.skippedTrailingBytes == bytes.count)
    }

    // MARK: - Editing encoded bytes

    @Test("setBaseOffset and setPartitionLeaderEpoch rewrite in place and keep the CRC valid")
    func rewriteInPlace() throws {
        let a = RecordBatch.make(records: [(key: nil, value: [1], timestamp: 1)]).encoded()
        let b = Self.sampleBatch().encoded()
        var log = a + b
        try RecordBatch.setBaseOffset(12_345, in: &log, at: a.count)
        try RecordBatch.setPartitionLeaderEpoch(9, in: &log, at: a.count)
        #expect(try RecordBatch.baseOffset(in: log, at: a.count) == 12_345)
        let batches = try RecordBatch.decodeAll(log).batches
        #expect(batches.count == 2)
        #expect(batches[1].baseOffset == 12_345)
        #expect(batches[1].partitionLeaderEpoch == 9)
        #expect(batches[1].records == Self.sampleBatch().records)
        #expect(batches[1].nextOffset == 12_349)
    }

    @Test("the encoded-byte helpers reject short buffers and bad starts")
    func helperBounds() {
        var bytes = Self.sampleBatch().encoded()
        let short = Array(bytes.prefix(60))
        #expect(throws: WireError.truncated(needed: 61, remaining: 60, offset: 0)) { try RecordBatch.recordCount(in: short) }
        #expect(throws: WireError.self) { try RecordBatch.maxTimestamp(in: bytes, at: bytes.count + 1) }
        #expect(throws: WireError.self) { try RecordBatch.setBaseOffset(1, in: &bytes, at: -1) }
        #expect(throws: WireError.self) { try RecordBatch.setBaseOffset(1, in: &bytes, at: 1) }
    }
}

import KafkaWire

// MARK: - Topics and partition logs (owned by the SimCluster actor, never shared)

/// One stored record batch: either bytes a producer sent (offsets rewritten) or a synthetic batch the
/// simulator made up and encodes only when a consumer fetches it.
struct StoredBatch {
    enum Payload {
        /// A client's batch; `baseOffset` already rewritten to this batch's offset.
        case raw([UInt8])
        /// `count` records with evenly spread timestamps between first and last, values of `valueSize`.
        case synthetic(valueSize: Int)
    }

    var baseOffset: Int64
    var recordCount: Int64
    var firstTimestamp: Int64
    var maxTimestamp: Int64
    var payload: Payload

    var lastOffset: Int64 { baseOffset + recordCount - 1 }
    var nextOffset: Int64 { baseOffset + recordCount }

    /// Approximate size, used for fetch limits and retention.
    var sizeInBytes: Int {
        switch payload {
        case .raw(let bytes): return bytes.count
        case .synthetic(let valueSize): return 61 + Int(recordCount) * (valueSize + 12)
        }
    }

    /// The timestamp of the record at `offset` (exact for synthetic batches, the batch's max for raw ones).
    func timestamp(of offset: Int64) -> Int64 {
        switch payload {
        case .raw: return maxTimestamp
        case .synthetic:
            guard recordCount > 1 else { return maxTimestamp }
            let step = Double(maxTimestamp - firstTimestamp) / Double(recordCount - 1)
            return firstTimestamp + Int64((Double(offset - baseOffset) * step).rounded(.down))
        }
    }

    /// The wire bytes of this batch.
    func encoded(leaderEpoch: Int32) -> [UInt8] {
        switch payload {
        case .raw(let bytes): return bytes
        case .synthetic(let valueSize):
            return RecordBatchBuilder.synthetic(
                baseOffset: baseOffset, count: Int(recordCount), firstTimestamp: firstTimestamp,
                lastTimestamp: maxTimestamp, valueSize: valueSize, leaderEpoch: leaderEpoch)
        }
    }
}

/// A partition's in-memory log, bounded by `retentionBytes`.
final class PartitionLog {
    let index: Int32
    var leader: Int32
    var leaderEpoch: Int32 = 0
    var batches: [StoredBatch] = []
    private(set) var logStartOffset: Int64 = 0
    private(set) var highWatermark: Int64 = 0
    private var storedBytes = 0
    var retentionBytes: Int

    init(index: Int32, leader: Int32, retentionBytes: Int) {
        self.index = index
        self.leader = leader
        self.retentionBytes = retentionBytes
    }

    /// Appends a batch and returns its base offset.
    @discardableResult
    func append(recordCount: Int64, firstTimestamp: Int64, maxTimestamp: Int64, payload: StoredBatch.Payload) -> Int64 {
        let base = highWatermark
        var stored = StoredBatch(
            baseOffset: base, recordCount: recordCount, firstTimestamp: firstTimestamp,
            maxTimestamp: maxTimestamp, payload: payload)
        if case .raw(var bytes) = payload {
            RecordBatchBuilder.rewriteHeader(&bytes, baseOffset: base, leaderEpoch: leaderEpoch)
            stored.payload = .raw(bytes)
        }
        batches.append(stored)
        storedBytes += stored.sizeInBytes
        highWatermark = base + recordCount
        enforceRetention()
        return base
    }

    /// Drops the oldest batches while the log is over its byte bound (keeping at least one).
    private func enforceRetention() {
        var drop = 0
        while storedBytes > retentionBytes && batches.count - drop > 1 {
            storedBytes -= batches[drop].sizeInBytes
            drop += 1
        }
        if drop > 0 {
            batches.removeFirst(drop)
            logStartOffset = batches.first?.baseOffset ?? highWatermark
        }
    }

    /// Moves the log start offset forward (like DeleteRecords or time retention).
    func truncate(before offset: Int64) {
        let target = min(offset, highWatermark)
        guard target > logStartOffset else { return }
        while let first = batches.first, first.nextOffset <= target {
            storedBytes -= first.sizeInBytes
            batches.removeFirst()
        }
        logStartOffset = target
    }

    /// The index of the first batch holding an offset >= `offset`.
    func batchIndex(containing offset: Int64) -> Int? {
        var lo = 0, hi = batches.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if batches[mid].nextOffset <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo < batches.count ? lo : nil
    }

    /// The first offset whose timestamp is >= `timestamp`, with that timestamp; nil when none.
    func offset(forTimestamp timestamp: Int64) -> (offset: Int64, timestamp: Int64)? {
        guard let i = batches.firstIndex(where: { $0.maxTimestamp >= timestamp }) else { return nil }
        let batch = batches[i]
        if case .synthetic = batch.payload {
            var o = max(batch.baseOffset, logStartOffset)
            while o < batch.lastOffset && batch.timestamp(of: o) < timestamp { o += 1 }
            return (o, batch.timestamp(of: o))
        }
        return (max(batch.baseOffset, logStartOffset), batch.maxTimestamp)
    }

    /// The offset and timestamp of the record with the largest timestamp.
    func maxTimestampOffset() -> (offset: Int64, timestamp: Int64)? {
        guard var best = batches.first else { return nil }
        for b in batches where b.maxTimestamp >= best.maxTimestamp { best = b }
        return (best.lastOffset, best.maxTimestamp)
    }

    /// Batches from `offset`, up to roughly `maxBytes` (at least one batch when any is available).
    func read(from offset: Int64, maxBytes: Int) -> [UInt8] {
        guard offset < highWatermark, let start = batchIndex(containing: offset) else { return [] }
        var out: [UInt8] = []
        var i = start
        while i < batches.count {
            let bytes = batches[i].encoded(leaderEpoch: leaderEpoch)
            if !out.isEmpty && out.count + bytes.count > maxBytes { break }
            out.append(contentsOf: bytes)
            i += 1
            if out.count >= maxBytes { break }
        }
        return out
    }
}

/// A topic: id, partitions and configs.
final class SimTopic {
    let name: String
    let id: KafkaUUID
    var partitions: [PartitionLog]
    var configs: [String: String]

    init(name: String, id: KafkaUUID, partitions: [PartitionLog], configs: [String: String]) {
        self.name = name
        self.id = id
        self.partitions = partitions
        self.configs = configs
    }
}

// MARK: - Record batch v2 helpers

/// The parts of a record batch v2 header the simulator reads or rewrites.
enum RecordBatchBuilder {
    static let headerSize = 61

    /// Splits `records` (a Produce payload) into batches: (bytes, lastOffsetDelta, baseTimestamp, maxTimestamp).
    static func splitBatches(_ records: [UInt8]) -> [(bytes: [UInt8], lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64)]? {
        var out: [(bytes: [UInt8], lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64)] = []
        var pos = 0
        while pos < records.count {
            guard records.count - pos >= headerSize else { return nil }
            var r = WireReader(records, range: pos..<records.count)
            guard (try? r.readInt64()) != nil, let length = try? r.readInt32(), length >= headerSize - 12 else { return nil }
            let total = 12 + Int(length)
            guard pos + total <= records.count else { return nil }
            let magic = records[pos + 16]
            guard magic == 2 else { return nil }
            var h = WireReader(records, range: (pos + 23)..<(pos + 43))
            guard let delta = try? h.readInt32(), let baseTs = try? h.readInt64(), let maxTs = try? h.readInt64() else { return nil }
            out.append((Array(records[pos..<pos + total]), delta, baseTs, maxTs))
            pos += total
        }
        return out
    }

    /// Rewrites baseOffset and partitionLeaderEpoch in place; the CRC does not cover them.
    static func rewriteHeader(_ bytes: inout [UInt8], baseOffset: Int64, leaderEpoch: Int32) {
        guard bytes.count >= headerSize else { return }
        let o = UInt64(bitPattern: baseOffset)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: o >> (56 - 8 * UInt64(i))) }
        let e = UInt32(bitPattern: leaderEpoch)
        for i in 0..<4 { bytes[12 + i] = UInt8(truncatingIfNeeded: e >> (24 - 8 * UInt32(i))) }
    }

    /// Encodes `count` uncompressed records with null keys and `valueSize`-byte values.
    static func synthetic(
        baseOffset: Int64, count: Int, firstTimestamp: Int64, lastTimestamp: Int64, valueSize: Int, leaderEpoch: Int32
    ) -> [UInt8] {
        var records = WireWriter(capacity: count * (valueSize + 12))
        let step = count > 1 ? Double(lastTimestamp - firstTimestamp) / Double(count - 1) : 0
        for i in 0..<count {
            var rec = WireWriter(capacity: valueSize + 12)
            rec.writeInt8(0)
            rec.writeVarlong(Int64((Double(i) * step).rounded(.down)))
            rec.writeVarint(Int32(i))
            rec.writeVarint(-1)
            let value = syntheticValue(offset: baseOffset + Int64(i), size: valueSize)
            rec.writeVarint(Int32(value.count))
            rec.writeRawBytes(value)
            rec.writeUnsignedVarint(0)
            records.writeVarint(Int32(rec.count))
            records.writeRawBytes(rec.bytes)
        }
        var afterCRC = WireWriter(capacity: records.count + 40)
        afterCRC.writeInt16(0)
        afterCRC.writeInt32(Int32(count - 1))
        afterCRC.writeInt64(firstTimestamp)
        afterCRC.writeInt64(lastTimestamp)
        afterCRC.writeInt64(-1)
        afterCRC.writeInt16(-1)
        afterCRC.writeInt32(-1)
        afterCRC.writeInt32(Int32(count))
        afterCRC.writeRawBytes(records.bytes)
        var w = WireWriter(capacity: afterCRC.count + 21)
        w.writeInt64(baseOffset)
        w.writeInt32(Int32(afterCRC.count + 9))
        w.writeInt32(leaderEpoch)
        w.writeInt8(2)
        w.writeUInt32(CRC32C.checksum(afterCRC.bytes))
        w.writeRawBytes(afterCRC.bytes)
        return w.bytes
    }

    /// A readable, deterministic record value: `sim-<offset>` padded with dots.
    static func syntheticValue(offset: Int64, size: Int) -> [UInt8] {
        var v = Array("sim-\(offset)".utf8)
        if v.count < size { v.append(contentsOf: repeatElement(UInt8(ascii: "."), count: size - v.count)) }
        return v
    }
}

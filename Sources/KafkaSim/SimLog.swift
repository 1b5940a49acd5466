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
    /// Within this batch, the first offset at or after `logStart` whose timestamp is >=
    /// `timestamp` (the batch's max timestamp is): a synthetic batch's records are timed one by
    /// one; a raw batch answers with its first offset and its max timestamp.
    func offset(forTimestamp timestamp: Int64, logStart: Int64) -> (offset: Int64, timestamp: Int64) {
        if case .synthetic = payload {
            var o = max(baseOffset, logStart)
            while o < lastOffset && self.timestamp(of: o) < timestamp { o += 1 }
            return (o, self.timestamp(of: o))
        }
        return (max(baseOffset, logStart), maxTimestamp)
    }

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

/// Consecutive batches of one shape, stored as one entry: a scripted producer on a steady clock
/// appends a synthetic batch of the same size every period to each partition, and keeping each of
/// them would grow memory with every record produced. Batch `j` of the run is `first` moved by `j`
/// batches: `j * first.recordCount` offsets and `j * periodMs` milliseconds. A client's (raw) batch is
/// always a run of one.
struct BatchRun {
    /// The run's first batch.
    var first: StoredBatch
    /// How many batches the run holds (at least one).
    var count: Int
    /// Milliseconds between the timestamps of consecutive batches (positive when `count` > 1).
    var periodMs: Int64

    /// Batch `j` of the run.
    func batch(_ j: Int) -> StoredBatch {
        guard j > 0 else { return first }
        var b = first
        b.baseOffset += Int64(j) * first.recordCount
        b.firstTimestamp += Int64(j) * periodMs
        b.maxTimestamp += Int64(j) * periodMs
        return b
    }

    /// The offset after the run's last batch.
    var nextOffset: Int64 { first.baseOffset + Int64(count) * first.recordCount }

    /// Bytes of one batch (every batch of a run has the same size).
    var batchSize: Int { first.sizeInBytes }

    /// Whether `b`, starting at ``nextOffset``, extends the run: both synthetic with the same record
    /// count, value size and timestamp spread, and `b` one period after the last batch (the first
    /// such batch sets the period).
    func canExtend(with b: StoredBatch) -> Bool {
        guard case .synthetic(let size) = first.payload, case .synthetic(let bSize) = b.payload, size == bSize,
              first.recordCount > 0, b.recordCount == first.recordCount, b.baseOffset == nextOffset,
              b.maxTimestamp - b.firstTimestamp == first.maxTimestamp - first.firstTimestamp
        else { return false }
        let last = first.maxTimestamp + Int64(count - 1) * periodMs
        let step = b.maxTimestamp - last
        return count == 1 ? step > 0 : step == periodMs
    }

    /// Drops the first `k` batches (fewer than ``count``).
    mutating func dropFirst(_ k: Int) {
        first = batch(k)
        count -= k
    }
}

/// A partition's in-memory log, bounded by `retentionBytes`.
///
/// The batches are kept as runs (``BatchRun``): the answers are those of the list of batches the
/// runs stand for, batch by batch.
final class PartitionLog {
    let index: Int32
    var leader: Int32
    var leaderEpoch: Int32 = 0
    /// The batches, in offset order, as runs of batches of one shape.
    private(set) var runs: [BatchRun] = []
    /// How many batches the runs hold.
    private(set) var batchCount = 0
    private(set) var logStartOffset: Int64 = 0
    private(set) var highWatermark: Int64 = 0
    private var storedBytes = 0
    var retentionBytes: Int

    init(index: Int32, leader: Int32, retentionBytes: Int) {
        self.index = index
        self.leader = leader
        self.retentionBytes = retentionBytes
    }

    /// Every batch, in offset order (for tests; the log's answers never expand the runs).
    var batches: [StoredBatch] { runs.flatMap { run in (0..<run.count).map { run.batch($0) } } }

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
        if let last = runs.indices.last, runs[last].canExtend(with: stored) {
            if runs[last].count == 1 { runs[last].periodMs = stored.maxTimestamp - runs[last].first.maxTimestamp }
            runs[last].count += 1
        } else {
            runs.append(BatchRun(first: stored, count: 1, periodMs: 0))
        }
        batchCount += 1
        storedBytes += stored.sizeInBytes
        highWatermark = base + recordCount
        enforceRetention()
        return base
    }

    /// Drops the oldest batches while the log is over its byte bound (keeping at least one).
    private func enforceRetention() {
        var dropped = false
        while storedBytes > retentionBytes && batchCount > 1 {
            let size = runs[0].batchSize
            // As many of the first run's batches as it takes to get within the bound, one at least.
            let over = storedBytes - retentionBytes
            let k = min(runs[0].count, batchCount - 1, max(1, (over + size - 1) / max(size, 1)))
            removeFirstBatches(k, size: size)
            dropped = true
        }
        if dropped { logStartOffset = runs.first?.first.baseOffset ?? highWatermark }
    }

    /// Removes the first `k` batches of the first run (all of it when `k` is its count).
    private func removeFirstBatches(_ k: Int, size: Int) {
        storedBytes -= k * size
        batchCount -= k
        if k == runs[0].count { runs.removeFirst() } else { runs[0].dropFirst(k) }
    }

    /// Moves the log start offset forward (like DeleteRecords or time retention).
    func truncate(before offset: Int64) {
        let target = min(offset, highWatermark)
        guard target > logStartOffset else { return }
        // Drop every batch that ends at or before the target.
        while let run = runs.first {
            // A run of more than one has records in every batch (``BatchRun/canExtend(with:)``).
            let ended = run.count == 1
                ? (run.first.nextOffset <= target ? 1 : 0)
                : max(0, (target - run.first.baseOffset) / run.first.recordCount)
            let k = Int(min(Int64(run.count), ended))
            guard k > 0 else { break }
            removeFirstBatches(k, size: run.batchSize)
            if k < run.count { break }
        }
        logStartOffset = target
    }

    /// The first batch holding an offset >= `offset`: its run and its place in the run.
    func batchPosition(containing offset: Int64) -> (run: Int, batch: Int)? {
        var lo = 0, hi = runs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if runs[mid].nextOffset <= offset { lo = mid + 1 } else { hi = mid }
        }
        guard lo < runs.count else { return nil }
        let run = runs[lo]
        let j = offset <= run.first.baseOffset ? 0 : Int((offset - run.first.baseOffset) / run.first.recordCount)
        return (lo, j)
    }

    /// The first offset whose timestamp is >= `timestamp`, with that timestamp; nil when none.
    func offset(forTimestamp timestamp: Int64) -> (offset: Int64, timestamp: Int64)? {
        // The first batch whose max timestamp is >= `timestamp`; within a run they grow by the period.
        var found: StoredBatch?
        for run in runs {
            if run.first.maxTimestamp >= timestamp { found = run.first; break }
            guard run.count > 1 else { continue }
            let late = timestamp - run.first.maxTimestamp
            let j = Int((late + run.periodMs - 1) / run.periodMs)
            if j < run.count { found = run.batch(j); break }
        }
        return found?.offset(forTimestamp: timestamp, logStart: logStartOffset)
    }

    /// The offset and timestamp of the record with the largest timestamp.
    func maxTimestampOffset() -> (offset: Int64, timestamp: Int64)? {
        // Within a run timestamps grow, so only a run's last batch can be the latest maximum.
        guard var best = runs.first.map({ $0.batch($0.count - 1) }) else { return nil }
        for run in runs {
            let last = run.batch(run.count - 1)
            if last.maxTimestamp >= best.maxTimestamp { best = last }
        }
        return (best.lastOffset, best.maxTimestamp)
    }

    /// Batches from `offset`, up to roughly `maxBytes` (at least one batch when any is available).
    func read(from offset: Int64, maxBytes: Int) -> [UInt8] {
        guard offset < highWatermark, let start = batchPosition(containing: offset) else { return [] }
        var out: [UInt8] = []
        var r = start.run, j = start.batch
        while r < runs.count {
            let bytes = runs[r].batch(j).encoded(leaderEpoch: leaderEpoch)
            if !out.isEmpty && out.count + bytes.count > maxBytes { break }
            out.append(contentsOf: bytes)
            j += 1
            if j == runs[r].count { r += 1; j = 0 }
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

import Foundation
import KafkaWire
import Testing

@testable import KafkaSim

/// The partition log keeps batches of one shape as runs; every answer must be the one the plain list
/// of batches gives. `ReferenceLog` is that plain list (the log as it was before runs).
@Suite("KafkaSim partition log")
struct SimLogTests {
    /// A small deterministic generator (xorshift64*), so that each seed replays the same operations.
    struct Generator {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    }

    /// The log as a plain list of batches.
    final class ReferenceLog {
        var batches: [StoredBatch] = []
        var logStartOffset: Int64 = 0
        var highWatermark: Int64 = 0
        var storedBytes = 0
        let retentionBytes: Int
        let leaderEpoch: Int32 = 0

        init(retentionBytes: Int) { self.retentionBytes = retentionBytes }

        func append(recordCount: Int64, firstTimestamp: Int64, maxTimestamp: Int64, payload: StoredBatch.Payload) -> Int64 {
            let base = highWatermark
            var stored = StoredBatch(baseOffset: base, recordCount: recordCount, firstTimestamp: firstTimestamp, maxTimestamp: maxTimestamp, payload: payload)
            if case .raw(var bytes) = payload {
                RecordBatchBuilder.rewriteHeader(&bytes, baseOffset: base, leaderEpoch: leaderEpoch)
                stored.payload = .raw(bytes)
            }
            batches.append(stored)
            storedBytes += stored.sizeInBytes
            highWatermark = base + recordCount
            var drop = 0
            while storedBytes > retentionBytes && batches.count - drop > 1 {
                storedBytes -= batches[drop].sizeInBytes
                drop += 1
            }
            if drop > 0 {
                batches.removeFirst(drop)
                logStartOffset = batches.first?.baseOffset ?? highWatermark
            }
            return base
        }

        func truncate(before offset: Int64) {
            let target = min(offset, highWatermark)
            guard target > logStartOffset else { return }
            while let first = batches.first, first.nextOffset <= target {
                storedBytes -= first.sizeInBytes
                batches.removeFirst()
            }
            logStartOffset = target
        }

        func offset(forTimestamp timestamp: Int64) -> (offset: Int64, timestamp: Int64)? {
            // Which batch is the runs' question; within a batch, the one rule of StoredBatch.
            batches.first { $0.maxTimestamp >= timestamp }?.offset(forTimestamp: timestamp, logStart: logStartOffset)
        }

        func maxTimestampOffset() -> (offset: Int64, timestamp: Int64)? {
            guard var best = batches.first else { return nil }
            for b in batches where b.maxTimestamp >= best.maxTimestamp { best = b }
            return (best.lastOffset, best.maxTimestamp)
        }

        func read(from offset: Int64, maxBytes: Int) -> [UInt8] {
            guard offset < highWatermark, let start = batches.firstIndex(where: { $0.nextOffset > offset }) else { return [] }
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

    static func same(_ a: (offset: Int64, timestamp: Int64)?, _ b: (offset: Int64, timestamp: Int64)?) -> Bool {
        a?.offset == b?.offset && a?.timestamp == b?.timestamp
    }

    static func describe(_ b: StoredBatch) -> String {
        let payload: String
        switch b.payload {
        case .raw(let bytes): payload = "raw(\(bytes.count) bytes)"  // the bytes themselves: read() compares them
        case .synthetic(let size): payload = "synthetic(\(size))"
        }
        return "\(b.baseOffset)+\(b.recordCount) \(b.firstTimestamp)...\(b.maxTimestamp) \(payload)"
    }

    @Test("runs answer as the plain list of batches on random appends, truncations, retention and reads", arguments: 1...40)
    func equivalence(seed: UInt64) {
        var g = Generator(seed: seed)
        let retention = g.pick([Int.max, 600, 2_000, 9_000])
        let log = PartitionLog(index: 0, leader: 1, retentionBytes: retention)
        let ref = ReferenceLog(retentionBytes: retention)
        var now: Int64 = 1_735_689_600_000
        let period = g.pick([Int64(100), 2_000, 1])
        for step in 0..<250 {
            let op = g.below(100)
            if op < 80 {
                // Mostly a steady producer; sometimes a late, early or odd batch.
                let jitter = g.below(10) == 0 ? Int64(g.below(250)) - 100 : 0
                now += max(0, period + jitter)
                let count = g.below(8) == 0 ? Int64(1 + g.below(4)) : 1
                let span = g.below(12) == 0 ? Int64(g.below(300)) : period - 1
                let size = g.below(15) == 0 ? 32 : 64
                let a = log.append(recordCount: count, firstTimestamp: now - span, maxTimestamp: now, payload: .synthetic(valueSize: size))
                let b = ref.append(recordCount: count, firstTimestamp: now - span, maxTimestamp: now, payload: .synthetic(valueSize: size))
                #expect(a == b)
            } else if op < 88 {
                let count = 1 + g.below(3)
                let bytes = RecordBatchBuilder.synthetic(
                    baseOffset: 0, count: count, firstTimestamp: now - 5, lastTimestamp: now, valueSize: 8, leaderEpoch: 0)
                let a = log.append(recordCount: Int64(count), firstTimestamp: now - 5, maxTimestamp: now, payload: .raw(bytes))
                let b = ref.append(recordCount: Int64(count), firstTimestamp: now - 5, maxTimestamp: now, payload: .raw(bytes))
                #expect(a == b)
            } else if op < 93 {
                let target = ref.logStartOffset - 2 + Int64(g.below(Int(ref.highWatermark - ref.logStartOffset) + 5))
                log.truncate(before: target)
                ref.truncate(before: target)
            }
            #expect(log.logStartOffset == ref.logStartOffset, "seed \(seed) step \(step)")
            #expect(log.highWatermark == ref.highWatermark, "seed \(seed) step \(step)")
            if step % 10 == 0 || step == 249 {
                #expect(log.batches.map(Self.describe) == ref.batches.map(Self.describe), "seed \(seed) step \(step)")
            }
            #expect(log.batchCount == ref.batches.count)
            #expect(Self.same(log.maxTimestampOffset(), ref.maxTimestampOffset()), "seed \(seed) step \(step)")
            for _ in 0..<3 {
                let ts = (ref.batches.first?.firstTimestamp ?? now) - 50 + Int64(g.below(Int(now - (ref.batches.first?.firstTimestamp ?? now)) + 300))
                #expect(Self.same(log.offset(forTimestamp: ts), ref.offset(forTimestamp: ts)), "seed \(seed) step \(step) ts \(ts)")
                let from = ref.logStartOffset - 1 + Int64(g.below(Int(ref.highWatermark - ref.logStartOffset) + 3))
                let maxBytes = g.pick([1, 150, 400, 5_000])
                #expect(log.read(from: from, maxBytes: maxBytes) == ref.read(from: from, maxBytes: maxBytes), "seed \(seed) step \(step) from \(from)")
            }
        }
    }

    @Test("a steady producer's batches are kept as one run per partition")
    func steadyProducerIsOneRun() async throws {
        let cluster = SimCluster(config: SimConfig(brokerCount: 1), clock: ManualClock())
        try await cluster.createTopic("steady", partitions: 10)
        try await cluster.produce(topic: "steady", recordsPerSec: 5)
        await cluster.advance(by: 60_000)
        let shapes = await cluster.logShapes(topic: "steady")
        #expect(shapes.map(\.batches) == Array(repeating: 30, count: 10))
        #expect(shapes.allSatisfy { $0.runs == 1 })
    }

    /// A clock that is not a ``ManualClock``, read at times a test sets: ticks a little early or late.
    final class SteppedClock: SimClock, @unchecked Sendable {
        private let lock = NSLock()
        private var current: Int64
        init(_ start: Int64) { current = start }
        func nowMs() -> Int64 { lock.withLock { current } }
        func set(_ ms: Int64) { lock.withLock { current = ms } }
    }

    @Test("with another clock, producers write on the tick grid: late, early and missed ticks give the same batches")
    func producersOnGrid() async throws {
        let start: Int64 = 1_735_689_600_000
        let clock = SteppedClock(start + 3)
        let cluster = SimCluster(config: SimConfig(brokerCount: 1), clock: clock)
        try await cluster.createTopic("grid", partitions: 2)
        try await cluster.produce(topic: "grid", recordsPerSec: 10)
        // Ticks at 104, 199 (early: nothing), 230, 402 (one missed), 1_250 (a gap of several steps).
        for t: Int64 in [104, 199, 230, 402, 1_250] {
            clock.set(start + t)
            await cluster.tick()
        }
        // 10 records/s on 2 partitions: one record per partition every 200 ms, at the grid's steps.
        let shapes = await cluster.logShapes(topic: "grid")
        #expect(shapes.map(\.batches) == [6, 6])
        #expect(shapes.allSatisfy { $0.runs == 1 })
        let batches = await cluster.storedBatches(topic: "grid", partition: 0)
        #expect(batches.map { $0.maxTimestamp - start } == [100, 300, 500, 700, 900, 1_100])
        #expect(batches.allSatisfy { $0.maxTimestamp - $0.firstTimestamp == 99 })
    }

    @Test("with another clock that goes back, producers start the grid again from there")
    func producersAfterClockGoesBack() async throws {
        let start: Int64 = 1_735_689_600_000
        let clock = SteppedClock(start)
        let cluster = SimCluster(config: SimConfig(brokerCount: 1), clock: clock)
        try await cluster.createTopic("back", partitions: 1)
        try await cluster.produce(topic: "back", recordsPerSec: 10)
        for t: Int64 in [100, 200, -1_000, -850, -700] {
            clock.set(start + t)
            await cluster.tick()
        }
        let batches = await cluster.storedBatches(topic: "back", partition: 0)
        #expect(batches.map { $0.maxTimestamp - start } == [100, 200, -900, -800, -700])
    }
}

extension SimCluster {
    /// Each partition's batch and run counts.
    fileprivate func logShapes(topic: String) -> [(batches: Int, runs: Int)] {
        (topics[topic]?.partitions ?? []).map { ($0.batchCount, $0.runs.count) }
    }

    /// The batches of one partition.
    fileprivate func storedBatches(topic: String, partition: Int) -> [StoredBatch] {
        topics[topic]?.partitions[partition].batches ?? []
    }
}

import Foundation
import GroupModel
import KafkaWire

/// Reads a recording: random access by poll index and by time.
///
/// Opening scans the whole file once, checking every frame's length and CRC-32C and building the
/// index (offset, kind and time of every poll, and the string table). The scan stops at the first
/// truncated or corrupt frame: everything before it stays readable and ``damage`` says what was
/// found. Decoding a poll starts from the nearest keyframe at or before it; the last decoded poll
/// is cached, so reading polls in order costs one frame each.
public final class RecordingReader {
    /// One indexed poll.
    public struct Entry: Sendable, Hashable {
        /// Where the frame's body starts in the file.
        public var offset: Int
        /// The body's length.
        public var length: Int
        /// Keyframe or delta.
        public var kind: FrameKind
        /// The poll's `takenAt`, ms since the Unix epoch.
        public var takenAt: Int64
    }

    /// The header.
    public let header: RecordingHeader
    /// Every complete poll, in order.
    public let entries: [Entry]
    /// Why the scan stopped before the end of the file, if it did.
    public let damage: RecordingDamage?
    /// The file's size.
    public let byteCount: Int

    private let bytes: [UInt8]
    private let strings: StringTable
    private var cursor: (index: Int, decoder: RecordingFrameDecoder, snapshot: ClusterSnapshot)?

    /// Opens and indexes a file.
    public convenience init(path: String) throws(RecordingError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
            let code = (error as NSError).code
            throw .cannotOpen(path: path, errno: Int32(truncatingIfNeeded: code), message: (error as NSError).localizedDescription)
        }
        try self.init(bytes: Array(data))
    }

    /// Indexes a recording held in memory.
    public init(bytes: [UInt8]) throws(RecordingError) {
        let (header, start) = try RecordingHeader.decode(bytes)
        self.header = header
        self.bytes = bytes
        self.byteCount = bytes.count
        var entries: [Entry] = []
        var strings = StringTable()
        var damage: RecordingDamage?
        var offset = start
        while offset < bytes.count {
            func stop(_ kind: RecordingDamage.Kind) {
                damage = RecordingDamage(pollIndex: entries.count, byteOffset: offset, kind: kind, bytesIgnored: bytes.count - offset)
            }
            guard bytes.count - offset >= RecordingFormat.framePrefixLength else { stop(.truncated); break }
            var r = ByteReader(bytes, range: offset..<(offset + 8))
            let length = Int((try? r.u32()) ?? 0)
            let crc = (try? r.u32()) ?? 0
            let bodyStart = offset + RecordingFormat.framePrefixLength
            guard length > 0, length <= RecordingFormat.maxFrameLength else { stop(.malformed("frame length \(length)")); break }
            guard bytes.count - bodyStart >= length else { stop(.truncated); break }
            let body = bodyStart..<(bodyStart + length)
            guard CRC32C.checksum(bytes, range: body) == crc else { stop(.checksumMismatch); break }
            let prefix: RecordingFrameDecoder.Prefix
            do { prefix = try RecordingFrameDecoder.prefix(bytes, body: body) } catch { stop(.malformed(error.description)); break }
            if entries.isEmpty && prefix.kind != .keyframe { stop(.malformed("the first frame is not a keyframe")); break }
            for s in prefix.newStrings { strings.define(s) }
            entries.append(Entry(offset: bodyStart, length: length, kind: prefix.kind, takenAt: prefix.takenAt))
            offset = body.upperBound
        }
        self.entries = entries
        self.strings = strings
        self.damage = damage
    }

    /// Complete polls in the file.
    public var pollCount: Int { entries.count }

    /// Every poll's `takenAt`, in order.
    public var timestamps: [Int64] { entries.map(\.takenAt) }

    /// The first poll's time (the recording's start), when there is a poll.
    public var startTime: Int64? { entries.first?.takenAt }

    /// The index of the last poll taken at or before `time` (ms since the epoch); `nil` when `time`
    /// is before the first poll.
    public func pollIndex(atOrBefore time: Int64) -> Int? {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].takenAt <= time { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    /// The snapshot of poll `index` (0-based).
    public func snapshot(at index: Int) throws(RecordingError) -> ClusterSnapshot {
        guard entries.indices.contains(index) else { throw .noSuchPoll(index, count: entries.count) }
        if let cursor, cursor.index == index { return cursor.snapshot }
        var start: Int
        var decoder: RecordingFrameDecoder
        if let cursor, cursor.index < index, !entries[(cursor.index + 1)...index].contains(where: { $0.kind == .keyframe }) {
            start = cursor.index + 1
            decoder = cursor.decoder
        } else {
            start = index
            while entries[start].kind != .keyframe { start -= 1 }
            var state = CodecState()
            state.strings = strings
            decoder = RecordingFrameDecoder(state: state)
        }
        var snapshot: ClusterSnapshot?
        while start <= index {
            let entry = entries[start]
            let body = entry.offset..<(entry.offset + entry.length)
            do {
                let prefix = try RecordingFrameDecoder.prefix(bytes, body: body)
                snapshot = try decoder.decode(bytes, body: body, prefix: prefix)
            } catch {
                throw .corruptFrame(pollIndex: start, reason: error.description)
            }
            start += 1
        }
        guard let snapshot else { throw .noSuchPoll(index, count: entries.count) }
        cursor = (index, decoder, snapshot)
        return snapshot
    }

    /// Calls `body` with every poll in order (stops at the first frame that cannot be decoded and
    /// throws its error).
    public func forEachSnapshot(_ body: (Int, ClusterSnapshot) throws -> Void) throws {
        for index in entries.indices { try body(index, try snapshot(at: index)) }
    }
}

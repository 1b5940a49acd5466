import Foundation

/// Stable JSON for snapshots and events: sorted keys, canonical list order, pretty-printed
/// snapshots (so two snapshots diff line by line) and one-line events (NDJSON).
public enum SnapshotJSON {
    /// Encodes a snapshot: normalized order, sorted keys, pretty-printed, no escaped slashes.
    ///
    /// The bytes are those Foundation's `JSONEncoder` writes with `[.sortedKeys, .prettyPrinted,
    /// .withoutEscapingSlashes]`. Prefer ``write(_:chunkSize:to:)`` for large snapshots: it never
    /// holds the whole document.
    ///
    /// With `timeLags`, each group gets a `timeLag` (``TimeLag/groupMaximum(_:)``) and each of its
    /// partitions the `timeLag` the closure gives for it (`{seconds, method, bound}` or `{unknown}`).
    public static func encode(_ snapshot: ClusterSnapshot, timeLags: TimeLagSource? = nil) throws -> Data {
        Data(try encodeBytes(snapshot, timeLags: timeLags))
    }

    /// ``encode(_:timeLags:)`` as a byte array.
    public static func encodeBytes(_ snapshot: ClusterSnapshot, timeLags: TimeLagSource? = nil) throws -> [UInt8] {
        var out: [UInt8] = []
        try write(snapshot, timeLags: timeLags, chunkSize: Int.max) { out.append(contentsOf: $0) }
        return out
    }

    /// Per-partition time lags of one group, asked for while the group is encoded (so nothing is
    /// kept for the whole snapshot).
    public typealias TimeLagSource = (Group) -> [TopicPartition: TimeLag]

    /// A group encoded with its time lag and its partitions' (the keys a second container write
    /// replaces are replaced, as in Foundation's encoder).
    private struct GroupWithTimeLag: Encodable {
        let group: Group
        let lags: [TopicPartition: TimeLag]

        struct Row: Encodable, CanonicalJSONWritable {
            let row: GroupPartition
            let timeLag: TimeLag?
            enum Keys: String, CodingKey { case timeLag }
            func encode(to encoder: any Encoder) throws {
                try row.encode(to: encoder)
                var container = encoder.container(keyedBy: Keys.self)
                try container.encodeIfPresent(timeLag, forKey: .timeLag)
            }
            func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) throws {
                try row.writeCanonicalJSON(depth: depth, pretty: pretty, timeLag: timeLag, into: &out)
            }
        }

        enum Keys: String, CodingKey { case partitions, timeLag }

        func encode(to encoder: any Encoder) throws {
            // The group without its rows (they are written below with their time lags and would
            // replace the first `partitions` anyway): one pass over the rows, not two.
            var bare = group
            bare.partitions = []
            try bare.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            let rows = group.partitions
            try container.encode(rows.indices.map { Row(row: rows[$0], timeLag: lags[rows[$0].topicPartition]) }, forKey: .partitions)
            try container.encodeIfPresent(TimeLag.groupMaximum(rows.indices.compactMap { lags[rows[$0].topicPartition] }), forKey: .timeLag)
        }
    }

    /// Writes the same bytes as ``encode(_:timeLags:)`` to `sink`, in chunks of about `chunkSize` bytes.
    ///
    /// Groups and topics are encoded one at a time, so memory beyond the snapshot itself is one
    /// chunk and one group's JSON, whatever the number of groups. Everything else (cluster, errors,
    /// and any field added later) goes through the same encoder as a whole, so the output cannot
    /// drift from ``encode(_:)``.
    public static func write(
        _ snapshot: ClusterSnapshot, timeLags: TimeLagSource? = nil, chunkSize: Int = 1 << 20, to sink: ([UInt8]) throws -> Void
    ) throws {
        let s = snapshot.normalized()
        var skeleton = s
        skeleton.groups = []
        skeleton.topics = []
        let encoder = CanonicalJSONEncoder(pretty: true)
        let frame = try encoder.encode(skeleton)
        // In the pretty skeleton, an empty top-level array is `\n  "key" : [\n\n  ]`. The pattern
        // cannot occur inside a string value: strings escape their newlines.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(min(chunkSize, 1 << 22))
        func flushIfFull() throws {
            if buffer.count >= chunkSize { try sink(buffer); buffer.removeAll(keepingCapacity: true) }
        }
        var from = 0
        var splices: [(at: Int, end: Int, elements: Splice)] = []
        for (key, elements) in [("groups", Splice.groups(s.groups)), ("topics", Splice.topics(s.topics))] {
            let marker = Array("\n  \"\(key)\" : [\n\n  ]".utf8)
            guard let at = find(marker, in: frame) else { throw EncodingError.invalidValue(key, .init(codingPath: [], debugDescription: "snapshot frame has no \(key) array")) }
            splices.append((at + marker.count - 5, at + marker.count, elements))  // replace `\n\n  ]`
        }
        splices.sort { $0.at < $1.at }
        for splice in splices {
            buffer.append(contentsOf: frame[from..<splice.at])
            let count = splice.elements.count
            if count == 0 {
                buffer.append(contentsOf: Array("\n\n  ]".utf8))
            } else {
                for i in 0..<count {
                    buffer.append(contentsOf: i == 0 ? [0x0A, 0x20, 0x20, 0x20, 0x20] : [0x2C, 0x0A, 0x20, 0x20, 0x20, 0x20])
                    switch splice.elements {
                    case .groups(let g):
                        if let timeLags {
                            try encoder.encode(GroupWithTimeLag(group: g[i], lags: timeLags(g[i])), depth: 2, into: &buffer)
                        } else {
                            try encoder.encode(g[i], depth: 2, into: &buffer)
                        }
                    case .topics(let t): try encoder.encode(t[i], depth: 2, into: &buffer)
                    }
                    try flushIfFull()
                }
                buffer.append(contentsOf: Array("\n  ]".utf8))
            }
            from = splice.end
        }
        buffer.append(contentsOf: frame[from...])
        if !buffer.isEmpty { try sink(buffer) }
    }

    private enum Splice {
        case groups([Group]), topics([TopicInfo])
        var count: Int {
            switch self {
            case .groups(let g): return g.count
            case .topics(let t): return t.count
            }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count, let first = needle.first else { return nil }
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// Decodes a snapshot written by ``encode(_:)``.
    /// - Throws: ``NotASnapshot`` saying in words what is wrong and where (never a Swift
    ///   `DecodingError` dump).
    public static func decodeSnapshot(_ data: Data) throws -> ClusterSnapshot {
        do {
            return try JSONDecoder().decode(ClusterSnapshot.self, from: data)
        } catch let error as DecodingError {
            throw NotASnapshot(reason: describe(error))
        }
    }

    /// A file that is not a `kgtop.snapshot/1` JSON document, and why.
    public struct NotASnapshot: Error, CustomStringConvertible {
        /// What is wrong, with the JSON path where it is (`groups[2].members[0].memberId`).
        public var reason: String
        public var description: String { "not a kgtop snapshot (kgtop.snapshot/1 JSON): \(reason)" }
    }

    /// A decoding error in words: what is missing or wrong, and where.
    public static func describe(_ error: DecodingError) -> String {
        DecodingProblem.describe(error, place: DecodingProblem.dottedPath)
    }

    /// Encodes any value on one line with sorted keys (for NDJSON streams), without a newline.
    public static func encodeLine<T: Encodable>(_ value: T) throws -> Data {
        Data(try CanonicalJSONEncoder(pretty: false).encode(value))
    }
}

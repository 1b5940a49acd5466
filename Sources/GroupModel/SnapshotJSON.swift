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
        var out = JSONBytes(capacity: 1 << 16)
        try canonical(snapshot).writeCanonicalJSON(depth: 0, pretty: true, timeLags: timeLags, into: &out) { _ in }
        return out.array
    }

    /// Time lags of one group's partitions, one per row in the order of the group it is given (a
    /// row past the end of the list has none), asked for while the group is encoded (so nothing is
    /// kept for the whole snapshot).
    public typealias TimeLagSource = (Group) -> [TimeLag]

    /// Writes the same bytes as ``encode(_:timeLags:)`` to `sink`, in chunks of about `chunkSize`
    /// bytes; a chunk is valid only during the call that hands it over.
    ///
    /// Every value in the snapshot writes its own JSON (``CanonicalJSONWritable``, the bytes
    /// Foundation's `JSONEncoder` gives for its `Encodable` conformance); only the cluster header
    /// goes through ``CanonicalJSONEncoder``. Groups and topics are written one at a time and the
    /// buffer is handed to `sink` whenever it holds `chunkSize` bytes, so memory beyond the snapshot
    /// itself is one chunk and one group's JSON, whatever the number of groups. Lists already in
    /// canonical order (as the poller and the assembler build them) are written as they are; the
    /// others are sorted as ``ClusterSnapshot/normalized()`` sorts them.
    public static func write(
        _ snapshot: ClusterSnapshot, timeLags: TimeLagSource? = nil, chunkSize: Int = 1 << 20, to sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let s = canonical(snapshot)
        // A chunk and one group's bytes beyond it, so that the buffer does not grow past a chunk.
        var buffer = JSONBytes(capacity: min(chunkSize, 1 << 22) + (1 << 16))
        try s.writeCanonicalJSON(depth: 0, pretty: true, timeLags: timeLags, into: &buffer) { buffer in
            if buffer.count >= chunkSize {
                try buffer.withBytes(sink)
                buffer.removeAll()
            }
        }
        if !buffer.isEmpty { try buffer.withBytes(sink) }
    }

    /// `snapshot.normalized()`, without copying what is already in canonical order: each list is
    /// checked (strictly increasing in its sort order, so sorting it would leave it as it is) and
    /// sorted only when the check fails, by the same code as ``ClusterSnapshot/normalized()``.
    static func canonical(_ snapshot: ClusterSnapshot) -> ClusterSnapshot {
        var s = snapshot
        let brokers = s.cluster.brokers
        if !increasing(brokers.count, { brokers[$0].nodeID < brokers[$0 + 1].nodeID }) {
            s.cluster.brokers.sort { $0.nodeID < $1.nodeID }
        }
        let topics = s.topics
        let topicsInOrder = increasing(topics.count, { topics[$0].name < topics[$0 + 1].name })
            && topics.indices.allSatisfy { t in
                let partitions = topics[t].partitions
                return increasing(partitions.count, { partitions[$0].partition < partitions[$0 + 1].partition })
            }
        if !topicsInOrder {
            s.topics = snapshot.normalizedTopics()
        }
        let groups = s.groups
        if !increasing(groups.count, { groups[$0].groupID < groups[$0 + 1].groupID }) {
            s.groups = snapshot.normalizedGroups()
        } else {
            for g in groups.indices where !groups[g].isNormalized {
                s.groups[g] = groups[g].normalized()
            }
        }
        let errors = s.errors
        if !increasing(errors.count, { PollError.ordered(errors[$0], errors[$0 + 1]) }) {
            s.errors = snapshot.normalizedErrors()
        }
        return s
    }

    /// Whether `less(i)` (element `i` before element `i + 1`) holds for every adjacent pair of a
    /// list of `count` elements.
    @inline(__always)
    static func increasing(_ count: Int, _ less: (Int) -> Bool) -> Bool {
        var i = 0
        while i + 1 < count {
            if !less(i) { return false }
            i += 1
        }
        return true
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

extension Group {
    /// Whether ``normalized()`` would return the group as it is: members strictly increasing by id,
    /// each with its lists strictly increasing, and rows strictly increasing by partition (so no
    /// sort could reorder them and no de-duplication drop anything).
    var isNormalized: Bool {
        let members = self.members
        let rows = partitions
        return SnapshotJSON.increasing(members.count, { members[$0].memberID < members[$0 + 1].memberID })
            && members.indices.allSatisfy { members[$0].isNormalized }
            && SnapshotJSON.increasing(rows.count, { rows[$0].topicPartition < rows[$0 + 1].topicPartition })
    }
}

extension GroupMember {
    /// Whether ``normalized()`` would return the member as it is: every list strictly increasing.
    var isNormalized: Bool {
        func increasing<T: Comparable>(_ list: [T]?) -> Bool {
            guard let list else { return true }
            return SnapshotJSON.increasing(list.count, { list[$0] < list[$0 + 1] })
        }
        return increasing(subscribedTopics) && increasing(assignment) && increasing(targetAssignment) && increasing(ownedPartitions)
    }
}

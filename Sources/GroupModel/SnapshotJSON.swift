import Foundation

/// Stable JSON for snapshots and events: sorted keys, canonical list order, pretty-printed
/// snapshots (so two snapshots diff line by line) and one-line events (NDJSON).
public enum SnapshotJSON {
    /// Encodes a snapshot: normalized order, sorted keys, pretty-printed, no escaped slashes.
    public static func encode(_ snapshot: ClusterSnapshot) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(snapshot.normalized())
    }

    /// Decodes a snapshot written by ``encode(_:)``.
    public static func decodeSnapshot(_ data: Data) throws -> ClusterSnapshot {
        try JSONDecoder().decode(ClusterSnapshot.self, from: data)
    }

    /// Encodes any value on one line with sorted keys (for NDJSON streams), without a newline.
    public static func encodeLine<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

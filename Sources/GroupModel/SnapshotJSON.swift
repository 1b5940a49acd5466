import Foundation

/// Stable JSON for snapshots and events: sorted keys, canonical list order, pretty-printed
/// snapshots (so two snapshots diff line by line) and one-line events (NDJSON).
public enum SnapshotJSON {
    /// Encodes a snapshot: normalized order, sorted keys, pretty-printed, no escaped slashes.
    ///
    /// The bytes are those Foundation's `JSONEncoder` writes with `[.sortedKeys, .prettyPrinted,
    /// .withoutEscapingSlashes]`, produced by ``CanonicalJSONEncoder`` without building a document
    /// tree first.
    public static func encode(_ snapshot: ClusterSnapshot) throws -> Data {
        Data(try encodeBytes(snapshot))
    }

    /// ``encode(_:)`` as a byte array, for writers that do not need `Data`.
    public static func encodeBytes(_ snapshot: ClusterSnapshot) throws -> [UInt8] {
        try CanonicalJSONEncoder(pretty: true).encode(snapshot.normalized())
    }

    /// Decodes a snapshot written by ``encode(_:)``.
    public static func decodeSnapshot(_ data: Data) throws -> ClusterSnapshot {
        try JSONDecoder().decode(ClusterSnapshot.self, from: data)
    }

    /// Encodes any value on one line with sorted keys (for NDJSON streams), without a newline.
    public static func encodeLine<T: Encodable>(_ value: T) throws -> Data {
        Data(try CanonicalJSONEncoder(pretty: false).encode(value))
    }
}

import GroupModel

/// The derivation a replay runs over recorded snapshots: the live monitor's own steps.
public typealias RecordingDerivation = PollDerivation

// MARK: - Events of a recording

extension RecordingReader {
    /// The NDJSON lines `kgtop events --from FILE` prints: per poll, the ``GroupEvent``s then the
    /// ``EpisodeEvent``s, one JSON object per line (schema `kgtop.event/1`), re-derived from the
    /// recorded snapshots.
    public func eventLines() throws -> [String] {
        var derivation = RecordingDerivation()
        var lines: [String] = []
        try forEachSnapshot { _, snapshot in
            let poll = derivation.ingest(snapshot)
            for e in poll.events { lines.append(String(decoding: try SnapshotJSON.encodeLine(e), as: UTF8.self)) }
            for e in poll.episodeEvents { lines.append(String(decoding: try SnapshotJSON.encodeLine(e), as: UTF8.self)) }
        }
        return lines
    }
}

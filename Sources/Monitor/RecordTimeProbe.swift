import GroupModel
import KafkaAdmin

/// Reads the timestamps of the records at committed offsets from the partition leaders (one Fetch
/// per leader, see ``KafkaAdminClient/recordTimestamps(_:maxBytesPerPartition:)``): what turns a
/// time lag the history can only bound into a measured one.
public enum RecordTimeProbe {
    /// Committed offsets read per poll at most, by default (the monitor's budget).
    public static let defaultBudget = 100
    /// Committed offsets read at most for one `kgtop snapshot`.
    public static let snapshotBudget = 1_000

    /// Reads the records at `keys`: one offset per partition per call (a second offset of the same
    /// partition, committed by another group, waits for the next call), with at most `maxFetches`
    /// Fetches (the leaders of the first keys; the rest wait for the next call). What could not be
    /// read (an error, a record gone by retention) is left out: its time lag stays a bound.
    public static func read(
        _ keys: [RecordTimes.Key], admin: KafkaAdminClient, maxFetches: Int = .max
    ) async -> (records: [RecordTimes.Key: RecordTimes.Record], stats: RequestStats) {
        var seen = Set<TopicPartition>()
        let unique = keys.filter { seen.insert($0.topicPartition).inserted }
        guard !unique.isEmpty else { return ([:], RequestStats()) }
        let requests = unique.map { (partition: $0.topicPartition, offset: $0.offset) }
        guard maxFetches > 0, let answer = try? await admin.recordTimestamps(requests, maxFetches: maxFetches) else {
            return ([:], RequestStats())
        }
        var out: [RecordTimes.Key: RecordTimes.Record] = [:]
        for key in unique {
            let id = key.topicPartition
            if case .success(let r)? = answer.results[id], r.offset == key.offset {
                out[key] = RecordTimes.Record(timestamp: r.timestamp, exact: r.exact)
            }
        }
        return (out, answer.stats)
    }

    /// The records at the committed offsets of one snapshot's lagging partitions, the largest lags
    /// first, at most `budget` of them (`kgtop snapshot`, which has no history to interpolate in).
    public static func records(for snapshot: ClusterSnapshot, admin: KafkaAdminClient, budget: Int = snapshotBudget) async -> RecordTimes {
        let keys = RecordTimes.candidates(in: snapshot, known: RecordTimes(), oldestLogEnd: { _ in nil }, focus: [], budget: budget)
        let (found, _) = await read(keys, admin: admin)
        var table = RecordTimes()
        for (key, record) in found { table[key] = record }
        return table
    }
}

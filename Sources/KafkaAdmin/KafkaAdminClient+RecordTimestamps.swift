import GroupModel
import KafkaProtocol
import KafkaWire

/// The timestamp of the record at (or first after) an offset, read by a one-record Fetch.
public struct RecordTimestamp: Sendable, Hashable {
    /// The offset asked for.
    public var offset: Int64
    /// The record's timestamp (ms since the Unix epoch): its CreateTime, or the batch's append time
    /// under LogAppendTime.
    public var timestamp: Int64
    /// `false` when the record itself could not be read (its batch is compressed): ``timestamp`` is
    /// then the newest timestamp of the batch that holds it, so the record is at least that old.
    public var exact: Bool

    /// Creates a value.
    public init(offset: Int64, timestamp: Int64, exact: Bool) {
        self.offset = offset
        self.timestamp = timestamp
        self.exact = exact
    }
}

extension KafkaAdminClient {
    /// What ``recordTimestamps(_:maxBytesPerPartition:)`` found: per requested partition the
    /// timestamp or why there is none, and what the requests cost.
    public struct RecordTimestampsResult: Sendable {
        /// Per partition (the last request wins when one is asked twice).
        public var results: [TopicPartition: Result<RecordTimestamp, AdminItemError>]
        /// Requests and bytes spent.
        public var stats: RequestStats
    }

    /// The Fetch versions sent: v13 switches topics to ids, kgtop sends names.
    static let recordTimestampFetchVersions: ClosedRange<Int16> = 4...12

    /// Reads the timestamp of the record at each given offset: one Fetch per partition leader for
    /// all of its partitions (at most `maxBytesPerPartition` bytes each), decoding only the
    /// batch that holds the offset. This is how kgtop measures how old the next record a group will
    /// consume is (its time lag), when its own log-end samples do not reach back that far.
    ///
    /// Per partition: `OFFSET_OUT_OF_RANGE` when the record is gone (deleted by retention) or not
    /// written yet; `missingFromResponse` when the leader sent no complete batch within the limit.
    ///
    /// At most `maxFetches` leaders are asked: those of the first partitions in `requests` (put the
    /// most wanted first); the partitions of the other leaders are left out of the results.
    public func recordTimestamps(
        _ requests: [(partition: TopicPartition, offset: Int64)], maxBytesPerPartition: Int32 = 16_384, maxFetches: Int = .max
    ) async throws(KafkaAdminError) -> RecordTimestampsResult {
        var stats = RequestStats()
        var results: [TopicPartition: Result<RecordTimestamp, AdminItemError>] = [:]
        guard !requests.isEmpty else { return RecordTimestampsResult(results: results, stats: stats) }
        let metadata = try await ensureMetadata(&stats)
        var byLeader: [Int32: [TopicPartition: Int64]] = [:]
        for (p, offset) in requests {
            guard let leader = metadata.leader(of: p) else {
                results[p] = .failure(.broker(KafkaErrorCode.leaderNotAvailable.code))
                continue
            }
            if byLeader[leader] == nil, byLeader.count >= maxFetches { continue }
            byLeader[leader, default: [:]][p] = offset
        }
        let batches = byLeader
        let answers = await withTaskGroup(of: (Int32, RoutedResponse<FetchResponse>).self) { group in
            for (leader, wanted) in batches {
                group.addTask {
                    var topics: [String: [FetchRequest.FetchPartition]] = [:]
                    for (p, offset) in wanted.sorted(by: { $0.key < $1.key }) {
                        topics[p.topic, default: []].append(FetchRequest.FetchPartition(
                            partition: p.partition, fetchOffset: offset, partitionMaxBytes: maxBytesPerPartition))
                    }
                    let request = topics.sorted { $0.key < $1.key }.map { FetchRequest.FetchTopic(topic: $0.key, partitions: $0.value) }
                    let total = Int32(clamping: Int64(maxBytesPerPartition) * Int64(wanted.count))
                    let answer = await self.send(to: leader, versions: Self.recordTimestampFetchVersions) { _ in
                        // minBytes 1: some brokers (Tansu) answer an empty response to minBytes 0. The
                        // records are there (every offset asked for is below the log end), so a broker
                        // answers at once; the wait bounds only a record that has just been deleted.
                        FetchRequest(replicaID: -1, maxWaitMs: 500, minBytes: 1, maxBytes: total, isolationLevel: 0, sessionID: 0, sessionEpoch: -1, topics: request)
                    }
                    return (leader, answer)
                }
            }
            var all: [(Int32, RoutedResponse<FetchResponse>)] = []
            for await x in group { all.append(x) }
            return all
        }
        for (leader, answer) in answers {
            stats.merge(answer.stats)
            let wanted = batches[leader] ?? [:]
            switch answer.result {
            case .failure(let e):
                for p in wanted.keys { results[p] = .failure(e) }
            case .success(let response):
                if let e = AdminItemError.fromCode(response.errorCode) {
                    for p in wanted.keys { results[p] = .failure(e) }
                    continue
                }
                for t in response.responses {
                    for data in t.partitions {
                        let p = TopicPartition(topic: t.topic, partition: data.partitionIndex)
                        guard let offset = wanted[p] else { continue }
                        if let e = AdminItemError.fromCode(data.errorCode) {
                            if KafkaErrorCode.staleMetadataErrors.contains(data.errorCode) { metadataStale = true }
                            results[p] = .failure(e)
                            continue
                        }
                        results[p] = Self.recordTimestamp(at: offset, in: data.records ?? [])
                    }
                }
                for p in wanted.keys where results[p] == nil { results[p] = .failure(AdminItemError(.missingFromResponse)) }
            }
        }
        return RecordTimestampsResult(results: results, stats: stats)
    }

    /// The timestamp of the record at `offset` in a Fetch answer's `records` bytes.
    static func recordTimestamp(at offset: Int64, in bytes: [UInt8]) -> Result<RecordTimestamp, AdminItemError> {
        let decoded: RecordBatch.DecodedBatches
        do {
            decoded = try RecordBatch.decodeAll(bytes)
        } catch {
            return .failure(AdminItemError(.malformedResponse, message: "record batch: \(error)"))
        }
        guard let batch = decoded.batches.first(where: { $0.nextOffset > offset }) else {
            let why = decoded.skippedTrailingBytes > 0 ? "the record's batch is larger than the fetch limit" : "no record at offset \(offset)"
            return .failure(AdminItemError(.missingFromResponse, message: why))
        }
        if let record = batch.records.first(where: { batch.offset(of: $0) >= offset }) {
            return .success(RecordTimestamp(offset: offset, timestamp: batch.timestamp(of: record), exact: true))
        }
        // A compressed batch: the first record's CreateTime is the batch's base timestamp; any other
        // record is no newer than the batch's newest.
        if batch.baseOffset >= offset, batch.timestampType != .logAppendTime {
            return .success(RecordTimestamp(offset: offset, timestamp: batch.baseTimestamp, exact: true))
        }
        return .success(RecordTimestamp(offset: offset, timestamp: batch.maxTimestamp, exact: batch.timestampType == .logAppendTime))
    }
}

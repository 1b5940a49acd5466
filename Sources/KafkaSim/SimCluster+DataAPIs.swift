import GroupModel
import KafkaProtocol
import KafkaWire

// The simulated logs on the wire: Produce, Fetch (long polls and one-shot reads) and
// OffsetForLeaderEpoch.

extension SimCluster {
    func produce(_ req: ProduceRequest, version: Int16, broker: Int32) -> ProduceResponse {
        var resp = ProduceResponse()
        for t in req.topicData {
            let name = version >= 13 ? (topicNamesByID[t.topicID] ?? "") : t.name
            var topic = ProduceResponse.TopicProduceResponse(name: version >= 13 ? "" : t.name, topicID: version >= 13 ? t.topicID : .zero)
            for p in t.partitionData {
                var out = ProduceResponse.PartitionProduceResponse(index: p.index, errorCode: 0, baseOffset: -1)
                let led = ledLog(TopicPartition(topic: name, partition: p.index), on: broker, byTopicID: version >= 13)
                guard let log = led.log else {
                    out.errorCode = led.error
                    topic.partitionResponses.append(out)
                    continue
                }
                guard let batches = RecordBatchBuilder.splitBatches(p.records ?? []) else {
                    out.errorCode = 2  // CORRUPT_MESSAGE
                    topic.partitionResponses.append(out)
                    continue
                }
                var base: Int64 = -1
                for b in batches {
                    let o = log.append(recordCount: Int64(b.lastOffsetDelta) + 1, firstTimestamp: b.baseTimestamp, maxTimestamp: b.maxTimestamp, payload: .raw(b.bytes))
                    if base < 0 { base = o }
                }
                out.baseOffset = base < 0 ? log.highWatermark : base
                out.logStartOffset = log.logStartOffset
                topic.partitionResponses.append(out)
            }
            resp.responses.append(topic)
        }
        return resp
    }

    func fetch(_ req: FetchRequest, version: Int16, broker: Int32) async -> FetchResponse {
        let start = ContinuousClock.now
        var resp = fetchOnce(req, version: version, broker: broker)
        let wait = Duration.milliseconds(Int64(max(0, min(req.maxWaitMs, 30_000))))
        while fetchedBytes(resp) < max(Int(req.minBytes), 1) && ContinuousClock.now - start < wait && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
            resp = fetchOnce(req, version: version, broker: broker)
            if resp.responses.contains(where: { $0.partitions.contains { $0.errorCode != 0 } }) { break }
        }
        return resp
    }

    private func fetchedBytes(_ r: FetchResponse) -> Int {
        r.responses.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + ($1.records?.count ?? 0) } }
    }

    func fetchOnce(_ req: FetchRequest, version: Int16, broker: Int32) -> FetchResponse {
        var resp = FetchResponse()
        var budget = Int(req.maxBytes)
        for t in req.topics {
            let name = version >= 13 ? (topicNamesByID[t.topicID] ?? "") : t.topic
            var topic = FetchResponse.FetchableTopicResponse(topic: version >= 13 ? "" : t.topic, topicID: version >= 13 ? t.topicID : .zero)
            for p in t.partitions {
                var out = FetchResponse.PartitionData(partitionIndex: p.partition, errorCode: 0, highWatermark: -1)
                let led = ledLog(TopicPartition(topic: name, partition: p.partition), on: broker, byTopicID: version >= 13)
                guard let log = led.log else {
                    out.errorCode = led.error
                    topic.partitions.append(out)
                    continue
                }
                out.highWatermark = log.highWatermark
                out.lastStableOffset = log.highWatermark
                out.logStartOffset = log.logStartOffset
                if p.fetchOffset < log.logStartOffset || p.fetchOffset > log.highWatermark {
                    out.errorCode = 1  // OFFSET_OUT_OF_RANGE
                    out.records = []
                } else {
                    let limit = max(0, min(Int(p.partitionMaxBytes), budget))
                    let bytes = limit > 0 || budget == Int(req.maxBytes) ? log.read(from: p.fetchOffset, maxBytes: max(limit, 1)) : []
                    budget -= bytes.count
                    out.records = bytes
                }
                topic.partitions.append(out)
            }
            resp.responses.append(topic)
        }
        return resp
    }

    func offsetForLeaderEpoch(_ req: OffsetForLeaderEpochRequest, broker: Int32) -> OffsetForLeaderEpochResponse {
        var resp = OffsetForLeaderEpochResponse()
        for t in req.topics {
            var topic = OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult(topic: t.topic)
            for p in t.partitions {
                var out = OffsetForLeaderEpochResponse.EpochEndOffset(errorCode: 0, partition: p.partition)
                let led = ledLog(TopicPartition(topic: t.topic, partition: p.partition), on: broker)
                if let log = led.log {
                    out.leaderEpoch = min(p.leaderEpoch, log.leaderEpoch)
                    out.endOffset = log.highWatermark
                } else {
                    out.errorCode = led.error
                }
                topic.partitions.append(out)
            }
            resp.topics.append(topic)
        }
        return resp
    }
}

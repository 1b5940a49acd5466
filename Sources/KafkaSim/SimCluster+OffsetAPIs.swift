import GroupModel
import KafkaProtocol
import KafkaWire

// The simulated cluster's offsets: OffsetFetch, OffsetCommit (with the commit checks of both
// protocols) and ListOffsets.

extension SimCluster {
    func offsetFetch(_ req: OffsetFetchRequest, version: Int16, broker: Int32) -> OffsetFetchResponse {
        var resp = OffsetFetchResponse()
        if version < 8 {
            let requested: [(String, [Int32])]? = req.topics.map { $0.map { ($0.name, $0.partitionIndexes) } }
            let (code, fetched) = fetchGroupOffsets(req.groupID, requested: requested, memberID: nil, memberEpoch: -1, broker: broker)
            let topics = code == 0 || version < 2 ? fetched : []
            resp.topics = topics.map { t in
                .init(name: t.name, partitions: t.partitions.map {
                    .init(partitionIndex: $0.0, committedOffset: $0.1.offset, committedLeaderEpoch: version >= 5 ? $0.1.leaderEpoch : -1,
                          metadata: $0.1.metadata, errorCode: version < 2 && code != 0 ? code : 0)
                })
            }
            if version >= 2 { resp.errorCode = code }
            return resp
        }
        resp.groups = req.groups.map { grp in
            let requested: [(String, [Int32])]? = grp.topics.map { $0.map { ($0.name, $0.partitionIndexes) } }
            let (code, fetched) = fetchGroupOffsets(grp.groupID, requested: requested, memberID: grp.memberID, memberEpoch: grp.memberEpoch, broker: broker)
            let topics = code == 0 ? fetched : []
            return .init(groupID: grp.groupID, topics: topics.map { t in
                .init(name: t.name, partitions: t.partitions.map {
                    .init(partitionIndex: $0.0, committedOffset: $0.1.offset, committedLeaderEpoch: $0.1.leaderEpoch, metadata: $0.1.metadata, errorCode: 0)
                })
            }, errorCode: code)
        }
        return resp
    }

    struct FetchedTopic {
        var name: String
        var partitions: [(Int32, CommittedOffset)]
    }

    func fetchGroupOffsets(_ groupID: String, requested: [(String, [Int32])]?, memberID: String?, memberEpoch: Int32, broker: Int32) -> (Int16, [FetchedTopic]) {
        let none = CommittedOffset(offset: -1, leaderEpoch: -1, metadata: "", commitTimestampMs: 0)
        if let e = coordinatorError(groupID, broker: broker) {
            // v0-1 have no group-level error: the requested partitions carry it.
            return (e, (requested ?? []).map { name, parts in FetchedTopic(name: name, partitions: parts.map { ($0, none) }) })
        }
        let g = groups[groupID]
        if let g, g.type == .consumer, let memberID, !memberID.isEmpty {
            guard let m = g.consumer.members[memberID] else { return (KafkaErrorCode.unknownMemberID.code, []) }
            if memberEpoch != m.memberEpoch { return (KafkaErrorCode.staleMemberEpoch.code, []) }
        }
        if let requested {
            return (0, requested.map { name, parts in
                FetchedTopic(name: name, partitions: parts.map { p in (p, g?.offsets[TopicPartition(topic: name, partition: p)] ?? none) })
            })
        }
        guard let g, let only = g.offsets.first?.key.topic else { return (0, []) }
        // The usual group commits to one topic: its partitions in order, no grouping, in one pass.
        var partitions: [(Int32, CommittedOffset)] = []
        partitions.reserveCapacity(g.offsets.count)
        for (tp, o) in g.offsets {
            guard tp.topic == only else { break }
            partitions.append((tp.partition, o))
        }
        if partitions.count == g.offsets.count {
            partitions.sort { $0.0 < $1.0 }
            return (0, [FetchedTopic(name: only, partitions: partitions)])
        }
        var byTopic: [String: [(Int32, CommittedOffset)]] = [:]
        for (tp, o) in g.offsets { byTopic[tp.topic, default: []].append((tp.partition, o)) }
        return (0, byTopic.keys.sorted().map { FetchedTopic(name: $0, partitions: byTopic[$0]!.sorted { $0.0 < $1.0 }) })
    }

    func offsetCommit(_ req: OffsetCommitRequest, broker: Int32) -> OffsetCommitResponse {
        let code = coordinatorError(req.groupID, broker: broker)
            ?? validateCommit(groupID: req.groupID, memberID: req.memberID, generationOrEpoch: req.generationIDOrMemberEpoch, instanceID: req.groupInstanceID,
                              partitions: req.topics.flatMap { t in t.partitions.map { TopicPartition(topic: t.name, partition: $0.partitionIndex) } })
        var resp = OffsetCommitResponse()
        let now = clock.nowMs()
        for t in req.topics {
            var topic = OffsetCommitResponse.OffsetCommitResponseTopic(name: t.name)
            for p in t.partitions {
                var err = code
                if err == 0 && partitionLog(TopicPartition(topic: t.name, partition: p.partitionIndex)) == nil { err = KafkaErrorCode.unknownTopicOrPartition.code }
                if err == 0 {
                    let g = groupForCommit(req.groupID)
                    g.offsets[TopicPartition(topic: t.name, partition: p.partitionIndex)] = CommittedOffset(
                        offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata, commitTimestampMs: now)
                }
                topic.partitions.append(.init(partitionIndex: p.partitionIndex, errorCode: err))
            }
            resp.topics.append(topic)
        }
        return resp
    }

    func groupForCommit(_ id: String) -> SimGroup {
        if let g = groups[id] { return g }
        let g = SimGroup(id: id, type: .classic)
        groups[id] = g
        return g
    }

    /// Kafka's commit validation: admin commits only to empty groups; members must match generation / epoch.
    ///
    /// A KIP-848 member may commit at an older epoch (Kafka 4.3, KIP-1251) the partitions it has held
    /// (assigned or pending revocation) since that epoch: its epoch can move on, for example when it
    /// gains a partition, while a commit it sent before hearing the new epoch is in flight. With
    /// ``SimConfig/kafkaVersion`` below 4.3 only the current member epoch is accepted.
    func validateCommit(groupID: String, memberID: String, generationOrEpoch: Int32, instanceID: String?, partitions: [TopicPartition] = []) -> Int16 {
        guard !groupID.isEmpty else { return KafkaErrorCode.invalidGroupID.code }
        guard let g = groups[groupID] else {
            return generationOrEpoch < 0 && memberID.isEmpty ? 0 : KafkaErrorCode.illegalGeneration.code
        }
        switch g.type {
        case .classic:
            let cg = g.classic
            if generationOrEpoch < 0 && cg.state == .empty { return 0 }
            if let inst = instanceID, let holder = cg.staticMembers[inst], holder != memberID { return KafkaErrorCode.fencedInstanceID.code }
            guard cg.members[memberID] != nil else { return KafkaErrorCode.unknownMemberID.code }
            guard generationOrEpoch == cg.generation else { return KafkaErrorCode.illegalGeneration.code }
            if cg.state == .completingRebalance { return KafkaErrorCode.rebalanceInProgress.code }
            return 0
        case .consumer:
            let cg = g.consumer
            if generationOrEpoch < 0 && memberID.isEmpty && cg.members.isEmpty { return 0 }
            guard let m = cg.members[memberID] else { return KafkaErrorCode.unknownMemberID.code }
            if generationOrEpoch == m.memberEpoch { return 0 }
            if m.classicProtocols != nil { return KafkaErrorCode.illegalGeneration.code }
            if generationOrEpoch > m.memberEpoch || !config.kafkaVersion.acceptsCommitsAtOlderEpochs { return KafkaErrorCode.staleMemberEpoch.code }
            let held = partitions.allSatisfy { tp in m.assignmentEpochs[tp].map { $0 <= generationOrEpoch } ?? false }
            return held ? 0 : KafkaErrorCode.staleMemberEpoch.code
        }
    }

    func listOffsets(_ req: ListOffsetsRequest, version: Int16, broker: Int32) -> ListOffsetsResponse {
        var resp = ListOffsetsResponse()
        resp.topics.reserveCapacity(req.topics.count)
        for t in req.topics {
            var topic = ListOffsetsResponse.ListOffsetsTopicResponse(name: t.name)
            topic.partitions.reserveCapacity(t.partitions.count)
            let simTopic = topics[t.name]
            for p in t.partitions {
                let o = listedOffset(in: simTopic, partition: p.partitionIndex, timestamp: p.timestamp, version: version, broker: broker)
                topic.partitions.append(.init(partitionIndex: p.partitionIndex, errorCode: o.errorCode, timestamp: o.timestamp,
                                              offset: o.offset, leaderEpoch: o.leaderEpoch))
            }
            resp.topics.append(topic)
        }
        return resp
    }

    /// What ListOffsets answers for one partition (the protocol's defaults where nothing is known).
    struct ListedOffset {
        var errorCode: Int16 = 0
        var timestamp: Int64 = -1
        var offset: Int64 = -1
        var leaderEpoch: Int32 = -1
    }

    /// ListOffsets' answer for partition `partition` of `simTopic` (nil: no such topic) at
    /// `timestamp` (-1 latest, -2 and -4 earliest, -3 max timestamp, -5 earliest local, or a time),
    /// on `broker`.
    func listedOffset(in simTopic: SimTopic?, partition: Int32, timestamp: Int64, version: Int16, broker: Int32) -> ListedOffset {
        var out = ListedOffset()
        let led = ledLog(in: simTopic, partition: partition, on: broker)
        guard let log = led.log else {
            out.errorCode = led.error
            return out
        }
        if version >= 4 { out.leaderEpoch = log.leaderEpoch }
        switch timestamp {
        case -1: out.offset = log.highWatermark
        case -2, -4: out.offset = log.logStartOffset
        case -3:
            if let m = log.maxTimestampOffset() { out.offset = m.offset; out.timestamp = m.timestamp }
        case -5: out.offset = log.logStartOffset
        default:
            if timestamp >= 0, let found = log.offset(forTimestamp: timestamp) {
                out.offset = found.offset
                out.timestamp = found.timestamp
            } else if timestamp < 0 {
                out.errorCode = KafkaErrorCode.unsupportedVersion.code
            }
        }
        return out
    }
}

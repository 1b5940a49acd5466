import GroupModel
import KafkaProtocol
import KafkaWire

// The big answers of a poll (ConsumerGroupDescribe, DescribeGroups, OffsetFetch, ListOffsets and
// ListGroups) written straight to the wire from the cluster's state, at the flexible versions a
// current client asks, instead of being built as generated response values, encoded and freed.
// Every other version goes through the generated encoders (`SimCluster+GroupAPIs.swift`,
// `SimCluster+OffsetAPIs.swift`); the tests hold each writer here byte for byte to that path at
// every version it handles. Both paths share the rules (which groups are listed, which offset a
// partition answers, why a group is refused); what is written here is only the field layout.

extension SimCluster {
    /// The versions answered by the writers of this file, per API key; others are answered from
    /// generated response values.
    static let directlyWrittenVersions: [Int16: ClosedRange<Int16>] = [
        ListOffsetsRequest.apiKey: 6...10,
        OffsetFetchRequest.apiKey: 8...9,
        ListGroupsRequest.apiKey: 3...5,
        DescribeGroupsRequest.apiKey: 5...6,
        ConsumerGroupDescribeRequest.apiKey: 0...1,
    ]

    /// Whether the answer to API `key` at `version` is written by this file's writers.
    func writesDirectly(_ key: Int16, _ version: Int16) -> Bool {
        writesAnswersDirectly && (Self.directlyWrittenVersions[key]?.contains(version) ?? false)
    }

    /// A flexible response to `header`: the response header, then what `body` writes.
    func directReply(_ header: RequestHeader, apiKey: Int16, capacity: Int,
                     _ body: (inout WireWriter) throws(WireError) -> Void) -> SimReply {
        var w = WireWriter(capacity: capacity)
        ResponseHeader(correlationID: header.correlationID).encode(to: &w, headerVersion: ResponseHeader.version(apiKey: apiKey, flexible: true))
        do {
            try body(&w)
        } catch {
            logger.error("cannot write response", metadata: ["api": "\(apiKey)", "version": "\(header.apiVersion)", "error": "\(error)"])
            return .close
        }
        return .response(w.bytes)
    }

    // MARK: - ListGroups v3-5

    /// ListGroups (flexible versions 3-5).
    func writeListGroups(_ req: ListGroupsRequest, version: Int16, broker: Int32, to w: inout WireWriter) {
        w.writeInt32(0)
        guard let listed = listedGroups(req, broker: broker) else {
            w.writeInt16(faults[broker]?.coordinatorError ?? 0)
            w.writeArrayCount(0, compact: true)
            w.writeUnsignedVarint(0)
            return
        }
        w.writeInt16(0)
        w.writeArrayCount(listed.count, compact: true)
        for (g, state) in listed {
            w.writeString(g.id, compact: true)
            w.writeString(g.protocolType, compact: true)
            if version >= 4 { w.writeString(state, compact: true) }
            if version >= 5 { w.writeString(g.typeName, compact: true) }
            w.writeUnsignedVarint(0)
        }
        w.writeUnsignedVarint(0)
    }

    // MARK: - DescribeGroups v5-6

    /// DescribeGroups (flexible versions 5-6).
    func writeDescribeGroups(_ req: DescribeGroupsRequest, version: Int16, broker: Int32, to w: inout WireWriter) throws(WireError) {
        w.writeInt32(0)
        w.writeArrayCount(req.groups.count, compact: true)
        for id in req.groups {
            guard coordinatorError(id, broker: broker) == nil, let g = groups[id], g.type == .classic, !g.isShareOrStreams else {
                // Refusals are rare: the generated value writes them.
                try describedClassicGroup(id, version: version, broker: broker).encode(to: &w, version: version)
                continue
            }
            let cg = g.classic
            w.writeInt16(0)
            if version >= 6 { w.writeNullableString(nil, compact: true) }
            w.writeString(id, compact: true)
            w.writeString(cg.state.rawValue, compact: true)
            w.writeString(cg.protocolType ?? "", compact: true)
            let stable = cg.state == .stable
            w.writeString(stable ? (cg.protocolName ?? "") : "", compact: true)
            let members = cg.order.compactMap { mid in cg.members[mid].map { (mid, $0) } }
            w.writeArrayCount(members.count, compact: true)
            for (mid, m) in members {
                w.writeString(mid, compact: true)
                w.writeNullableString(m.instanceID, compact: true)
                w.writeString(m.clientID, compact: true)
                w.writeString(m.clientHost, compact: true)
                w.writeBytes(stable ? m.metadata(for: cg.protocolName) : [], compact: true)
                w.writeBytes(m.assignment, compact: true)
                w.writeUnsignedVarint(0)
            }
            w.writeInt32(Int32.min)
            w.writeUnsignedVarint(0)
        }
        w.writeUnsignedVarint(0)
    }

    // MARK: - ConsumerGroupDescribe v0-1

    /// ConsumerGroupDescribe (versions 0-1, both flexible).
    func writeConsumerGroupDescribe(_ req: ConsumerGroupDescribeRequest, version: Int16, broker: Int32, to w: inout WireWriter) throws(WireError) {
        w.writeInt32(0)
        w.writeArrayCount(req.groupIDs.count, compact: true)
        for id in req.groupIDs {
            let g: SimGroup
            switch describedGroup(id, broker: broker, typeName: "consumer", { $0.type == .consumer ? $0 : nil }) {
            case .success(let found): g = found
            case .failure(let refusal):
                try ConsumerGroupDescribeResponse.DescribedGroup(errorCode: refusal.code, errorMessage: refusal.message, groupID: id)
                    .encode(to: &w, version: version)
                continue
            }
            let cg = g.consumer
            w.writeInt16(0)
            w.writeNullableString(nil, compact: true)
            w.writeString(id, compact: true)
            w.writeString(cg.state().rawValue, compact: true)
            w.writeInt32(cg.groupEpoch)
            w.writeInt32(cg.assignmentEpoch)
            w.writeString(cg.preferredAssignor(default: config.consumerAssignors.first ?? "uniform"), compact: true)
            let members = cg.members.sorted { $0.key < $1.key }
            w.writeArrayCount(members.count, compact: true)
            for (mid, m) in members {
                w.writeString(mid, compact: true)
                w.writeNullableString(m.instanceID, compact: true)
                w.writeNullableString(m.rackID, compact: true)
                w.writeInt32(m.memberEpoch)
                w.writeString(m.clientID, compact: true)
                w.writeString(m.clientHost, compact: true)
                let names = m.subscribedTopicNames
                w.writeArrayCount(names.count, compact: true)
                if zip(names, names.dropFirst()).allSatisfy({ $0 <= $1 }) {
                    for name in names { w.writeString(name, compact: true) }
                } else {
                    for name in names.sorted() { w.writeString(name, compact: true) }
                }
                w.writeNullableString(m.subscribedTopicRegex, compact: true)
                if config.kafkaVersion.describesPendingRevocation && !m.pendingRevocation.isEmpty {
                    writeAssignment(m.assigned.union(m.pendingRevocation), to: &w)
                } else {
                    writeAssignment(m.assigned, to: &w)
                }
                writeAssignment(cg.target[mid] ?? [], to: &w)
                if version >= 1 { w.writeInt8(m.classicProtocols != nil ? 0 : 1) }
                w.writeUnsignedVarint(0)
            }
            w.writeInt32(Int32.min)
            w.writeUnsignedVarint(0)
        }
        w.writeUnsignedVarint(0)
    }

    /// A member's assignment as ``describeAssignment(_:)`` describes it: topics by name, each with
    /// its partitions in order.
    func writeAssignment(_ tps: Set<TopicPartition>, to w: inout WireWriter) {
        guard let only = tps.first?.topic else {
            w.writeArrayCount(0, compact: true)
            w.writeUnsignedVarint(0)
            return
        }
        if tps.allSatisfy({ $0.topic == only }) {
            // The usual member holds partitions of one topic: no grouping.
            w.writeArrayCount(1, compact: true)
            w.writeUUID(topics[only]?.id ?? .zero)
            w.writeString(only, compact: true)
            w.writeArrayCount(tps.count, compact: true)
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: tps.count) { partitions in
                var buffer = partitions
                var i = 0
                for tp in tps {
                    buffer[i] = tp.partition
                    i += 1
                }
                buffer.sort()
                for p in buffer { w.writeInt32(p) }
            }
            w.writeUnsignedVarint(0)
        } else {
            var byTopic: [String: [Int32]] = [:]
            for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
            w.writeArrayCount(byTopic.count, compact: true)
            for t in byTopic.keys.sorted() {
                w.writeUUID(topics[t]?.id ?? .zero)
                w.writeString(t, compact: true)
                let partitions = byTopic[t]!.sorted()
                w.writeArrayCount(partitions.count, compact: true)
                for p in partitions { w.writeInt32(p) }
                w.writeUnsignedVarint(0)
            }
        }
        w.writeUnsignedVarint(0)
    }

    // MARK: - OffsetFetch v8-9

    /// OffsetFetch (versions 8-9: groups, flexible).
    func writeOffsetFetch(_ req: OffsetFetchRequest, broker: Int32, to w: inout WireWriter) {
        w.writeInt32(0)
        w.writeArrayCount(req.groups.count, compact: true)
        for grp in req.groups {
            let requested: [(String, [Int32])]? = grp.topics.map { $0.map { ($0.name, $0.partitionIndexes) } }
            let (code, fetched) = fetchGroupOffsets(grp.groupID, requested: requested, memberID: grp.memberID, memberEpoch: grp.memberEpoch, broker: broker)
            w.writeString(grp.groupID, compact: true)
            if code == 0 {
                w.writeArrayCount(fetched.count, compact: true)
                for t in fetched {
                    w.writeString(t.name, compact: true)
                    w.writeArrayCount(t.partitions.count, compact: true)
                    for (p, o) in t.partitions {
                        w.writeInt32(p)
                        w.writeInt64(o.offset)
                        w.writeInt32(o.leaderEpoch)
                        w.writeNullableString(o.metadata, compact: true)
                        w.writeInt16(0)
                        w.writeUnsignedVarint(0)
                    }
                    w.writeUnsignedVarint(0)
                }
            } else {
                w.writeArrayCount(0, compact: true)
            }
            w.writeInt16(code)
            w.writeUnsignedVarint(0)
        }
        w.writeUnsignedVarint(0)
    }

    // MARK: - ListOffsets v6-10

    /// ListOffsets (flexible versions 6-10).
    func writeListOffsets(_ req: ListOffsetsRequest, version: Int16, broker: Int32, to w: inout WireWriter) {
        w.writeInt32(0)
        w.writeArrayCount(req.topics.count, compact: true)
        for t in req.topics {
            w.writeString(t.name, compact: true)
            w.writeArrayCount(t.partitions.count, compact: true)
            let simTopic = topics[t.name]
            for p in t.partitions {
                let o = listedOffset(in: simTopic, partition: p.partitionIndex, timestamp: p.timestamp, version: version, broker: broker)
                w.writeInt32(p.partitionIndex)
                w.writeInt16(o.errorCode)
                w.writeInt64(o.timestamp)
                w.writeInt64(o.offset)
                w.writeInt32(o.leaderEpoch)
                w.writeUnsignedVarint(0)
            }
            w.writeUnsignedVarint(0)
        }
        w.writeUnsignedVarint(0)
    }
}

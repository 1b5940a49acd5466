import GroupModel
import KafkaProtocol
import KafkaWire

extension SimCluster {
    // MARK: - Cluster

    func metadata(_ req: MetadataRequest, version: Int16) -> MetadataResponse {
        var resp = MetadataResponse()
        resp.brokers = brokers.map { .init(nodeID: $0.nodeID, host: $0.host, port: Int32($0.port), rack: nil) }
        if version >= 2 { resp.clusterID = config.clusterID }
        if version >= 1 { resp.controllerID = 1 }
        var names: [(String?, KafkaUUID)] = []
        if let requested = req.topics, !(version == 0 && requested.isEmpty) {
            names = requested.map { ($0.name, $0.topicID) }
        } else {
            names = topicNames().map { ($0, KafkaUUID.zero) }
        }
        let allowCreate = version < 4 || req.allowAutoTopicCreation
        // One replica list per leader, shared by every partition it leads.
        let replicasByLeader = brokers.map { replicaNodes(leader: $0.nodeID) }
        for (nameOrNil, id) in names {
            var name = nameOrNil
            if name == nil || name!.isEmpty {
                if let n = topicNamesByID[id] { name = n } else {
                    resp.topics.append(.init(errorCode: KafkaErrorCode.unknownTopicID.code, name: nil, topicID: id))
                    continue
                }
            }
            guard let topicName = name else { continue }
            if topics[topicName] == nil && config.autoCreateTopics && allowCreate && req.topics != nil && Self.isValidTopicName(topicName) {
                _ = try? createTopic(topicName, partitions: config.defaultPartitions)
            }
            guard let t = topics[topicName] else {
                resp.topics.append(.init(errorCode: KafkaErrorCode.unknownTopicOrPartition.code, name: topicName, topicID: .zero))
                continue
            }
            resp.topics.append(.init(
                errorCode: 0, name: t.name, topicID: version >= 10 ? t.id : .zero, isInternal: false,
                partitions: t.partitions.map { p in
                    let i = Int(p.leader) - 1
                    let replicas = replicasByLeader.indices.contains(i) ? replicasByLeader[i] : replicaNodes(leader: p.leader)
                    return .init(errorCode: 0, partitionIndex: p.index, leaderID: p.leader,
                                 leaderEpoch: version >= 7 ? p.leaderEpoch : -1, replicaNodes: replicas, isrNodes: replicas,
                                 offlineReplicas: [])
                }))
        }
        return resp
    }

    /// Replicas: the leader then the next brokers, up to three.
    func replicaNodes(leader: Int32) -> [Int32] {
        let n = brokers.count
        return (0..<min(3, n)).map { Int32((Int(leader) - 1 + $0) % n + 1) }
    }

    static func isValidTopicName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 249 && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }

    func describeCluster(_ req: DescribeClusterRequest) -> DescribeClusterResponse {
        DescribeClusterResponse(
            endpointType: req.endpointType, clusterID: config.clusterID, controllerID: 1,
            brokers: brokers.map { .init(brokerID: $0.nodeID, host: $0.host, port: Int32($0.port), rack: nil) })
    }

    func createTopics(_ req: CreateTopicsRequest) -> CreateTopicsResponse {
        var resp = CreateTopicsResponse()
        for t in req.topics {
            var result = CreateTopicsResponse.CreatableTopicResult(name: t.name)
            let count = !t.assignments.isEmpty ? t.assignments.count : (t.numPartitions == -1 ? config.defaultPartitions : Int(t.numPartitions))
            if topics[t.name] != nil {
                result.errorCode = KafkaErrorCode.topicAlreadyExists.code
                result.errorMessage = "Topic '\(t.name)' already exists."
            } else if count <= 0 {
                result.errorCode = KafkaErrorCode.invalidPartitions.code
                result.errorMessage = "Number of partitions must be larger than 0."
            } else if !Self.isValidTopicName(t.name) {
                result.errorCode = 17  // INVALID_TOPIC_EXCEPTION
                result.errorMessage = "Topic name is invalid."
            } else {
                var configs: [String: String] = [:]
                for c in t.configs { if let v = c.value { configs[c.name] = v } }
                if !req.validateOnly, let id = try? createTopic(t.name, partitions: count, configs: configs) {
                    result.topicID = id
                }
                result.numPartitions = Int32(count)
                result.replicationFactor = Int16(min(3, brokers.count))
            }
            resp.topics.append(result)
        }
        return resp
    }

    func describeConfigs(_ req: DescribeConfigsRequest) -> DescribeConfigsResponse {
        var resp = DescribeConfigsResponse()
        for res in req.resources {
            var result = DescribeConfigsResponse.DescribeConfigsResult(resourceType: res.resourceType, resourceName: res.resourceName)
            var entries: [(String, String, Int8, Bool)] = []  // name, value, source, readOnly
            switch res.resourceType {
            case 4:  // BROKER
                entries = config.brokerConfigs.map { ($0.0, $0.1, 5, true) }
            case 32:  // GROUP: the group's own value (source GROUP_CONFIG, 8), else the broker's default
                let own = groupConfigOverrides[res.resourceName] ?? [:]
                entries = config.groupConfigs.map { key, value in own[key].map { (key, $0, 8, false) } ?? (key, value, 5, false) }
            case 2:  // TOPIC
                guard let t = topics[res.resourceName] else {
                    result.errorCode = KafkaErrorCode.unknownTopicOrPartition.code
                    result.errorMessage = "Topic \(res.resourceName) does not exist."
                    resp.results.append(result)
                    continue
                }
                var base: [String: String] = ["cleanup.policy": "delete", "retention.ms": "604800000",
                                              "retention.bytes": "\(config.retentionBytesPerPartition)", "min.insync.replicas": "1"]
                for (k, v) in t.configs { base[k] = v }
                entries = base.keys.sorted().map { ($0, base[$0]!, t.configs[$0] != nil ? 1 : 5, false) }
            default:
                result.errorCode = KafkaErrorCode.invalidRequest.code
                result.errorMessage = "Unsupported resource type \(res.resourceType)."
            }
            if let keys = res.configurationKeys { entries = entries.filter { keys.contains($0.0) } }
            result.configs = entries.map { .init(name: $0.0, value: $0.1, readOnly: $0.3, configSource: $0.2, isSensitive: false) }
            resp.results.append(result)
        }
        return resp
    }

    // MARK: - Coordinators and group listing

    func findCoordinator(_ req: FindCoordinatorRequest, version: Int16) -> FindCoordinatorResponse {
        var resp = FindCoordinatorResponse()
        if version < 4 {
            let b = brokers[Int(coordinator(for: req.key) - 1)]
            resp.nodeID = b.nodeID
            resp.host = b.host
            resp.port = Int32(b.port)
            if version >= 1 { resp.errorMessage = nil }
            return resp
        }
        resp.coordinators = req.coordinatorKeys.map { key in
            if req.keyType == 0 && key.isEmpty {
                return .init(key: key, nodeID: -1, host: "", port: -1, errorCode: KafkaErrorCode.invalidRequest.code, errorMessage: "Group id can't be empty.")
            }
            let b = brokers[Int(coordinator(for: key) - 1)]
            return .init(key: key, nodeID: b.nodeID, host: b.host, port: Int32(b.port), errorCode: 0, errorMessage: nil)
        }
        return resp
    }

    func listGroups(_ req: ListGroupsRequest, broker: Int32) -> ListGroupsResponse {
        if let e = faults[broker]?.coordinatorError { return ListGroupsResponse(errorCode: e) }
        let states = Set(req.statesFilter.map { $0.lowercased() })
        let types = Set(req.typesFilter.map { $0.lowercased() })
        var out: [ListGroupsResponse.ListedGroup] = []
        for g in groupsCoordinated(by: broker) {
            let state = g.stateName
            if !states.isEmpty && !states.contains(state.lowercased()) { continue }
            if !types.isEmpty && !types.contains(g.typeName) { continue }
            out.append(.init(groupID: g.id, protocolType: g.protocolType, groupState: state, groupType: g.typeName))
        }
        return ListGroupsResponse(errorCode: 0, groups: out)
    }

    // MARK: - Describe

    func describeGroups(_ req: DescribeGroupsRequest, version: Int16, broker: Int32) -> DescribeGroupsResponse {
        var resp = DescribeGroupsResponse()
        for id in req.groups {
            var d = DescribeGroupsResponse.DescribedGroup(groupID: id)
            if let e = coordinatorError(id, broker: broker) {
                d.errorCode = e
                resp.groups.append(d)
                continue
            }
            guard let g = groups[id], g.type == .classic, !g.isShareOrStreams else {
                d.groupState = "Dead"
                if version >= 6 {
                    d.errorCode = KafkaErrorCode.groupIDNotFound.code
                    d.errorMessage = groups[id] == nil ? "Group \(id) not found." : "Group \(id) is not a classic group."
                }
                resp.groups.append(d)
                continue
            }
            let cg = g.classic
            d.groupState = cg.state.rawValue
            d.protocolType = cg.protocolType ?? ""
            let stable = cg.state == .stable
            d.protocolData = stable ? (cg.protocolName ?? "") : ""
            d.members = cg.order.compactMap { mid in
                guard let m = cg.members[mid] else { return nil }
                return .init(memberID: mid, groupInstanceID: version >= 4 ? m.instanceID : nil, clientID: m.clientID, clientHost: m.clientHost,
                             memberMetadata: stable ? m.metadata(for: cg.protocolName) : [], memberAssignment: m.assignment)
            }
            resp.groups.append(d)
        }
        return resp
    }

    func consumerGroupDescribe(_ req: ConsumerGroupDescribeRequest, version: Int16, broker: Int32) -> ConsumerGroupDescribeResponse {
        var resp = ConsumerGroupDescribeResponse()
        for id in req.groupIDs {
            var d = ConsumerGroupDescribeResponse.DescribedGroup(groupID: id)
            if id.isEmpty {
                d.errorCode = KafkaErrorCode.invalidGroupID.code
                resp.groups.append(d)
                continue
            }
            if let e = coordinatorError(id, broker: broker) {
                d.errorCode = e
                resp.groups.append(d)
                continue
            }
            guard let g = groups[id], g.type == .consumer else {
                d.errorCode = KafkaErrorCode.groupIDNotFound.code
                d.errorMessage = groups[id] == nil ? "Group \(id) not found." : "Group \(id) is not a consumer group."
                resp.groups.append(d)
                continue
            }
            let cg = g.consumer
            d.groupState = cg.state().rawValue
            d.groupEpoch = cg.groupEpoch
            d.assignmentEpoch = cg.assignmentEpoch
            d.assignorName = cg.preferredAssignor(default: config.consumerAssignors.first ?? "uniform")
            d.members = cg.members.keys.sorted().compactMap { mid in
                guard let m = cg.members[mid] else { return nil }
                var member = ConsumerGroupDescribeResponse.Member(
                    memberID: mid, instanceID: m.instanceID, rackID: m.rackID, memberEpoch: m.memberEpoch,
                    clientID: m.clientID, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames.sorted(),
                    subscribedTopicRegex: m.subscribedTopicRegex,
                    assignment: describeAssignment(
                        config.kafkaVersion.describesPendingRevocation ? m.assigned.union(m.pendingRevocation) : m.assigned),
                    targetAssignment: describeAssignment(cg.target[mid] ?? []))
                if version >= 1 { member.memberType = m.classicProtocols != nil ? 0 : 1 }
                return member
            }
            resp.groups.append(d)
        }
        return resp
    }

    func describeAssignment(_ tps: Set<TopicPartition>) -> ConsumerGroupDescribeResponse.Assignment {
        var byTopic: [String: [Int32]] = [:]
        for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
        return .init(topicPartitions: byTopic.keys.sorted().map { t in
            .init(topicID: topics[t]?.id ?? .zero, topicName: t, partitions: byTopic[t]!.sorted())
        })
    }

    // MARK: - Offsets

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
        guard let g else { return (0, []) }
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
        for t in req.topics {
            var topic = ListOffsetsResponse.ListOffsetsTopicResponse(name: t.name)
            for p in t.partitions {
                var out = ListOffsetsResponse.ListOffsetsPartitionResponse(partitionIndex: p.partitionIndex)
                guard let log = partitionLog(TopicPartition(topic: t.name, partition: p.partitionIndex)) else {
                    out.errorCode = KafkaErrorCode.unknownTopicOrPartition.code
                    topic.partitions.append(out)
                    continue
                }
                guard log.leader == broker else {
                    out.errorCode = KafkaErrorCode.notLeaderOrFollower.code
                    topic.partitions.append(out)
                    continue
                }
                if version >= 4 { out.leaderEpoch = log.leaderEpoch }
                switch p.timestamp {
                case -1: out.offset = log.highWatermark
                case -2, -4: out.offset = log.logStartOffset
                case -3:
                    if let m = log.maxTimestampOffset() { out.offset = m.offset; out.timestamp = m.timestamp }
                case -5: out.offset = log.logStartOffset
                default:
                    if p.timestamp >= 0, let found = log.offset(forTimestamp: p.timestamp) {
                        out.offset = found.offset
                        out.timestamp = found.timestamp
                    } else if p.timestamp < 0 {
                        out.errorCode = KafkaErrorCode.unsupportedVersion.code
                    }
                }
                topic.partitions.append(out)
            }
            resp.topics.append(topic)
        }
        return resp
    }

    func deleteGroups(_ req: DeleteGroupsRequest, version: Int16, broker: Int32) -> DeleteGroupsResponse {
        var resp = DeleteGroupsResponse()
        for id in req.groupsNames {
            var r = DeleteGroupsResponse.DeletableGroupResult(groupID: id)
            if let e = coordinatorError(id, broker: broker) {
                r.errorCode = e
            } else if let g = groups[id] {
                if g.isEmptyOfMembers { groups[id] = nil } else { r.errorCode = KafkaErrorCode.nonEmptyGroup.code }
            } else {
                r.errorCode = KafkaErrorCode.groupIDNotFound.code
            }
            resp.results.append(r)
        }
        return resp
    }

    // MARK: - Group membership from the wire

    func wireConsumerHeartbeat(_ req: ConsumerGroupHeartbeatRequest, version: Int16, broker: Int32, clientID: String, clientHost: String) -> ConsumerGroupHeartbeatResponse {
        if let e = coordinatorError(req.groupID, broker: broker) {
            return ConsumerGroupHeartbeatResponse(errorCode: e, errorMessage: nil, memberEpoch: -1)
        }
        var owned: Set<TopicPartition>? = nil
        if let tps = req.topicPartitions {
            var s = Set<TopicPartition>()
            for t in tps { if let name = topicNamesByID[t.topicID] { for p in t.partitions { s.insert(TopicPartition(topic: name, partition: p)) } } }
            owned = s
        }
        let result = consumerGroupHeartbeat(CGHeartbeat(
            groupID: req.groupID, memberID: req.memberID, memberEpoch: req.memberEpoch, instanceID: req.instanceID, rackID: req.rackID,
            rebalanceTimeoutMs: req.rebalanceTimeoutMs, subscribedTopicNames: req.subscribedTopicNames,
            subscribedTopicRegex: req.subscribedTopicRegex, serverAssignor: req.serverAssignor, owned: owned,
            clientID: clientID, clientHost: clientHost, version: version))
        var resp = ConsumerGroupHeartbeatResponse(
            errorCode: result.errorCode, errorMessage: result.errorMessage, memberID: result.memberID,
            memberEpoch: result.errorCode == 0 ? result.memberEpoch : -1, heartbeatIntervalMs: result.heartbeatIntervalMs)
        if let a = result.assignment { resp.assignment = .init(topicPartitions: heartbeatAssignment(a)) }
        return resp
    }

    func heartbeatAssignment(_ tps: Set<TopicPartition>) -> [ConsumerGroupHeartbeatResponse.TopicPartitions] {
        var byTopic: [String: [Int32]] = [:]
        for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
        return byTopic.keys.sorted().compactMap { t in
            guard let id = topics[t]?.id else { return nil }
            return .init(topicID: id, partitions: byTopic[t]!.sorted())
        }
    }

    func wireJoin(_ req: JoinGroupRequest, version: Int16, broker: Int32, clientID: String, clientHost: String) async -> JoinGroupResponse {
        func response(_ o: JoinOutcome) -> JoinGroupResponse {
            JoinGroupResponse(
                errorCode: o.errorCode, generationID: o.generationID, protocolType: version >= 7 ? o.protocolType : nil,
                protocolName: version >= 7 ? o.protocolName : (o.protocolName ?? ""), leader: o.leader,
                skipAssignment: version >= 9 && o.skipAssignment, memberID: o.memberID,
                members: o.members.map { .init(memberID: $0.memberID, groupInstanceID: version >= 5 ? $0.instanceID : nil, metadata: $0.metadata) })
        }
        if let e = coordinatorError(req.groupID, broker: broker) {
            return response(JoinOutcome(errorCode: e, generationID: -1, protocolType: nil, protocolName: nil, leader: "", memberID: req.memberID, members: []))
        }
        let join = ClassicJoin(
            groupID: req.groupID, memberID: req.memberID, instanceID: req.groupInstanceID, sessionTimeoutMs: req.sessionTimeoutMs,
            rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs, protocolType: req.protocolType,
            protocols: req.protocols.map { ($0.name, $0.metadata) }, clientID: clientID, clientHost: clientHost,
            requireKnownMemberID: version >= 4 && req.groupInstanceID == nil)
        let outcome: JoinOutcome = await withCheckedContinuation { cont in
            classicJoin(join) { cont.resume(returning: $0) }
        }
        return response(outcome)
    }

    func wireSync(_ req: SyncGroupRequest, broker: Int32) async -> SyncGroupResponse {
        if let e = coordinatorError(req.groupID, broker: broker) { return SyncGroupResponse(errorCode: e) }
        var assignments: [String: [UInt8]] = [:]
        for a in req.assignments { assignments[a.memberID] = a.assignment }
        let outcome: SyncOutcome = await withCheckedContinuation { cont in
            classicSync(groupID: req.groupID, generation: req.generationID, memberID: req.memberID, instanceID: req.groupInstanceID,
                        protocolType: req.protocolType, protocolName: req.protocolName, assignments: assignments) { cont.resume(returning: $0) }
        }
        return SyncGroupResponse(errorCode: outcome.errorCode, protocolType: outcome.protocolType, protocolName: outcome.protocolName,
                                 assignment: outcome.assignment)
    }

    func wireLeave(_ req: LeaveGroupRequest, version: Int16, broker: Int32) -> LeaveGroupResponse {
        if let e = coordinatorError(req.groupID, broker: broker) { return LeaveGroupResponse(errorCode: e) }
        if version < 3 {
            let (_, codes) = classicLeave(groupID: req.groupID, members: [(req.memberID, nil)])
            return LeaveGroupResponse(errorCode: codes.first ?? 0)
        }
        let members = req.members.map { (memberID: $0.memberID, instanceID: $0.groupInstanceID) }
        let (code, codes) = classicLeave(groupID: req.groupID, members: members)
        return LeaveGroupResponse(errorCode: code, members: zip(req.members, codes).map {
            .init(memberID: $0.0.memberID, groupInstanceID: $0.0.groupInstanceID, errorCode: $0.1)
        })
    }

    // MARK: - Data

    func produce(_ req: ProduceRequest, version: Int16, broker: Int32) -> ProduceResponse {
        var resp = ProduceResponse()
        for t in req.topicData {
            let name = version >= 13 ? (topicNamesByID[t.topicID] ?? "") : t.name
            var topic = ProduceResponse.TopicProduceResponse(name: version >= 13 ? "" : t.name, topicID: version >= 13 ? t.topicID : .zero)
            for p in t.partitionData {
                var out = ProduceResponse.PartitionProduceResponse(index: p.index, errorCode: 0, baseOffset: -1)
                guard let log = partitionLog(TopicPartition(topic: name, partition: p.index)) else {
                    out.errorCode = version >= 13 ? KafkaErrorCode.unknownTopicID.code : KafkaErrorCode.unknownTopicOrPartition.code
                    topic.partitionResponses.append(out)
                    continue
                }
                guard log.leader == broker else {
                    out.errorCode = KafkaErrorCode.notLeaderOrFollower.code
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
                guard let log = partitionLog(TopicPartition(topic: name, partition: p.partition)) else {
                    out.errorCode = version >= 13 ? KafkaErrorCode.unknownTopicID.code : KafkaErrorCode.unknownTopicOrPartition.code
                    topic.partitions.append(out)
                    continue
                }
                guard log.leader == broker else {
                    out.errorCode = KafkaErrorCode.notLeaderOrFollower.code
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
                if let log = partitionLog(TopicPartition(topic: t.topic, partition: p.partition)) {
                    if log.leader != broker {
                        out.errorCode = KafkaErrorCode.notLeaderOrFollower.code
                    } else {
                        out.leaderEpoch = min(p.leaderEpoch, log.leaderEpoch)
                        out.endOffset = log.highWatermark
                    }
                } else {
                    out.errorCode = KafkaErrorCode.unknownTopicOrPartition.code
                }
                topic.partitions.append(out)
            }
            resp.topics.append(topic)
        }
        return resp
    }
}

import GroupModel
import KafkaProtocol
import KafkaWire

// Group membership from the wire: real clients' ConsumerGroupHeartbeat, JoinGroup, SyncGroup and
// LeaveGroup, handed to the coordinators.

extension SimCluster {
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
}

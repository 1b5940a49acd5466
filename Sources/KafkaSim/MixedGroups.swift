import GroupModel
import KafkaProtocol
import KafkaWire

// Online migration between the protocols, as Kafka 4.x's `bidirectional` policy allows it:
// a KIP-848 member joining a Stable classic group converts it to a consumer group, and classic
// members keep working inside it through JoinGroup/SyncGroup/Heartbeat/LeaveGroup.

extension SimCluster {
    /// Converts a Stable classic group (protocol type `consumer`) to a consumer group whose members
    /// are all classic members, keeping generation, assignments and offsets.
    func convertClassicToConsumer(_ g: SimGroup) -> Bool {
        let classic = g.classic
        guard classic.state == .stable, classic.protocolType == "consumer" else { return false }
        let cg = ConsumerGroupState()
        cg.groupEpoch = classic.generation
        cg.assignmentEpoch = classic.generation
        for id in classic.order {
            guard let m = classic.members[id] else { continue }
            let sub = try? ConsumerProtocolSubscription.decodeVersionPrefixed(m.metadata(for: classic.protocolName)).value
            let cm = ConsumerMember(memberID: id, clientID: m.clientID, clientHost: m.clientHost,
                                    rebalanceTimeoutMs: m.rebalanceTimeoutMs, topics: sub?.topics ?? [], now: m.lastHeartbeatMs)
            cm.instanceID = m.instanceID
            cm.memberEpoch = classic.generation
            cm.classicProtocols = m.protocols
            cm.classicSessionTimeoutMs = m.sessionTimeoutMs
            cm.assignmentChanged = false
            if let a = try? ConsumerProtocolAssignment.decodeVersionPrefixed(m.assignment).value {
                for t in a.assignedPartitions { for p in t.partitions { cm.assigned.insert(TopicPartition(topic: t.topic, partition: p)) } }
            }
            for tp in cm.assigned {
                cg.owners[tp] = id
                cm.assignmentEpochs[tp] = cm.memberEpoch
            }
            cg.target[id] = cm.assigned
            cg.members[id] = cm
            if let inst = m.instanceID { cg.staticMembers[inst] = id }
        }
        cg.subscriptionMetadata = subscriptionMetadata(cg)
        g.type = .consumer
        g.consumer = cg
        g.classic = ClassicGroupState()
        return true
    }

    /// JoinGroup from a classic client to a non-empty consumer group: answered at once with the
    /// member's epoch as generation; the assignment comes with SyncGroup.
    func classicJoinToConsumerGroup(_ g: SimGroup, _ r: ClassicJoin, completion: (JoinOutcome) -> Void) {
        let now = clock.nowMs()
        let cg = g.consumer
        func fail(_ code: Int16, _ memberID: String = r.memberID) {
            completion(JoinOutcome(errorCode: code, generationID: -1, protocolType: nil, protocolName: nil, leader: "", memberID: memberID, members: []))
        }
        guard r.protocolType == "consumer", let first = r.protocols.first else { return fail(KafkaErrorCode.inconsistentGroupProtocol.code) }
        var memberID = r.memberID
        if memberID.isEmpty {
            memberID = (r.clientID.isEmpty ? "member" : r.clientID) + "-" + newUUID().hex
            if r.requireKnownMemberID {
                pendingClassicMembers.insert(memberID)
                return fail(KafkaErrorCode.memberIDRequired.code, memberID)
            }
        } else {
            pendingClassicMembers.remove(memberID)
        }
        let sub = try? ConsumerProtocolSubscription.decodeVersionPrefixed(first.metadata).value
        var changed = false
        let member: ConsumerMember
        if let existing = cg.members[memberID] {
            member = existing
        } else {
            if let inst = r.instanceID, let old = cg.staticMembers[inst], let oldMember = cg.members[old] {
                removeConsumerMember(oldMember, from: g)
            }
            member = ConsumerMember(memberID: memberID, clientID: r.clientID, clientHost: r.clientHost,
                                    rebalanceTimeoutMs: r.rebalanceTimeoutMs, topics: sub?.topics ?? [], now: now)
            member.instanceID = r.instanceID
            cg.members[memberID] = member
            if let inst = r.instanceID { cg.staticMembers[inst] = memberID }
            changed = true
        }
        member.classicProtocols = r.protocols
        member.classicSessionTimeoutMs = r.sessionTimeoutMs
        member.rebalanceTimeoutMs = r.rebalanceTimeoutMs
        member.clientID = r.clientID
        member.clientHost = r.clientHost
        member.lastHeartbeatMs = now
        if let topics = sub?.topics, topics.sorted() != member.subscribedTopicNames.sorted() {
            member.subscribedTopicNames = topics
            changed = true
        }
        let metadata = subscriptionMetadata(cg)
        if metadata != cg.subscriptionMetadata { changed = true }
        if changed { cg.groupEpoch += 1 }
        if cg.groupEpoch > cg.assignmentEpoch, assignmentDue(cg, now: now) { computeTargetAssignment(cg, metadata: metadata, now: now) }
        var owned = Set<TopicPartition>()
        for t in sub?.ownedPartitions ?? [] { for p in t.partitions { owned.insert(TopicPartition(topic: t.topic, partition: p)) } }
        reconcile(member, in: cg, owned: owned, now: now)
        completion(JoinOutcome(errorCode: 0, generationID: member.memberEpoch, protocolType: "consumer", protocolName: first.name,
                               leader: "", memberID: memberID, members: []))
    }

    func classicSyncToConsumerGroup(_ g: SimGroup, generation: Int32, memberID: String, protocolType: String?, protocolName: String?,
                                    completion: (SyncOutcome) -> Void) {
        guard let m = g.consumer.members[memberID], let protocols = m.classicProtocols else {
            return completion(SyncOutcome(errorCode: KafkaErrorCode.unknownMemberID.code, protocolType: nil, protocolName: nil, assignment: []))
        }
        guard generation == m.memberEpoch else {
            return completion(SyncOutcome(errorCode: KafkaErrorCode.illegalGeneration.code, protocolType: nil, protocolName: nil, assignment: []))
        }
        if let pt = protocolType, pt != "consumer" { return completion(SyncOutcome(errorCode: KafkaErrorCode.inconsistentGroupProtocol.code, protocolType: nil, protocolName: nil, assignment: [])) }
        if let pn = protocolName, !protocols.contains(where: { $0.name == pn }) {
            return completion(SyncOutcome(errorCode: KafkaErrorCode.inconsistentGroupProtocol.code, protocolType: nil, protocolName: nil, assignment: []))
        }
        m.lastHeartbeatMs = clock.nowMs()
        completion(SyncOutcome(errorCode: 0, protocolType: "consumer", protocolName: protocolName ?? protocols.first?.name,
                               assignment: Self.encodeAssignment(m.assigned)))
    }

    /// REBALANCE_IN_PROGRESS tells a classic member to rejoin: its epoch is behind, it must revoke,
    /// or the partitions it waits for were released.
    func classicHeartbeatToConsumerGroup(_ g: SimGroup, generation: Int32, memberID: String, instanceID: String?) -> Int16 {
        let cg = g.consumer
        if let inst = instanceID, let holder = cg.staticMembers[inst], holder != memberID { return KafkaErrorCode.fencedInstanceID.code }
        guard let m = cg.members[memberID], m.classicProtocols != nil else { return KafkaErrorCode.unknownMemberID.code }
        guard generation == m.memberEpoch else { return KafkaErrorCode.illegalGeneration.code }
        m.lastHeartbeatMs = clock.nowMs()
        if m.memberEpoch < cg.groupEpoch || m.state == .unrevokedPartitions { return KafkaErrorCode.rebalanceInProgress.code }
        if m.state == .unreleasedPartitions {
            let waiting = (cg.target[memberID] ?? []).subtracting(m.assigned)
            if waiting.allSatisfy({ cg.owners[$0] == nil }) { return KafkaErrorCode.rebalanceInProgress.code }
        }
        return KafkaErrorCode.none.code
    }

    func classicLeaveConsumerGroup(_ g: SimGroup, members: [(memberID: String, instanceID: String?)]) -> [Int16] {
        let cg = g.consumer
        return members.map { memberID, instanceID in
            var id = memberID
            if let inst = instanceID {
                guard let holder = cg.staticMembers[inst] else { return KafkaErrorCode.unknownMemberID.code }
                if !id.isEmpty && holder != id { return KafkaErrorCode.fencedInstanceID.code }
                id = holder
            }
            guard let m = cg.members[id] else { return KafkaErrorCode.unknownMemberID.code }
            removeConsumerMember(m, from: g)
            return KafkaErrorCode.none.code
        }
    }

    static func encodeAssignment(_ tps: Set<TopicPartition>) -> [UInt8] {
        var byTopic: [String: [Int32]] = [:]
        for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
        let a = ConsumerProtocolAssignment(
            assignedPartitions: byTopic.keys.sorted().map { .init(topic: $0, partitions: byTopic[$0]!.sorted()) }, userData: nil)
        return (try? a.encodedVersionPrefixed(version: 3)) ?? []
    }
}

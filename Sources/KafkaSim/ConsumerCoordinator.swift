import Foundation
import GroupModel
import KafkaWire

/// A ConsumerGroupHeartbeat, whether it came from the wire or from a simulated member.
struct CGHeartbeat {
    var groupID: String
    var memberID: String
    var memberEpoch: Int32
    var instanceID: String? = nil
    var rackID: String? = nil
    var rebalanceTimeoutMs: Int32 = -1
    var subscribedTopicNames: [String]? = nil
    var subscribedTopicRegex: String? = nil
    var serverAssignor: String? = nil
    var owned: Set<TopicPartition>? = nil
    var clientID: String = ""
    var clientHost: String = ""
    var version: Int16 = 1
}

/// The coordinator's answer to a ConsumerGroupHeartbeat.
struct CGHeartbeatResult {
    var errorCode: Int16 = 0
    var errorMessage: String? = nil
    var memberID: String? = nil
    var memberEpoch: Int32 = 0
    var heartbeatIntervalMs: Int32 = 0
    var assignment: Set<TopicPartition>? = nil

    static func error(_ code: Int16, _ message: String) -> CGHeartbeatResult {
        CGHeartbeatResult(errorCode: code, errorMessage: message)
    }
}

extension SimCluster {
    // MARK: - KIP-848 heartbeat

    func consumerGroupHeartbeat(_ r: CGHeartbeat) -> CGHeartbeatResult {
        let now = clock.nowMs()
        let interval = config.consumerHeartbeatIntervalMs
        guard !r.groupID.isEmpty else { return .error(KafkaErrorCode.invalidRequest.code, "GroupId can't be empty.") }
        if r.version >= 1 && r.memberID.isEmpty {
            return .error(KafkaErrorCode.invalidRequest.code, "MemberId can't be empty.")
        }
        if r.memberEpoch == 0 {
            if r.rebalanceTimeoutMs == -1 { return .error(KafkaErrorCode.invalidRequest.code, "RebalanceTimeoutMs must be provided in first request.") }
            if r.subscribedTopicNames == nil && r.subscribedTopicRegex == nil {
                return .error(KafkaErrorCode.invalidRequest.code, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
            }
        }
        if let a = r.serverAssignor, !config.consumerAssignors.contains(a) {
            return .error(KafkaErrorCode.unsupportedAssignor.code, "ServerAssignor \(a) is not supported. Supported assignors: \(config.consumerAssignors.joined(separator: ", ")).")
        }
        if let re = r.subscribedTopicRegex, !re.isEmpty, (try? NSRegularExpression(pattern: re)) == nil {
            return .error(KafkaErrorCode.invalidRegularExpression.code, "SubscribedTopicRegex `\(re)` is not a valid regular expression.")
        }

        // Group lookup / creation / conversion.
        var group = groups[r.groupID]
        if let g = group, g.isShareOrStreams {
            return .error(KafkaErrorCode.groupIDNotFound.code, "Group \(r.groupID) is not a consumer group.")
        }
        if let g = group, g.type == .classic {
            if g.classic.members.isEmpty {
                g.type = .consumer
                g.consumer = newConsumerGroupState()
                g.classic = ClassicGroupState()
            } else if r.memberEpoch != 0 || !convertClassicToConsumer(g) {
                return .error(KafkaErrorCode.groupIDNotFound.code, "Cannot upgrade classic group \(r.groupID) to consumer group because it is not in a stable state.")
            }
        }
        if group == nil {
            guard r.memberEpoch == 0 else { return .error(KafkaErrorCode.groupIDNotFound.code, "Group \(r.groupID) not found.") }
            let g = SimGroup(id: r.groupID, type: .consumer)
            g.consumer = newConsumerGroupState()
            groups[r.groupID] = g
            group = g
        }
        guard let g = group else { return .error(KafkaErrorCode.unknownMemberID.code, "unknown member") }
        let cg = g.consumer

        // Leave.
        if r.memberEpoch == -1 || r.memberEpoch == -2 {
            let id = r.memberID.isEmpty ? (r.instanceID.flatMap { cg.staticMembers[$0] } ?? "") : r.memberID
            guard let m = cg.members[id] else {
                return .error(KafkaErrorCode.unknownMemberID.code, "Member \(r.memberID) is not a member of group \(r.groupID).")
            }
            if r.memberEpoch == -2 && m.instanceID != nil {
                m.leftStatically = true
                m.previousMemberEpoch = m.memberEpoch
                m.memberEpoch = -2
                m.lastHeartbeatMs = now
                // The member that comes back with the instance id holds what is kept from epoch 0.
                for tp in m.assignmentEpochs.keys { m.assignmentEpochs[tp] = 0 }
            } else {
                removeConsumerMember(m, from: g)
            }
            return CGHeartbeatResult(memberID: r.memberID, memberEpoch: r.memberEpoch, heartbeatIntervalMs: 0)
        }

        var member: ConsumerMember
        var changed = false
        if r.memberEpoch == 0 {
            if let inst = r.instanceID, let holder = cg.staticMembers[inst], let existing = cg.members[holder] {
                if !existing.leftStatically && existing.memberID != r.memberID {
                    return .error(KafkaErrorCode.unreleasedInstanceID.code, "Static member \(r.memberID) with instance id \(inst) cannot join the group because the instance id is owned by \(existing.memberID) member.")
                }
                // Replace the departed static member, keeping its assignment and epoch.
                let newID = r.memberID.isEmpty ? newMemberID() : r.memberID
                cg.members[existing.memberID] = nil
                for tp in existing.assigned.union(existing.pendingRevocation) where cg.owners[tp] == existing.memberID { cg.owners[tp] = newID }
                if let t = cg.target.removeValue(forKey: existing.memberID) { cg.target[newID] = t }
                existing.memberID = newID
                existing.leftStatically = false
                existing.memberEpoch = max(existing.previousMemberEpoch, 0)
                existing.assignmentChanged = true
                cg.members[newID] = existing
                cg.staticMembers[inst] = newID
                member = existing
            } else if let existing = cg.members[r.memberID], !r.memberID.isEmpty {
                // A rejoin with epoch 0 by a known member: it lost its state; start it over.
                releaseAll(existing, in: cg)
                existing.memberEpoch = 0
                existing.previousMemberEpoch = -1
                existing.state = .stable
                existing.assignmentChanged = true
                member = existing
                changed = true
            } else {
                let id = r.memberID.isEmpty ? newMemberID() : r.memberID
                let m = ConsumerMember(memberID: id, clientID: r.clientID, clientHost: r.clientHost,
                                       rebalanceTimeoutMs: r.rebalanceTimeoutMs, topics: r.subscribedTopicNames ?? [], now: now)
                m.instanceID = r.instanceID
                m.rackID = r.rackID
                m.subscribedTopicRegex = r.subscribedTopicRegex
                m.serverAssignor = r.serverAssignor
                cg.members[id] = m
                if let inst = r.instanceID { cg.staticMembers[inst] = id }
                member = m
                changed = true
            }
        } else {
            guard let m = cg.members[r.memberID] else {
                return .error(KafkaErrorCode.unknownMemberID.code, "Member \(r.memberID) is not a member of group \(r.groupID).")
            }
            if r.memberEpoch > m.memberEpoch {
                return .error(KafkaErrorCode.fencedMemberEpoch.code, "The consumer group member has a greater member epoch (\(r.memberEpoch)) than the one known by the group coordinator (\(m.memberEpoch)). The member must abandon all its partitions and rejoin.")
            }
            if r.memberEpoch < m.memberEpoch {
                let ok = r.memberEpoch == m.previousMemberEpoch && r.owned.map { $0.isSubset(of: m.assigned) } == true
                if !ok {
                    return .error(KafkaErrorCode.fencedMemberEpoch.code, "The consumer group member has a smaller member epoch (\(r.memberEpoch)) than the one known by the group coordinator (\(m.memberEpoch)). The member must abandon all its partitions and rejoin.")
                }
            }
            member = m
        }
        member.lastHeartbeatMs = now
        if !r.clientID.isEmpty { member.clientID = r.clientID }
        if !r.clientHost.isEmpty { member.clientHost = r.clientHost }
        if r.rebalanceTimeoutMs > 0 { member.rebalanceTimeoutMs = r.rebalanceTimeoutMs }
        if let names = r.subscribedTopicNames, names.sorted() != member.subscribedTopicNames.sorted() {
            member.subscribedTopicNames = names
            changed = true
        }
        if r.version >= 1, r.memberEpoch == 0 || r.subscribedTopicRegex != nil, r.subscribedTopicRegex != member.subscribedTopicRegex {
            member.subscribedTopicRegex = r.subscribedTopicRegex?.isEmpty == true ? nil : r.subscribedTopicRegex
            changed = true
        }
        if let a = r.serverAssignor, a != member.serverAssignor {
            member.serverAssignor = a
            changed = true
        }
        if r.rackID != nil { member.rackID = r.rackID }

        let metadata = subscriptionMetadata(cg)
        if metadata != cg.subscriptionMetadata { changed = true }
        if changed { cg.groupEpoch += 1 }
        if cg.groupEpoch > cg.assignmentEpoch, assignmentDue(cg, now: now) { computeTargetAssignment(cg, metadata: metadata, now: now) }

        reconcile(member, in: cg, owned: r.owned, now: now)

        var result = CGHeartbeatResult(memberID: member.memberID, memberEpoch: member.memberEpoch, heartbeatIntervalMs: interval)
        if member.assignmentChanged || r.memberEpoch == 0 || r.owned != nil && r.owned != member.assigned {
            result.assignment = member.assigned
            member.assignmentChanged = false
        }
        return result
    }

    /// The state of a consumer group that is being created: at epoch 0, or (Kafka 4.3, KAFKA-20268)
    /// at group and assignment epoch 1 with an empty assignment.
    func newConsumerGroupState() -> ConsumerGroupState {
        let cg = ConsumerGroupState()
        if config.kafkaVersion.newGroupsStartAtEpochOne {
            cg.groupEpoch = 1
            cg.assignmentEpoch = 1
        }
        return cg
    }

    /// Partition counts of every topic some member subscribes to (by name or regex).
    func subscriptionMetadata(_ cg: ConsumerGroupState) -> [String: Int] {
        var out: [String: Int] = [:]
        func add(_ t: String) {
            if let n = topics[t]?.partitions.count, n > 0 { out[t] = n }
        }
        for m in cg.members.values {
            if m.subscribedTopicRegex == nil {
                for t in m.subscribedTopicNames { add(t) }
            } else {
                for t in subscribedTopics(of: m) { add(t) }
            }
        }
        return out
    }

    func subscribedTopics(of m: ConsumerMember) -> Set<String> {
        var s = Set(m.subscribedTopicNames)
        if let re = m.subscribedTopicRegex, let rx = try? NSRegularExpression(pattern: "^(?:" + re + ")$") {
            for name in topics.keys {
                let range = NSRange(name.startIndex..., in: name)
                if rx.firstMatch(in: name, range: range) != nil { s.insert(name) }
            }
        }
        return s
    }

    /// Whether a new target assignment may be computed now: at once, or (Kafka 4.3,
    /// `group.consumer.assignment.interval.ms`) no sooner than the interval after the last one, so
    /// the assignment epoch trails the group epoch meanwhile (the group reads `Assigning`).
    func assignmentDue(_ cg: ConsumerGroupState, now: Int64) -> Bool {
        let interval = config.consumerAssignmentIntervalMs
        guard config.kafkaVersion.batchesAssignments, interval > 0, let last = cg.lastAssignmentMs else { return true }
        return now - last >= interval
    }

    func computeTargetAssignment(_ cg: ConsumerGroupState, metadata: [String: Int], now: Int64) {
        let inputs = cg.members.values.map { m in
            Assignors.Input(memberID: m.memberID, topics: subscribedTopics(of: m), current: cg.target[m.memberID] ?? [])
        }
        let assignor = cg.preferredAssignor(default: config.consumerAssignors.first ?? "uniform")
        cg.target = Assignors.server(assignor, members: inputs, partitionCounts: metadata)
        cg.assignmentEpoch = cg.groupEpoch
        cg.subscriptionMetadata = metadata
        cg.lastAssignmentMs = now
    }

    /// Moves a member one step from its current assignment toward its target.
    func reconcile(_ m: ConsumerMember, in cg: ConsumerGroupState, owned: Set<TopicPartition>?, now: Int64) {
        if m.leftStatically { return }
        switch m.state {
        case .unrevokedPartitions:
            // Waiting for the member to confirm it let go of the revoked partitions.
            guard let owned, owned.isDisjoint(with: m.pendingRevocation) else { return }
            for tp in m.pendingRevocation {
                if cg.owners[tp] == m.memberID { cg.owners[tp] = nil }
                m.assignmentEpochs[tp] = nil
            }
            m.pendingRevocation = []
            m.revocationDeadlineMs = nil
            computeNextAssignment(m, in: cg, now: now)
        case .unreleasedPartitions, .stable:
            if m.memberEpoch != cg.assignmentEpoch || m.state == .unreleasedPartitions {
                computeNextAssignment(m, in: cg, now: now)
            }
        }
    }

    private func computeNextAssignment(_ m: ConsumerMember, in cg: ConsumerGroupState, now: Int64) {
        let target = cg.target[m.memberID] ?? []
        let revoking = m.assigned.subtracting(target)
        if !revoking.isEmpty {
            m.assigned = m.assigned.intersection(target)
            m.pendingRevocation = revoking
            m.state = .unrevokedPartitions
            m.revocationDeadlineMs = now + Int64(max(m.rebalanceTimeoutMs, 0))
            m.assignmentChanged = true
            return
        }
        var next = m.assigned
        var unreleased = false
        for tp in target where !next.contains(tp) {
            if let owner = cg.owners[tp], owner != m.memberID { unreleased = true } else { next.insert(tp) }
        }
        if next != m.assigned { m.assignmentChanged = true }
        for tp in next { cg.owners[tp] = m.memberID }
        m.assigned = next
        if m.memberEpoch != cg.assignmentEpoch {
            m.previousMemberEpoch = m.memberEpoch
            m.memberEpoch = cg.assignmentEpoch
        }
        for tp in next where m.assignmentEpochs[tp] == nil { m.assignmentEpochs[tp] = m.memberEpoch }
        m.state = unreleased ? .unreleasedPartitions : .stable
    }

    func releaseAll(_ m: ConsumerMember, in cg: ConsumerGroupState) {
        for tp in m.assigned.union(m.pendingRevocation) where cg.owners[tp] == m.memberID { cg.owners[tp] = nil }
        m.assigned = []
        m.pendingRevocation = []
        m.assignmentEpochs = [:]
    }

    func removeConsumerMember(_ m: ConsumerMember, from g: SimGroup) {
        let cg = g.consumer
        releaseAll(m, in: cg)
        cg.members[m.memberID] = nil
        cg.target[m.memberID] = nil
        if let inst = m.instanceID, cg.staticMembers[inst] == m.memberID { cg.staticMembers[inst] = nil }
        cg.groupEpoch += 1
        if cg.members.isEmpty {
            // An empty group needs no target: mark it computed so the state reads Empty.
            cg.assignmentEpoch = cg.groupEpoch
            cg.target = [:]
        }
    }

    /// Session and rebalance timeouts of KIP-848 members.
    func expireConsumerMembers(_ g: SimGroup, now: Int64) {
        let cg = g.consumer
        let sessionMs = Int64(consumerSessionTimeoutMs(group: g.id))
        let due = cg.members.values.contains {
            now - $0.lastHeartbeatMs > min(sessionMs, Int64($0.classicSessionTimeoutMs)) || $0.state == .unrevokedPartitions
        }
        guard due else { return }
        for m in Array(cg.members.values) {
            let session = Int64(m.classicProtocols != nil ? m.classicSessionTimeoutMs : consumerSessionTimeoutMs(group: g.id))
            if now - m.lastHeartbeatMs > session {
                logger.debug("fencing member after session timeout", metadata: ["group": "\(g.id)", "member": "\(m.memberID)"])
                removeConsumerMember(m, from: g)
            } else if m.state == .unrevokedPartitions, let deadline = m.revocationDeadlineMs, now > deadline {
                logger.debug("fencing member after rebalance timeout", metadata: ["group": "\(g.id)", "member": "\(m.memberID)"])
                removeConsumerMember(m, from: g)
            }
        }
    }
}

import KafkaWire

/// A JoinGroup, whether it came from the wire or from a simulated member.
struct ClassicJoin {
    var groupID: String
    var memberID: String
    var instanceID: String?
    var sessionTimeoutMs: Int32
    var rebalanceTimeoutMs: Int32
    var protocolType: String
    var protocols: [(name: String, metadata: [UInt8])]
    var clientID: String
    var clientHost: String
    /// JoinGroup v4+ asks a new dynamic member to come back with the member id it is given.
    var requireKnownMemberID: Bool
}

extension SimCluster {
    // MARK: - JoinGroup

    func classicJoin(_ r: ClassicJoin, completion: @escaping (JoinOutcome) -> Void) {
        let now = clock.nowMs()
        func fail(_ code: Int16, memberID: String = r.memberID) {
            completion(JoinOutcome(errorCode: code, generationID: -1, protocolType: nil, protocolName: nil, leader: "", memberID: memberID, members: []))
        }
        guard !r.groupID.isEmpty else { return fail(KafkaErrorCode.invalidGroupID.code) }
        guard r.sessionTimeoutMs >= config.classicMinSessionTimeoutMs, r.sessionTimeoutMs <= config.classicMaxSessionTimeoutMs else {
            return fail(KafkaErrorCode.invalidSessionTimeout.code)
        }
        guard !r.protocols.isEmpty, !r.protocolType.isEmpty else { return fail(KafkaErrorCode.inconsistentGroupProtocol.code) }
        let g: SimGroup
        if let existing = groups[r.groupID] {
            g = existing
            if g.isShareOrStreams { return fail(KafkaErrorCode.inconsistentGroupProtocol.code) }
            if g.type == .consumer {
                guard g.consumer.members.isEmpty else { return classicJoinToConsumerGroup(g, r, completion: completion) }
                g.type = .classic
                g.classic = ClassicGroupState()
            }
        } else {
            g = SimGroup(id: r.groupID, type: .classic)
            groups[r.groupID] = g
        }
        let cg = g.classic
        if !cg.members.isEmpty {
            if cg.protocolType != r.protocolType { return fail(KafkaErrorCode.inconsistentGroupProtocol.code) }
            var common = Set(cg.members.values.first!.protocols.map(\.name))
            for m in cg.members.values { common.formIntersection(m.protocols.map(\.name)) }
            if common.isDisjoint(with: r.protocols.map(\.name)) { return fail(KafkaErrorCode.inconsistentGroupProtocol.code) }
        }

        var memberID = r.memberID
        if memberID.isEmpty {
            let newID = (r.clientID.isEmpty ? "member" : r.clientID) + "-" + newUUID().hex
            if let inst = r.instanceID {
                if let oldID = cg.staticMembers[inst], let old = cg.members[oldID] {
                    // A static member restarted: it takes over the old member's slot.
                    old.joinCallback?(JoinOutcome(errorCode: KafkaErrorCode.fencedInstanceID.code, generationID: -1, protocolType: nil, protocolName: nil, leader: "", memberID: oldID, members: []))
                    old.syncCallback?(SyncOutcome(errorCode: KafkaErrorCode.fencedInstanceID.code, protocolType: nil, protocolName: nil, assignment: []))
                    old.joinCallback = nil
                    old.syncCallback = nil
                    // Like Kafka, a restarted static member in a Stable group skips the rebalance as long
                    // as the group would still pick the same protocol.
                    let sameProtocol = r.protocols.contains { $0.name == cg.protocolName }
                    cg.members[oldID] = nil
                    cg.order = cg.order.map { $0 == oldID ? newID : $0 }
                    if cg.leaderID == oldID { cg.leaderID = newID }
                    old.memberID = newID
                    old.protocols = r.protocols
                    old.sessionTimeoutMs = r.sessionTimeoutMs
                    old.rebalanceTimeoutMs = r.rebalanceTimeoutMs
                    old.lastHeartbeatMs = now
                    cg.members[newID] = old
                    cg.staticMembers[inst] = newID
                    if cg.state == .stable && sameProtocol {
                        // A returning leader gets the member list but must not assign again (skipAssignment, v9).
                        let isLeader = cg.leaderID == newID
                        let members = isLeader ? cg.order.compactMap { id in cg.members[id].map { (id, $0.instanceID, $0.metadata(for: cg.protocolName)) } } : []
                        var outcome = JoinOutcome(errorCode: 0, generationID: cg.generation, protocolType: cg.protocolType,
                                                  protocolName: cg.protocolName, leader: cg.leaderID ?? "", memberID: newID, members: members)
                        outcome.skipAssignment = isLeader
                        completion(outcome)
                        return
                    }
                    old.joinCallback = completion
                    prepareRebalance(g, now: now)
                    tryCompleteJoin(g, now: now)
                    return
                }
                memberID = newID
            } else if r.requireKnownMemberID {
                pendingClassicMembers.insert(newID)
                return fail(KafkaErrorCode.memberIDRequired.code, memberID: newID)
            } else {
                memberID = newID
            }
        } else if cg.members[memberID] == nil {
            if pendingClassicMembers.remove(memberID) == nil {
                return fail(KafkaErrorCode.unknownMemberID.code)
            }
        }
        if let inst = r.instanceID, let holder = cg.staticMembers[inst], holder != memberID {
            return fail(KafkaErrorCode.fencedInstanceID.code)
        }

        if let m = cg.members[memberID] {
            let sameMetadata = m.protocols.map(\.name) == r.protocols.map(\.name) && m.protocols.map(\.metadata) == r.protocols.map(\.metadata)
            m.protocols = r.protocols
            m.sessionTimeoutMs = r.sessionTimeoutMs
            m.rebalanceTimeoutMs = r.rebalanceTimeoutMs
            m.clientID = r.clientID
            m.clientHost = r.clientHost
            m.lastHeartbeatMs = now
            switch cg.state {
            case .preparingRebalance:
                m.joinCallback = completion
                tryCompleteJoin(g, now: now)
            case .completingRebalance, .stable:
                if sameMetadata && !(cg.state == .stable && cg.leaderID == memberID) {
                    let isLeader = cg.leaderID == memberID
                    completion(JoinOutcome(
                        errorCode: 0, generationID: cg.generation, protocolType: cg.protocolType, protocolName: cg.protocolName,
                        leader: cg.leaderID ?? "", memberID: memberID,
                        members: isLeader ? cg.order.compactMap { id in cg.members[id].map { (id, $0.instanceID, $0.metadata(for: cg.protocolName)) } } : []))
                } else {
                    m.joinCallback = completion
                    prepareRebalance(g, now: now)
                }
            case .empty, .dead:
                m.joinCallback = completion
                prepareRebalance(g, now: now)
                tryCompleteJoin(g, now: now)
            }
            return
        }

        let m = ClassicMember(memberID: memberID, instanceID: r.instanceID, clientID: r.clientID, clientHost: r.clientHost,
                              sessionTimeoutMs: r.sessionTimeoutMs, rebalanceTimeoutMs: r.rebalanceTimeoutMs,
                              protocolType: r.protocolType, protocols: r.protocols, now: now)
        m.joinCallback = completion
        let wasEmpty = cg.members.isEmpty
        cg.add(m)
        if cg.protocolType == nil || wasEmpty { cg.protocolType = r.protocolType }
        if cg.state != .preparingRebalance { prepareRebalance(g, now: now) }
        tryCompleteJoin(g, now: now)
    }

    func prepareRebalance(_ g: SimGroup, now: Int64) {
        let cg = g.classic
        if cg.state == .completingRebalance {
            for m in cg.members.values {
                if let cb = m.syncCallback {
                    m.syncCallback = nil
                    cb(SyncOutcome(errorCode: KafkaErrorCode.rebalanceInProgress.code, protocolType: nil, protocolName: nil, assignment: []))
                }
            }
        }
        let maxRebalance = Int64(cg.members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
        if cg.state == .empty || cg.generation == 0 && cg.state != .preparingRebalance {
            cg.initialDelayUntilMs = now + min(config.classicInitialRebalanceDelayMs, max(maxRebalance, 0))
        } else if cg.state != .preparingRebalance {
            cg.initialDelayUntilMs = now
        }
        if cg.state != .preparingRebalance { cg.rebalanceDeadlineMs = now + max(maxRebalance, 1) }
        cg.state = .preparingRebalance
        g.nextTimeoutCheckMs = 0  // checked on every tick while it rebalances (runGroupTimeouts)
    }

    func tryCompleteJoin(_ g: SimGroup, now: Int64) {
        let cg = g.classic
        guard cg.state == .preparingRebalance else { return }
        let allJoined = cg.members.values.allSatisfy { $0.joinCallback != nil }
        if (allJoined && now >= cg.initialDelayUntilMs) || now >= cg.rebalanceDeadlineMs {
            completeJoin(g, now: now)
        }
    }

    private func completeJoin(_ g: SimGroup, now: Int64) {
        let cg = g.classic
        for m in Array(cg.members.values) where m.joinCallback == nil { cg.remove(m.memberID) }
        cg.generation += 1
        if cg.members.isEmpty {
            cg.state = .empty
            cg.protocolName = nil
            cg.leaderID = nil
            return
        }
        cg.protocolName = cg.selectProtocol()
        if cg.leaderID == nil || cg.members[cg.leaderID!] == nil { cg.leaderID = cg.order.first }
        cg.state = .completingRebalance
        g.nextTimeoutCheckMs = 0
        cg.rebalanceDeadlineMs = now + Int64(cg.members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
        let all = cg.order.compactMap { id in cg.members[id].map { (memberID: id, instanceID: $0.instanceID, metadata: $0.metadata(for: cg.protocolName)) } }
        for id in cg.order {
            guard let m = cg.members[id], let cb = m.joinCallback else { continue }
            m.joinCallback = nil
            m.lastHeartbeatMs = now
            m.isNew = false
            cb(JoinOutcome(errorCode: 0, generationID: cg.generation, protocolType: cg.protocolType, protocolName: cg.protocolName,
                           leader: cg.leaderID ?? "", memberID: id, members: id == cg.leaderID ? all : []))
        }
    }

    // MARK: - SyncGroup

    func classicSync(groupID: String, generation: Int32, memberID: String, instanceID: String?, protocolType: String?,
                     protocolName: String?, assignments: [String: [UInt8]], completion: @escaping (SyncOutcome) -> Void) {
        func fail(_ code: Int16) { completion(SyncOutcome(errorCode: code, protocolType: nil, protocolName: nil, assignment: [])) }
        guard let g = groups[groupID] else { return fail(KafkaErrorCode.unknownMemberID.code) }
        if g.type == .consumer {
            return classicSyncToConsumerGroup(g, generation: generation, memberID: memberID, protocolType: protocolType,
                                              protocolName: protocolName, completion: completion)
        }
        let cg = g.classic
        guard let m = cg.members[memberID] else { return fail(KafkaErrorCode.unknownMemberID.code) }
        if let inst = instanceID, cg.staticMembers[inst] != memberID { return fail(KafkaErrorCode.fencedInstanceID.code) }
        guard generation == cg.generation else { return fail(KafkaErrorCode.illegalGeneration.code) }
        if let pt = protocolType, pt != cg.protocolType { return fail(KafkaErrorCode.inconsistentGroupProtocol.code) }
        if let pn = protocolName, pn != cg.protocolName { return fail(KafkaErrorCode.inconsistentGroupProtocol.code) }
        m.lastHeartbeatMs = clock.nowMs()
        switch cg.state {
        case .empty, .dead: fail(KafkaErrorCode.unknownMemberID.code)
        case .preparingRebalance: fail(KafkaErrorCode.rebalanceInProgress.code)
        case .stable:
            completion(SyncOutcome(errorCode: 0, protocolType: cg.protocolType, protocolName: cg.protocolName, assignment: m.assignment))
        case .completingRebalance:
            m.syncCallback = completion
            if memberID == cg.leaderID {
                for (id, member) in cg.members { member.assignment = assignments[id] ?? [] }
                cg.state = .stable
                for member in cg.members.values {
                    if let cb = member.syncCallback {
                        member.syncCallback = nil
                        cb(SyncOutcome(errorCode: 0, protocolType: cg.protocolType, protocolName: cg.protocolName, assignment: member.assignment))
                    }
                }
            }
        }
    }

    // MARK: - Heartbeat and LeaveGroup

    func classicHeartbeat(groupID: String, generation: Int32, memberID: String, instanceID: String?) -> Int16 {
        guard let g = groups[groupID] else { return KafkaErrorCode.unknownMemberID.code }
        if g.type == .consumer { return classicHeartbeatToConsumerGroup(g, generation: generation, memberID: memberID, instanceID: instanceID) }
        let cg = g.classic
        if let inst = instanceID, let holder = cg.staticMembers[inst], holder != memberID { return KafkaErrorCode.fencedInstanceID.code }
        guard let m = cg.members[memberID] else { return KafkaErrorCode.unknownMemberID.code }
        guard generation == cg.generation else { return KafkaErrorCode.illegalGeneration.code }
        m.lastHeartbeatMs = clock.nowMs()
        return cg.state == .preparingRebalance ? KafkaErrorCode.rebalanceInProgress.code : KafkaErrorCode.none.code
    }

    func classicLeave(groupID: String, members: [(memberID: String, instanceID: String?)]) -> (Int16, [Int16]) {
        guard let g = groups[groupID] else {
            return (KafkaErrorCode.unknownMemberID.code, members.map { _ in KafkaErrorCode.unknownMemberID.code })
        }
        if g.type == .consumer { return (KafkaErrorCode.none.code, classicLeaveConsumerGroup(g, members: members)) }
        let cg = g.classic
        let now = clock.nowMs()
        var codes: [Int16] = []
        var removed = false
        for (memberID, instanceID) in members {
            var id = memberID
            if let inst = instanceID {
                guard let holder = cg.staticMembers[inst] else { codes.append(KafkaErrorCode.unknownMemberID.code); continue }
                if !id.isEmpty && holder != id { codes.append(KafkaErrorCode.fencedInstanceID.code); continue }
                id = holder
            }
            guard let m = cg.members[id] else { codes.append(KafkaErrorCode.unknownMemberID.code); continue }
            m.joinCallback?(JoinOutcome(errorCode: KafkaErrorCode.unknownMemberID.code, generationID: -1, protocolType: nil, protocolName: nil, leader: "", memberID: id, members: []))
            m.syncCallback?(SyncOutcome(errorCode: KafkaErrorCode.unknownMemberID.code, protocolType: nil, protocolName: nil, assignment: []))
            cg.remove(id)
            codes.append(KafkaErrorCode.none.code)
            removed = true
        }
        if removed { membershipShrank(g, now: now) }
        return (KafkaErrorCode.none.code, codes)
    }

    func membershipShrank(_ g: SimGroup, now: Int64) {
        let cg = g.classic
        switch cg.state {
        case .stable, .completingRebalance:
            if cg.members.isEmpty {
                cg.generation += 1
                cg.state = .empty
                cg.protocolName = nil
                cg.leaderID = nil
            } else {
                prepareRebalance(g, now: now)
            }
        case .preparingRebalance:
            tryCompleteJoin(g, now: now)
        case .empty, .dead:
            break
        }
    }

    /// Session, join and sync timeouts of classic members.
    func expireClassicMembers(_ g: SimGroup, now: Int64) {
        let cg = g.classic
        var removed = false
        let due = cg.state == .completingRebalance || cg.state == .preparingRebalance
            || cg.members.values.contains { $0.joinCallback == nil && now - $0.lastHeartbeatMs > Int64($0.sessionTimeoutMs) }
        guard due else { return }
        for m in Array(cg.members.values) where m.joinCallback == nil {
            if now - m.lastHeartbeatMs > Int64(m.sessionTimeoutMs) {
                m.syncCallback?(SyncOutcome(errorCode: KafkaErrorCode.unknownMemberID.code, protocolType: nil, protocolName: nil, assignment: []))
                cg.remove(m.memberID)
                removed = true
            }
        }
        if cg.state == .completingRebalance && now >= cg.rebalanceDeadlineMs {
            // The leader never sent its assignment: members that did not sync are dropped.
            for m in Array(cg.members.values) where m.syncCallback == nil { cg.remove(m.memberID); removed = true }
            if !removed && !cg.members.isEmpty { prepareRebalance(g, now: now) }
        }
        if removed { membershipShrank(g, now: now) }
        if cg.state == .preparingRebalance { tryCompleteJoin(g, now: now) }
    }

    /// How many classic groups rebalance, and the ids of those among them whose next timeout check
    /// is later than `now` (none: ``runGroupTimeouts(now:)`` checks them on every tick); for tests.
    func rebalancingClassicGroups(now: Int64) -> (count: Int, notDue: [String]) {
        var count = 0
        var notDue: [String] = []
        for g in groupList where g.type == .classic && (g.classic.state == .preparingRebalance || g.classic.state == .completingRebalance) {
            count += 1
            if g.nextTimeoutCheckMs > now { notDue.append(g.id) }
        }
        return (count, notDue)
    }

    /// Runs the timeouts of every group: of a group whose next check is due, and of every classic
    /// group that rebalances (it stays due, from the moment it starts until it ends), so that a tick
    /// reads one field of every other group.
    func runGroupTimeouts(now: Int64) {
        for g in groupList {
            guard now >= g.nextTimeoutCheckMs else { continue }
            var next = now + 1_000
            switch g.type {
            case .classic:
                if !g.classic.members.isEmpty || g.classic.state == .preparingRebalance { expireClassicMembers(g, now: now) }
                for m in g.classic.members.values { next = min(next, m.lastHeartbeatMs + Int64(m.sessionTimeoutMs) + 1) }
                if g.classic.state == .preparingRebalance || g.classic.state == .completingRebalance { next = now }
            case .consumer:
                if !g.consumer.members.isEmpty { expireConsumerMembers(g, now: now) }
                for m in g.consumer.members.values {
                    let session = Int64(m.classicProtocols != nil ? m.classicSessionTimeoutMs : consumerSessionTimeoutMs(group: g.id))
                    next = min(next, m.lastHeartbeatMs + session + 1, m.revocationDeadlineMs.map { $0 + 1 } ?? next)
                }
            }
            g.nextTimeoutCheckMs = next
        }
    }
}

extension SimCluster {
    /// Answers every JoinGroup/SyncGroup still waiting at coordinator `broker` (all brokers when nil)
    /// with `errorCode`, as a coordinator going away would leave them: the clients rejoin.
    public func abortPendingRequests(coordinatedBy broker: Int32? = nil, errorCode: Int16 = 16) {
        for g in groups.values where g.type == .classic && (broker == nil || coordinator(for: g.id) == broker) {
            for m in g.classic.members.values {
                if let cb = m.joinCallback {
                    m.joinCallback = nil
                    cb(JoinOutcome(errorCode: errorCode, generationID: -1, protocolType: nil, protocolName: nil, leader: "", memberID: m.memberID, members: []))
                }
                if let cb = m.syncCallback {
                    m.syncCallback = nil
                    cb(SyncOutcome(errorCode: errorCode, protocolType: nil, protocolName: nil, assignment: []))
                }
            }
        }
    }
}

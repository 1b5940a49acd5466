import GroupModel
import KafkaProtocol
import KafkaWire

// The simulated clients the cluster runs on its own clock: scripted producers and simulated
// members, each a client state machine (KIP-848 heartbeats and reconciliation; classic join, sync
// and leader assignment) stepped by the cluster's tick.

final class ScriptedProducer {
    /// The topic it writes to (topics are never removed, so the reference stays valid).
    let target: SimTopic
    var ratePerSec: Double
    var valueSize: Int
    var carry: Double = 0
    var nextPartition = 0

    init(target: SimTopic, ratePerSec: Double, valueSize: Int) {
        self.target = target
        self.ratePerSec = ratePerSec
        self.valueSize = valueSize
    }
}

final class SimulatedMember {
    enum Phase: Equatable {
        case needsJoin
        case revokingBeforeJoin(readyAt: Int64)
        case joining
        case syncing
        case stable
    }

    let handle: String
    let groupID: String
    let proto: GroupProtocol
    var topics: [String]
    var options: SimMemberOptions
    var memberID = ""
    var epoch: Int32 = 0
    var owned: Set<TopicPartition> = []
    var positions: [TopicPartition: Double] = [:]
    var phase: Phase = .needsJoin
    var paused = false
    var nextHeartbeatMs: Int64 = 0
    var lastCommitMs: Int64 = 0
    var lastConsumeMs: Int64 = 0
    /// Nothing needs doing before this time (0: act on the next tick).
    var dueMs: Int64 = 0
    // Classic callbacks land here; the next tick acts on them.
    var joinResult: JoinOutcome?
    var syncResult: SyncOutcome?
    var isLeader = false
    var leaderMembers: [(memberID: String, instanceID: String?, metadata: [UInt8])] = []
    var protocolName: String?
    // KIP-848: an assignment being applied after a (slow) revocation.
    var pending: Set<TopicPartition>?
    var pendingReadyAt: Int64 = 0
    var ackNow = false
    /// Set when the member is stopped or killed: a tick already walking the members skips it.
    var removed = false

    init(handle: String, groupID: String, proto: GroupProtocol, topics: [String], options: SimMemberOptions) {
        self.handle = handle
        self.groupID = groupID
        self.proto = proto
        self.topics = topics
        self.options = options
    }
}

extension SimCluster {
    // MARK: - Ticking

    func runProducers(now: Int64, elapsedMs: Int64) {
        guard elapsedMs > 0 else { return }
        for p in producerOrder {
            let total = p.ratePerSec * Double(elapsedMs) / 1000 + p.carry
            let whole = Int(total.rounded(.down))
            // A slow producer writes nothing on most steps: its topic is not touched then.
            guard whole > 0 else {
                p.carry = total
                continue
            }
            let t = p.target
            guard !t.partitions.isEmpty else { continue }
            p.carry = total - Double(whole)
            let n = t.partitions.count
            let per = whole / n
            let extra = whole % n
            // Every partition gets `per` records; the `extra` partitions from `nextPartition` on one more
            // (with fewer records than partitions, only those are visited).
            func write(_ count: Int, to i: Int) {
                t.partitions[i].append(recordCount: Int64(count), firstTimestamp: now - elapsedMs + 1, maxTimestamp: now,
                                       payload: .synthetic(valueSize: p.valueSize))
            }
            if per == 0 {
                for k in 0..<extra { write(1, to: (p.nextPartition + k) % n) }
            } else {
                for i in 0..<n { write(per + ((i - p.nextPartition + n) % n < extra ? 1 : 0), to: i) }
            }
            p.nextPartition = (p.nextPartition + extra) % n
        }
    }

    func runSimulatedMembers(now: Int64, elapsedMs: Int64) {
        for m in simMemberOrder {
            guard !m.removed, !m.paused, now >= m.dueMs else { continue }
            stepMember(m, now: now, elapsedMs: elapsedMs)
        }
    }

    /// When the member next has something to do on its own (heartbeat, commit, a finished
    /// revocation); anything that reaches it from outside resets this to 0.
    private func nextDue(_ m: SimulatedMember) -> Int64 {
        var due = min(m.nextHeartbeatMs, m.lastCommitMs + m.options.commitIntervalMs)
        if m.pending != nil { due = min(due, m.pendingReadyAt) }
        switch m.phase {
        case .needsJoin: return 0
        case .revokingBeforeJoin(let readyAt): due = min(due, readyAt)
        case .joining, .syncing: if m.joinResult != nil || m.syncResult != nil { return 0 }
        case .stable: break
        }
        if m.ackNow || m.joinResult != nil || m.syncResult != nil { return 0 }
        return due
    }

    func stepMember(_ m: SimulatedMember, now: Int64, elapsedMs: Int64) {
        switch m.proto {
        case .consumer: stepConsumerMember(m, now: now)
        case .classic: stepClassicMember(m, now: now)
        }
        if now - m.lastCommitMs >= m.options.commitIntervalMs { commit(m, now: now) }
        m.dueMs = nextDue(m)
    }

    /// Moves the member's positions to `now`: consumption is computed lazily, when the member
    /// commits or gives partitions up, so idle ticks cost nothing per partition.
    func consume(_ m: SimulatedMember, now: Int64) {
        let elapsedMs = max(0, now - m.lastConsumeMs)
        m.lastConsumeMs = now
        guard !m.owned.isEmpty else { return }
        guard let rate = m.options.consumeRatePerSec else {
            // A member that keeps up is at the high watermark, wherever it was.
            for tp in m.owned {
                guard let log = partitionLog(tp) else { continue }
                m.positions[tp] = Double(log.highWatermark)
            }
            return
        }
        let perPartition: Double? = rate * Double(elapsedMs) / 1000 / Double(m.owned.count)
        for tp in m.owned {
            guard let log = partitionLog(tp) else { continue }
            let hw = Double(log.highWatermark)
            var pos = m.positions[tp] ?? Double(groups[m.groupID]?.offsets[tp]?.offset ?? log.logStartOffset)
            pos = max(pos, Double(log.logStartOffset))
            if let step = perPartition { pos = min(hw, pos + step) } else { pos = hw }
            m.positions[tp] = pos
        }
    }

    func commit(_ m: SimulatedMember, now: Int64) {
        consume(m, now: now)
        m.lastCommitMs = now
        guard !m.owned.isEmpty, !m.memberID.isEmpty else { return }
        let code = validateCommit(groupID: m.groupID, memberID: m.memberID, generationOrEpoch: m.epoch, instanceID: m.options.instanceID,
                                  partitions: Array(m.owned))
        guard code == 0, let g = groups[m.groupID] else { return }
        for tp in m.owned {
            guard let pos = m.positions[tp] else { continue }
            let offset = Int64(pos.rounded(.down))
            // One lookup for the comparison and the write.
            let i = g.offsets.index(forKey: tp)
            if let i, g.offsets.values[i].offset == offset { continue }
            let committed = CommittedOffset(offset: offset, leaderEpoch: partitionLog(tp)?.leaderEpoch ?? -1, metadata: "", commitTimestampMs: now)
            if let i { g.offsets.values[i] = committed } else { g.offsets[tp] = committed }
        }
    }

    // MARK: KIP-848 member

    private func stepConsumerMember(_ m: SimulatedMember, now: Int64) {
        if let pending = m.pending, now >= m.pendingReadyAt {
            consume(m, now: now)
            for tp in m.owned.subtracting(pending) { m.positions[tp] = nil }
            m.owned = pending
            m.pending = nil
            m.ackNow = true
        }
        let joining = m.phase == .needsJoin
        guard joining || m.ackNow || now >= m.nextHeartbeatMs else { return }
        if joining && m.memberID.isEmpty { m.memberID = newMemberID() }
        var hb = CGHeartbeat(groupID: m.groupID, memberID: m.memberID, memberEpoch: joining ? 0 : m.epoch)
        hb.instanceID = m.options.instanceID
        hb.clientID = m.options.clientID
        hb.clientHost = "/127.0.0.1"
        if joining {
            hb.rebalanceTimeoutMs = m.options.rebalanceTimeoutMs
            hb.subscribedTopicNames = m.topics
            hb.serverAssignor = m.options.serverAssignor
            hb.owned = []
        } else {
            hb.owned = m.owned
        }
        m.ackNow = false
        let r = consumerGroupHeartbeat(hb)
        m.nextHeartbeatMs = now + Int64(r.heartbeatIntervalMs > 0 ? r.heartbeatIntervalMs : config.consumerHeartbeatIntervalMs)
        switch r.errorCode {
        case 0:
            break
        case KafkaErrorCode.fencedMemberEpoch.code, KafkaErrorCode.unknownMemberID.code:
            m.owned = []
            m.positions = [:]
            m.pending = nil
            m.epoch = 0
            m.phase = .needsJoin
            if r.errorCode == KafkaErrorCode.unknownMemberID.code { m.memberID = "" }
            return
        default:
            return  // retriable: try again on the next heartbeat
        }
        if joining, let g = groups[m.groupID], let member = g.consumer.members[m.memberID], m.options.classicInConsumerGroup {
            member.classicProtocols = [(m.options.classicAssignor.rawValue, classicMetadata(m))]
            member.classicSessionTimeoutMs = m.options.sessionTimeoutMs
        }
        m.phase = .stable
        if let id = r.memberID { m.memberID = id }
        m.epoch = r.memberEpoch
        if let a = r.assignment, a != m.owned, a != m.pending {
            let revoked = m.owned.subtracting(a)
            if revoked.isEmpty {
                consume(m, now: now)
                m.owned = a
                m.pending = nil
                m.ackNow = true
            } else {
                commit(m, now: now)
                m.pending = a
                m.pendingReadyAt = now + m.options.revocationDelayMs
                if m.options.revocationDelayMs == 0 {
                    for tp in revoked { m.positions[tp] = nil }
                    m.owned = a
                    m.pending = nil
                    m.ackNow = true
                }
            }
        }
    }

    // MARK: Classic member

    func classicMetadata(_ m: SimulatedMember) -> [UInt8] {
        var owned: [ConsumerProtocolSubscription.TopicPartition] = []
        var byTopic: [String: [Int32]] = [:]
        for tp in m.owned { byTopic[tp.topic, default: []].append(tp.partition) }
        for t in byTopic.keys.sorted() { owned.append(.init(topic: t, partitions: byTopic[t]!.sorted())) }
        let sub = ConsumerProtocolSubscription(topics: m.topics.sorted(), userData: nil, ownedPartitions: owned,
                                               generationID: m.epoch > 0 ? m.epoch : -1, rackID: nil)
        return (try? sub.encodedVersionPrefixed(version: 3)) ?? []
    }

    private func stepClassicMember(_ m: SimulatedMember, now: Int64) {
        if let j = m.joinResult {
            m.joinResult = nil
            handleJoinResult(m, j, now: now)
        }
        if let s = m.syncResult {
            m.syncResult = nil
            handleSyncResult(m, s, now: now)
        }
        switch m.phase {
        case .needsJoin:
            if m.options.classicAssignor != .cooperativeSticky && !m.owned.isEmpty {
                // Eager protocols give up everything before rejoining.
                commit(m, now: now)
                m.phase = .revokingBeforeJoin(readyAt: now + m.options.revocationDelayMs)
                if m.options.revocationDelayMs > 0 { return }
                m.owned = []
                m.positions = [:]
            }
            sendJoin(m)
        case .revokingBeforeJoin(let readyAt):
            guard now >= readyAt else { return }
            m.owned = []
            m.positions = [:]
            sendJoin(m)
        case .joining, .syncing:
            break
        case .stable:
            guard now >= m.nextHeartbeatMs else { return }
            m.nextHeartbeatMs = now + m.options.heartbeatIntervalMs
            let code = classicHeartbeat(groupID: m.groupID, generation: m.epoch, memberID: m.memberID, instanceID: m.options.instanceID)
            switch code {
            case 0: break
            case KafkaErrorCode.rebalanceInProgress.code:
                m.phase = .needsJoin
                stepClassicMember(m, now: now)
            case KafkaErrorCode.unknownMemberID.code, KafkaErrorCode.illegalGeneration.code, KafkaErrorCode.fencedInstanceID.code:
                m.owned = []
                m.positions = [:]
                if code == KafkaErrorCode.unknownMemberID.code { m.memberID = "" }
                m.phase = .needsJoin
            default: break
            }
        }
    }

    private func sendJoin(_ m: SimulatedMember) {
        m.phase = .joining
        let protocols: [(name: String, metadata: [UInt8])] = [(m.options.classicAssignor.rawValue, classicMetadata(m))]
        let join = ClassicJoin(groupID: m.groupID, memberID: m.memberID, instanceID: m.options.instanceID,
                               sessionTimeoutMs: m.options.sessionTimeoutMs, rebalanceTimeoutMs: m.options.rebalanceTimeoutMs,
                               protocolType: "consumer", protocols: protocols, clientID: m.options.clientID, clientHost: "/127.0.0.1",
                               requireKnownMemberID: m.options.instanceID == nil)
        classicJoin(join) { [m] outcome in
            m.joinResult = outcome
            m.dueMs = 0
        }
    }

    private func handleJoinResult(_ m: SimulatedMember, _ j: JoinOutcome, now: Int64) {
        switch j.errorCode {
        case 0:
            m.memberID = j.memberID
            m.epoch = j.generationID
            m.protocolName = j.protocolName
            m.isLeader = j.leader == j.memberID
            var assignments: [String: [UInt8]] = [:]
            if m.isLeader { assignments = leaderAssign(j.members, protocolName: j.protocolName) }
            m.phase = .syncing
            classicSync(groupID: m.groupID, generation: j.generationID, memberID: j.memberID, instanceID: m.options.instanceID,
                        protocolType: "consumer", protocolName: j.protocolName, assignments: assignments) { [m] outcome in
                m.syncResult = outcome
                m.dueMs = 0
            }
            if let s = m.syncResult {
                m.syncResult = nil
                handleSyncResult(m, s, now: now)
            }
        case KafkaErrorCode.memberIDRequired.code:
            m.memberID = j.memberID
            m.phase = .needsJoin
        default:
            if j.errorCode == KafkaErrorCode.unknownMemberID.code || j.errorCode == KafkaErrorCode.fencedInstanceID.code { m.memberID = "" }
            m.phase = .needsJoin
        }
    }

    private func handleSyncResult(_ m: SimulatedMember, _ s: SyncOutcome, now: Int64) {
        guard s.errorCode == 0 else {
            if s.errorCode == KafkaErrorCode.unknownMemberID.code { m.memberID = ""; m.owned = []; m.positions = [:] }
            m.phase = .needsJoin
            return
        }
        var assigned = Set<TopicPartition>()
        if let a = try? ConsumerProtocolAssignment.decodeVersionPrefixed(s.assignment).value {
            for t in a.assignedPartitions { for p in t.partitions { assigned.insert(TopicPartition(topic: t.topic, partition: p)) } }
        }
        let revoked = m.owned.subtracting(assigned)
        if !revoked.isEmpty { commit(m, now: now) }
        consume(m, now: now)
        for tp in revoked { m.positions[tp] = nil }
        m.owned = assigned
        m.phase = .stable
        m.nextHeartbeatMs = now + m.options.heartbeatIntervalMs
        // Cooperative: a member that gave something up rejoins so the partitions can move.
        if m.options.classicAssignor == .cooperativeSticky && !revoked.isEmpty { m.phase = .needsJoin }
    }

    /// What a classic group leader computes: decode subscriptions, run the client assignor and,
    /// for cooperative-sticky, hold back partitions another member still owns.
    func leaderAssign(_ members: [(memberID: String, instanceID: String?, metadata: [UInt8])], protocolName: String?) -> [String: [UInt8]] {
        var inputs: [Assignors.Input] = []
        var ownedBy: [TopicPartition: String] = [:]
        for mem in members {
            let sub = try? ConsumerProtocolSubscription.decodeVersionPrefixed(mem.metadata).value
            var current = Set<TopicPartition>()
            for t in sub?.ownedPartitions ?? [] { for p in t.partitions { current.insert(TopicPartition(topic: t.topic, partition: p)); ownedBy[TopicPartition(topic: t.topic, partition: p)] = mem.memberID } }
            inputs.append(Assignors.Input(memberID: mem.memberID, topics: Set(sub?.topics ?? []), current: current))
        }
        var counts: [String: Int] = [:]
        for t in Set(inputs.flatMap(\.topics)) { if let n = topics[t]?.partitions.count { counts[t] = n } }
        var result: [String: Set<TopicPartition>]
        switch ClassicAssignor(rawValue: protocolName ?? "") ?? .range {
        case .range: result = Assignors.range(members: inputs, partitionCounts: counts)
        case .roundrobin: result = Assignors.roundRobin(members: inputs, partitionCounts: counts)
        case .cooperativeSticky:
            result = Assignors.uniform(members: inputs, partitionCounts: counts)
            for (id, tps) in result {
                result[id] = tps.filter { tp in ownedBy[tp] == nil || ownedBy[tp] == id }
            }
        }
        var out: [String: [UInt8]] = [:]
        for (id, tps) in result {
            var byTopic: [String: [Int32]] = [:]
            for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
            let a = ConsumerProtocolAssignment(assignedPartitions: byTopic.keys.sorted().map { .init(topic: $0, partitions: byTopic[$0]!.sorted()) }, userData: nil)
            out[id] = (try? a.encodedVersionPrefixed(version: 3)) ?? []
        }
        return out
    }
}

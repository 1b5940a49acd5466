import GroupModel
import KafkaProtocol
import KafkaWire

// The scenario API of the simulated cluster: what tests, scenarios and `kgtop sim` call to add,
// stop, pause and slow simulated members, to produce, and to inspect groups.

/// The client-side assignor a simulated classic member's leader runs.
public enum ClassicAssignor: String, Sendable, Hashable, CaseIterable {
    /// Eager range assignment.
    case range
    /// Eager round robin.
    case roundrobin
    /// Incremental (cooperative) sticky assignment: partitions that move are revoked in one
    /// rebalance and assigned in the next.
    case cooperativeSticky = "cooperative-sticky"
}

/// How a simulated member behaves.
public struct SimMemberOptions: Sendable, Hashable {
    /// `client.id` shown by describe.
    public var clientID: String = "kgtop-sim"
    /// `group.instance.id` (static membership).
    public var instanceID: String? = nil
    /// Session timeout (classic members send it; KIP-848 members use the broker's).
    public var sessionTimeoutMs: Int32 = 45_000
    /// Rebalance timeout (`max.poll.interval.ms`).
    public var rebalanceTimeoutMs: Int32 = 300_000
    /// Classic heartbeat interval (`heartbeat.interval.ms`); KIP-848 members use the broker's.
    public var heartbeatIntervalMs: Int64 = 3_000
    /// Records per second the member consumes over all of its partitions; nil keeps up with the log.
    public var consumeRatePerSec: Double? = nil
    /// Auto-commit interval.
    public var commitIntervalMs: Int64 = 5_000
    /// How long giving up partitions takes (a slow `onPartitionsRevoked`).
    public var revocationDelayMs: Int64 = 0
    /// KIP-848 server assignor the member asks for (nil: the broker's default).
    public var serverAssignor: String? = nil
    /// Classic client-side assignor.
    public var classicAssignor: ClassicAssignor = .range
    /// A classic-protocol member inside a consumer group (a mixed group member, MemberType 0).
    public var classicInConsumerGroup = false

    /// Defaults like a librdkafka consumer.
    public init() {}
}

/// A member's externally visible status.
public struct SimMemberStatus: Sendable, Hashable {
    /// The handle returned when it was added.
    public var handle: String
    /// The group.
    public var groupID: String
    /// The member id the coordinator knows (empty before the first join).
    public var memberID: String
    /// Member epoch (KIP-848) or generation (classic).
    public var epoch: Int32
    /// Partitions it owns, as "topic-partition" strings, sorted.
    public var owned: [String]
    /// Whether it is paused (not heartbeating).
    public var paused: Bool
}

extension SimCluster {
    // MARK: - Scenario API: members

    /// Adds a simulated member of `proto` to `groupID`, subscribed to `topics`; returns its handle.
    /// It joins on the next tick and then behaves like a real consumer: heartbeats, reconciles,
    /// consumes and commits.
    @discardableResult
    public func addMember(group groupID: String, protocol proto: GroupProtocol, topics: [String],
                          options: SimMemberOptions = SimMemberOptions()) throws(SimError) -> String {
        guard !groupID.isEmpty else { throw .invalidArgument("group id can't be empty") }
        for t in topics where self.topics[t] == nil { throw .unknownTopic(t) }
        memberCounters[groupID, default: 0] += 1
        let handle = "\(groupID)#\(memberCounters[groupID]!)"
        let m = SimulatedMember(handle: handle, groupID: groupID, proto: proto, topics: topics, options: options)
        m.lastConsumeMs = clock.nowMs()
        simMembers[handle] = m
        simMemberOrder.append(m)
        stepMember(m, now: clock.nowMs(), elapsedMs: 0)
        return handle
    }

    /// Adds a KIP-848 group with `members` simulated members; returns their handles.
    @discardableResult
    public func addConsumerGroup(_ groupID: String, topics: [String], members: Int, serverAssignor: String? = nil,
                                 options: SimMemberOptions = SimMemberOptions()) throws(SimError) -> [String] {
        var o = options
        o.serverAssignor = serverAssignor ?? options.serverAssignor
        var handles: [String] = []
        for _ in 0..<members { handles.append(try addMember(group: groupID, protocol: .consumer, topics: topics, options: o)) }
        return handles
    }

    /// Adds a classic group with `members` simulated members using `assignor`; returns their handles.
    @discardableResult
    public func addClassicGroup(_ groupID: String, topics: [String], members: Int, assignor: ClassicAssignor = .range,
                                options: SimMemberOptions = SimMemberOptions()) throws(SimError) -> [String] {
        var o = options
        o.classicAssignor = assignor
        var handles: [String] = []
        for _ in 0..<members { handles.append(try addMember(group: groupID, protocol: .classic, topics: topics, options: o)) }
        return handles
    }

    /// Stops a member cleanly: it commits and leaves the group.
    public func stopMember(_ handle: String) throws(SimError) {
        guard let m = simMembers.removeValue(forKey: handle) else { throw .unknownMember(handle) }
        m.removed = true
        simMemberOrder.removeAll { $0 === m }
        let now = clock.nowMs()
        commit(m, now: now)
        switch m.proto {
        case .classic:
            if !m.memberID.isEmpty { _ = classicLeave(groupID: m.groupID, members: [(m.memberID, m.options.instanceID)]) }
        case .consumer:
            if !m.memberID.isEmpty {
                _ = consumerGroupHeartbeat(CGHeartbeat(groupID: m.groupID, memberID: m.memberID,
                                                       memberEpoch: m.options.instanceID != nil ? -2 : -1, instanceID: m.options.instanceID))
            }
        }
    }

    /// Kills a member: it stops without leaving, so the coordinator fences it after its session timeout.
    public func killMember(_ handle: String) throws(SimError) {
        guard let m = simMembers.removeValue(forKey: handle) else { throw .unknownMember(handle) }
        m.removed = true
        simMemberOrder.removeAll { $0 === m }
    }

    /// Pauses (stops heartbeating, consuming and committing) or resumes a member.
    public func pauseMember(_ handle: String, paused: Bool = true) throws(SimError) {
        guard let m = simMembers[handle] else { throw .unknownMember(handle) }
        m.paused = paused
        m.dueMs = 0
        if !paused { m.nextHeartbeatMs = clock.nowMs() }
    }

    /// Makes a member slow to give up partitions: each revocation takes `revocationDelayMs`.
    public func slowMember(_ handle: String, revocationDelayMs: Int64) throws(SimError) {
        guard let m = simMembers[handle] else { throw .unknownMember(handle) }
        m.options.revocationDelayMs = max(0, revocationDelayMs)
        m.dueMs = 0
    }

    /// Sets how fast a member consumes (nil: keeps up with the log).
    public func setConsumeRate(_ handle: String, recordsPerSec: Double?) throws(SimError) {
        guard let m = simMembers[handle] else { throw .unknownMember(handle) }
        consume(m, now: clock.nowMs())
        m.options.consumeRatePerSec = recordsPerSec
        m.dueMs = 0
    }

    /// The status of every simulated member, in the order they were added.
    public func memberStatuses() -> [SimMemberStatus] {
        simMemberOrder.map {
            SimMemberStatus(handle: $0.handle, groupID: $0.groupID, memberID: $0.memberID, epoch: $0.epoch,
                            owned: $0.owned.sorted().map { "\($0.topic)-\($0.partition)" }, paused: $0.paused)
        }
    }

    /// The status of one simulated member.
    public func memberStatus(_ handle: String) -> SimMemberStatus? {
        memberStatuses().first { $0.handle == handle }
    }

    // MARK: - Scenario API: producers and inspection

    /// Produces synthetic records to every partition of `topic` at `recordsPerSec` (spread evenly),
    /// driven by the clock. Calling it again for the same topic changes the rate; 0 stops it.
    public func produce(topic: String, recordsPerSec: Double, valueSize: Int = 64) throws(SimError) {
        guard let target = topics[topic] else { throw .unknownTopic(topic) }
        if recordsPerSec <= 0 {
            if let p = producers.removeValue(forKey: topic) { producerOrder.removeAll { $0 === p } }
            return
        }
        if let p = producers[topic] {
            p.ratePerSec = recordsPerSec
            p.valueSize = valueSize
        } else {
            let p = ScriptedProducer(target: target, ratePerSec: recordsPerSec, valueSize: valueSize)
            producers[topic] = p
            producerOrder.append(p)
        }
    }

    /// A group's state name (`Stable`, `Reconciling`, ...) and type, nil when it does not exist.
    public func groupState(_ groupID: String) -> (type: GroupProtocol, state: String)? {
        groups[groupID].map { ($0.type, $0.stateName) }
    }

    /// Group epoch and assignment epoch of a KIP-848 group (generation twice for a classic one).
    public func groupEpochs(_ groupID: String) -> (groupEpoch: Int32, assignmentEpoch: Int32)? {
        guard let g = groups[groupID] else { return nil }
        switch g.type {
        case .classic: return (g.classic.generation, g.classic.generation)
        case .consumer: return (g.consumer.groupEpoch, g.consumer.assignmentEpoch)
        }
    }

    /// The number of groups.
    public func groupCount() -> Int { groups.count }

    /// The number of members of a KIP-848 group (including statically departed ones).
    public func consumerMemberCount(_ groupID: String) -> Int { groups[groupID]?.consumer.members.count ?? 0 }

    /// The number of members of a classic group.
    public func classicMemberCount(_ groupID: String) -> Int { groups[groupID]?.classic.members.count ?? 0 }
}

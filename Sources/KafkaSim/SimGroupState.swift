import GroupModel
import KafkaWire

/// A committed offset.
struct CommittedOffset {
    var offset: Int64
    var leaderEpoch: Int32
    var metadata: String?
    var commitTimestampMs: Int64
}

/// Which protocol a group runs.
public enum GroupProtocol: String, Sendable, Hashable, CaseIterable {
    /// JoinGroup/SyncGroup/Heartbeat (the `classic` group type).
    case classic
    /// KIP-848 ConsumerGroupHeartbeat (the `consumer` group type).
    case consumer
}

// MARK: - Classic

enum ClassicState: String {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"
}

/// The answer to a JoinGroup, delivered when the join phase completes.
struct JoinOutcome {
    var errorCode: Int16
    var generationID: Int32
    var protocolType: String?
    var protocolName: String?
    var leader: String
    var memberID: String
    var members: [(memberID: String, instanceID: String?, metadata: [UInt8])]
    var skipAssignment = false
}

/// The answer to a SyncGroup.
struct SyncOutcome {
    var errorCode: Int16
    var protocolType: String?
    var protocolName: String?
    var assignment: [UInt8]
}

final class ClassicMember {
    var memberID: String
    var instanceID: String?
    var clientID: String
    var clientHost: String
    var sessionTimeoutMs: Int32
    var rebalanceTimeoutMs: Int32
    var protocolType: String
    var protocols: [(name: String, metadata: [UInt8])]
    var assignment: [UInt8] = []
    var lastHeartbeatMs: Int64
    var joinCallback: ((JoinOutcome) -> Void)?
    var syncCallback: ((SyncOutcome) -> Void)?
    /// Set for members that joined since the last generation (new-member join timeout).
    var isNew = true

    init(memberID: String, instanceID: String?, clientID: String, clientHost: String, sessionTimeoutMs: Int32,
         rebalanceTimeoutMs: Int32, protocolType: String, protocols: [(name: String, metadata: [UInt8])], now: Int64) {
        self.memberID = memberID
        self.instanceID = instanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.lastHeartbeatMs = now
    }

    func metadata(for proto: String?) -> [UInt8] {
        protocols.first { $0.name == proto }?.metadata ?? []
    }
}

final class ClassicGroupState {
    var state: ClassicState = .empty
    var generation: Int32 = 0
    var protocolType: String?
    var protocolName: String?
    var leaderID: String?
    var members: [String: ClassicMember] = [:]
    /// Member ids in join order, for stable leader choice and output.
    var order: [String] = []
    var staticMembers: [String: String] = [:]
    var rebalanceDeadlineMs: Int64 = 0
    var initialDelayUntilMs: Int64 = 0

    var awaitingJoinCount: Int { members.values.filter { $0.joinCallback != nil }.count }

    func add(_ m: ClassicMember) {
        members[m.memberID] = m
        order.append(m.memberID)
        if let i = m.instanceID { staticMembers[i] = m.memberID }
    }

    func remove(_ id: String) {
        guard let m = members.removeValue(forKey: id) else { return }
        order.removeAll { $0 == id }
        if let i = m.instanceID, staticMembers[i] == id { staticMembers[i] = nil }
        if leaderID == id { leaderID = order.first }
    }

    /// The protocol every member supports, preferring the one most members list first.
    func selectProtocol() -> String? {
        let all = members.values
        guard let first = all.first else { return nil }
        var candidates = Set(first.protocols.map(\.name))
        for m in all { candidates.formIntersection(m.protocols.map(\.name)) }
        var votes: [String: Int] = [:]
        for m in all {
            if let pick = m.protocols.first(where: { candidates.contains($0.name) }) { votes[pick.name, default: 0] += 1 }
        }
        return votes.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }
}

// MARK: - Consumer (KIP-848)

enum ConsumerGroupStateName: String {
    case empty = "Empty"
    case assigning = "Assigning"
    case reconciling = "Reconciling"
    case stable = "Stable"
    case dead = "Dead"
}

enum MemberReconcileState: String {
    case stable = "STABLE"
    case unrevokedPartitions = "UNREVOKED_PARTITIONS"
    case unreleasedPartitions = "UNRELEASED_PARTITIONS"
}

final class ConsumerMember {
    var memberID: String
    var instanceID: String?
    var rackID: String?
    var clientID: String
    var clientHost: String
    var rebalanceTimeoutMs: Int32
    var subscribedTopicNames: [String]
    var subscribedTopicRegex: String?
    var serverAssignor: String?
    var memberEpoch: Int32 = 0
    var previousMemberEpoch: Int32 = -1
    var state: MemberReconcileState = .stable
    var assigned: Set<TopicPartition> = []
    var pendingRevocation: Set<TopicPartition> = []
    /// The member epoch at which each partition it holds (assigned or pending revocation) was given
    /// to it: a commit at an older epoch is accepted for a partition held since then (KIP-1251).
    var assignmentEpochs: [TopicPartition: Int32] = [:]
    var lastHeartbeatMs: Int64
    var revocationDeadlineMs: Int64?
    /// A static member that left with epoch -2 and may come back within the session timeout.
    var leftStatically = false
    /// Classic protocol member inside a consumer group (MemberType 0).
    var classicProtocols: [(name: String, metadata: [UInt8])]?
    var classicSessionTimeoutMs: Int32 = 45_000
    /// Set when the assignment changed since the member last heard it.
    var assignmentChanged = true

    init(memberID: String, clientID: String, clientHost: String, rebalanceTimeoutMs: Int32, topics: [String], now: Int64) {
        self.memberID = memberID
        self.clientID = clientID
        self.clientHost = clientHost
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.subscribedTopicNames = topics
        self.lastHeartbeatMs = now
    }
}

final class ConsumerGroupState {
    var groupEpoch: Int32 = 0
    var assignmentEpoch: Int32 = 0
    var members: [String: ConsumerMember] = [:]
    var staticMembers: [String: String] = [:]
    var target: [String: Set<TopicPartition>] = [:]
    /// Which member currently owns (or is revoking) each partition.
    var owners: [TopicPartition: String] = [:]
    /// Partition counts of the subscribed topics at the last target computation.
    var subscriptionMetadata: [String: Int] = [:]
    /// When the target assignment was last computed (simulated ms), for 4.3's assignment interval.
    var lastAssignmentMs: Int64?

    func state() -> ConsumerGroupStateName {
        if members.isEmpty { return .empty }
        if groupEpoch > assignmentEpoch { return .assigning }
        for m in members.values where m.memberEpoch != assignmentEpoch || m.state != .stable { return .reconciling }
        return .stable
    }

    /// The server assignor most members name (ties to the smaller name), or `d` when none names one.
    func preferredAssignor(default d: String) -> String {
        // The usual group: every member names the same assignor, or none names one.
        var only: String?
        var uniform = true
        for m in members.values {
            guard let a = m.serverAssignor else { continue }
            if only == nil {
                only = a
            } else if only != a {
                uniform = false
                break
            }
        }
        if uniform { return only ?? d }
        var votes: [String: Int] = [:]
        for m in members.values { if let a = m.serverAssignor { votes[a, default: 0] += 1 } }
        return votes.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key ?? d
    }
}

/// A group of either protocol plus its committed offsets.
final class SimGroup {
    let id: String
    var type: GroupProtocol
    var classic = ClassicGroupState()
    var consumer = ConsumerGroupState()
    var offsets: [TopicPartition: CommittedOffset] = [:]
    /// Set for a scripted share group (ListGroups type `share`).
    var share: ShareGroupState?
    /// Set for a scripted streams group (ListGroups type `streams`).
    var streams: StreamsGroupState?
    /// The next time a member's session or rebalance timeout can expire (checked at least every second).
    var nextTimeoutCheckMs: Int64 = 0
    /// The broker coordinating this group, once computed (it depends only on the id).
    var coordinatorBroker: Int32?

    init(id: String, type: GroupProtocol) {
        self.id = id
        self.type = type
    }

    /// The state name as ListGroups/describe report it.
    var stateName: String {
        if let share { return share.stateName }
        if let streams { return streams.stateName }
        switch type {
        case .classic: return classic.state.rawValue
        case .consumer: return consumer.state().rawValue
        }
    }

    /// The protocol type as ListGroups reports it.
    var protocolType: String {
        if share != nil { return "share" }
        if streams != nil { return "streams" }
        switch type {
        case .classic: return classic.protocolType ?? ""
        case .consumer: return "consumer"
        }
    }

    var isEmptyOfMembers: Bool {
        if let share { return share.members.isEmpty }
        if let streams { return streams.members.isEmpty }
        switch type {
        case .classic: return classic.members.isEmpty
        case .consumer: return consumer.members.isEmpty
        }
    }
}

/// Java's `String.hashCode`, so group ids land on the same `__consumer_offsets` partition as in Kafka.
func javaStringHash(_ s: String) -> Int32 {
    var h: Int32 = 0
    for unit in s.utf16 { h = h &* 31 &+ Int32(unit) }
    return h
}

/// A stable (process-independent) string hash for leader placement.
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

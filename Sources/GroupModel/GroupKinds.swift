// MARK: - GroupType

/// The type of a group as the coordinator reports it (ListGroups v5 `GroupType`).
///
/// Codable as the broker's lower-case string; unknown strings are kept verbatim.
public enum GroupType: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A classic (JoinGroup/SyncGroup) group.
    case classic
    /// A KIP-848 consumer-protocol group (possibly mixed, with classic members inside).
    case consumer
    /// A share group (KIP-932).
    case share
    /// A Kafka Streams group (KIP-1071).
    case streams
    /// A type this version of kgtop does not know, or none was reported; the raw string is kept.
    case unknown(String)

    /// Parses the broker's string, case-insensitively.
    public init(brokerString: String) {
        switch brokerString.lowercased() {
        case "classic": self = .classic
        case "consumer": self = .consumer
        case "share": self = .share
        case "streams": self = .streams
        default: self = .unknown(brokerString)
        }
    }

    /// The broker's (lower-case) string.
    public var brokerString: String {
        switch self {
        case .classic: return "classic"
        case .consumer: return "consumer"
        case .share: return "share"
        case .streams: return "streams"
        case .unknown(let raw): return raw
        }
    }

    /// The broker's string.
    public var description: String { brokerString }

    /// Decodes the broker's string.
    public init(from decoder: any Decoder) throws {
        self.init(brokerString: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the broker's string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(brokerString)
    }
}

// MARK: - GroupState

/// A group's state, for every group type (PROTOCOL.md §4), Codable as the broker's string.
public enum GroupState: Sendable, Hashable, Codable, CustomStringConvertible {
    /// No members.
    case empty
    /// KIP-848 / streams: the group epoch is ahead of the assignment epoch (target being computed).
    case assigning
    /// KIP-848 / streams: some member has not reached the assignment epoch yet.
    case reconciling
    /// Every member is at the current assignment (or generation).
    case stable
    /// The group no longer exists, or (classic DescribeGroups on a non-classic group) is not visible.
    case dead
    /// Classic: members are (re)joining.
    case preparingRebalance
    /// Classic: waiting for the leader's SyncGroup with the assignment.
    case completingRebalance
    /// Streams: the topology is not ready (missing internal topics).
    case notReady
    /// A state string this version does not know; kept verbatim.
    case unknown(String)

    /// Parses the broker's string, case-insensitively.
    public init(brokerString: String) {
        switch brokerString.lowercased() {
        case "empty": self = .empty
        case "assigning": self = .assigning
        case "reconciling": self = .reconciling
        case "stable": self = .stable
        case "dead": self = .dead
        case "preparingrebalance": self = .preparingRebalance
        case "completingrebalance": self = .completingRebalance
        case "notready": self = .notReady
        default: self = .unknown(brokerString)
        }
    }

    /// The broker's string (`Stable`, `PreparingRebalance`, ...).
    public var brokerString: String {
        switch self {
        case .empty: return "Empty"
        case .assigning: return "Assigning"
        case .reconciling: return "Reconciling"
        case .stable: return "Stable"
        case .dead: return "Dead"
        case .preparingRebalance: return "PreparingRebalance"
        case .completingRebalance: return "CompletingRebalance"
        case .notReady: return "NotReady"
        case .unknown(let raw): return raw
        }
    }

    /// Whether the state means a rebalance is in progress (any protocol).
    public var isRebalancing: Bool {
        switch self {
        case .assigning, .reconciling, .preparingRebalance, .completingRebalance: return true
        default: return false
        }
    }

    /// The broker's string.
    public var description: String { brokerString }

    /// Decodes the broker's string.
    public init(from decoder: any Decoder) throws {
        self.init(brokerString: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the broker's string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(brokerString)
    }
}

// MARK: - MemberType

/// Which protocol a member speaks (ConsumerGroupDescribe v1 `MemberType`).
public enum MemberType: String, Sendable, Hashable, Codable, CaseIterable {
    /// A JoinGroup/SyncGroup member (in a classic group, or a classic member of a mixed group).
    case classic
    /// A KIP-848 heartbeat member.
    case consumer
    /// A member of a share group (KIP-932).
    case share
    /// A member of a streams group (KIP-1071).
    case streams
    /// Not reported (ConsumerGroupDescribe v0, or `-1`).
    case unknown

    /// Maps ConsumerGroupDescribe v1's `MemberType` byte: 0 classic, 1 consumer, anything else unknown.
    public init(wireValue: Int8) {
        switch wireValue {
        case 0: self = .classic
        case 1: self = .consumer
        default: self = .unknown
        }
    }
}

// MARK: - GroupProtocol

/// The label kgtop shows for a group's protocol, derived from its type and its members.
public enum GroupProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    /// A classic group.
    case classic
    /// A KIP-848 consumer group whose members all speak the consumer protocol.
    case consumer
    /// A KIP-848 consumer group with at least one classic member (online migration in progress).
    case mixed
    /// A share group.
    case share
    /// A streams group.
    case streams
    /// Unknown group type.
    case unknown

    /// Derives the label from the group type and its members' types.
    public static func derive(type: GroupType, memberTypes: [MemberType]) -> GroupProtocol {
        derive(type: type, hasClassicMember: memberTypes.contains(.classic))
    }

    /// Derives the label from the group type and whether any member speaks the classic protocol.
    public static func derive(type: GroupType, hasClassicMember: Bool) -> GroupProtocol {
        switch type {
        case .classic: return .classic
        case .consumer: return hasClassicMember ? .mixed : .consumer
        case .share: return .share
        case .streams: return .streams
        case .unknown: return .unknown
        }
    }
}

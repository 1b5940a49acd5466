/// A value carried by an event's `old` / `new` fields. JSON: a number, a string, or a list of
/// strings (partitions are written as `topic-partition`, topic names as themselves).
public enum EventValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A number (epochs, generation ids, node ids).
    case number(Int64)
    /// A string (states, member ids, messages).
    case text(String)
    /// A sorted list (topics, or partitions as `topic-partition`).
    case list([String])

    /// A list of partitions, written as `topic-partition`.
    public static func partitions(_ partitions: [TopicPartition]) -> EventValue {
        .list(partitions.sorted().map(\.description))
    }

    /// A number from a 32-bit value.
    public static func int(_ value: Int32) -> EventValue { .number(Int64(value)) }

    /// The value as text.
    public var description: String {
        switch self {
        case .number(let n): return String(n)
        case .text(let s): return s
        case .list(let items): return "[" + items.joined(separator: ", ") + "]"
        }
    }

    /// Decodes a number, a string or a list of strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let n = try? container.decode(Int64.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .text(s)
        } else {
            self = .list(try container.decode([String].self))
        }
    }

    /// Encodes the bare value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let n): try container.encode(n)
        case .text(let s): try container.encode(s)
        case .list(let items): try container.encode(items)
        }
    }
}

/// What kind of change an event reports; the raw value is the JSON `type`.
public enum GroupEventType: String, Sendable, Hashable, Codable, CaseIterable {
    /// A group was seen for the first time.
    case groupAppeared = "group_appeared"
    /// A group is no longer listed.
    case groupDisappeared = "group_disappeared"
    /// The group state changed (`old`/`new`: state strings).
    case stateChanged = "state_changed"
    /// The coordinator moved to another broker (`old`/`new`: node ids).
    case coordinatorMoved = "coordinator_moved"
    /// KIP-848 group epoch increased (`old`/`new`).
    case groupEpochBumped = "group_epoch_bumped"
    /// KIP-848 assignment epoch changed: a new target assignment was computed (`old`/`new`).
    case targetAssignmentChanged = "target_assignment_changed"
    /// Classic generation id changed (`old`/`new`).
    case generationChanged = "generation_changed"
    /// A member joined (`new`: member id).
    case memberJoined = "member_joined"
    /// A member left cleanly, as far as polling can tell (`old`: member id).
    case memberLeft = "member_left"
    /// A member was fenced or timed out (see ``SnapshotDiff`` for the heuristic).
    case memberFenced = "member_fenced"
    /// A member's epoch advanced (`old`/`new`).
    case memberEpochAdvanced = "member_epoch_advanced"
    /// A member's target assignment changed (`old`/`new`: partitions).
    case memberTargetChanged = "member_target_changed"
    /// A member's current assignment changed (`old`/`new`: partitions).
    case memberAssignmentChanged = "member_assignment_changed"
    /// A member's subscribed topics or regex changed (`old`/`new`).
    case subscriptionChanged = "subscription_changed"
    /// A partition lost its owner (`old`: previous owner).
    case partitionUnowned = "partition_unowned"
    /// A partition got an owner, or moved owner (`old`/`new`: member ids).
    case partitionOwned = "partition_owned"
    /// The group reported a new error (`new`: error text), or its error cleared (`old`).
    case groupError = "group_error"
    /// A poll error that was not present in the previous poll.
    case pollError = "poll_error"
    /// A broker became unreachable or reachable again (`old`/`new`: `reachable` / `unreachable`).
    case brokerError = "broker_error"
    /// A group's health verdict changed (`old` → `new`, `detail` the reason, `timeLag` the group's).
    case verdictChanged = "verdict_changed"
}

/// One change between two snapshots, as a line of `kgtop events` (schema `kgtop.event/1`).
public struct GroupEvent: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The schema identifier written into every event.
    public static let currentSchema = "kgtop.event/1"

    /// Always ``currentSchema``.
    public var schema: String
    /// What changed.
    public var type: GroupEventType
    /// The newer snapshot's `takenAt`, milliseconds since the Unix epoch.
    public var timestamp: Int64
    /// The group concerned (`nil` for broker and cluster events).
    public var groupID: String?
    /// The member concerned, if any.
    public var memberID: String?
    /// The member's label (``GroupMember/label``), when a labelled member is concerned.
    public var label: String?
    /// `partition_owned` when the partition moved: the previous owner's label (``label`` is the
    /// new owner's).
    public var oldLabel: String?
    /// The member's client id, when a member is concerned.
    public var clientID: String?
    /// The member's host, when a member is concerned.
    public var clientHost: String?
    /// The member's instance id, when it has one.
    public var instanceID: String?
    /// The partition concerned, if any.
    public var topicPartition: TopicPartition?
    /// The broker concerned, if any.
    public var brokerID: Int32?
    /// The value before the change.
    public var old: EventValue?
    /// The value after the change.
    public var new: EventValue?
    /// Extra words (why a member counts as fenced, the error text).
    public var detail: String?
    /// The group's time lag (`verdict_changed`): `{seconds, method, bound}` or `{unknown}`.
    public var timeLag: TimeLag?

    /// Creates an event.
    public init(
        type: GroupEventType, timestamp: Int64, groupID: String? = nil, memberID: String? = nil,
        clientID: String? = nil, clientHost: String? = nil, instanceID: String? = nil,
        topicPartition: TopicPartition? = nil, brokerID: Int32? = nil, old: EventValue? = nil,
        new: EventValue? = nil, detail: String? = nil, label: String? = nil
    ) {
        self.schema = Self.currentSchema
        self.label = label
        self.type = type
        self.timestamp = timestamp
        self.groupID = groupID
        self.memberID = memberID
        self.clientID = clientID
        self.clientHost = clientHost
        self.instanceID = instanceID
        self.topicPartition = topicPartition
        self.brokerID = brokerID
        self.old = old
        self.new = new
        self.detail = detail
    }

    /// A one-line human description.
    public var description: String {
        var parts = [type.rawValue]
        if let groupID { parts.append("group=\(groupID)") }
        if let memberID { parts.append("member=\(label ?? memberID)") }
        if let topicPartition { parts.append("partition=\(topicPartition)") }
        if let brokerID { parts.append("broker=\(brokerID)") }
        if old != nil || new != nil { parts.append("\(old?.description ?? "-") -> \(new?.description ?? "-")") }
        if let detail { parts.append("(\(detail))") }
        return parts.joined(separator: " ")
    }
}

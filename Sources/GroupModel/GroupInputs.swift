// The neutral inputs GroupAssembler turns into `Group` values. The poller converts Kafka responses
// into these; they carry no wire types, only decoded values and per-item errors.

/// One group as ListGroups reported it.
public struct ListedGroupInput: Sendable, Hashable, Codable {
    /// The group id.
    public var groupID: String
    /// `GroupType` from ListGroups v5 (`.unknown("")` before v5).
    public var groupType: GroupType
    /// `ProtocolType` (`consumer`, `connect`, `""` for KIP-848 groups).
    public var protocolType: String?
    /// `GroupState` from ListGroups v4+, when reported.
    public var state: GroupState?
    /// The node id of the broker that listed it (its coordinator).
    public var coordinatorID: Int32?

    /// Creates a listed group.
    public init(groupID: String, groupType: GroupType, protocolType: String? = nil, state: GroupState? = nil, coordinatorID: Int32? = nil) {
        self.groupID = groupID
        self.groupType = groupType
        self.protocolType = protocolType
        self.state = state
        self.coordinatorID = coordinatorID
    }
}

/// One group from ConsumerGroupDescribe (KIP-848 and mixed groups).
public struct DescribedConsumerGroupInput: Sendable, Hashable, Codable {
    /// One member from ConsumerGroupDescribe.
    public struct Member: Sendable, Hashable, Codable {
        /// `MemberId`.
        public var memberID: String
        /// `InstanceId`.
        public var instanceID: String?
        /// `RackId`.
        public var rackID: String?
        /// `MemberEpoch`.
        public var memberEpoch: Int32
        /// `ClientId`.
        public var clientID: String
        /// `ClientHost`.
        public var clientHost: String
        /// `SubscribedTopicNames`.
        public var subscribedTopicNames: [String]
        /// `SubscribedTopicRegex`.
        public var subscribedTopicRegex: String?
        /// `Assignment`, with topic ids already resolved to names.
        public var assignment: [TopicPartition]
        /// `TargetAssignment`, with topic ids already resolved to names.
        public var targetAssignment: [TopicPartition]
        /// `MemberType` (v1+); `.unknown` for v0.
        public var memberType: MemberType

        /// Creates a member.
        public init(
            memberID: String, instanceID: String? = nil, rackID: String? = nil, memberEpoch: Int32,
            clientID: String, clientHost: String, subscribedTopicNames: [String] = [],
            subscribedTopicRegex: String? = nil, assignment: [TopicPartition] = [],
            targetAssignment: [TopicPartition] = [], memberType: MemberType = .consumer
        ) {
            self.memberID = memberID
            self.instanceID = instanceID
            self.rackID = rackID
            self.memberEpoch = memberEpoch
            self.clientID = clientID
            self.clientHost = clientHost
            self.subscribedTopicNames = subscribedTopicNames
            self.subscribedTopicRegex = subscribedTopicRegex
            self.assignment = assignment
            self.targetAssignment = targetAssignment
            self.memberType = memberType
        }
    }

    /// The group id.
    public var groupID: String
    /// The group's error (`ErrorCode` ≠ 0), if any; the rest is then usually empty.
    public var error: ItemError?
    /// `GroupState`.
    public var state: GroupState
    /// `GroupEpoch`.
    public var groupEpoch: Int32
    /// `AssignmentEpoch`.
    public var assignmentEpoch: Int32
    /// `AssignorName` (`nil` or empty when the broker left it empty).
    public var assignor: String?
    /// Members.
    public var members: [Member]

    /// Creates a described consumer group.
    public init(groupID: String, error: ItemError? = nil, state: GroupState, groupEpoch: Int32, assignmentEpoch: Int32, assignor: String? = nil, members: [Member] = []) {
        self.groupID = groupID
        self.error = error
        self.state = state
        self.groupEpoch = groupEpoch
        self.assignmentEpoch = assignmentEpoch
        self.assignor = assignor
        self.members = members
    }
}

/// One group from DescribeGroups (classic groups), with member bytes already decoded.
public struct DescribedClassicGroupInput: Sendable, Hashable, Codable {
    /// A decoded `ConsumerProtocolSubscription`.
    public struct Subscription: Sendable, Hashable, Codable {
        /// Subscribed topics.
        public var topics: [String]
        /// Owned partitions (v1+), `nil` before v1.
        public var ownedPartitions: [TopicPartition]?
        /// Generation id (v2+), `nil` before v2 or when the member sent -1.
        public var generationID: Int32?
        /// Rack id (v3+), `nil` before v3 or when empty.
        public var rackID: String?

        /// Creates a subscription.
        public init(topics: [String], ownedPartitions: [TopicPartition]? = nil, generationID: Int32? = nil, rackID: String? = nil) {
            self.topics = topics
            self.ownedPartitions = ownedPartitions
            self.generationID = generationID
            self.rackID = rackID
        }
    }

    /// One member from DescribeGroups.
    public struct Member: Sendable, Hashable, Codable {
        /// `MemberId`.
        public var memberID: String
        /// `GroupInstanceId`.
        public var instanceID: String?
        /// `ClientId`.
        public var clientID: String
        /// `ClientHost`.
        public var clientHost: String
        /// The decoded `MemberMetadata`, `nil` when absent or not a consumer subscription.
        public var subscription: Subscription?
        /// The decoded `MemberAssignment` partitions, `nil` when absent or undecodable
        /// (treated as no assignment).
        public var assignment: [TopicPartition]?

        /// Creates a member.
        public init(memberID: String, instanceID: String? = nil, clientID: String, clientHost: String, subscription: Subscription? = nil, assignment: [TopicPartition]? = nil) {
            self.memberID = memberID
            self.instanceID = instanceID
            self.clientID = clientID
            self.clientHost = clientHost
            self.subscription = subscription
            self.assignment = assignment
        }
    }

    /// The group id.
    public var groupID: String
    /// The group's error, if any.
    public var error: ItemError?
    /// `GroupState`.
    public var state: GroupState
    /// `ProtocolType`.
    public var protocolType: String?
    /// `ProtocolData`: the chosen client assignor (e.g. `range`, `cooperative-sticky`).
    public var protocolName: String?
    /// The generation id when the source knows it. DescribeGroups does not carry it; when `nil`, the
    /// assembler uses the highest generation id found in the members' subscriptions (v2+).
    public var generationID: Int32?
    /// Members.
    public var members: [Member]

    /// Creates a described classic group.
    public init(groupID: String, error: ItemError? = nil, state: GroupState, protocolType: String? = "consumer", protocolName: String? = nil, generationID: Int32? = nil, members: [Member] = []) {
        self.groupID = groupID
        self.error = error
        self.state = state
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.generationID = generationID
        self.members = members
    }
}

/// A group's committed offsets from OffsetFetch.
public struct CommittedOffsetsInput: Sendable, Hashable, Codable {
    /// One committed offset.
    public struct Offset: Sendable, Hashable, Codable {
        /// The partition.
        public var topicPartition: TopicPartition
        /// `CommittedOffset`; `nil` when the broker answered -1 (no commit).
        public var offset: Int64?
        /// `Metadata`, if any.
        public var metadata: String?
        /// ``error``, kept under another name so that the memberwise initializer (file-private)
        /// differs from the public one, which stores through it (see ``LogOffsetsInput``).
        fileprivate var storedError: ItemError?

        /// The partition-level error, if any.
        public var error: ItemError? {
            get { storedError }
            set { storedError = newValue }
        }

        private enum CodingKeys: String, CodingKey {
            case topicPartition, offset, metadata
            case storedError = "error"
        }
    }

    /// The group id.
    public var groupID: String
    /// The group-level error, if any (then every partition's lag is unknown).
    public var error: ItemError?
    /// Committed offsets.
    public var offsets: [Offset]

    /// Creates a group's committed offsets.
    public init(groupID: String, error: ItemError? = nil, offsets: [Offset] = []) {
        self.groupID = groupID
        self.error = error
        self.offsets = offsets
    }
}

/// One partition's log offsets from ListOffsets (and its leader from Metadata).
///
/// Supply one for every partition of every topic: the assembler also uses them to know how many
/// partitions a subscribed topic has.
public struct LogOffsetsInput: Sendable, Hashable, Codable {
    /// The partition.
    public var topicPartition: TopicPartition
    /// Earliest offset, when fetched.
    public var logStart: Int64?
    /// Latest offset, when fetched.
    public var logEnd: Int64?
    /// The leader's node id, when known.
    public var leader: Int32?
    /// ``error``, kept under another name so that the memberwise initializer (file-private, as
    /// this property is) differs from the public one, which stores through it.
    fileprivate var storedError: ItemError?

    /// The list-offsets error, if any.
    public var error: ItemError? {
        get { storedError }
        set { storedError = newValue }
    }

    private enum CodingKeys: String, CodingKey {
        case topicPartition, logStart, logEnd, leader
        case storedError = "error"
    }
}

// The inputs held by the hundred thousand are made through their memberwise initializers: an
// initializer that assigns the stored properties one by one has the optimizer build the value,
// copy it (its strings retained) and destroy the first, once per value. The memberwise ones are
// file-private (each type has a file-private property), so these public initializers, in
// extensions to keep them, are the only ones callers see.
extension LogOffsetsInput {
    /// Creates log offsets.
    public init(topicPartition: TopicPartition, logStart: Int64? = nil, logEnd: Int64? = nil, leader: Int32? = nil, error: ItemError? = nil) {
        self.init(topicPartition: topicPartition, logStart: logStart, logEnd: logEnd, leader: leader, storedError: error)
    }
}

extension CommittedOffsetsInput.Offset {
    /// Creates a committed offset.
    public init(topicPartition: TopicPartition, offset: Int64?, metadata: String? = nil, error: ItemError? = nil) {
        self.init(topicPartition: topicPartition, offset: offset, metadata: metadata, storedError: error)
    }
}

/// What the describe answers of KIP-848-style groups (ConsumerGroupDescribe, ShareGroupDescribe,
/// StreamsGroupDescribe) say of a group as a whole; ``GroupAssembler`` reads these fields the same
/// way for the three.
public protocol DescribedModernGroup {
    /// The group's error, if any; the rest is then usually empty.
    var error: ItemError? { get }
    /// `GroupState`.
    var state: GroupState { get }
    /// `GroupEpoch`.
    var groupEpoch: Int32 { get }
    /// `AssignmentEpoch`.
    var assignmentEpoch: Int32 { get }
    /// `AssignorName` (`nil` or empty when the broker left it empty).
    var assignor: String? { get }
}

extension DescribedConsumerGroupInput: DescribedModernGroup {}
extension DescribedShareGroupInput: DescribedModernGroup {}
extension DescribedStreamsGroupInput: DescribedModernGroup {}

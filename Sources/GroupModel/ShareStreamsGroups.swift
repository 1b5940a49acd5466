// Share groups (KIP-932) and streams groups (KIP-1071): what kgtop keeps of them beyond what every
// group has, and the neutral inputs the poller fills from ShareGroupDescribe and StreamsGroupDescribe.

// MARK: - Streams tasks

/// The tasks of one subtopology a streams member holds in one role: task `n` reads partition `n`
/// of each of the subtopology's source topics.
public struct StreamsTaskSet: Sendable, Hashable, Codable {
    /// The subtopology id (`0`, `1`, ... as Kafka Streams numbers them).
    public var subtopologyID: String
    /// The task (partition) numbers, sorted.
    public var partitions: [Int32]

    /// Creates a task set; the partitions are sorted and de-duplicated.
    public init(subtopologyID: String, partitions: [Int32]) {
        self.subtopologyID = subtopologyID
        self.partitions = Array(Set(partitions)).sorted()
    }
}

/// A streams member's tasks by role, each list sorted by subtopology id.
public struct StreamsTasks: Sendable, Hashable, Codable {
    /// Active tasks: the member processes these (and owns their source partitions).
    public var active: [StreamsTaskSet]
    /// Standby tasks: the member keeps a replica of these tasks' state.
    public var standby: [StreamsTaskSet]
    /// Warm-up tasks: the member is restoring these tasks' state before it may take them over.
    public var warmup: [StreamsTaskSet]

    /// Creates a task assignment; empty sets are dropped and the rest sorted by subtopology id.
    public init(active: [StreamsTaskSet] = [], standby: [StreamsTaskSet] = [], warmup: [StreamsTaskSet] = []) {
        func clean(_ sets: [StreamsTaskSet]) -> [StreamsTaskSet] {
            sets.filter { !$0.partitions.isEmpty }.sorted { $0.subtopologyID < $1.subtopologyID }
        }
        self.active = clean(active)
        self.standby = clean(standby)
        self.warmup = clean(warmup)
    }

    /// How many tasks there are in each role.
    public var counts: (active: Int, standby: Int, warmup: Int) {
        (active.reduce(0) { $0 + $1.partitions.count }, standby.reduce(0) { $0 + $1.partitions.count },
         warmup.reduce(0) { $0 + $1.partitions.count })
    }

    /// Whether no role holds a task.
    public var isEmpty: Bool { active.isEmpty && standby.isEmpty && warmup.isEmpty }

    /// The source partitions the active tasks read, given each subtopology's source topics.
    public func activePartitions(_ subtopologies: [StreamsSubtopology]) -> [TopicPartition] {
        var sources: [String: [String]] = [:]
        for s in subtopologies { sources[s.subtopologyID] = s.sourceTopics }
        var out: [TopicPartition] = []
        for set in active {
            for topic in sources[set.subtopologyID] ?? [] {
                for p in set.partitions { out.append(TopicPartition(topic: topic, partition: p)) }
            }
        }
        return out.sortedUnique()
    }
}

/// One subtopology of a streams group's topology: its id and the topics its tasks read.
public struct StreamsSubtopology: Sendable, Hashable, Codable {
    /// The subtopology id.
    public var subtopologyID: String
    /// The topics its tasks read (user source topics and repartition topics), sorted.
    public var sourceTopics: [String]

    /// Creates a subtopology; the topics are sorted and de-duplicated.
    public init(subtopologyID: String, sourceTopics: [String]) {
        self.subtopologyID = subtopologyID
        self.sourceTopics = Array(Set(sourceTopics)).sorted()
    }
}

// MARK: - Share-group lag

extension LagValue {
    /// The reason a share group's partition rows carry instead of a lag. A share group commits no
    /// offsets: its progress is the share-partition start offset, which only
    /// DescribeShareGroupOffsets reports, and kgtop does not send that request.
    public static let notApplicableReason = "not applicable: a share group commits no offsets"

    /// The lag of a share group's partition: not applicable (``notApplicableReason``).
    public static var notApplicable: LagValue { .unknown(reason: notApplicableReason) }

    /// Whether this is ``notApplicable`` (shown as `-`, never judged as an error).
    public var isNotApplicable: Bool {
        if case .unknown(let reason) = self { return reason == Self.notApplicableReason }
        return false
    }
}

// MARK: - Inputs

/// One group from ShareGroupDescribe.
public struct DescribedShareGroupInput: Sendable, Hashable, Codable {
    /// One member from ShareGroupDescribe.
    public struct Member: Sendable, Hashable, Codable {
        /// `MemberId`.
        public var memberID: String
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
        /// `Assignment`, with topic ids already resolved to names.
        public var assignment: [TopicPartition]

        /// Creates a member.
        public init(
            memberID: String, rackID: String? = nil, memberEpoch: Int32, clientID: String, clientHost: String,
            subscribedTopicNames: [String] = [], assignment: [TopicPartition] = []
        ) {
            self.memberID = memberID
            self.rackID = rackID
            self.memberEpoch = memberEpoch
            self.clientID = clientID
            self.clientHost = clientHost
            self.subscribedTopicNames = subscribedTopicNames
            self.assignment = assignment
        }
    }

    /// The group id.
    public var groupID: String
    /// The group's error, if any; the rest is then usually empty.
    public var error: ItemError?
    /// `GroupState`.
    public var state: GroupState
    /// `GroupEpoch`.
    public var groupEpoch: Int32
    /// `AssignmentEpoch`.
    public var assignmentEpoch: Int32
    /// `AssignorName`.
    public var assignor: String?
    /// Members.
    public var members: [Member]

    /// Creates a described share group.
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

/// One group from StreamsGroupDescribe.
public struct DescribedStreamsGroupInput: Sendable, Hashable, Codable {
    /// One member from StreamsGroupDescribe.
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
        /// `Assignment`: the tasks the member holds.
        public var assignment: StreamsTasks
        /// `TargetAssignment`: the tasks the assignor wants it to hold.
        public var targetAssignment: StreamsTasks

        /// Creates a member.
        public init(
            memberID: String, instanceID: String? = nil, rackID: String? = nil, memberEpoch: Int32,
            clientID: String, clientHost: String, assignment: StreamsTasks = StreamsTasks(),
            targetAssignment: StreamsTasks = StreamsTasks()
        ) {
            self.memberID = memberID
            self.instanceID = instanceID
            self.rackID = rackID
            self.memberEpoch = memberEpoch
            self.clientID = clientID
            self.clientHost = clientHost
            self.assignment = assignment
            self.targetAssignment = targetAssignment
        }
    }

    /// The group id.
    public var groupID: String
    /// The group's error, if any; the rest is then usually empty.
    public var error: ItemError?
    /// `GroupState`.
    public var state: GroupState
    /// `GroupEpoch`.
    public var groupEpoch: Int32
    /// `AssignmentEpoch`.
    public var assignmentEpoch: Int32
    /// `AssignorName` (v1+; `nil` before).
    public var assignor: String?
    /// The topology's subtopologies (empty while the group has no topology yet).
    public var subtopologies: [StreamsSubtopology]
    /// Members.
    public var members: [Member]

    /// Creates a described streams group.
    public init(
        groupID: String, error: ItemError? = nil, state: GroupState, groupEpoch: Int32, assignmentEpoch: Int32,
        assignor: String? = nil, subtopologies: [StreamsSubtopology] = [], members: [Member] = []
    ) {
        self.groupID = groupID
        self.error = error
        self.state = state
        self.groupEpoch = groupEpoch
        self.assignmentEpoch = assignmentEpoch
        self.assignor = assignor
        self.subtopologies = subtopologies
        self.members = members
    }
}

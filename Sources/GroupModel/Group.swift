/// One consumer group as kgtop shows it: identity, protocol, state, epochs, members, and one row per
/// partition the group consumes, plus figures derived from them.
///
/// Build groups with ``GroupAssembler``; the derived fields (``protocol``, ``summary``) are
/// recomputed whenever the group is created through ``init(groupID:type:protocolType:state:assignor:groupEpoch:assignmentEpoch:generationID:coordinatorID:members:partitions:error:)``.
public struct Group: Sendable, Hashable, Codable {
    /// The group id.
    public var groupID: String
    /// The group's type from ListGroups (or from the describe API that answered).
    public var type: GroupType
    /// Classic protocol type (`consumer`, `connect`, ...); `""` or `nil` for KIP-848 groups.
    public var protocolType: String?
    /// The group's state.
    public var state: GroupState
    /// KIP-848: the server assignor name; classic: the protocol (client assignor) chosen by the leader.
    public var assignor: String?
    /// KIP-848, share and streams groups: the group epoch (bumped on membership / subscription /
    /// partition-count change).
    public var groupEpoch: Int32?
    /// KIP-848, share and streams groups: the group epoch the current target assignment was
    /// computed for.
    public var assignmentEpoch: Int32?
    /// Classic: the best known generation id (see ``DescribedClassicGroupInput/generationID``).
    public var generationID: Int32?
    /// The coordinator's node id, when known.
    public var coordinatorID: Int32?
    /// Members, sorted by member id.
    public var members: [GroupMember]
    /// One row per partition the group consumes, sorted by topic and partition.
    public var partitions: [GroupPartition]
    /// The error describing or fetching offsets for this group, if any.
    public var error: GroupError?
    /// Streams groups: the topology's subtopologies (which topics each one's tasks read); `nil`
    /// for every other type.
    public var subtopologies: [StreamsSubtopology]?
    /// Derived: classic / consumer / mixed / share / streams / unknown.
    public private(set) var `protocol`: GroupProtocol
    /// Derived figures: lag totals, hand-off counts, members behind.
    public private(set) var summary: GroupSummary

    /// Creates a group and computes its derived fields. Members and partitions are sorted.
    public init(
        groupID: String, type: GroupType, protocolType: String? = nil, state: GroupState,
        assignor: String? = nil, groupEpoch: Int32? = nil, assignmentEpoch: Int32? = nil,
        generationID: Int32? = nil, coordinatorID: Int32? = nil, members: [GroupMember] = [],
        partitions: [GroupPartition] = [], error: GroupError? = nil
    ) {
        let rows = partitions.sorted { $0.topicPartition < $1.topicPartition }
        var rowFigures = GroupSummary()
        for i in rows.indices { rowFigures.add(rows[i]) }
        self.init(
            canonicalGroupID: groupID, type: type, protocolType: protocolType, state: state, assignor: assignor,
            groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch, generationID: generationID, coordinatorID: coordinatorID,
            error: error, subtopologies: nil, members: members.map { $0.normalized() }.sorted { $0.memberID < $1.memberID },
            partitions: rows, rowFigures: rowFigures)
    }

    /// Creates a group from members and partitions already in canonical order (members sorted by
    /// id with sorted lists, rows sorted by topic and partition), as ``GroupAssembler`` builds them:
    /// nothing is sorted or copied. `rowFigures` is a summary every row was added to in order
    /// (``GroupSummary/add(_:)``); the members' figures and ``protocol`` are set here.
    init(
        canonicalGroupID groupID: String, type: GroupType, protocolType: String?, state: GroupState, assignor: String?,
        groupEpoch: Int32?, assignmentEpoch: Int32?, generationID: Int32?, coordinatorID: Int32?, error: GroupError?,
        subtopologies: [StreamsSubtopology]?, members: [GroupMember], partitions: [GroupPartition], rowFigures: GroupSummary
    ) {
        self.groupID = groupID
        self.type = type
        self.protocolType = protocolType
        self.state = state
        self.assignor = assignor
        self.groupEpoch = groupEpoch
        self.assignmentEpoch = assignmentEpoch
        self.generationID = generationID
        self.coordinatorID = coordinatorID
        self.error = error
        self.subtopologies = subtopologies
        self.members = members
        self.partitions = partitions
        self.protocol = GroupProtocol.derive(type: type, hasClassicMember: Self.hasClassicMember(members))
        var summary = rowFigures
        summary.addMemberFigures(members: members, type: type, assignmentEpoch: assignmentEpoch)
        self.summary = summary
    }

    /// Recomputes ``protocol`` and ``summary`` after members or partitions were edited.
    public mutating func recomputeDerived() {
        self.protocol = GroupProtocol.derive(type: type, hasClassicMember: Self.hasClassicMember(members))
        self.summary = GroupSummary(group: self)
    }

    /// Whether any of `members` speaks the classic protocol.
    static func hasClassicMember(_ members: [GroupMember]) -> Bool {
        // By index: iterating the members would copy each one (and retain all its fields).
        for i in members.indices where members[i].memberType == .classic { return true }
        return false
    }

    /// Whether offset lag means anything for a group of `type` (see ``lagApplies``).
    static func lagApplies(to type: GroupType) -> Bool { type != .share }

    /// Whether a consumer group holds classic members (online migration in progress).
    public var isMixed: Bool { self.protocol == .mixed }

    /// Whether offset lag means anything for this group: not for a share group, which commits no
    /// offsets (its rows carry ``LagValue/notApplicable`` and its ``GroupSummary/totalLag`` is 0).
    public var lagApplies: Bool { Self.lagApplies(to: type) }

    /// The member with this id, if present.
    public func member(_ memberID: String) -> GroupMember? {
        members.first { $0.memberID == memberID }
    }

    /// How a person reads the member with this id: its ``GroupMember/name`` when it is a member,
    /// else (an owner that left between two requests) the end of the id.
    public func memberName(_ memberID: String) -> String {
        member(memberID)?.name ?? "~" + String(memberID.suffix(MemberLabeler.suffixLength))
    }

    /// The row for this partition, if the group has one.
    public func partition(_ topicPartition: TopicPartition) -> GroupPartition? {
        partitions.first { $0.topicPartition == topicPartition }
    }

    /// Members whose epoch is below the assignment epoch (KIP-848 only; empty otherwise).
    public var membersBehindAssignmentEpoch: [GroupMember] {
        guard let assignmentEpoch else { return [] }
        return members.filter { member in member.memberEpoch.map { $0 < assignmentEpoch } ?? false }
    }

    /// A copy with members and partitions sorted (and the members' lists sorted).
    public func normalized() -> Group {
        var copy = self
        copy.members = members.map { $0.normalized() }.sorted { $0.memberID < $1.memberID }
        copy.partitions = partitions.sorted { $0.topicPartition < $1.topicPartition }
        return copy
    }
}

extension Array where Element == GroupPartition {
    /// The position of the row of `topicPartition` in rows sorted by partition, as a ``Group``
    /// keeps them (a binary search, reading the rows in place), nil when there is none.
    public func rowIndex(of topicPartition: TopicPartition) -> Int? {
        withUnsafeBufferPointer { rows -> Int? in
            var lo = 0
            var hi = rows.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if rows[mid].topicPartition < topicPartition { lo = mid + 1 } else { hi = mid }
            }
            return lo < rows.count && rows[lo].topicPartition == topicPartition ? lo : nil
        }
    }
}

/// Figures derived from a group's members and partitions.
public struct GroupSummary: Sendable, Hashable, Codable {
    /// Sum of the known partition lags.
    public var totalLag: Int64
    /// The largest known partition lag, or `nil` when no partition lag is known.
    public var maxLag: Int64?
    /// The partition with the largest known lag (first in order on ties).
    public var maxLagPartition: TopicPartition?
    /// Partitions whose lag is unknown (``totalLag`` is then a lower bound); a share group's rows,
    /// whose lag is not applicable, are not counted.
    public var partitionsLagUnknown: Int
    /// Partitions the group should consume that are in nobody's current assignment.
    public var partitionsUnowned: Int
    /// Partitions still owned by a member whose target no longer includes them.
    public var pendingRevocation: Int
    /// Partitions in member B's target that B cannot own yet: still owned by another member, or
    /// (when the broker hides revoking partitions) in nobody's assignment while some member is
    /// behind the assignment epoch.
    public var awaitingRelease: Int
    /// Ids of members whose epoch is below the assignment epoch, sorted.
    public var membersBehindAssignmentEpoch: [String]
    /// Whether classic members sit in a consumer group.
    public var isMixed: Bool
    /// True for a share group: it commits no offsets, so offset lag does not apply (its rows carry
    /// ``LagValue/notApplicable`` and ``totalLag`` is 0). Absent (nil) for every other group.
    public var lagNotApplicable: Bool?

    /// The total lag as text: `1234`, or `1234+?` when some partitions' lag is unknown (the total
    /// is then a lower bound), or `-` when lag does not apply (a share group).
    public var totalLagText: String {
        if lagNotApplicable == true { return "-" }
        return partitionsLagUnknown > 0 ? "\(totalLag)+?" : "\(totalLag)"
    }

    /// An all-zero summary.
    public init() {
        totalLag = 0
        maxLag = nil
        maxLagPartition = nil
        partitionsLagUnknown = 0
        partitionsUnowned = 0
        pendingRevocation = 0
        awaitingRelease = 0
        membersBehindAssignmentEpoch = []
        isMixed = false
    }

    /// Computes the summary of a group from its members and partition rows.
    public init(group: Group) {
        self.init()
        // By index: iterating the rows would copy each one (and retain its strings).
        for i in group.partitions.indices { add(group.partitions[i]) }
        addMemberFigures(members: group.members, type: group.type, assignmentEpoch: group.assignmentEpoch)
    }

    /// Counts one partition row into the row figures (lag totals, the largest lag, hand-off
    /// counts). Rows are added in the group's order: of equal largest lags the first is kept.
    mutating func add(_ row: GroupPartition) {
        add(lag: row.lag, topicPartition: row.topicPartition, handoff: row.handoff, owner: row.owner, targetOwner: row.targetOwner)
    }

    /// ``add(_:)`` for a row not built yet, given its fields (so that the row need not be copied).
    mutating func add(lag: LagValue, topicPartition: TopicPartition, handoff: HandoffState, owner: String?, targetOwner: String?) {
        switch lag {
        case .known(let lag):
            add(knownLag: lag, of: topicPartition)
        case .unknown:
            if !lag.isNotApplicable { partitionsLagUnknown += 1 }
        }
        add(handoff: handoff, owned: owner != nil, targetElsewhere: targetOwner != nil && targetOwner != owner)
    }

    /// Counts a row's known lag.
    @inline(__always)
    mutating func add(knownLag lag: Int64, of topicPartition: TopicPartition) {
        totalLag += lag
        if maxLag.map({ lag > $0 }) ?? true {
            maxLag = lag
            maxLagPartition = topicPartition
        }
    }

    /// Counts a row's hand-off: `owned` when it has an owner, `targetElsewhere` when its target
    /// owner is another member than the owner.
    @inline(__always)
    mutating func add(handoff: HandoffState, owned: Bool, targetElsewhere: Bool) {
        if !owned && handoff != .notAssigned { partitionsUnowned += 1 }
        if handoff == .pendingRevocation { pendingRevocation += 1 }
        if targetElsewhere, owned || handoff == .awaitingRelease { awaitingRelease += 1 }
    }

    /// Sets the figures read from the members and the group's type (members behind the assignment
    /// epoch, mixed, lag not applicable). `members` are sorted by id.
    mutating func addMemberFigures(members: [GroupMember], type: GroupType, assignmentEpoch: Int32?) {
        membersBehindAssignmentEpoch = []
        var isSorted = true
        // By index: iterating the members would copy each one (and retain all its fields).
        for i in members.indices {
            // As ``Group/membersBehindAssignmentEpoch`` selects them.
            guard let assignmentEpoch, let epoch = members[i].memberEpoch, epoch < assignmentEpoch else { continue }
            if let previous = membersBehindAssignmentEpoch.last, !(previous <= members[i].memberID) { isSorted = false }
            membersBehindAssignmentEpoch.append(members[i].memberID)
        }
        if !isSorted { membersBehindAssignmentEpoch.sort() }
        isMixed = type == .consumer && Group.hasClassicMember(members)
        lagNotApplicable = Group.lagApplies(to: type) ? nil : true
    }
}

/// One member of a group.
public struct GroupMember: Sendable, Hashable, Codable {
    /// The member id.
    public var memberID: String
    /// The member's short name, unique within its group and stable while the member lives
    /// (``MemberLabeler``); `nil` until a labeler has seen the snapshot. Read ``name`` to show one.
    public var label: String?
    /// The static membership instance id (`group.instance.id`), if any.
    public var instanceID: String?
    /// The client's `client.id`.
    public var clientID: String
    /// The client's host as the coordinator saw it.
    public var clientHost: String
    /// The member's rack (`client.rack`), if reported.
    public var rackID: String?
    /// Which protocol the member speaks.
    public var memberType: MemberType
    /// KIP-848, share and streams groups: the member's epoch; `nil` for classic groups.
    public var memberEpoch: Int32?
    /// Subscribed topic names, sorted.
    public var subscribedTopics: [String]
    /// KIP-848: the subscribed regular expression, if any.
    public var subscribedTopicRegex: String?
    /// The member's current assignment, sorted.
    public var assignment: [TopicPartition]
    /// KIP-848: the member's target assignment, sorted; `nil` for classic groups.
    public var targetAssignment: [TopicPartition]?
    /// Classic: owned partitions from the member's subscription (v1+), as of its last join.
    public var ownedPartitions: [TopicPartition]?
    /// Classic: the generation id from the member's subscription (v2+), as of its last join.
    public var generationID: Int32?
    /// True when the broker did not say what the member owns (e.g. empty assignment bytes from a
    /// broker that does not fill them): ``assignment`` is then empty for want of data, not because
    /// the member owns nothing. Absent (nil) when the assignment is known.
    public var assignmentUnknown: Bool?
    /// Streams groups: the member's tasks (active, standby, warm-up) per subtopology; its active
    /// tasks' source partitions are also in ``assignment``. `nil` for every other type.
    public var streamsTasks: StreamsTasks?
    /// Streams groups: the tasks the assignor wants the member to hold; the active ones' source
    /// partitions are also in ``targetAssignment``. `nil` for every other type.
    public var streamsTargetTasks: StreamsTasks?

    /// Creates a member; lists are sorted.
    public init(
        memberID: String, instanceID: String? = nil, clientID: String, clientHost: String,
        rackID: String? = nil, memberType: MemberType, memberEpoch: Int32? = nil,
        subscribedTopics: [String] = [], subscribedTopicRegex: String? = nil,
        assignment: [TopicPartition] = [], targetAssignment: [TopicPartition]? = nil,
        ownedPartitions: [TopicPartition]? = nil, generationID: Int32? = nil, assignmentUnknown: Bool? = nil,
        label: String? = nil, streamsTasks: StreamsTasks? = nil, streamsTargetTasks: StreamsTasks? = nil
    ) {
        self.init(
            canonicalMemberID: memberID, instanceID: instanceID, clientID: clientID, clientHost: clientHost,
            rackID: rackID, memberType: memberType, memberEpoch: memberEpoch, subscribedTopics: subscribedTopics,
            subscribedTopicRegex: subscribedTopicRegex, assignment: assignment, targetAssignment: targetAssignment,
            ownedPartitions: ownedPartitions, generationID: generationID, assignmentUnknown: assignmentUnknown,
            streamsTasks: streamsTasks, streamsTargetTasks: streamsTargetTasks)
        self.label = label
        self = normalized()
    }

    /// Creates a member from lists the caller already keeps sorted and de-duplicated (as
    /// ``normalized()`` would leave them): nothing is sorted or copied.
    package init(
        canonicalMemberID memberID: String, instanceID: String?, clientID: String, clientHost: String,
        rackID: String?, memberType: MemberType, memberEpoch: Int32?, subscribedTopics: [String],
        subscribedTopicRegex: String?, assignment: [TopicPartition], targetAssignment: [TopicPartition]?,
        ownedPartitions: [TopicPartition]?, generationID: Int32?, assignmentUnknown: Bool?,
        streamsTasks: StreamsTasks? = nil, streamsTargetTasks: StreamsTasks? = nil
    ) {
        self.memberID = memberID
        self.instanceID = instanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.rackID = rackID
        self.memberType = memberType
        self.memberEpoch = memberEpoch
        self.subscribedTopics = subscribedTopics
        self.subscribedTopicRegex = subscribedTopicRegex
        self.assignment = assignment
        self.targetAssignment = targetAssignment
        self.ownedPartitions = ownedPartitions
        self.generationID = generationID
        self.assignmentUnknown = assignmentUnknown == true ? true : nil
        self.streamsTasks = streamsTasks
        self.streamsTargetTasks = streamsTargetTasks
    }

    /// The name a person reads: the ``label`` once assigned, else what the label would start from
    /// (the instance id, the client id, or the end of the member id).
    public var name: String {
        label ?? MemberLabeler.base(of: self)
    }

    /// The client's host without the `/` Kafka puts in front of an address (`/10.0.0.5` reads
    /// `10.0.0.5`; `pod-7/10.0.0.5` reads `pod-7`).
    public var host: String { MemberLabeler.normalizedHost(clientHost) }

    /// Whether the member has reached `assignmentEpoch` (always true when either epoch is unknown).
    public func isReconciled(assignmentEpoch: Int32?) -> Bool {
        guard let assignmentEpoch, let memberEpoch else { return true }
        return memberEpoch >= assignmentEpoch
    }

    /// Partitions the member owns but is no longer targeted for (empty without a target).
    public var pendingRevocation: [TopicPartition] {
        guard let targetAssignment else { return [] }
        let target = Set(targetAssignment)
        return assignment.filter { !target.contains($0) }
    }

    /// A copy with every list sorted and de-duplicated.
    public func normalized() -> GroupMember {
        var copy = self
        copy.subscribedTopics = Array(Set(subscribedTopics)).sorted()
        copy.assignment = assignment.sortedUnique()
        copy.targetAssignment = targetAssignment?.sortedUnique()
        copy.ownedPartitions = ownedPartitions?.sortedUnique()
        return copy
    }
}

/// Where a partition stands in a rebalance hand-off.
public enum HandoffState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Owned by its target owner (or, with no targets, owned by a member).
    case settled
    /// Still owned by a member whose target no longer includes it.
    case pendingRevocation
    /// In a member's target, in nobody's assignment, while a member behind the assignment epoch may
    /// still hold it (the broker does not list partitions being revoked before Kafka 4.3).
    case awaitingRelease
    /// The group should consume it (subscribed, targeted or committed) but nobody owns it, and no
    /// lagging member explains it.
    case unowned
    /// Not part of the group's assignment at all (e.g. only committed offsets, no members).
    case notAssigned
}

/// One partition the group consumes: offsets, lag, owner and target owner.
///
/// A snapshot holds one row per partition of every group (hundreds of thousands on a large cluster),
/// so the row is stored compactly behind its public properties: the optional offsets as plain
/// integers with a presence bit each (no sentinel value: every `Int64` is kept as given), the
/// commonest reasons of an unknown lag (``LagCalculator``'s when no error is involved, and
/// ``LagValue/notApplicable``) as a small number, an empty
/// commit metadata and a target owner equal to the owner as a bit, and what is left of the rare
/// fields (other commit metadata, other lag reasons, the error, a target owner other than the
/// owner) in one shared out-of-line box, absent for most rows. Equality, hashing, `Codable` and the
/// JSON are those of the plain fields.
public struct GroupPartition: Sendable, Hashable, Codable {
    /// What a row rarely has, kept out of line (``GroupPartition/rare``); a field is `nil` when the
    /// row does not have it or keeps it inline.
    struct Rare: Sendable, Hashable {
        /// A commit metadata other than `""`.
        var commitMetadata: String?
        /// An unknown lag's reason that is not one of ``LagValue/commonReasons``.
        var lagReason: String?
        var error: ItemError?
        /// A target owner other than the owner.
        var targetOwner: String?

        var isEmpty: Bool { commitMetadata == nil && lagReason == nil && error == nil && targetOwner == nil }
    }

    /// Which of the inline fields hold a value.
    private struct Presence: OptionSet, Sendable, Hashable {
        let rawValue: UInt8
        static let committedOffset = Presence(rawValue: 1 << 0)
        static let logStart = Presence(rawValue: 1 << 1)
        static let logEnd = Presence(rawValue: 1 << 2)
        /// The lag is known: ``GroupPartition/storedLag`` is it (else it numbers a common reason).
        static let lagKnown = Presence(rawValue: 1 << 3)
        /// The commit metadata is `""`.
        static let emptyCommitMetadata = Presence(rawValue: 1 << 4)
        /// The target owner is the owner (who is not `nil`).
        static let targetIsOwner = Presence(rawValue: 1 << 5)
    }

    // Stored in this order so that the two one-byte fields fill the end of the topic-partition's
    // eight-byte slot. Invariant (what makes the stored fields' equality the rows' equality): a
    // value not present is 0, and a field is kept inline whenever it can be, in the box otherwise.
    private var storedTopicPartition: TopicPartition
    private var storedHandoff: HandoffState
    private var presence: Presence
    private var storedCommittedOffset: Int64
    private var storedLogStart: Int64
    private var storedLogEnd: Int64
    /// The known lag; for an unknown one, 1 + the index of its reason in ``LagValue/commonReasons``,
    /// or 0 when the reason is in ``rare``.
    private var storedLag: Int64
    private var storedOwner: String?
    /// The rare fields; `nil` when the row has none of them.
    private var rare: OutOfLine<Rare>?
}

// The initializers are in an extension so that the struct keeps its memberwise initializer,
// through which each of them stores the row: a row whose stored properties are assigned one by
// one in an initializer is built, copied (its strings retained) and the first one destroyed by
// the optimizer, once per row.
extension GroupPartition {

    /// The partition.
    public var topicPartition: TopicPartition {
        get { storedTopicPartition }
        set { storedTopicPartition = newValue }
    }

    /// The group's committed offset, or `nil` when the group never committed one.
    public var committedOffset: Int64? {
        get { presence.contains(.committedOffset) ? storedCommittedOffset : nil }
        set { storedCommittedOffset = Self.stored(newValue, bit: .committedOffset, in: &presence) }
    }

    /// The metadata string stored with the commit, if any.
    public var commitMetadata: String? {
        get { presence.contains(.emptyCommitMetadata) ? "" : rare?.value.commitMetadata }
        set { restoreRare(commitMetadata: newValue) }
    }

    /// Log start offset, when known.
    public var logStart: Int64? {
        get { presence.contains(.logStart) ? storedLogStart : nil }
        set { storedLogStart = Self.stored(newValue, bit: .logStart, in: &presence) }
    }

    /// Log end offset, when known.
    public var logEnd: Int64? {
        get { presence.contains(.logEnd) ? storedLogEnd : nil }
        set { storedLogEnd = Self.stored(newValue, bit: .logEnd, in: &presence) }
    }

    /// Lag in offsets (see ``LagCalculator``).
    public var lag: LagValue {
        get {
            if presence.contains(.lagKnown) { return .known(storedLag) }
            if storedLag > 0 { return .unknown(reason: LagValue.commonReasons[Int(storedLag) - 1]) }
            return .unknown(reason: rare?.value.lagReason ?? "")
        }
        set { restoreRare(lag: newValue) }
    }

    /// Member id of the member whose current assignment includes the partition.
    public var owner: String? {
        get { storedOwner }
        set { restoreRare(owner: newValue) }
    }

    /// Member id of the member whose target assignment includes the partition (KIP-848).
    public var targetOwner: String? {
        get { presence.contains(.targetIsOwner) ? storedOwner : rare?.value.targetOwner }
        set { restoreRare(targetOwner: newValue) }
    }

    /// The partition's hand-off state.
    public var handoff: HandoffState {
        get { storedHandoff }
        set { storedHandoff = newValue }
    }

    /// The offset-fetch or list-offsets error for this partition, if any.
    public var error: ItemError? {
        get { rare?.value.error }
        set { restoreRare(error: newValue) }
    }

    /// `lag.offsets`, read from the stored bits without building a ``LagValue`` (the history and
    /// the health step ask it of every row, every poll).
    @inline(__always)
    var lagOffsets: Int64? { presence.contains(.lagKnown) ? storedLag : nil }

    /// Whether ``error`` is set, without copying the error out of its box.
    @inline(__always)
    var hasError: Bool {
        guard let rare else { return false }
        return rare.value.error != nil
    }

    /// Creates a partition row.
    public init(
        topicPartition: TopicPartition, committedOffset: Int64? = nil, commitMetadata: String? = nil,
        logStart: Int64? = nil, logEnd: Int64? = nil, lag: LagValue, owner: String? = nil,
        targetOwner: String? = nil, handoff: HandoffState, error: ItemError? = nil
    ) {
        var unshared: OutOfLine<Rare>?
        self.init(
            topicPartition: topicPartition, committedOffset: committedOffset, commitMetadata: commitMetadata,
            logStart: logStart, logEnd: logEnd, lag: lag, owner: owner, targetOwner: targetOwner,
            handoff: handoff, error: error, sharing: &unshared)
    }

    /// ``init(topicPartition:committedOffset:commitMetadata:logStart:logEnd:lag:owner:targetOwner:handoff:error:)``
    /// taking its out-of-line box from `shared` when that holds the same rare fields (rows of one
    /// group mostly do), and leaving its box there otherwise.
    init(
        topicPartition: TopicPartition, committedOffset: Int64?, commitMetadata: String?,
        logStart: Int64?, logEnd: Int64?, lag: LagValue, owner: String?,
        targetOwner: String?, handoff: HandoffState, error: ItemError?, sharing shared: inout OutOfLine<Rare>?
    ) {
        // Everything is worked out first, then the row is stored at once.
        var presence: Presence = []
        let committed = Self.stored(committedOffset, bit: .committedOffset, in: &presence)
        let start = Self.stored(logStart, bit: .logStart, in: &presence)
        let end = Self.stored(logEnd, bit: .logEnd, in: &presence)
        let inline = Self.inline(commitMetadata: commitMetadata, lag: lag, owner: owner, targetOwner: targetOwner, error: error, presence: &presence)
        var box: OutOfLine<Rare>?
        if let rareFields = inline.rest {
            if let shared, shared.value == rareFields {
                box = shared
            } else {
                box = OutOfLine(rareFields)
                shared = box
            }
        }
        self.init(
            storedTopicPartition: topicPartition, storedHandoff: handoff, presence: presence,
            storedCommittedOffset: committed, storedLogStart: start, storedLogEnd: end, storedLag: inline.lag,
            storedOwner: owner, rare: box)
    }

    /// The common row: a known lag, no error, the commit metadata `""` (`emptyCommitMetadata`) or
    /// absent, and the target owner absent or the owner (`targetIsOwner`, which needs an owner).
    /// Stores what ``init(topicPartition:committedOffset:commitMetadata:logStart:logEnd:lag:owner:targetOwner:handoff:error:)``
    /// stores for those fields, with no string compared and no out-of-line box considered.
    init(
        topicPartition: TopicPartition, committedOffset: Int64?, emptyCommitMetadata: Bool, logStart: Int64?,
        logEnd: Int64?, knownLag: Int64, owner: String?, targetIsOwner: Bool, handoff: HandoffState
    ) {
        var presence: Presence = [.lagKnown]
        let committed = Self.stored(committedOffset, bit: .committedOffset, in: &presence)
        let start = Self.stored(logStart, bit: .logStart, in: &presence)
        let end = Self.stored(logEnd, bit: .logEnd, in: &presence)
        if emptyCommitMetadata { presence.insert(.emptyCommitMetadata) }
        if targetIsOwner && owner != nil { presence.insert(.targetIsOwner) }
        self.init(
            storedTopicPartition: topicPartition, storedHandoff: handoff, presence: presence,
            storedCommittedOffset: committed, storedLogStart: start, storedLogEnd: end, storedLag: knownLag,
            storedOwner: owner, rare: nil)
    }

    /// An optional integer as it is stored: its value (0 when `nil`), and its presence bit set or
    /// cleared.
    @inline(__always)
    private static func stored(_ value: Int64?, bit: Presence, in presence: inout Presence) -> Int64 {
        if let value {
            presence.insert(bit)
            return value
        }
        presence.remove(bit)
        return 0
    }

    /// Stores inline what of these fields can be (``storedOwner`` set already) and returns the rest,
    /// `nil` when nothing is left.
    private mutating func storeInline(commitMetadata: String?, lag: LagValue, targetOwner: String?, error: ItemError?) -> Rare? {
        let inline = Self.inline(commitMetadata: commitMetadata, lag: lag, owner: storedOwner, targetOwner: targetOwner, error: error, presence: &presence)
        storedLag = inline.lag
        return inline.rest
    }

    /// How these fields are stored for a row owned by `owner`: the inline lag figure (with the
    /// presence bits it needs set in `presence`) and the rest, `nil` when nothing is left.
    @inline(__always)
    private static func inline(
        commitMetadata: String?, lag: LagValue, owner: String?, targetOwner: String?, error: ItemError?, presence: inout Presence
    ) -> (lag: Int64, rest: Rare?) {
        presence.subtract([.lagKnown, .emptyCommitMetadata, .targetIsOwner])
        // The common row (a known lag, no error, commit metadata empty or absent, the target owner
        // absent or the owner) keeps everything inline: no rare fields are built and let go.
        if error == nil, case .known(let value) = lag, commitMetadata?.isEmpty ?? true,
           targetOwner == nil || targetOwner == owner
        {
            presence.insert(.lagKnown)
            if commitMetadata != nil { presence.insert(.emptyCommitMetadata) }
            if targetOwner != nil { presence.insert(.targetIsOwner) }
            return (value, nil)
        }
        var rest = Rare()
        if let commitMetadata {
            if commitMetadata.isEmpty { presence.insert(.emptyCommitMetadata) } else { rest.commitMetadata = commitMetadata }
        }
        var figure: Int64
        switch lag {
        case .known(let value):
            figure = value
            presence.insert(.lagKnown)
        case .unknown(let reason):
            if let i = LagValue.commonReasons.firstIndex(of: reason) {
                figure = Int64(i + 1)
            } else {
                figure = 0
                rest.lagReason = reason
            }
        }
        if let targetOwner {
            if targetOwner == owner { presence.insert(.targetIsOwner) } else { rest.targetOwner = targetOwner }
        }
        rest.error = error
        return (figure, rest.isEmpty ? nil : rest)
    }

    /// Stores the rare fields again with the given ones changed (the others as they are).
    private mutating func restoreRare(
        commitMetadata: String?? = .none, lag: LagValue? = nil, owner: String?? = .none,
        targetOwner: String?? = .none, error: ItemError?? = .none
    ) {
        let metadata = commitMetadata ?? self.commitMetadata
        let lag = lag ?? self.lag
        let target = targetOwner ?? self.targetOwner
        let error = error ?? self.error
        if let owner { storedOwner = owner }
        rare = storeInline(commitMetadata: metadata, lag: lag, targetOwner: target, error: error).map { OutOfLine($0) }
    }

    /// Equal when every field is: the stored fields are (see their invariant), the boxes by value.
    public static func == (lhs: GroupPartition, rhs: GroupPartition) -> Bool {
        lhs.presence == rhs.presence && lhs.storedHandoff == rhs.storedHandoff
            && lhs.storedCommittedOffset == rhs.storedCommittedOffset && lhs.storedLogStart == rhs.storedLogStart
            && lhs.storedLogEnd == rhs.storedLogEnd && lhs.storedLag == rhs.storedLag
            && lhs.storedTopicPartition == rhs.storedTopicPartition && lhs.storedOwner == rhs.storedOwner
            && lhs.rare == rhs.rare
    }

    /// Hashes the fields in their declared order (the hash a struct of the plain fields has).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(topicPartition)
        hasher.combine(committedOffset)
        hasher.combine(commitMetadata)
        hasher.combine(logStart)
        hasher.combine(logEnd)
        hasher.combine(lag)
        hasher.combine(owner)
        hasher.combine(targetOwner)
        hasher.combine(handoff)
        hasher.combine(error)
    }

    private enum CodingKeys: String, CodingKey {
        case topicPartition, committedOffset, commitMetadata, logStart, logEnd, lag, owner, targetOwner, handoff, error
    }

    /// Decodes the plain fields (optional ones may be absent).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            topicPartition: try c.decode(TopicPartition.self, forKey: .topicPartition),
            committedOffset: try c.decodeIfPresent(Int64.self, forKey: .committedOffset),
            commitMetadata: try c.decodeIfPresent(String.self, forKey: .commitMetadata),
            logStart: try c.decodeIfPresent(Int64.self, forKey: .logStart),
            logEnd: try c.decodeIfPresent(Int64.self, forKey: .logEnd),
            lag: try c.decode(LagValue.self, forKey: .lag),
            owner: try c.decodeIfPresent(String.self, forKey: .owner),
            targetOwner: try c.decodeIfPresent(String.self, forKey: .targetOwner),
            handoff: try c.decode(HandoffState.self, forKey: .handoff),
            error: try c.decodeIfPresent(ItemError.self, forKey: .error))
    }

    /// Encodes the plain fields, leaving out the optional ones that are `nil`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(topicPartition, forKey: .topicPartition)
        try c.encodeIfPresent(committedOffset, forKey: .committedOffset)
        try c.encodeIfPresent(commitMetadata, forKey: .commitMetadata)
        try c.encodeIfPresent(logStart, forKey: .logStart)
        try c.encodeIfPresent(logEnd, forKey: .logEnd)
        try c.encode(lag, forKey: .lag)
        try c.encodeIfPresent(owner, forKey: .owner)
        try c.encodeIfPresent(targetOwner, forKey: .targetOwner)
        try c.encode(handoff, forKey: .handoff)
        try c.encodeIfPresent(error, forKey: .error)
    }
}

/// An immutable value kept out of line: rarely present fields of a value held by the hundred
/// thousand (a partition row, a partition's offsets) cost one pointer there, and values equal
/// to the previous one share its box. Compared and hashed by value.
final class OutOfLine<Value: Hashable & Sendable>: Hashable, Sendable {
    let value: Value

    init(_ value: Value) { self.value = value }

    static func == (lhs: OutOfLine, rhs: OutOfLine) -> Bool { lhs === rhs || lhs.value == rhs.value }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

/// What started a rebalance episode, as far as the poll can tell.
public enum RebalanceTrigger: String, Sendable, Hashable, Codable, CaseIterable {
    /// A member joined.
    case join
    /// A member left cleanly.
    case leave
    /// A member was fenced (see ``SnapshotDiff`` for the heuristic).
    case fence
    /// A member's subscription changed.
    case subscriptionChange = "subscription_change"
    /// A subscribed topic's partition count changed.
    case partitionCountChange = "partition_count_change"
    /// Nothing visible explains it (it happened between two polls and was undone, or the tracker
    /// started mid-rebalance).
    case unknown
}

/// Progress of a rebalance: members reconciled and partitions settled.
public struct RebalanceProgress: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Members at the assignment epoch (KIP-848) or holding an assignment (classic).
    public var membersReconciled: Int
    /// All members.
    public var membersTotal: Int
    /// Partitions owned and not in hand-off.
    public var partitionsSettled: Int
    /// All partitions the group should consume (rows that are not ``HandoffState/notAssigned``).
    public var partitionsTotal: Int

    /// Creates a progress value.
    public init(membersReconciled: Int, membersTotal: Int, partitionsSettled: Int, partitionsTotal: Int) {
        self.membersReconciled = membersReconciled
        self.membersTotal = membersTotal
        self.partitionsSettled = partitionsSettled
        self.partitionsTotal = partitionsTotal
    }

    /// The progress of a group as observed now.
    public init(group: Group) {
        let classic = group.type == .classic
        membersTotal = group.members.count
        let stable = group.state == .stable
        var reconciled = 0
        // Indexing reads the members in place (`for member in` would copy each one).
        let members = group.members
        for i in members.indices
        where classic ? !members[i].assignment.isEmpty || stable : members[i].isReconciled(assignmentEpoch: group.assignmentEpoch) {
            reconciled += 1
        }
        membersReconciled = reconciled
        var total = 0
        var settled = 0
        for i in group.partitions.indices where group.partitions[i].handoff != .notAssigned {
            total += 1
            if group.partitions[i].handoff == .settled { settled += 1 }
        }
        partitionsTotal = total
        partitionsSettled = settled
    }

    /// `members 4/6, partitions 10/12`.
    public var description: String {
        "members \(membersReconciled)/\(membersTotal), partitions \(partitionsSettled)/\(partitionsTotal)"
    }
}

/// A member that stayed behind the assignment epoch longer than the tracker's threshold.
public struct StuckMember: Sendable, Hashable, Codable {
    /// The member id.
    public var memberID: String
    /// Its `client.id`.
    public var clientID: String
    /// Its host.
    public var clientHost: String
    /// Its static instance id, if any.
    public var instanceID: String?
    /// Its rack, if any.
    public var rackID: String?
    /// Its epoch when last seen.
    public var memberEpoch: Int32?
    /// The group's assignment epoch when last seen.
    public var assignmentEpoch: Int32?
    /// When it was first seen behind (ms since the Unix epoch).
    public var behindSince: Int64
    /// How long it has been behind, in milliseconds, as of the latest snapshot.
    public var behindForMs: Int64

    /// Creates a stuck-member record.
    public init(memberID: String, clientID: String, clientHost: String, instanceID: String?, rackID: String?,
                memberEpoch: Int32?, assignmentEpoch: Int32?, behindSince: Int64, behindForMs: Int64) {
        self.memberID = memberID
        self.clientID = clientID
        self.clientHost = clientHost
        self.instanceID = instanceID
        self.rackID = rackID
        self.memberEpoch = memberEpoch
        self.assignmentEpoch = assignmentEpoch
        self.behindSince = behindSince
        self.behindForMs = behindForMs
    }
}

/// One rebalance of one group, from the first poll that saw it to the first poll that saw it done.
public struct RebalanceEpisode: Sendable, Hashable, Codable {
    /// Sequence number of the episode within the tracker (1, 2, ...).
    public var number: Int
    /// The group.
    public var groupID: String
    /// The group's protocol when the episode started.
    public var `protocol`: GroupProtocol
    /// What started it.
    public var trigger: RebalanceTrigger
    /// The snapshot time that first showed it (ms since the Unix epoch).
    public var startedAt: Int64
    /// The snapshot time that first showed it finished, while it is open `nil`.
    public var endedAt: Int64?
    /// `endedAt − startedAt`, in milliseconds, once ended.
    public var durationMs: Int64? { endedAt.map { $0 - startedAt } }
    /// KIP-848: group epoch before the episode (classic: generation id).
    public var fromEpoch: Int32?
    /// KIP-848: latest group epoch the episode is converging to (classic: latest generation id).
    public var targetEpoch: Int32?
    /// KIP-848: when the assignment epoch reached ``targetEpoch``.
    public var targetComputedAt: Int64?
    /// The latest progress.
    public var progress: RebalanceProgress
    /// Members named as stuck during the episode.
    public var stuckMembers: [StuckMember]
    /// Whether it ended because the group emptied or disappeared rather than reconciled.
    public var abandoned: Bool

    /// Creates an episode.
    public init(number: Int, groupID: String, protocol: GroupProtocol, trigger: RebalanceTrigger, startedAt: Int64,
                fromEpoch: Int32?, targetEpoch: Int32?, progress: RebalanceProgress) {
        self.number = number
        self.groupID = groupID
        self.protocol = `protocol`
        self.trigger = trigger
        self.startedAt = startedAt
        self.endedAt = nil
        self.fromEpoch = fromEpoch
        self.targetEpoch = targetEpoch
        self.targetComputedAt = nil
        self.progress = progress
        self.stuckMembers = []
        self.abandoned = false
    }
}

/// What happened to an episode at one snapshot; the JSON `type` is the raw value.
public enum EpisodeEventType: String, Sendable, Hashable, Codable, CaseIterable {
    /// A rebalance began.
    case started = "episode_started"
    /// KIP-848: the target assignment for the latest group epoch exists.
    case targetComputed = "episode_target_computed"
    /// Progress changed.
    case progress = "episode_progress"
    /// A member has been behind the assignment epoch longer than the threshold.
    case memberStuck = "episode_member_stuck"
    /// The rebalance finished (or was abandoned).
    case ended = "episode_ended"
}

/// One episode change, as a line of `kgtop events` (schema `kgtop.event/1`).
public struct EpisodeEvent: Sendable, Hashable, Codable {
    /// Always ``GroupEvent/currentSchema``.
    public var schema: String
    /// What happened.
    public var type: EpisodeEventType
    /// The snapshot time (ms since the Unix epoch).
    public var timestamp: Int64
    /// The group.
    public var groupID: String
    /// The episode as of this event.
    public var episode: RebalanceEpisode
    /// The stuck member, for ``EpisodeEventType/memberStuck``.
    public var member: StuckMember?

    /// Creates an episode event.
    public init(type: EpisodeEventType, timestamp: Int64, episode: RebalanceEpisode, member: StuckMember? = nil) {
        self.schema = GroupEvent.currentSchema
        self.type = type
        self.timestamp = timestamp
        self.groupID = episode.groupID
        self.episode = episode
        self.member = member
    }
}

/// Turns a sequence of snapshots into rebalance episodes per group. A value type: the Monitor
/// keeps one and feeds it every snapshot in time order.
///
/// KIP-848 groups: an episode starts when the group epoch goes up (or, on the first snapshot or for
/// a new group, when the group is already Assigning/Reconciling); "target computed" when the
/// assignment epoch reaches the latest group epoch; it ends when every member is at the assignment
/// epoch, the assignment epoch has reached the group epoch, and no partition is pending revocation,
/// awaiting release or unowned. Further epoch bumps during an open episode extend it.
///
/// Classic groups: an episode starts on PreparingRebalance / CompletingRebalance, a generation
/// change, or a membership change, and ends at the first snapshot in Stable with every partition
/// settled (or Empty). A rebalance that starts and ends between two polls shows as an episode of
/// zero duration at that snapshot.
///
/// Durations come from snapshot timestamps only, so they are exact to within one poll interval.
public struct RebalanceTracker: Sendable, Hashable, Codable {
    /// How long a member may stay behind the assignment epoch before it is named as stuck (ms).
    public var stuckThresholdMs: Int64
    /// How many finished episodes to keep in ``finished``.
    public var finishedCapacity: Int
    /// Open episodes by group id.
    public private(set) var open: [String: RebalanceEpisode] = [:]
    /// Finished episodes, oldest first, at most ``finishedCapacity``.
    public private(set) var finished: [RebalanceEpisode] = []
    /// Per group, per member: when the member was first seen behind the assignment epoch.
    public private(set) var behindSince: [String: [String: Int64]] = [:]
    private var previous: ClusterSnapshot?
    private var reportedStuck: [String: Set<String>] = [:]
    private var counter = 0

    /// Creates a tracker.
    public init(stuckThresholdMs: Int64 = 30_000, finishedCapacity: Int = 100) {
        self.stuckThresholdMs = stuckThresholdMs
        self.finishedCapacity = finishedCapacity
    }

    /// Feeds the next snapshot (timestamps must not go backwards) and returns what happened.
    public mutating func ingest(_ snapshot: ClusterSnapshot) -> [EpisodeEvent] {
        let at = snapshot.takenAt
        var events: [EpisodeEvent] = []
        let previousGroups = previous?.groups ?? []
        let current = snapshot.groups
        if SnapshotDiff.strictlyAscending(count: previousGroups.count, { previousGroups[$0].groupID }),
           SnapshotDiff.strictlyAscending(count: current.count, { current[$0].groupID }) {
            // Both lists sorted by id (as snapshots keep them): walk them together.
            var i = 0
            let groups = snapshot.groups
            for g in groups.indices {
                while i < previousGroups.count && previousGroups[i].groupID < groups[g].groupID { i += 1 }
                if i < previousGroups.count && previousGroups[i].groupID == groups[g].groupID {
                    events += step(group: groups[g], old: previousGroups[i], at: at)
                } else {
                    events += step(group: groups[g], old: nil, at: at)
                }
            }
        } else {
            let oldGroups = Dictionary(previousGroups.map { ($0.groupID, $0) }, uniquingKeysWith: { a, _ in a })
            for group in snapshot.groups {
                events += step(group: group, old: oldGroups[group.groupID], at: at)
            }
        }
        // Groups that disappeared end their episodes.
        let currentIDs = open.isEmpty ? [] : Set(snapshot.groups.map(\.groupID))
        for groupID in open.keys.sorted() where !currentIDs.contains(groupID) {
            if var episode = open.removeValue(forKey: groupID) {
                episode.endedAt = at
                episode.abandoned = true
                finish(episode)
                events.append(EpisodeEvent(type: .ended, timestamp: at, episode: episode))
            }
            behindSince[groupID] = nil
            reportedStuck[groupID] = nil
        }
        previous = snapshot
        return events
    }

    /// Changes the trigger of the episode of `groupID` that started at `startedAt` (open, or
    /// finished at the same snapshot), for causes found after ``ingest(_:)`` (a departure that
    /// the history shows was a fence). Returns whether an episode was changed.
    @discardableResult
    public mutating func reclassify(groupID: String, startedAt: Int64, as trigger: RebalanceTrigger) -> Bool {
        if var episode = open[groupID], episode.startedAt == startedAt {
            episode.trigger = trigger
            open[groupID] = episode
            return true
        }
        if let index = finished.lastIndex(where: { $0.groupID == groupID && $0.startedAt == startedAt }) {
            finished[index].trigger = trigger
            return true
        }
        return false
    }

    // MARK: - One group

    private mutating func step(group: Group, old: Group?, at: Int64) -> [EpisodeEvent] {
        var events: [EpisodeEvent] = []
        let groupID = group.groupID
        let isClassic = group.type == .classic
        let progress = RebalanceProgress(group: group)

        // Start?
        if open[groupID] == nil, let reason = startReason(group: group, old: old) {
            counter += 1
            let from = isClassic ? old?.generationID : (old?.groupEpoch ?? group.assignmentEpoch)
            let episode = RebalanceEpisode(
                number: counter, groupID: groupID, protocol: group.protocol, trigger: reason, startedAt: at,
                fromEpoch: from, targetEpoch: isClassic ? group.generationID : group.groupEpoch, progress: progress)
            open[groupID] = episode
            events.append(EpisodeEvent(type: .started, timestamp: at, episode: episode))
        }

        updateBehind(group: group, at: at)
        guard var episode = open[groupID] else { return events }

        // Extend, target computed, progress.
        let target = isClassic ? group.generationID : group.groupEpoch
        if let target, target > (episode.targetEpoch ?? Int32.min) {
            episode.targetEpoch = target
            episode.targetComputedAt = nil
        }
        if !isClassic, episode.targetComputedAt == nil, let assignmentEpoch = group.assignmentEpoch,
           let goal = episode.targetEpoch, assignmentEpoch >= goal {
            episode.targetComputedAt = at
            events.append(EpisodeEvent(type: .targetComputed, timestamp: at, episode: episode))
        }
        if progress != episode.progress {
            episode.progress = progress
            if !isDone(group) { events.append(EpisodeEvent(type: .progress, timestamp: at, episode: episode)) }
        }

        // Stuck members.
        let behind = behindSince[groupID] ?? [:]
        for member in behind.isEmpty ? [] : group.members {
            guard let since = behind[member.memberID], at - since >= stuckThresholdMs else { continue }
            let stuck = StuckMember(
                memberID: member.memberID, clientID: member.clientID, clientHost: member.clientHost,
                instanceID: member.instanceID, rackID: member.rackID, memberEpoch: member.memberEpoch,
                assignmentEpoch: group.assignmentEpoch, behindSince: since, behindForMs: at - since)
            if let index = episode.stuckMembers.firstIndex(where: { $0.memberID == member.memberID }) {
                episode.stuckMembers[index] = stuck
            } else {
                episode.stuckMembers.append(stuck)
            }
            if !(reportedStuck[groupID]?.contains(member.memberID) ?? false) {
                reportedStuck[groupID, default: []].insert(member.memberID)
                events.append(EpisodeEvent(type: .memberStuck, timestamp: at, episode: episode, member: stuck))
            }
        }

        // End?
        if isDone(group) {
            episode.endedAt = at
            episode.abandoned = group.members.isEmpty
            open[groupID] = nil
            reportedStuck[groupID] = nil
            finish(episode)
            events.append(EpisodeEvent(type: .ended, timestamp: at, episode: episode))
        } else {
            open[groupID] = episode
        }
        return events
    }

    /// Whether the group shows a finished rebalance.
    private func isDone(_ group: Group) -> Bool {
        if group.members.isEmpty { return true }
        let handoffClear = group.summary.pendingRevocation == 0 && group.summary.partitionsUnowned == 0
            && group.summary.awaitingRelease == 0
        if group.type == .classic {
            return group.state == .stable && handoffClear
        }
        guard let groupEpoch = group.groupEpoch, let assignmentEpoch = group.assignmentEpoch else {
            return !group.state.isRebalancing && handoffClear
        }
        return assignmentEpoch >= groupEpoch && handoffClear
            && !group.hasMembersBehindAssignmentEpoch
    }

    /// Why an episode starts at this snapshot, or `nil` when none starts.
    private func startReason(group: Group, old: Group?) -> RebalanceTrigger? {
        guard let old else {
            // First sight of the group (or of the cluster): only a visible rebalance starts an episode.
            return isDone(group) && !group.state.isRebalancing ? nil : .unknown
        }
        let changed: Bool
        if group.type == .classic {
            // Members are sorted by id: equal lists mean equal sets, and only unequal ones need sets.
            var sameOrder = old.members.count == group.members.count
            if sameOrder {
                for i in group.members.indices where old.members[i].memberID != group.members[i].memberID {
                    sameOrder = false
                    break
                }
            }
            let membership = !sameOrder && Set(old.members.map(\.memberID)) != Set(group.members.map(\.memberID))
            let generation = old.generationID != group.generationID && group.generationID != nil
            changed = membership || generation || (group.state.isRebalancing && !old.state.isRebalancing)
        } else {
            let bumped = (group.groupEpoch ?? Int32.min) > (old.groupEpoch ?? Int32.min)
            changed = bumped || (!isDone(group) && isDone(old))
        }
        guard changed, !group.members.isEmpty || !old.members.isEmpty else { return nil }
        return trigger(old: old, new: group)
    }

    /// Classifies the cause: fence, leave, join, subscription change, partition-count change.
    private func trigger(old: Group, new: Group) -> RebalanceTrigger {
        let newMembers = Dictionary(new.members.map { ($0.memberID, $0) }, uniquingKeysWith: { a, _ in a })
        let oldIDs = Set(old.members.map(\.memberID))
        var sawLeave = false
        for member in old.members where newMembers[member.memberID] == nil {
            if SnapshotDiff.fenceReason(member: member, group: old) != nil { return .fence }
            sawLeave = true
        }
        for member in new.members {
            if let before = old.members.first(where: { $0.memberID == member.memberID }),
               let from = before.memberEpoch, let to = member.memberEpoch, to < from { return .fence }
        }
        if sawLeave { return .leave }
        if new.members.contains(where: { !oldIDs.contains($0.memberID) }) { return .join }
        let oldMembers = Dictionary(old.members.map { ($0.memberID, $0) }, uniquingKeysWith: { a, _ in a })
        for member in new.members {
            if let before = oldMembers[member.memberID],
               before.subscribedTopics != member.subscribedTopics || before.subscribedTopicRegex != member.subscribedTopicRegex {
                return .subscriptionChange
            }
        }
        let subscribed = Set(new.members.flatMap(\.subscribedTopics))
        let oldCounts = Dictionary(old.partitions.map { ($0.topicPartition.topic, 1) }, uniquingKeysWith: +)
        let newCounts = Dictionary(new.partitions.map { ($0.topicPartition.topic, 1) }, uniquingKeysWith: +)
        for topic in subscribed where oldCounts[topic] != nil && oldCounts[topic] != newCounts[topic] {
            return .partitionCountChange
        }
        return .unknown
    }

    private mutating func updateBehind(group: Group, at: Int64) {
        let groupID = group.groupID
        let anyBehind = group.hasMembersBehindAssignmentEpoch
        if !anyBehind && (behindSince.isEmpty || behindSince[groupID] == nil)
            && (reportedStuck.isEmpty || reportedStuck[groupID] == nil) {
            return
        }
        let lagging = anyBehind ? group.membersBehindAssignmentEpoch : []
        var current: [String: Int64] = [:]
        let before = behindSince[groupID]
        for member in lagging {
            current[member.memberID] = before?[member.memberID] ?? at
        }
        if !current.isEmpty || before != nil { behindSince[groupID] = current.isEmpty ? nil : current }
        if let reported = reportedStuck[groupID] {
            let still = reported.intersection(current.keys)
            reportedStuck[groupID] = still.isEmpty ? nil : still
        }
    }

    private mutating func finish(_ episode: RebalanceEpisode) {
        finished.append(episode)
        if finished.count > finishedCapacity { finished.removeFirst(finished.count - finishedCapacity) }
    }
}

extension Group {
    /// Whether a member is behind the assignment epoch: ``membersBehindAssignmentEpoch`` is not
    /// empty, found without building the list or copying members.
    var hasMembersBehindAssignmentEpoch: Bool {
        guard let assignmentEpoch else { return false }
        let members = self.members
        for i in members.indices {
            if let epoch = members[i].memberEpoch, epoch < assignmentEpoch { return true }
        }
        return false
    }
}

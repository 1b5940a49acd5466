/// What started a rebalance episode, as far as the poll can tell. An episode carries a list:
/// several causes can land between two polls, and a rolling deploy is a leave and a join.
public enum RebalanceTrigger: String, Sendable, Hashable, Codable, CaseIterable {
    /// A member was fenced (see ``SnapshotDiff`` for the heuristic).
    case fence
    /// A member left cleanly.
    case leave
    /// A member joined.
    case join
    /// A member's subscribed topic names changed.
    case subscriptionChange = "subscription_change"
    /// A member's subscribed regular expression changed (KIP-848).
    case regexChange = "regex_change"
    /// A subscribed topic's partition count changed.
    case partitionCountChange = "partition_count_change"
    /// The group's assignor changed (KIP-848 server assignor, classic chosen protocol).
    case assignorChange = "assignor_change"
    /// The rebalance was already under way in the first snapshot kgtop took.
    case inProgressAtStart = "in_progress_at_start"
    /// Nothing visible explains it (it happened between two polls and was undone).
    case unknown

    /// The cause in words: the JSON name with spaces (`in progress at start`).
    public var words: String { String(rawValue.map { $0 == "_" ? " " : $0 }) }

    /// A list of causes in words, `leave, join`.
    public static func words(_ triggers: [RebalanceTrigger]) -> String {
        triggers.isEmpty ? RebalanceTrigger.unknown.words : triggers.map(\.words).joined(separator: ", ")
    }
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
    /// Its label (``GroupMember/label``), when labelled.
    public var label: String?
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

    /// The record for `member`, behind the assignment epoch since `since`, as of `now`.
    public init(member: GroupMember, assignmentEpoch: Int32?, behindSince since: Int64, now: Int64) {
        self.init(memberID: member.memberID, clientID: member.clientID, clientHost: member.clientHost,
                  instanceID: member.instanceID, rackID: member.rackID, memberEpoch: member.memberEpoch,
                  assignmentEpoch: assignmentEpoch, behindSince: since, behindForMs: now - since)
        self.label = member.label
    }

    /// How a person reads the member: its label (else its client id) and its host.
    public var name: String {
        let host = MemberLabeler.normalizedHost(clientHost)
        let base = label ?? (clientID.isEmpty ? "~" + String(memberID.suffix(MemberLabeler.suffixLength)) : clientID)
        return host.isEmpty || base.contains(host) ? base : "\(base) on \(host)"
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
    /// What started it and what extended it, in the order seen, without repeats; never empty.
    public var triggers: [RebalanceTrigger]
    /// The first cause (the one that started it).
    public var trigger: RebalanceTrigger { triggers.first ?? .unknown }
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
    /// KIP-848, while open: the hand-offs that are not done, partition by partition (empty when
    /// nothing blocks, and once ended).
    public var blocking: [BlockedHandoff]
    /// The median duration of this group's earlier reconciled episodes (an estimate of how long
    /// this one takes; episodes under way at the tracker's first snapshot do not count), `nil`
    /// before the first one.
    public var estimatedDurationMs: Int64?

    /// Creates an episode.
    public init(number: Int, groupID: String, protocol: GroupProtocol, triggers: [RebalanceTrigger], startedAt: Int64,
                fromEpoch: Int32?, targetEpoch: Int32?, progress: RebalanceProgress) {
        self.number = number
        self.groupID = groupID
        self.protocol = `protocol`
        self.triggers = triggers.isEmpty ? [.unknown] : triggers
        self.startedAt = startedAt
        self.endedAt = nil
        self.fromEpoch = fromEpoch
        self.targetEpoch = targetEpoch
        self.targetComputedAt = nil
        self.progress = progress
        self.stuckMembers = []
        self.abandoned = false
        self.blocking = []
        self.estimatedDurationMs = nil
    }

    /// Members named as the cause of a stall: holders of a blocked hand-off past their limit.
    public var stalledBy: [BlockedHandoff] { blocking.filter(\.pastLimit) }

    /// Adds causes that are not listed yet (an `unknown` gives way to a known cause).
    mutating func add(_ more: [RebalanceTrigger]) {
        for t in more where t != .unknown && !triggers.contains(t) { triggers.append(t) }
        if triggers.count > 1 { triggers.removeAll { $0 == .unknown } }
    }
}

/// One partition of an ongoing KIP-848 rebalance whose hand-off is not done: the member that still
/// holds it, the member waiting for it, since when, and the limit the holder is measured against.
public struct BlockedHandoff: Sendable, Hashable, Codable {
    /// The partition.
    public var topicPartition: TopicPartition
    /// The member that still holds it (owns it outside its target, or, when the broker hides
    /// partitions being revoked, owned it at the previous poll and is behind the assignment epoch);
    /// `nil` when nobody is known to hold it.
    public var holderID: String?
    /// The holder's label.
    public var holderLabel: String?
    /// The holder's host (normalised, see ``GroupMember/host``).
    public var holderHost: String?
    /// The member whose target includes it.
    public var waiterID: String?
    /// The waiter's label.
    public var waiterLabel: String?
    /// The first poll that saw this hand-off blocked (ms since the Unix epoch).
    public var since: Int64
    /// How long it has been blocked as of the latest poll, in milliseconds.
    public var blockedForMs: Int64
    /// The limit the holder is measured against, in milliseconds.
    public var limitMs: Int64
    /// Which limit that is, in words (`consumer.session.timeout.ms 45000 (Kafka default)`).
    public var limit: String
    /// Where the limit comes from: the member's rebalance timeout, the group's own config, the
    /// broker's, or Kafka's default.
    public var limitSource: RebalanceLimitSource
    /// Whether the hand-off has been blocked longer than the limit: the holder is the cause of the stall.
    public var pastLimit: Bool { blockedForMs > limitMs }

    /// Creates a blocked hand-off.
    public init(topicPartition: TopicPartition, holderID: String?, holderLabel: String?, holderHost: String?,
                waiterID: String?, waiterLabel: String?, since: Int64, blockedForMs: Int64, limitMs: Int64, limit: String,
                limitSource: RebalanceLimitSource = .default) {
        self.topicPartition = topicPartition
        self.holderID = holderID
        self.holderLabel = holderLabel
        self.holderHost = holderHost
        self.waiterID = waiterID
        self.waiterLabel = waiterLabel
        self.since = since
        self.blockedForMs = blockedForMs
        self.limitMs = limitMs
        self.limit = limit
        self.limitSource = limitSource
    }

    /// `orders-3 held by order-service~Qx3a on 10.0.0.5 for 52s, wanted by order-service~Zk2p`.
    public var description: String {
        var text = "\(topicPartition)"
        if let holderLabel {
            text += " held by \(holderLabel)"
            if let holderHost, !holderHost.isEmpty, !holderLabel.contains(holderHost) { text += " on \(holderHost)" }
        } else {
            text += " held by nobody known"
        }
        text += " for \(blockedForMs / 1000)s"
        if let waiterLabel { text += ", wanted by \(waiterLabel)" }
        if pastLimit { text += ", past \(limit)" }
        return text
    }
}

/// Where the limit a holder of a blocked hand-off is measured against comes from; the raw value is
/// the JSON `limitSource`.
public enum RebalanceLimitSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// The member's own rebalance timeout.
    case member
    /// The group's dynamic config `consumer.session.timeout.ms` (DescribeConfigs on the GROUP resource).
    case group
    /// The broker's `group.consumer.session.timeout.ms`.
    case broker
    /// Kafka's default, 45 s: nothing was read.
    case `default`

    /// How the limit's description names the source (`consumer.session.timeout.ms 45000 (Kafka default)`).
    public var words: String {
        switch self {
        case .member: return "member"
        case .group: return "group config"
        case .broker: return "broker"
        case .default: return "Kafka default"
        }
    }
}

/// The limits a member holding a partition in a rebalance is measured against.
public struct RebalanceLimits: Sendable, Hashable, Codable {
    /// The broker's `group.consumer.session.timeout.ms` once read, else Kafka's default, in
    /// milliseconds: the session timeout of a group that has no config of its own.
    public var sessionTimeoutMs: Int64
    /// Where ``sessionTimeoutMs`` comes from (``RebalanceLimitSource/broker`` or ``RebalanceLimitSource/default``).
    public var sessionTimeoutSource: RebalanceLimitSource
    /// Per group id: the group's own `consumer.session.timeout.ms` (a dynamic group config), for the
    /// groups it was read for. It wins over ``sessionTimeoutMs``.
    public var groupSessionTimeoutMs: [String: Int64]
    /// Per group id, per member id: the member's rebalance timeout, for members whose timeout is
    /// known (the describe APIs do not report it).
    public var rebalanceTimeoutMs: [String: [String: Int64]]

    /// Kafka's defaults: a 45 s session timeout, no group configs and no rebalance timeouts known.
    public init(sessionTimeoutMs: Int64 = 45_000, sessionTimeoutSource: RebalanceLimitSource = .default,
                groupSessionTimeoutMs: [String: Int64] = [:], rebalanceTimeoutMs: [String: [String: Int64]] = [:]) {
        self.sessionTimeoutMs = sessionTimeoutMs
        self.sessionTimeoutSource = sessionTimeoutSource
        self.groupSessionTimeoutMs = groupSessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
    }

    /// The session timeout that applies to `groupID`: its own config when read, else the broker's
    /// (or Kafka's default).
    public func sessionTimeout(groupID: String) -> (ms: Int64, source: RebalanceLimitSource) {
        if let own = groupSessionTimeoutMs[groupID] { return (own, .group) }
        return (sessionTimeoutMs, sessionTimeoutSource)
    }

    /// The limit for `memberID` of `groupID`, its description and its source.
    func limit(groupID: String, memberID: String?) -> (ms: Int64, text: String, source: RebalanceLimitSource) {
        if let memberID, let rebalance = rebalanceTimeoutMs[groupID]?[memberID] {
            return (rebalance, "rebalance timeout \(rebalance) ms", .member)
        }
        let session = sessionTimeout(groupID: groupID)
        return (session.ms, "consumer.session.timeout.ms \(session.ms) (\(session.source.words))", session.source)
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
    /// A member holds partitions another member waits for, for at least one poll (`blocking`
    /// names them); reported again when it passes its limit.
    case blocked = "episode_blocked"
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
    /// For ``EpisodeEventType/blocked``: the hand-offs one holder blocks.
    public var blocked: [BlockedHandoff]?

    /// Creates an episode event.
    public init(type: EpisodeEventType, timestamp: Int64, episode: RebalanceEpisode, member: StuckMember? = nil,
                blocked: [BlockedHandoff]? = nil) {
        self.blocked = blocked
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
/// awaiting release or unowned. Further epoch bumps during an open episode extend it and add their
/// causes to its triggers. While it is open, its ``RebalanceEpisode/blocking`` list names, per
/// partition, the member still holding it and the member waiting for it.
///
/// Classic groups: an episode starts on PreparingRebalance / CompletingRebalance, a generation
/// change, or a membership change, and ends at the first snapshot in Stable with every partition
/// settled (or Empty). A rebalance that starts and ends between two polls shows as an episode of
/// zero duration at that snapshot (the views say "between polls").
///
/// Triggers come from what changed between the two polls: members that left, were fenced or
/// joined, subscriptions and regexes, partition counts, the assignor. An episode already under way
/// in the tracker's first snapshot is ``RebalanceTrigger/inProgressAtStart``.
///
/// Durations come from snapshot timestamps only, so they are exact to within one poll interval.
public struct RebalanceTracker: Sendable, Hashable, Codable {
    /// How long a member may stay behind the assignment epoch before it is named as stuck (ms).
    public var stuckThresholdMs: Int64
    /// How many finished episodes to keep in ``finished``.
    public var finishedCapacity: Int
    /// The limits holders of blocked hand-offs are measured against.
    public var limits = RebalanceLimits()
    /// How many earlier durations per group the estimate is the median of.
    public var estimateWindow = 9
    /// Open episodes by group id.
    public private(set) var open: [String: RebalanceEpisode] = [:]
    /// The episodes under way, oldest first; episodes that started at the same poll by number
    /// (the order they were opened in), so the list is the same on every run.
    public var openOldestFirst: [RebalanceEpisode] {
        open.values.sorted { ($0.startedAt, $0.number) < ($1.startedAt, $1.number) }
    }
    /// Finished episodes, oldest first, at most ``finishedCapacity``.
    public private(set) var finished: [RebalanceEpisode] = []
    /// Per group, per member: when the member was first seen behind the assignment epoch.
    public private(set) var behindSince: [String: [String: Int64]] = [:]
    private var previous: ClusterSnapshot?
    private var reportedStuck: [String: Set<String>] = [:]
    /// Per open episode's group: partition → when its hand-off was first seen blocked.
    private var blockedSince: [String: [TopicPartition: Int64]] = [:]
    /// Per open episode's group: `holder|past` keys already reported as ``EpisodeEventType/blocked``.
    private var reportedBlocked: [String: Set<String>] = [:]
    /// Per group: durations of its last reconciled episodes, oldest first.
    private var durations: [String: [Int64]] = [:]
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
        let first = previous == nil
        let previousGroups = previous?.groups ?? []
        let current = snapshot.groups
        let currentAscending = SnapshotDiff.strictlyAscending(count: current.count, { current[$0].groupID })
        if currentAscending, SnapshotDiff.strictlyAscending(count: previousGroups.count, { previousGroups[$0].groupID }) {
            // Both lists sorted by id (as snapshots keep them): walk them together.
            // The previous groups are read in place (wrapping one in an optional would copy it).
            // So are the current ones (subscripting the list would copy each group).
            var i = 0
            previousGroups.withUnsafeBufferPointer { before in
                current.withUnsafeBufferPointer { groups in
                    for g in groups.indices {
                        while i < before.count && before[i].groupID < groups[g].groupID { i += 1 }
                        if i < before.count && before[i].groupID == groups[g].groupID {
                            events += step(group: groups.baseAddress! + g, old: before.baseAddress! + i, at: at, first: first)
                        } else {
                            events += step(group: groups.baseAddress! + g, old: nil, at: at, first: first)
                        }
                    }
                }
            }
        } else {
            let oldGroups = Dictionary(previousGroups.map { ($0.groupID, $0) }, uniquingKeysWith: { a, _ in a })
            for group in snapshot.groups {
                if let old = oldGroups[group.groupID] {
                    events += withUnsafePointer(to: group) { group in withUnsafePointer(to: old) { step(group: group, old: $0, at: at, first: first) } }
                } else {
                    events += withUnsafePointer(to: group) { step(group: $0, old: nil, at: at, first: first) }
                }
            }
        }
        // Groups that disappeared end their episodes (a sorted list is searched, not hashed whole).
        let currentIDs = open.isEmpty || currentAscending ? [] : Set(snapshot.groups.map(\.groupID))
        func present(_ groupID: String) -> Bool {
            currentAscending ? current.indexInSorted(of: groupID, by: \.groupID) != nil : currentIDs.contains(groupID)
        }
        for groupID in open.keys.sorted() where !present(groupID) {
            if var episode = open.removeValue(forKey: groupID) {
                episode.endedAt = at
                episode.abandoned = true
                episode.blocking = []
                finish(episode)
                events.append(EpisodeEvent(type: .ended, timestamp: at, episode: episode))
            }
            behindSince[groupID] = nil
            reportedStuck[groupID] = nil
            blockedSince[groupID] = nil
            reportedBlocked[groupID] = nil
        }
        forgetGone(snapshot.groups)
        previous = snapshot
        return events
    }

    /// Drops the per-group state of groups that are gone (a group that vanished with no episode
    /// open still had its durations and member marks) once a table holds more groups than the
    /// snapshot, so a long run with churning groups keeps no more than the groups that exist.
    private mutating func forgetGone(_ groups: [Group]) {
        let count = groups.count
        guard durations.count > count || behindSince.count > count || reportedStuck.count > count
            || blockedSince.count > count || reportedBlocked.count > count
        else { return }
        var present = Set<String>()
        present.reserveCapacity(count)
        for g in groups { present.insert(g.groupID) }
        durations = durations.filter { present.contains($0.key) }
        behindSince = behindSince.filter { present.contains($0.key) }
        reportedStuck = reportedStuck.filter { present.contains($0.key) }
        blockedSince = blockedSince.filter { present.contains($0.key) }
        reportedBlocked = reportedBlocked.filter { present.contains($0.key) }
    }

    /// How many groups the tracker keeps state for (open episodes, member marks, blocked hand-offs,
    /// earlier durations): at most the groups of the last snapshot.
    public var retainedGroupCount: Int {
        Set(open.keys).union(behindSince.keys).union(reportedStuck.keys).union(blockedSince.keys)
            .union(reportedBlocked.keys).union(durations.keys).count
    }

    /// Replaces a cause of the episode of `groupID` that started at `startedAt` (open, or
    /// finished at the same snapshot), for causes found after ``ingest(_:)`` (a departure that
    /// the history shows was a fence). Returns whether an episode was changed.
    @discardableResult
    public mutating func reclassify(groupID: String, startedAt: Int64, replacing old: RebalanceTrigger, with new: RebalanceTrigger) -> Bool {
        func swap(_ triggers: inout [RebalanceTrigger]) -> Bool {
            guard let i = triggers.firstIndex(of: old) else { return false }
            if triggers.contains(new) { triggers.remove(at: i) } else { triggers[i] = new }
            return true
        }
        if var episode = open[groupID], episode.startedAt == startedAt {
            defer { open[groupID] = episode }
            return swap(&episode.triggers)
        }
        if let index = finished.lastIndex(where: { $0.groupID == groupID && $0.startedAt == startedAt }) {
            return swap(&finished[index].triggers)
        }
        return false
    }

    /// The median duration of the group's last reconciled episodes, `nil` before the first one.
    public func estimatedDurationMs(groupID: String) -> Int64? {
        guard let list = durations[groupID], !list.isEmpty else { return nil }
        let sorted = list.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    // MARK: - One group

    /// One group's step; `old` is its previous observation, read in place.
    private mutating func step(group: UnsafePointer<Group>, old: UnsafePointer<Group>?, at: Int64, first: Bool) -> [EpisodeEvent] {
        var events: [EpisodeEvent] = []
        let groupID = group.pointee.groupID
        let isClassic = group.pointee.type == .classic

        // Start? (Most groups have no episode open: one lookup tells, none when nothing is open.)
        let wasOpen = !open.isEmpty && open.index(forKey: groupID) != nil
        var started = false
        if !wasOpen, let reasons = startReasons(group: group, old: old, first: first, at: at) {
            started = true
            let progress = RebalanceProgress(group: group.pointee)
            counter += 1
            let from = isClassic ? old?.pointee.generationID : (old?.pointee.groupEpoch ?? group.pointee.assignmentEpoch)
            var episode = RebalanceEpisode(
                number: counter, groupID: groupID, protocol: group.pointee.protocol, triggers: reasons, startedAt: at,
                fromEpoch: from, targetEpoch: isClassic ? group.pointee.generationID : group.pointee.groupEpoch, progress: progress)
            episode.estimatedDurationMs = estimatedDurationMs(groupID: groupID)
            open[groupID] = episode
            events.append(EpisodeEvent(type: .started, timestamp: at, episode: episode))
        } else if wasOpen, var episode = open[groupID], let old, epochBumped(group: group, old: old) {
            // A further change during the episode: its causes join the list.
            episode.add(triggers(old: old.pointee, new: group.pointee, at: at))
            open[groupID] = episode
        }

        updateBehind(group: group, at: at)
        guard wasOpen || started, var episode = open[groupID] else { return events }
        let progress = RebalanceProgress(group: group.pointee)

        // Extend, target computed, progress.
        let target = isClassic ? group.pointee.generationID : group.pointee.groupEpoch
        if let target, target > (episode.targetEpoch ?? Int32.min) {
            episode.targetEpoch = target
            episode.targetComputedAt = nil
        }
        if !isClassic, episode.targetComputedAt == nil, let assignmentEpoch = group.pointee.assignmentEpoch,
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
        for member in behind.isEmpty ? [] : group.pointee.members {
            guard let since = behind[member.memberID], at - since >= stuckThresholdMs else { continue }
            let stuck = StuckMember(member: member, assignmentEpoch: group.pointee.assignmentEpoch, behindSince: since, now: at)
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
            episode.abandoned = group.pointee.members.isEmpty
            episode.blocking = []
            open[groupID] = nil
            reportedStuck[groupID] = nil
            blockedSince[groupID] = nil
            reportedBlocked[groupID] = nil
            // Only whole episodes count: one under way before the first poll was seen in part.
            if !episode.abandoned, !episode.triggers.contains(.inProgressAtStart), let duration = episode.durationMs, duration > 0 {
                var list = durations[groupID] ?? []
                list.append(duration)
                if list.count > estimateWindow { list.removeFirst(list.count - estimateWindow) }
                durations[groupID] = list
            }
            finish(episode)
            events.append(EpisodeEvent(type: .ended, timestamp: at, episode: episode))
        } else {
            if !isClassic {
                episode.blocking = blocking(group: group.pointee, at: at)
                events += blockedEvents(episode, at: at)
            }
            open[groupID] = episode
        }
        return events
    }

    /// The hand-offs of a KIP-848 group that are not done, with since when.
    private mutating func blocking(group: Group, at: Int64) -> [BlockedHandoff] {
        let groupID = group.groupID
        let summary = group.summary
        guard summary.pendingRevocation > 0 || summary.awaitingRelease > 0 || summary.partitionsUnowned > 0 else {
            blockedSince[groupID] = nil
            return []
        }
        let before = blockedSince[groupID] ?? [:]
        var now: [TopicPartition: Int64] = [:]
        var list: [BlockedHandoff] = []
        for row in group.partitions {
            let holderID: String?
            switch row.handoff {
            case .pendingRevocation:
                holderID = row.owner
            case .awaitingRelease:
                // Still owned by another member; or hidden by a pre-4.3 broker with no earlier poll to
                // name the holder (HandoffInference names it when there is one, as pendingRevocation).
                holderID = row.owner.flatMap { $0 != row.targetOwner ? $0 : nil }
            case .unowned:
                guard row.targetOwner != nil else { continue }
                holderID = nil
            case .settled, .notAssigned:
                continue
            }
            let since = before[row.topicPartition] ?? at
            now[row.topicPartition] = since
            let holder = holderID.flatMap(group.member)
            let waiter = row.targetOwner.flatMap(group.member)
            let limit = limits.limit(groupID: groupID, memberID: holderID)
            list.append(BlockedHandoff(
                topicPartition: row.topicPartition, holderID: holderID, holderLabel: holder?.name ?? holderID.map(group.memberName),
                holderHost: holder?.host, waiterID: row.targetOwner, waiterLabel: waiter?.name ?? row.targetOwner.map(group.memberName),
                since: since, blockedForMs: at - since, limitMs: limit.ms, limit: limit.text, limitSource: limit.source))
        }
        blockedSince[groupID] = now.isEmpty ? nil : now
        return list
    }

    /// One ``EpisodeEventType/blocked`` event per holder that has blocked a hand-off for at least
    /// one poll, and again once it passes its limit.
    private mutating func blockedEvents(_ episode: RebalanceEpisode, at: Int64) -> [EpisodeEvent] {
        var events: [EpisodeEvent] = []
        var seen = reportedBlocked[episode.groupID] ?? []
        var holders: [String] = []
        for item in episode.blocking where item.blockedForMs > 0 {
            if let holder = item.holderID, !holders.contains(holder) { holders.append(holder) }
        }
        for holder in holders {
            let held = episode.blocking.filter { $0.holderID == holder && $0.blockedForMs > 0 }
            let key = holder + (held.contains(where: \.pastLimit) ? "|past" : "|held")
            if seen.insert(key).inserted {
                events.append(EpisodeEvent(type: .blocked, timestamp: at, episode: episode, blocked: held))
            }
        }
        reportedBlocked[episode.groupID] = seen.isEmpty ? nil : seen
        return events
    }

    /// Whether the group shows a finished rebalance.
    private func isDone(_ group: UnsafePointer<Group>) -> Bool {
        if group.pointee.members.isEmpty { return true }
        let handoffClear = group.pointee.summary.pendingRevocation == 0 && group.pointee.summary.partitionsUnowned == 0
            && group.pointee.summary.awaitingRelease == 0
        if group.pointee.type == .classic {
            return group.pointee.state == .stable && handoffClear
        }
        guard let groupEpoch = group.pointee.groupEpoch, let assignmentEpoch = group.pointee.assignmentEpoch else {
            return !group.pointee.state.isRebalancing && handoffClear
        }
        return assignmentEpoch >= groupEpoch && handoffClear
            && !group.pointee.hasMembersBehindAssignmentEpoch
    }

    /// KIP-848: whether the group epoch went up; classic: whether the generation moved.
    private func epochBumped(group: UnsafePointer<Group>, old: UnsafePointer<Group>) -> Bool {
        if group.pointee.type == .classic {
            return old.pointee.generationID != group.pointee.generationID && group.pointee.generationID != nil
        }
        return (group.pointee.groupEpoch ?? Int32.min) > (old.pointee.groupEpoch ?? Int32.min)
    }

    /// Why an episode starts at this snapshot, or `nil` when none starts.
    private func startReasons(group: UnsafePointer<Group>, old: UnsafePointer<Group>?, first: Bool, at: Int64) -> [RebalanceTrigger]? {
        guard let old else {
            // First sight of the group (or of the cluster): only a visible rebalance starts an episode.
            if isDone(group) && !group.pointee.state.isRebalancing { return nil }
            return first ? [.inProgressAtStart] : [.join]
        }
        return startReasons(group: group, old: old, at: at)
    }

    /// Why an episode starts at a group seen before (`old`, read in place through its pointer
    /// instead of being copied for every group of the poll), or `nil` when nothing changed.
    private func startReasons(group: UnsafePointer<Group>, old: UnsafePointer<Group>, at: Int64) -> [RebalanceTrigger]? {
        let changed: Bool
        if group.pointee.type == .classic {
            // Members are sorted by id: equal lists mean equal sets, and only unequal ones need sets.
            let oldMembers = old.pointee.members
            let members = group.pointee.members
            var sameOrder = oldMembers.count == members.count
            if sameOrder {
                for i in members.indices where oldMembers[i].memberID != members[i].memberID {
                    sameOrder = false
                    break
                }
            }
            let membership = !sameOrder && Set(oldMembers.map(\.memberID)) != Set(members.map(\.memberID))
            changed = membership || epochBumped(group: group, old: old) || (group.pointee.state.isRebalancing && !old.pointee.state.isRebalancing)
        } else {
            changed = epochBumped(group: group, old: old) || (!isDone(group) && isDone(old))
        }
        guard changed, !group.pointee.members.isEmpty || !old.pointee.members.isEmpty else { return nil }
        return triggers(old: old.pointee, new: group.pointee, at: at)
    }

    /// KIP-848: whether a member that vanished at `at` had been behind the assignment epoch for at
    /// least the session timeout (as of the previous snapshot). The coordinator fences a member
    /// only after a session or rebalance timeout, so one that vanished sooner in the middle of a
    /// rebalance left (a pod stopped during a rolling deploy); a crash is still found as a fence
    /// from its commits standing still (``SnapshotDiff/refineDepartures(_:old:history:at:silentMs:)``).
    public func behindAtLeastSessionTimeout(groupID: String, memberID: String, at: Int64) -> Bool {
        guard let since = behindSince[groupID]?[memberID] else { return false }
        return at - since >= limits.sessionTimeout(groupID: groupID).ms
    }

    /// Every visible cause, in the order fence, leave, join, subscription, regex, partition count,
    /// assignor; `[unknown]` when nothing visible changed.
    private func triggers(old: Group, new: Group, at: Int64) -> [RebalanceTrigger] {
        var found: Set<RebalanceTrigger> = []
        let newMembers = Dictionary(new.members.map { ($0.memberID, $0) }, uniquingKeysWith: { a, _ in a })
        let oldMembers = Dictionary(old.members.map { ($0.memberID, $0) }, uniquingKeysWith: { a, _ in a })
        for member in old.members where newMembers[member.memberID] == nil {
            let fenced = SnapshotDiff.fenceReason(member: member, group: old) != nil
                && (old.type == .classic || behindAtLeastSessionTimeout(groupID: old.groupID, memberID: member.memberID, at: at))
            found.insert(fenced ? .fence : .leave)
        }
        for member in new.members {
            guard let before = oldMembers[member.memberID] else {
                found.insert(.join)
                continue
            }
            if let from = before.memberEpoch, let to = member.memberEpoch, to < from { found.insert(.fence) }
            // An empty list is a member between join and sync (classic), not a new subscription.
            if before.subscribedTopics != member.subscribedTopics, member.subscribedTopicRegex == nil,
               !before.subscribedTopics.isEmpty, !member.subscribedTopics.isEmpty {
                found.insert(.subscriptionChange)
            }
            if before.subscribedTopicRegex != member.subscribedTopicRegex { found.insert(.regexChange) }
        }
        let subscribed = Set(new.members.flatMap(\.subscribedTopics))
        var oldCounts: [String: Int] = [:]
        for row in old.partitions where subscribed.contains(row.topicPartition.topic) { oldCounts[row.topicPartition.topic, default: 0] += 1 }
        var newCounts: [String: Int] = [:]
        for row in new.partitions where subscribed.contains(row.topicPartition.topic) { newCounts[row.topicPartition.topic, default: 0] += 1 }
        for (topic, count) in oldCounts where (newCounts[topic] ?? 0) > count { found.insert(.partitionCountChange) }
        if let before = old.assignor, let after = new.assignor, before != after { found.insert(.assignorChange) }
        let ordered = RebalanceTrigger.allCases.filter(found.contains)
        return ordered.isEmpty ? [.unknown] : ordered
    }

    private mutating func updateBehind(group: UnsafePointer<Group>, at: Int64) {
        let groupID = group.pointee.groupID
        let anyBehind = group.pointee.hasMembersBehindAssignmentEpoch
        if !anyBehind && (behindSince.isEmpty || behindSince[groupID] == nil)
            && (reportedStuck.isEmpty || reportedStuck[groupID] == nil) {
            return
        }
        let lagging = anyBehind ? group.pointee.membersBehindAssignmentEpoch : []
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

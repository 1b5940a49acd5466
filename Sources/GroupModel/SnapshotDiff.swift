/// Compares two snapshots and reports what changed, as typed events. Pure.
///
/// Order of the events: broker and poll errors first, then groups by id; within a group: appeared /
/// disappeared, state, coordinator, epochs, members (by id), partitions (by topic and partition).
///
/// Fenced vs left (polling cannot see the LeaveGroup / epoch -1 heartbeat itself), a member that
/// vanished counts as **fenced** when, in the older snapshot, it
/// - was behind the assignment epoch (it was still reconciling: rebalance timeout), or
/// - still owned partitions outside its target (pending revocation), or
/// - belonged to a classic group that was in PreparingRebalance / CompletingRebalance (it did not
///   rejoin in time);
/// otherwise it **left**. A member whose epoch went *down* while it stayed (a KIP-848 member that was
/// fenced and rejoined with the same id) is also reported as fenced.
public enum SnapshotDiff {
    /// The events that turn `old` into `new`, stamped with `new.takenAt`.
    public static func diff(old: ClusterSnapshot, new: ClusterSnapshot) -> [GroupEvent] {
        let at = new.takenAt
        var events = clusterEvents(old: old, new: new, at: at)
        func pair(_ groupID: String, _ before: Group?, _ after: Group?) {
            switch (before, after) {
            case (nil, let added?):
                events.append(GroupEvent(type: .groupAppeared, timestamp: at, groupID: groupID,
                                         new: .text(added.state.brokerString), detail: added.protocol.rawValue))
            case (let removed?, nil):
                events.append(GroupEvent(type: .groupDisappeared, timestamp: at, groupID: groupID,
                                         old: .text(removed.state.brokerString)))
            case (let before?, let after?):
                events += diff(old: before, new: after, at: at)
            case (nil, nil):
                break
            }
        }
        // Snapshots list their groups sorted by id, so a merge walks both in id order without
        // building tables; anything else takes the general path.
        let before = old.groups
        let after = new.groups
        if strictlyAscending(count: before.count, { before[$0].groupID }), strictlyAscending(count: after.count, { after[$0].groupID }) {
            // Groups are read in place through pointers (subscripting the lists, or wrapping a
            // group in an optional, would copy each one).
            before.withUnsafeBufferPointer { before in
                after.withUnsafeBufferPointer { after in
                    mergeJoin(oldCount: before.count, newCount: after.count, oldKey: { before[$0].groupID }, newKey: { after[$0].groupID }) { i, j in
                        if let i, let j {
                            events += diff(old: before.baseAddress! + i, new: after.baseAddress! + j, at: at)
                        } else if let i {
                            pair(before[i].groupID, before[i], nil)
                        } else if let j {
                            pair(after[j].groupID, nil, after[j])
                        }
                    }
                }
            }
            return events
        }
        let oldGroups = Dictionary(old.groups.map { ($0.groupID, $0) }, uniquingKeysWith: { a, _ in a })
        let newGroups = Dictionary(new.groups.map { ($0.groupID, $0) }, uniquingKeysWith: { a, _ in a })
        for groupID in Set(oldGroups.keys).union(newGroups.keys).sorted() {
            pair(groupID, oldGroups[groupID], newGroups[groupID])
        }
        return events
    }

    /// Whether the keys of items `0..<count` are strictly ascending (so they are unique and a merge
    /// applies).
    static func strictlyAscending(count: Int, _ key: (Int) -> String) -> Bool {
        guard count > 1 else { return true }
        var previous = key(0)
        for i in 1..<count {
            let next = key(i)
            if !(previous < next) { return false }
            previous = next
        }
        return true
    }

    /// Walks two lists whose keys are strictly ascending, in key order: `body` gets the index of
    /// the item with that key on each side that has one.
    static func mergeJoin(
        oldCount: Int, newCount: Int, oldKey: (Int) -> String, newKey: (Int) -> String, _ body: (Int?, Int?) -> Void
    ) {
        var i = 0
        var j = 0
        while i < oldCount || j < newCount {
            if j == newCount {
                body(i, nil)
                i += 1
            } else if i == oldCount {
                body(nil, j)
                j += 1
            } else {
                let a = oldKey(i)
                let b = newKey(j)
                if a < b {
                    body(i, nil)
                    i += 1
                } else if b < a {
                    body(nil, j)
                    j += 1
                } else {
                    body(i, j)
                    i += 1
                    j += 1
                }
            }
        }
    }

    /// The events that turn one group into its next observation.
    public static func diff(old: Group, new: Group, at: Int64) -> [GroupEvent] {
        withUnsafePointer(to: old) { old in withUnsafePointer(to: new) { new in diff(old: old, new: new, at: at) } }
    }

    /// ``diff(old:new:at:)`` for groups read in place (copying a group retains every string and
    /// list in it; the snapshots' merge hands each pair over by pointer).
    static func diff(old: UnsafePointer<Group>, new: UnsafePointer<Group>, at: Int64) -> [GroupEvent] {
        let groupID = new.pointee.groupID
        var events: [GroupEvent] = []
        func add(_ type: GroupEventType, _ old: EventValue?, _ new: EventValue?, member: GroupMember? = nil,
                 partition: TopicPartition? = nil, detail: String? = nil, oldLabel: String? = nil) {
            var event = GroupEvent(
                type: type, timestamp: at, groupID: groupID, memberID: member?.memberID,
                clientID: member?.clientID, clientHost: member?.clientHost, instanceID: member?.instanceID,
                topicPartition: partition, old: old, new: new, detail: detail, label: member?.label)
            event.oldLabel = oldLabel
            events.append(event)
        }

        if old.pointee.state != new.pointee.state { add(.stateChanged, .text(old.pointee.state.brokerString), .text(new.pointee.state.brokerString)) }
        if old.pointee.coordinatorID != new.pointee.coordinatorID, let to = new.pointee.coordinatorID {
            add(.coordinatorMoved, old.pointee.coordinatorID.map { .int($0) }, .int(to))
        }
        if let from = old.pointee.groupEpoch, let to = new.pointee.groupEpoch, to > from { add(.groupEpochBumped, .int(from), .int(to)) }
        if let from = old.pointee.assignmentEpoch, let to = new.pointee.assignmentEpoch, to != from {
            add(.targetAssignmentChanged, .int(from), .int(to))
        }
        if let from = old.pointee.generationID, let to = new.pointee.generationID, to != from { add(.generationChanged, .int(from), .int(to)) }
        if old.pointee.error != new.pointee.error {
            add(.groupError, old.pointee.error.map { .text($0.description) }, new.pointee.error.map { .text($0.description) })
        }

        // Members.
        // Members present in both are read in place through pointers (copying one retains every string
        // and list in it); only an event copies the member.
        func both(_ before: UnsafePointer<GroupMember>, _ after: UnsafePointer<GroupMember>) {
            if let from = before.pointee.memberEpoch, let to = after.pointee.memberEpoch {
                if to > from { add(.memberEpochAdvanced, .int(from), .int(to), member: after.pointee) }
                if to < from {
                    add(.memberFenced, .int(from), .int(to), member: after.pointee,
                        detail: "member epoch went back from \(from) to \(to): fenced and rejoined")
                }
            }
            if before.pointee.subscribedTopics != after.pointee.subscribedTopics || before.pointee.subscribedTopicRegex != after.pointee.subscribedTopicRegex {
                add(.subscriptionChanged, subscription(before.pointee), subscription(after.pointee), member: after.pointee)
            }
            if !SnapshotDiff.sameList(before.pointee.targetAssignment, after.pointee.targetAssignment), let target = after.pointee.targetAssignment {
                add(.memberTargetChanged, before.pointee.targetAssignment.map { .partitions($0) }, .partitions(target), member: after.pointee)
            }
            if !SnapshotDiff.sameList(before.pointee.assignment, after.pointee.assignment) {
                add(.memberAssignmentChanged, .partitions(before.pointee.assignment), .partitions(after.pointee.assignment), member: after.pointee)
            }
        }
        func pair(_ memberID: String, _ before: GroupMember?, _ after: GroupMember?) {
            switch (before, after) {
            case (nil, let joined?):
                add(.memberJoined, nil, .text(memberID), member: joined)
            case (let gone?, nil):
                if let why = fenceReason(member: gone, group: old.pointee) {
                    add(.memberFenced, .text(memberID), nil, member: gone, detail: why)
                } else {
                    add(.memberLeft, .text(memberID), nil, member: gone)
                }
            case (let before?, let after?):
                withUnsafePointer(to: before) { b in withUnsafePointer(to: after) { a in both(b, a) } }
            case (nil, nil):
                break
            }
        }
        let oldList = old.pointee.members
        let newList = new.pointee.members
        if strictlyAscending(count: oldList.count, { oldList[$0].memberID }), strictlyAscending(count: newList.count, { newList[$0].memberID }) {
            oldList.withUnsafeBufferPointer { oldMembers in
            newList.withUnsafeBufferPointer { newMembers in
            mergeJoin(oldCount: oldList.count, newCount: newList.count, oldKey: { oldList[$0].memberID }, newKey: { newList[$0].memberID }) { i, j in
                if let i, let j {
                    both(oldMembers.baseAddress! + i, newMembers.baseAddress! + j)
                } else if let i {
                    pair(oldList[i].memberID, oldList[i], nil)
                } else if let j {
                    pair(newList[j].memberID, nil, newList[j])
                }
            }
            }
            }
        } else {
            let oldMembers = Dictionary(old.pointee.members.map { ($0.memberID, $0) }, uniquingKeysWith: { a, _ in a })
            let newMembers = Dictionary(new.pointee.members.map { ($0.memberID, $0) }, uniquingKeysWith: { a, _ in a })
            for memberID in Set(oldMembers.keys).union(newMembers.keys).sorted() {
                pair(memberID, oldMembers[memberID], newMembers[memberID])
            }
        }

        // Partition ownership. When both observations list the same partitions in the same order
        // (the usual case) rows pair up by position; otherwise by partition.
        let oldRows = old.pointee.partitions
        let newRows = new.pointee.partitions
        var samePartitions = oldRows.count == newRows.count
        if samePartitions {
            // Read in place; a topic's characters are compared once per run of rows of that topic
            // (``TopicRun``).
            oldRows.withUnsafeBufferPointer { oldRows in
                newRows.withUnsafeBufferPointer { newRows in
                    var run = TopicRun()
                    for i in newRows.indices where !run.same(oldRows, newRows, i)
                        || (i > 0 && !(oldRows[i - 1].topicPartition < oldRows[i].topicPartition)) {
                        samePartitions = false
                        break
                    }
                }
            }
        }
        let oldByPartition = samePartitions
            ? [:] : Dictionary(oldRows.map { ($0.topicPartition, $0.owner) }, uniquingKeysWith: { a, _ in a })
        // Owners are named by their member (label, client, host); the tables are built only when a
        // partition changed hands.
        var oldOwners: [String: Int]?
        var newOwners: [String: Int]?
        func owner(_ id: String, in group: Group, _ index: inout [String: Int]?) -> GroupMember? {
            if index == nil {
                index = Dictionary(group.members.indices.map { (group.members[$0].memberID, $0) }, uniquingKeysWith: { a, _ in a })
            }
            return index?[id].map { group.members[$0] }
        }
        // The owners of a group's rows are a few members' ids, each one string in its poll: a pair
        // of them is compared once.
        var owners = SameStrings()
        for i in newRows.indices {
            if samePartitions, owners.same(oldRows[i].owner, newRows[i].owner) { continue }
            let row = newRows[i]
            let before = samePartitions ? oldRows[i].owner : oldByPartition[row.topicPartition] ?? nil
            guard before != row.owner else { continue }
            let previous = before.flatMap { owner($0, in: old.pointee, &oldOwners) ?? owner($0, in: new.pointee, &newOwners) }
            if let ownerID = row.owner {
                add(.partitionOwned, before.map { .text($0) }, .text(ownerID), member: owner(ownerID, in: new.pointee, &newOwners),
                    partition: row.topicPartition, oldLabel: previous?.label)
            } else if let before {
                add(.partitionUnowned, .text(before), nil, member: previous, partition: row.topicPartition, detail: row.handoff.rawValue)
            }
        }
        return events
    }

    /// Reclassifies `member_left` events as `member_fenced` when the history shows the member had
    /// stopped: every partition it owned that had lag in `old` kept the same committed offset for
    /// at least `silentMs` before `at` (and at least one had lag). A member that leaves cleanly
    /// commits and goes at once; one that crashed or stopped heartbeating stops committing a
    /// session timeout before the coordinator fences it. `history` must not yet include the
    /// snapshot taken at `at`.
    public static func refineDepartures(_ events: [GroupEvent], old: ClusterSnapshot, history: History, at: Int64, silentMs: Int64 = 15_000) -> [GroupEvent] {
        guard events.contains(where: { $0.type == .memberLeft }) else { return events }
        let lookup = GroupLookup(old.groups)
        return events.map { event in
            guard event.type == .memberLeft, let groupID = event.groupID, let memberID = event.memberID,
                  let group = lookup[groupID], let member = group.member(memberID)
            else { return event }
            let owned = Set(member.assignment)
            let lagging = group.partitions.filter { owned.contains($0.topicPartition) && ($0.lag.offsets ?? 0) > 0 }
            guard !lagging.isEmpty else { return event }
            var quietest = Int64.max
            for row in lagging {
                guard let since = history.commitUnchangedSince(groupID: groupID, topicPartition: row.topicPartition), at - since >= silentMs else {
                    return event
                }
                quietest = min(quietest, at - since)
            }
            var fenced = event
            fenced.type = .memberFenced
            let lag = lagging.compactMap(\.lag.offsets).reduce(0, +)
            fenced.detail = "committed offsets of its \(lagging.count) lagging partition(s) stood still for \(quietest / 1000) s (lag \(lag)) before it vanished: it stopped without leaving and its session timed out"
            return fenced
        }
    }

    /// The groups of a snapshot by id: a binary search when they are sorted by id (as snapshots keep
    /// them), else a table (the first of a repeated id wins).
    struct GroupLookup {
        let groups: [Group]
        let ascending: Bool
        let table: [String: Int]

        init(_ groups: [Group]) {
            self.groups = groups
            ascending = strictlyAscending(count: groups.count, { groups[$0].groupID })
            var table: [String: Int] = [:]
            if !ascending {
                for g in groups.indices where table[groups[g].groupID] == nil { table[groups[g].groupID] = g }
            }
            self.table = table
        }

        subscript(_ groupID: String) -> Group? {
            if ascending { return HandoffInference.find(groupID, in: groups) }
            return table[groupID].map { groups[$0] }
        }
    }

    /// Why a vanished member counts as fenced, or `nil` for a clean leave.
    static func fenceReason(member: GroupMember, group: Group) -> String? {
        if let epoch = member.memberEpoch, let assignmentEpoch = group.assignmentEpoch, epoch < assignmentEpoch {
            return "vanished at member epoch \(epoch), behind assignment epoch \(assignmentEpoch)"
        }
        let pending = member.pendingRevocation
        if !pending.isEmpty {
            return "vanished while still revoking \(pending.count) partition(s)"
        }
        if group.type == .classic, group.state == .preparingRebalance || group.state == .completingRebalance {
            return "vanished during \(group.state.brokerString): did not rejoin in time"
        }
        return nil
    }

    /// Whether two partition lists are equal, a topic's characters compared once per run of
    /// entries of that topic (a list's entries of one topic share one string).
    static func sameList(_ a: [TopicPartition]?, _ b: [TopicPartition]?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var run = TopicRun()
                for i in a.indices where !run.same(a, b, i) { return false }
                return true
            }
        }
    }

    private static func subscription(_ member: GroupMember) -> EventValue {
        var items = member.subscribedTopics
        if let regex = member.subscribedTopicRegex { items.append("regex:\(regex)") }
        return .list(items)
    }

    private static func clusterEvents(old: ClusterSnapshot, new: ClusterSnapshot, at: Int64) -> [GroupEvent] {
        var events: [GroupEvent] = []
        let oldBrokers = Dictionary(old.cluster.brokers.map { ($0.nodeID, $0) }, uniquingKeysWith: { a, _ in a })
        for broker in new.cluster.brokers {
            let wasReachable = oldBrokers[broker.nodeID]?.reachable ?? true
            if wasReachable != broker.reachable {
                events.append(GroupEvent(
                    type: .brokerError, timestamp: at, brokerID: broker.nodeID,
                    old: .text(wasReachable ? "reachable" : "unreachable"),
                    new: .text(broker.reachable ? "reachable" : "unreachable"), detail: broker.error))
            }
        }
        let seen = Set(old.errors)
        for error in new.errors where !seen.contains(error) {
            events.append(GroupEvent(
                type: .pollError, timestamp: at, groupID: error.groupID,
                topicPartition: error.topic.flatMap { topic in error.partition.map { TopicPartition(topic: topic, partition: $0) } },
                brokerID: error.brokerID, new: .text(error.kafkaError?.name ?? error.operation), detail: error.description))
        }
        return events
    }
}

/// Compares entries `i` of two lists of partitions (or of rows) walked in order, comparing a
/// topic's characters only when a list's topic string is not the very one of its previous entry:
/// within a run of one topic on both sides, equal once means equal throughout.
struct TopicRun {
    private var previous: (StringIdentity, StringIdentity, Bool)?

    /// Whether `a[i]` and `b[i]` are the same partition (call for `i` = 0, 1, ... in order).
    @inline(__always)
    mutating func same(_ a: UnsafeBufferPointer<TopicPartition>, _ b: UnsafeBufferPointer<TopicPartition>, _ i: Int) -> Bool {
        same(a[i].partition, b[i].partition, a[i].topic, b[i].topic)
    }

    /// Whether rows `a[i]` and `b[i]` are of the same partition (call for `i` = 0, 1, ... in order).
    @inline(__always)
    mutating func same(_ a: UnsafeBufferPointer<GroupPartition>, _ b: UnsafeBufferPointer<GroupPartition>, _ i: Int) -> Bool {
        same(a[i].topicPartition.partition, b[i].topicPartition.partition, a[i].topicPartition.topic, b[i].topicPartition.topic)
    }

    @inline(__always)
    private mutating func same(_ p: Int32, _ q: Int32, _ s: String, _ t: String) -> Bool {
        let ids = (StringIdentity(s), StringIdentity(t))
        let equal: Bool
        if let previous, previous.0 == ids.0, previous.1 == ids.1 {
            equal = previous.2
        } else {
            equal = s == t
        }
        previous = (ids.0, ids.1, equal)
        return p == q && equal
    }
}

/// Compares pairs of optional strings, remembering the last few pairs by identity: a row's owner
/// in two polls is one of a few members' ids, each one string per poll, so most pairs were
/// compared already.
struct SameStrings {
    private var recent: ((StringIdentity, StringIdentity, Bool)?, (StringIdentity, StringIdentity, Bool)?,
                         (StringIdentity, StringIdentity, Bool)?, (StringIdentity, StringIdentity, Bool)?) = (nil, nil, nil, nil)
    private var next = 0

    /// Whether `a == b`.
    mutating func same(_ a: String?, _ b: String?) -> Bool {
        let x = StringIdentity(a)
        let y = StringIdentity(b)
        if x == y { return true }
        if let r = recent.0, r.0 == x, r.1 == y { return r.2 }
        if let r = recent.1, r.0 == x, r.1 == y { return r.2 }
        if let r = recent.2, r.0 == x, r.1 == y { return r.2 }
        if let r = recent.3, r.0 == x, r.1 == y { return r.2 }
        let equal = a == b
        switch next {
        case 0: recent.0 = (x, y, equal)
        case 1: recent.1 = (x, y, equal)
        case 2: recent.2 = (x, y, equal)
        default: recent.3 = (x, y, equal)
        }
        next = (next + 1) % 4
        return equal
    }
}

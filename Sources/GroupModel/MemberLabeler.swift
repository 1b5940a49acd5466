/// Gives every member one short label, unique within its group and unchanged while the member
/// lives, and writes it into ``GroupMember/label``.
///
/// The label of a member seen for the first time is, by preference: its `group.instance.id` when it
/// is a static member; else its client id; and only when another living member of the group
/// starts from the same client id (or instance id), the client id with the host
/// (`order-service@10.0.0.7`) when the host tells the members apart, else with the end of the
/// member id (`order-service~Qx3a`). A label, once given, is kept until the member leaves: a member
/// that joins later with the same client id gets the longer form, never the one already living.
///
/// A value that remembers the labels of the members it saw in the previous snapshot: the poll
/// derivation owns one, so the live dashboard, `events`, the gates and a replay of a recording
/// (which feeds the same snapshots in the same order) give the same labels. A member that arrives
/// already labelled (a recorded snapshot) keeps that label when it is free.
public struct MemberLabeler: Sendable {
    /// How many characters of the member id a suffix starts with (`~Qx3a`).
    public static let suffixLength = 4

    /// Per group: the members of the last snapshot, in member-id order, with their labels (none for
    /// a group without members), by the group's position in the last snapshot.
    private var known = GroupTable<[(memberID: String, label: String)]>()

    /// How many groups the labeler remembers labels for: those with members in the last snapshot.
    public var retainedGroupCount: Int { known.entries.reduce(0) { $0 + ($1.isEmpty ? 0 : 1) } }

    /// Creates a labeler that has seen nothing.
    public init() {}

    /// Labels every member of every group of `snapshot` and forgets the groups and members that
    /// are gone.
    public mutating func label(_ snapshot: inout ClusterSnapshot) {
        guard SnapshotDiff.strictlyAscending(count: snapshot.groups.count, { snapshot.groups[$0].groupID }) else {
            // A group id listed twice: each listing is labelled from the labels kept before, and
            // the last listing with members keeps its labels.
            var next: [String: [(memberID: String, label: String)]] = [:]
            next.reserveCapacity(snapshot.groups.count)
            for g in snapshot.groups.indices where !snapshot.groups[g].members.isEmpty {
                let groupID = snapshot.groups[g].groupID
                next[groupID] = Self.label(&snapshot.groups[g].members, previous: known[groupID] ?? []) ?? known[groupID] ?? []
            }
            known = GroupTable(next)
            return
        }
        // Group ids are unique (as snapshots keep them sorted): each group's labels are walked
        // beside the groups (no id hashed) and replaced only for groups whose members changed. The
        // groups are taken out of the snapshot and read and labelled in place through a pointer
        // (neither closure copies a group or the list).
        var groups: [Group] = []
        swap(&groups, &snapshot.groups)
        defer { swap(&groups, &snapshot.groups) }
        groups.withUnsafeMutableBufferPointer { groups in
            known.update(count: groups.count, id: { groups[$0].groupID }, make: { [] }) { g, entry in
                if groups[g].members.isEmpty {
                    if !entry.isEmpty { entry = [] }
                } else if let changed = Self.label(&groups[g].members, previous: entry) {
                    entry = changed
                }
            }
        }
    }

    /// Labels one group's members given the labels of its previous snapshot; returns the new list,
    /// or `nil` when it is `previous` (the same members in the same order).
    private static func label(_ members: inout [GroupMember], previous: [(memberID: String, label: String)]) -> [(memberID: String, label: String)]? {
        // The common case: the same members as last time, in the same order.
        if previous.count == members.count, members.indices.allSatisfy({ members[$0].memberID == previous[$0].memberID }) {
            // Written only when a label differs: the members are usually the poller's storage,
            // already labelled, and a write would copy them. The loop that writes is entered only
            // then, because the optimizer makes the array unique before a loop that may write.
            if let first = members.indices.first(where: { members[$0].label != previous[$0].label }) {
                for i in first..<members.count where members[i].label != previous[i].label { members[i].label = previous[i].label }
            }
            return nil
        }
        var living: [String: String] = [:]
        for entry in previous { living[entry.memberID] = entry.label }
        var taken = Taken(capacity: members.count)
        var fresh: [Int] = []
        for i in members.indices {
            if let label = living[members[i].memberID] {
                members[i].label = label
                taken.insert(label)
            } else {
                fresh.append(i)
            }
        }
        // Arriving members that carry a label (from a recording) keep it when it is free.
        var unlabelled: [Int] = []
        for i in fresh {
            if let label = members[i].label, !label.isEmpty, !taken.contains(label) {
                taken.insert(label)
            } else {
                unlabelled.append(i)
            }
        }
        // A base shared with another living member needs the longer form (a member that already
        // has a label keeps it). Bases and hosts are made from each member's fields (passing a
        // member of the list being labelled would copy it whole) and counted, so that a group of
        // many pods of one Deployment is labelled in linear time.
        var shared = SharedBases()
        if !unlabelled.isEmpty {
            shared = SharedBases(count: members.count) { i in
                (Self.base(instanceID: members[i].instanceID, clientID: members[i].clientID, memberID: members[i].memberID),
                 Self.normalizedHost(members[i].clientHost))
            }
        }
        for i in unlabelled {
            let base = shared.bases[i]
            var label = base
            // Needed when a label is already the base, or another living member starts from it.
            if taken.contains(base) || shared.members(withBase: base) > 1 {
                let host = shared.hosts[i]
                // No other member with this base is on this host.
                let hostsDiffer = !host.isEmpty && shared.members(withBase: base, host: host) == 1
                if hostsDiffer && !taken.contains(base + "@" + host) {
                    label = base + "@" + host
                } else {
                    label = Self.withSuffix(base, memberID: members[i].memberID, taken: taken)
                }
            }
            members[i].label = label
            taken.insert(label)
        }
        return members.indices.map { i in
            (memberID: members[i].memberID,
             label: members[i].label ?? Self.base(instanceID: members[i].instanceID, clientID: members[i].clientID, memberID: members[i].memberID))
        }
    }

    /// Groups up to this many members are labelled with lists searched in order, larger ones
    /// with hashed sets and counts: for a few members a search costs less than hashing.
    static let smallGroup = 16

    /// The labels taken in one group so far.
    private struct Taken {
        private var list: [String] = []
        private var set: Set<String>?

        init(capacity: Int) {
            if capacity > MemberLabeler.smallGroup { set = Set(minimumCapacity: capacity) }
        }

        func contains(_ label: String) -> Bool { set?.contains(label) ?? list.contains(label) }

        mutating func insert(_ label: String) {
            if set != nil {
                set!.insert(label)
            } else {
                list.append(label)
                // A group labelled from a recording may take more labels than it has members.
                if list.count > MemberLabeler.smallGroup { set = Set(list) }
            }
        }
    }

    /// Each member's base and host, and how many members share a base (and a base and host).
    private struct SharedBases {
        struct BaseHost: Hashable {
            let base: String
            let host: String
        }

        private(set) var bases: [String] = []
        private(set) var hosts: [String] = []
        private var perBase: [String: Int] = [:]
        private var perBaseHost: [BaseHost: Int] = [:]

        init() {}

        /// `baseAndHost(i)` for each of `count` members.
        init(count: Int, baseAndHost: (Int) -> (String, String)) {
            bases.reserveCapacity(count)
            hosts.reserveCapacity(count)
            for i in 0..<count {
                let (base, host) = baseAndHost(i)
                bases.append(base)
                hosts.append(host)
                if count > MemberLabeler.smallGroup {
                    perBase[base, default: 0] += 1
                    perBaseHost[BaseHost(base: base, host: host), default: 0] += 1
                }
            }
        }

        /// How many members start from `base`.
        func members(withBase base: String) -> Int {
            if bases.count > MemberLabeler.smallGroup { return perBase[base, default: 0] }
            var n = 0
            for b in bases where b == base { n += 1 }
            return n
        }

        /// How many members start from `base` on `host`.
        func members(withBase base: String, host: String) -> Int {
            if bases.count > MemberLabeler.smallGroup { return perBaseHost[BaseHost(base: base, host: host), default: 0] }
            var n = 0
            for i in bases.indices where bases[i] == base && hosts[i] == host { n += 1 }
            return n
        }
    }

    /// `base~` and the end of the member id, long enough to be free.
    private static func withSuffix(_ base: String, memberID: String, taken: Taken) -> String {
        var length = suffixLength
        while true {
            let candidate = base + "~" + String(memberID.suffix(length))
            if !taken.contains(candidate) || length >= memberID.count {
                if !taken.contains(candidate) { return candidate }
                // Two members with the same id cannot both live; count them apart all the same.
                var n = 2
                while taken.contains(candidate + "#\(n)") { n += 1 }
                return candidate + "#\(n)"
            }
            length += 2
        }
    }

    /// What a member's label starts from: the instance id of a static member, else the client id,
    /// else (no client id) `~` and the end of the member id.
    public static func base(of member: GroupMember) -> String {
        base(instanceID: member.instanceID, clientID: member.clientID, memberID: member.memberID)
    }

    /// ``base(of:)`` from a member's fields.
    static func base(instanceID: String?, clientID: String, memberID: String) -> String {
        if let instance = instanceID, !instance.isEmpty { return instance }
        if !clientID.isEmpty { return clientID }
        return "~" + String(memberID.suffix(suffixLength))
    }

    /// A host as a person reads it: Kafka writes the client's address as `/10.0.0.5` (or
    /// `name/10.0.0.5` when it resolved a name); the slash goes, a name wins over the address.
    public static func normalizedHost(_ raw: String) -> String {
        guard let slash = raw.firstIndex(of: "/") else { return raw }
        let name = raw[..<slash]
        return name.isEmpty ? String(raw[raw.index(after: slash)...]) : String(name)
    }
}

import GroupModel

/// What differs between two snapshots, group by group: members added and removed, partitions that
/// moved between members, epoch changes, and lag per partition. Pure; `kgtop diff` prints it as a
/// table or as JSON (schema `kgtop.diff/1`).
public struct SnapshotComparison: Sendable, Hashable, Codable {
    /// The schema identifier of the JSON form.
    public static let currentSchema = "kgtop.diff/1"

    /// A member, as the diff names it.
    public struct MemberRef: Sendable, Hashable, Codable {
        /// The member id.
        public var memberID: String
        /// Its label (``MemberLabeler``): how the table names it.
        public var label: String
        /// Its client id.
        public var clientID: String
        /// Its host.
        public var clientHost: String
        /// Its static instance id, if any.
        public var instanceID: String?
        /// Partitions it owned (removed members) or owns (added members).
        public var assignment: [TopicPartition]
    }

    /// A partition whose owner changed.
    public struct Move: Sendable, Hashable, Codable {
        /// The partition.
        public var topicPartition: TopicPartition
        /// The owner in A (`nil`: nobody).
        public var from: String?
        /// The owner in B (`nil`: nobody).
        public var to: String?
        /// The label of the owner in A.
        public var fromLabel: String?
        /// The label of the owner in B.
        public var toLabel: String?
    }

    /// An epoch that changed.
    public struct EpochChange: Sendable, Hashable, Codable {
        /// `groupEpoch`, `assignmentEpoch`, `generationID`, or `memberEpoch`.
        public var field: String
        /// The member, for `memberEpoch`.
        public var memberID: String?
        /// The member's label, for `memberEpoch`.
        public var label: String?
        /// The value in A.
        public var old: Int32?
        /// The value in B.
        public var new: Int32?
    }

    /// Lag of one partition in A and B.
    public struct LagChange: Sendable, Hashable, Codable {
        /// The partition.
        public var topicPartition: TopicPartition
        /// Lag in A (`nil`: unknown or absent).
        public var old: Int64?
        /// Lag in B.
        public var new: Int64?
        /// `new − old` when both are known.
        public var delta: Int64?
    }

    /// How a group compares.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Only in B.
        case added
        /// Only in A.
        case removed
        /// In both, with differences.
        case changed
        /// In both, with no difference the diff reports.
        case unchanged
    }

    /// One group's differences.
    public struct GroupChange: Sendable, Hashable, Codable {
        /// The group.
        public var groupID: String
        /// Added, removed, changed or unchanged.
        public var status: Status
        /// State in A and B.
        public var oldState: String?
        /// State in B.
        public var newState: String?
        /// Members only in B.
        public var membersAdded: [MemberRef]
        /// Members only in A.
        public var membersRemoved: [MemberRef]
        /// Partitions whose owner changed.
        public var moves: [Move]
        /// Epochs that changed.
        public var epochs: [EpochChange]
        /// Total lag in A and B (known partitions only).
        public var oldTotalLag: Int64?
        /// Total lag in B.
        public var newTotalLag: Int64?
        /// Lag per partition, every partition of either side, sorted.
        public var lag: [LagChange]
    }

    /// Always ``currentSchema``.
    public var schema: String
    /// A's `takenAt`.
    public var from: Int64
    /// B's `takenAt`.
    public var to: Int64
    /// Every group of either side, sorted by id.
    public var groups: [GroupChange]

    /// Compares A (older) with B (newer). Members are named by their labels (see ``labelled(_:_:)``).
    public init(_ a: ClusterSnapshot, _ b: ClusterSnapshot) {
        let (a, b) = Self.labelled(a, b)
        schema = Self.currentSchema
        from = a.takenAt
        to = b.takenAt
        let oldGroups = Dictionary(a.groups.map { ($0.groupID, $0) }, uniquingKeysWith: { x, _ in x })
        let newGroups = Dictionary(b.groups.map { ($0.groupID, $0) }, uniquingKeysWith: { x, _ in x })
        groups = Set(oldGroups.keys).union(newGroups.keys).sorted().map { id in
            Self.compare(id: id, oldGroups[id], newGroups[id])
        }
    }

    /// A and B with every member labelled by one ``MemberLabeler`` (labels the snapshots carry are
    /// kept when free): a member living in both keeps its label from A, and a member only in B never
    /// gets the label of a member only in A (a restarted client reads `orders@10.0.0.7`, not the
    /// same name as the one it replaced).
    static func labelled(_ a: ClusterSnapshot, _ b: ClusterSnapshot) -> (ClusterSnapshot, ClusterSnapshot) {
        var labeler = MemberLabeler()
        var a = a, b = b
        labeler.label(&a)
        // B's groups with A's departed members still in them, so the newcomers' labels avoid theirs.
        let oldGroups = Dictionary(a.groups.map { ($0.groupID, $0) }, uniquingKeysWith: { x, _ in x })
        var both = b
        for g in both.groups.indices {
            guard let before = oldGroups[both.groups[g].groupID] else { continue }
            let present = Set(both.groups[g].members.map(\.memberID))
            let departed = before.members.filter { !present.contains($0.memberID) }
            guard !departed.isEmpty else { continue }
            both.groups[g].members = (both.groups[g].members + departed).sorted { $0.memberID < $1.memberID }
        }
        labeler.label(&both)
        for g in b.groups.indices {
            let labels = Dictionary(both.groups[g].members.map { ($0.memberID, $0.label) }, uniquingKeysWith: { x, _ in x })
            for m in b.groups[g].members.indices { b.groups[g].members[m].label = labels[b.groups[g].members[m].memberID] ?? nil }
        }
        return (a, b)
    }

    private static func ref(_ m: GroupMember) -> MemberRef {
        MemberRef(memberID: m.memberID, label: m.name, clientID: m.clientID, clientHost: m.clientHost, instanceID: m.instanceID, assignment: m.assignment)
    }

    private static func compare(id: String, _ a: Group?, _ b: Group?) -> GroupChange {
        let oldMembers = Dictionary((a?.members ?? []).map { ($0.memberID, $0) }, uniquingKeysWith: { x, _ in x })
        let newMembers = Dictionary((b?.members ?? []).map { ($0.memberID, $0) }, uniquingKeysWith: { x, _ in x })
        let added = (b?.members ?? []).filter { oldMembers[$0.memberID] == nil }.map(ref)
        let removed = (a?.members ?? []).filter { newMembers[$0.memberID] == nil }.map(ref)

        var epochs: [EpochChange] = []
        func epoch(_ field: String, _ old: Int32?, _ new: Int32?, member: GroupMember? = nil) {
            if old != new { epochs.append(EpochChange(field: field, memberID: member?.memberID, label: member?.name, old: old, new: new)) }
        }
        if let a, let b {
            epoch("groupEpoch", a.groupEpoch, b.groupEpoch)
            epoch("assignmentEpoch", a.assignmentEpoch, b.assignmentEpoch)
            epoch("generationID", a.generationID, b.generationID)
            for m in b.members {
                if let before = oldMembers[m.memberID] { epoch("memberEpoch", before.memberEpoch, m.memberEpoch, member: m) }
            }
        }

        let oldRows = Dictionary((a?.partitions ?? []).map { ($0.topicPartition, $0) }, uniquingKeysWith: { x, _ in x })
        let newRows = Dictionary((b?.partitions ?? []).map { ($0.topicPartition, $0) }, uniquingKeysWith: { x, _ in x })
        var moves: [Move] = []
        var lag: [LagChange] = []
        for tp in Set(oldRows.keys).union(newRows.keys).sorted() {
            let before = oldRows[tp], after = newRows[tp]
            if a != nil, b != nil, before?.owner != after?.owner {
                let from = before?.owner, to = after?.owner
                moves.append(Move(
                    topicPartition: tp, from: from, to: to,
                    fromLabel: from.map { id in oldMembers[id]?.name ?? a?.memberName(id) ?? id },
                    toLabel: to.map { id in newMembers[id]?.name ?? b?.memberName(id) ?? id }))
            }
            let old = before?.lag.offsets, new = after?.lag.offsets
            lag.append(LagChange(topicPartition: tp, old: old, new: new, delta: old.flatMap { o in new.map { $0 - o } }))
        }
        let status: Status
        switch (a, b) {
        case (nil, _): status = .added
        case (_, nil): status = .removed
        default:
            let lagChanged = lag.contains { $0.old != $0.new }
            status = added.isEmpty && removed.isEmpty && moves.isEmpty && epochs.isEmpty && !lagChanged && a?.state == b?.state ? .unchanged : .changed
        }
        return GroupChange(
            groupID: id, status: status, oldState: a?.state.brokerString, newState: b?.state.brokerString,
            membersAdded: added, membersRemoved: removed, moves: moves, epochs: epochs,
            oldTotalLag: a?.summary.totalLag, newTotalLag: b?.summary.totalLag, lag: lag)
    }

    /// Groups that differ (everything but unchanged).
    public var changedGroups: [GroupChange] { groups.filter { $0.status != .unchanged } }
}

// MARK: - Human output

extension SnapshotComparison {
    /// The aligned text `kgtop diff` prints: one block per group that differs.
    public func rendered(fromLabel: String = "A", toLabel: String = "B") -> String {
        var out: [String] = []
        let seconds = Double(to - from) / 1000
        out.append("diff \(fromLabel) -> \(toLabel) (\(seconds >= 0 ? "+" : "")\(Self.trim(seconds))s): \(changedGroups.count) of \(groups.count) group(s) differ")
        for g in changedGroups {
            out.append("")
            var title = "group \(g.groupID): \(g.status.rawValue)"
            if g.oldState != g.newState || g.status == .added || g.status == .removed {
                title += "  state \(g.oldState ?? "-") -> \(g.newState ?? "-")"
            } else if let s = g.newState {
                title += "  state \(s)"
            }
            title += "  lag \(g.oldTotalLag.map(String.init) ?? "-") -> \(g.newTotalLag.map(String.init) ?? "-")"
            out.append(title)
            var rows: [[String]] = []
            for m in g.membersAdded { rows.append(["+ member", m.label, Self.partitions(m.assignment), ""]) }
            for m in g.membersRemoved { rows.append(["- member", m.label, Self.partitions(m.assignment), ""]) }
            for e in g.epochs {
                let who = e.label ?? e.memberID
                rows.append(["epoch", e.field + (who.map { " \($0)" } ?? ""), "\(e.old.map(String.init) ?? "-") -> \(e.new.map(String.init) ?? "-")", ""])
            }
            for m in g.moves {
                rows.append(["move", m.topicPartition.description, "\(m.fromLabel ?? m.from ?? "(none)") -> \(m.toLabel ?? m.to ?? "(none)")", ""])
            }
            for l in g.lag where l.old != l.new {
                let delta = l.delta.map { $0 >= 0 ? "+\($0)" : "\($0)" } ?? ""
                rows.append(["lag", l.topicPartition.description, "\(l.old.map(String.init) ?? "-") -> \(l.new.map(String.init) ?? "-")", delta])
            }
            out += Self.table(rows).map { "  " + $0 }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func partitions(_ tps: [TopicPartition]) -> String {
        tps.isEmpty ? "" : tps.map(\.description).joined(separator: ",")
    }

    private static func trim(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(value)
    }

    /// Left-aligned columns, two spaces apart, trailing blanks trimmed.
    static func table(_ rows: [[String]]) -> [String] {
        guard let columns = rows.map(\.count).max() else { return [] }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
        return rows.map { row in
            var line = ""
            for (k, cell) in row.enumerated() {
                line += k == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[k] - cell.count + 2)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}

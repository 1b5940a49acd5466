import GroupModel

enum MemberColumn: Hashable, Sendable {
    case member, type, epoch, partitions, reconciling, client, host, rack, instance, memberID
}

enum PartitionColumn: Hashable, Sendable {
    case partition, owner, target, handoff, committed, logEnd, lag, timeLag, verdict
}

/// One line of the group view's list.
enum GroupViewRow {
    case title(String)
    case memberHeader
    case member(Int)
    case departed(String)
    case blank
    case partitionHeader
    case partition(Int)
    /// A line of a share or streams group's own section.
    case detail(StyledLine)
}

extension Dashboard {
    /// The member table: the label first and whole; ids, rack and host go first when the width runs out.
    static let memberColumns: [ColumnSpec<MemberColumn>] = [
        ColumnSpec(id: .member, title: "MEMBER", min: 12, max: 40, priority: 0, identity: true, shortening: .middle),
        ColumnSpec(id: .type, title: "TYPE", max: 10, priority: 5),
        ColumnSpec(id: .epoch, title: "EPOCH", max: 13, alignment: .right, priority: 1),
        ColumnSpec(id: .partitions, title: "PARTS", max: 11, alignment: .right, priority: 2),
        ColumnSpec(id: .reconciling, title: "BEHIND FOR", max: 10, alignment: .right, priority: 3, highlightsChanges: false),
        ColumnSpec(id: .client, title: "CLIENT", min: 12, max: 32, priority: 4, shortening: .middle),
        ColumnSpec(id: .host, title: "HOST", min: 12, max: 40, priority: 6, shortening: .middle),
        ColumnSpec(id: .rack, title: "RACK", max: 16, priority: 8),
        ColumnSpec(id: .instance, title: "INSTANCE", min: 12, max: 32, priority: 7, shortening: .middle),
        ColumnSpec(id: .memberID, title: "MEMBER ID", min: 12, max: 40, priority: 9, shortening: .middle),
    ]

    /// The partition board: the partition first and whole (a shortened one keeps its `-N`), then lag,
    /// hand-off, verdict and the owners; offsets and time lag go first when the width runs out.
    static let partitionColumns: [ColumnSpec<PartitionColumn>] = [
        ColumnSpec(id: .partition, title: "PARTITION", min: 12, max: 64, priority: 0, identity: true, shortening: .middle),
        ColumnSpec(id: .owner, title: "OWNER", max: 40, priority: 4, shortening: .middle),
        ColumnSpec(id: .target, title: "TARGET", max: 40, priority: 5, shortening: .middle),
        ColumnSpec(id: .handoff, title: "HAND-OFF", max: 12, priority: 2),
        ColumnSpec(id: .committed, title: "COMMITTED", max: 20, alignment: .right, priority: 6),
        ColumnSpec(id: .logEnd, title: "LOG END", max: 20, alignment: .right, priority: 7),
        ColumnSpec(id: .lag, title: "LAG", max: 20, alignment: .right, priority: 1),
        ColumnSpec(id: .timeLag, title: "TIME LAG", max: 10, alignment: .right, priority: 8),
        ColumnSpec(id: .verdict, title: "VERDICT", max: 11, priority: 3),
    ]

    func groupContent(_ update: DashboardUpdate, width: Int) -> ViewContent {
        guard let groupID = state.selectedGroupID, let group = update.snapshot.group(groupID) else {
            let message = state.selectedGroupID.map { "group \($0) is not in the latest snapshot" } ?? "no group selected: pick one in the Groups view (1) and press Enter"
            return ViewContent(fixed: [StyledLine(" Group", .sectionTitle)], empty: message)
        }
        let insight = update.insights[groupID]
        let filter = state.effectiveFilter(.group).map(matcher)

        var rows: [GroupViewRow] = []
        let members = group.members.indices.filter { i in
            let m = group.members[i]
            return filter.map { $0.matches(m.name) || $0.matches(m.memberID) || $0.matches(m.clientID) || $0.matches(m.clientHost) || $0.matches(m.instanceID ?? "") } ?? true
        }
        rows.append(.title("MEMBERS \(members.count)" + (members.count == group.members.count ? "" : " of \(group.members.count)")))
        rows.append(.memberHeader)
        rows += members.map(GroupViewRow.member)
        rows += (insight?.recentlyLeft ?? []).map(GroupViewRow.departed)
        rows.append(.blank)
        let typeLines = group.type == .streams ? Self.streamsTaskLines(group, width: width)
            : group.type == .share ? Self.sharedPartitionLines(group, width: width) : []
        if !typeLines.isEmpty {
            rows += typeLines.map(GroupViewRow.detail)
            rows.append(.blank)
        }
        let partitions = group.partitions.indices.filter { i in
            let p = group.partitions[i]
            return filter.map { $0.matches(p.topicPartition.description) || $0.matches(p.owner.map(group.memberName) ?? "") || $0.matches(p.targetOwner.map(group.memberName) ?? "") } ?? true
        }
        rows.append(.title("PARTITIONS \(partitions.count)" + (partitions.count == group.partitions.count ? "" : " of \(group.partitions.count)")))
        rows.append(.partitionHeader)
        rows += partitions.map(GroupViewRow.partition)

        let now = self.now
        // Widths from content: every member's cells; for partitions, the name, the owners' labels
        // (as wide as the widest label) and the offsets by their digits.
        var memberContent = ColumnContent<MemberColumn>()
        var labelWidth = 0
        for member in group.members {
            memberContent.measure(Self.memberCells(member, group: group, insight: insight?.members[member.memberID], now: now))
            labelWidth = max(labelWidth, DisplayWidth.of(member.name))
        }
        var partitionContent = ColumnContent<PartitionColumn>()
        for i in partitions {
            let row = group.partitions[i]
            partitionContent.measure(.partition, row.topicPartition.description)
            partitionContent.measure(.owner, width: row.owner == nil ? 1 : labelWidth, placeholder: row.owner == nil)
            partitionContent.measure(.target, width: row.targetOwner == nil ? 1 : labelWidth, placeholder: row.targetOwner == nil)
            partitionContent.measure(.handoff, Self.handoffText(row.handoff).0)
            partitionContent.measure(.committed, width: row.committedOffset.map { GroupsCache.digits(Int($0)) } ?? 4)
            partitionContent.measure(.logEnd, width: row.logEnd.map { GroupsCache.digits(Int($0)) } ?? 1)
            if case .known(let lag) = row.lag { partitionContent.measure(.lag, width: GroupsCache.digits(Int(lag))) } else { partitionContent.measure(.lag, "?") }
        }
        if !partitions.isEmpty {
            partitionContent.measure(.timeLag, width: 8, placeholder: insight?.maxTimeLagMs == nil)
            // REBALANCING (11 columns) only while partitions move; else the longest is 7.
            let moving = group.state.isRebalancing || group.summary.pendingRevocation + group.summary.awaitingRelease + group.summary.partitionsUnowned > 0
            partitionContent.measure(.verdict, width: moving ? 11 : 7, placeholder: insight?.verdict == nil)
        }
        let memberLayout = TableLayout(Self.memberColumns, content: memberContent, width: width)
        let partitionLayout = TableLayout(Self.partitionColumns, content: partitionContent, width: width)
        let changes = self.changes
        return ViewContent(
            fixed: Self.groupSummary(group, insight: insight, filter: state.effectiveFilter(.group))
                + Self.episodeSummary(update.episodes?.first { $0.groupID == groupID && $0.isOngoing }, width: width, now: now),
            count: rows.count,
            row: { index in
                switch rows[index] {
                case .title(let text): return StyledLine(" " + text, .sectionTitle)
                case .memberHeader: return memberLayout.header()
                case .partitionHeader: return partitionLayout.header()
                case .blank: return StyledLine()
                case .detail(let line): return line
                case .departed(let who):
                    return StyledLine(" " + Format.fit("left: \(who)", max(0, width - 1)), .memberLeft)
                case .member(let i):
                    let member = group.members[i]
                    return memberLayout.row(Self.memberCells(member, group: group, insight: insight?.members[member.memberID], now: now),
                                            key: "member\u{1F}\(groupID)\u{1F}\(member.memberID)", changes: changes)
                case .partition(let i):
                    let row = group.partitions[i]
                    return partitionLayout.row(Self.partitionCells(row, group: group, insight: insight?.partitions[row.topicPartition]),
                                               key: "partition\u{1F}\(groupID)\u{1F}\(row.topicPartition)", changes: changes)
                }
            },
            empty: "")
    }

    /// A streams group's section: its topology (which topics each subtopology reads), then each
    /// member's active, standby and warm-up tasks per subtopology (`0:[1,4]` is tasks 1 and 4 of
    /// subtopology 0), with the target where it differs.
    static func streamsTaskLines(_ group: Group, width: Int) -> [StyledLine] {
        var lines = [StyledLine(" TOPOLOGY \(group.subtopologies?.count ?? 0) subtopologies", .sectionTitle)]
        for s in group.subtopologies ?? [] {
            var line = StyledLine("   " + s.subtopologyID, .normal)
            line.append("  reads " + (s.sourceTopics.isEmpty ? "-" : s.sourceTopics.joined(separator: ", ")), .dim)
            lines.append(line)
        }
        if (group.subtopologies ?? []).isEmpty { lines.append(StyledLine("   not reported", .dim)) }
        lines.append(StyledLine(" TASKS active / standby / warm-up", .sectionTitle))
        func text(_ sets: [StreamsTaskSet]) -> String {
            sets.isEmpty ? "-" : sets.map { "\($0.subtopologyID):[\($0.partitions.map(String.init).joined(separator: ","))]" }.joined(separator: " ")
        }
        let nameWidth = min(32, max(6, group.members.map { DisplayWidth.of($0.name) }.max() ?? 6))
        for member in group.members {
            let tasks = member.streamsTasks ?? StreamsTasks()
            var line = StyledLine("   " + Format.fit(Format.shortenMiddle(member.name, nameWidth), nameWidth), .normal)
            line.append("  active ", .dim)
            line.append(text(tasks.active), .normal)
            line.append("  standby ", .dim)
            line.append(text(tasks.standby), .normal)
            line.append("  warm-up ", .dim)
            line.append(text(tasks.warmup), tasks.warmup.isEmpty ? .normal : .rebalancing)
            if let target = member.streamsTargetTasks, target != tasks {
                line.append("  → active ", .rebalancing)
                line.append(text(target.active), .rebalancing)
            }
            lines.append(line)
        }
        if group.members.isEmpty { lines.append(StyledLine("   no members", .dim)) }
        return lines
    }

    /// A share group's section: partitions read by more than one member (a share group may give
    /// one partition to several members; the partition board names the first as owner).
    static func sharedPartitionLines(_ group: Group, width: Int) -> [StyledLine] {
        var readers: [TopicPartition: [String]] = [:]
        for member in group.members {
            for tp in member.assignment { readers[tp, default: []].append(member.name) }
        }
        let shared = readers.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        var lines = [StyledLine(" SHARED PARTITIONS \(shared.count)", .sectionTitle)]
        if shared.isEmpty { lines.append(StyledLine("   none: each partition is read by one member", .dim)) }
        for (tp, names) in shared {
            var line = StyledLine("   " + tp.description, .normal)
            line.append("  read by " + names.joined(separator: ", "), .dim)
            lines.append(line)
        }
        return lines
    }

    static func groupSummary(_ group: Group, insight: GroupInsight?, filter: String?) -> [StyledLine] {
        var first = StyledLine(" " + group.groupID, .sectionTitle)
        first.append("  \(group.protocol == .unknown ? (group.type.brokerString.isEmpty ? "unknown" : group.type.brokerString) : group.protocol.rawValue)", .normal)
        first.append("  " + Format.state(group.state), Format.stateRole(group.state))
        if let groupEpoch = group.groupEpoch {
            let converged = group.assignmentEpoch == groupEpoch && group.summary.membersBehindAssignmentEpoch.isEmpty
            first.append("  epoch \(groupEpoch) target \(group.assignmentEpoch.map(String.init) ?? "?")", converged ? .normal : .rebalancing)
        } else if let generation = group.generationID {
            first.append("  generation \(generation)", .normal)
        }
        first.append("  assignor \(group.assignor ?? "-")", .normal)
        if let coordinator = group.coordinatorID { first.append("  coordinator \(coordinator)", .dim) }

        let summary = group.summary
        var second = StyledLine(" lag ", .dim)
        if !group.lagApplies {
            second.append("-", .dim)
            second.append(" (not applicable: a share group commits no offsets)", .dim)
        } else if !group.partitions.isEmpty && summary.partitionsLagUnknown == group.partitions.count {
            second.append("unknown", .stale)
        } else {
            second.append(Format.grouped(summary.totalLag) + (summary.partitionsLagUnknown > 0 ? "+ (\(summary.partitionsLagUnknown) unknown)" : ""),
                          insight?.verdict?.lagRole ?? (summary.totalLag == 0 ? .lagOK : .normal))
        }
        if let maxLag = summary.maxLag, let partition = summary.maxLagPartition, maxLag > 0 {
            second.append(" max \(Format.grouped(maxLag)) on \(partition)", .dim)
        }
        if let timeLag = insight?.maxTimeLagMs {
            second.append("  time lag \(Format.timeLag(ms: timeLag, bound: insight?.maxTimeLagIsBound ?? false))", .normal)
        }
        if summary.pendingRevocation > 0 { second.append("  \(summary.pendingRevocation) revoking", .rebalancing) }
        if summary.awaitingRelease > 0 { second.append("  \(summary.awaitingRelease) awaiting", .rebalancing) }
        if summary.partitionsUnowned > 0 { second.append("  \(summary.partitionsUnowned) unowned", .lagCritical) }
        if !summary.membersBehindAssignmentEpoch.isEmpty {
            second.append("  \(summary.membersBehindAssignmentEpoch.count) behind epoch", .rebalancing)
        }
        if let verdict = insight?.verdict {
            second.append("  verdict ", .dim)
            second.append(verdict.rawValue, verdict.role)
            if let reason = insight?.verdictReason { second.append(" " + reason, .normal) }
        }
        var lines = [first, second]
        if let error = group.error { lines.append(StyledLine(" error: \(error)", .errorText)) }
        if let filter {
            var line = StyledLine(" filter ", .dim)
            line.append("/\(filter)/", .filter)
            lines.append(line)
        }
        return lines
    }

    /// The group's ongoing rebalance: causes, time, estimate, progress, and what blocks it.
    static func episodeSummary(_ episode: EpisodeRow?, width: Int, now: Int64) -> [StyledLine] {
        guard let episode else { return [] }
        var line = StyledLine(" rebalancing ", .rebalancing, .bold)
        line.append(episode.trigger, .normal)
        line.append("  running \(Format.duration(ms: now - episode.startedAt))", .warnText)
        if let estimate = episode.estimatedDurationMs { line.append("  estimate ~\(Format.duration(ms: estimate))", .dim) }
        line.append("  members \(episode.membersReconciled)/\(episode.membersTotal)  partitions \(episode.partitionsSettled)/\(episode.partitionsTotal)", .normal)
        return [line] + blockingLines(episode, width: width, indent: " ")
    }

    /// A member's cells, by column (the layout shortens what does not fit).
    static func memberCells(_ member: GroupMember, group: Group, insight: MemberInsight?, now: Int64) -> [MemberColumn: Span] {
        var cells: [MemberColumn: Span] = [:]
        cells[.member] = Span(member.name, insight?.recentlyJoined == true ? .memberJoined : .normal)
        cells[.memberID] = Span(member.memberID, .dim)
        cells[.type] = Span(member.memberType.rawValue, member.memberType == .classic && group.type == .consumer ? .rebalancing : .normal)
        let behind = !member.isReconciled(assignmentEpoch: group.assignmentEpoch)
        if let epoch = member.memberEpoch {
            let target = group.assignmentEpoch.map { behind ? "→\($0)" : "" } ?? ""
            cells[.epoch] = Span("\(epoch)\(target)", insight?.stuck == true ? .lagCritical : behind ? .rebalancing : .normal)
        } else if let generation = member.generationID {
            cells[.epoch] = Span("gen \(generation)", .normal)
        } else {
            cells[.epoch] = Span("-", .dim)
        }
        let current = member.assignment.count
        if let target = member.targetAssignment?.count, target != current || member.assignment != member.targetAssignment {
            cells[.partitions] = Span("\(current)→\(target)", .rebalancing)
        } else {
            cells[.partitions] = Span(String(current), .normal)
        }
        if let since = insight?.reconcilingSince {
            cells[.reconciling] = Span(Format.duration(ms: now - since) + (insight?.stuck == true ? " !" : ""), insight?.stuck == true ? .lagCritical : .rebalancing)
        } else {
            cells[.reconciling] = Span(behind ? "yes" : "-", behind ? .rebalancing : .dim)
        }
        cells[.client] = Span(member.clientID)
        cells[.host] = Span(member.host)
        cells[.rack] = Span(member.rackID ?? "-", member.rackID == nil ? .dim : .normal)
        cells[.instance] = Span(member.instanceID ?? "-", member.instanceID == nil ? .dim : .normal)
        return cells
    }

    static func handoffText(_ state: HandoffState) -> (String, ThemeRole) {
        switch state {
        case .settled: return ("settled", .dim)
        case .pendingRevocation: return ("revoking", .rebalancing)
        case .awaitingRelease: return ("awaiting", .rebalancing)
        case .unowned: return ("UNOWNED", .lagCritical)
        case .notAssigned: return ("not assigned", .dim)
        }
    }

    /// A partition's cells, by column (the layout shortens what does not fit).
    static func partitionCells(_ row: GroupPartition, group: Group, insight: PartitionInsight?) -> [PartitionColumn: Span] {
        var cells: [PartitionColumn: Span] = [:]
        cells[.partition] = Span(row.topicPartition.description, row.error != nil ? .errorText : .normal)
        cells[.owner] = row.owner.map { Span(group.memberName($0)) } ?? Span("-", .dim)
        if let target = row.targetOwner {
            cells[.target] = Span(group.memberName(target), target == row.owner ? .normal : .rebalancing)
        } else {
            cells[.target] = Span("-", .dim)
        }
        let (text, role) = handoffText(row.handoff)
        cells[.handoff] = Span(text, role)
        cells[.committed] = row.committedOffset.map { Span(String($0)) } ?? Span("none", .dim)
        cells[.logEnd] = row.logEnd.map { Span(String($0)) } ?? Span("?", .stale)
        switch row.lag {
        case .known(let lag):
            cells[.lag] = Span(String(lag), insight?.verdict?.lagRole ?? (lag == 0 ? .lagOK : .normal))
        case .unknown:
            cells[.lag] = row.lag.isNotApplicable ? Span("-", .dim) : Span("?", .stale)
        }
        cells[.timeLag] = insight?.timeLagMs.map { Span(Format.timeLag(ms: $0, bound: insight?.timeLagIsBound ?? false)) } ?? Span("-", .dim)
        cells[.verdict] = insight?.verdict.map { Span($0.rawValue, $0.role) } ?? Span("-", .dim)
        return cells
    }
}

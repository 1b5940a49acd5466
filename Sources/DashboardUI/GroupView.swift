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
    static let memberColumns: [ColumnSpec<MemberColumn>] = [
        ColumnSpec(id: .member, title: "MEMBER", width: 12, priority: 0, flexible: true, maxWidth: 32),
        ColumnSpec(id: .type, title: "TYPE", width: 8, priority: 5),
        ColumnSpec(id: .epoch, title: "EPOCH", width: 9, alignment: .right, priority: 1),
        ColumnSpec(id: .partitions, title: "PARTS", width: 7, alignment: .right, priority: 2),
        ColumnSpec(id: .reconciling, title: "BEHIND FOR", width: 10, alignment: .right, priority: 3),
        ColumnSpec(id: .client, title: "CLIENT", width: 16, priority: 4),
        ColumnSpec(id: .host, title: "HOST", width: 15, priority: 6),
        ColumnSpec(id: .rack, title: "RACK", width: 8, priority: 8),
        ColumnSpec(id: .instance, title: "INSTANCE", width: 14, priority: 7),
        ColumnSpec(id: .memberID, title: "MEMBER ID", width: 22, priority: 9),
    ]

    static let partitionColumns: [ColumnSpec<PartitionColumn>] = [
        ColumnSpec(id: .partition, title: "PARTITION", width: 12, priority: 0, flexible: true, maxWidth: 48),
        ColumnSpec(id: .owner, title: "OWNER", width: 14, priority: 4),
        ColumnSpec(id: .target, title: "TARGET", width: 14, priority: 5),
        ColumnSpec(id: .handoff, title: "HAND-OFF", width: 12, priority: 2),
        ColumnSpec(id: .committed, title: "COMMITTED", width: 11, alignment: .right, priority: 6),
        ColumnSpec(id: .logEnd, title: "LOG END", width: 11, alignment: .right, priority: 7),
        ColumnSpec(id: .lag, title: "LAG", width: 9, alignment: .right, priority: 1),
        ColumnSpec(id: .timeLag, title: "TIME LAG", width: 8, alignment: .right, priority: 8),
        ColumnSpec(id: .verdict, title: "VERDICT", width: 7, priority: 3),
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

        // Widths from content: the member and owner columns as wide as the longest label (up to
        // 32), the partition column as wide as the longest partition name (up to 48).
        var nameWidth = 6
        for i in group.members.indices { nameWidth = max(nameWidth, DisplayWidth.of(group.members[i].name)) }
        nameWidth = min(32, nameWidth)
        var partitionWidth = 9
        for i in partitions { partitionWidth = max(partitionWidth, DisplayWidth.of(group.partitions[i].topicPartition.description)) }
        partitionWidth = min(48, partitionWidth)
        let memberLayout = TableLayout(Self.memberColumns.map { spec in
            var spec = spec
            if spec.id == .member { spec.width = nameWidth; spec.flexible = false }
            return spec
        }, width: width)
        let partitionLayout = TableLayout(Self.partitionColumns.map { spec in
            var spec = spec
            switch spec.id {
            case .partition: spec.width = partitionWidth; spec.flexible = false
            case .owner, .target: spec.width = max(spec.title.count, nameWidth)
            default: break
            }
            return spec
        }, width: width)
        let now = self.now
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
                    return Self.memberRow(group.members[i], group: group, insight: insight?.members[group.members[i].memberID], layout: memberLayout, now: now)
                case .partition(let i):
                    return Self.partitionRow(group.partitions[i], group: group, insight: insight?.partitions[group.partitions[i].topicPartition], layout: partitionLayout)
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

    static func memberRow(_ member: GroupMember, group: Group, insight: MemberInsight?, layout: TableLayout<MemberColumn>, now: Int64) -> StyledLine {
        var cells: [MemberColumn: Span] = [:]
        cells[.member] = Span(Format.shortenMiddle(member.name, layout.width(of: .member)), insight?.recentlyJoined == true ? .memberJoined : .normal)
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
        return layout.row(cells)
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

    static func partitionRow(_ row: GroupPartition, group: Group, insight: PartitionInsight?, layout: TableLayout<PartitionColumn>) -> StyledLine {
        var cells: [PartitionColumn: Span] = [:]
        cells[.partition] = Span(row.topicPartition.description, row.error != nil ? .errorText : .normal)
        cells[.owner] = row.owner.map { Span(Format.shortenMiddle(group.memberName($0), layout.width(of: .owner))) } ?? Span("-", .dim)
        if let target = row.targetOwner {
            cells[.target] = Span(Format.shortenMiddle(group.memberName(target), layout.width(of: .target)), target == row.owner ? .normal : .rebalancing)
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
        return layout.row(cells)
    }
}

import GroupModel

/// A line of a document-like view, with the group it drills into.
struct DocumentLine {
    var line: StyledLine
    var groupID: String?

    init(_ line: StyledLine, group: String? = nil) {
        self.line = line
        self.groupID = group
    }
}

enum EpisodeColumn: Hashable, Sendable {
    case group, protocolName, trigger, started, duration, epochs, members, outcome
}

enum ErrorColumn: Hashable, Sendable {
    case age, severity, source, group, message
}

enum InventoryColumn: Hashable, Sendable {
    case protocolName, assignor, groups, members
}

extension Dashboard {
    static func documentContent(_ lines: [DocumentLine], fixed: [StyledLine] = [], empty: String) -> ViewContent {
        ViewContent(
            fixed: fixed, count: lines.count,
            row: { lines[$0].line },
            groupAt: { $0 < lines.count ? lines[$0].groupID : nil },
            empty: empty)
    }

    // MARK: - Rebalances

    /// The finished-episodes table: the group first and whole, then trigger, duration and start.
    static let episodeColumns: [ColumnSpec<EpisodeColumn>] = [
        ColumnSpec(id: .group, title: "GROUP", min: 16, max: 64, priority: 0, identity: true, shortening: .middle),
        ColumnSpec(id: .protocolName, title: "PROTOCOL", max: 12, priority: 5),
        ColumnSpec(id: .trigger, title: "TRIGGER", min: 16, max: 48, priority: 1),
        ColumnSpec(id: .started, title: "STARTED", max: 9, alignment: .right, priority: 3, highlightsChanges: false),
        ColumnSpec(id: .duration, title: "DURATION", max: 9, alignment: .right, priority: 2),
        ColumnSpec(id: .epochs, title: "EPOCH", max: 13, alignment: .right, priority: 6),
        ColumnSpec(id: .members, title: "MEMB", max: 6, alignment: .right, priority: 7),
        ColumnSpec(id: .outcome, title: "OUTCOME", max: 16, priority: 4),
    ]

    func rebalancesContent(_ update: DashboardUpdate, width: Int) -> ViewContent {
        guard let episodes = update.episodes else {
            return Self.documentContent([], fixed: [StyledLine(" Rebalances", .sectionTitle)], empty: "no rebalance history from this data source yet")
        }
        let matcher = state.effectiveFilter(.rebalances).map(matcher)
        let shown = episodes.filter { matcher?.matches($0.groupID) ?? true }
        let ongoing = shown.filter(\.isOngoing).sorted { ($0.startedAt, $0.groupID) < ($1.startedAt, $1.groupID) }
        let finished = shown.filter { !$0.isOngoing }.sorted { ($0.endedAt ?? 0, $0.groupID) > ($1.endedAt ?? 0, $1.groupID) }
        var lines: [DocumentLine] = []
        lines.append(DocumentLine(StyledLine(" ONGOING \(ongoing.count)", .sectionTitle)))
        if ongoing.isEmpty { lines.append(DocumentLine(StyledLine("   none: every group is settled", .dim))) }
        for episode in ongoing { lines += ongoingLines(episode, width: width) }
        lines.append(DocumentLine(StyledLine()))
        lines.append(DocumentLine(StyledLine(" FINISHED \(finished.count)", .sectionTitle)))
        let finishedCells = finished.map { episodeCells($0) }
        var content = ColumnContent<EpisodeColumn>()
        for cells in finishedCells { content.measure(cells) }
        let layout = TableLayout(Self.episodeColumns, content: content, width: width)
        lines.append(DocumentLine(layout.header()))
        for (episode, cells) in zip(finished, finishedCells) {
            lines.append(DocumentLine(layout.row(cells), group: episode.groupID))
        }
        var counts: [String: Int] = [:]
        for episode in shown { counts[episode.groupID, default: 0] += 1 }
        lines.append(DocumentLine(StyledLine()))
        lines.append(DocumentLine(StyledLine(" REBALANCES PER GROUP", .sectionTitle)))
        for (group, count) in counts.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            var line = StyledLine("   " + Format.fit(Format.shortenMiddle(group, max(8, min(64, width - 12))), max(8, min(64, width - 12))), .normal)
            line.append(" " + Format.fit(String(count), 6, right: true), .normal)
            lines.append(DocumentLine(line, group: group))
        }
        let fixed = state.effectiveFilter(.rebalances).map { filter -> [StyledLine] in
            var line = StyledLine(" filter ", .dim)
            line.append("/\(filter)/", .filter)
            return [line]
        } ?? []
        return Self.documentContent(lines, fixed: fixed, empty: "")
    }

    /// A finished episode's cells, by column.
    private func episodeCells(_ episode: EpisodeRow) -> [EpisodeColumn: Span] {
        var cells: [EpisodeColumn: Span] = [:]
        cells[.group] = Span(episode.groupID)
        cells[.protocolName] = Span(episode.groupProtocol.rawValue)
        cells[.trigger] = Span(episode.trigger)
        cells[.started] = Span(Format.age(ms: now - episode.startedAt) + " ago", .dim)
        if let ended = episode.endedAt, ended == episode.startedAt {
            // Started and ended between two polls: nothing was measured.
            cells[.duration] = Span("<1 poll", .dim)
        } else {
            cells[.duration] = Span(Format.duration(ms: (episode.endedAt ?? now) - episode.startedAt))
        }
        cells[.epochs] = Self.epochText(episode).map { Span($0) } ?? Span("-", .dim)
        cells[.members] = Span(String(episode.membersTotal))
        let outcome = episode.outcome ?? "completed"
        cells[.outcome] = Span(outcome, outcome == "completed" ? .normal : .warnText)
    return cells
    }

    private func ongoingLines(_ episode: EpisodeRow, width: Int) -> [DocumentLine] {
        var lines: [DocumentLine] = []
        var head = StyledLine("  " + episode.groupID, .rebalancing, .bold)
        head.append("  \(episode.groupProtocol.rawValue)", .normal)
        if let epochs = Self.epochText(episode) {
            head.append("  \(episode.groupProtocol == .classic ? "generation" : "epoch") \(epochs)", .rebalancing)
        }
        head.append("  \(episode.trigger)", .normal)
        head.append("  running \(Format.duration(ms: now - episode.startedAt))", .warnText)
        if let estimate = episode.estimatedDurationMs {
            head.append("  estimate ~\(Format.duration(ms: estimate))", .dim)
        }
        for line in Format.wrap(head, width: width, indent: "    ") { lines.append(DocumentLine(line, group: episode.groupID)) }

        let barWidth = max(8, min(30, (width - 44) / 2))
        var bars = StyledLine("    members    ", .dim)
        bars.spans += Format.bar(done: episode.membersReconciled, total: episode.membersTotal, width: barWidth)
        bars.append(" " + Format.fit("\(episode.membersReconciled)/\(episode.membersTotal)", 7), .normal)
        bars.append("  partitions ", .dim)
        bars.spans += Format.bar(done: episode.partitionsSettled, total: episode.partitionsTotal, width: barWidth)
        bars.append(" \(episode.partitionsSettled)/\(episode.partitionsTotal)", .normal)
        lines.append(DocumentLine(bars, group: episode.groupID))
        for line in Self.blockingLines(episode, width: width, indent: "    ") { lines.append(DocumentLine(line, group: episode.groupID)) }

        // Epoch convergence: one line per member; the strip spans start..now, filled from the moment
        // the member reached the target epoch.
        let span = max(1, now - episode.startedAt)
        let stripWidth = max(6, min(40, width - 60))
        let labelWidth = max(8, min(24, width - stripWidth - 36))
        for member in episode.members.sorted(by: { ($0.reachedAt ?? Int64.max, $0.label, $0.memberID) < ($1.reachedAt ?? Int64.max, $1.label, $1.memberID) }) {
            var line = StyledLine("    " + Format.fit(member.label, labelWidth), .normal)
            let from = member.fromEpoch.map(String.init) ?? "new"
            let current = member.currentEpoch.map(String.init) ?? "?"
            line.append(" " + Format.fit("\(from)→\(current)", 9, right: true) + " ", member.reachedAt == nil ? .rebalancing : .normal)
            let reachedCell = member.reachedAt.map { Int((($0 - episode.startedAt) * Int64(stripWidth)) / span) }
            let doneCells = reachedCell.map { stripWidth - min(stripWidth, max(0, $0)) } ?? 0
            line.append(String(repeating: "·", count: stripWidth - doneCells), .progressTodo)
            line.append(String(repeating: "█", count: doneCells), .progressDone)
            if let reached = member.reachedAt {
                line.append("  reached +\(Format.duration(ms: reached - episode.startedAt))", .lagOK)
            } else {
                line.append("  waiting \(Format.duration(ms: now - episode.startedAt))", .rebalancing)
            }
            lines.append(DocumentLine(line, group: episode.groupID))
        }
        return lines
    }

    /// `5→7`, `→7` or `5→` for the epochs (generations) an episode knows; `nil` when it knows none
    /// (a classic group whose members do not send their generation).
    static func epochText(_ episode: EpisodeRow) -> String? {
        if episode.fromEpoch == nil && episode.targetEpoch == nil { return nil }
        return "\(episode.fromEpoch.map(String.init) ?? "")→\(episode.targetEpoch.map(String.init) ?? "")"
    }

    /// The blocked hand-offs of an ongoing episode, one each (at most five, then a count), and a
    /// line naming the members past their limit as the cause of the stall; each wrapped between
    /// words at `width`, so the `past limit` marker and the names stay whole.
    static func blockingLines(_ episode: EpisodeRow, width: Int, indent: String) -> [StyledLine] {
        guard !episode.blocking.isEmpty else { return [] }
        var lines: [StyledLine] = []
        func add(_ line: StyledLine) { lines += Format.wrap(line, width: width, indent: indent + "  ") }
        var stalled: [String: [BlockedHandoff]] = [:]
        for item in episode.blocking.prefix(5) {
            var line = StyledLine(indent + "blocked ", .dim)
            let partition = Format.shortenMiddle(item.topicPartition.description, 32)
            line.append(DisplayWidth.of(partition) < 14 ? Format.fit(partition, 14) : partition, item.pastLimit ? .lagCritical : .rebalancing)
            var text = " held by "
            if let holder = item.holderLabel {
                text += holder
                if let host = item.holderHost, !host.isEmpty, !holder.contains(host) { text += " on \(host)" }
            } else {
                text += "nobody known"
            }
            text += " for \(Format.duration(ms: item.blockedForMs))"
            if let waiter = item.waiterLabel { text += " → \(waiter)" }
            line.append(text, .normal)
            if item.pastLimit { line.append("  past limit", .lagCritical) }
            add(line)
            if item.pastLimit, let holder = item.holderLabel { stalled[holder, default: []].append(item) }
        }
        if episode.blocking.count > 5 {
            add(StyledLine(indent + "blocked … \(episode.blocking.count - 5) more partitions", .dim))
        }
        for item in episode.blocking.dropFirst(5) where item.pastLimit {
            if let holder = item.holderLabel { stalled[holder, default: []].append(item) }
        }
        for (holder, items) in stalled.sorted(by: { $0.key < $1.key }) {
            var line = StyledLine(indent + "stalled by ", .lagCritical, .bold)
            line.append(holder, .lagCritical, .bold)
            line.append(": holds \(items.count) partition(s) past \(items[0].limit)", .lagCritical)
            add(line)
        }
        return lines
    }

    // MARK: - Protocols

    /// The protocols view's inventory: groups and members by protocol and assignor.
    static let inventoryColumns: [ColumnSpec<InventoryColumn>] = [
        ColumnSpec(id: .protocolName, title: "PROTOCOL", max: 12, priority: 0, identity: true),
        ColumnSpec(id: .assignor, title: "ASSIGNOR", max: 40, priority: 1, shortening: .middle),
        ColumnSpec(id: .groups, title: "GROUPS", max: 9, alignment: .right, priority: 2),
        ColumnSpec(id: .members, title: "MEMBERS", max: 9, alignment: .right, priority: 3),
    ]

    func protocolsContent(_ update: DashboardUpdate, width: Int) -> ViewContent {
        let snapshot = update.snapshot
        var lines: [DocumentLine] = []
        lines.append(DocumentLine(StyledLine(" KIP-848 CONSUMER PROTOCOL", .sectionTitle)))
        var kip = StyledLine("   brokers: ", .dim)
        switch snapshot.cluster.kip848Enabled {
        case true?:
            kip.append("enabled", .lagOK)
            kip.append(" (group.version \(snapshot.cluster.finalizedFeatures["group.version"] ?? 0))", .dim)
        case false?:
            kip.append("disabled", .warnText)
            kip.append(" (group.version not finalized: consumer-protocol groups cannot form)", .dim)
        case nil:
            kip.append("unknown", .stale)
            kip.append(" (no feature levels reported)", .dim)
        }
        lines.append(DocumentLine(kip))
        lines.append(DocumentLine(StyledLine()))

        // Inventory by protocol and assignor.
        struct Key: Hashable, Comparable {
            var proto: String
            var assignor: String
            static func < (a: Key, b: Key) -> Bool { (a.proto, a.assignor) < (b.proto, b.assignor) }
        }
        var inventory: [Key: (groups: Int, members: Int)] = [:]
        var mixed: [Group] = []
        var movable: [Group] = []
        for group in snapshot.groups {
            let key = Key(proto: group.protocol.rawValue, assignor: group.assignor ?? "-")
            let old = inventory[key] ?? (0, 0)
            inventory[key] = (old.groups + 1, old.members + group.members.count)
            if group.protocol == .mixed { mixed.append(group) }
            if group.protocol == .classic && (group.protocolType ?? "consumer") == "consumer" { movable.append(group) }
        }
        // Every group type has a row, with none of it as well.
        for proto in [GroupProtocol.classic, .consumer, .mixed, .share, .streams] where !inventory.keys.contains(where: { $0.proto == proto.rawValue }) {
            inventory[Key(proto: proto.rawValue, assignor: "-")] = (0, 0)
        }
        lines.append(DocumentLine(StyledLine(" GROUPS BY PROTOCOL AND ASSIGNOR", .sectionTitle)))
        let inventoryCells = inventory.sorted(by: { $0.key < $1.key }).map { key, value -> [InventoryColumn: Span] in
            [.protocolName: Span(key.proto), .assignor: Span(key.assignor), .groups: Span(String(value.groups)), .members: Span(String(value.members))]
        }
        var inventoryContent = ColumnContent<InventoryColumn>()
        for cells in inventoryCells { inventoryContent.measure(cells) }
        let inventoryLayout = TableLayout(Self.inventoryColumns, content: inventoryContent, width: width)
        lines.append(DocumentLine(inventoryLayout.header()))
        for cells in inventoryCells { lines.append(DocumentLine(inventoryLayout.row(cells))) }
        if inventory.isEmpty { lines.append(DocumentLine(StyledLine("   no groups", .dim))) }
        lines.append(DocumentLine(StyledLine()))

        lines.append(DocumentLine(StyledLine(" MIXED GROUPS (online migration in progress) \(mixed.count)", .sectionTitle)))
        if mixed.isEmpty { lines.append(DocumentLine(StyledLine("   none", .dim))) }
        for group in mixed {
            let classic = group.members.filter { $0.memberType == .classic }.count
            var line = StyledLine("   " + Format.fit(Format.shortenMiddle(group.groupID, max(8, min(40, width - 40))), max(8, min(40, width - 40))), .normal)
            line.append("  \(classic) classic / \(group.members.count) members", .rebalancing)
            lines.append(DocumentLine(line, group: group.groupID))
        }
        lines.append(DocumentLine(StyledLine()))

        lines += Self.shareAndStreamsLines(snapshot, width: width)
        lines.append(DocumentLine(StyledLine()))

        lines.append(DocumentLine(StyledLine(" CLASSIC GROUPS THAT COULD MOVE TO KIP-848 \(movable.count)", .sectionTitle)))
        if movable.isEmpty { lines.append(DocumentLine(StyledLine("   none", .dim))) }
        for group in movable {
            var line = StyledLine("   " + Format.fit(Format.shortenMiddle(group.groupID, max(8, min(40, width - 44))), max(8, min(40, width - 44))), .normal)
            line.append("  assignor \(group.assignor ?? "-")  \(group.members.count) members", .dim)
            lines.append(DocumentLine(line, group: group.groupID))
        }
        lines.append(DocumentLine(StyledLine()))

        lines.append(DocumentLine(StyledLine(" BROKER GROUP SETTINGS", .sectionTitle)))
        if let settings = update.brokerSettings {
            if settings.isEmpty { lines.append(DocumentLine(StyledLine("   none reported", .dim))) }
            let keyWidth = min(48, settings.map { DisplayWidth.of($0.key) }.max() ?? 10)
            for setting in settings.sorted(by: { $0.key < $1.key }) {
                var line = StyledLine("   " + Format.fit(setting.key, keyWidth), .normal)
                line.append(" = ", .dim)
                line.append(setting.value, .normal)
                if let source = setting.source { line.append("  (\(source))", .dim) }
                lines.append(DocumentLine(line))
            }
        } else {
            lines.append(DocumentLine(StyledLine("   not read by this data source", .dim)))
        }
        return Self.documentContent(lines, empty: "")
    }

    /// The protocols view's share and streams section: per type, whether the brokers describe it
    /// (the poll's one note when a coordinator lacks the API), then each group with its state,
    /// epochs and members.
    static func shareAndStreamsLines(_ snapshot: ClusterSnapshot, width: Int) -> [DocumentLine] {
        var lines = [DocumentLine(StyledLine(" SHARE AND STREAMS GROUPS", .sectionTitle))]
        for (proto, api) in [(GroupProtocol.share, "ShareGroupDescribe"), (.streams, "StreamsGroupDescribe")] {
            let groups = snapshot.groups.filter { $0.protocol == proto }
            var line = StyledLine("   " + Format.fit(proto.rawValue, 8), .normal)
            line.append(" \(groups.count) group\(groups.count == 1 ? "" : "s")  ", .normal)
            if let note = snapshot.errors.first(where: { $0.operation == api }) {
                line.append(note.message, .warnText)
            } else if groups.isEmpty {
                line.append("none listed", .dim)
            } else {
                line.append("described with \(api)", .dim)
            }
            lines.append(DocumentLine(line))
            for group in groups {
                var row = StyledLine("     " + Format.fit(group.groupID, max(8, min(40, width - 48))), .normal)
                row.append("  " + Format.state(group.state), Format.stateRole(group.state))
                row.append("  epoch \(group.groupEpoch.map(String.init) ?? "?") target \(group.assignmentEpoch.map(String.init) ?? "?")  \(group.members.count) members", .dim)
                lines.append(DocumentLine(row, group: group.groupID))
            }
        }
        return lines
    }

    // MARK: - Errors

    /// The error table: severity, age and the message first; the message takes the width left.
    static let errorColumns: [ColumnSpec<ErrorColumn>] = [
        ColumnSpec(id: .age, title: "AGE", max: 6, alignment: .right, priority: 1, highlightsChanges: false),
        ColumnSpec(id: .severity, title: "SEVERITY", max: 8, priority: 0, identity: true),
        ColumnSpec(id: .source, title: "SOURCE", max: 7, priority: 4),
        ColumnSpec(id: .group, title: "GROUP", min: 16, max: 40, priority: 3, shortening: .middle),
        ColumnSpec(id: .message, title: "MESSAGE", min: 20, max: 400, priority: 2, fills: true),
    ]

    /// The errors the errors view lists, newest first: at least the minimum severity, matching the filter.
    func shownErrors(_ update: DashboardUpdate) -> [ErrorRow] {
        let matcher = state.effectiveFilter(.errors).map(matcher)
        let minimum = state.minimumSeverity
        return update.effectiveErrors
            .filter { row in row.severity >= minimum && (matcher.map { $0.matches(row.message) || $0.matches(row.groupID ?? "") } ?? true) }
            .sorted { ($0.at, $0.severity.rawValue) > ($1.at, $1.severity.rawValue) }
    }

    /// The message of an error row as listed: a lasting fault says how often and since when.
    static func errorMessage(_ error: ErrorRow) -> String {
        (error.count > 1 ? "×\(error.count) since \(Format.utc(ms: error.since ?? error.at)): " : "") + error.message
    }

    static func errorCells(_ error: ErrorRow, now: Int64) -> [ErrorColumn: Span] {
        var cells: [ErrorColumn: Span] = [:]
        cells[.age] = Span(Format.age(ms: now - error.at), .dim)
        cells[.severity] = Span(error.severity.name, severityRole(error.severity))
        cells[.source] = Span(error.source.rawValue)
        cells[.group] = error.groupID.map { Span($0) } ?? Span(error.brokerID.map { "broker \($0)" } ?? "-", .dim)
        cells[.message] = Span(errorMessage(error), error.severity >= .error ? .errorText : .normal)
        return cells
    }

    func errorsContent(_ update: DashboardUpdate, width: Int) -> ViewContent {
        let all = update.effectiveErrors
        let filter = state.effectiveFilter(.errors)
        let minimum = state.minimumSeverity
        let shown = shownErrors(update)
        var counts = StyledLine(" \(all.count) errors", .normal)
        for severity in ErrorSeverity.allCases.reversed() {
            let n = all.filter { $0.severity == severity }.count
            counts.append(" · \(n) \(severity.name)", n > 0 ? Self.severityRole(severity) : .dim)
        }
        counts.append(" · showing ≥ \(minimum.name) (v)", .dim)
        if let filter {
            counts.append(" · filter ", .dim)
            counts.append("/\(filter)/", .filter)
        }
        let now = self.now
        var content = ColumnContent<ErrorColumn>()
        for error in shown { content.measure(Self.errorCells(error, now: now)) }
        let layout = TableLayout(Self.errorColumns, content: content, width: width)
        return ViewContent(
            fixed: [counts, layout.header()],
            count: shown.count,
            row: { index in layout.row(Self.errorCells(shown[index], now: now)) },
            groupAt: { $0 < shown.count ? shown[$0].groupID : nil },
            empty: all.isEmpty ? "no errors" : "no error matches (v cycles the severity, Esc clears the filter)")
    }

    static func severityRole(_ severity: ErrorSeverity) -> ThemeRole {
        switch severity {
        case .info: return .normal
        case .warning: return .warnText
        case .error: return .errorText
        case .critical: return .verdictErr
        }
    }
}

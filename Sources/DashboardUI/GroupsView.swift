import GroupModel

/// Sort keys and flags of one group, computed once per data version.
struct GroupRowModel {
    var index: Int
    var id: String
    var protocolName: String
    var state: String
    var members: Int
    var epoch: Int64
    var assignor: String
    var partitions: Int
    var lag: Int64
    var timeLag: Int64
    var trend: Int64
    var verdict: Int
    var lastRebalance: Int64
    var problem: Bool
}

/// Caches for the Groups view and the header: row models per data version, and the visible order
/// per (data version, sort, filter, only-problems).
struct GroupsCache {
    struct OrderKey: Hashable {
        var version: Int
        var column: GroupColumn
        var descending: Bool
        var filter: String?
        var onlyProblems: Bool
    }

    private(set) var modelsVersion = -1
    private(set) var models: [GroupRowModel] = []
    /// What the Groups view's columns need, measured once per data version.
    private(set) var content = ColumnContent<GroupColumn>()
    private var orderKey: OrderKey?
    private(set) var order: [Int] = []
    private var positionByID: [String: Int] = [:]
    private var countsVersion = -1
    private var counts: [(state: String, count: Int)] = []

    mutating func stateCounts(_ update: DashboardUpdate, version: Int) -> [(state: String, count: Int)] {
        if countsVersion == version { return counts }
        var byState: [String: Int] = [:]
        for group in update.snapshot.groups {
            let name = Format.state(group.state)
            byState[name == "?" ? "unknown" : name, default: 0] += 1
        }
        let preferred = ["Stable", "Reconciling", "Assigning", "Preparing", "Completing", "Empty", "Dead"]
        counts = preferred.compactMap { name in byState[name].map { (name, $0) } }
            + byState.filter { !preferred.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        countsVersion = version
        return counts
    }

    mutating func prepare(_ update: DashboardUpdate, version: Int) {
        guard modelsVersion != version else { return }
        let groups = update.snapshot.groups
        var models: [GroupRowModel] = []
        models.reserveCapacity(groups.count)
        var content = ColumnContent<GroupColumn>()
        for (i, group) in groups.enumerated() {
            let insight = update.insights[group.groupID]
            let summary = group.summary
            let lagKnown = group.partitions.isEmpty || summary.partitionsLagUnknown < group.partitions.count
            let verdictRank = insight?.verdict?.severity ?? -1
            let problem = verdictRank >= HealthStatus.warn.severity || group.error != nil || group.state.isRebalancing
                || group.state == .dead || group.state == .notReady || Self.isUnknown(group.state)
                || summary.partitionsUnowned > 0 || summary.pendingRevocation > 0 || summary.awaitingRelease > 0
                || !summary.membersBehindAssignmentEpoch.isEmpty || summary.partitionsLagUnknown > 0
            // By rate (offsets/s, in thousandths) when the evaluator knows it, below every rate when not.
            let trend = insight?.lagRate?.offsetsPerSecond.map { Int64(($0 * 1000).rounded()) } ?? Int64.min
            let epoch = Int64(group.groupEpoch ?? group.generationID ?? -1)
            models.append(GroupRowModel(
                index: i, id: group.groupID, protocolName: group.protocol.rawValue, state: Format.state(group.state),
                members: group.members.count, epoch: epoch, assignor: group.assignor ?? "",
                partitions: group.partitions.count, lag: lagKnown ? summary.totalLag : -1,
                timeLag: insight?.maxTimeLagMs ?? -1, trend: trend, verdict: verdictRank,
                lastRebalance: insight?.lastRebalanceAt ?? Int64.min, problem: problem))
            Self.measure(group, summary: summary, insight: insight, into: &content)
        }
        self.models = models
        self.content = content
        modelsVersion = version
        orderKey = nil
    }

    /// Counts the width of each of a group's cells without formatting the costly ones (numbers by
    /// their digits, the trend by its fixed width).
    private static func measure(_ group: Group, summary: GroupSummary, insight: GroupInsight?, into content: inout ColumnContent<GroupColumn>) {
        content.measure(.group, group.groupID)
        content.measure(.protocol, protocolText(group))
        content.measure(.state, Format.state(group.state))
        content.measure(.members, width: digits(group.members.count))
        content.measure(.epoch, Format.epochs(group))
        content.measure(.assignor, group.assignor ?? "-")
        content.measure(.partitions, width: digits(group.partitions.count))
        let lagKnown = group.partitions.isEmpty || summary.partitionsLagUnknown < group.partitions.count
        content.measure(.lag, width: lagKnown ? DisplayWidth.of(Format.compact(summary.totalLag)) + (summary.partitionsLagUnknown > 0 ? 1 : 0) : 1)
        if let timeLag = insight?.maxTimeLagMs {
            content.measure(.timeLag, Format.timeLag(ms: timeLag, bound: insight?.maxTimeLagIsBound ?? false))
        } else {
            content.measure(.timeLag, "-")
        }
        let hasTrend = insight.map { !$0.lagTrend.isEmpty || $0.lagRate != nil } ?? false
        content.measure(.trend, width: hasTrend ? 14 : 0, placeholder: !hasTrend)
        content.measure(.verdict, insight?.verdict?.rawValue ?? "-")
        content.measure(.sinceRebalance, width: 7, placeholder: insight?.lastRebalanceAt == nil && !group.state.isRebalancing)
    }

    static func digits(_ value: Int) -> Int { String(value).count }

    /// The PROTOCOL cell: the protocol, else the group type the broker named, else `?`.
    static func protocolText(_ group: Group) -> String {
        group.protocol == .unknown ? (group.type.brokerString.isEmpty ? "?" : group.type.brokerString) : group.protocol.rawValue
    }

    private static func isUnknown(_ state: GroupState) -> Bool {
        if case .unknown = state { return true }
        return false
    }

    /// The visible rows (indexes into ``models``), filtered and sorted; cached per key.
    mutating func order(for key: OrderKey, matcher: FilterMatcher?) -> [Int] {
        if orderKey == key { return order }
        let models = self.models
        var rows = Array(models.indices)
        if key.onlyProblems { rows = rows.filter { models[$0].problem } }
        if let matcher { rows = rows.filter { matcher.matches(models[$0].id) } }
        func less(_ a: GroupRowModel, _ b: GroupRowModel) -> Bool? {
            switch key.column {
            case .group: return nil
            case .protocol: return a.protocolName == b.protocolName ? nil : a.protocolName < b.protocolName
            case .state: return a.state == b.state ? nil : a.state < b.state
            case .members: return a.members == b.members ? nil : a.members < b.members
            case .epoch: return a.epoch == b.epoch ? nil : a.epoch < b.epoch
            case .assignor: return a.assignor == b.assignor ? nil : a.assignor < b.assignor
            case .partitions: return a.partitions == b.partitions ? nil : a.partitions < b.partitions
            case .lag: return a.lag == b.lag ? nil : a.lag < b.lag
            case .timeLag: return a.timeLag == b.timeLag ? nil : a.timeLag < b.timeLag
            case .trend: return a.trend == b.trend ? nil : a.trend < b.trend
            case .verdict: return a.verdict == b.verdict ? nil : a.verdict < b.verdict
            case .sinceRebalance: return a.lastRebalance == b.lastRebalance ? nil : a.lastRebalance > b.lastRebalance
            }
        }
        rows.sort { ia, ib in
            let a = models[ia], b = models[ib]
            if let result = less(a, b) { return key.descending ? !result : result }
            // Ties (and the group column) by id; the id order follows the sort direction only
            // when sorting by id.
            return key.column == .group && key.descending ? a.id > b.id : a.id < b.id
        }
        order = rows
        orderKey = key
        positionByID = [:]
        return rows
    }

    /// Where a group sits in the current order.
    mutating func position(of groupID: String) -> Int? {
        if positionByID.isEmpty && !order.isEmpty {
            for (position, row) in order.enumerated() { positionByID[models[row].id] = position }
        }
        return positionByID[groupID]
    }
}

extension Dashboard {
    /// The Groups view's columns: the group id first and whole, then lag, state and verdict; the
    /// assignor, trend and time since the last rebalance go first when the width runs out.
    static let groupColumns: [ColumnSpec<GroupColumn>] = [
        ColumnSpec(id: .group, title: "GROUP", min: 16, max: 64, priority: 0, identity: true, shortening: .middle),
        ColumnSpec(id: .protocol, title: "PROTOCOL", min: 8, max: 12, priority: 4),
        ColumnSpec(id: .state, title: "STATE", min: 11, max: 16, priority: 2),
        ColumnSpec(id: .members, title: "MEMB", max: 6, alignment: .right, priority: 5),
        ColumnSpec(id: .epoch, title: "EPOCH", max: 13, alignment: .right, priority: 6),
        ColumnSpec(id: .assignor, title: "ASSIGNOR", min: 12, max: 24, priority: 9),
        ColumnSpec(id: .partitions, title: "PARTS", max: 7, alignment: .right, priority: 8),
        ColumnSpec(id: .lag, title: "LAG", max: 7, alignment: .right, priority: 1),
        ColumnSpec(id: .timeLag, title: "TIME LAG", max: 10, alignment: .right, priority: 7),
        ColumnSpec(id: .trend, title: "TREND", min: 14, max: 14, priority: 10),
        ColumnSpec(id: .verdict, title: "VERDICT", max: 11, priority: 3),
        ColumnSpec(id: .sinceRebalance, title: "REBALANCED", max: 10, alignment: .right, priority: 11, highlightsChanges: false),
    ]

    /// The Groups view's layout at a width (the sort column's title keeps room for its marker).
    func groupsLayout(_ update: DashboardUpdate, width: Int) -> TableLayout<GroupColumn> {
        groupsCache.prepare(update, version: dataVersion)
        return TableLayout(Self.groupColumns, content: groupsCache.content, width: width, sortedBy: state.sortColumn)
    }

    func groupsContent(_ update: DashboardUpdate, width: Int) -> ViewContent {
        groupsCache.prepare(update, version: dataVersion)
        let filter = state.effectiveFilter(.groups)
        let key = GroupsCache.OrderKey(
            version: dataVersion, column: state.sortColumn, descending: state.sortDescending,
            filter: filter, onlyProblems: state.onlyProblems)
        let order = groupsCache.order(for: key, matcher: filter.map(matcher))
        // Keep the selection on the same group when the order changes.
        if let id = state.selectedGroupID, let position = groupsCache.position(of: id), state.position(.groups).selected != position {
            var current = state.position(.groups)
            current.selected = position
            state.positions[.groups] = current
        }
        let layout = groupsLayout(update, width: width)
        var status = StyledLine(" \(order.count) of \(update.snapshot.groups.count) groups", .dim)
        status.append(" · sorted by \(state.sortColumn.title) \(state.sortDescending ? "▼" : "▲")", .dim)
        if !layout.contains(state.sortColumn) { status.append(" (column hidden at this width)", .warnText) }
        if let filter {
            status.append(" · filter ", .dim)
            status.append("/\(filter)/", .filter)
        }
        if state.onlyProblems { status.append(" · problems only", .warnText) }
        let models = groupsCache.models
        let groups = update.snapshot.groups
        let now = self.now
        let changes = self.changes
        return ViewContent(
            fixed: [status, layout.header(descending: state.sortDescending)],
            count: order.count,
            row: { position in
                let model = models[order[position]]
                return Self.groupRow(groups[model.index], insight: update.insights[model.id], layout: layout, now: now, changes: changes)
            },
            groupAt: { position in position < order.count ? models[order[position]].id : nil },
            empty: groups.isEmpty ? "no groups in this cluster" : "no group matches (Esc clears the filter, o toggles problems only)")
    }

    static func groupRow(_ group: Group, insight: GroupInsight?, layout: TableLayout<GroupColumn>, now: Int64, changes: ChangeTracker? = nil) -> StyledLine {
        let summary = group.summary
        var cells: [GroupColumn: Span] = [:]
        cells[.group] = Span(group.groupID, group.error != nil ? .errorText : .normal)
        let protocolRole: ThemeRole = group.protocol == .mixed ? .rebalancing : group.protocol == .unknown ? .stale : .normal
        cells[.protocol] = Span(GroupsCache.protocolText(group), protocolRole)
        cells[.state] = Span(Format.state(group.state), Format.stateRole(group.state))
        let behind = !summary.membersBehindAssignmentEpoch.isEmpty
        cells[.members] = Span(String(group.members.count), behind ? .rebalancing : .normal)
        let epochMoving = behind || (group.groupEpoch != nil && group.groupEpoch != group.assignmentEpoch)
        cells[.epoch] = Span(Format.epochs(group), epochMoving ? .rebalancing : .normal)
        cells[.assignor] = Span(group.assignor ?? "-", group.assignor == nil ? .dim : .normal)
        cells[.partitions] = Span(String(group.partitions.count), summary.partitionsUnowned > 0 ? .lagCritical : .normal)
        let allUnknown = !group.partitions.isEmpty && summary.partitionsLagUnknown == group.partitions.count
        if !group.lagApplies {
            cells[.lag] = Span("-", .dim)
        } else if allUnknown {
            cells[.lag] = Span("?", .stale)
        } else {
            let text = Format.compact(summary.totalLag) + (summary.partitionsLagUnknown > 0 ? "+" : "")
            let role: ThemeRole = insight?.verdict?.lagRole ?? (summary.totalLag == 0 ? .lagOK : .normal)
            cells[.lag] = Span(text, role)
        }
        if let timeLag = insight?.maxTimeLagMs {
            cells[.timeLag] = Span(Format.timeLag(ms: timeLag, bound: insight?.maxTimeLagIsBound ?? false), insight?.verdict?.lagRole ?? .normal)
        } else {
            cells[.timeLag] = Span("-", .dim)
        }
        if let insight, group.lagApplies, !insight.lagTrend.isEmpty || insight.lagRate != nil {
            cells[.trend] = Span(Format.trend(insight.lagTrend, rate: insight.lagRate), Format.trendRole(insight.lagRate))
        }
        if let verdict = insight?.verdict {
            cells[.verdict] = Span(verdict.rawValue, verdict.role)
        } else {
            cells[.verdict] = Span("-", .dim)
        }
        if group.state.isRebalancing {
            cells[.sinceRebalance] = Span("now", .rebalancing)
        } else if let at = insight?.lastRebalanceAt {
            cells[.sinceRebalance] = Span(Format.age(ms: now - at) + " ago", .normal)
        } else {
            cells[.sinceRebalance] = Span("-", .dim)
        }
        return layout.row(cells, key: "groups\u{1F}" + group.groupID, changes: changes)
    }
}

extension Dashboard {
    /// The groups a person sees now: the group open or selected, and, in the groups view, the rows
    /// from the first visible one down to the height of the screen (as last sorted and filtered).
    /// The monitor measures their time lags first.
    public var visibleGroupIDs: Set<String> {
        var ids: Set<String> = []
        if let id = state.selectedGroupID { ids.insert(id) }
        guard state.view == .groups else { return ids }
        let order = groupsCache.order
        let models = groupsCache.models
        let top = max(0, state.position(.groups).top)
        guard top < order.count else { return ids }
        for position in top..<min(order.count, top + max(0, size.height)) where order[position] < models.count {
            ids.insert(models[order[position]].id)
        }
        return ids
    }
}

extension Format {
    /// A time lag: `18s`, or `> 18s` when the figure is a lower bound (the partition is further behind).
    static func timeLag(ms: Int64, bound: Bool) -> String {
        (bound ? "> " : "") + duration(ms: ms)
    }

    /// The TREND cell: the last total lags as bars, then the direction and rate of the health
    /// evaluator's trend, `▃▄▅▆▇█ ↑1.2k/s`, `↓340/s`, `→` (steady), nothing while unknown.
    static func trend(_ samples: [Int64], rate: LagTrendResult?) -> String {
        let bars = sparkline(samples, width: 6)
        guard let rate, let perSecond = rate.offsetsPerSecond else { return bars }
        let arrow: String
        switch rate.trend {
        case .growing: arrow = "↑" + HealthEvaluator.rateText(perSecond) + "/s"
        case .shrinking: arrow = "↓" + HealthEvaluator.rateText(-perSecond) + "/s"
        case .steady: arrow = "→"
        case .unknown: return bars
        }
        return bars.isEmpty ? arrow : bars + " " + arrow
    }

    /// The role of the TREND cell: growing warns, shrinking is good.
    static func trendRole(_ rate: LagTrendResult?) -> ThemeRole {
        switch rate?.trend {
        case .growing?: return .lagWarn
        case .shrinking?: return .lagOK
        default: return .normal
        }
    }
}

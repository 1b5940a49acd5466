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
///
/// Sorting compares integers only: each model's id has a rank (its place in id order, equal ids
/// equal ranks) and the text columns are ranked the same way, so a sort makes the same comparisons
/// with the same outcomes as comparing the values themselves, without touching a string.
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
    /// Per model, its id's rank in id order (equal ids share a rank).
    private var idRanks: [Int] = []
    /// What the Groups view's columns need, measured once per data version.
    private(set) var content = ColumnContent<GroupColumn>()
    private var orderKey: OrderKey?
    private(set) var order: [Int] = []
    /// The last answer of ``position(of:)`` for the current order.
    private var lastPosition: (groupID: String, position: Int?)?
    private var countsVersion = -1
    private var counts: [(state: String, count: Int)] = []

    mutating func stateCounts(_ update: DashboardUpdate, version: Int) -> [(state: String, count: Int)] {
        if countsVersion == version { return counts }
        // A handful of distinct states: counted by a walk over the names seen, without hashing.
        var names: [String] = []
        var tally: [Int] = []
        for group in update.snapshot.groups {
            let state = Format.state(group.state)
            let name = state == "?" ? "unknown" : state
            if let i = names.firstIndex(of: name) {
                tally[i] += 1
            } else {
                names.append(name)
                tally.append(1)
            }
        }
        let byState = Dictionary(uniqueKeysWithValues: zip(names, tally))
        let preferred = ["Stable", "Reconciling", "Assigning", "Preparing", "Completing", "Empty", "Dead"]
        counts = preferred.compactMap { name in byState[name].map { (name, $0) } }
            + byState.filter { !preferred.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        countsVersion = version
        return counts
    }

    mutating func prepare(_ update: DashboardUpdate, version: Int) {
        guard modelsVersion != version else { return }
        let groups = update.snapshot.groups
        let insights = update.insights
        var models: [GroupRowModel] = []
        models.reserveCapacity(groups.count)
        var widths = GroupWidths()
        // Fields are read in place, through a pointer (a group, its summary or an insight is never
        // copied whole: 10,000 of them).
        groups.withUnsafeBufferPointer { groups in
            insights.entries.withUnsafeBufferPointer { entries in
                for i in groups.indices {
                    let group = groups.baseAddress! + i
                    let facts = insights.entryIndex(of: group.pointee.groupID, at: i).map { InsightFacts((entries.baseAddress! + $0).pointee) }
                    models.append(Self.model(of: group, at: i, facts: facts, widths: &widths))
                }
            }
        }
        self.models = models
        idRanks = Self.ranks(of: models.map(\.id))
        content = widths.content
        modelsVersion = version
        orderKey = nil
        lastPosition = nil
    }

    /// What the Groups view reads of a group's insight, taken field by field.
    private struct InsightFacts {
        var verdict: HealthStatus?
        var maxTimeLagMs: Int64?
        var maxTimeLagIsBound: Bool
        var hasTrend: Bool
        var lagRate: LagTrendResult?
        var lastRebalanceAt: Int64?

        init(_ insight: borrowing GroupInsights.Entry) {
            verdict = insight.verdict
            maxTimeLagMs = insight.maxTimeLagMs
            maxTimeLagIsBound = insight.maxTimeLagIsBound
            lagRate = insight.lagRate
            hasTrend = insight.hasTrend
            lastRebalanceAt = insight.lastRebalanceAt
        }
    }

    /// The row model of the group at `group` (position `i`), its cells measured into `widths`.
    private static func model(of group: UnsafePointer<Group>, at i: Int, facts: InsightFacts?, widths: inout GroupWidths) -> GroupRowModel {
        let id = group.pointee.groupID
        let state = group.pointee.state
        let partitionCount = group.pointee.partitions.count
        let lagKnown = partitionCount == 0 || group.pointee.summary.partitionsLagUnknown < partitionCount
        let verdictRank = facts?.verdict?.severity ?? -1
        let problem = verdictRank >= HealthStatus.warn.severity || group.pointee.error != nil || state.isRebalancing
            || state == .dead || state == .notReady || Self.isUnknown(state)
            || group.pointee.summary.partitionsUnowned > 0 || group.pointee.summary.pendingRevocation > 0 || group.pointee.summary.awaitingRelease > 0
            || !group.pointee.summary.membersBehindAssignmentEpoch.isEmpty || group.pointee.summary.partitionsLagUnknown > 0
        // By rate (offsets/s, in thousandths) when the evaluator knows it, below every rate when not.
        let trend = facts?.lagRate?.offsetsPerSecond.map { Int64(($0 * 1000).rounded()) } ?? Int64.min
        let epoch = Int64(group.pointee.groupEpoch ?? group.pointee.generationID ?? -1)
        let stateText = Format.state(state)
        let assignor = group.pointee.assignor
        let model = GroupRowModel(
            index: i, id: id, protocolName: group.pointee.protocol.rawValue, state: stateText,
            members: group.pointee.members.count, epoch: epoch, assignor: assignor ?? "",
            partitions: partitionCount, lag: lagKnown ? group.pointee.summary.totalLag : -1,
            timeLag: facts?.maxTimeLagMs ?? -1, trend: trend, verdict: verdictRank,
            lastRebalance: facts?.lastRebalanceAt ?? Int64.min, problem: problem)
        widths.measure(.group, id)
        widths.measure(.protocol, Self.protocolText(group.pointee.protocol, type: group.pointee.type))
        widths.measure(.state, stateText)
        widths.measure(.members, width: Self.digits(group.pointee.members.count))
        // The EPOCH cell (`Format.epochs`) by its parts: `7/7`, `7/?`, `gen 12` or `-`.
        if let groupEpoch = group.pointee.groupEpoch {
            widths.measure(.epoch, width: Self.digits(Int(groupEpoch)) + 1 + (group.pointee.assignmentEpoch.map { Self.digits(Int($0)) } ?? 1))
        } else if let generation = group.pointee.generationID {
            widths.measure(.epoch, width: 4 + Self.digits(Int(generation)))
        } else {
            widths.measure(.epoch, width: 1, placeholder: true)
        }
        widths.measure(.assignor, assignor ?? "-")
        widths.measure(.partitions, width: Self.digits(partitionCount))
        let lag = group.pointee.summary.totalLag
        let lagWidth = lag > -10_000 && lag < 10_000 ? Self.digits(Int(lag)) : DisplayWidth.of(Format.compact(lag))
        widths.measure(.lag, width: lagKnown ? lagWidth + (group.pointee.summary.partitionsLagUnknown > 0 ? 1 : 0) : 1)
        if let timeLag = facts?.maxTimeLagMs {
            // `Format.timeLag`'s columns: the duration, after `> ` for a bound.
            widths.measure(.timeLag, width: Format.durationWidth(ms: timeLag) + (facts?.maxTimeLagIsBound == true ? 2 : 0))
        } else {
            widths.measure(.timeLag, width: 1, placeholder: true)
        }
        let hasTrend = facts?.hasTrend ?? false
        widths.measure(.trend, width: hasTrend ? 14 : 0, placeholder: !hasTrend)
        if let verdict = facts?.verdict {
            widths.measure(.verdict, verdict.rawValue)
        } else {
            widths.measure(.verdict, width: 1, placeholder: true)
        }
        widths.measure(.sinceRebalance, width: 7, placeholder: facts?.lastRebalanceAt == nil && !state.isRebalancing)
        return model
    }

    /// The widest cell of each column and whether any cell is more than a placeholder, counted
    /// without formatting the costly cells (numbers by their digits, the trend by its fixed width):
    /// what ``ColumnContent`` would hold after measuring every row, gathered in plain integers.
    private struct GroupWidths {
        var widths = [Int](repeating: 0, count: GroupColumn.allCases.count)
        var filled = [Bool](repeating: false, count: GroupColumn.allCases.count)

        mutating func measure(_ column: GroupColumn, width: Int, placeholder: Bool = false) {
            let i = column.ordinal
            if width > widths[i] { widths[i] = width }
            if !placeholder { filled[i] = true }
        }

        mutating func measure(_ column: GroupColumn, _ text: String) {
            // No text is wider than its UTF-8 bytes (a grapheme two columns wide takes three bytes
            // or more): one no longer than the widest so far cannot widen the column, and is not
            // measured (10,000 group ids every poll).
            let width = text.utf8.count <= widths[column.ordinal] ? 0 : DisplayWidth.of(text)
            measure(column, width: width, placeholder: text.isEmpty || text == "-")
        }

        /// The columns' content, as measuring every cell into a ``ColumnContent`` would leave it.
        var content: ColumnContent<GroupColumn> {
            var content = ColumnContent<GroupColumn>()
            for column in GroupColumn.allCases {
                content.measure(column, width: widths[column.ordinal], placeholder: !filled[column.ordinal])
            }
            return content
        }
    }

    /// Columns a decimal number takes (`String(value).count`), counted without writing it.
    static func digits(_ value: Int) -> Int {
        var count = value < 0 ? 2 : 1
        var rest = value / 10
        while rest != 0 {
            count += 1
            rest /= 10
        }
        return count
    }

    /// The PROTOCOL cell: the protocol, else the group type the broker named, else `?`.
    static func protocolText(_ group: Group) -> String {
        protocolText(group.protocol, type: group.type)
    }

    /// The PROTOCOL cell from a group's protocol and type.
    static func protocolText(_ groupProtocol: GroupProtocol, type: GroupType) -> String {
        groupProtocol == .unknown ? (type.brokerString.isEmpty ? "?" : type.brokerString) : groupProtocol.rawValue
    }

    private static func isUnknown(_ state: GroupState) -> Bool {
        if case .unknown = state { return true }
        return false
    }

    /// Per value, its rank in ascending order: `ranks[a] < ranks[b]` exactly when `values[a] <
    /// values[b]`, and equal values get equal ranks. Values already in order (a snapshot's group ids)
    /// are ranked without sorting.
    static func ranks(of values: [String]) -> [Int] {
        var ranks = [Int](repeating: 0, count: values.count)
        guard values.count > 1 else { return ranks }
        var inOrder = true
        for i in 1..<values.count where values[i] < values[i - 1] {
            inOrder = false
            break
        }
        let order = inOrder ? Array(values.indices) : values.indices.sorted { values[$0] < values[$1] }
        var rank = 0
        for (position, i) in order.enumerated() where position > 0 {
            if values[order[position - 1]] < values[i] { rank += 1 }
            ranks[i] = rank
        }
        return ranks
    }

    /// Per model, the rank of its text in a text column (protocol, state, assignor).
    private static func textRanks(_ models: [GroupRowModel], _ text: (GroupRowModel) -> String) -> [Int] {
        var distinct: [String: Int] = [:]
        var codes = [Int](repeating: 0, count: models.count)
        var values: [String] = []
        for (i, model) in models.enumerated() {
            let value = text(model)
            if let code = distinct[value] {
                codes[i] = code
            } else {
                distinct[value] = values.count
                codes[i] = values.count
                values.append(value)
            }
        }
        let valueRanks = ranks(of: values)
        return codes.map { valueRanks[$0] }
    }

    /// The visible rows (indexes into ``models``), filtered and sorted; cached per key.
    mutating func order(for key: OrderKey, matcher: FilterMatcher?) -> [Int] {
        if orderKey == key { return order }
        let models = self.models
        var rows = Array(models.indices)
        if key.onlyProblems { rows = rows.filter { models[$0].problem } }
        if let matcher { rows = rows.filter { matcher.matches(models[$0].id) } }
        // The sort column as integers (nil for the group column, which sorts by id alone); the
        // time since the last rebalance sorts the latest first.
        let primary: [Int64]?
        var latestFirst = false
        switch key.column {
        case .group: primary = nil
        case .protocol: primary = Self.textRanks(models, \.protocolName).map(Int64.init)
        case .state: primary = Self.textRanks(models, \.state).map(Int64.init)
        case .assignor: primary = Self.textRanks(models, \.assignor).map(Int64.init)
        case .members: primary = models.map { Int64($0.members) }
        case .epoch: primary = models.map(\.epoch)
        case .partitions: primary = models.map { Int64($0.partitions) }
        case .lag: primary = models.map(\.lag)
        case .timeLag: primary = models.map(\.timeLag)
        case .trend: primary = models.map(\.trend)
        case .verdict: primary = models.map { Int64($0.verdict) }
        case .sinceRebalance:
            primary = models.map(\.lastRebalance)
            latestFirst = true
        }
        let ids = idRanks
        let descending = key.descending
        // Ties (and the group column) by id; the id order follows the sort direction only when
        // sorting by id.
        let idsDescending = key.column == .group && descending
        rows.withUnsafeMutableBufferPointer { buffer in
            ids.withUnsafeBufferPointer { ids in
                if let primary {
                    primary.withUnsafeBufferPointer { values in
                        buffer.sort { ia, ib in
                            let a = values[ia], b = values[ib]
                            if a != b {
                                let result = latestFirst ? a > b : a < b
                                return descending ? !result : result
                            }
                            return ids[ia] < ids[ib]
                        }
                    }
                } else {
                    buffer.sort { ia, ib in idsDescending ? ids[ia] > ids[ib] : ids[ia] < ids[ib] }
                }
            }
        }
        order = rows
        orderKey = key
        lastPosition = nil
        return rows
    }

    /// Where a group sits in the current order (the last place, should an id appear twice).
    mutating func position(of groupID: String) -> Int? {
        if let last = lastPosition, last.groupID == groupID { return last.position }
        let position = order.lastIndex { models[$0].id == groupID }
        lastPosition = (groupID, position)
        return position
    }
}

extension GroupColumn {
    /// The column's place in ``GroupColumn/allCases``.
    var ordinal: Int {
        switch self {
        case .group: return 0
        case .protocol: return 1
        case .state: return 2
        case .members: return 3
        case .epoch: return 4
        case .assignor: return 5
        case .partitions: return 6
        case .lag: return 7
        case .timeLag: return 8
        case .trend: return 9
        case .verdict: return 10
        case .sinceRebalance: return 11
        }
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
                let insight = update.insights.entryIndex(of: model.id, at: model.index).map(update.insights.insight(at:))
                return Self.groupRow(groups[model.index], insight: insight, layout: layout, now: now, changes: changes)
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

/// The dashboard's views, in tab order; `1`-`5` select them.
public enum ViewID: Int, Sendable, Hashable, CaseIterable {
    /// All groups.
    case groups = 1
    /// One group: members and partition board.
    case group
    /// Rebalance episodes.
    case rebalances
    /// Protocol inventory and broker settings.
    case protocols
    /// The error stream.
    case errors

    /// The tab title.
    public var title: String {
        switch self {
        case .groups: return "Groups"
        case .group: return "Group"
        case .rebalances: return "Rebalances"
        case .protocols: return "Protocols"
        case .errors: return "Errors"
        }
    }
}

/// The columns of the Groups view; `s` cycles through them in this order.
public enum GroupColumn: String, Sendable, Hashable, CaseIterable {
    /// Group id.
    case group
    /// Protocol label.
    case `protocol`
    /// State.
    case state
    /// Member count.
    case members
    /// Group / assignment epoch, or classic generation.
    case epoch
    /// Assignor.
    case assignor
    /// Partition count.
    case partitions
    /// Total lag in offsets.
    case lag
    /// Largest time lag.
    case timeLag
    /// Lag trend sparkline (sorted by the last change).
    case trend
    /// Verdict.
    case verdict
    /// Time since the last rebalance.
    case sinceRebalance

    /// The column title.
    public var title: String {
        switch self {
        case .group: return "GROUP"
        case .protocol: return "PROTOCOL"
        case .state: return "STATE"
        case .members: return "MEMB"
        case .epoch: return "EPOCH"
        case .assignor: return "ASSIGNOR"
        case .partitions: return "PARTS"
        case .lag: return "LAG"
        case .timeLag: return "TIME LAG"
        case .trend: return "TREND"
        case .verdict: return "VERDICT"
        case .sinceRebalance: return "REBALANCED"
        }
    }
}

/// The cursor and scroll offset of one list.
public struct ListPosition: Sendable, Hashable {
    /// The selected row.
    public var selected: Int
    /// The first visible row.
    public var top: Int

    /// Creates a position.
    public init(selected: Int = 0, top: Int = 0) {
        self.selected = selected
        self.top = top
    }

    /// Keeps the selection within `count` rows and visible in a window of `page` rows.
    public mutating func clamp(count: Int, page: Int) {
        let page = max(1, page)
        selected = count == 0 ? 0 : min(max(0, selected), count - 1)
        if selected < top { top = selected }
        if selected >= top + page { top = selected - page + 1 }
        top = max(0, min(top, max(0, count - page)))
    }
}

/// What the reducer needs to know about the current view's rows.
public struct RowContext {
    /// Rows in the current view's list.
    public var count: Int
    /// Rows visible at once.
    public var pageSize: Int
    /// The group a row drills into, if any.
    public var groupAt: (Int) -> String?
    /// Themes available.
    public var themeCount: Int

    /// Creates a row context.
    public init(count: Int, pageSize: Int, themeCount: Int, groupAt: @escaping (Int) -> String? = { _ in nil }) {
        self.count = count
        self.pageSize = pageSize
        self.themeCount = themeCount
        self.groupAt = groupAt
    }
}

/// The UI state: a value, changed only by ``reduce(_:rows:)`` and ``editFilter(_:)``.
public struct DashboardState: Sendable, Hashable {
    /// The current view.
    public var view: ViewID = .groups
    /// Where Esc goes from the group view.
    public var returnView: ViewID = .groups
    /// The group open in the group view (and selected in the Groups view).
    public var selectedGroupID: String?
    /// Cursor and scroll per view.
    public var positions: [ViewID: ListPosition] = [:]
    /// The Groups view's sort column.
    public var sortColumn: GroupColumn = .group
    /// Whether the sort is descending.
    public var sortDescending = false
    /// The applied regex filter per view.
    public var filters: [ViewID: String] = [:]
    /// Groups view: only groups with problems.
    public var onlyProblems = false
    /// Errors view: the minimum severity shown.
    public var minimumSeverity: ErrorSeverity = .info
    /// Data frozen (navigation continues).
    public var paused = false
    /// Index into the theme list.
    public var themeIndex = 0
    /// The help overlay is open.
    public var helpVisible = false
    /// The first line of help shown (help scrolls when it is taller than the screen).
    public var helpTop = 0
    /// Errors view: the selected message is open in full.
    public var detailVisible = false
    /// The filter being typed, `nil` when not typing.
    public var editingFilter: String?
    /// A one-line message for the status line (cleared by the next key).
    public var message: String?

    /// Creates the initial state.
    public init() {}

    /// The position of a view's list.
    public func position(_ view: ViewID) -> ListPosition { positions[view] ?? ListPosition() }

    /// The current view's filter, if any.
    public var filter: String? { filters[view].flatMap { $0.isEmpty ? nil : $0 } }

    /// Performs an action. `rows` describes the current view's list.
    public mutating func reduce(_ action: Action, rows: RowContext) -> Reaction {
        message = nil
        let page = max(1, rows.pageSize)
        if helpVisible {
            // Help is modal: it scrolls, closes or quits (the frame keeps the scroll in range).
            switch action {
            case .moveUp: helpTop = max(0, helpTop - 1)
            case .moveDown: helpTop += 1
            case .pageUp: helpTop = max(0, helpTop - page)
            case .pageDown: helpTop += page
            case .top: helpTop = 0
            case .bottom: helpTop = Int.max / 2
            case .quit: return .quit
            case .toggleHelp, .drillOut: helpVisible = false
            default: return []
            }
            return .redraw
        }
        if detailVisible {
            // The full message is modal too: ↑ ↓ move to the neighbouring messages, Enter opens the
            // message's group, Esc closes.
            switch action {
            case .moveUp, .moveDown: break
            case .drillIn:
                detailVisible = false
                guard let groupID = rows.groupAt(self.position(view).selected) else { message = "this message names no group"; return .redraw }
                open(groupID: groupID)
                return .redraw
            case .drillOut: detailVisible = false; return .redraw
            case .toggleHelp: helpVisible = true; helpTop = 0; return .redraw
            case .quit: return .quit
            default: return []
            }
        }
        var position = self.position(view)
        func move(to index: Int) -> Reaction {
            position.selected = index
            position.clamp(count: rows.count, page: page)
            positions[view] = position
            if view == .groups { selectedGroupID = rows.groupAt(position.selected) }
            return .redraw
        }
        switch action {
        case .moveUp: return move(to: position.selected - 1)
        case .moveDown: return move(to: position.selected + 1)
        case .pageUp:
            position.top = max(0, position.top - page)
            return move(to: position.selected - page)
        case .pageDown:
            position.top += page
            return move(to: position.selected + page)
        case .top: return move(to: 0)
        case .bottom: return move(to: rows.count - 1)
        case .drillIn:
            if view == .errors {
                guard rows.count > 0 else { return [] }
                detailVisible = true
                return .redraw
            }
            guard view != .group, let groupID = rows.groupAt(position.selected) else { return [] }
            open(groupID: groupID)
            return .redraw
        case .drillOut:
            if helpVisible { helpVisible = false; return .redraw }
            if let filter = filters[view], !filter.isEmpty { filters[view] = nil; positions[view] = ListPosition(); return .redraw }
            if view == .group { view = returnView; return .redraw }
            if view != .groups { view = .groups; return .redraw }
            return []
        case .nextView: return show(ViewID(rawValue: view.rawValue % ViewID.allCases.count + 1) ?? .groups)
        case .previousView: return show(ViewID(rawValue: (view.rawValue + ViewID.allCases.count - 2) % ViewID.allCases.count + 1) ?? .groups)
        case .showGroups: return show(.groups)
        case .showGroup: return show(.group)
        case .showRebalances: return show(.rebalances)
        case .showProtocols: return show(.protocols)
        case .showErrors: return show(.errors)
        case .filter:
            guard view != .protocols else { message = "this view has no filter"; return .redraw }
            editingFilter = filters[view] ?? ""
            return .redraw
        case .sortNext:
            guard view == .groups else { message = "sorting applies to the Groups view"; return .redraw }
            let all = GroupColumn.allCases
            sortColumn = all[((all.firstIndex(of: sortColumn) ?? 0) + 1) % all.count]
            // Numbers read best largest first; names alphabetically.
            sortDescending = ![.group, .protocol, .state, .assignor, .epoch].contains(sortColumn)
            message = "sorted by \(sortColumn.title)"
            return .redraw
        case .sortReverse:
            guard view == .groups else { message = "sorting applies to the Groups view"; return .redraw }
            sortDescending.toggle()
            return .redraw
        case .toggleProblemsOnly:
            onlyProblems.toggle()
            positions[.groups] = ListPosition()
            return .redraw
        case .cycleSeverity:
            let all = ErrorSeverity.allCases
            minimumSeverity = all[(minimumSeverity.rawValue + 1) % all.count]
            positions[.errors] = ListPosition()
            return .redraw
        case .togglePause:
            paused.toggle()
            return [.redraw, .togglePause]
        case .refreshNow:
            message = paused ? "paused: refresh fetches, the screen stays frozen" : "refreshing"
            return [.redraw, .refreshNow]
        case .nextTheme:
            themeIndex = (themeIndex + 1) % max(1, rows.themeCount)
            return [.redraw, .themeChanged]
        case .toggleHelp:
            helpVisible.toggle()
            helpTop = 0
            return .redraw
        case .quit:
            return .quit
        }
    }

    /// Opens the group view on a group, remembering where to go back to.
    public mutating func open(groupID: String) {
        if selectedGroupID != groupID { positions[.group] = ListPosition() }
        selectedGroupID = groupID
        if view != .group { returnView = view }
        view = .group
    }

    private mutating func show(_ target: ViewID) -> Reaction {
        guard target != view else { return [] }
        if target == .group { returnView = view }
        view = target
        return .redraw
    }

    /// Handles a key while the filter is being typed: characters edit, Enter applies, Esc cancels.
    /// The filter applies live as it is typed.
    public mutating func editFilter(_ key: Key) -> Reaction {
        guard var text = editingFilter else { return [] }
        switch key {
        case .enter:
            filters[view] = text.isEmpty ? nil : text
            editingFilter = nil
        case .escape:
            editingFilter = nil
            return .redraw
        case .backspace, .delete:
            if !text.isEmpty { text.removeLast() }
            editingFilter = text
        case .character(let c):
            text.append(c)
            editingFilter = text
        default:
            return []
        }
        positions[view] = ListPosition()
        return .redraw
    }

    /// The filter in effect for a view: the one being typed (live) or the applied one.
    public func effectiveFilter(_ target: ViewID) -> String? {
        if target == view, let editing = editingFilter { return editing.isEmpty ? nil : editing }
        return filters[target].flatMap { $0.isEmpty ? nil : $0 }
    }
}

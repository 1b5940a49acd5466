import GroupModel

/// What a view puts on screen: fixed lines at the top, then a scrollable list whose rows are
/// formatted only when visible.
struct ViewContent {
    var fixed: [StyledLine] = []
    var count = 0
    var row: (Int) -> StyledLine = { _ in StyledLine() }
    var groupAt: (Int) -> String? = { _ in nil }
    var empty = ""
}

/// The dashboard: state, the data on screen, caches, input handling and rendering into a
/// ``CellGrid``. Synchronous and curses-free; ``DashboardApp`` drives it from a terminal and a stream.
///
/// Costs: a new update costs O(n log n) in the groups (row models and sort, once per data version,
/// sort key and filter); a frame costs O(visible rows).
public final class Dashboard {
    /// The UI state.
    public internal(set) var state = DashboardState()
    /// The key bindings.
    public let keyMap: KeyMap
    /// Themes `t` cycles through.
    public let themes: [Theme]
    /// The update on screen.
    public private(set) var update: DashboardUpdate?
    /// The newest update received while paused (shown on resume).
    public private(set) var heldUpdate: DashboardUpdate?
    /// Bumped whenever ``update`` changes; caches are keyed by it.
    public private(set) var dataVersion = 0
    /// The screen size frames are rendered for.
    public var size: TerminalSize
    /// The wall clock used for ages, in ms since the epoch (the app sets it before each frame).
    public var now: Int64 = 0
    /// Whether the data source ended (shown in the header).
    public var dataEnded = false
    /// The replay key pressed last, until the loop takes it.
    private var pendingReplayCommand: ReplayCommand?

    var groupsCache = GroupsCache()
    /// The values the last frames drew, for highlighting what changed since the previous poll.
    let changes = ChangeTracker()
    var regexCache: [String: FilterMatcher] = [:]

    static let headerRows = 3
    static let footerRows = 1

    /// Creates a dashboard.
    public init(size: TerminalSize, keyMap: KeyMap = .standard, themes: [Theme] = Theme.builtins, initialTheme: Int = 0) {
        self.size = size
        self.keyMap = keyMap
        self.themes = themes.isEmpty ? [Theme.standard] : themes
        state.themeIndex = min(max(0, initialTheme), self.themes.count - 1)
    }

    /// The current theme.
    public var theme: Theme { themes[state.themeIndex] }

    // MARK: - Data

    /// Takes a new update; while paused it is held (newest wins) and the screen stays frozen.
    @discardableResult
    public func receive(_ newUpdate: DashboardUpdate) -> Reaction {
        if state.paused {
            heldUpdate = newUpdate
            return []
        }
        show(newUpdate)
        return .redraw
    }

    private func show(_ newUpdate: DashboardUpdate) {
        update = newUpdate
        heldUpdate = nil
        dataVersion &+= 1
        if state.selectedGroupID == nil { state.selectedGroupID = newUpdate.snapshot.groups.first?.groupID }
    }

    // MARK: - Input

    /// Handles one input event and says what the loop must do.
    public func handle(_ event: InputEvent) -> Reaction {
        switch event {
        case .resize(let newSize):
            size = newSize
            return .redraw
        case .mouse(let mouse):
            return handleMouse(mouse)
        case .key(let key):
            if state.editingFilter != nil { return state.editFilter(key) }
            if update?.isReplay == true, !state.helpVisible, let command = KeyMap.replayCommand(for: key) {
                pendingReplayCommand = command
                return .replayCommand
            }
            guard let action = keyMap.action(for: key) else {
                if state.helpVisible { state.helpVisible = false; return .redraw }
                return []
            }
            return perform(action)
        }
    }

    /// The replay command of the last replay key, once (``Reaction/replayCommand``).
    public func takeReplayCommand() -> ReplayCommand? {
        defer { pendingReplayCommand = nil }
        return pendingReplayCommand
    }

    /// Performs an action (as if its key was pressed).
    public func perform(_ action: Action) -> Reaction {
        let content = self.content(width: size.width)
        let rows = RowContext(count: content.count, pageSize: pageSize(content), themeCount: themes.count, groupAt: content.groupAt)
        let wasPaused = state.paused
        let reaction = state.reduce(action, rows: rows)
        if wasPaused && !state.paused, let held = heldUpdate { show(held) }
        if action == .sortNext, state.view == .groups, let update, !groupsLayout(update, width: size.width).contains(state.sortColumn) {
            state.message = "sorted by \(state.sortColumn.title) (column hidden at this width)"
        }
        return reaction
    }

    private func handleMouse(_ mouse: MouseEvent) -> Reaction {
        guard !state.helpVisible, !state.detailVisible, state.editingFilter == nil else { return [] }
        switch mouse {
        case .wheelUp:
            var reaction: Reaction = []
            for _ in 0..<3 { reaction.formUnion(perform(.moveUp)) }
            return reaction
        case .wheelDown:
            var reaction: Reaction = []
            for _ in 0..<3 { reaction.formUnion(perform(.moveDown)) }
            return reaction
        case .click(let x, let y):
            if y == 2, let view = tabAt(x: x) {
                return perform([.showGroups, .showGroup, .showRebalances, .showProtocols, .showErrors][view.rawValue - 1])
            }
            let content = self.content(width: size.width)
            let listTop = Self.headerRows + content.fixed.count
            let index = state.position(state.view).top + (y - listTop)
            guard y >= listTop, y < size.height - Self.footerRows, index < content.count else { return [] }
            if index == state.position(state.view).selected { return perform(.drillIn) }
            var position = state.position(state.view)
            position.selected = index
            return moveSelection(to: position, content: content)
        }
    }

    private func moveSelection(to position: ListPosition, content: ViewContent) -> Reaction {
        var position = position
        position.clamp(count: content.count, page: pageSize(content))
        state.positions[state.view] = position
        if state.view == .groups { state.selectedGroupID = content.groupAt(position.selected) }
        return .redraw
    }

    func pageSize(_ content: ViewContent) -> Int {
        max(1, size.height - Self.headerRows - Self.footerRows - content.fixed.count)
    }

    // MARK: - Content

    func content(width: Int) -> ViewContent {
        guard let update else { return ViewContent(empty: "waiting for the first poll…") }
        var content: ViewContent
        switch state.view {
        case .groups: content = groupsContent(update, width: width)
        case .group: content = groupContent(update, width: width)
        case .rebalances: content = rebalancesContent(update, width: width)
        case .protocols: content = protocolsContent(update, width: width)
        case .errors: content = errorsContent(update, width: width)
        }
        // Status and summary lines wider than the screen are broken between words, never cut mid-word.
        content.fixed = content.fixed.flatMap { line in
            line.spans.first?.role == .columnHeader ? [line] : Format.wrap(line, width: width, indent: "   ")
        }
        return content
    }

    /// A matcher for a filter pattern: a case-insensitive regex, or plain text when it is not one.
    func matcher(_ pattern: String) -> FilterMatcher {
        if let cached = regexCache[pattern] { return cached }
        let made = FilterMatcher(pattern)
        if regexCache.count > 64 { regexCache.removeAll() }
        regexCache[pattern] = made
        return made
    }

    // MARK: - Rendering

    /// Renders the current frame.
    public func render() -> CellGrid {
        var grid = CellGrid(width: size.width, height: size.height)
        guard size.width > 0, size.height > 0 else { return grid }
        changes.beginFrame(version: dataVersion)
        drawHeader(into: &grid)
        drawTabs(into: &grid)
        drawContent(into: &grid)
        drawKeyBar(into: &grid)
        if state.detailVisible { drawDetail(into: &grid) }
        if state.helpVisible { drawHelp(into: &grid) }
        return grid
    }

    private func drawContent(into grid: inout CellGrid) {
        let content = self.content(width: size.width)
        let bottom = size.height - Self.footerRows
        var y = Self.headerRows
        for line in content.fixed where y < bottom {
            if line.spans.first?.role == .columnHeader { grid.fill(row: y, role: .columnHeader) }
            grid.put(line, x: 0, y: y)
            y += 1
        }
        guard y < bottom else { return }
        var position = state.position(state.view)
        position.clamp(count: content.count, page: bottom - y)
        state.positions[state.view] = position
        if content.count == 0 {
            grid.put("  " + content.empty, x: 0, y: y, role: .dim)
            return
        }
        var index = position.top
        // After a failed poll the values are the last good poll's: dimmed, so they are not read as live.
        let dim = update?.staleness != nil
        while y < bottom && index < content.count {
            grid.put(content.row(index), x: 0, y: y)
            if index == position.selected {
                grid.restyle(row: y, role: .selection)
            } else if dim {
                grid.restyle(row: y, role: .stale)
            }
            y += 1
            index += 1
        }
    }

    private func tabAt(x: Int) -> ViewID? {
        var column = 0
        for view in ViewID.allCases {
            let w = DisplayWidth.of(tabLabel(view))
            if x >= column && x < column + w { return view }
            column += w
        }
        return nil
    }

    private func tabLabel(_ view: ViewID) -> String { " \(view.rawValue) \(view.title) " }

    private func drawTabs(into grid: inout CellGrid) {
        let y = 2
        guard y < size.height - Self.footerRows else { return }
        grid.fill(row: y, role: .tabs)
        var x = 0
        for view in ViewID.allCases {
            x += grid.put(tabLabel(view), x: x, y: y, role: view == state.view ? .tabActive : .tabs)
        }
        let right = state.message ?? "theme \(theme.name)"
        let w = DisplayWidth.of(right) + 1
        if x + w + 1 <= size.width {
            grid.put(right, x: size.width - w, y: y, role: .tabs)
        }
    }

    private func drawHeader(into grid: inout CellGrid) {
        grid.fill(row: 0, role: .header)
        if size.height > 1 { grid.fill(row: 1, role: .header) }
        var line = StyledLine(" kgtop", .headerAccent)
        // Markers as written in full and shortened; they are placed where they overwrite nothing.
        var markers: [(full: String, short: String)] = []
        if state.paused { markers.append(heldUpdate == nil ? ("PAUSED", "PAUSED") : ("PAUSED (newer data held)", "PAUSED")) }
        if let update, update.isReplay {
            let replay = ["REPLAY", update.replayStatus].compactMap { $0 }.joined(separator: " ")
            markers.append((replay, replay))
        }
        if dataEnded { markers.append(("ENDED", "ENDED")) }
        guard let update else {
            line.append("  waiting for the first poll…", .header)
            placeHeader(line, compact: line, second: StyledLine(), markers: markers, into: &grid)
            return
        }
        let snapshot = update.snapshot
        let cluster = snapshot.cluster
        line.append("  cluster ", .header)
        line.append(cluster.clusterID ?? "?", .headerAccent)
        // Brokers up as of the newest poll: when it reached none, none is counted up, whatever the
        // last good snapshot (still on screen, dimmed) said.
        let up = update.staleness == nil ? cluster.brokers.filter(\.reachable).count : 0
        line.append("  brokers ", .header)
        line.append("\(up)/\(cluster.brokers.count) up", up == cluster.brokers.count ? .headerAccent : .errorText)
        if let stale = update.staleness {
            let since = stale.lastGoodAt.map { "data \(Format.age(ms: max(0, now - $0))) old" } ?? "no data yet"
            let polls = stale.failedPolls == 1 ? "1 failed poll" : "\(stale.failedPolls) failed polls"
            markers.insert(("STALE: \(since), \(polls)", "STALE \(since)"), at: 0)
        }
        if update.isReplay {
            // A replay shows when the poll was recorded, not how old it is.
            line.append("  recorded ", .header)
            line.append(Format.utc(ms: snapshot.takenAt), .headerAccent)
        } else {
            let age = max(0, now - snapshot.takenAt)
            let staleAfter = max(15_000, 3 * (update.pollIntervalMs ?? 5_000))
            line.append("  poll ", .header)
            let isStale = update.staleness != nil || age > staleAfter
            line.append("\(Format.age(ms: age)) ago", isStale && !state.paused ? .stale : .headerAccent)
        }
        let compact = line
        line.append(" in \(Format.duration(ms: snapshot.pollDurationMs))", .header)

        var second = StyledLine(" groups ", .header)
        if size.height > 1 {
            let counts = groupsCache.stateCounts(update, version: dataVersion)
            second.append("\(snapshot.groups.count)", .headerAccent)
            for (i, entry) in counts.enumerated() {
                second.append(i == 0 ? "  " : " · ", .header)
                second.append("\(entry.count) ", .headerAccent)
                second.append(entry.state, .header)
            }
        }
        placeHeader(line, compact: compact, second: size.height > 1 ? second : nil, markers: markers, into: &grid)
    }

    /// Draws the two header lines and the markers (`PAUSED`, `REPLAY`, `STALE`, `ENDED`) at the right
    /// of the first line where they overwrite nothing: the poll's duration goes first, then the
    /// markers are shortened, then they move to the second line, whose group counts give way.
    private func placeHeader(_ full: StyledLine, compact: StyledLine, second: StyledLine?, markers: [(full: String, short: String)], into grid: inout CellGrid) {
        func width(_ texts: [String]) -> Int { texts.reduce(0) { $0 + DisplayWidth.of($1) + 3 } }
        func draw(_ texts: [String], row: Int) {
            var x = size.width
            for text in texts.reversed() {
                let cell = " \(text) "
                x -= DisplayWidth.of(cell) + 1
                grid.put(cell, x: x, y: row, role: .paused)
            }
        }
        let fullTexts = markers.map(\.full)
        let shortTexts = markers.map(\.short)
        func fits(_ line: StyledLine, _ texts: [String]) -> Bool { texts.isEmpty || line.width + 1 + width(texts) <= size.width }
        var top = full
        var row0: [String]? = nil
        if fits(full, fullTexts) { row0 = fullTexts }
        else if fits(compact, fullTexts) { top = compact; row0 = fullTexts }
        else if fits(compact, shortTexts) { top = compact; row0 = shortTexts }
        grid.put(top, x: 0, y: 0)
        if let row0 { draw(row0, row: 0) }
        guard let second else { return }
        if row0 != nil || markers.isEmpty {
            grid.put(second, x: 0, y: 1)
            return
        }
        // The markers take the right of the second line; the group counts keep what is left.
        let texts = fits(second, fullTexts) || width(fullTexts) < size.width ? fullTexts : shortTexts
        grid.put(second, x: 0, y: 1, maxWidth: max(0, size.width - width(texts) - 1))
        draw(texts, row: 1)
    }

    private func drawKeyBar(into grid: inout CellGrid) {
        let y = size.height - 1
        guard y >= Self.headerRows else { return }
        grid.fill(row: y, role: .keyBar)
        if let editing = state.editingFilter {
            var line = StyledLine(" Filter /", .keyBarKey)
            line.append(editing, .filter)
            line.append("█", .filter)
            let valid = editing.isEmpty || matcher(editing).isRegex
            line.append(valid ? "   Enter apply  Esc cancel  (regex, any case)" : "   not a regex: matching the text", valid ? .keyBar : .warnText)
            grid.put(line, x: 0, y: y)
            return
        }
        // Whole entries only, most important first (quit and help lead): what does not fit is left out.
        var line = StyledLine()
        for binding in keyMap.barBindings {
            guard let label = binding.barLabel, let key = binding.keys.first else { continue }
            let entry = DisplayWidth.of(" " + key.displayName + " " + label + " ")
            guard line.width + entry <= size.width else { continue }
            line.append(" " + key.displayName, .keyBarKey)
            line.append(" " + label + " ", .keyBar)
        }
        grid.put(line, x: 0, y: y)
    }

    /// The notation the views use, for the help's second section: (term, meaning).
    static let notation: [(String, String)] = [
        ("14/14", "EPOCH in Groups: group epoch / assignment epoch (KIP-848); they differ while the target assignment is computed"),
        ("gen 12", "a classic group's generation"),
        ("2/3", "after members or partitions: members at the target epoch, or partitions owned by their target owner / all"),
        ("7→8", "from → to: a member's epoch → the assignment epoch it must reach; PARTS owned now → in the target assignment; an episode's epoch before → target"),
        ("MEMB", "members in the group"),
        ("STALL", "the committed offset stood still with lag for 3+ polls and 15+ s while a member owns the partition: the consumer is there but not progressing"),
        ("STOP", "the same with nobody owning the partition: no consumer is running"),
        ("> 18s", "a time lag that is a lower bound: the partition is at least that far behind (its record could not be read)"),
        ("<1 poll", "a rebalance that began and ended between two polls"),
        ("estimate ~9s", "the median duration of the group's last nine finished rebalances: an estimate"),
        ("12.3k 1.25M", "numbers shortened; a lag ending in + leaves out partitions whose lag is unknown"),
        ("ord…e~KKGw", "a name shortened in the middle: the end that tells names apart stays (a partition keeps its -N)"),
        ("highlight", "a value that changed since the previous poll, for one poll"),
    ]

    /// The help's lines at an inner width: the keys (in two columns when they fit), then the notation.
    func helpLines(innerWidth: Int) -> [StyledLine] {
        var entries = keyMap.bindings.map { (keys: $0.keyNames, summary: $0.summary) }
        if update?.isReplay == true { entries += KeyMap.replay.map { (keys: $0.keyNames, summary: $0.summary) } }
        let keyWidth = min(12, (entries.map { DisplayWidth.of($0.keys) }.max() ?? 4) + 1)
        let summaryWidth = entries.map { DisplayWidth.of($0.summary) }.max() ?? 10
        let cellWidth = keyWidth + summaryWidth
        let columns = innerWidth >= 2 * cellWidth + 3 ? 2 : 1
        let colWidth = columns == 2 ? (innerWidth - 3) / 2 : innerWidth - 1
        let perColumn = (entries.count + columns - 1) / columns
        var lines: [StyledLine] = [StyledLine(" Keys", .sectionTitle)]
        for row in 0..<perColumn {
            var line = StyledLine(" ", .help)
            for column in 0..<columns {
                let i = column * perColumn + row
                guard i < entries.count else { continue }
                if column > 0 { line.append("  ", .help) }
                line.append(Format.fit(entries[i].keys, keyWidth), .keyBarKey)
                line.append(Format.fit(Format.shortenAtWord(entries[i].summary, max(1, colWidth - keyWidth)), max(0, colWidth - keyWidth)), .help)
            }
            lines.append(line)
        }
        lines.append(StyledLine(" ", .help))
        lines.append(StyledLine(" Notation", .sectionTitle))
        let termWidth = min(14, (Self.notation.map { DisplayWidth.of($0.0) }.max() ?? 8) + 1)
        for (term, meaning) in Self.notation {
            var line = StyledLine(" ", .help)
            line.append(Format.fit(term, termWidth), .keyBarKey)
            line.append(meaning, .help)
            lines += Format.wrap(line, width: innerWidth, indent: String(repeating: " ", count: termWidth + 1))
        }
        return lines
    }

    /// Draws a framed box in the middle of the content area with a title and lines, scrolled so that
    /// line `top` is first; returns the top actually used (kept in range).
    @discardableResult
    private func drawBox(title: String, lines: [StyledLine], top: Int, width boxWidth: Int, into grid: inout CellGrid) -> Int {
        let area = size.height - Self.headerRows - Self.footerRows
        let boxHeight = min(area, lines.count + 2)
        guard boxHeight >= 3, boxWidth >= 10 else { return 0 }
        let inner = boxWidth - 2
        let visible = boxHeight - 2
        let top = max(0, min(top, lines.count - visible))
        let x0 = (size.width - boxWidth) / 2
        let y0 = Self.headerRows + max(0, (area - boxHeight) / 2)
        for y in y0..<(y0 + boxHeight) { grid.fill(row: y, from: x0, count: boxWidth, role: .help) }
        var heading = title
        if lines.count > visible { heading += top + visible < lines.count ? "(↓ more) " : "(↑ more) " }
        heading = Format.shortenAtWord(heading, inner)
        let dashes = max(0, inner - DisplayWidth.of(heading))
        grid.put("┌" + String(repeating: "─", count: dashes / 2) + heading + String(repeating: "─", count: dashes - dashes / 2) + "┐", x: x0, y: y0, role: .help)
        for y in (y0 + 1)..<(y0 + boxHeight - 1) {
            grid.put("│", x: x0, y: y, role: .help)
            grid.put("│", x: x0 + boxWidth - 1, y: y, role: .help)
        }
        grid.put("└" + String(repeating: "─", count: inner) + "┘", x: x0, y: y0 + boxHeight - 1, role: .help)
        for (offset, line) in lines.dropFirst(top).prefix(visible).enumerated() {
            grid.put(line, x: x0 + 1, y: y0 + 1 + offset, maxWidth: inner)
        }
        return top
    }

    private func drawHelp(into grid: inout CellGrid) {
        let boxWidth = min(size.width, 120)
        let lines = helpLines(innerWidth: boxWidth - 2)
        state.helpTop = drawBox(title: " Help (? or Esc closes, ↑ ↓ scroll) ", lines: lines, top: state.helpTop, width: boxWidth, into: &grid)
    }

    /// The selected message of the errors view in full, wrapped, with when, where and how often.
    private func drawDetail(into grid: inout CellGrid) {
        guard state.view == .errors, let update else { state.detailVisible = false; return }
        let shown = shownErrors(update)
        let selected = state.position(.errors).selected
        guard selected < shown.count else { state.detailVisible = false; return }
        let error = shown[selected]
        let boxWidth = min(size.width, 100)
        let inner = boxWidth - 2
        var lines: [StyledLine] = []
        var first = StyledLine(" ", .help)
        first.append(error.severity.name, Self.severityRole(error.severity))
        first.append(" · \(error.source.rawValue) · \(Format.utc(ms: error.at)) (\(Format.age(ms: now - error.at)) ago)", .help)
        lines += Format.wrap(first, width: inner, indent: " ")
        if let group = error.groupID { lines += Format.wrap(StyledLine(" group \(group)", .help), width: inner, indent: " ") }
        if let broker = error.brokerID { lines.append(StyledLine(" broker \(broker)", .help)) }
        if error.count > 1 {
            lines.append(StyledLine(" seen in \(error.count) polls in a row since \(Format.utc(ms: error.since ?? error.at))", .help))
        }
        lines.append(StyledLine(" ", .help))
        lines += Format.wrap(StyledLine(" " + error.message, error.severity >= .error ? .errorText : .help), width: inner, indent: " ", splitLongWords: true)
        let closing = error.groupID == nil ? " Message (Esc closes) " : " Message (Esc closes, Enter opens the group) "
        drawBox(title: closing, lines: lines, top: 0, width: boxWidth, into: &grid)
    }
}

/// A compiled filter: a case-insensitive regular expression, or (when the pattern is not a valid
/// one) a case-insensitive substring.
///
/// Most filters are plain words (`orders`, `payments-v2`) and most ids are ASCII: such a pattern is
/// matched against such a text byte by byte, with the same answer as the regex (letters in either
/// case, `.` any character), and the regex runs only for the rest.
struct FilterMatcher {
    let regex: Regex<AnyRegexOutput>?
    let lowered: String
    /// The pattern's bytes, lowercased, for ASCII texts; ``anyCharacter`` stands for a regex `.`.
    /// Nil when the pattern needs the regex or Unicode lowercasing.
    let asciiPattern: [UInt8]?

    /// Stands for `.` in ``asciiPattern`` (no printable ASCII byte has this value).
    static let anyCharacter: UInt8 = 0xFF

    init(_ pattern: String) {
        lowered = pattern.lowercased()
        regex = (try? Regex(pattern))?.ignoresCase()
        asciiPattern = Self.asciiPattern(pattern, isRegex: regex != nil)
    }

    var isRegex: Bool { regex != nil }

    func matches(_ text: String) -> Bool {
        if let asciiPattern, let answer = Self.asciiMatch(text, asciiPattern) { return answer }
        if let regex { return (try? regex.firstMatch(in: text)) != nil }
        return text.lowercased().contains(lowered)
    }

    /// The bytes of a pattern that matches as a plain (case-insensitive) word: for a regex, letters,
    /// digits, `_`, `-` and `.` only (no other character is read as itself for sure); for a plain
    /// substring, any printable ASCII. Nil otherwise.
    static func asciiPattern(_ pattern: String, isRegex: Bool) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pattern.utf8.count)
        for byte in pattern.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                bytes.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                bytes.append(byte | 0x20)
            case UInt8(ascii: "."):
                bytes.append(isRegex ? anyCharacter : byte)
            case 0x20...0x7E where !isRegex:
                bytes.append(byte)
            default:
                return nil
            }
        }
        return bytes
    }

    /// Whether `pattern` occurs in `text`, letters compared in either case; nil when the text is not
    /// all printable ASCII (then each byte is not one character of its own, or `.` might not match).
    static func asciiMatch(_ text: String, _ pattern: [UInt8]) -> Bool? {
        var text = text
        return text.withUTF8 { bytes -> Bool? in
            for byte in bytes where byte < 0x20 || byte > 0x7E { return nil }
            let n = bytes.count, m = pattern.count
            guard m <= n else { return false }
            var start = 0
            while start + m <= n {
                var k = 0
                while k < m {
                    let p = pattern[k]
                    var t = bytes[start + k]
                    if t >= UInt8(ascii: "A") && t <= UInt8(ascii: "Z") { t |= 0x20 }
                    if p != anyCharacter && p != t { break }
                    k += 1
                }
                if k == m { return true }
                start += 1
            }
            return false
        }
    }
}

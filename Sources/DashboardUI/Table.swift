/// How a column aligns its cells.
enum Alignment: Sendable {
    case left
    case right
}

/// How a cell too long for its column is shortened.
enum Shortening: Sendable {
    /// Cut at the end, `…` last: states, numbers, free text.
    case end
    /// Cut in the middle (``Format/shortenMiddle(_:_:)``), keeping the end that tells similar names
    /// apart: group ids, member labels, partitions (whose `-N` always stays).
    case middle
}

/// One column of a table: what it shows, how wide it may be, and how important it is when space
/// runs out. Every table of the dashboard (groups, members, partitions, rebalances, protocols,
/// errors) declares its columns this way and is laid out by ``TableLayout``.
struct ColumnSpec<ID: Hashable & Sendable>: Sendable {
    var id: ID
    var title: String
    var alignment: Alignment
    /// Lower is more important; the columns with the highest numbers are dropped first.
    var priority: Int
    /// How narrow the column may be squeezed when its content is wider (by default not at all: the
    /// column is as wide as its content, up to ``maxWidth``). Never narrower than its title.
    var minWidth: Int
    /// The widest content makes it (a longer value is shortened).
    var maxWidth: Int
    /// Names what a row is (group id, member label, partition): it is laid out first and keeps its
    /// whole content, up to two fifths of the width, before any other column is placed.
    var identity: Bool
    /// How a value too long for the column is shortened.
    var shortening: Shortening
    /// Takes the width left over once every column has its content width (a message column).
    var fills: Bool
    /// Whether a value that changed since the previous poll is highlighted (not for ages, which
    /// change with the clock).
    var highlightsChanges: Bool
    /// The column's name in ``ChangeTracker`` keys (`String(describing: id)`, made once).
    let changeKey: String

    init(id: ID, title: String, min: Int = .max, max: Int = 64, alignment: Alignment = .left, priority: Int,
         identity: Bool = false, shortening: Shortening = .end, fills: Bool = false, highlightsChanges: Bool = true) {
        self.id = id
        self.title = title
        self.alignment = alignment
        self.priority = priority
        self.minWidth = min
        self.maxWidth = max
        self.identity = identity
        self.shortening = shortening
        self.fills = fills
        self.highlightsChanges = highlightsChanges
        self.changeKey = String(describing: id)
    }
}

/// What the content of a table needs, per column: the widest value, and whether any value is more
/// than a placeholder (`-` or nothing). Measured from the rows before they are laid out.
struct ColumnContent<ID: Hashable & Sendable>: Sendable {
    private(set) var widths: [ID: Int] = [:]
    private(set) var filled: Set<ID> = []

    init() {}

    /// Counts one value of a column.
    mutating func measure(_ id: ID, _ text: String) {
        measure(id, width: DisplayWidth.of(text), placeholder: text.isEmpty || text == "-")
    }

    /// Counts one value of a column by its width (for values measured without being formatted).
    mutating func measure(_ id: ID, width: Int, placeholder: Bool = false) {
        if width > widths[id] ?? 0 { widths[id] = width }
        if !placeholder { filled.insert(id) }
    }

    /// Counts every cell of one row.
    mutating func measure(_ cells: [ID: Span]) {
        for (id, span) in cells { measure(id, span.text) }
    }

    /// The widest value of a column, 0 when none was measured.
    func width(_ id: ID) -> Int { widths[id] ?? 0 }

    /// Whether some value of the column is more than a placeholder.
    func hasContent(_ id: ID) -> Bool { filled.contains(id) }
}

/// The columns that fit a width, with their final widths, in display order.
///
/// The rules, in order:
/// 1. Each column needs its minimum, or its content's width when that is less, and at least its
///    title (one more for the sort column's marker); it wants its content's width, up to its maximum. An identity column needs its
///    content's width, up to two fifths of the width.
/// 2. Columns are placed by rank: identity columns, then by priority, with columns that hold only
///    placeholders after all others; placing stops at the first column whose minimum does not fit,
///    so a less useful column never stays while a more useful one goes.
/// 3. The width left is given to the placed columns, by rank, up to what their content wants;
///    what is still left goes to a column that ``ColumnSpec/fills``.
struct TableLayout<ID: Hashable & Sendable>: Sendable {
    struct Placed: Sendable {
        var spec: ColumnSpec<ID>
        var width: Int
    }

    var columns: [Placed]
    /// The columns left out at this width, most important first.
    var hidden: [ID]
    /// The column the rows are sorted by (its title gets a marker cell).
    var sortColumn: ID?
    /// Columns before the first cell (the selection gutter).
    let indent = 1
    let gap = 1

    init(_ specs: [ColumnSpec<ID>], content: ColumnContent<ID> = ColumnContent(), width: Int, sortedBy: ID? = nil) {
        sortColumn = sortedBy
        let gutter = 1, spacing = 1
        let available = max(0, width - gutter)
        var minimum: [Int] = []
        var wanted: [Int] = []
        for spec in specs {
            let title = DisplayWidth.of(spec.title) + (spec.id == sortedBy ? 1 : 0)
            let measured = content.width(spec.id)
            let floor = max(title, min(spec.minWidth, measured))
            let want = max(floor, min(spec.maxWidth, measured))
            minimum.append(spec.identity ? min(want, max(floor, available * 2 / 5)) : floor)
            wanted.append(want)
        }
        let rank = specs.indices.sorted { a, b in
            func key(_ i: Int) -> (Int, Int, Int, Int) {
                let empty = !specs[i].identity && !content.hasContent(specs[i].id)
                return (specs[i].identity ? 0 : 1, empty ? 1 : 0, specs[i].priority, i)
            }
            return key(a) < key(b)
        }
        var chosen: [Int] = []
        var used = 0
        for i in rank {
            let need = minimum[i] + (chosen.isEmpty ? 0 : spacing)
            if used + need > available {
                // Not even the first column fits whole: it gets what there is.
                if chosen.isEmpty && available > 0 { minimum[i] = available; chosen.append(i); used = available }
                break
            }
            chosen.append(i)
            used += need
        }
        var widths: [Int: Int] = [:]
        for i in chosen { widths[i] = minimum[i] }
        var spare = available - used
        for i in chosen where spare > 0 {
            let grow = min(spare, max(0, wanted[i] - minimum[i]))
            widths[i, default: 0] += grow
            spare -= grow
        }
        if spare > 0, let filler = chosen.first(where: { specs[$0].fills }) { widths[filler, default: 0] += spare }
        let shown = Set(chosen)
        columns = specs.indices.filter { shown.contains($0) }.map { Placed(spec: specs[$0], width: widths[$0] ?? 0) }
        hidden = rank.filter { !shown.contains($0) }.map { specs[$0].id }
    }

    func contains(_ id: ID) -> Bool { columns.contains { $0.spec.id == id } }

    /// The placed width of a column, 0 when it was left out.
    func width(of id: ID) -> Int { columns.first { $0.spec.id == id }?.width ?? 0 }

    /// The title row; the sort column's title is followed by `▲` or `▼` in a cell of its own.
    func header(descending: Bool = false) -> StyledLine {
        var line = StyledLine(" ", .columnHeader)
        for (i, column) in columns.enumerated() {
            var title = column.spec.title
            if column.spec.id == sortColumn { title += descending ? "▼" : "▲" }
            let cell = DisplayWidth.of(title) > column.width
                ? Self.shortenTitle(title, column.width)
                : Format.fit(title, column.width, right: column.spec.alignment == .right)
            line.append((i > 0 ? " " : "") + cell, .columnHeader)
        }
        return line
    }

    /// A title shortened only when a table is narrower than one title: whole words first.
    private static func shortenTitle(_ title: String, _ width: Int) -> String {
        Format.fit(Format.shortenAtWord(title, width), width)
    }

    /// A row from cells keyed by column id (missing cells are blank). Values too long for their
    /// column are shortened as the column says. With `changes` and a row key, a value that differs
    /// from what the previous poll showed in the same row and column is drawn in the `changed` role.
    func row(_ cells: [ID: Span], key: String? = nil, changes: ChangeTracker? = nil) -> StyledLine {
        var line = StyledLine(" ")
        for (i, column) in columns.enumerated() {
            if i > 0 { line.append(" ") }
            let cell = cells[column.spec.id] ?? Span("")
            let text = column.spec.shortening == .middle ? Format.shortenMiddle(cell.text, column.width) : cell.text
            var role = cell.role
            if let key, let changes, column.spec.highlightsChanges,
               changes.changed(row: key, column: column.spec.changeKey, value: cell.text) {
                role = .changed
            }
            line.spans.append(Span(Format.fit(text, column.width, right: column.spec.alignment == .right), role, cell.attributes))
        }
        return line
    }
}

/// Remembers the values drawn in table rows, by row key and column, so that a value that changed
/// since the previous poll is highlighted for one poll, as htop does. Only what is drawn is kept:
/// the rows of the last frame of the previous poll, and the rows drawn so far of the current frame.
/// A row that was not on screen at the previous poll is not highlighted.
final class ChangeTracker {
    private var version: Int?
    private var previous: [String: String] = [:]
    private var current: [String: String] = [:]

    init() {}

    /// Starts a frame of the data version `version` (``Dashboard/dataVersion``).
    func beginFrame(version: Int) {
        if let last = self.version, last != version { previous = current }
        if self.version == nil { previous = [:] }
        self.version = version
        current = [:]
    }

    /// Records a value drawn in a row and column; true when the previous poll drew another value there.
    func changed(row: String, column: String, value: String) -> Bool {
        let key = row + "\u{1F}" + column
        current[key] = value
        guard let before = previous[key] else { return false }
        return before != value
    }
}

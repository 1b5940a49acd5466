/// How a column aligns its cells.
enum Alignment: Sendable {
    case left
    case right
}

/// One column of a table: title, width, and how important it is when space runs out.
struct ColumnSpec<ID: Hashable & Sendable>: Sendable {
    var id: ID
    var title: String
    /// Width in columns (the minimum for the flexible column).
    var width: Int
    var alignment: Alignment = .left
    /// Lower is more important; columns are dropped from the highest priority number first.
    var priority: Int
    /// The flexible column takes the remaining width, up to `maxWidth`.
    var flexible: Bool = false
    var maxWidth: Int = 0
}

/// The columns that fit a width, with their final widths, in display order.
struct TableLayout<ID: Hashable & Sendable>: Sendable {
    struct Placed: Sendable {
        var spec: ColumnSpec<ID>
        var width: Int
    }

    var columns: [Placed]
    /// Columns before the first cell (the selection gutter).
    let indent = 1
    let gap = 1

    /// Picks the most important columns that fit in `width`, then widens the flexible one.
    init(_ specs: [ColumnSpec<ID>], width: Int) {
        var chosen = Set<Int>()
        var used = 1
        for (i, spec) in specs.enumerated().sorted(by: { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }) {
            let need = spec.width + (chosen.isEmpty ? 0 : 1)
            if used + need <= width {
                chosen.insert(i)
                used += need
            }
        }
        var placed = specs.enumerated().filter { chosen.contains($0.offset) }.map { Placed(spec: $0.element, width: $0.element.width) }
        if let flex = placed.firstIndex(where: { $0.spec.flexible }) {
            let extra = max(0, width - used)
            placed[flex].width += min(extra, max(0, placed[flex].spec.maxWidth - placed[flex].width))
        }
        columns = placed
    }

    func contains(_ id: ID) -> Bool { columns.contains { $0.spec.id == id } }

    /// The placed width of a column, 0 when it was left out.
    func width(of id: ID) -> Int { columns.first { $0.spec.id == id }?.width ?? 0 }

    /// The title row.
    func header(sortedBy: ID? = nil, descending: Bool = false) -> StyledLine {
        var line = StyledLine(" ", .columnHeader)
        for (i, column) in columns.enumerated() {
            var title = column.spec.title
            if column.spec.id == sortedBy {
                // Keep the arrow visible when the title fills the column.
                if DisplayWidth.of(title) >= column.width { title = String(title.prefix(max(0, column.width - 1))) }
                title += descending ? "▼" : "▲"
            }
            line.append((i > 0 ? " " : "") + Format.fit(title, column.width, right: column.spec.alignment == .right), .columnHeader)
        }
        return line
    }

    /// A row from cells keyed by column id (missing cells are blank).
    func row(_ cells: [ID: Span]) -> StyledLine {
        var line = StyledLine(" ")
        for (i, column) in columns.enumerated() {
            if i > 0 { line.append(" ") }
            let cell = cells[column.spec.id] ?? Span("")
            line.spans.append(Span(Format.fit(cell.text, column.width, right: column.spec.alignment == .right), cell.role, cell.attributes))
        }
        return line
    }
}

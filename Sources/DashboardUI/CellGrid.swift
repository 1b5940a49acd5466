// MARK: - Attributes

/// Text attributes a cell can carry on top of its theme role's style.
public struct CellAttributes: OptionSet, Sendable, Hashable, CaseIterable {
    /// The raw bits.
    public let rawValue: UInt8
    /// Creates attributes from raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bold (or bright) text.
    public static let bold = CellAttributes(rawValue: 1 << 0)
    /// Dim (half-bright) text.
    public static let dim = CellAttributes(rawValue: 1 << 1)
    /// Underlined text.
    public static let underline = CellAttributes(rawValue: 1 << 2)
    /// Foreground and background swapped.
    public static let reverse = CellAttributes(rawValue: 1 << 3)
    /// Italic text, where the terminal supports it.
    public static let italic = CellAttributes(rawValue: 1 << 4)
    /// Blinking text (used sparingly: only by themes that ask for it).
    public static let blink = CellAttributes(rawValue: 1 << 5)

    /// Every attribute, in the order themes name them.
    public static let allCases: [CellAttributes] = [.bold, .dim, .underline, .reverse, .italic, .blink]

    /// The name used in theme files (`bold`, `dim`, ...).
    public var name: String {
        switch self {
        case .bold: return "bold"
        case .dim: return "dim"
        case .underline: return "underline"
        case .reverse: return "reverse"
        case .italic: return "italic"
        case .blink: return "blink"
        default: return allNames.joined(separator: "+")
        }
    }

    /// The names of the attributes set, in theme order.
    public var allNames: [String] {
        Self.allCases.filter { contains($0) }.map(\.name)
    }

    /// Parses a theme attribute name.
    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }
}

// MARK: - Cell

/// One terminal cell: a grapheme, its display width, the theme role it is drawn with and extra
/// attributes.
///
/// A wide grapheme (width 2) occupies two cells: the first holds the grapheme, the second is a
/// continuation cell (``isContinuation``) that terminals skip.
public struct Cell: Sendable, Hashable {
    /// The grapheme shown; `" "` for blank cells, `""` for the continuation of a wide grapheme.
    public var character: String
    /// Columns the grapheme occupies: 1 or 2 (0 for a continuation cell).
    public var width: UInt8
    /// The semantic role that picks the style.
    public var role: ThemeRole
    /// Attributes added to the role's style.
    public var attributes: CellAttributes

    /// Creates a cell.
    public init(character: String = " ", width: UInt8 = 1, role: ThemeRole = .normal, attributes: CellAttributes = []) {
        self.character = character
        self.width = width
        self.role = role
        self.attributes = attributes
    }

    /// Whether this cell is the right half of a wide grapheme.
    public var isContinuation: Bool { width == 0 }

    /// A blank cell in a role.
    public static func blank(_ role: ThemeRole = .normal) -> Cell { Cell(role: role) }
}

// MARK: - CellGrid

/// A rectangle of cells that views render into and terminals draw. Row-major, origin top-left.
public struct CellGrid: Sendable, Hashable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// The cells, row after row.
    public private(set) var cells: [Cell]

    /// Creates a grid filled with blank cells of `role`.
    public init(width: Int, height: Int, role: ThemeRole = .normal) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: Cell.blank(role), count: self.width * self.height)
    }

    /// The cell at column `x`, row `y` (both must be in range).
    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Fills row `y` from column `x` (to the end, or `count` columns) with blanks of `role`.
    public mutating func fill(row y: Int, from x: Int = 0, count: Int? = nil, role: ThemeRole, attributes: CellAttributes = []) {
        guard y >= 0, y < height else { return }
        let end = min(width, x + (count ?? width))
        var column = max(0, x)
        while column < end {
            self[column, y] = Cell(role: role, attributes: attributes)
            column += 1
        }
    }

    /// Writes `text` at (`x`, `y`), clipped to `maxWidth` columns and the grid edge. Control
    /// characters are shown as `?`; a wide grapheme that does not fit is replaced by a space.
    /// Returns the number of columns written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, role: ThemeRole, attributes: CellAttributes = []) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, maxWidth.map { x + max(0, $0) } ?? width)
        var column = x
        for grapheme in text {
            guard column < limit else { break }
            let w = DisplayWidth.of(grapheme)
            if w == 0 { continue }
            if column < 0 { column += w; continue }
            if w == 2 {
                if column + 1 >= limit {
                    self[column, y] = Cell(role: role, attributes: attributes)
                    column += 1
                    break
                }
                self[column, y] = Cell(character: String(grapheme), width: 2, role: role, attributes: attributes)
                self[column + 1, y] = Cell(character: "", width: 0, role: role, attributes: attributes)
                column += 2
            } else {
                let shown = grapheme.unicodeScalars.first.map { $0.value < 0x20 || $0.value == 0x7F } == true ? "?" : String(grapheme)
                self[column, y] = Cell(character: shown, width: 1, role: role, attributes: attributes)
                column += 1
            }
        }
        return max(0, column - max(x, 0))
    }

    /// Writes a styled line at (`x`, `y`), clipped to `maxWidth` columns. Returns columns written.
    @discardableResult
    public mutating func put(_ line: StyledLine, x: Int, y: Int, maxWidth: Int? = nil) -> Int {
        let limit = maxWidth ?? (width - x)
        var used = 0
        for span in line.spans {
            guard used < limit else { break }
            used += put(span.text, x: x + used, y: y, maxWidth: limit - used, role: span.role, attributes: span.attributes)
        }
        return used
    }

    /// Sets the role (and optionally attributes) of every cell of row `y` between `x` and `x + count`.
    public mutating func restyle(row y: Int, from x: Int = 0, count: Int? = nil, role: ThemeRole, attributes: CellAttributes? = nil) {
        guard y >= 0, y < height else { return }
        let end = min(width, x + (count ?? width))
        var column = max(0, x)
        while column < end {
            cells[y * width + column].role = role
            if let attributes { cells[y * width + column].attributes = attributes }
            column += 1
        }
    }

    /// The grid as plain text, one string per row, trailing spaces trimmed (for tests and captures).
    public var text: [String] {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width {
                let cell = self[x, y]
                if !cell.isContinuation { line += cell.character }
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// The rows of ``text`` joined with newlines, ending with one.
    public var plainText: String { text.joined(separator: "\n") + "\n" }
}

// MARK: - Display width

/// Terminal column widths of graphemes, from Unicode's East Asian Width and emoji properties,
/// without asking the C library (so rendering is the same on every machine).
public enum DisplayWidth {
    /// Columns the grapheme takes: 0 (zero-width), 1 or 2.
    public static func of(_ grapheme: Character) -> Int {
        guard let first = grapheme.unicodeScalars.first else { return 0 }
        let v = first.value
        if v < 0x7F { return 1 }
        if grapheme.unicodeScalars.contains(where: { $0.value == 0xFE0F }) { return 2 }
        if first.properties.generalCategory == .nonspacingMark || first.properties.generalCategory == .enclosingMark
            || v == 0x200B || v == 0x200D || (0xFE00...0xFE0F).contains(v) {
            return 0
        }
        return isWide(v) ? 2 : 1
    }

    /// Columns a string takes.
    public static func of(_ text: String) -> Int {
        if let width = asciiWidth(text) { return width }
        var total = 0
        for grapheme in text { total += of(grapheme) }
        return total
    }

    /// The width of a string of ASCII characters below DEL without a carriage return: one column per
    /// byte, since each such byte is a grapheme of its own of width 1 (a carriage return may join the
    /// line feed after it into one grapheme). Nil for any other string, which is measured grapheme by
    /// grapheme (so is a string whose bytes are not stored contiguously).
    static func asciiWidth(_ text: String) -> Int? {
        text.utf8.withContiguousStorageIfAvailable { asciiWidth($0) } ?? nil
    }

    private static func asciiWidth(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        for byte in bytes where byte >= 0x7F || byte == 0x0D { return nil }
        return bytes.count
    }

    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
             0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB,
             0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA,
             0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757,
             0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55,
             0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A,
             0x1F200...0x1F251, 0x1F300...0x1F64F, 0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB,
             0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}

// MARK: - Styled text

/// A run of text drawn with one role and attributes.
public struct Span: Sendable, Hashable {
    /// The text.
    public var text: String
    /// Its role.
    public var role: ThemeRole
    /// Extra attributes.
    public var attributes: CellAttributes

    /// Creates a span.
    public init(_ text: String, _ role: ThemeRole = .normal, _ attributes: CellAttributes = []) {
        self.text = text
        self.role = role
        self.attributes = attributes
    }
}

/// A line of spans, built left to right.
public struct StyledLine: Sendable, Hashable {
    /// The spans, in order.
    public var spans: [Span]

    /// Creates a line from spans.
    public init(_ spans: [Span] = []) { self.spans = spans }

    /// Creates a line of one span.
    public init(_ text: String, _ role: ThemeRole = .normal, _ attributes: CellAttributes = []) {
        self.spans = [Span(text, role, attributes)]
    }

    /// Appends a span.
    public mutating func append(_ text: String, _ role: ThemeRole = .normal, _ attributes: CellAttributes = []) {
        spans.append(Span(text, role, attributes))
    }

    /// Display width of the whole line.
    public var width: Int { spans.reduce(0) { $0 + DisplayWidth.of($1.text) } }

    /// The text without styles.
    public var plain: String { spans.map(\.text).joined() }
}

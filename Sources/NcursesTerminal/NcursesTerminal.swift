import CNcurses
import DashboardUI
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a curses terminal could not start.
public struct NcursesTerminalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A ``Terminal`` on the process's real terminal, through ncursesw. The only code that talks to curses.
///
/// Use ``withTerminal(_:)``: it starts curses and restores the terminal when the body returns or
/// throws. SIGINT and SIGTERM restore and exit with 130 and 143; crash signals restore and re-raise;
/// an `atexit` hook restores if anything else calls `exit`.
@MainActor
public final class NcursesTerminal: Terminal {
    /// The current size.
    public private(set) var size: TerminalSize
    /// Always `true`.
    public let isInteractive = true
    /// How long to wait between input polls when no key is pending.
    public var pollIntervalMs = 15
    /// Palette entries available (0 when the terminal has no colours).
    public private(set) var colorCount = 0

    private var active = false
    private var previous: CellGrid?
    private var styles: [ThemeRole: (attributes: UInt32, pair: Int16)] = [:]
    private var signalSources: [any DispatchSourceSignal] = []
    private var defaultColors = false

    /// Starts curses: locale, raw-ish input (cbreak, no echo, keypad), non-blocking reads, mouse,
    /// colours, hidden cursor, and the restore hooks.
    public init() throws(NcursesTerminalError) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw NcursesTerminalError("kgtop's dashboard needs a terminal (stdin and stdout must be a TTY); use --headless")
        }
        setlocale(LC_ALL, "")
        guard kg_start() == 0 else {
            throw NcursesTerminalError("cannot start the terminal UI (is TERM set to a known terminal?)")
        }
        size = TerminalSize(width: Int(kg_cols()), height: Int(kg_lines()))
        active = true
        atexit { kg_safe_endwin() }
        installSignalHandlers()
        cbreak()
        noecho()
        nonl()
        kg_keypad(1)
        kg_nodelay(1)
        _ = kg_set_escdelay(25)
        curs_set(0)
        mouseinterval(0)
        let wanted = mmask_t(kg_button1_pressed() | kg_button1_clicked() | kg_wheel_up() | kg_wheel_down())
        mousemask(wanted, nil)
        if has_colors() {
            start_color()
            defaultColors = use_default_colors() == Int32(KG_OK)
            colorCount = Int(kg_colors())
        }
    }

    /// Starts a terminal, runs `body` with it, and restores the terminal however `body` ends.
    public static func withTerminal<T>(_ body: (NcursesTerminal) async throws -> T) async throws -> T {
        let terminal = try NcursesTerminal()
        defer { terminal.restore() }
        return try await body(terminal)
    }

    // MARK: - Restore

    private func installSignalHandlers() {
        for (number, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            source.setEventHandler {
                kg_safe_endwin()
                exit(status)
            }
            source.resume()
            signalSources.append(source)
        }
        // A crash anywhere in the process (the poller included) must not leave the terminal raw.
        for number in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            signal(number) { received in
                kg_safe_endwin()
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    /// Ends curses and gives the terminal back (idempotent); signals get their default handling back.
    public func restore() {
        guard active else { return }
        active = false
        mousemask(0, nil)
        kg_safe_endwin()
        for source in signalSources { source.cancel() }
        signalSources.removeAll()
        for number in [SIGINT, SIGTERM, SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] { signal(number, SIG_DFL) }
    }

    // MARK: - Styles

    /// Builds one colour pair per role, approximating colours the terminal lacks; without colours
    /// (or pairs) every role is drawn with its monochrome attributes.
    public func apply(theme: Theme) {
        styles.removeAll()
        let roles = ThemeRole.allCases
        let useColors = colorCount >= 8 && Int(kg_color_pairs()) > roles.count
        for (i, role) in roles.enumerated() {
            let style = theme.style(role)
            guard useColors else {
                styles[role] = (Self.curses(theme.monochromeAttributes(role)), 0)
                continue
            }
            let pair = Int16(i + 1)
            var fg = style.foreground.index(forPaletteSize: colorCount).map(Int16.init) ?? -1
            var bg = style.background.index(forPaletteSize: colorCount).map(Int16.init) ?? -1
            if !defaultColors {
                if fg < 0 { fg = 7 }
                if bg < 0 { bg = 0 }
            }
            init_pair(pair, fg, bg)
            styles[role] = (Self.curses(style.attributes), pair)
        }
        previous = nil
    }

    private static func curses(_ attributes: CellAttributes) -> UInt32 {
        var value = kg_attr_normal()
        if attributes.contains(.bold) { value |= kg_attr_bold() }
        if attributes.contains(.dim) { value |= kg_attr_dim() }
        if attributes.contains(.underline) { value |= kg_attr_underline() }
        if attributes.contains(.reverse) { value |= kg_attr_reverse() }
        if attributes.contains(.italic) { value |= kg_attr_italic() }
        if attributes.contains(.blink) { value |= kg_attr_blink() }
        return value
    }

    // MARK: - Drawing

    /// Draws the cells that changed since the last frame (all of them after a resize or theme
    /// change), then lets curses send the difference to the terminal.
    public func draw(_ grid: CellGrid) {
        guard active else { return }
        let full = previous.map { $0.width != grid.width || $0.height != grid.height } ?? true
        if full { erase() }
        let rows = min(grid.height, size.height)
        let columns = min(grid.width, size.width)
        var text: [wchar_t] = Array(repeating: 0, count: 8)
        for y in 0..<rows {
            for x in 0..<columns {
                let cell = grid[x, y]
                if cell.isContinuation { continue }
                if !full, let previous, previous[x, y] == cell,
                   cell.width < 2 || x + 1 >= columns || previous[x + 1, y] == grid[x + 1, y] {
                    continue
                }
                if cell.width == 2 && x + 1 >= columns { continue }
                var count = 0
                for scalar in cell.character.unicodeScalars where count < 7 {
                    text[count] = wchar_t(bitPattern: scalar.value)
                    count += 1
                }
                if count == 0 { text[0] = 32; count = 1 }
                text[count] = 0
                let style = styles[cell.role] ?? (kg_attr_normal(), 0)
                _ = kg_put_cell(Int32(y), Int32(x), text, style.attributes | Self.curses(cell.attributes), style.pair)
            }
        }
        _ = kg_refresh()
        previous = grid
    }

    // MARK: - Input

    /// Polls for the next key, mouse event or resize on the main actor; `nil` only when cancelled.
    public func nextInput() async -> InputEvent? {
        while !Task.isCancelled && active {
            if let event = readEvent() { return event }
            try? await Task.sleep(for: .milliseconds(pollIntervalMs))
        }
        return nil
    }

    private func readEvent() -> InputEvent? {
        while true {
            var code: Int32 = 0
            let status = kg_read(&code)
            if status == Int32(KG_ERR) { return nil }
            if status == Int32(KG_KEY_CODE_YES) {
                if let event = functionKey(code) { return event }
                continue
            }
            switch code {
            case 9: return .key(.tab)
            case 10, 13: return .key(.enter)
            case 27: return .key(.escape)
            case 8, 127: return .key(.backspace)
            default:
                guard code >= 32, let scalar = Unicode.Scalar(UInt32(bitPattern: code)) else { continue }
                return .key(.character(Character(scalar)))
            }
        }
    }

    private func functionKey(_ code: Int32) -> InputEvent? {
        switch Int(code) {
        case Int(KG_KEY_UP): return .key(.up)
        case Int(KG_KEY_DOWN): return .key(.down)
        case Int(KG_KEY_LEFT): return .key(.left)
        case Int(KG_KEY_RIGHT): return .key(.right)
        case Int(KG_KEY_HOME): return .key(.home)
        case Int(KG_KEY_END): return .key(.end)
        case Int(KG_KEY_PPAGE): return .key(.pageUp)
        case Int(KG_KEY_NPAGE): return .key(.pageDown)
        case Int(KG_KEY_ENTER): return .key(.enter)
        case Int(KG_KEY_BACKSPACE): return .key(.backspace)
        case Int(KG_KEY_DC): return .key(.delete)
        case Int(KG_KEY_BTAB): return .key(.backTab)
        case Int(KG_KEY_RESIZE):
            size = TerminalSize(width: Int(kg_cols()), height: Int(kg_lines()))
            previous = nil
            return .resize(size)
        case Int(KG_KEY_MOUSE):
            var y: Int32 = 0
            var x: Int32 = 0
            var buttons: UInt = 0
            guard kg_mouse(&y, &x, &buttons) == Int32(KG_OK) else { return nil }
            if buttons & kg_wheel_up() != 0 { return .mouse(.wheelUp(x: Int(x), y: Int(y))) }
            if kg_wheel_down() != 0 && buttons & kg_wheel_down() != 0 { return .mouse(.wheelDown(x: Int(x), y: Int(y))) }
            if buttons & (kg_button1_pressed() | kg_button1_clicked()) != 0 { return .mouse(.click(x: Int(x), y: Int(y))) }
            return nil
        default:
            return nil
        }
    }
}

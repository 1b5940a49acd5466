// MARK: - Input events

/// A terminal's size in cells.
public struct TerminalSize: Sendable, Hashable, CustomStringConvertible {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int

    /// Creates a size.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// `80x24`.
    public var description: String { "\(width)x\(height)" }
}

/// A key press, independent of any terminal library.
public enum Key: Sendable, Hashable {
    /// A printable character (letters, digits, punctuation, space).
    case character(Character)
    /// Arrow up.
    case up
    /// Arrow down.
    case down
    /// Arrow left.
    case left
    /// Arrow right.
    case right
    /// Page up.
    case pageUp
    /// Page down.
    case pageDown
    /// Home.
    case home
    /// End.
    case end
    /// Tab.
    case tab
    /// Shift-Tab.
    case backTab
    /// Enter / Return.
    case enter
    /// Escape.
    case escape
    /// Backspace.
    case backspace
    /// Delete.
    case delete

    /// How help and the key bar show the key: `↑`, `k`, `PgUp`, `Enter`.
    public var displayName: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let c): return String(c)
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Backspace"
        case .delete: return "Del"
        }
    }
}

/// A mouse event, in screen cells.
public enum MouseEvent: Sendable, Hashable {
    /// Button 1 pressed and released (or pressed) at a cell.
    case click(x: Int, y: Int)
    /// Wheel turned up (scroll towards the top).
    case wheelUp(x: Int, y: Int)
    /// Wheel turned down.
    case wheelDown(x: Int, y: Int)
}

/// One thing the terminal reports.
public enum InputEvent: Sendable, Hashable {
    /// A key.
    case key(Key)
    /// A mouse event.
    case mouse(MouseEvent)
    /// The terminal changed size.
    case resize(TerminalSize)
}

// MARK: - Actions and reactions

/// What a key binding does. The one ``KeyMap`` maps keys to actions; ``DashboardState`` performs them.
public enum Action: String, Sendable, Hashable, CaseIterable {
    /// Move the selection up one row.
    case moveUp
    /// Move the selection down one row.
    case moveDown
    /// Move the selection up one page.
    case pageUp
    /// Move the selection down one page.
    case pageDown
    /// Jump to the first row.
    case top
    /// Jump to the last row.
    case bottom
    /// Open the selected group (in the Errors view: the selected message in full, then its group).
    case drillIn
    /// Go back to the previous view; close help or the filter.
    case drillOut
    /// Next view.
    case nextView
    /// Previous view.
    case previousView
    /// Groups view.
    case showGroups
    /// Group detail view of the selected group.
    case showGroup
    /// Rebalances view.
    case showRebalances
    /// Protocols view.
    case showProtocols
    /// Errors view.
    case showErrors
    /// Type a regular expression filter.
    case filter
    /// Sort by the next column.
    case sortNext
    /// Reverse the sort order.
    case sortReverse
    /// Show only groups with problems.
    case toggleProblemsOnly
    /// Errors view: cycle the minimum severity shown.
    case cycleSeverity
    /// Freeze or unfreeze the data (navigation keeps working).
    case togglePause
    /// Ask the poller for a new snapshot now.
    case refreshNow
    /// Switch to the next theme.
    case nextTheme
    /// Show or hide the key help.
    case toggleHelp
    /// Leave kgtop.
    case quit
}

/// What the UI loop must do after handling an input. Handlers return these; the loop acts on them.
public struct Reaction: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: UInt8
    /// Creates a reaction from raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Draw a new frame.
    public static let redraw = Reaction(rawValue: 1 << 0)
    /// Ask the data source for a new snapshot now.
    public static let refreshNow = Reaction(rawValue: 1 << 1)
    /// Leave the loop.
    public static let quit = Reaction(rawValue: 1 << 2)
    /// Pause was switched on or off (the data source may stop or resume polling).
    public static let togglePause = Reaction(rawValue: 1 << 3)
    /// The theme changed: the terminal must load the new styles.
    public static let themeChanged = Reaction(rawValue: 1 << 4)
    /// A replay key was pressed: the loop hands ``Dashboard/takeReplayCommand()`` to the replay.
    public static let replayCommand = Reaction(rawValue: 1 << 5)
}

// MARK: - Replay keys

/// What a replay key asks the replay to do. These keys are active only while the data on screen is
/// a replay (``DashboardUpdate/isReplay``); there they take precedence over ``KeyMap/standard``.
public enum ReplayCommand: String, Sendable, Hashable, CaseIterable {
    /// Play or pause the replay.
    case togglePlay
    /// Double the speed (up to 64×).
    case faster
    /// Halve the speed (down to 1×).
    case slower
    /// Show the next poll (pauses).
    case stepForward
    /// Show the previous poll (pauses).
    case stepBack
    /// Jump to the start of the next rebalance episode.
    case nextEpisode
    /// Jump to the next poll with a new error.
    case nextError
}

/// One replay key binding.
public struct ReplayKeyBinding: Sendable, Hashable {
    /// Keys that trigger the command.
    public var keys: [Key]
    /// The command.
    public var command: ReplayCommand
    /// What it does, for help and the docs.
    public var summary: String

    /// Creates a binding.
    public init(_ keys: [Key], _ command: ReplayCommand, _ summary: String) {
        self.keys = keys
        self.command = command
        self.summary = summary
    }

    /// The keys as help shows them.
    public var keyNames: String { keys.map(\.displayName).joined(separator: " ") }
}

extension KeyMap {
    /// The replay keys (`kgtop replay`), checked before the standard map during a replay.
    public static let replay: [ReplayKeyBinding] = [
        ReplayKeyBinding([.character(" ")], .togglePlay, "Replay: play / pause"),
        ReplayKeyBinding([.character("+"), .character("=")], .faster, "Replay: faster (up to 64×)"),
        ReplayKeyBinding([.character("-")], .slower, "Replay: slower (down to 1×)"),
        ReplayKeyBinding([.character(".")], .stepForward, "Replay: next poll"),
        ReplayKeyBinding([.character(",")], .stepBack, "Replay: previous poll"),
        ReplayKeyBinding([.character("n")], .nextEpisode, "Replay: next rebalance episode"),
        ReplayKeyBinding([.character("e")], .nextError, "Replay: next error"),
    ]

    /// The replay command of a key, if it is a replay key.
    public static func replayCommand(for key: Key) -> ReplayCommand? {
        replay.first { $0.keys.contains(key) }?.command
    }

    /// The replay keys as a Markdown table (docs/TUI.md).
    public static func replayMarkdownTable() -> String {
        var lines = ["| Keys | Action |", "|---|---|"]
        for binding in replay {
            lines.append("| " + binding.keys.map { "`\($0.displayName)`" }.joined(separator: " ") + " | \(binding.summary) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

// MARK: - Key map

/// One row of the key table: keys, the action, and how help and the key bar describe it.
public struct KeyBinding: Sendable, Hashable {
    /// Keys that trigger the action (the first is the main one).
    public var keys: [Key]
    /// The action.
    public var action: Action
    /// What the action does, for help and the README.
    public var summary: String
    /// Short label for the key bar, or `nil` to leave it out of the bar.
    public var barLabel: String?

    /// Creates a binding.
    public init(_ keys: [Key], _ action: Action, _ summary: String, bar barLabel: String? = nil) {
        self.keys = keys
        self.action = action
        self.summary = summary
        self.barLabel = barLabel
    }

    /// The keys as help shows them: `↑ k`.
    public var keyNames: String { keys.map(\.displayName).joined(separator: " ") }
}

/// The one table of key bindings. Help, the key bar and the README's key table are generated from it.
public struct KeyMap: Sendable {
    /// The bindings, in help order.
    public let bindings: [KeyBinding]
    private let index: [Key: Action]

    /// Creates a key map. A key bound twice keeps its first binding (``duplicateKeys`` lists such keys).
    public init(bindings: [KeyBinding]) {
        self.bindings = bindings
        var index: [Key: Action] = [:]
        for binding in bindings {
            for key in binding.keys where index[key] == nil { index[key] = binding.action }
        }
        self.index = index
    }

    /// The action bound to a key.
    public func action(for key: Key) -> Action? { index[key] }

    /// The binding of an action.
    public func binding(for action: Action) -> KeyBinding? { bindings.first { $0.action == action } }

    /// Keys that appear in more than one binding (a valid map has none).
    public var duplicateKeys: [Key] {
        var seen: Set<Key> = []
        var duplicates: [Key] = []
        for key in bindings.flatMap(\.keys) where !seen.insert(key).inserted { duplicates.append(key) }
        return duplicates
    }

    /// kgtop's bindings.
    public static let standard = KeyMap(bindings: [
        KeyBinding([.up, .character("k")], .moveUp, "Selection up"),
        KeyBinding([.down, .character("j")], .moveDown, "Selection down"),
        KeyBinding([.pageUp, .character("b")], .pageUp, "Page up"),
        KeyBinding([.pageDown, .character(" ")], .pageDown, "Page down"),
        KeyBinding([.home, .character("g")], .top, "First row"),
        KeyBinding([.end, .character("G")], .bottom, "Last row"),
        KeyBinding([.enter, .right, .character("l")], .drillIn, "Open the selected group (Errors: the message)", bar: "Open"),
        KeyBinding([.escape, .left, .character("h")], .drillOut, "Back; clear filter", bar: "Back"),
        KeyBinding([.tab], .nextView, "Next view", bar: "View"),
        KeyBinding([.backTab], .previousView, "Previous view"),
        KeyBinding([.character("1")], .showGroups, "Groups view"),
        KeyBinding([.character("2")], .showGroup, "Group view (selected)"),
        KeyBinding([.character("3")], .showRebalances, "Rebalances view"),
        KeyBinding([.character("4")], .showProtocols, "Protocols view"),
        KeyBinding([.character("5")], .showErrors, "Errors view"),
        KeyBinding([.character("/")], .filter, "Filter (regex)", bar: "Filter"),
        KeyBinding([.character("s")], .sortNext, "Sort by next column", bar: "Sort"),
        KeyBinding([.character("S")], .sortReverse, "Reverse sort order"),
        KeyBinding([.character("o")], .toggleProblemsOnly, "Only groups with problems", bar: "Problems"),
        KeyBinding([.character("v")], .cycleSeverity, "Errors: minimum severity"),
        KeyBinding([.character("p")], .togglePause, "Pause / resume data", bar: "Pause"),
        KeyBinding([.character("r")], .refreshNow, "Refresh now"),
        KeyBinding([.character("t")], .nextTheme, "Next theme"),
        KeyBinding([.character("?")], .toggleHelp, "Help", bar: "Help"),
        KeyBinding([.character("q")], .quit, "Quit", bar: "Quit"),
    ])

    /// The bindings shown in the key bar, most important first: quit and help, then table order.
    public var barBindings: [KeyBinding] {
        let labelled = bindings.filter { $0.barLabel != nil }
        let first: [Action] = [.quit, .toggleHelp]
        return first.compactMap { action in labelled.first { $0.action == action } } + labelled.filter { !first.contains($0.action) }
    }

    /// The key table as Markdown (the README's and docs/TUI.md's table).
    public func markdownTable() -> String {
        var lines = ["| Keys | Action |", "|---|---|"]
        for binding in bindings {
            let keys = binding.keys.map { key -> String in
                let name = key.displayName
                return name == "`" ? "`` ` ``" : name == "|" ? "`\\|`" : "`\(name)`"
            }.joined(separator: " ")
            lines.append("| \(keys) | \(binding.summary) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

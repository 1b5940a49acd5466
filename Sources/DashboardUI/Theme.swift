import Foundation

// MARK: - Roles

/// What a piece of the screen *means*. Views name roles; themes decide how each role looks.
public enum ThemeRole: String, Sendable, Hashable, CaseIterable, Codable {
    /// Ordinary text.
    case normal
    /// The header lines (cluster, brokers, poll).
    case header
    /// Emphasised values inside the header.
    case headerAccent
    /// The view tabs line.
    case tabs
    /// The tab of the current view.
    case tabActive
    /// The key bar at the bottom.
    case keyBar
    /// Key names inside the key bar and help.
    case keyBarKey
    /// Table column titles.
    case columnHeader
    /// Section titles inside a view.
    case sectionTitle
    /// The selected row.
    case selection
    /// Lag that is fine (zero, or healthy verdict).
    case lagOK
    /// Lag worth watching.
    case lagWarn
    /// Lag that needs action.
    case lagCritical
    /// A rebalance in progress: reconciling members, hand-offs, epochs that have not converged.
    case rebalancing
    /// A member that joined recently.
    case memberJoined
    /// A member that left recently.
    case memberLeft
    /// Data that is old or could not be refreshed; unknown values.
    case stale
    /// Error messages.
    case errorText
    /// Warning messages.
    case warnText
    /// Health verdict OK.
    case verdictOK
    /// Health verdict WARN.
    case verdictWarn
    /// Health verdict STALL.
    case verdictStall
    /// Health verdict STOP.
    case verdictStop
    /// Health verdict REWIND.
    case verdictRewind
    /// Health verdict ERR.
    case verdictErr
    /// De-emphasised text (empty groups, absent values).
    case dim
    /// The PAUSED / REPLAY markers.
    case paused
    /// The done part of a progress bar.
    case progressDone
    /// The remaining part of a progress bar.
    case progressTodo
    /// The help overlay and its frame.
    case help
    /// The filter being typed.
    case filter
    /// A table value that changed since the previous poll (drawn so for one poll, as htop does).
    case changed
}

// MARK: - Colours

/// A colour as themes write it: the terminal default, or an xterm palette index (0-255).
public enum ThemeColor: Sendable, Hashable {
    /// The terminal's own foreground or background.
    case terminalDefault
    /// An xterm-256 palette index; 0-7 are the basic colours, 8-15 their bright variants.
    case indexed(UInt8)

    /// Names accepted in theme files for palette entries 0-15.
    public static let names: [String] = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
        "brightBlack", "brightRed", "brightGreen", "brightYellow", "brightBlue", "brightMagenta", "brightCyan", "brightWhite",
    ]

    /// Parses `"default"`, a name from ``names``, or an integer 0-255.
    public init?(json: Any) {
        if let text = json as? String {
            if text == "default" { self = .terminalDefault; return }
            guard let index = Self.names.firstIndex(of: text) else { return nil }
            self = .indexed(UInt8(index))
            return
        }
        // JSON booleans also arrive as NSNumber; they are not colours.
        if let number = json as? NSNumber, String(cString: number.objCType) != "c",
           let value = json as? Int, (0...255).contains(value) {
            self = .indexed(UInt8(value))
            return
        }
        return nil
    }

    /// The colour as a terminal with `colors` palette entries can show it: the index itself with
    /// 256 colours, else the nearest basic colour (0-7, or 0-15 with 16 colours); `nil` is the default.
    public func index(forPaletteSize colors: Int) -> Int? {
        guard case .indexed(let value) = self else { return nil }
        let index = Int(value)
        if colors >= 256 || index < min(colors, 16) { return index }
        if index < 16 { return index - 8 }
        let rgb = Self.rgb(index)
        let candidates = colors >= 16 ? 16 : 8
        var best = 0
        var bestDistance = Int.max
        for candidate in 0..<candidates {
            let c = Self.rgb(candidate)
            let d = (c.0 - rgb.0) * (c.0 - rgb.0) + (c.1 - rgb.1) * (c.1 - rgb.1) + (c.2 - rgb.2) * (c.2 - rgb.2)
            if d < bestDistance { bestDistance = d; best = candidate }
        }
        return best
    }

    /// The xterm palette's RGB value of an index.
    static func rgb(_ index: Int) -> (Int, Int, Int) {
        let basic: [(Int, Int, Int)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        if index < 16 { return basic[index] }
        if index >= 232 { let g = 8 + 10 * (index - 232); return (g, g, g) }
        let levels = [0, 95, 135, 175, 215, 255]
        let i = index - 16
        return (levels[i / 36], levels[(i / 6) % 6], levels[i % 6])
    }
}

// MARK: - Styles

extension ThemeRole {
    /// The style of a role a theme file may leave out (roles added after the file format was
    /// first published); `nil` for the roles every theme file must style.
    var fallbackStyle: RoleStyle? {
        switch self {
        case .changed: RoleStyle(attributes: [.bold, .underline], monochromeAttributes: [.reverse, .underline])
        default: nil
        }
    }
}

/// How one role looks: colours, attributes, and the attributes used where there is no colour.
public struct RoleStyle: Sendable, Hashable {
    /// Foreground colour.
    public var foreground: ThemeColor
    /// Background colour.
    public var background: ThemeColor
    /// Attributes drawn with the colours.
    public var attributes: CellAttributes
    /// Attributes used on terminals without colour; `nil` means: the monochrome theme's.
    public var monochromeAttributes: CellAttributes?

    /// Creates a style.
    public init(foreground: ThemeColor = .terminalDefault, background: ThemeColor = .terminalDefault,
                attributes: CellAttributes = [], monochromeAttributes: CellAttributes? = nil) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
        self.monochromeAttributes = monochromeAttributes
    }
}

/// A theme file that failed validation. The message names the offending key.
public struct ThemeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The key path that is wrong, e.g. `roles.lagWarn.fg`; empty for the whole document.
    public var key: String
    /// What is wrong with it.
    public var problem: String
    /// The file or built-in theme name, when known.
    public var source: String?

    /// Creates a theme error.
    public init(key: String, problem: String, source: String? = nil) {
        self.key = key
        self.problem = problem
        self.source = source
    }

    /// `theme light.json: roles.lagWarn.fg: 'purplish' is not a colour ...`.
    public var description: String {
        let prefix = source.map { "theme \($0): " } ?? "theme: "
        return key.isEmpty ? prefix + problem : prefix + key + ": " + problem
    }
}

// MARK: - Theme

/// A named set of styles, one per ``ThemeRole``.
///
/// Theme files are JSON: `{"name": ..., "description": ..., "roles": {"header": {"fg": 231, "bg": 24,
/// "attrs": ["bold"], "mono": ["reverse"]}, ...}}`. Every role must be present; colours are `"default"`,
/// a basic colour name (``ThemeColor/names``) or a palette index 0-255; `attrs` and `mono` list
/// ``CellAttributes`` names. The built-in themes are the files in `themes/`, embedded in the binary.
public struct Theme: Sendable, Hashable {
    /// The theme's name (`default`, `light`, ...).
    public var name: String
    /// A one-line description.
    public var summary: String
    /// One style per role.
    public var styles: [ThemeRole: RoleStyle]

    /// Creates a theme; roles without a style use the default style.
    public init(name: String, summary: String = "", styles: [ThemeRole: RoleStyle]) {
        self.name = name
        self.summary = summary
        self.styles = styles
    }

    /// The style of a role.
    public func style(_ role: ThemeRole) -> RoleStyle { styles[role] ?? RoleStyle() }

    /// Whether every role leaves both colours at the terminal default (attributes only).
    public var isMonochrome: Bool {
        styles.values.allSatisfy { $0.foreground == .terminalDefault && $0.background == .terminalDefault }
    }

    /// The attributes a role gets on a terminal without colours: the role's `mono` attributes, else
    /// the built-in monochrome theme's.
    public func monochromeAttributes(_ role: ThemeRole) -> CellAttributes {
        if let own = style(role).monochromeAttributes { return own }
        if isMonochrome { return style(role).attributes }
        return Theme.monochrome.style(role).attributes
    }

    // MARK: Loading

    private static let rootKeys: Set<String> = ["name", "description", "roles"]
    private static let styleKeys: Set<String> = ["fg", "bg", "attrs", "mono"]

    /// Parses and validates a theme document. Throws ``ThemeError`` naming the first bad key.
    public static func parse(_ data: Data, source: String? = nil) throws(ThemeError) -> Theme {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ThemeError(key: "", problem: "not valid JSON", source: source)
        }
        guard let root = object as? [String: Any] else {
            throw ThemeError(key: "", problem: "the document must be a JSON object", source: source)
        }
        for key in root.keys.sorted() where !rootKeys.contains(key) {
            throw ThemeError(key: key, problem: "unknown key (valid: description, name, roles)", source: source)
        }
        guard let name = root["name"] as? String, !name.isEmpty else {
            throw ThemeError(key: "name", problem: "missing or not a non-empty string", source: source)
        }
        let summary: String
        switch root["description"] {
        case nil: summary = ""
        case let text as String: summary = text
        default: throw ThemeError(key: "description", problem: "must be a string", source: source)
        }
        guard let roles = root["roles"] as? [String: Any] else {
            throw ThemeError(key: "roles", problem: "missing or not an object of role styles", source: source)
        }
        let validRoles = ThemeRole.allCases.map(\.rawValue)
        for key in roles.keys.sorted() where ThemeRole(rawValue: key) == nil {
            throw ThemeError(key: "roles.\(key)", problem: "unknown role (valid: \(validRoles.joined(separator: ", ")))", source: source)
        }
        var styles: [ThemeRole: RoleStyle] = [:]
        for role in ThemeRole.allCases {
            let path = "roles.\(role.rawValue)"
            guard let value = roles[role.rawValue] else {
                // A role added after theme files were first written may be left out: older files
                // keep loading, and the role is drawn in its fallback style.
                if let fallback = role.fallbackStyle { styles[role] = fallback; continue }
                throw ThemeError(key: path, problem: "missing (every role needs a style)", source: source)
            }
            guard let fields = value as? [String: Any] else {
                throw ThemeError(key: path, problem: "must be an object with fg, bg, attrs, mono", source: source)
            }
            for key in fields.keys.sorted() where !styleKeys.contains(key) {
                throw ThemeError(key: "\(path).\(key)", problem: "unknown key (valid: attrs, bg, fg, mono)", source: source)
            }
            var style = RoleStyle()
            style.foreground = try color(fields["fg"], key: "\(path).fg", source: source)
            style.background = try color(fields["bg"], key: "\(path).bg", source: source)
            style.attributes = try attributes(fields["attrs"], key: "\(path).attrs", source: source) ?? []
            style.monochromeAttributes = try attributes(fields["mono"], key: "\(path).mono", source: source)
            styles[role] = style
        }
        return Theme(name: name, summary: summary, styles: styles)
    }

    private static func color(_ value: Any?, key: String, source: String?) throws(ThemeError) -> ThemeColor {
        guard let value else { return .terminalDefault }
        if let color = ThemeColor(json: value) { return color }
        throw ThemeError(key: key, problem: "'\(value)' is not a colour (use \"default\", a name such as red or brightBlue, or 0-255)", source: source)
    }

    private static func attributes(_ value: Any?, key: String, source: String?) throws(ThemeError) -> CellAttributes? {
        guard let value else { return nil }
        guard let names = value as? [String] else {
            throw ThemeError(key: key, problem: "must be a list of attribute names", source: source)
        }
        var result: CellAttributes = []
        for name in names {
            guard let attribute = CellAttributes(name: name) else {
                let valid = CellAttributes.allCases.map(\.name).joined(separator: ", ")
                throw ThemeError(key: key, problem: "unknown attribute '\(name)' (valid: \(valid))", source: source)
            }
            result.insert(attribute)
        }
        return result
    }

    /// Loads and validates a theme file.
    public static func load(path: String) throws(ThemeError) -> Theme {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ThemeError(key: "", problem: "cannot read the file", source: url.lastPathComponent)
        }
        return try parse(data, source: url.lastPathComponent)
    }

    /// A built-in theme by name, or a theme file by path (anything containing `/` or ending in `.json`).
    /// The error for an unknown name lists the built-in names.
    public static func resolve(_ nameOrPath: String) throws(ThemeError) -> Theme {
        if let builtin = builtins.first(where: { $0.name == nameOrPath }) { return builtin }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") { return try load(path: nameOrPath) }
        throw ThemeError(key: "", problem: "no theme named '\(nameOrPath)' (built in: \(builtins.map(\.name).joined(separator: ", ")); or give a path to a .json file)")
    }
}

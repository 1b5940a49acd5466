import Foundation

// Built-in themes: the same bytes as the files in themes/ (a test keeps them equal).
// Edit themes/*.json, then copy the file into the matching literal below.

extension Theme {
    /// The `themes/default.json` file, embedded.
    static let defaultJSON = #"""
{
  "name": "default",
  "description": "Dark terminals, 256 colours (the default).",
  "roles": {
    "normal": {},
    "header": {"fg": 231, "bg": 24},
    "headerAccent": {"fg": 229, "bg": 24, "attrs": ["bold"]},
    "tabs": {"fg": 250, "bg": 236},
    "tabActive": {"fg": 16, "bg": 39, "attrs": ["bold"]},
    "keyBar": {"fg": 250, "bg": 236},
    "keyBarKey": {"fg": 81, "bg": 236, "attrs": ["bold"]},
    "columnHeader": {"fg": 252, "bg": 237, "attrs": ["bold"]},
    "sectionTitle": {"fg": 39, "attrs": ["bold"]},
    "selection": {"fg": 231, "bg": 25, "attrs": ["bold"]},
    "lagOK": {"fg": 71},
    "lagWarn": {"fg": 214},
    "lagCritical": {"fg": 203, "attrs": ["bold"]},
    "rebalancing": {"fg": 177},
    "memberJoined": {"fg": 78},
    "memberLeft": {"fg": 174},
    "stale": {"fg": 244, "attrs": ["italic"]},
    "errorText": {"fg": 203},
    "warnText": {"fg": 214},
    "verdictOK": {"fg": 71},
    "verdictWarn": {"fg": 214, "attrs": ["bold"]},
    "verdictStall": {"fg": 208, "attrs": ["bold"]},
    "verdictStop": {"fg": 196, "attrs": ["bold"]},
    "verdictRewind": {"fg": 141, "attrs": ["bold"]},
    "verdictErr": {"fg": 231, "bg": 160, "attrs": ["bold"]},
    "dim": {"fg": 242},
    "paused": {"fg": 16, "bg": 214, "attrs": ["bold"]},
    "progressDone": {"fg": 71},
    "progressTodo": {"fg": 239},
    "help": {"fg": 252, "bg": 235},
    "filter": {"fg": 229, "attrs": ["bold"]},
    "changed": {"fg": 16, "bg": 229, "attrs": ["bold"]}
  }
}
"""#

    /// The `themes/light.json` file, embedded.
    static let lightJSON = #"""
{
  "name": "light",
  "description": "Light terminals, 256 colours.",
  "roles": {
    "normal": {},
    "header": {"fg": 16, "bg": 153},
    "headerAccent": {"fg": 18, "bg": 153, "attrs": ["bold"]},
    "tabs": {"fg": 236, "bg": 252},
    "tabActive": {"fg": 231, "bg": 25, "attrs": ["bold"]},
    "keyBar": {"fg": 236, "bg": 252},
    "keyBarKey": {"fg": 25, "bg": 252, "attrs": ["bold"]},
    "columnHeader": {"fg": 16, "bg": 250, "attrs": ["bold"]},
    "sectionTitle": {"fg": 25, "attrs": ["bold"]},
    "selection": {"fg": 16, "bg": 117, "attrs": ["bold"]},
    "lagOK": {"fg": 28},
    "lagWarn": {"fg": 130},
    "lagCritical": {"fg": 160, "attrs": ["bold"]},
    "rebalancing": {"fg": 90},
    "memberJoined": {"fg": 28},
    "memberLeft": {"fg": 124},
    "stale": {"fg": 245, "attrs": ["italic"]},
    "errorText": {"fg": 160},
    "warnText": {"fg": 130},
    "verdictOK": {"fg": 28},
    "verdictWarn": {"fg": 130, "attrs": ["bold"]},
    "verdictStall": {"fg": 166, "attrs": ["bold"]},
    "verdictStop": {"fg": 160, "attrs": ["bold"]},
    "verdictRewind": {"fg": 91, "attrs": ["bold"]},
    "verdictErr": {"fg": 231, "bg": 160, "attrs": ["bold"]},
    "dim": {"fg": 246},
    "paused": {"fg": 16, "bg": 221, "attrs": ["bold"]},
    "progressDone": {"fg": 28},
    "progressTodo": {"fg": 250},
    "help": {"fg": 16, "bg": 255},
    "filter": {"fg": 25, "attrs": ["bold"]},
    "changed": {"fg": 16, "bg": 222, "attrs": ["bold"]}
  }
}
"""#

    /// The `themes/monochrome.json` file, embedded.
    static let monochromeJSON = #"""
{
  "name": "monochrome",
  "description": "No colours: every role is told apart by attributes alone.",
  "roles": {
    "normal": {},
    "header": {"attrs": ["reverse"]},
    "headerAccent": {"attrs": ["reverse", "bold"]},
    "tabs": {"attrs": ["reverse"]},
    "tabActive": {"attrs": ["bold", "underline"]},
    "keyBar": {"attrs": ["reverse"]},
    "keyBarKey": {"attrs": ["reverse", "bold"]},
    "columnHeader": {"attrs": ["bold", "underline"]},
    "sectionTitle": {"attrs": ["bold"]},
    "selection": {"attrs": ["reverse"]},
    "lagOK": {},
    "lagWarn": {"attrs": ["bold"]},
    "lagCritical": {"attrs": ["bold", "underline"]},
    "rebalancing": {"attrs": ["underline"]},
    "memberJoined": {"attrs": ["bold"]},
    "memberLeft": {"attrs": ["dim"]},
    "stale": {"attrs": ["dim"]},
    "errorText": {"attrs": ["bold"]},
    "warnText": {"attrs": ["underline"]},
    "verdictOK": {},
    "verdictWarn": {"attrs": ["bold"]},
    "verdictStall": {"attrs": ["bold", "underline"]},
    "verdictStop": {"attrs": ["bold", "reverse"]},
    "verdictRewind": {"attrs": ["bold", "underline"]},
    "verdictErr": {"attrs": ["bold", "reverse"]},
    "dim": {"attrs": ["dim"]},
    "paused": {"attrs": ["reverse", "bold"]},
    "progressDone": {"attrs": ["bold"]},
    "progressTodo": {"attrs": ["dim"]},
    "help": {},
    "filter": {"attrs": ["underline"]},
    "changed": {"attrs": ["reverse", "underline"]}
  }
}
"""#

    /// The `themes/high-contrast.json` file, embedded.
    static let highContrastJSON = #"""
{
  "name": "high-contrast",
  "description": "Maximum contrast: black background, bright colours, bold problems.",
  "roles": {
    "normal": {"fg": "brightWhite", "bg": "black"},
    "header": {"fg": "black", "bg": "brightWhite", "attrs": ["bold"]},
    "headerAccent": {"fg": "black", "bg": "brightYellow", "attrs": ["bold"]},
    "tabs": {"fg": "brightWhite", "bg": "black", "attrs": ["underline"]},
    "tabActive": {"fg": "black", "bg": "brightCyan", "attrs": ["bold"]},
    "keyBar": {"fg": "black", "bg": "brightWhite"},
    "keyBarKey": {"fg": "black", "bg": "brightWhite", "attrs": ["bold", "underline"]},
    "columnHeader": {"fg": "brightWhite", "bg": "black", "attrs": ["bold", "underline"]},
    "sectionTitle": {"fg": "brightCyan", "bg": "black", "attrs": ["bold", "underline"]},
    "selection": {"fg": "black", "bg": "brightYellow", "attrs": ["bold"]},
    "lagOK": {"fg": "brightGreen", "bg": "black"},
    "lagWarn": {"fg": "brightYellow", "bg": "black", "attrs": ["bold"]},
    "lagCritical": {"fg": "brightRed", "bg": "black", "attrs": ["bold", "underline"]},
    "rebalancing": {"fg": "brightMagenta", "bg": "black", "attrs": ["bold"]},
    "memberJoined": {"fg": "brightGreen", "bg": "black", "attrs": ["bold"]},
    "memberLeft": {"fg": "brightRed", "bg": "black"},
    "stale": {"fg": "brightBlack", "bg": "black", "attrs": ["bold"]},
    "errorText": {"fg": "brightRed", "bg": "black", "attrs": ["bold"]},
    "warnText": {"fg": "brightYellow", "bg": "black"},
    "verdictOK": {"fg": "brightGreen", "bg": "black", "attrs": ["bold"]},
    "verdictWarn": {"fg": "brightYellow", "bg": "black", "attrs": ["bold"]},
    "verdictStall": {"fg": "black", "bg": "brightYellow", "attrs": ["bold"]},
    "verdictStop": {"fg": "brightWhite", "bg": "red", "attrs": ["bold"]},
    "verdictRewind": {"fg": "black", "bg": "brightMagenta", "attrs": ["bold"]},
    "verdictErr": {"fg": "brightWhite", "bg": "red", "attrs": ["bold", "underline"]},
    "dim": {"fg": "white", "bg": "black"},
    "paused": {"fg": "black", "bg": "brightYellow", "attrs": ["bold"]},
    "progressDone": {"fg": "brightGreen", "bg": "black", "attrs": ["bold"]},
    "progressTodo": {"fg": "brightBlack", "bg": "black"},
    "help": {"fg": "brightWhite", "bg": "black"},
    "filter": {"fg": "brightYellow", "bg": "black", "attrs": ["bold", "underline"]},
    "changed": {"fg": "black", "bg": "brightCyan", "attrs": ["bold"]}
  }
}
"""#

    /// The embedded theme files, by file name (without `.json`), in cycling order.
    public static let builtinFiles: [(name: String, json: String)] = [
        ("default", defaultJSON),
        ("light", lightJSON),
        ("monochrome", monochromeJSON),
        ("high-contrast", highContrastJSON),
    ]

    /// The built-in themes, in the order `t` cycles through them: default, light, monochrome,
    /// high-contrast. They are validated by tests, so loading them cannot fail at run time.
    public static let builtins: [Theme] = builtinFiles.map { file in
        do {
            return try Theme.parse(Data(file.json.utf8), source: file.name + ".json")
        } catch {
            preconditionFailure("built-in theme \(file.name) is invalid: \(error)")
        }
    }

    /// The default (dark) theme.
    public static var standard: Theme { builtins[0] }

    /// The monochrome theme: attributes only.
    public static var monochrome: Theme { builtins[2] }
}

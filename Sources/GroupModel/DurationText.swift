/// Durations as people write them: on kgtop's command line (`--interval 2s`, `--timeout 1h30m`),
/// in `check` rules files (`"max-time-lag": "30s"`) and in recording time specs (`FILE@+1m30s`).
///
/// One grammar everywhere: one or more number-unit parts, summed (`1h30m`, `2m30.5s`), with units
/// `d`, `h`, `m`, `s` and `ms`; or a bare number of seconds (`12`, `0.5`). Case and surrounding
/// blanks do not matter. Values are whole milliseconds (rounded), from 0 to ``maximumMs``.
///
/// It lives in GroupModel, the lowest module that both the CLI and the Recording module import, so
/// that the command line and the `@+…` offsets of recordings cannot drift apart.
public enum DurationText {
    /// The longest duration accepted: 365 days, in milliseconds. Longer values are refused rather
    /// than overflowing the millisecond arithmetic kgtop does with them.
    public static let maximumMs: Int64 = 365 * 86_400_000

    /// Why a duration could not be read; `description` is a sentence fragment for people, meant to
    /// follow the flag or key that held the text.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The explanation, e.g. `must be positive, e.g. 30s`.
        public var description: String

        /// Creates an error with `description`.
        public init(_ description: String) {
            self.description = description
        }
    }

    /// Examples quoted in error messages.
    public static let examples = "30s, 5m, 1h30m or 500ms"

    /// The duration `text` names, in milliseconds.
    public static func milliseconds(_ text: String) throws(ParseError) -> Int64 {
        let s = text.trimmingBlanks().lowercased()
        if s.isEmpty { throw ParseError("empty; expected a duration such as \(examples)") }
        if s.hasPrefix("-") { throw ParseError("must be positive, e.g. \(examples)") }
        if s.hasPrefix("+") { throw ParseError("expected a duration such as \(examples), without a sign") }
        let chars = Array(s)
        var total = 0.0
        var i = 0
        var parts = 0
        while i < chars.count {
            var number = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber || chars[i] == "." {
                number.append(chars[i])
                i += 1
            }
            guard !number.isEmpty, let value = Double(number), value.isFinite else {
                throw ParseError("'\(text)' is not a duration; expected e.g. \(examples)")
            }
            var unit = ""
            while i < chars.count, chars[i].isLetter {
                unit.append(chars[i])
                i += 1
            }
            let scale: Double
            switch unit {
            case "": scale = parts == 0 && i == chars.count ? 1_000 : -1
            case "ms": scale = 1
            case "s": scale = 1_000
            case "m": scale = 60_000
            case "h": scale = 3_600_000
            case "d": scale = 86_400_000
            default: scale = -1
            }
            guard scale > 0 else {
                throw ParseError("'\(text)' is not a duration; units are d, h, m, s and ms, e.g. \(examples)")
            }
            total += value * scale
            parts += 1
            guard total <= Double(maximumMs) else { throw ParseError("too long: at most 365d") }
        }
        return Int64(total.rounded())
    }

    /// Milliseconds in seconds for messages: `3 s`, `1.5 s` (a tenth at most; not parseable again).
    public static func seconds(_ ms: Int64) -> String {
        ms % 1_000 == 0 ? "\(ms / 1_000) s" : String(format: "%.1f s", Double(ms) / 1_000)
    }

    /// Milliseconds as `250ms`, `30s`, `1.5s`, `5m`, `1h30m` (exact, and parseable again).
    public static func format(_ ms: Int64) -> String {
        if ms < 1_000 { return "\(ms)ms" }
        if ms % 1_000 != 0 {
            let tenths = ms % 100 == 0
            return tenths ? "\(ms / 1_000).\((ms % 1_000) / 100)s" : "\(ms)ms"
        }
        var seconds = ms / 1_000
        var out = ""
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds >= size {
            out += "\(seconds / size)\(unit)"
            seconds %= size
        }
        if seconds > 0 || out.isEmpty { out += "\(seconds)s" }
        return out
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (only those: not newlines).
    fileprivate func trimmingBlanks() -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return String(self[first...last])
    }
}

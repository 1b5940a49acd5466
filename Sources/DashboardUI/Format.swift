import GroupModel

/// Number, duration and bar formatting shared by the views. Pure and locale-free, so screens are
/// the same everywhere.
enum Format {
    /// `987`, `12.3k`, `4.56M`, `1.20G`: at most 6 columns.
    static func compact(_ value: Int64) -> String {
        let magnitude = value < 0 ? -value : value
        let sign = value < 0 ? "-" : ""
        if magnitude < 10_000 { return String(value) }
        let units: [(Int64, String)] = [(1_000_000_000_000, "T"), (1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")]
        for (scale, suffix) in units where magnitude >= scale {
            let scaled = Double(magnitude) / Double(scale)
            let text = scaled >= 100 ? String(Int64(scaled)) : scaled >= 10 ? fixed(scaled, 1) : fixed(scaled, 2)
            return sign + text + suffix
        }
        return String(value)
    }

    /// `1,234,567`.
    static func grouped(_ value: Int64) -> String {
        let digits = String(value < 0 ? -value : value)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A non-negative double with `digits` decimals, rounded half up.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = scaled / Int64(scale)
        let frac = scaled % Int64(scale)
        guard digits > 0 else { return String(whole) }
        var fracText = String(frac)
        while fracText.count < digits { fracText = "0" + fracText }
        return "\(whole).\(fracText)"
    }

    /// A wall-clock time in UTC: `2025-06-15 14:03:05Z` (replays show when a poll was recorded).
    static func utc(ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to a proleptic Gregorian date (era arithmetic, 400-year cycles).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two((secondOfDay % 3600) / 60)):\(two(secondOfDay % 60))Z"
    }

    /// `850ms`, `4.2s`, `42s`, `3m04s`, `2h05m`, `3d04h`.
    static func duration(ms: Int64) -> String {
        let ms = max(0, ms)
        if ms == 0 { return "0s" }
        if ms < 1000 { return "\(ms)ms" }
        if ms < 10_000 { return fixed(Double(ms) / 1000, 1) + "s" }
        let s = ms / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + two(s % 60) + "s" }
        if s < 86_400 { return "\(s / 3600)h" + two((s % 3600) / 60) + "m" }
        return "\(s / 86_400)d" + two((s % 86_400) / 3600) + "h"
    }

    /// Columns ``duration(ms:)`` takes, counted without writing it (the Groups view measures every
    /// group's time lag each poll).
    static func durationWidth(ms: Int64) -> Int {
        let ms = max(0, ms)
        if ms == 0 { return 2 }
        if ms < 1000 { return GroupsCache.digits(Int(ms)) + 2 }
        // `fixed(ms / 1000, 1)`: tenths of a second rounded, so 9,950 ms and up read `10.0`.
        if ms < 10_000 { return GroupsCache.digits(Int((Double(ms) / 1000 * 10).rounded()) / 10) + 3 }
        let s = ms / 1000
        if s < 60 { return GroupsCache.digits(Int(s)) + 1 }
        if s < 3600 { return GroupsCache.digits(Int(s / 60)) + 4 }
        if s < 86_400 { return GroupsCache.digits(Int(s / 3600)) + 4 }
        return GroupsCache.digits(Int(s / 86_400)) + 4
    }

    /// A coarse age: `0s`, `42s`, `12m`, `5h`, `3d`.
    static func age(ms: Int64) -> String {
        let s = max(0, ms) / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// A sparkline of `width` cells from samples (the newest `width` ones), scaled from 0 to the max.
    static func sparkline(_ samples: [Int64], width: Int) -> String {
        guard !samples.isEmpty, width > 0 else { return "" }
        let ticks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let shown = samples.suffix(width)
        let top = max(shown.max() ?? 0, 1)
        return String(shown.map { value -> Character in
            let level = Int((Double(max(0, value)) / Double(top)) * 7.0 + 0.5)
            return ticks[min(7, max(0, level))]
        })
    }

    /// A bar `[████░░░░]` of `width` cells (brackets included) as two spans: done and to-do.
    static func bar(done: Int, total: Int, width: Int) -> [Span] {
        let inner = max(1, width - 2)
        let filled = total <= 0 ? inner : min(inner, (done * inner) / max(total, 1))
        return [
            Span("[", .dim),
            Span(String(repeating: "█", count: filled), .progressDone),
            Span(String(repeating: "░", count: inner - filled), .progressTodo),
            Span("]", .dim),
        ]
    }

    /// A group state as the tables show it: long classic names shortened, empty unknowns as `?`.
    static func state(_ state: GroupState) -> String {
        switch state {
        case .preparingRebalance: return "Preparing"
        case .completingRebalance: return "Completing"
        case .unknown(let raw): return raw.isEmpty ? "?" : raw
        default: return state.brokerString
        }
    }

    /// The role a group state is drawn with.
    static func stateRole(_ state: GroupState) -> ThemeRole {
        switch state {
        case .stable: return .normal
        case .empty, .dead: return .dim
        case .assigning, .reconciling, .preparingRebalance, .completingRebalance: return .rebalancing
        case .notReady: return .warnText
        case .unknown: return .stale
        }
    }

    /// Epoch column text: `7/7` (group / assignment epoch) or `gen 42` (classic generation).
    static func epochs(_ group: Group) -> String {
        if let groupEpoch = group.groupEpoch {
            return "\(groupEpoch)/" + (group.assignmentEpoch.map(String.init) ?? "?")
        }
        if let generation = group.generationID { return "gen \(generation)" }
        return "-"
    }

    /// Pads or truncates to exactly `width` columns (`…` marks truncation).
    static func fit(_ text: String, _ width: Int, right: Bool = false) -> String {
        guard width > 0 else { return "" }
        let w = DisplayWidth.of(text)
        if w == width { return text }
        if w < width {
            let pad = String(repeating: " ", count: width - w)
            return right ? pad + text : text + pad
        }
        var out = ""
        var used = 0
        for grapheme in text {
            let gw = DisplayWidth.of(grapheme)
            if used + gw > width - 1 { break }
            out.append(grapheme)
            used += gw
        }
        return out + String(repeating: " ", count: max(0, width - 1 - used)) + "…"
    }

    /// At most `width` columns, shortened in the middle (`order-serv…KKGw`) so the end that tells
    /// two names apart stays visible; not padded.
    static func shortenMiddle(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard DisplayWidth.of(text) > width else { return text }
        guard width > 2 else { return fit(text, width) }
        let graphemes = Array(text)
        var tailWidth = (width - 1) / 2
        // A partition (`topic-12`) keeps its number: the tail is at least `-12` when that leaves room
        // for a character before the `…`.
        let digits = graphemes.reversed().prefix { $0.isASCII && $0.isNumber }.count
        if digits > 0, digits < graphemes.count, graphemes[graphemes.count - digits - 1] == "-" {
            tailWidth = max(tailWidth, min(digits + 1, width - 2))
        }
        var tail: [Character] = []
        var used = 0
        for g in graphemes.reversed() {
            let gw = DisplayWidth.of(g)
            if used + gw > tailWidth { break }
            tail.insert(g, at: 0)
            used += gw
        }
        var head = ""
        var headUsed = 0
        for g in graphemes {
            let gw = DisplayWidth.of(g)
            if headUsed + gw > width - 1 - used { break }
            head.append(g)
            headUsed += gw
        }
        return head + "…" + String(tail)
    }

    /// At most `width` columns, cut after a whole word (`…` marks the cut), so a status or summary
    /// line never ends mid-word; a first word longer than `width` is cut in the middle. Not padded.
    static func shortenAtWord(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard DisplayWidth.of(text) > width else { return text }
        var out = ""
        var used = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let w = DisplayWidth.of(String(word))
            let gap = out.isEmpty ? 0 : 1
            if used + gap + w + 1 > width { break }
            if gap == 1 { out += " " }
            out += word
            used += gap + w
        }
        while out.last == " " { out.removeLast() }
        return out.isEmpty ? shortenMiddle(text, width) : out + "…"
    }

    /// A styled line broken into lines of at most `width` columns, only between words (at spaces);
    /// lines after the first start with `indent`. A single word longer than a line is shortened in
    /// the middle, or with `splitLongWords` continued on the next lines (to show a text in full).
    /// Styles are kept word by word.
    static func wrap(_ line: StyledLine, width: Int, indent: String = " ", splitLongWords: Bool = false) -> [StyledLine] {
        guard width > 0, line.width > width else { return [line] }
        // Words are runs of non-space text, possibly across spans; spaces separate them.
        var words: [(spans: [Span], width: Int, spaceBefore: Int)] = []
        var pendingSpaces = 0
        var current: [Span] = []
        var currentWidth = 0
        func flush() {
            if !current.isEmpty { words.append((current, currentWidth, pendingSpaces)); pendingSpaces = 0 }
            current = []
            currentWidth = 0
        }
        for span in line.spans {
            var piece = ""
            for character in span.text {
                if character == " " {
                    if !piece.isEmpty { current.append(Span(piece, span.role, span.attributes)); currentWidth += DisplayWidth.of(piece); piece = "" }
                    flush()
                    pendingSpaces += 1
                } else {
                    piece.append(character)
                }
            }
            if !piece.isEmpty { current.append(Span(piece, span.role, span.attributes)); currentWidth += DisplayWidth.of(piece) }
        }
        flush()
        let leading = line.spans.first.map { span in span.text.prefix { $0 == " " }.count } ?? 0
        let indentWidth = DisplayWidth.of(indent)
        var lines: [StyledLine] = []
        var out = StyledLine(String(repeating: " ", count: leading), line.spans.first?.role ?? .normal)
        var used = leading
        var atStart = true
        for word in words {
            let room = width - (lines.isEmpty ? leading : indentWidth)
            var spans = word.spans
            var w = word.width
            if w > room && splitLongWords && room > 0 {
                // Continue the word on as many lines as it needs, each full.
                let text = spans.map(\.text).joined()
                var chunk = ""
                var chunkWidth = 0
                if !atStart { lines.append(out); out = StyledLine(indent, line.spans.first?.role ?? .normal); used = indentWidth }
                for character in text {
                    let cw = DisplayWidth.of(character)
                    if chunkWidth + cw > width - indentWidth {
                        out.append(chunk, spans[0].role, spans[0].attributes)
                        lines.append(out)
                        out = StyledLine(indent, line.spans.first?.role ?? .normal)
                        chunk = ""
                        chunkWidth = 0
                    }
                    chunk.append(character)
                    chunkWidth += cw
                }
                out.append(chunk, spans[0].role, spans[0].attributes)
                used = indentWidth + chunkWidth
                atStart = false
                continue
            }
            if w > room {
                let text = spans.map(\.text).joined()
                spans = [Span(shortenMiddle(text, room), spans[0].role, spans[0].attributes)]
                w = DisplayWidth.of(spans[0].text)
            }
            let gap = atStart ? 0 : word.spaceBefore
            if !atStart && used + gap + w > width {
                lines.append(out)
                out = StyledLine(indent, line.spans.first?.role ?? .normal)
                used = indentWidth
                atStart = true
            }
            if !atStart { out.append(String(repeating: " ", count: word.spaceBefore)); used += word.spaceBefore }
            out.spans += spans
            used += w
            atStart = false
        }
        lines.append(out)
        return lines
    }
}

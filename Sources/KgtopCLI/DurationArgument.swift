import ArgumentParser

/// A duration on the command line: `500ms`, `2s`, `1.5s`, `5m`, `1h` (a bare number is seconds).
public struct DurationArgument: ExpressibleByArgument, Sendable, Hashable, CustomStringConvertible {
    /// The duration.
    public var duration: Duration
    /// Whole milliseconds.
    public var milliseconds: Int64 {
        let (s, atto) = duration.components
        return s * 1000 + atto / 1_000_000_000_000_000
    }

    /// Creates a value.
    public init(_ duration: Duration) { self.duration = duration }

    /// Parses `text`; nil when it is not a duration.
    public init?(argument text: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = text
        var scale = 1.0
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count))
            scale = factor
            break
        }
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        duration = .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    public var description: String {
        let ms = milliseconds
        if ms % 3_600_000 == 0 && ms > 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 && ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    public static var defaultCompletionKind: CompletionKind { .default }
}

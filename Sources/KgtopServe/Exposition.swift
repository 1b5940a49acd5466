import Foundation
/// The two text formats `/metrics` speaks: Prometheus text 0.0.4 (the default) and OpenMetrics 1.0
/// (when the scraper's `Accept` header asks for `application/openmetrics-text`).
public enum ExpositionFormat: Sendable, Hashable {
    /// `text/plain; version=0.0.4`.
    case prometheus
    /// `application/openmetrics-text; version=1.0.0`.
    case openMetrics

    /// The `Content-Type` of a response in this format.
    public var contentType: String {
        switch self {
        case .prometheus: return "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format a scraper asks for with its `Accept` header (OpenMetrics only when named).
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept = accept?.lowercased() else { return .prometheus }
        return accept.contains("application/openmetrics-text") ? .openMetrics : .prometheus
    }
}

/// What a metric family is; decides the sample suffixes and the `# TYPE` line.
public enum MetricType: String, Sendable, Hashable {
    /// A value that goes up and down.
    case gauge
    /// A value that only goes up; samples are named `<family>_total`.
    case counter
    /// `_bucket{le=...}`, `_sum` and `_count` samples.
    case histogram
    /// A constant 1 carrying labels; samples are named `<family>_info` (a gauge in Prometheus text).
    case info
}

/// Which series a scrape gives up first when `--max-series` is reached: partition series before
/// group series before the context's own series.
public enum SeriesTier: Int, Sendable, Hashable, Comparable {
    /// Per context: up, last success, poll duration and errors, rebalance counters and durations.
    case context
    /// Per group.
    case group
    /// Per partition (given up first).
    case partition
    /// Never capped (the cap's own counter).
    case uncapped

    public static func < (a: SeriesTier, b: SeriesTier) -> Bool { a.rawValue < b.rawValue }
}

/// A metric family's name, help, type and cap tier.
public struct MetricSpec: Sendable, Hashable {
    /// The family name, e.g. `kgtop_rebalances` (counter samples add `_total`, info samples `_info`).
    public var name: String
    /// The type.
    public var type: MetricType
    /// One line of help.
    public var help: String
    /// Which series go first when the series cap is reached.
    public var tier: SeriesTier

    /// Creates a spec.
    public init(name: String, type: MetricType, help: String, tier: SeriesTier = .group) {
        self.name = name
        self.type = type
        self.help = help
        self.tier = tier
    }

    /// The name of a one-line series: `_total` for a counter, `_info` for an info, else the name.
    public var sampleName: String {
        switch type {
        case .counter: return name + "_total"
        case .info: return name + "_info"
        case .gauge, .histogram: return name
        }
    }
}

/// Label pairs written once as exposition bytes (`cluster_name="prod",group="g"`) and reused by
/// every series that carries them, so a series costs no allocation of its own.
public struct Labels: Sendable, Hashable {
    /// The pairs as written inside the braces, values escaped.
    public private(set) var bytes: [UInt8] = []

    /// No labels.
    public init() {}

    /// One pair.
    public init(_ key: String, _ value: String) { add(key, value) }

    /// Appends `key="value"` (the value escaped).
    public mutating func add(_ key: String, _ value: String) {
        if !bytes.isEmpty { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: key.utf8)
        bytes.append(UInt8(ascii: "="))
        bytes.append(UInt8(ascii: "\""))
        ExpositionWriter.appendEscapedLabel(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A copy with `key="value"` appended.
    public func adding(_ key: String, _ value: String) -> Labels {
        var out = self
        out.add(key, value)
        return out
    }
}

/// The sample lines of one metric family (for one context), as bytes, with where each series
/// starts: a histogram's buckets, sum and count are one series, so the series cap can cut between
/// series and never inside one.
public struct SeriesLines: Sendable, Hashable {
    /// `name{labels} value` lines, each ending in a newline.
    public private(set) var bytes: [UInt8] = []
    /// The offset in ``bytes`` where each series starts.
    public private(set) var starts: [Int32] = []

    /// No lines.
    public init() {}

    /// Series written.
    public var count: Int { starts.count }

    /// The first `n` series' lines (all of them when `n` is at least ``count``).
    public func prefix(series n: Int) -> ArraySlice<UInt8> {
        n >= starts.count ? bytes[...] : bytes[..<Int(starts[max(0, n)])]
    }

    /// Starts a series; the lines written until the next call belong to it.
    public mutating func startSeries() { starts.append(Int32(truncatingIfNeeded: bytes.count)) }

    /// A series of one line.
    public mutating func series(_ name: String, _ labels: Labels, _ value: Double) {
        startSeries()
        line(name, labels, value)
    }

    /// A series of one line with one more label after `labels`.
    public mutating func series(_ name: String, _ labels: Labels, _ key: String, _ labelValue: String, _ value: Double) {
        startSeries()
        line(name, labels, key, labelValue, value)
    }

    /// One line of the current series: `name{labels} value`.
    public mutating func line(_ name: String, _ labels: Labels, _ value: Double) {
        bytes.append(contentsOf: name.utf8)
        if !labels.bytes.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            bytes.append(contentsOf: labels.bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        finish(value)
    }

    /// One line of the current series with one more label after `labels`: `name{labels,key="v"} value`.
    public mutating func line(_ name: String, _ labels: Labels, _ key: String, _ labelValue: String, _ value: Double) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: "{"))
        if !labels.bytes.isEmpty {
            bytes.append(contentsOf: labels.bytes)
            bytes.append(UInt8(ascii: ","))
        }
        bytes.append(contentsOf: key.utf8)
        bytes.append(UInt8(ascii: "="))
        bytes.append(UInt8(ascii: "\""))
        ExpositionWriter.appendEscapedLabel(labelValue, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: "}"))
        finish(value)
    }

    private mutating func finish(_ value: Double) {
        bytes.append(UInt8(ascii: " "))
        ExpositionWriter.appendNumber(value, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }
}

/// A whole exposition as pieces of bytes: the families' headers and each context's lines as they
/// were written at its poll, not copied into one buffer.
public struct ExpositionBody: Sendable {
    /// The pieces, in order.
    public var pieces: [ArraySlice<UInt8>] = []
    /// Bytes in all.
    public var count: Int { pieces.reduce(0) { $0 + $1.count } }

    /// Creates a body.
    public init(pieces: [ArraySlice<UInt8>] = []) { self.pieces = pieces }

    /// The text (for tests and small answers).
    public var text: String { String(decoding: pieces.joined(), as: UTF8.self) }
}

/// Writes metric families in the Prometheus or OpenMetrics text format: each family's header,
/// then its lines; the one place exposition text is spelled.
public struct ExpositionWriter {
    /// The format written.
    public let format: ExpositionFormat
    private var body = ExpositionBody()

    /// Starts an exposition in `format`.
    public init(format: ExpositionFormat) { self.format = format }

    /// One family: `# HELP`, `# TYPE`, then `parts` in order. A family without lines is left out.
    public mutating func family(_ spec: MetricSpec, _ parts: [ArraySlice<UInt8>]) {
        guard parts.contains(where: { !$0.isEmpty }) else { return }
        body.pieces.append(Self.header(spec, format: format)[...])
        for p in parts where !p.isEmpty { body.pieces.append(p) }
    }

    /// The exposition (OpenMetrics ends with `# EOF`).
    public mutating func finish() -> ExpositionBody {
        if format == .openMetrics { body.pieces.append(Array("# EOF\n".utf8)[...]) }
        return body
    }

    /// A family's `# HELP` and `# TYPE` lines. Prometheus text names the family as its samples are
    /// named (`_total`, `_info`, an info typed gauge); OpenMetrics without the suffix.
    static func header(_ spec: MetricSpec, format: ExpositionFormat) -> [UInt8] {
        var declared = spec.name
        var type = spec.type.rawValue
        if format == .prometheus, spec.type == .counter || spec.type == .info {
            declared = spec.sampleName
            if spec.type == .info { type = "gauge" }
        }
        return Array("# HELP \(declared) \(escapeHelp(spec.help))\n# TYPE \(declared) \(type)\n".utf8)
    }

    /// A sample value: integers without a fraction, others to the microsecond at most (every
    /// figure kgtop has is milliseconds, so sums print `0.233`, not `0.23299999999999998`);
    /// `NaN`, `+Inf`, `-Inf`.
    public static func number(_ v: Double) -> String {
        var bytes: [UInt8] = []
        appendNumber(v, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes ``number(_:)`` of `v` into `bytes` (without allocating, but for fractions of
    /// magnitudes beyond 9e9, which kgtop does not have).
    static func appendNumber(_ v: Double, to bytes: inout [UInt8]) {
        if v.isNaN { return bytes.append(contentsOf: "NaN".utf8) }
        if v.isInfinite { return bytes.append(contentsOf: (v > 0 ? "+Inf" : "-Inf").utf8) }
        guard abs(v) < 1e15 else { return bytes.append(contentsOf: "\(v)".utf8) }
        if v == v.rounded() {
            let n = Int64(v)
            if n < 0 { bytes.append(UInt8(ascii: "-")) }
            return appendDigits(n.magnitude, to: &bytes)
        }
        // Millionths, rounded, are exact integers below 2^53 (|v| < 9e9).
        guard abs(v) < 9e9 else {
            var text = String(format: "%.6f", v)
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return bytes.append(contentsOf: text.utf8)
        }
        let micros = Int64((v * 1_000_000).rounded())
        if micros < 0 { bytes.append(UInt8(ascii: "-")) }
        let m = micros.magnitude
        appendDigits(m / 1_000_000, to: &bytes)
        var fraction = m % 1_000_000
        guard fraction != 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var width = 6
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        var digits: UInt64 = 0  // eight bytes: room for the six decimals
        withUnsafeMutableBytes(of: &digits) { d in
            var f = fraction
            for i in stride(from: width - 1, through: 0, by: -1) {
                d[i] = UInt8(48 + f % 10)
                f /= 10
            }
            bytes.append(contentsOf: d[0..<width])
        }
    }

    private static func appendDigits(_ n: UInt64, to bytes: inout [UInt8]) {
        if n < 10 { return bytes.append(UInt8(48 + n)) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { d in
            var i = d.count
            var rest = n
            while rest > 0 {
                i -= 1
                d[i] = UInt8(48 + rest % 10)
                rest /= 10
            }
            bytes.append(contentsOf: d[i...])
        }
    }

    /// Label values escape backslash, double quote and newline.
    static func appendEscapedLabel(_ s: String, to bytes: inout [UInt8]) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(b)
            case UInt8(ascii: "\n"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "n"))
            default:
                bytes.append(b)
            }
        }
    }

    /// Help text escapes backslash and newline.
    static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// A cumulative histogram with fixed bucket bounds (seconds).
public struct Histogram: Sendable, Hashable {
    /// Upper bounds, ascending (`+Inf` is implied).
    public let bounds: [Double]
    /// Observations at or below each bound (not cumulative; summed when written).
    public private(set) var counts: [Int]
    /// Observations above the last bound.
    public private(set) var overflow: Int = 0
    /// Sum of the observations.
    public private(set) var sum: Double = 0
    /// Number of observations.
    public var count: Int { counts.reduce(overflow, +) }

    /// Creates an empty histogram.
    public init(bounds: [Double]) {
        self.bounds = bounds
        self.counts = Array(repeating: 0, count: bounds.count)
    }

    /// Records one observation.
    public mutating func observe(_ value: Double) {
        sum += value
        if let i = bounds.firstIndex(where: { value <= $0 }) { counts[i] += 1 } else { overflow += 1 }
    }

    /// Writes the histogram as one series of `name`: `_bucket` lines with `labels` then `le`
    /// (cumulative, ending with `+Inf`), `_sum` and `_count`.
    public func write(_ name: String, labels: Labels, into lines: inout SeriesLines) {
        lines.startSeries()
        let bucket = name + "_bucket"
        var cumulative = 0
        for (i, bound) in bounds.enumerated() {
            cumulative += counts[i]
            lines.line(bucket, labels, "le", Self.le(bound), Double(cumulative))
        }
        lines.line(bucket, labels, "le", "+Inf", Double(count))
        lines.line(name + "_sum", labels, sum)
        lines.line(name + "_count", labels, Double(count))
    }

    /// A bucket bound as OpenMetrics writes it (`0.5`, `1.0`, `600.0`).
    static func le(_ bound: Double) -> String {
        bound == bound.rounded() ? String(format: "%.1f", bound) : "\(bound)"
    }
}

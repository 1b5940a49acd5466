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

/// One sample of a family: the suffix after the family name (`_bucket`, ``""``), labels, value.
public struct MetricSample: Sendable, Hashable {
    /// Appended to the family's name (`""`, `_total`, `_bucket`, `_sum`, `_count`, `_info`).
    public var suffix: String
    /// Label names and values, in output order.
    public var labels: [(String, String)]
    /// The value.
    public var value: Double

    /// Creates a sample.
    public init(suffix: String = "", labels: [(String, String)], value: Double) {
        self.suffix = suffix
        self.labels = labels
        self.value = value
    }

    public static func == (a: MetricSample, b: MetricSample) -> Bool {
        a.suffix == b.suffix && a.value == b.value && a.labels.map(\.0) == b.labels.map(\.0) && a.labels.map(\.1) == b.labels.map(\.1)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(suffix)
        for (k, v) in labels {
            hasher.combine(k)
            hasher.combine(v)
        }
    }
}

/// A metric family: name (without `_total` / `_info`), help text, type and samples.
public struct MetricFamily: Sendable, Hashable {
    /// The family name, e.g. `kgtop_rebalances` (counter samples add `_total`).
    public var name: String
    /// One line of help.
    public var help: String
    /// The type.
    public var type: MetricType
    /// The samples; a histogram's are grouped per label set, buckets in ascending `le`.
    public var samples: [MetricSample]

    /// Creates a family.
    public init(name: String, help: String, type: MetricType, samples: [MetricSample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }
}

/// Writes metric families in the Prometheus or OpenMetrics text format.
public enum ExpositionWriter {
    /// The whole exposition; families without samples are left out.
    public static func render(_ families: [MetricFamily], format: ExpositionFormat) -> String {
        var out = ""
        out.reserveCapacity(families.reduce(0) { $0 + $1.samples.count } * 96)
        for family in families where !family.samples.isEmpty {
            // Prometheus text names the family as its samples are named; OpenMetrics names the
            // family without the counter's `_total` or the info's `_info`.
            var declared = family.name
            var type = family.type.rawValue
            if format == .prometheus, family.type == .counter { declared += "_total" }
            if format == .prometheus, family.type == .info {
                declared += "_info"
                type = "gauge"
            }
            out += "# HELP \(declared) \(escapeHelp(family.help))\n"
            out += "# TYPE \(declared) \(type)\n"
            for s in family.samples {
                out += family.name
                out += s.suffix
                if !s.labels.isEmpty {
                    out += "{"
                    var first = true
                    for (k, v) in s.labels {
                        if !first { out += "," }
                        first = false
                        out += k
                        out += "=\""
                        out += escapeLabel(v)
                        out += "\""
                    }
                    out += "}"
                }
                out += " "
                out += number(s.value)
                out += "\n"
            }
        }
        if format == .openMetrics { out += "# EOF\n" }
        return out
    }

    /// A sample value: integers without a fraction, others to the microsecond at most (every
    /// figure kgtop has is milliseconds, so sums print `0.233`, not `0.23299999999999998`);
    /// `NaN`, `+Inf`, `-Inf`.
    public static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        guard abs(v) < 1e15 else { return "\(v)" }
        var text = String(format: "%.6f", v)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Label values escape backslash, double quote and newline.
    static func escapeLabel(_ s: String) -> String {
        guard s.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
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

    /// The `_bucket`, `_sum` and `_count` samples with `labels` (then `le`).
    public func samples(labels: [(String, String)]) -> [MetricSample] {
        var out: [MetricSample] = []
        var cumulative = 0
        for (i, bound) in bounds.enumerated() {
            cumulative += counts[i]
            out.append(MetricSample(suffix: "_bucket", labels: labels + [("le", Self.le(bound))], value: Double(cumulative)))
        }
        out.append(MetricSample(suffix: "_bucket", labels: labels + [("le", "+Inf")], value: Double(count)))
        out.append(MetricSample(suffix: "_sum", labels: labels, value: sum))
        out.append(MetricSample(suffix: "_count", labels: labels, value: Double(count)))
        return out
    }

    /// A bucket bound as OpenMetrics writes it (`0.5`, `1.0`, `600.0`).
    static func le(_ bound: Double) -> String {
        bound == bound.rounded() ? String(format: "%.1f", bound) : "\(bound)"
    }
}

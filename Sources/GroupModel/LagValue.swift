/// A lag that is either known, in offsets, or unknown for a stated reason. Never a sentinel.
///
/// JSON shape: `{"known": 42}` or `{"unknown": "log end offset unknown"}`.
public enum LagValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The lag in offsets, at least 0.
    case known(Int64)
    /// The lag could not be computed; the reason says why, in words.
    case unknown(reason: String)

    /// The lag in offsets when known.
    public var offsets: Int64? {
        if case .known(let value) = self { return value }
        return nil
    }

    /// `42` or `unknown (reason)`.
    public var description: String {
        switch self {
        case .known(let value): return String(value)
        case .unknown(let reason): return "unknown (\(reason))"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case known
        case unknown
    }

    /// Decodes `{"known": n}` or `{"unknown": "reason"}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let value = try container.decodeIfPresent(Int64.self, forKey: .known) {
            self = .known(value)
        } else if let reason = try container.decodeIfPresent(String.self, forKey: .unknown) {
            self = .unknown(reason: reason)
        } else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "LagValue needs a 'known' or an 'unknown' key"))
        }
    }

    /// Encodes `{"known": n}` or `{"unknown": "reason"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .known(let value): try container.encode(value, forKey: .known)
        case .unknown(let reason): try container.encode(reason, forKey: .unknown)
        }
    }
}

extension LagValue {
    /// The reasons most unknown lags give (``LagCalculator``'s without an error, and
    /// ``notApplicable``), which a ``GroupPartition`` keeps as a number rather than as text. Any
    /// other reason is kept too, only less compactly.
    static let commonReasons: [String] = [
        LagCalculator.lag(committed: nil, logStart: nil, logEnd: nil),
        LagCalculator.lag(committed: nil, logStart: nil, logEnd: 0),
        notApplicable,
    ].map { lag in
        guard case .unknown(let reason) = lag else { preconditionFailure("a common lag reason is an unknown lag's") }
        return reason
    }
}

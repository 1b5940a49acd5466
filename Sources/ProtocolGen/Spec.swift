import Foundation

/// A range of message versions as Kafka's definitions write it: "0+", "3-5", "7" or "none".
struct VersionRange: Equatable {
    var low: Int
    /// nil means open-ended ("N+").
    var high: Int?
    var isNone: Bool

    static let none = VersionRange(low: 0, high: nil, isNone: true)

    init(low: Int, high: Int?, isNone: Bool = false) {
        self.low = low
        self.high = high
        self.isNone = isNone
    }

    init(parsing text: String?) throws {
        guard let raw = text?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, raw != "none" else {
            self = .none
            return
        }
        if raw.hasSuffix("+"), let low = Int(raw.dropLast()) {
            self.init(low: low, high: nil)
        } else if let dash = raw.firstIndex(of: "-"), let low = Int(raw[..<dash]), let high = Int(raw[raw.index(after: dash)...]) {
            self.init(low: low, high: high)
        } else if let single = Int(raw) {
            self.init(low: single, high: single)
        } else {
            throw GenError.spec("cannot parse version range \"\(raw)\"")
        }
    }

    /// The intersection with the message's valid versions, for deciding if a check is needed.
    func clamped(to valid: ClosedRange<Int>) -> ClosedRange<Int>? {
        if isNone { return nil }
        let lo = max(low, valid.lowerBound)
        let hi = min(high ?? valid.upperBound, valid.upperBound)
        return lo <= hi ? lo...hi : nil
    }

    func contains(_ v: Int) -> Bool {
        if isNone { return false }
        return v >= low && (high == nil || v <= high!)
    }

    /// How the range reads in a doc comment.
    var text: String {
        if isNone { return "none" }
        if let high { return high == low ? "\(low)" : "\(low)-\(high)" }
        return "\(low)+"
    }
}

/// Errors the generator reports.
enum GenError: Error, CustomStringConvertible {
    case spec(String)
    case io(String)

    var description: String {
        switch self {
        case let .spec(m): return "spec error: \(m)"
        case let .io(m): return m
        }
    }
}

/// One field of a message or struct definition.
final class FieldSpec {
    let name: String
    let type: String
    let versions: VersionRange
    let nullableVersions: VersionRange
    let taggedVersions: VersionRange
    let tag: Int?
    let ignorable: Bool
    let defaultValue: String?
    let flexibleOverrideNone: Bool
    /// Inline struct fields when `type` is a struct defined here.
    let fields: [FieldSpec]?

    init(json: [String: Any], context: String) throws {
        guard let name = json["name"] as? String, let type = json["type"] as? String else {
            throw GenError.spec("\(context): field without name or type")
        }
        self.name = name
        self.type = type
        versions = try VersionRange(parsing: json["versions"] as? String)
        nullableVersions = try VersionRange(parsing: json["nullableVersions"] as? String)
        taggedVersions = try VersionRange(parsing: json["taggedVersions"] as? String)
        tag = json["tag"] as? Int
        ignorable = json["ignorable"] as? Bool ?? false
        if let d = json["default"] {
            if let s = d as? String { defaultValue = s } else if let n = d as? NSNumber { defaultValue = n.stringValue } else { defaultValue = nil }
        } else {
            defaultValue = nil
        }
        if let f = json["flexibleVersions"] as? String { flexibleOverrideNone = (f == "none") } else { flexibleOverrideNone = false }
        if let sub = json["fields"] as? [[String: Any]] {
            fields = try sub.map { try FieldSpec(json: $0, context: "\(context).\(name)") }
        } else {
            fields = nil
        }
        if (tag == nil) != taggedVersions.isNone {
            throw GenError.spec("\(context).\(name): tag and taggedVersions must come together")
        }
    }

    var isArray: Bool { type.hasPrefix("[]") }
    var elementType: String { isArray ? String(type.dropFirst(2)) : type }
    var isNullable: Bool { !nullableVersions.isNone }
    var isTagged: Bool { tag != nil }
}

/// One message definition file.
final class MessageSpec {
    let name: String
    let kind: String  // request, response, data, header
    let apiKey: Int?
    let validVersions: VersionRange
    let flexibleVersions: VersionRange
    let fields: [FieldSpec]
    let commonStructs: [(name: String, fields: [FieldSpec])]
    let fileName: String

    init(url: URL) throws {
        fileName = url.lastPathComponent
        let raw = try String(contentsOf: url, encoding: .utf8)
        // Kafka's definitions carry // comment lines (the licence header and notes); JSON does not.
        let stripped = raw.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            .joined(separator: "\n")
        guard let object = try JSONSerialization.jsonObject(with: Data(stripped.utf8)) as? [String: Any] else {
            throw GenError.spec("\(fileName): not a JSON object")
        }
        guard let name = object["name"] as? String, let kind = object["type"] as? String else {
            throw GenError.spec("\(fileName): missing name or type")
        }
        self.name = name
        self.kind = kind
        apiKey = object["apiKey"] as? Int
        validVersions = try VersionRange(parsing: object["validVersions"] as? String)
        flexibleVersions = try VersionRange(parsing: object["flexibleVersions"] as? String)
        fields = try (object["fields"] as? [[String: Any]] ?? []).map { try FieldSpec(json: $0, context: name) }
        commonStructs = try (object["commonStructs"] as? [[String: Any]] ?? []).map { s in
            guard let n = s["name"] as? String else { throw GenError.spec("\(name): common struct without name") }
            return (n, try (s["fields"] as? [[String: Any]] ?? []).map { try FieldSpec(json: $0, context: "\(name).\(n)") })
        }
        if validVersions.isNone || validVersions.high == nil {
            throw GenError.spec("\(fileName): validVersions must be a closed range")
        }
    }

    var validRange: ClosedRange<Int> { validVersions.low...(validVersions.high ?? validVersions.low) }
}

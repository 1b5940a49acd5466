/// A JSON decoding error told in words, for every file kgtop reads (snapshots, rules files): what is
/// missing or of the wrong kind, and where — never Swift's `DecodingError` dump.
public enum DecodingProblem {
    /// The sentence for `error`; `place` renders a coding path in the words of the file's format.
    public static func describe(_ error: DecodingError, place: ([any CodingKey]) -> String) -> String {
        switch error {
        case let .keyNotFound(key, context):
            let at = context.codingPath.isEmpty ? "" : " in \(place(context.codingPath))"
            return "the key \"\(key.stringValue)\" is missing\(at)"
        case let .typeMismatch(type, context):
            return "\(place(context.codingPath)): expected \(kind(type))"
        case let .valueNotFound(type, context):
            return "\(place(context.codingPath)) is null where \(kind(type)) is expected"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "unreadable"
        }
    }

    /// `groups[2].members[0].memberId`; "the top level" for an empty path.
    public static func dottedPath(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out.isEmpty ? "the top level" : out
    }

    /// The JSON a Swift type stands for, in words.
    public static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "text in quotes"
        case is Int.Type, is Int16.Type, is Int32.Type, is Int64.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default: return String(describing: type).hasPrefix("Array") ? "a list" : "an object"
        }
    }
}

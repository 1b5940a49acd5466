import Foundation
import GroupModel

/// A point in a recording: an RFC 3339 time, an offset from the first poll, or a poll index.
///
/// - `2025-06-15T14:03:05Z`, `2025-06-15T16:03:05.250+02:00`: the last poll taken at or before it;
/// - `+90s`, `+1m30s`, `+2h`, `+500ms`: that long after the first poll (same rule); the duration
///   grammar and bounds are ``DurationText``'s, as on the command line;
/// - `#12`: poll 12, counting from 0; `#-1` is the last poll.
public enum TimeSpec: Sendable, Hashable, CustomStringConvertible {
    /// An absolute time, ms since the Unix epoch.
    case absolute(Int64)
    /// Milliseconds after the first poll.
    case offset(Int64)
    /// A poll index (negative: from the end).
    case poll(Int)

    /// Why a time could not be understood.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public var description: String
    }

    /// Parses a time spec.
    public init(parsing text: String) throws(ParseError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("#") {
            guard let n = Int(t.dropFirst()) else { throw ParseError(description: "\(text): a poll index is # and a number, e.g. #12 or #-1") }
            self = .poll(n)
        } else if t.hasPrefix("+") {
            do throws(DurationText.ParseError) {
                self = .offset(try DurationText.milliseconds(String(t.dropFirst())))
            } catch {
                throw ParseError(description: "\(text): an offset is + and a duration, e.g. +90s, +1m30s, +2h, +500ms (\(error.description))")
            }
        } else if let ms = Self.rfc3339(t) {
            self = .absolute(ms)
        } else {
            throw ParseError(description: "\(text): expected an RFC 3339 time (2025-06-15T14:03:05Z), an offset from the start (+90s), or a poll index (#12)")
        }
    }

    /// The poll of `reader` this spec names.
    public func pollIndex(in reader: RecordingReader) throws(RecordingError) -> Int {
        guard let start = reader.startTime else { throw .empty }
        switch self {
        case .poll(let n):
            let index = n < 0 ? reader.pollCount + n : n
            guard index >= 0, index < reader.pollCount else { throw .noSuchPoll(n, count: reader.pollCount) }
            return index
        case .offset(let ms):
            return reader.pollIndex(atOrBefore: start + ms) ?? 0
        case .absolute(let ms):
            guard let index = reader.pollIndex(atOrBefore: ms) else { throw .noSuchPoll(-1, count: reader.pollCount) }
            return index
        }
    }

    /// The spec as written.
    public var description: String {
        switch self {
        case .absolute(let ms): return Self.format(ms)
        case .offset(let ms): return "+\(ms)ms"
        case .poll(let n): return "#\(n)"
        }
    }

    /// RFC 3339 with or without fractional seconds; `nil` when malformed.
    static func rfc3339(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        return nil
    }

    /// An RFC 3339 UTC time with milliseconds.
    public static func format(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

/// What `kgtop diff` and `kgtop snapshot --from` accept: a snapshot JSON file, or `FILE@TIME` for a
/// poll of a recording (a recording without `@TIME` means its last poll).
public struct SnapshotReference: Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The poll, for recordings.
    public var time: TimeSpec?

    /// Creates a reference.
    public init(path: String, time: TimeSpec?) {
        self.path = path
        self.time = time
    }

    /// Splits `FILE@TIME` at the last `@` when what follows parses as a time; otherwise the whole
    /// argument is a path (paths may contain `@`).
    public init(parsing argument: String) throws(TimeSpec.ParseError) {
        if let at = argument.lastIndex(of: "@") {
            let tail = String(argument[argument.index(after: at)...])
            let head = String(argument[..<at])
            if !head.isEmpty, let spec = try? TimeSpec(parsing: tail) {
                self.init(path: head, time: spec)
                return
            }
            // Something after the last @ that looks like an attempt at a time: say why it failed.
            if !head.isEmpty, let first = tail.first, first == "#" || first == "+" || first.isNumber, !FileManager.default.fileExists(atPath: argument) {
                _ = try TimeSpec(parsing: tail)
            }
        }
        self.init(path: argument, time: nil)
    }

    /// `FILE@TIME` or `FILE`.
    public var description: String { time.map { "\(path)@\($0)" } ?? path }

    /// Loads the snapshot: JSON files by content, recordings by their magic.
    public func load() throws -> ClusterSnapshot {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RecordingError.cannotOpen(path: path, errno: 0, message: (error as NSError).localizedDescription)
        }
        if data.starts(with: RecordingFormat.magic) {
            let reader = try RecordingReader(bytes: Array(data))
            guard reader.pollCount > 0 else { throw RecordingError.empty }
            let index = try time?.pollIndex(in: reader) ?? reader.pollCount - 1
            return try reader.snapshot(at: index)
        }
        if time != nil { throw TimeSpec.ParseError(description: "\(path) is a snapshot JSON file, not a recording: @TIME applies to recordings only") }
        return try SnapshotJSON.decodeSnapshot(data)
    }
}

import Foundation
import KafkaWire

/// The constants of the recording file format, `kgtop.recording/1` (docs/RECORDING.md).
public enum RecordingFormat {
    /// The first eight bytes of every recording.
    public static let magic: [UInt8] = Array("KGTOPREC".utf8)
    /// The format version this build writes and reads.
    public static let version: UInt16 = 1
    /// The format identifier stored in the header.
    public static let identifier = "kgtop.recording/1"
    /// Frames longer than this are treated as corrupt (a damaged length prefix).
    public static let maxFrameLength = 256 << 20
    /// Bytes before a frame's body: the body length and its CRC-32C, both 32-bit big-endian.
    public static let framePrefixLength = 8
    /// The default number of polls between keyframes (one per 30 minutes at a 5 s interval).
    public static let defaultKeyframeInterval = 360
}

/// What a recording says about itself. Stored once, as JSON, after the magic and version.
///
/// The source description is free-form (`bootstrap kafka-1:9092`, `kgtop demo`); callers must
/// never put credentials in it.
public struct RecordingHeader: Sendable, Hashable, Codable {
    /// Always ``RecordingFormat/identifier`` for files this version writes.
    public var format: String
    /// The version of kgtop that wrote the file.
    public var kgtopVersion: String
    /// When the recording was started, in milliseconds since the Unix epoch.
    public var createdAt: Int64
    /// The poll interval the recorder was asked for, in milliseconds.
    public var pollIntervalMs: Int64
    /// Where the data came from, in words (no credentials).
    public var source: String
    /// Polls between keyframes.
    public var keyframeInterval: Int

    /// Creates a header.
    public init(kgtopVersion: String, createdAt: Int64, pollIntervalMs: Int64, source: String,
                keyframeInterval: Int = RecordingFormat.defaultKeyframeInterval) {
        self.format = RecordingFormat.identifier
        self.kgtopVersion = kgtopVersion
        self.createdAt = createdAt
        self.pollIntervalMs = pollIntervalMs
        self.source = source
        self.keyframeInterval = max(1, keyframeInterval)
    }

    /// The header bytes: magic, version, JSON length, CRC-32C of the JSON, JSON.
    func encoded() throws(RecordingError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json: [UInt8]
        do { json = Array(try encoder.encode(self)) } catch { throw .encodingFailed("header: \(error)") }
        var w = ByteWriter(capacity: json.count + 18)
        w.append(RecordingFormat.magic)
        w.u16(RecordingFormat.version)
        w.u32(UInt32(json.count))
        w.u32(CRC32C.checksum(json))
        w.append(json)
        return w.bytes
    }

    /// Parses the header at the start of `bytes`; returns it and where the first frame starts.
    static func decode(_ bytes: [UInt8]) throws(RecordingError) -> (RecordingHeader, Int) {
        guard bytes.count >= 8, Array(bytes[0..<8]) == RecordingFormat.magic else { throw .notARecording }
        var r = ByteReader(bytes, range: 8..<bytes.count)
        do {
            let version = try r.u16()
            guard version == RecordingFormat.version else { throw RecordingError.unsupportedVersion(Int(version)) }
            let length = Int(try r.u32())
            let crc = try r.u32()
            guard length <= 1 << 20 else { throw RecordingError.corruptHeader("header length \(length) is implausible") }
            let start = r.position
            let json = Array(try r.take(length))
            guard CRC32C.checksum(json) == crc else { throw RecordingError.corruptHeader("header checksum mismatch") }
            let header = try JSONDecoder().decode(RecordingHeader.self, from: Data(json))
            return (header, start + length)
        } catch let error as RecordingError {
            throw error
        } catch is ByteReader.Overrun {
            throw .corruptHeader("file ends inside the header")
        } catch {
            throw .corruptHeader("header JSON: \(error)")
        }
    }
}

/// The kind of a frame (its first body byte).
public enum FrameKind: UInt8, Sendable, Hashable, Codable {
    /// A full snapshot: decodable without earlier frames (except for the string table).
    case keyframe = 1
    /// Changes against the previous poll.
    case delta = 2
}

/// What stopped a reader before the end of the file.
public struct RecordingDamage: Sendable, Hashable, CustomStringConvertible {
    /// How the frame is damaged.
    public enum Kind: Sendable, Hashable {
        /// The file ends inside the frame (a recorder killed mid-write, or a copied partial file).
        case truncated
        /// The frame's checksum does not match its bytes.
        case checksumMismatch
        /// The frame's length or contents are impossible.
        case malformed(String)
    }

    /// The poll index the damaged frame would have had.
    public var pollIndex: Int
    /// Where the damaged frame starts in the file.
    public var byteOffset: Int
    /// How it is damaged.
    public var kind: Kind
    /// Bytes from the damaged frame to the end of the file (all ignored).
    public var bytesIgnored: Int

    /// `poll 12 at byte 4096: truncated (37 bytes ignored)`.
    public var description: String {
        let what: String
        switch kind {
        case .truncated: what = "truncated frame (the recorder stopped mid-write)"
        case .checksumMismatch: what = "corrupt frame (checksum mismatch)"
        case .malformed(let why): what = "corrupt frame (\(why))"
        }
        return "poll \(pollIndex) at byte \(byteOffset): \(what); \(bytesIgnored) byte(s) ignored"
    }
}

/// Errors of recording, reading and replaying. Typed: a recorder can tell a full disk from a bad path.
public enum RecordingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be created or opened (`errno`, message).
    case cannotOpen(path: String, errno: Int32, message: String)
    /// The file exists and overwriting was not asked for.
    case alreadyExists(path: String)
    /// The disk (or quota) is full; the frame was not written and the file was cut back to its last
    /// complete frame.
    case diskFull(path: String)
    /// Another write error (`errno`, message); the file was cut back to its last complete frame.
    case writeFailed(path: String, errno: Int32, message: String)
    /// The writer was closed.
    case closed
    /// A value could not be encoded (a bug, or a model value JSON cannot carry).
    case encodingFailed(String)
    /// The file does not start with the recording magic.
    case notARecording
    /// The file is a recording of a format version this build cannot read.
    case unsupportedVersion(Int)
    /// The header is damaged.
    case corruptHeader(String)
    /// A frame passed its checksum but could not be decoded.
    case corruptFrame(pollIndex: Int, reason: String)
    /// No poll has this index.
    case noSuchPoll(Int, count: Int)
    /// The recording holds no complete poll.
    case empty

    /// A sentence for the user.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let errno, let message): return "cannot open \(path): \(message) (errno \(errno))"
        case .alreadyExists(let path): return "\(path) already exists (use --force to overwrite)"
        case .diskFull(let path): return "disk full writing \(path): poll not recorded"
        case .writeFailed(let path, let errno, let message): return "cannot write \(path): \(message) (errno \(errno)): poll not recorded"
        case .closed: return "the recording is closed"
        case .encodingFailed(let why): return "cannot encode the poll: \(why)"
        case .notARecording: return "not a kgtop recording (bad magic)"
        case .unsupportedVersion(let v): return "recording format version \(v) is not supported by this kgtop (it reads version \(RecordingFormat.version))"
        case .corruptHeader(let why): return "corrupt recording header: \(why)"
        case .corruptFrame(let index, let reason): return "corrupt frame for poll \(index): \(reason)"
        case .noSuchPoll(let index, let count): return "no poll #\(index): the recording has \(count) poll(s) (#0...#\(max(0, count - 1)))"
        case .empty: return "the recording holds no complete poll"
        }
    }
}

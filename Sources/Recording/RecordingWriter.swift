#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GroupModel

/// Appends polls to a recording file.
///
/// Every frame goes out in one `write(2)` on a descriptor opened with `O_APPEND`, so a recorder
/// that is killed leaves whole frames plus at most one partial frame at the end, which readers
/// detect (checksum and length) and ignore. The ``SyncPolicy`` says when the data is also forced
/// to disk (what survives a power cut or kernel crash).
///
/// A failed append (full disk, I/O error) throws a typed ``RecordingError`` at once, cuts the file
/// back to its last complete frame and leaves the writer usable: the caller keeps running (the
/// dashboard shows the error) and the next append tries again.
///
/// Thread safety: the writer owns one file descriptor, guarded by a lock; it may be shared between
/// tasks (this is its documented `@unchecked Sendable`).
public final class RecordingWriter: @unchecked Sendable {
    /// When appended frames are forced to stable storage.
    public enum SyncPolicy: Sendable, Hashable {
        /// `fsync` after every frame (the default: one sync per poll interval).
        case everyFrame
        /// `fsync` after every keyframe only; a machine crash may lose the polls since.
        case keyframes
        /// Never; the operating system writes back when it likes. A killed process loses nothing
        /// already written, a machine crash may lose more.
        case never
    }

    /// Writer options.
    public struct Options: Sendable, Hashable {
        /// Polls between keyframes.
        public var keyframeInterval: Int
        /// When to `fsync`.
        public var sync: SyncPolicy
        /// Replace an existing file instead of failing with ``RecordingError/alreadyExists(path:)``.
        public var overwrite: Bool

        /// Creates options.
        public init(keyframeInterval: Int = RecordingFormat.defaultKeyframeInterval, sync: SyncPolicy = .everyFrame, overwrite: Bool = false) {
            self.keyframeInterval = max(1, keyframeInterval)
            self.sync = sync
            self.overwrite = overwrite
        }
    }

    /// What one append wrote.
    public struct Appended: Sendable, Hashable {
        /// The poll's index in the recording.
        public var pollIndex: Int
        /// Keyframe or delta.
        public var kind: FrameKind
        /// Bytes appended (prefix included).
        public var bytes: Int
    }

    /// The file's path.
    public let path: String
    /// The header written at the start of the file.
    public let header: RecordingHeader
    /// The options.
    public let options: Options

    private let lock = NSLock()
    private var fd: Int32
    private var encoder: RecordingFrameEncoder
    private var size: Int
    private var polls = 0

    /// Creates the file and writes the header. The header's keyframe interval is taken from `options`.
    public init(path: String, header: RecordingHeader, options: Options = Options()) throws(RecordingError) {
        var header = header
        header.keyframeInterval = options.keyframeInterval
        self.path = path
        self.header = header
        self.options = options
        self.encoder = RecordingFrameEncoder(keyframeInterval: options.keyframeInterval)
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (options.overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw .alreadyExists(path: path) }
            throw .cannotOpen(path: path, errno: code, message: String(cString: strerror(code)))
        }
        self.fd = fd
        self.size = 0
        let bytes = try header.encoded()
        do {
            try writeAll(bytes)
            if options.sync != .never { _ = fsync(fd) }
        } catch {
            close()
            throw error
        }
        size = bytes.count
    }

    deinit { close() }

    /// Polls appended so far.
    public var pollCount: Int { lock.withLock { polls } }
    /// The file's size in bytes, as far as this writer knows.
    public var byteCount: Int { lock.withLock { size } }

    /// Appends one poll. On failure nothing of the poll remains in the file and the writer stays
    /// usable.
    @discardableResult
    public func append(_ snapshot: ClusterSnapshot) throws(RecordingError) -> Appended {
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { throw .closed }
        let prepared: RecordingFrameEncoder.Prepared
        do { prepared = try encoder.encode(snapshot.normalized()) } catch { throw .encodingFailed(error.description) }
        do {
            try writeAll(prepared.bytes)
        } catch {
            // Cut back to the last complete frame so later frames stay readable.
            _ = ftruncate(fd, off_t(size))
            throw error
        }
        if options.sync == .everyFrame || (options.sync == .keyframes && prepared.kind == .keyframe) {
            if fsync(fd) != 0 {
                let code = errno
                _ = ftruncate(fd, off_t(size))
                throw code == ENOSPC || code == EDQUOT ? .diskFull(path: path) : .writeFailed(path: path, errno: code, message: String(cString: strerror(code)))
            }
        }
        encoder.commit(prepared)
        size += prepared.bytes.count
        polls += 1
        return Appended(pollIndex: polls - 1, kind: prepared.kind, bytes: prepared.bytes.count)
    }

    /// Forces everything written so far to disk.
    public func sync() {
        lock.withLock { if fd >= 0 { _ = fsync(fd) } }
    }

    /// Closes the file (idempotent).
    public func close() {
        lock.withLock {
            guard fd >= 0 else { return }
            if options.sync != .never { _ = fsync(fd) }
            _ = closeDescriptor(fd)
            fd = -1
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws(RecordingError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress! + offset, raw.count - offset) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == ENOSPC || code == EDQUOT { throw .diskFull(path: path) }
                throw .writeFailed(path: path, errno: code, message: String(cString: strerror(code)))
            }
            offset += n
        }
    }
}

/// `close(2)`, named apart from ``RecordingWriter/close()``.
private func closeDescriptor(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}

// MARK: - In memory

/// Encodes polls into recording bytes in memory (benchmarks, tests, and tools that build files).
public struct RecordingEncoder: Sendable {
    /// The header.
    public let header: RecordingHeader
    /// Header and frames so far.
    public private(set) var bytes: [UInt8]
    /// Keyframes written.
    public private(set) var keyframes = 0
    /// Polls written.
    public private(set) var polls = 0
    private var encoder: RecordingFrameEncoder

    /// Starts a recording with this header (its keyframe interval applies).
    public init(header: RecordingHeader) throws(RecordingError) {
        self.header = header
        self.encoder = RecordingFrameEncoder(keyframeInterval: header.keyframeInterval)
        self.bytes = try header.encoded()
    }

    /// Appends one poll; returns the frame's size.
    @discardableResult
    public mutating func append(_ snapshot: ClusterSnapshot) throws(RecordingError) -> Int {
        let prepared: RecordingFrameEncoder.Prepared
        do { prepared = try encoder.encode(snapshot.normalized()) } catch { throw .encodingFailed(error.description) }
        encoder.commit(prepared)
        bytes.append(contentsOf: prepared.bytes)
        polls += 1
        if prepared.kind == .keyframe { keyframes += 1 }
        return prepared.bytes.count
    }
}


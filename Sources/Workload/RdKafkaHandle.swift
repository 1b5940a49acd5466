import CRdKafka
import Foundation
import GroupModel
import Synchronization

/// An `rd_kafka_t` handle, movable to the client's own thread.
///
/// `@unchecked Sendable` because librdkafka documents `rd_kafka_t` as thread-safe for the calls made
/// from other threads here (`rd_kafka_memberid`, `rd_kafka_opaque`), and everything else (poll,
/// assign, close, destroy) is called only from the one thread that owns the client's loop. This is
/// the only such wrapper in the module.
final class RdKafkaHandle: @unchecked Sendable {
    /// The handle; valid until the loop thread destroys it.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }
}

/// Diagnostics shared by consumers and producers: errors from librdkafka's error callback and its
/// warning-or-worse log lines (the last few), so a failure can say what librdkafka saw.
final class ClientDiagnostics: Sendable {
    private struct State {
        var lastError: String?
        var errorCount = 0
        var recentLogs: [String] = []
    }

    private let state = Mutex(State())
    /// Whether librdkafka's log lines are echoed to stderr (the user set `debug`).
    let echoLogs: Bool
    /// The client's name in echoed log lines.
    let name: String

    init(name: String, echoLogs: Bool) {
        self.name = name
        self.echoLogs = echoLogs
    }

    func recordError(_ message: String) {
        state.withLock {
            $0.lastError = message
            $0.errorCount += 1
        }
    }

    func recordLog(level: Int32, facility: String, message: String) {
        if echoLogs {
            FileHandle.standardError.write(Data("[\(name)] rdkafka \(level) \(facility): \(message)\n".utf8))
        }
        guard level <= 4 else { return }
        state.withLock {
            $0.recentLogs.append("\(facility): \(message)")
            if $0.recentLogs.count > 20 { $0.recentLogs.removeFirst($0.recentLogs.count - 20) }
        }
    }

    var lastError: String? { state.withLock { $0.lastError } }
    var errorCount: Int { state.withLock { $0.errorCount } }
    var recentLogs: [String] { state.withLock { $0.recentLogs } }
}

/// The opaque every client hands to librdkafka, so the C callbacks find their Swift side.
protocol ClientCallbacks: AnyObject, Sendable {
    var diagnostics: ClientDiagnostics { get }
}

// MARK: - Callbacks shared by both client kinds

/// Recovers the Swift object registered as a client's opaque.
func callbacks(_ opaque: UnsafeMutableRawPointer?) -> (any ClientCallbacks)? {
    guard let opaque else { return nil }
    return Unmanaged<AnyObject>.fromOpaque(opaque).takeUnretainedValue() as? any ClientCallbacks
}

let workloadErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    _, err, reason, opaque in
    guard let owner = callbacks(opaque) else { return }
    let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(err)))
    owner.diagnostics.recordError("\(name): \(reason.map { String(cString: $0) } ?? "")")
}

let workloadLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    rk, level, facility, message in
    guard let rk, let owner = callbacks(rd_kafka_opaque(rk)) else { return }
    owner.diagnostics.recordLog(
        level: level, facility: facility.map { String(cString: $0) } ?? "",
        message: message.map { String(cString: $0) } ?? "")
}

/// Configures the shared callbacks and the opaque on `conf`.
func installCommonCallbacks(_ conf: OpaquePointer, opaque: UnsafeMutableRawPointer) {
    rd_kafka_conf_set_opaque(conf, opaque)
    rd_kafka_conf_set_error_cb(conf, workloadErrorCallback)
    rd_kafka_conf_set_log_cb(conf, workloadLogCallback)
}

/// Creates a client from a conf (which it takes over, also on failure).
func makeClient(_ type: rd_kafka_type_t, conf: OpaquePointer) throws(WorkloadError) -> OpaquePointer {
    var errstr = [CChar](repeating: 0, count: 512)
    guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
        rd_kafka_conf_destroy(conf)
        throw .clientCreation(cString(errstr))
    }
    return rk
}

/// A librdkafka error code's name and description.
func describe(_ err: rd_kafka_resp_err_t) -> String {
    "\(String(cString: rd_kafka_err2name(err))): \(String(cString: rd_kafka_err2str(err)))"
}

/// Reads a C partition list into sorted topic-partitions.
func topicPartitions(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [TopicPartition] {
    guard let list else { return [] }
    let count = Int(list.pointee.cnt)
    guard count > 0, let elems = list.pointee.elems else { return [] }
    return (0..<count).map { i in
        TopicPartition(topic: String(cString: elems[i].topic), partition: elems[i].partition)
    }.sorted()
}


/// The text in a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

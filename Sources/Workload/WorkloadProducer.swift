import CRdKafka
import Foundation
import Synchronization

/// What ``WorkloadProducer`` sends.
public struct WorkloadProducerConfig: Sendable, Hashable {
    /// The topic to produce to.
    public var topic: String
    /// Messages per second (the producer keeps the average, catching up after a stall).
    public var ratePerSecond: Double
    /// Payload size in bytes.
    public var messageSize: Int
    /// Number of distinct keys, used round-robin (`key-0` ... `key-<K-1>`); 0 sends no key
    /// (librdkafka's partitioner then spreads messages over the partitions).
    public var keyCount: Int
    /// librdkafka properties (`bootstrap.servers`, `acks`, `linger.ms`, `batch.num.messages`, ...).
    public var properties: ClientProperties
    /// The client's name in logs (`client.id` defaults to `kgtop-<name>`).
    public var name: String

    /// Creates a configuration.
    public init(
        topic: String, ratePerSecond: Double, messageSize: Int = 100, keyCount: Int = 0,
        properties: ClientProperties, name: String = "load"
    ) {
        self.topic = topic
        self.ratePerSecond = ratePerSecond
        self.messageSize = messageSize
        self.keyCount = keyCount
        self.properties = properties
        self.name = name
    }
}

/// A rate-limited producer (librdkafka) running on its own thread, counting delivery reports.
public final class WorkloadProducer: Sendable {
    /// Counters of one producer.
    public struct Status: Sendable, Hashable {
        /// Messages handed to librdkafka.
        public var sent: Int64
        /// Messages the broker acknowledged (delivery report without error).
        public var delivered: Int64
        /// Messages whose delivery report carried an error.
        public var failed: Int64
        /// Payload bytes acknowledged.
        public var bytesDelivered: Int64
        /// Times librdkafka's local queue was full and the producer had to wait.
        public var queueFull: Int64
        /// The last error (delivery or client), if any.
        public var lastError: String?
        /// Whether the produce loop still runs.
        public var running: Bool
        /// When the producer started (wall-clock ms).
        public var startedAtMs: Int64
    }

    /// The configuration it was started with.
    public let config: WorkloadProducerConfig
    private let core: ProducerCore

    /// Creates the client and starts producing.
    /// - Throws: ``WorkloadError`` for a bad rate/size, or a property librdkafka rejects.
    public init(_ config: WorkloadProducerConfig) throws(WorkloadError) {
        guard config.ratePerSecond > 0, config.ratePerSecond.isFinite else {
            throw .invalidArgument("rate must be a positive number of messages per second")
        }
        guard config.messageSize >= 0, config.messageSize <= 100_000_000 else {
            throw .invalidArgument("message size must be between 0 and 100000000 bytes")
        }
        guard config.keyCount >= 0 else { throw .invalidArgument("key count must not be negative") }
        self.config = config
        var props = config.properties
        if props["client.id"] == nil { props["client.id"] = "kgtop-\(config.name)" }
        let core = ProducerCore(config: config, echoLogs: props["debug"] != nil)
        self.core = core
        let conf = try props.makeConf()
        let opaque = Unmanaged.passRetained(core).toOpaque()
        installCommonCallbacks(conf, opaque: opaque)
        rd_kafka_conf_set_dr_msg_cb(conf, workloadDeliveryCallback)
        let rk: OpaquePointer
        do {
            rk = try makeClient(RD_KAFKA_PRODUCER, conf: conf)
        } catch {
            Unmanaged<ProducerCore>.fromOpaque(opaque).release()
            throw error
        }
        let handle = RdKafkaHandle(rk)
        let thread = Thread {
            core.runLoop(handle)
            // Balances the passRetained above: librdkafka no longer calls back.
            Unmanaged.passUnretained(core).release()
        }
        thread.name = "kgtop-producer-\(config.name)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The current counters.
    public var status: Status { core.status }

    /// Stops producing, waits up to `flushTimeout` for outstanding delivery reports, destroys the
    /// client and returns the final counters.
    @discardableResult
    public func stop(flushTimeout: Duration = .seconds(10)) async -> Status {
        await core.stop(flushTimeoutMs: Int32(clamping: flushTimeout.components.seconds * 1000))
        return core.status
    }
}

/// The state a producer's callbacks and its loop thread share.
final class ProducerCore: ClientCallbacks {
    private struct State {
        var stopRequested = false
        var flushTimeoutMs: Int32 = 10_000
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var sent: Int64 = 0
        var delivered: Int64 = 0
        var failed: Int64 = 0
        var bytesDelivered: Int64 = 0
        var queueFull: Int64 = 0
        var lastError: String?
        var startedAtMs: Int64 = Workload.nowMs()
    }

    let config: WorkloadProducerConfig
    let diagnostics: ClientDiagnostics
    private let state = Mutex(State())

    init(config: WorkloadProducerConfig, echoLogs: Bool) {
        self.config = config
        self.diagnostics = ClientDiagnostics(name: config.name, echoLogs: echoLogs)
    }

    var status: WorkloadProducer.Status {
        let diagnosticsError = diagnostics.lastError
        return state.withLock { s in
            WorkloadProducer.Status(
                sent: s.sent, delivered: s.delivered, failed: s.failed, bytesDelivered: s.bytesDelivered,
                queueFull: s.queueFull, lastError: s.lastError ?? diagnosticsError, running: !s.finished,
                startedAtMs: s.startedAtMs)
        }
    }

    func stop(flushTimeoutMs: Int32) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.finished { return true }
                s.stopRequested = true
                s.flushTimeoutMs = flushTimeoutMs
                s.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func delivered(_ err: rd_kafka_resp_err_t, bytes: Int) {
        state.withLock { s in
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                s.delivered += 1
                s.bytesDelivered += Int64(bytes)
            } else {
                s.failed += 1
                s.lastError = describe(err)
            }
        }
    }

    /// The produce loop; runs on the producer's own thread and destroys the client at the end.
    func runLoop(_ handle: RdKafkaHandle) {
        let rk = handle.pointer
        let rkt = rd_kafka_topic_new(rk, config.topic, nil)
        var payload = [UInt8](repeating: UInt8(ascii: "k"), count: config.messageSize)
        let keys = (0..<config.keyCount).map { Array("key-\($0)".utf8) }
        let start = ContinuousClock.now
        state.withLock { $0.startedAtMs = Workload.nowMs() }
        var sent: Int64 = 0
        var flushTimeoutMs: Int32 = 10_000
        while true {
            let (stop, timeout) = state.withLock { ($0.stopRequested, $0.flushTimeoutMs) }
            if stop {
                flushTimeoutMs = timeout
                break
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let due = Int64(seconds * config.ratePerSecond) + 1
            var producedNow = 0
            while sent < due, producedNow < 10_000, let rkt {
                // The payload's first bytes carry the sequence number, so messages differ.
                withUnsafeBytes(of: sent.bigEndian) { seq in
                    for i in 0..<min(8, payload.count) { payload[i] = seq[i] }
                }
                let keyBytes = keys.isEmpty ? nil : keys[Int(sent % Int64(keys.count))]
                let rc = payload.withUnsafeMutableBytes { p in
                    if let keyBytes {
                        return keyBytes.withUnsafeBytes { k in
                            rd_kafka_produce(
                                rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, p.baseAddress, p.count,
                                k.baseAddress, k.count, nil)
                        }
                    }
                    return rd_kafka_produce(
                        rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, p.baseAddress, p.count, nil, 0, nil)
                }
                if rc == -1 {
                    let err = rd_kafka_last_error()
                    if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                        state.withLock { $0.queueFull += 1 }
                        _ = rd_kafka_poll(rk, 50)
                        break
                    }
                    state.withLock { $0.lastError = describe(err) }
                    _ = rd_kafka_poll(rk, 100)
                    break
                }
                sent += 1
                producedNow += 1
            }
            state.withLock { $0.sent = sent }
            // Serve delivery reports; sleep at most until the next message is due (and at most 20 ms).
            let wait = max(0, min(20, Int32(1000.0 / config.ratePerSecond)))
            _ = rd_kafka_poll(rk, producedNow >= 10_000 ? 0 : wait)
        }
        _ = rd_kafka_flush(rk, flushTimeoutMs)
        if let rkt { rd_kafka_topic_destroy(rkt) }
        rd_kafka_destroy(rk)
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

let workloadDeliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    _, message, opaque in
    guard let message, let core = callbacks(opaque) as? ProducerCore else { return }
    core.delivered(message.pointee.err, bytes: message.pointee.len)
}

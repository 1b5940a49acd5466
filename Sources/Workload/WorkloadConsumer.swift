import CRdKafka
import Foundation
import GroupModel
import Synchronization

/// How a consumer configuration is given to ``WorkloadConsumer``.
public struct WorkloadConsumerConfig: Sendable, Hashable {
    /// The workload's name for the member (`m3`); kept across restarts.
    public var name: String
    /// Which start of the member this is (1, then 2 after a restart, ...).
    public var incarnation: Int
    /// The consumer group.
    public var groupID: String
    /// The topics to subscribe to.
    public var topics: [String]
    /// librdkafka properties (`bootstrap.servers`, `group.protocol`, `group.remote.assignor`,
    /// `partition.assignment.strategy`, `session.timeout.ms`, ...), passed through unchanged.
    /// `group.id` is set from ``groupID``; `client.id` defaults to `kgtop-<name>`,
    /// `auto.offset.reset` to `earliest`.
    public var properties: ClientProperties
    /// Whether to commit the current positions synchronously before giving partitions up
    /// (a well-behaved application does; without it, revoked partitions are re-read from the last
    /// auto-commit and show up as messages consumed twice).
    public var commitOnRevoke: Bool
    /// The poll timeout of the consumer loop, in milliseconds.
    public var pollTimeoutMs: Int32

    /// Creates a configuration.
    public init(
        name: String, incarnation: Int = 1, groupID: String, topics: [String],
        properties: ClientProperties, commitOnRevoke: Bool = true, pollTimeoutMs: Int32 = 100
    ) {
        self.name = name
        self.incarnation = incarnation
        self.groupID = groupID
        self.topics = topics
        self.properties = properties
        self.commitOnRevoke = commitOnRevoke
        self.pollTimeoutMs = pollTimeoutMs
    }

    /// The properties handed to librdkafka.
    var effectiveProperties: ClientProperties {
        var p = properties
        p["group.id"] = groupID
        if p["client.id"] == nil { p["client.id"] = "kgtop-\(name)" }
        if p["auto.offset.reset"] == nil { p["auto.offset.reset"] = "earliest" }
        return p
    }
}

/// A real consumer-group member (librdkafka high-level consumer) running its poll loop on its own
/// thread: it counts what it consumes in a shared ``WorkloadJournal`` (which also notes messages
/// consumed twice), commits (auto-commit, plus a synchronous commit before giving partitions up),
/// and records every assignment change its rebalance callback sees, with timestamps.
///
/// The callback follows the rebalance protocol librdkafka reports: incremental assign/unassign for
/// `COOPERATIVE` (cooperative-sticky and KIP-848 `group.protocol=consumer`), whole-assignment
/// replacement for `EAGER`.
///
/// Stop it with ``close()`` (leaves the group: revoke, commit, LeaveGroup or a leave heartbeat) or
/// ``kill()`` (destroys the client without leaving, as a crashed process would; the coordinator
/// notices only when the session times out).
public final class WorkloadConsumer: Sendable {
    /// Counters and state of one consumer.
    public struct Status: Sendable, Hashable {
        /// Messages this incarnation consumed.
        public var consumed: Int64
        /// Partitions the member owns now, as its rebalance callback applied them.
        public var assignment: [TopicPartition]
        /// The member id the coordinator gave it, once known.
        public var memberID: String?
        /// The rebalance protocol librdkafka reported (`EAGER`, `COOPERATIVE`, `NONE`).
        public var rebalanceProtocol: String?
        /// Rebalance callbacks served.
        public var rebalances: Int
        /// The last error librdkafka reported (error callback or consumer error), if any.
        public var lastError: String?
        /// Whether the poll loop still runs.
        public var running: Bool
    }

    /// How the consumer is stopped.
    public enum StopMode: String, Sendable, Hashable {
        /// `rd_kafka_consumer_close`: revoke, commit, leave the group.
        case close
        /// `rd_kafka_destroy_flags(NO_CONSUMER_CLOSE)`: no revoke, no commit, no leave.
        case kill
    }

    /// The configuration it was started with.
    public let config: WorkloadConsumerConfig
    private let core: ConsumerCore

    /// Creates the client, subscribes and starts the poll loop.
    /// - Throws: ``WorkloadError`` naming the property the loaded librdkafka does not know or
    ///   rejects, or librdkafka's reason for refusing the configuration.
    public init(_ config: WorkloadConsumerConfig, journal: WorkloadJournal) throws(WorkloadError) {
        guard !config.topics.isEmpty else { throw .invalidArgument("a consumer needs at least one topic") }
        self.config = config
        let props = config.effectiveProperties
        let core = ConsumerCore(config: config, journal: journal, echoLogs: props["debug"] != nil)
        self.core = core
        let conf = try props.makeConf()
        let opaque = Unmanaged.passRetained(core).toOpaque()
        installCommonCallbacks(conf, opaque: opaque)
        rd_kafka_conf_set_rebalance_cb(conf, workloadRebalanceCallback)
        let rk: OpaquePointer
        do {
            rk = try makeClient(RD_KAFKA_CONSUMER, conf: conf)
        } catch {
            Unmanaged<ConsumerCore>.fromOpaque(opaque).release()
            throw error
        }
        rd_kafka_poll_set_consumer(rk)
        let list = rd_kafka_topic_partition_list_new(Int32(config.topics.count))
        for topic in config.topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let err = rd_kafka_subscribe(rk, list)
        rd_kafka_topic_partition_list_destroy(list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_destroy(rk)
            Unmanaged<ConsumerCore>.fromOpaque(opaque).release()
            throw .operation("subscribe to \(config.topics.joined(separator: ","))", message: describe(err))
        }
        let handle = RdKafkaHandle(rk)
        let thread = Thread {
            core.runLoop(handle)
            // Balances the passRetained above: librdkafka no longer calls back.
            Unmanaged.passUnretained(core).release()
        }
        thread.name = "kgtop-consumer-\(config.name)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The workload's name for the member.
    public var name: String { config.name }

    /// The current counters and state.
    public var status: Status { core.status }

    /// librdkafka's recent warning-or-worse log lines (for diagnosing a member that never joins).
    public var recentLogs: [String] { core.diagnostics.recentLogs }

    /// Leaves the group cleanly and waits until the client is destroyed.
    public func close() async { await core.stop(.close) }

    /// Destroys the client without leaving the group and waits until it is gone.
    public func kill() async { await core.stop(.kill) }

    /// Waits until the member owns at least one partition, or the deadline passes; returns whether it does.
    public func waitForAssignment(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !core.status.assignment.isEmpty { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !core.status.assignment.isEmpty
    }
}

// MARK: - The Swift side of the C client

/// The state a consumer's C callbacks and its loop thread share.
final class ConsumerCore: ClientCallbacks {
    private struct State {
        var stopMode: WorkloadConsumer.StopMode?
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var assignment: Set<TopicPartition> = []
        var consumed: Int64 = 0
        var memberID: String?
        var rebalanceProtocol: String?
        var rebalances = 0
        var lastError: String?
    }

    let config: WorkloadConsumerConfig
    let journal: WorkloadJournal
    let diagnostics: ClientDiagnostics
    private let state = Mutex(State())

    init(config: WorkloadConsumerConfig, journal: WorkloadJournal, echoLogs: Bool) {
        self.config = config
        self.journal = journal
        self.diagnostics = ClientDiagnostics(name: config.name, echoLogs: echoLogs)
    }

    var status: WorkloadConsumer.Status {
        let diagnosticsError = diagnostics.lastError
        return state.withLock { s in
            WorkloadConsumer.Status(
                consumed: s.consumed, assignment: s.assignment.sorted(), memberID: s.memberID,
                rebalanceProtocol: s.rebalanceProtocol, rebalances: s.rebalances,
                lastError: s.lastError ?? diagnosticsError, running: !s.finished)
        }
    }

    func stop(_ mode: WorkloadConsumer.StopMode) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.finished { return true }
                if s.stopMode == nil { s.stopMode = mode }
                s.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private var stopMode: WorkloadConsumer.StopMode? { state.withLock { $0.stopMode } }

    /// The poll loop; runs on the consumer's own thread and destroys the client at the end.
    func runLoop(_ handle: RdKafkaHandle) {
        let rk = handle.pointer
        while stopMode == nil {
            guard let message = rd_kafka_consumer_poll(rk, Int32(config.pollTimeoutMs)) else { continue }
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR_NO_ERROR, let rkt = m.rkt {
                let tp = TopicPartition(topic: String(cString: rd_kafka_topic_name(rkt)), partition: m.partition)
                journal.recordConsumed(tp, offset: m.offset)
                state.withLock { $0.consumed += 1 }
            } else if m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let text = describe(m.err)
                state.withLock { $0.lastError = text }
            }
            rd_kafka_message_destroy(message)
        }
        switch stopMode ?? .close {
        case .close:
            let err = rd_kafka_consumer_close(rk)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = describe(err)
                state.withLock { $0.lastError = text }
            }
            rd_kafka_destroy(rk)
            // Close normally revokes through the callback; whatever is still owned was given up
            // with the client.
            let leftover = state.withLock { s -> [TopicPartition] in
                defer { s.assignment = [] }
                return s.assignment.sorted()
            }
            if !leftover.isEmpty {
                journal.record(AssignmentEvent(
                    member: config.name, incarnation: config.incarnation, kind: .revoked, partitions: leftover,
                    incremental: false, atMs: Workload.nowMs()))
            }
        case .kill:
            let owned = state.withLock { s -> [TopicPartition] in
                let owned = s.assignment.sorted()
                s.assignment = []
                return owned
            }
            journal.record(AssignmentEvent(
                member: config.name, incarnation: config.incarnation, kind: .killed, partitions: owned,
                incremental: false, atMs: Workload.nowMs()))
            rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
        }
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Serves one rebalance callback (on the loop thread, inside poll or close).
    func rebalance(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        let proto = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } ?? "NONE"
        let incremental = proto == "COOPERATIVE"
        let parts = topicPartitions(partitions)
        var failure: String?
        let kind: AssignmentEvent.Kind
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            kind = .assigned
            if incremental {
                if let error = rd_kafka_incremental_assign(rk, partitions) {
                    failure = "incremental assign: \(String(cString: rd_kafka_error_string(error)))"
                    rd_kafka_error_destroy(error)
                }
            } else {
                let e = rd_kafka_assign(rk, partitions)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR { failure = "assign: \(describe(e))" }
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            kind = lost ? .lost : .revoked
            if !lost && config.commitOnRevoke {
                // Commit what was consumed so far; "no offset" just means nothing new to commit.
                let e = rd_kafka_commit(rk, nil, 0)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    failure = "commit on revoke: \(describe(e))"
                }
            }
            if incremental {
                if let error = rd_kafka_incremental_unassign(rk, partitions) {
                    failure = "incremental unassign: \(String(cString: rd_kafka_error_string(error)))"
                    rd_kafka_error_destroy(error)
                }
            } else {
                let e = rd_kafka_assign(rk, nil)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR { failure = "unassign: \(describe(e))" }
            }
        default:
            kind = .lost
            failure = "rebalance error: \(describe(err))"
            _ = rd_kafka_assign(rk, nil)
        }
        let now = Workload.nowMs()
        let memberID: String? = rd_kafka_memberid(rk).map { p in
            defer { rd_kafka_mem_free(rk, p) }
            return String(cString: p)
        }
        state.withLock { s in
            s.rebalances += 1
            s.rebalanceProtocol = proto
            if let memberID, !memberID.isEmpty { s.memberID = memberID }
            if let failure { s.lastError = failure }
            switch kind {
            case .assigned:
                if !incremental { s.assignment = [] }
                s.assignment.formUnion(parts)
            case .revoked, .lost, .killed:
                if incremental { s.assignment.subtract(parts) } else { s.assignment = [] }
            }
        }
        journal.record(AssignmentEvent(
            member: config.name, incarnation: config.incarnation, kind: kind, partitions: parts,
            incremental: incremental, atMs: now))
    }
}

let workloadRebalanceCallback: @convention(c) (
    OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
) -> Void = { rk, err, partitions, opaque in
    guard let rk, let core = callbacks(opaque) as? ConsumerCore else { return }
    core.rebalance(rk, err, partitions)
}

import CRdKafka
import Foundation

/// Topic operations kgtop's own protocol layer does not have, done with librdkafka's admin API.
public enum WorkloadAdmin {
    /// Raises `topic` to `totalCount` partitions with CreatePartitions (librdkafka's admin client).
    ///
    /// Runs on a thread of its own (librdkafka's admin calls block), bounded by `timeout`.
    /// - Throws: ``WorkloadError`` with the broker's or librdkafka's reason.
    public static func addPartitions(
        topic: String, totalCount: Int, properties: ClientProperties, timeout: Duration = .seconds(30)
    ) async throws(WorkloadError) {
        guard totalCount > 0 else { throw .invalidArgument("partition count must be positive") }
        let timeoutMs = Int32(clamping: timeout.components.seconds * 1000)
        let outcome: Result<Void, WorkloadError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: createPartitions(
                    topic: topic, totalCount: totalCount, properties: properties, timeoutMs: timeoutMs))
            }
            thread.name = "kgtop-admin"
            thread.start()
        }
        try outcome.get()
    }

    /// The blocking part; the client lives and dies on the calling thread.
    private static func createPartitions(
        topic: String, totalCount: Int, properties: ClientProperties, timeoutMs: Int32
    ) -> Result<Void, WorkloadError> {
        let what = "CreatePartitions \(topic) to \(totalCount)"
        return adminRequest(what, properties: properties, operation: RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeoutMs: timeoutMs) {
            rk, options, queue in
            var errstr = [CChar](repeating: 0, count: 512)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &errstr, errstr.count)
            guard let newParts = rd_kafka_NewPartitions_new(topic, totalCount, &errstr, errstr.count) else {
                return .failure(.operation(what, message: cString(errstr)))
            }
            defer { rd_kafka_NewPartitions_destroy(newParts) }
            var list: [OpaquePointer?] = [newParts]
            rd_kafka_CreatePartitions(rk, &list, 1, options, queue)
            return .success(())
        } read: { event in
            guard let result = rd_kafka_event_CreatePartitions_result(event) else {
                return .failure(.operation(what, message: "unexpected admin event"))
            }
            var count = 0
            guard let topics = rd_kafka_CreatePartitions_result_topics(result, &count), count > 0, let first = topics[0] else {
                return .failure(.operation(what, message: "empty result"))
            }
            let topicErr = rd_kafka_topic_result_error(first)
            if topicErr != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = rd_kafka_topic_result_error_string(first).map { String(cString: $0) } ?? describe(topicErr)
                return .failure(.operation(what, message: "\(String(cString: rd_kafka_err2name(topicErr))): \(text)"))
            }
            return .success(())
        }
    }

    /// One admin request on a client of its own, on the calling thread (librdkafka's admin calls
    /// are asynchronous; this waits for the answer): makes the client, a queue and the options
    /// with `timeoutMs`, lets `send` issue the request, waits for its event and, when it carries no
    /// error, hands it to `read`. Everything is destroyed before returning.
    static func adminRequest<T>(
        _ what: String, properties: ClientProperties, operation: rd_kafka_admin_op_t, timeoutMs: Int32,
        send: (_ rk: OpaquePointer, _ options: OpaquePointer?, _ queue: OpaquePointer) -> Result<Void, WorkloadError>,
        read: (_ event: OpaquePointer) -> Result<T, WorkloadError>
    ) -> Result<T, WorkloadError> {
        let rk: OpaquePointer
        do {
            rk = try makeClient(RD_KAFKA_PRODUCER, conf: try properties.makeConf())
        } catch {
            return .failure(error)
        }
        defer { rd_kafka_destroy(rk) }
        guard let queue = rd_kafka_queue_new(rk) else { return .failure(.operation(what, message: "no queue")) }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(rk, operation)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errstr, errstr.count)
        if case let .failure(error) = send(rk, options, queue) { return .failure(error) }
        guard let event = rd_kafka_queue_poll(queue, timeoutMs + 1000) else {
            return .failure(.operation(what, message: "no answer within \(timeoutMs) ms"))
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? describe(err)
            return .failure(.operation(what, message: text))
        }
        return read(event)
    }
}

import CRdKafka
import Foundation

/// A consumer group as librdkafka's admin client describes it: an independent reading of the
/// cluster, used to check kgtop's own protocol layer (the differential tests).
public struct LibrdkafkaGroupDescription: Sendable, Hashable {
    /// One member.
    public struct Member: Sendable, Hashable {
        /// The member id (librdkafka calls it the consumer id).
        public var memberID: String
        /// The client id.
        public var clientID: String
        /// The client host, as the broker reports it.
        public var host: String
        /// The static instance id, nil for a dynamic member.
        public var instanceID: String?
        /// The current assignment as `topic:partition`, sorted.
        public var assignment: [String]

        /// Creates a member description.
        public init(memberID: String, clientID: String, host: String, instanceID: String?, assignment: [String]) {
            self.memberID = memberID
            self.clientID = clientID
            self.host = host
            self.instanceID = instanceID
            self.assignment = assignment
        }
    }

    /// The group id.
    public var groupID: String
    /// librdkafka's name for the state (`Stable`, `Empty`, `PreparingRebalance`, ...).
    public var state: String
    /// The partition assignor (the classic protocol name), empty when none.
    public var assignor: String
    /// Members, sorted by member id.
    public var members: [Member]
    /// The group-level error, nil when the description succeeded.
    public var error: String?
}

extension WorkloadAdmin {
    /// The librdkafka this process loaded (`2.0.2` from Debian unless `LD_LIBRARY_PATH` says otherwise).
    public static var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }

    /// Describes `groupIDs` with librdkafka's DescribeConsumerGroups (DescribeGroups on the wire
    /// in the librdkafka Debian ships), on a thread of its own, bounded by `timeout`.
    /// - Throws: ``WorkloadError`` when the request as a whole fails.
    public static func describeConsumerGroups(
        _ groupIDs: [String], properties: ClientProperties, timeout: Duration = .seconds(30)
    ) async throws(WorkloadError) -> [LibrdkafkaGroupDescription] {
        let timeoutMs = Int32(clamping: timeout.components.seconds * 1000)
        let outcome: Result<[LibrdkafkaGroupDescription], WorkloadError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: describeGroups(groupIDs, properties: properties, timeoutMs: timeoutMs))
            }
            thread.name = "kgtop-admin"
            thread.start()
        }
        return try outcome.get()
    }

    /// The blocking part; the client lives and dies on the calling thread.
    private static func describeGroups(
        _ groupIDs: [String], properties: ClientProperties, timeoutMs: Int32
    ) -> Result<[LibrdkafkaGroupDescription], WorkloadError> {
        let what = "DescribeConsumerGroups"
        return adminRequest(what, properties: properties, operation: RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeoutMs: timeoutMs) {
            rk, options, queue in
            let cStrings = groupIDs.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            var pointers: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
            rd_kafka_DescribeConsumerGroups(rk, &pointers, pointers.count, options, queue)
            return .success(())
        } read: { event in
            guard let result = rd_kafka_event_DescribeConsumerGroups_result(event) else {
                return .failure(.operation(what, message: "unexpected admin event"))
            }
            return .success(read(result))
        }
    }

    /// The groups of a DescribeConsumerGroups result, sorted by id, members by member id.
    private static func read(_ result: OpaquePointer) -> [LibrdkafkaGroupDescription] {
        var count = 0
        guard let groups = rd_kafka_DescribeConsumerGroups_result_groups(result, &count) else { return [] }
        var out: [LibrdkafkaGroupDescription] = []
        for i in 0..<count {
            guard let g = groups[i] else { continue }
            var description = LibrdkafkaGroupDescription(
                groupID: String(cString: rd_kafka_ConsumerGroupDescription_group_id(g)),
                state: String(cString: rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g))),
                assignor: rd_kafka_ConsumerGroupDescription_partition_assignor(g).map { String(cString: $0) } ?? "",
                members: [], error: nil)
            if let e = rd_kafka_ConsumerGroupDescription_error(g) {
                description.error = String(cString: rd_kafka_error_name(e)) + ": " + String(cString: rd_kafka_error_string(e))
            }
            for j in 0..<rd_kafka_ConsumerGroupDescription_member_count(g) {
                guard let m = rd_kafka_ConsumerGroupDescription_member(g, j) else { continue }
                var assignment: [String] = []
                if let a = rd_kafka_MemberDescription_assignment(m), let list = rd_kafka_MemberAssignment_partitions(a) {
                    let partitions = list.pointee
                    for k in 0..<Int(partitions.cnt) {
                        let tp = partitions.elems[k]
                        assignment.append("\(String(cString: tp.topic)):\(tp.partition)")
                    }
                }
                description.members.append(.init(
                    memberID: String(cString: rd_kafka_MemberDescription_consumer_id(m)),
                    clientID: String(cString: rd_kafka_MemberDescription_client_id(m)),
                    host: String(cString: rd_kafka_MemberDescription_host(m)),
                    instanceID: rd_kafka_MemberDescription_group_instance_id(m).map { String(cString: $0) },
                    assignment: assignment.sorted()))
            }
            description.members.sort { $0.memberID < $1.memberID }
            out.append(description)
        }
        return out.sorted { $0.groupID < $1.groupID }
    }
}

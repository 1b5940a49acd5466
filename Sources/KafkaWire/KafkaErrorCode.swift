/// A Kafka protocol error code: the `int16` every response carries, with its name, whether a client
/// may retry, and a one-line meaning.
///
/// All knowledge about codes lives in one data table (``KafkaErrorCode/table``), so the name, the
/// retriable flag and the meaning of a code cannot drift apart. Codes the table does not know (a newer
/// broker) are still values: they are named `UNKNOWN_CODE_(n)` and are not retriable.
public struct KafkaErrorCode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The wire value.
    public let code: Int16

    /// Wraps a wire value, known or not.
    public init(_ code: Int16) { self.code = code }

    /// Wraps a wire value, known or not.
    public init(code: Int16) { self.code = code }

    /// The table row for this code, nil when the code is not in the table.
    public var entry: Entry? { Self.entry(for: code) }

    /// Whether the table knows this code.
    public var isKnown: Bool { entry != nil }

    /// Whether this is an error at all (every code but `NONE`).
    public var isError: Bool { code != 0 }

    /// Kafka's constant name, e.g. `GROUP_ID_NOT_FOUND`; `UNKNOWN_CODE_(n)` for a code not in the table.
    public var name: String { entry?.name ?? "UNKNOWN_CODE_(\(code))" }

    /// Whether the Java client treats the error as transient (its exception is retriable).
    /// Unknown codes are not retriable.
    public var isRetriable: Bool { entry?.isRetriable ?? false }

    /// A one-line explanation of the error.
    public var meaning: String {
        entry?.meaning ?? "An error code this version of kgtop does not know (probably from a newer broker)."
    }

    /// The name and the number, e.g. `GROUP_ID_NOT_FOUND (69)`.
    public var description: String { "\(name) (\(code))" }

    /// Decodes from a bare integer (the wire value).
    public init(from decoder: any Decoder) throws {
        self.code = try decoder.singleValueContainer().decode(Int16.self)
    }

    /// Encodes as a bare integer (the wire value), which stays stable when names change.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(code)
    }

    // MARK: - The table

    /// One row of the error table.
    public struct Entry: Sendable, Hashable {
        /// The wire value.
        public let code: Int16
        /// Kafka's constant name.
        public let name: String
        /// Whether the Java client treats the error as transient.
        public let isRetriable: Bool
        /// A one-line explanation, in kgtop's words.
        public let meaning: String

        init(_ code: Int16, _ name: String, _ isRetriable: Bool, _ meaning: String) {
            self.code = code
            self.name = name
            self.isRetriable = isRetriable
            self.meaning = meaning
        }
    }

    /// The row for `code`, nil when the table does not know it.
    public static func entry(for code: Int16) -> Entry? {
        // The table is dense from `firstCode`, so the row index is the code's distance from it.
        let index = Int(code) - Int(firstCode)
        guard index >= 0, index < table.count, table[index].code == code else { return nil }
        return table[index]
    }

    /// Every code the table knows, in numeric order.
    public static var allKnown: [KafkaErrorCode] { table.map { KafkaErrorCode($0.code) } }

    /// The lowest code in the table.
    static let firstCode: Int16 = -1

    /// The error table: one row per code, dense and in numeric order from -1.
    ///
    /// Names, numbers and retriable flags follow Kafka's `Errors.java` (4.x, plus codes on trunk);
    /// the meanings are written for kgtop's users.
    public static let table: [Entry] = [
        Entry(-1, "UNKNOWN_SERVER_ERROR", false, "The broker hit an unexpected internal error; its log has the details."),
        Entry(0, "NONE", false, "No error."),
        Entry(1, "OFFSET_OUT_OF_RANGE", false, "The requested offset lies outside the partition's current log."),
        Entry(2, "CORRUPT_MESSAGE", true, "A record failed its checksum or is otherwise malformed."),
        Entry(3, "UNKNOWN_TOPIC_OR_PARTITION", true, "This broker does not know the topic or partition (it may not exist yet)."),
        Entry(4, "INVALID_FETCH_SIZE", false, "The fetch asked for an unusable number of bytes."),
        Entry(5, "LEADER_NOT_AVAILABLE", true, "The partition has no leader right now, typically during an election."),
        Entry(6, "NOT_LEADER_OR_FOLLOWER", true, "This broker is not the leader (or not a replica) for the partition; refresh metadata."),
        Entry(7, "REQUEST_TIMED_OUT", true, "The broker gave up on the request before it completed."),
        Entry(8, "BROKER_NOT_AVAILABLE", false, "The broker in question is not reachable or not running."),
        Entry(9, "REPLICA_NOT_AVAILABLE", true, "A replica of the partition is not available on this broker."),
        Entry(10, "MESSAGE_TOO_LARGE", false, "A record or batch is bigger than the broker accepts."),
        Entry(11, "STALE_CONTROLLER_EPOCH", false, "The request came from a controller that has since been replaced."),
        Entry(12, "OFFSET_METADATA_TOO_LARGE", false, "The metadata string attached to an offset commit is too long."),
        Entry(13, "NETWORK_EXCEPTION", true, "The connection closed before the response arrived."),
        Entry(14, "COORDINATOR_LOAD_IN_PROGRESS", true, "The coordinator is still loading its state; try again shortly."),
        Entry(15, "COORDINATOR_NOT_AVAILABLE", true, "No coordinator is currently serving this group or transaction."),
        Entry(16, "NOT_COORDINATOR", true, "This broker is not the coordinator for the group; look it up again."),
        Entry(17, "INVALID_TOPIC_EXCEPTION", false, "The topic name is not legal or the topic cannot be used this way."),
        Entry(18, "RECORD_LIST_TOO_LARGE", false, "A batch is larger than the broker's log segment size."),
        Entry(19, "NOT_ENOUGH_REPLICAS", true, "Too few in-sync replicas to accept the write."),
        Entry(20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, "The write landed, but on fewer in-sync replicas than required."),
        Entry(21, "INVALID_REQUIRED_ACKS", false, "The produce request's acks setting is not allowed."),
        Entry(22, "ILLEGAL_GENERATION", false, "The member's group generation is out of date."),
        Entry(23, "INCONSISTENT_GROUP_PROTOCOL", false, "The member's protocol type or protocols do not match the group's."),
        Entry(24, "INVALID_GROUP_ID", false, "The group id is empty or otherwise not usable."),
        Entry(25, "UNKNOWN_MEMBER_ID", false, "The coordinator has no member with this id in the group."),
        Entry(26, "INVALID_SESSION_TIMEOUT", false, "The session timeout is outside the range the broker allows."),
        Entry(27, "REBALANCE_IN_PROGRESS", false, "The group is rebalancing; members must rejoin."),
        Entry(28, "INVALID_COMMIT_OFFSET_SIZE", false, "The offset commit carries data of an unusable size."),
        Entry(29, "TOPIC_AUTHORIZATION_FAILED", false, "The principal may not perform this operation on the topic."),
        Entry(30, "GROUP_AUTHORIZATION_FAILED", false, "The principal may not perform this operation on the group."),
        Entry(31, "CLUSTER_AUTHORIZATION_FAILED", false, "The principal may not perform this cluster-level operation."),
        Entry(32, "INVALID_TIMESTAMP", false, "A record's timestamp is outside the range the broker accepts."),
        Entry(33, "UNSUPPORTED_SASL_MECHANISM", false, "The broker does not offer the SASL mechanism the client asked for."),
        Entry(34, "ILLEGAL_SASL_STATE", false, "The request does not fit the current step of SASL authentication."),
        Entry(35, "UNSUPPORTED_VERSION", false, "The broker does not support this API version."),
        Entry(36, "TOPIC_ALREADY_EXISTS", false, "A topic with this name exists already."),
        Entry(37, "INVALID_PARTITIONS", false, "The requested partition count is not allowed."),
        Entry(38, "INVALID_REPLICATION_FACTOR", false, "The requested replication factor cannot be satisfied."),
        Entry(39, "INVALID_REPLICA_ASSIGNMENT", false, "The manual replica placement is not valid."),
        Entry(40, "INVALID_CONFIG", false, "A configuration value was rejected."),
        Entry(41, "NOT_CONTROLLER", true, "This node is not the active controller."),
        Entry(42, "INVALID_REQUEST", false, "The broker could not make sense of the request (malformed or wrong broker)."),
        Entry(43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false, "The topic's message format cannot support this request."),
        Entry(44, "POLICY_VIOLATION", false, "The request breaks a policy configured on the broker."),
        Entry(45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false, "The producer's sequence number skipped ahead of what the broker expects."),
        Entry(46, "DUPLICATE_SEQUENCE_NUMBER", false, "The producer resent a batch the broker already has."),
        Entry(47, "INVALID_PRODUCER_EPOCH", false, "The producer's epoch is older than the current one."),
        Entry(48, "INVALID_TXN_STATE", false, "The transactional operation does not fit the transaction's state."),
        Entry(49, "INVALID_PRODUCER_ID_MAPPING", false, "The producer id is not the one assigned to this transactional id."),
        Entry(50, "INVALID_TRANSACTION_TIMEOUT", false, "The transaction timeout exceeds the broker's maximum."),
        Entry(51, "CONCURRENT_TRANSACTIONS", true, "Another operation on the same transaction is still running."),
        Entry(52, "TRANSACTION_COORDINATOR_FENCED", false, "The transaction coordinator that sent this has been replaced."),
        Entry(53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, "The principal may not use this transactional id."),
        Entry(54, "SECURITY_DISABLED", false, "The request needs security features the cluster has turned off."),
        Entry(55, "OPERATION_NOT_ATTEMPTED", false, "The broker skipped this item because another part of the batch failed."),
        Entry(56, "KAFKA_STORAGE_ERROR", true, "The broker could not read or write the log on disk."),
        Entry(57, "LOG_DIR_NOT_FOUND", false, "The named log directory is not configured on the broker."),
        Entry(58, "SASL_AUTHENTICATION_FAILED", false, "SASL authentication was rejected (wrong credentials or mechanism setup)."),
        Entry(59, "UNKNOWN_PRODUCER_ID", false, "The broker no longer has state for this producer id."),
        Entry(60, "REASSIGNMENT_IN_PROGRESS", false, "A partition reassignment is already running."),
        Entry(61, "DELEGATION_TOKEN_AUTH_DISABLED", false, "Delegation tokens are not enabled on the cluster."),
        Entry(62, "DELEGATION_TOKEN_NOT_FOUND", false, "The broker has no such delegation token."),
        Entry(63, "DELEGATION_TOKEN_OWNER_MISMATCH", false, "The principal is neither the owner nor a renewer of the token."),
        Entry(64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false, "Delegation token requests are refused on this kind of connection."),
        Entry(65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false, "The principal may not manage this delegation token."),
        Entry(66, "DELEGATION_TOKEN_EXPIRED", false, "The delegation token has expired."),
        Entry(67, "INVALID_PRINCIPAL_TYPE", false, "The principal type is not one the broker supports."),
        Entry(68, "NON_EMPTY_GROUP", false, "The group still has members, so it cannot be deleted."),
        Entry(69, "GROUP_ID_NOT_FOUND", false, "No group with this id exists on the coordinator."),
        Entry(70, "FETCH_SESSION_ID_NOT_FOUND", true, "The incremental fetch session is unknown to the broker."),
        Entry(71, "INVALID_FETCH_SESSION_EPOCH", true, "The incremental fetch session's epoch does not match."),
        Entry(72, "LISTENER_NOT_FOUND", true, "The leader has no listener matching the one this request came in on."),
        Entry(73, "TOPIC_DELETION_DISABLED", false, "Deleting topics is turned off on this cluster."),
        Entry(74, "FENCED_LEADER_EPOCH", true, "The request's leader epoch is older than the broker's."),
        Entry(75, "UNKNOWN_LEADER_EPOCH", true, "The request's leader epoch is newer than the broker knows about."),
        Entry(76, "UNSUPPORTED_COMPRESSION_TYPE", false, "The client cannot handle the partition's compression codec."),
        Entry(77, "STALE_BROKER_EPOCH", false, "The broker's epoch in the request is out of date."),
        Entry(78, "OFFSET_NOT_AVAILABLE", true, "A newly elected leader cannot yet answer offset queries safely."),
        Entry(79, "MEMBER_ID_REQUIRED", false, "The member must rejoin with the member id the coordinator just assigned."),
        Entry(80, "PREFERRED_LEADER_NOT_AVAILABLE", true, "The preferred replica cannot take over leadership right now."),
        Entry(81, "GROUP_MAX_SIZE_REACHED", false, "The group already has the maximum number of members."),
        Entry(82, "FENCED_INSTANCE_ID", false, "Another member registered with the same static instance id."),
        Entry(83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true, "No replica eligible to lead the partition is available."),
        Entry(84, "ELECTION_NOT_NEEDED", true, "The partition already has the leader an election would pick."),
        Entry(85, "NO_REASSIGNMENT_IN_PROGRESS", false, "There is no partition reassignment to cancel or change."),
        Entry(86, "GROUP_SUBSCRIBED_TO_TOPIC", false, "Offsets cannot be deleted while the group still subscribes to the topic."),
        Entry(87, "INVALID_RECORD", false, "The broker rejected a record that failed validation."),
        Entry(88, "UNSTABLE_OFFSET_COMMIT", true, "Pending transactional offset commits must settle before offsets can be read."),
        Entry(89, "THROTTLING_QUOTA_EXCEEDED", true, "The principal exceeded its rate quota for this kind of operation."),
        Entry(90, "PRODUCER_FENCED", false, "A newer producer with the same transactional id took over."),
        Entry(91, "RESOURCE_NOT_FOUND", false, "The request names a resource that does not exist."),
        Entry(92, "DUPLICATE_RESOURCE", false, "The request names the same resource more than once."),
        Entry(93, "UNACCEPTABLE_CREDENTIAL", false, "The credential does not meet the broker's requirements."),
        Entry(94, "INCONSISTENT_VOTER_SET", false, "Sender or receiver is not in the expected set of quorum voters."),
        Entry(95, "INVALID_UPDATE_VERSION", false, "The feature update version is not valid."),
        Entry(96, "FEATURE_UPDATE_FAILED", false, "The finalized features could not be updated."),
        Entry(97, "PRINCIPAL_DESERIALIZATION_FAILURE", false, "A forwarded request's principal could not be decoded."),
        Entry(98, "SNAPSHOT_NOT_FOUND", false, "The requested metadata snapshot does not exist."),
        Entry(99, "POSITION_OUT_OF_RANGE", false, "The snapshot position is outside the snapshot."),
        Entry(100, "UNKNOWN_TOPIC_ID", true, "This broker does not know the topic id."),
        Entry(101, "DUPLICATE_BROKER_REGISTRATION", false, "Another broker already registered with this broker id."),
        Entry(102, "BROKER_ID_NOT_REGISTERED", false, "No broker registered with this id."),
        Entry(103, "INCONSISTENT_TOPIC_ID", true, "The topic id in the request differs from the one in the log."),
        Entry(104, "INCONSISTENT_CLUSTER_ID", false, "The request belongs to a different cluster."),
        Entry(105, "TRANSACTIONAL_ID_NOT_FOUND", false, "No transaction exists for this transactional id."),
        Entry(106, "FETCH_SESSION_TOPIC_ID_ERROR", true, "The fetch session mixed up topic ids and names."),
        Entry(107, "INELIGIBLE_REPLICA", false, "The proposed in-sync replica set has a replica that may not be in it."),
        Entry(108, "NEW_LEADER_ELECTED", false, "The partition change was applied, but a different leader is now in charge."),
        Entry(109, "OFFSET_MOVED_TO_TIERED_STORAGE", false, "The offset now lives only in tiered (remote) storage."),
        Entry(110, "FENCED_MEMBER_EPOCH", false, "The coordinator fenced the member's epoch; it must drop its partitions and rejoin."),
        Entry(111, "UNRELEASED_INSTANCE_ID", false, "The static instance id is still held by a member that has not left."),
        Entry(112, "UNSUPPORTED_ASSIGNOR", false, "The group does not support the requested assignor."),
        Entry(113, "STALE_MEMBER_EPOCH", false, "The member's epoch is behind; it must heartbeat to learn the current one."),
        Entry(114, "MISMATCHED_ENDPOINT_TYPE", false, "The request reached an endpoint of the wrong kind (broker vs controller)."),
        Entry(115, "UNSUPPORTED_ENDPOINT_TYPE", false, "The endpoint type is not supported yet."),
        Entry(116, "UNKNOWN_CONTROLLER_ID", false, "No controller with this id is known."),
        Entry(117, "UNKNOWN_SUBSCRIPTION_ID", false, "The client telemetry subscription id is unknown or out of date."),
        Entry(118, "TELEMETRY_TOO_LARGE", false, "The pushed client telemetry exceeds the broker's limit."),
        Entry(119, "INVALID_REGISTRATION", false, "The controller considers the broker's registration invalid."),
        Entry(120, "TRANSACTION_ABORTABLE", false, "The transaction hit an error; aborting it lets the producer continue."),
        Entry(121, "INVALID_RECORD_STATE", false, "A share-group acknowledgement does not fit the record's delivery state."),
        Entry(122, "SHARE_SESSION_NOT_FOUND", true, "The share-fetch session is unknown to the broker."),
        Entry(123, "INVALID_SHARE_SESSION_EPOCH", true, "The share-fetch session's epoch does not match."),
        Entry(124, "FENCED_STATE_EPOCH", false, "The share-group state epoch is out of date."),
        Entry(125, "INVALID_VOTER_KEY", false, "The quorum voter's key does not match this replica."),
        Entry(126, "DUPLICATE_VOTER", false, "The replica is already a quorum voter."),
        Entry(127, "VOTER_NOT_FOUND", false, "The replica is not a quorum voter."),
        Entry(128, "INVALID_REGULAR_EXPRESSION", false, "The subscription's regular expression cannot be compiled."),
        Entry(129, "REBOOTSTRAP_REQUIRED", false, "The client's cluster view is too old; it must start again from the bootstrap servers."),
        Entry(130, "STREAMS_INVALID_TOPOLOGY", false, "The streams group's topology is not valid."),
        Entry(131, "STREAMS_INVALID_TOPOLOGY_EPOCH", false, "The streams group's topology epoch is not valid."),
        Entry(132, "STREAMS_TOPOLOGY_FENCED", false, "The streams topology epoch is behind the group's."),
        Entry(133, "SHARE_SESSION_LIMIT_REACHED", true, "The broker already has as many share-fetch sessions as it allows."),
        Entry(134, "GROUP_DELETION_FAILED", false, "The group could not be deleted."),
        Entry(135, "STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED", false, "The streams group's topology description could not be updated."),
    ]

    // MARK: - Common codes

    /// `NONE` (0): success.
    public static let none = KafkaErrorCode(0)
    /// `UNKNOWN_SERVER_ERROR` (-1).
    public static let unknownServerError = KafkaErrorCode(-1)
    /// `CORRUPT_MESSAGE` (2).
    public static let corruptMessage = KafkaErrorCode(2)
    /// `UNKNOWN_TOPIC_OR_PARTITION` (3).
    public static let unknownTopicOrPartition = KafkaErrorCode(3)
    /// `LEADER_NOT_AVAILABLE` (5).
    public static let leaderNotAvailable = KafkaErrorCode(5)
    /// `NOT_LEADER_OR_FOLLOWER` (6).
    public static let notLeaderOrFollower = KafkaErrorCode(6)
    /// `REQUEST_TIMED_OUT` (7).
    public static let requestTimedOut = KafkaErrorCode(7)
    /// `NETWORK_EXCEPTION` (13).
    public static let networkException = KafkaErrorCode(13)
    /// `COORDINATOR_LOAD_IN_PROGRESS` (14).
    public static let coordinatorLoadInProgress = KafkaErrorCode(14)
    /// `COORDINATOR_NOT_AVAILABLE` (15).
    public static let coordinatorNotAvailable = KafkaErrorCode(15)
    /// `NOT_COORDINATOR` (16).
    public static let notCoordinator = KafkaErrorCode(16)
    /// `ILLEGAL_GENERATION` (22).
    public static let illegalGeneration = KafkaErrorCode(22)
    /// `INCONSISTENT_GROUP_PROTOCOL` (23).
    public static let inconsistentGroupProtocol = KafkaErrorCode(23)
    /// `INVALID_GROUP_ID` (24).
    public static let invalidGroupID = KafkaErrorCode(24)
    /// `UNKNOWN_MEMBER_ID` (25).
    public static let unknownMemberID = KafkaErrorCode(25)
    /// `INVALID_SESSION_TIMEOUT` (26).
    public static let invalidSessionTimeout = KafkaErrorCode(26)
    /// `REBALANCE_IN_PROGRESS` (27).
    public static let rebalanceInProgress = KafkaErrorCode(27)
    /// `TOPIC_AUTHORIZATION_FAILED` (29).
    public static let topicAuthorizationFailed = KafkaErrorCode(29)
    /// `GROUP_AUTHORIZATION_FAILED` (30).
    public static let groupAuthorizationFailed = KafkaErrorCode(30)
    /// `UNSUPPORTED_SASL_MECHANISM` (33).
    public static let unsupportedSaslMechanism = KafkaErrorCode(33)
    /// `ILLEGAL_SASL_STATE` (34).
    public static let illegalSaslState = KafkaErrorCode(34)
    /// `UNSUPPORTED_VERSION` (35).
    public static let unsupportedVersion = KafkaErrorCode(35)
    /// `TOPIC_ALREADY_EXISTS` (36).
    public static let topicAlreadyExists = KafkaErrorCode(36)
    /// `INVALID_PARTITIONS` (37).
    public static let invalidPartitions = KafkaErrorCode(37)
    /// `INVALID_REQUEST` (42).
    public static let invalidRequest = KafkaErrorCode(42)
    /// `SASL_AUTHENTICATION_FAILED` (58).
    public static let saslAuthenticationFailed = KafkaErrorCode(58)
    /// `NON_EMPTY_GROUP` (68).
    public static let nonEmptyGroup = KafkaErrorCode(68)
    /// `GROUP_ID_NOT_FOUND` (69).
    public static let groupIDNotFound = KafkaErrorCode(69)
    /// `FENCED_LEADER_EPOCH` (74).
    public static let fencedLeaderEpoch = KafkaErrorCode(74)
    /// `UNKNOWN_LEADER_EPOCH` (75).
    public static let unknownLeaderEpoch = KafkaErrorCode(75)
    /// `OFFSET_NOT_AVAILABLE` (78).
    public static let offsetNotAvailable = KafkaErrorCode(78)
    /// `MEMBER_ID_REQUIRED` (79).
    public static let memberIDRequired = KafkaErrorCode(79)
    /// `GROUP_MAX_SIZE_REACHED` (81).
    public static let groupMaxSizeReached = KafkaErrorCode(81)
    /// `FENCED_INSTANCE_ID` (82).
    public static let fencedInstanceID = KafkaErrorCode(82)
    /// `UNSTABLE_OFFSET_COMMIT` (88).
    public static let unstableOffsetCommit = KafkaErrorCode(88)
    /// `UNKNOWN_TOPIC_ID` (100).
    public static let unknownTopicID = KafkaErrorCode(100)
    /// `FENCED_MEMBER_EPOCH` (110).
    public static let fencedMemberEpoch = KafkaErrorCode(110)
    /// `UNRELEASED_INSTANCE_ID` (111).
    public static let unreleasedInstanceID = KafkaErrorCode(111)
    /// `UNSUPPORTED_ASSIGNOR` (112).
    public static let unsupportedAssignor = KafkaErrorCode(112)
    /// `STALE_MEMBER_EPOCH` (113).
    public static let staleMemberEpoch = KafkaErrorCode(113)
    /// `INVALID_REGULAR_EXPRESSION` (128).
    public static let invalidRegularExpression = KafkaErrorCode(128)
    /// `REBOOTSTRAP_REQUIRED` (129).
    public static let rebootstrapRequired = KafkaErrorCode(129)
}

import KafkaWire

/// How the admin client reacts to broker error codes. Names, numbers and retriable flags live in
/// KafkaWire's ``KafkaErrorCode`` table, the only error table in kgtop; this file only groups codes
/// by what the client does next.
extension KafkaErrorCode {
    /// The errors that mean "ask again for the group's coordinator".
    static let coordinatorErrors: Set<Int16> = [
        KafkaErrorCode.coordinatorLoadInProgress.code, KafkaErrorCode.coordinatorNotAvailable.code,
        KafkaErrorCode.notCoordinator.code,
    ]

    /// The errors that mean partition leadership in the cached metadata is out of date.
    static let staleMetadataErrors: Set<Int16> = [
        KafkaErrorCode.unknownTopicOrPartition.code, KafkaErrorCode.leaderNotAvailable.code,
        KafkaErrorCode.notLeaderOrFollower.code, KafkaErrorCode.fencedLeaderEpoch.code,
        KafkaErrorCode.unknownLeaderEpoch.code, KafkaErrorCode.unknownTopicID.code,
    ]
}

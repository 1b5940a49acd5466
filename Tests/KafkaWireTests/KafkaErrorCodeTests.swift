import Foundation
import KafkaWire
import Testing

@Suite("Kafka error codes")
struct KafkaErrorCodeTests {
    @Test("every code from -1 to 135 is in the table with a name and a meaning")
    func everyCodeKnown() {
        for code in Int16(-1)...135 {
            let e = KafkaErrorCode(code)
            #expect(e.isKnown, "code \(code)")
            #expect(!e.name.isEmpty && !e.name.hasPrefix("UNKNOWN_CODE"), "code \(code)")
            #expect(!e.meaning.isEmpty && !e.meaning.contains("\n"), "code \(code)")
        }
    }

    @Test("the table is dense, in order, and its names are unique upper-snake-case")
    func tableShape() {
        let codes = KafkaErrorCode.table.map(\.code)
        #expect(codes == Array(Int16(-1)...135))
        let names = KafkaErrorCode.table.map(\.name)
        #expect(Set(names).count == names.count)
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        for name in names { #expect(name.allSatisfy(allowed.contains), "\(name)") }
        #expect(KafkaErrorCode.allKnown.count == KafkaErrorCode.table.count)
    }

    @Test("retriable flags match Kafka's", arguments: [
        (Int16(3), true), (6, true), (7, true), (13, true), (14, true), (15, true), (16, true), (51, true),
        (74, true), (78, true), (88, true), (89, true), (100, true),
        (-1, false), (0, false), (22, false), (25, false), (27, false), (29, false), (30, false), (35, false),
        (42, false), (58, false), (68, false), (69, false), (79, false), (82, false), (110, false),
        (111, false), (112, false), (113, false), (128, false), (129, false),
    ])
    func retriable(_ code: Int16, _ expected: Bool) {
        #expect(KafkaErrorCode(code).isRetriable == expected, "\(KafkaErrorCode(code))")
    }

    @Test("named constants carry the right numbers and names", arguments: [
        (KafkaErrorCode.none, 0, "NONE"),
        (.unknownServerError, -1, "UNKNOWN_SERVER_ERROR"),
        (.unknownTopicOrPartition, 3, "UNKNOWN_TOPIC_OR_PARTITION"),
        (.notLeaderOrFollower, 6, "NOT_LEADER_OR_FOLLOWER"),
        (.requestTimedOut, 7, "REQUEST_TIMED_OUT"),
        (.coordinatorLoadInProgress, 14, "COORDINATOR_LOAD_IN_PROGRESS"),
        (.coordinatorNotAvailable, 15, "COORDINATOR_NOT_AVAILABLE"),
        (.notCoordinator, 16, "NOT_COORDINATOR"),
        (.illegalGeneration, 22, "ILLEGAL_GENERATION"),
        (.inconsistentGroupProtocol, 23, "INCONSISTENT_GROUP_PROTOCOL"),
        (.invalidGroupID, 24, "INVALID_GROUP_ID"),
        (.unknownMemberID, 25, "UNKNOWN_MEMBER_ID"),
        (.invalidSessionTimeout, 26, "INVALID_SESSION_TIMEOUT"),
        (.rebalanceInProgress, 27, "REBALANCE_IN_PROGRESS"),
        (.topicAuthorizationFailed, 29, "TOPIC_AUTHORIZATION_FAILED"),
        (.groupAuthorizationFailed, 30, "GROUP_AUTHORIZATION_FAILED"),
        (.unsupportedSaslMechanism, 33, "UNSUPPORTED_SASL_MECHANISM"),
        (.illegalSaslState, 34, "ILLEGAL_SASL_STATE"),
        (.unsupportedVersion, 35, "UNSUPPORTED_VERSION"),
        (.invalidRequest, 42, "INVALID_REQUEST"),
        (.saslAuthenticationFailed, 58, "SASL_AUTHENTICATION_FAILED"),
        (.nonEmptyGroup, 68, "NON_EMPTY_GROUP"),
        (.groupIDNotFound, 69, "GROUP_ID_NOT_FOUND"),
        (.offsetNotAvailable, 78, "OFFSET_NOT_AVAILABLE"),
        (.memberIDRequired, 79, "MEMBER_ID_REQUIRED"),
        (.groupMaxSizeReached, 81, "GROUP_MAX_SIZE_REACHED"),
        (.fencedInstanceID, 82, "FENCED_INSTANCE_ID"),
        (.unstableOffsetCommit, 88, "UNSTABLE_OFFSET_COMMIT"),
        (.unknownTopicID, 100, "UNKNOWN_TOPIC_ID"),
        (.fencedMemberEpoch, 110, "FENCED_MEMBER_EPOCH"),
        (.unreleasedInstanceID, 111, "UNRELEASED_INSTANCE_ID"),
        (.unsupportedAssignor, 112, "UNSUPPORTED_ASSIGNOR"),
        (.staleMemberEpoch, 113, "STALE_MEMBER_EPOCH"),
        (.invalidRegularExpression, 128, "INVALID_REGULAR_EXPRESSION"),
        (.rebootstrapRequired, 129, "REBOOTSTRAP_REQUIRED"),
    ] as [(KafkaErrorCode, Int16, String)])
    func constants(_ e: KafkaErrorCode, _ code: Int16, _ name: String) {
        #expect(e.code == code)
        #expect(e.name == name)
        #expect(e == KafkaErrorCode(code: code))
    }

    @Test("description shows name and number")
    func description() {
        #expect(KafkaErrorCode.groupIDNotFound.description == "GROUP_ID_NOT_FOUND (69)")
        #expect(KafkaErrorCode.unknownServerError.description == "UNKNOWN_SERVER_ERROR (-1)")
        #expect(!KafkaErrorCode.none.isError)
        #expect(KafkaErrorCode.notCoordinator.isError)
    }

    @Test("codes outside the table are handled gracefully", arguments: [Int16(-2), 136, 999, Int16.max, Int16.min])
    func unknownCodes(_ code: Int16) {
        let e = KafkaErrorCode(code)
        #expect(!e.isKnown)
        #expect(e.entry == nil)
        #expect(e.name == "UNKNOWN_CODE_(\(code))")
        #expect(!e.isRetriable)
        #expect(!e.meaning.isEmpty)
        #expect(e.description == "UNKNOWN_CODE_(\(code)) (\(code))")
    }

    @Test("codes encode as their number in JSON")
    func codable() throws {
        let json = try JSONEncoder().encode([KafkaErrorCode.groupIDNotFound, KafkaErrorCode(4242)])
        #expect(String(decoding: json, as: UTF8.self) == "[69,4242]")
        #expect(try JSONDecoder().decode([KafkaErrorCode].self, from: json) == [.groupIDNotFound, KafkaErrorCode(4242)])
    }
}

import Testing

@testable import GroupModel

/// A pre-4.3 broker leaves a partition being revoked out of its holder's assignment; the previous
/// poll names the holder.
@Suite("HandoffInference")
struct HandoffInferenceTests {
    static let tp = TopicPartition(topic: "orders", partition: 0)

    static func group(holderEpoch: Int32, members: [String] = ["a", "b"], handoff: HandoffState, owner: String?) -> Group {
        let all = [
            GroupMember(memberID: "a", clientID: "app", clientHost: "/10.0.0.1", memberType: .consumer, memberEpoch: holderEpoch,
                        assignment: [], targetAssignment: []),
            GroupMember(memberID: "b", clientID: "app", clientHost: "/10.0.0.2", memberType: .consumer, memberEpoch: 5,
                        assignment: [], targetAssignment: [tp]),
        ].filter { members.contains($0.memberID) }
        return Group(
            groupID: "g", type: .consumer, state: .reconciling, groupEpoch: 5, assignmentEpoch: 5, members: all,
            partitions: [GroupPartition(topicPartition: tp, lag: .known(3), owner: owner, targetOwner: "b", handoff: handoff)])
    }

    static func previous(owner: String) -> ClusterSnapshot {
        ClusterSnapshot(takenAt: 1_000, pollDurationMs: 1, cluster: ClusterInfo(), groups: [
            group(holderEpoch: 4, handoff: .pendingRevocation, owner: owner),
        ])
    }

    @Test("The previous holder, still behind the assignment epoch, is the one revoking it")
    func inferred() {
        var groups = [Self.group(holderEpoch: 4, handoff: .awaitingRelease, owner: nil)]
        #expect(groups[0].summary.awaitingRelease == 1)
        HandoffInference.refine(&groups, previous: Self.previous(owner: "a"))
        #expect(groups[0].partitions[0].handoff == .pendingRevocation)
        #expect(groups[0].partitions[0].owner == "a")
        // As a 4.3 broker would show it: revoked by a, awaited by b.
        #expect(groups[0].summary.awaitingRelease == 1 && groups[0].summary.pendingRevocation == 1)
        #expect(groups[0].members[0].assignment.isEmpty, "the broker's answer is not edited")
    }

    @Test("No inference without a previous poll, when the holder caught up, or when it left")
    func notInferred() {
        for (groups, previous) in [
            ([Self.group(holderEpoch: 4, handoff: .awaitingRelease, owner: nil)], nil),
            ([Self.group(holderEpoch: 5, handoff: .awaitingRelease, owner: nil)], Self.previous(owner: "a")),
            ([Self.group(holderEpoch: 4, members: ["b"], handoff: .awaitingRelease, owner: nil)], Self.previous(owner: "a")),
            ([Self.group(holderEpoch: 4, handoff: .awaitingRelease, owner: nil)], Self.previous(owner: "b")),
        ] as [([Group], ClusterSnapshot?)] {
            var refined = groups
            HandoffInference.refine(&refined, previous: previous)
            #expect(refined == groups)
        }
    }
}

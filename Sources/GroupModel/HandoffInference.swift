/// Finishes the hand-off picture across polls where one poll alone cannot.
///
/// Kafka 4.0-4.2 leave a partition that a member is still revoking out of that member's described
/// assignment (4.3 lists it, KAFKA-20431). In one poll such a partition is in its next owner's target
/// and in nobody's assignment, so ``GroupAssembler`` can only say ``HandoffState/awaitingRelease``
/// ("a member behind the assignment epoch may still hold it"). The previous poll knows who held it:
/// when that member is still in the group and still behind the assignment epoch, it is the one
/// revoking the partition, exactly what a 4.3 broker would show. The row then reads
/// ``HandoffState/pendingRevocation`` with that member as its owner, so the same hand-off gives the
/// same states, episodes and verdicts whichever release answers.
///
/// Raw facts stay as the broker sent them: members' assignments are not edited, only the row's
/// owner and state, and only for partitions the broker left unexplained. Without a previous poll
/// (`kgtop snapshot`, the first poll) the row stays `awaitingRelease`.
public enum HandoffInference {
    /// Refines the `awaitingRelease` rows of `groups` with `previous`, the last good snapshot.
    /// Cost: nothing for groups without such rows; a binary search per group that has them.
    public static func refine(_ groups: inout [Group], previous: ClusterSnapshot?) {
        guard let previous, !previous.groups.isEmpty else { return }
        for g in groups.indices where groups[g].summary.awaitingRelease > 0 {
            guard let before = find(groups[g].groupID, in: previous.groups) else { continue }
            let assignmentEpoch = groups[g].assignmentEpoch
            var changed = false
            for p in groups[g].partitions.indices where groups[g].partitions[p].handoff == .awaitingRelease {
                let row = groups[g].partitions[p]
                guard let holder = before.partition(row.topicPartition)?.owner, holder != row.targetOwner,
                      let member = groups[g].member(holder), !member.isReconciled(assignmentEpoch: assignmentEpoch)
                else { continue }
                groups[g].partitions[p].owner = holder
                groups[g].partitions[p].handoff = .pendingRevocation
                changed = true
            }
            if changed { groups[g].recomputeDerived() }
        }
    }

    /// The group with `id` in `groups`, which are sorted by group id (snapshots keep them so).
    static func find(_ id: String, in groups: [Group]) -> Group? {
        var low = 0, high = groups.count
        while low < high {
            let mid = (low + high) / 2
            if groups[mid].groupID < id { low = mid + 1 } else { high = mid }
        }
        return low < groups.count && groups[low].groupID == id ? groups[low] : nil
    }
}

/// Builds ``Group`` values (with partition rows, hand-off states and derived figures) from the
/// neutral inputs of one poll. Pure: the same inputs always give the same groups.
///
/// Which partitions a group gets a row for: every partition in a member's assignment or target,
/// every partition of a topic a member subscribes to by name or is assigned/targeted on (as known
/// from the log offsets), and every partition the group has a committed offset (or an offset-fetch
/// error) for.
///
/// Hand-off state of a partition (derived from epochs and targets, not from the assignment alone,
/// because brokers before Kafka 4.3 drop partitions being revoked from the revoking member's
/// assignment):
/// - owned by A, and A has a target that does not include it → ``HandoffState/pendingRevocation``;
/// - owned by A otherwise → ``HandoffState/settled``;
/// - owned by nobody, in B's target, while some member is behind the assignment epoch (and may still
///   be revoking it) → ``HandoffState/awaitingRelease``;
/// - owned by nobody, and targeted, subscribed or assigned-topic while the group has members →
///   ``HandoffState/unowned``;
/// - otherwise → ``HandoffState/notAssigned``.
public enum GroupAssembler {
    /// Assembles every group that appears in any input, sorted by group id.
    /// - Parameters:
    ///   - listed: groups from ListGroups (type, protocol type, state, coordinator).
    ///   - consumerGroups: ConsumerGroupDescribe results.
    ///   - classicGroups: DescribeGroups results, member bytes decoded.
    ///   - committed: OffsetFetch results per group.
    ///   - logOffsets: ListOffsets results, one per partition of every topic.
    public static func assemble(
        listed: [ListedGroupInput],
        consumerGroups: [DescribedConsumerGroupInput] = [],
        classicGroups: [DescribedClassicGroupInput] = [],
        committed: [CommittedOffsetsInput] = [],
        logOffsets: [LogOffsetsInput] = []
    ) -> [Group] {
        let listedByID = Dictionary(listed.map { ($0.groupID, $0) }, uniquingKeysWith: { first, _ in first })
        let consumerByID = Dictionary(consumerGroups.map { ($0.groupID, $0) }, uniquingKeysWith: { first, _ in first })
        let classicByID = Dictionary(classicGroups.map { ($0.groupID, $0) }, uniquingKeysWith: { first, _ in first })
        let committedByID = Dictionary(committed.map { ($0.groupID, $0) }, uniquingKeysWith: { first, _ in first })
        let logs = LogIndex(logOffsets)

        var ids = Set(listedByID.keys)
        ids.formUnion(consumerByID.keys)
        ids.formUnion(classicByID.keys)
        ids.formUnion(committedByID.keys)

        return ids.sorted().map { groupID in
            assembleOne(
                groupID: groupID, listed: listedByID[groupID], consumer: consumerByID[groupID],
                classic: classicByID[groupID], committed: committedByID[groupID], logs: logs)
        }
    }

    /// Builds the snapshot's topic list from log offsets (names, partition counts, offsets).
    /// - Parameter topicIDs: topic ids by topic name, when Metadata reported them.
    public static func topics(from logOffsets: [LogOffsetsInput], topicIDs: [String: String] = [:]) -> [TopicInfo] {
        let byTopic = Dictionary(grouping: logOffsets, by: \.topicPartition.topic)
        return byTopic.keys.sorted().map { name in
            let rows = (byTopic[name] ?? []).map {
                PartitionOffsets(partition: $0.topicPartition.partition, logStart: $0.logStart, logEnd: $0.logEnd, leader: $0.leader, error: $0.error)
            }
            return TopicInfo(name: name, topicID: topicIDs[name], partitionCount: Set(rows.map(\.partition)).count, partitions: rows)
        }
    }

    // MARK: - One group

    private static func assembleOne(
        groupID: String, listed: ListedGroupInput?, consumer: DescribedConsumerGroupInput?,
        classic: DescribedClassicGroupInput?, committed: CommittedOffsetsInput?, logs: LogIndex
    ) -> Group {
        var type = listed?.groupType ?? .unknown("")
        if case .unknown = type {
            if consumer != nil { type = .consumer } else if classic != nil { type = .classic }
        }
        var members: [GroupMember] = []
        var state = listed?.state ?? .unknown("")
        var error: GroupError?
        var assignor: String?
        var groupEpoch: Int32?
        var assignmentEpoch: Int32?
        var generationID: Int32?
        var protocolType = listed?.protocolType

        if let consumer {
            error = consumer.error
            if consumer.error == nil || listed?.state == nil { state = consumer.state }
            if consumer.error == nil {
                groupEpoch = consumer.groupEpoch
                assignmentEpoch = consumer.assignmentEpoch
            }
            assignor = consumer.assignor.flatMap { $0.isEmpty ? nil : $0 }
            members = consumer.members.map { member in
                GroupMember(
                    memberID: member.memberID, instanceID: member.instanceID, clientID: member.clientID,
                    clientHost: member.clientHost, rackID: member.rackID, memberType: member.memberType,
                    memberEpoch: member.memberEpoch, subscribedTopics: member.subscribedTopicNames,
                    subscribedTopicRegex: member.subscribedTopicRegex, assignment: member.assignment,
                    targetAssignment: member.targetAssignment)
            }
        } else if let classic {
            error = classic.error
            if classic.error == nil || listed?.state == nil { state = classic.state }
            assignor = classic.protocolName.flatMap { $0.isEmpty ? nil : $0 }
            protocolType = classic.protocolType ?? protocolType
            members = classic.members.map { member in
                GroupMember(
                    memberID: member.memberID, instanceID: member.instanceID, clientID: member.clientID,
                    clientHost: member.clientHost, rackID: member.subscription?.rackID.flatMap { $0.isEmpty ? nil : $0 },
                    memberType: .classic, subscribedTopics: member.subscription?.topics ?? [],
                    assignment: member.assignment ?? [], ownedPartitions: member.subscription?.ownedPartitions,
                    generationID: member.subscription?.generationID, assignmentUnknown: member.assignment == nil)
            }
            generationID = classic.generationID ?? members.compactMap(\.generationID).max()
        }
        if error == nil, let committedError = committed?.error { error = committedError }

        let partitions = partitionRows(members: members, assignmentEpoch: assignmentEpoch, committed: committed, logs: logs)
        return Group(
            groupID: groupID, type: type, protocolType: protocolType, state: state, assignor: assignor,
            groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch, generationID: generationID,
            coordinatorID: listed?.coordinatorID, members: members, partitions: partitions, error: error)
    }

    // MARK: - Partition rows

    private static func partitionRows(
        members: [GroupMember], assignmentEpoch: Int32?, committed: CommittedOffsetsInput?, logs: LogIndex
    ) -> [GroupPartition] {
        var ownerOf: [TopicPartition: String] = [:]
        var targetOwnerOf: [TopicPartition: String] = [:]
        var hasTarget: Set<String> = []
        var consumedTopics: Set<String> = []
        // Members in id order, so a partition claimed twice goes to the same member every time.
        for member in members.sorted(by: { $0.memberID < $1.memberID }) {
            for tp in member.assignment where ownerOf[tp] == nil { ownerOf[tp] = member.memberID }
            if let target = member.targetAssignment {
                hasTarget.insert(member.memberID)
                for tp in target where targetOwnerOf[tp] == nil { targetOwnerOf[tp] = member.memberID }
                consumedTopics.formUnion(target.map(\.topic))
            }
            consumedTopics.formUnion(member.subscribedTopics)
            consumedTopics.formUnion(member.assignment.map(\.topic))
        }
        let anyBehind = members.contains { !$0.isReconciled(assignmentEpoch: assignmentEpoch) }

        var commits: [TopicPartition: CommittedOffsetsInput.Offset] = [:]
        for offset in committed?.offsets ?? [] { commits[offset.topicPartition] = offset }

        var all = Set(ownerOf.keys)
        all.formUnion(targetOwnerOf.keys)
        all.formUnion(commits.keys)
        for topic in consumedTopics { all.formUnion(logs.partitions(of: topic)) }

        return all.sorted().map { tp in
            let commit = commits[tp]
            let log = logs.byPartition[tp]
            let commitError = committed?.error ?? commit?.error
            let lag = LagCalculator.lag(
                committed: commit?.offset, logStart: log?.logStart, logEnd: log?.logEnd,
                commitError: commitError, offsetsError: log?.error)
            let owner = ownerOf[tp]
            let targetOwner = targetOwnerOf[tp]
            let handoff: HandoffState
            if let owner {
                handoff = hasTarget.contains(owner) && targetOwner != owner ? .pendingRevocation : .settled
            } else if targetOwner != nil {
                handoff = anyBehind ? .awaitingRelease : .unowned
            } else if !members.isEmpty && consumedTopics.contains(tp.topic) {
                handoff = .unowned
            } else {
                handoff = .notAssigned
            }
            return GroupPartition(
                topicPartition: tp, committedOffset: commit?.offset, commitMetadata: commit?.metadata,
                logStart: log?.logStart, logEnd: log?.logEnd, lag: lag, owner: owner,
                targetOwner: targetOwner, handoff: handoff, error: commit?.error ?? log?.error)
        }
    }
}

/// Log offsets indexed by partition and by topic.
private struct LogIndex {
    var byPartition: [TopicPartition: LogOffsetsInput] = [:]
    var byTopic: [String: [TopicPartition]] = [:]

    init(_ inputs: [LogOffsetsInput]) {
        for input in inputs {
            byPartition[input.topicPartition] = input
            byTopic[input.topicPartition.topic, default: []].append(input.topicPartition)
        }
    }

    func partitions(of topic: String) -> [TopicPartition] { byTopic[topic] ?? [] }
}

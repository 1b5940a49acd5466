import GroupModel
import KafkaAdmin
import KafkaProtocol
import KafkaWire

extension PollConversion {
    /// A ShareGroupDescribe answer for one group; topic ids the broker left unnamed are resolved
    /// through Metadata.
    public static func shareGroup(_ g: ShareGroupDescribeResponse.DescribedGroup, topicNames: [KafkaUUID: String]) -> DescribedShareGroupInput {
        let members = g.members.map { m in
            var assignment: [TopicPartition] = []
            for tp in m.assignment.topicPartitions {
                let name = !tp.topicName.isEmpty ? tp.topicName : (topicNames[tp.topicID] ?? tp.topicID.description)
                for p in tp.partitions { assignment.append(TopicPartition(topic: name, partition: p)) }
            }
            return DescribedShareGroupInput.Member(
                memberID: m.memberID, rackID: m.rackID, memberEpoch: m.memberEpoch, clientID: m.clientID,
                clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames, assignment: assignment.sortedIfNeeded())
        }
        return DescribedShareGroupInput(
            groupID: g.groupID, error: itemError(code: g.errorCode, message: g.errorMessage),
            state: GroupState(brokerString: g.groupState), groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch,
            assignor: g.assignorName, members: members)
    }

    /// A StreamsGroupDescribe answer for one group: the topology's subtopologies (source and
    /// repartition-source topics) and each member's tasks by role.
    public static func streamsGroup(_ g: StreamsGroupDescribeResponse.DescribedGroup) -> DescribedStreamsGroupInput {
        func tasks(_ a: StreamsGroupDescribeResponse.Assignment) -> StreamsTasks {
            func sets(_ list: [StreamsGroupDescribeResponse.TaskIds]) -> [StreamsTaskSet] {
                list.map { StreamsTaskSet(subtopologyID: $0.subtopologyID, partitions: $0.partitions) }
            }
            return StreamsTasks(active: sets(a.activeTasks), standby: sets(a.standbyTasks), warmup: sets(a.warmupTasks))
        }
        let subtopologies = (g.topology?.subtopologies ?? []).map { s in
            StreamsSubtopology(subtopologyID: s.subtopologyID, sourceTopics: s.sourceTopics + s.repartitionSourceTopics.map(\.name))
        }
        let members = g.members.map { m in
            DescribedStreamsGroupInput.Member(
                memberID: m.memberID, instanceID: m.instanceID, rackID: m.rackID, memberEpoch: m.memberEpoch,
                clientID: m.clientID, clientHost: m.clientHost, assignment: tasks(m.assignment),
                targetAssignment: tasks(m.targetAssignment))
        }
        return DescribedStreamsGroupInput(
            groupID: g.groupID, error: itemError(code: g.errorCode, message: g.errorMessage),
            state: GroupState(brokerString: g.groupState), groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch,
            assignor: g.assignorName, subtopologies: subtopologies, members: members)
    }
}

import SeededRandom
import Testing
@testable import GroupModel

/// The assembler before it was rewritten for speed (dictionaries and sets keyed by
/// `TopicPartition`), kept as the oracle the current one must agree with.
enum ReferenceAssembler {
    static func assemble(
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
        let logs = ReferenceLogIndex(logOffsets)

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

    static func topics(from logOffsets: [LogOffsetsInput], topicIDs: [String: String] = [:]) -> [TopicInfo] {
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
        classic: DescribedClassicGroupInput?, committed: CommittedOffsetsInput?, logs: ReferenceLogIndex
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
        members: [GroupMember], assignmentEpoch: Int32?, committed: CommittedOffsetsInput?, logs: ReferenceLogIndex
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

private struct ReferenceLogIndex {
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



/// Random but plausible (and some implausible) inputs of one poll.
struct RandomPoll {
    var listed: [ListedGroupInput] = []
    var consumer: [DescribedConsumerGroupInput] = []
    var classic: [DescribedClassicGroupInput] = []
    var committed: [CommittedOffsetsInput] = []
    var logs: [LogOffsetsInput] = []

    init(seed: UInt64, groups: Int) {
        var g = SplitMix64(seed: seed)
        let topicNames = (0..<8).map { "t\($0)" } + ["orders", "a.b-c_d"]
        var counts: [String: Int32] = [:]
        for name in topicNames where Int.random(in: 0..<10, using: &g) < 8 { counts[name] = Int32.random(in: 1...12, using: &g) }
        let errorOdds = Int.random(in: 0...1, using: &g) == 0 ? 0 : 15
        func error(_ odds: Int) -> ItemError? {
            Int.random(in: 0..<100, using: &g) < odds ? ItemError(code: 16, name: "NOT_COORDINATOR", message: "m") : nil
        }
        // Log offsets: sorted (as the poller sends them) or shuffled with duplicates.
        for name in counts.keys.sorted() {
            for p in 0..<counts[name]! {
                let start = Int64.random(in: 0...5, using: &g)
                logs.append(LogOffsetsInput(
                    topicPartition: TopicPartition(topic: name, partition: p),
                    logStart: Bool.random(using: &g) ? start : nil,
                    logEnd: Int.random(in: 0..<10, using: &g) < 9 ? start + Int64.random(in: 0...100, using: &g) : nil,
                    leader: Int32.random(in: 0...2, using: &g), error: error(errorOdds / 3)))
            }
        }
        if seed % 3 == 1 {
            logs.shuffle(using: &g)
            if let d = logs.first { logs.append(LogOffsetsInput(topicPartition: d.topicPartition, logEnd: 7)) }
        }
        func partitions(_ n: Int) -> [TopicPartition] {
            var out: [TopicPartition] = []
            for _ in 0..<n {
                let name = topicNames.randomElement(using: &g)!
                // Mostly existing partitions; sometimes past the end, negative, or far away.
                let roll = Int.random(in: 0..<40, using: &g)
                let p: Int32 = roll == 0 ? -1 : roll == 1 ? 5000 : roll == 2 ? 13 : Int32.random(in: 0..<(counts[name] ?? 4), using: &g)
                out.append(TopicPartition(topic: name, partition: p))
            }
            // Brokers send sorted lists; sometimes not, sometimes with duplicates.
            return Int.random(in: 0..<5, using: &g) == 0 ? out : out.sorted()
        }
        let states: [GroupState] = [.stable, .reconciling, .assigning, .empty, .unknown("Odd")]
        for i in 0..<groups {
            let id = "g\(Int.random(in: 0..<(groups * 2), using: &g))-\(i % 7)"
            let kind = Int.random(in: 0..<10, using: &g)
            if kind < 8 {
                listed.append(ListedGroupInput(
                    groupID: id, groupType: kind < 4 ? .consumer : kind < 7 ? .classic : .unknown(""),
                    protocolType: kind < 4 ? "" : "consumer", state: Bool.random(using: &g) ? states.randomElement(using: &g)! : nil,
                    coordinatorID: Int32.random(in: 0...2, using: &g)))
            }
            let memberCount = Int.random(in: 0...4, using: &g)
            let memberIDs = (0..<memberCount).map { _ in "m\(Int.random(in: 0...5, using: &g))" }
            if kind < 4 || (kind == 7 && Bool.random(using: &g)) {
                let assignmentEpoch = Int32.random(in: 1...5, using: &g)
                consumer.append(DescribedConsumerGroupInput(
                    groupID: id, error: error(errorOdds / 2), state: states.randomElement(using: &g)!,
                    groupEpoch: assignmentEpoch + Int32.random(in: 0...1, using: &g), assignmentEpoch: assignmentEpoch,
                    assignor: Bool.random(using: &g) ? "uniform" : "",
                    members: memberIDs.map { m in
                        DescribedConsumerGroupInput.Member(
                            memberID: m, memberEpoch: assignmentEpoch - Int32.random(in: 0...1, using: &g), clientID: "c-\(m)",
                            clientHost: "/h", subscribedTopicNames: (0..<Int.random(in: 0...2, using: &g)).map { _ in topicNames.randomElement(using: &g)! },
                            assignment: partitions(Int.random(in: 0...6, using: &g)),
                            targetAssignment: partitions(Int.random(in: 0...6, using: &g)),
                            memberType: Int.random(in: 0..<6, using: &g) == 0 ? .classic : .consumer)
                    }))
            } else if kind < 7 || Bool.random(using: &g) {
                classic.append(DescribedClassicGroupInput(
                    groupID: id, error: error(errorOdds / 2), state: states.randomElement(using: &g)!,
                    protocolType: Bool.random(using: &g) ? "consumer" : nil, protocolName: Bool.random(using: &g) ? "range" : "",
                    generationID: Bool.random(using: &g) ? Int32.random(in: 1...9, using: &g) : nil,
                    members: memberIDs.map { m in
                        DescribedClassicGroupInput.Member(
                            memberID: m, clientID: "c-\(m)", clientHost: "/h",
                            subscription: Bool.random(using: &g) ? nil : .init(
                                topics: (0..<Int.random(in: 0...3, using: &g)).map { _ in topicNames.randomElement(using: &g)! },
                                ownedPartitions: Bool.random(using: &g) ? partitions(3) : nil,
                                generationID: Bool.random(using: &g) ? Int32.random(in: 1...9, using: &g) : nil,
                                rackID: Bool.random(using: &g) ? "" : "r1"),
                            assignment: Int.random(in: 0..<5, using: &g) == 0 ? nil : partitions(Int.random(in: 0...6, using: &g)))
                    }))
            }
            if Int.random(in: 0..<10, using: &g) < 8 {
                var offsets = partitions(Int.random(in: 0...8, using: &g)).map {
                    CommittedOffsetsInput.Offset(
                        topicPartition: $0, offset: Bool.random(using: &g) ? Int64.random(in: 0...120, using: &g) : nil,
                        metadata: Bool.random(using: &g) ? "meta" : nil, error: error(errorOdds / 3))
                }
                if Int.random(in: 0..<6, using: &g) == 0, let first = offsets.first { offsets.append(first) }
                committed.append(CommittedOffsetsInput(groupID: id, error: error(errorOdds / 4), offsets: offsets))
            }
        }
    }
}

@Suite("GroupAssembler agrees with the reference assembler")
struct GroupAssemblerEquivalenceTests {
    @Test("Random polls give the same groups and topics as the reference", arguments: Array(UInt64(1)...60))
    func randomPolls(seed: UInt64) {
        let poll = RandomPoll(seed: seed, groups: Int(seed % 17) + 1)
        let fast = GroupAssembler.assemble(
            listed: poll.listed, consumerGroups: poll.consumer, classicGroups: poll.classic,
            committed: poll.committed, logOffsets: poll.logs)
        let reference = ReferenceAssembler.assemble(
            listed: poll.listed, consumerGroups: poll.consumer, classicGroups: poll.classic,
            committed: poll.committed, logOffsets: poll.logs)
        #expect(fast.count == reference.count)
        for (a, b) in zip(fast, reference) {
            #expect(a == b, "group \(b.groupID) differs")
        }
        #expect(fast.map { $0.normalized() } == fast, "groups are in canonical order")
        for group in fast {
            // The figures counted while the rows were built are the ones the group's rows give.
            var recomputed = group
            recomputed.recomputeDerived()
            #expect(recomputed == group, "group \(group.groupID): derived fields")
        }
        let topicIDs = ["t1": "id-1", "orders": "id-o"]
        let referenceTopics = ReferenceAssembler.topics(from: poll.logs, topicIDs: topicIDs)
        #expect(GroupAssembler.topics(from: poll.logs, topicIDs: topicIDs) == referenceTopics)
        // The same ids by position: one per distinct topic, in name order.
        let inOrder = Set(poll.logs.map(\.topicPartition.topic)).sorted().map { topicIDs[$0] }
        #expect(GroupAssembler.topics(from: poll.logs, topicIDsInOrder: inOrder) == referenceTopics)
    }

    @Test("Inputs sorted by group id (the poller's order) take the merge and agree with the reference", arguments: Array(UInt64(1)...40))
    func sortedPolls(seed: UInt64) {
        let poll = RandomPoll(seed: seed, groups: Int(seed % 23) + 2)
        // Sorted by id, the first of each id kept (what the reference's first-by-id reads).
        func canonical<T>(_ items: [T], _ id: (T) -> String) -> [T] {
            var seen: Set<String> = []
            return items.filter { seen.insert(id($0)).inserted }.sorted { id($0) < id($1) }
        }
        let listed = canonical(poll.listed, \.groupID)
        let consumer = canonical(poll.consumer, \.groupID)
        let classic = canonical(poll.classic, \.groupID)
        let committed = canonical(poll.committed, \.groupID)
        let fast = GroupAssembler.assemble(
            listed: listed, consumerGroups: consumer, classicGroups: classic, committed: committed, logOffsets: poll.logs)
        let reference = ReferenceAssembler.assemble(
            listed: listed, consumerGroups: consumer, classicGroups: classic, committed: committed, logOffsets: poll.logs)
        #expect(fast == reference)
        let unsorted = GroupAssembler.assemble(
            listed: poll.listed, consumerGroups: poll.consumer, classicGroups: poll.classic,
            committed: poll.committed, logOffsets: poll.logs)
        #expect(fast == unsorted)
    }

    @Test("The canonical member initializer keeps sorted lists and equals the public one")
    func canonicalMemberInit() {
        let a = [TopicPartition(topic: "a", partition: 0), TopicPartition(topic: "b", partition: 2)]
        let fast = GroupMember(
            canonicalMemberID: "m1", instanceID: "i", clientID: "c", clientHost: "/h", rackID: nil,
            memberType: .consumer, memberEpoch: 3, subscribedTopics: ["a", "b"], subscribedTopicRegex: nil,
            assignment: a, targetAssignment: a, ownedPartitions: nil, generationID: nil, assignmentUnknown: false)
        let reference = GroupMember(
            memberID: "m1", instanceID: "i", clientID: "c", clientHost: "/h", memberType: .consumer, memberEpoch: 3,
            subscribedTopics: ["b", "a"], assignment: a.reversed(), targetAssignment: a, assignmentUnknown: false)
        #expect(fast == reference)
        #expect(fast.normalized() == fast)
    }

    @Test("A snapshot built from the assembler's output is already normalized")
    func snapshotIsCanonical() {
        let poll = RandomPoll(seed: 99, groups: 40)
        let groups = GroupAssembler.assemble(
            listed: poll.listed, consumerGroups: poll.consumer, classicGroups: poll.classic,
            committed: poll.committed, logOffsets: poll.logs)
        var snapshot = ClusterSnapshot(takenAt: 1, pollDurationMs: 2, cluster: ClusterInfo())
        snapshot.topics = GroupAssembler.topics(from: poll.logs)
        snapshot.groups = groups
        #expect(snapshot == snapshot.normalized())
    }
}

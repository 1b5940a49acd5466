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
///
/// Cost: linear in members, partitions and committed offsets. Topic names are looked up once per
/// run of partitions of the same topic (member lists are sorted by topic), and a group's partitions
/// are kept in per-topic arrays indexed by partition, so no row hashes its topic name.
public enum GroupAssembler {
    /// Assembles every group that appears in any input, sorted by group id.
    /// - Parameters:
    ///   - listed: groups from ListGroups (type, protocol type, state, coordinator).
    ///   - consumerGroups: ConsumerGroupDescribe results.
    ///   - classicGroups: DescribeGroups results, member bytes decoded.
    ///   - shareGroups: ShareGroupDescribe results. Their partition rows carry
    ///     ``LagValue/notApplicable`` (a share group commits no offsets); a partition several
    ///     members share is owned by the first of them by member id.
    ///   - streamsGroups: StreamsGroupDescribe results. A member's active tasks become the source
    ///     partitions they read (its assignment and target), so rows get owners and hand-off states
    ///     as in a consumer group; lag is the usual committed-vs-end lag.
    ///   - committed: OffsetFetch results per group.
    ///   - logOffsets: ListOffsets results, one per partition of every topic.
    public static func assemble(
        listed: [ListedGroupInput],
        consumerGroups: [DescribedConsumerGroupInput] = [],
        classicGroups: [DescribedClassicGroupInput] = [],
        shareGroups: [DescribedShareGroupInput] = [],
        streamsGroups: [DescribedStreamsGroupInput] = [],
        committed: [CommittedOffsetsInput] = [],
        logOffsets: [LogOffsetsInput] = []
    ) -> [Group] {
        var memory = AssemblyMemory(remembering: false)
        return assemble(
            listed: listed, consumerGroups: consumerGroups, classicGroups: classicGroups, shareGroups: shareGroups,
            streamsGroups: streamsGroups, committed: committed, logOffsets: logOffsets, memory: &memory)
    }

    /// ``assemble(listed:consumerGroups:classicGroups:shareGroups:streamsGroups:committed:logOffsets:)``
    /// remembering the members it built in `memory` (kept by the caller from poll to poll): a
    /// consumer or classic group whose described members are the very same storage as at the last
    /// call gets the members built then, not built again, and while its committed offsets and the
    /// log offsets name the same partitions in the same order as then, its rows are laid out as
    /// then (``RowPlan``): only their values are read. The same groups as without it.
    ///
    /// The memory holds the groups of this call only (those described), so it stays as large as
    /// one poll's members; inputs that are not each sorted by group id without repeats, or that
    /// hold share or streams groups, are assembled without it (and it is emptied).
    public static func assemble(
        listed: [ListedGroupInput],
        consumerGroups: [DescribedConsumerGroupInput] = [],
        classicGroups: [DescribedClassicGroupInput] = [],
        shareGroups: [DescribedShareGroupInput] = [],
        streamsGroups: [DescribedStreamsGroupInput] = [],
        committed: [CommittedOffsetsInput] = [],
        logOffsets: [LogOffsetsInput] = [],
        memory: inout AssemblyMemory
    ) -> [Group] {
        if shareGroups.isEmpty, streamsGroups.isEmpty, isStrictlyAscending(listed, { $0.groupID }), isStrictlyAscending(consumerGroups, { $0.groupID }),
           isStrictlyAscending(classicGroups, { $0.groupID }), isStrictlyAscending(committed, { $0.groupID })
        {
            return assembleSorted(
                listed: listed, consumerGroups: consumerGroups, classicGroups: classicGroups,
                committed: committed, logOffsets: logOffsets, memory: &memory)
        }
        memory = AssemblyMemory(remembering: memory.remembering)
        let listedByID = firstByID(listed, \.groupID)
        let consumerByID = firstByID(consumerGroups, \.groupID)
        let classicByID = firstByID(classicGroups, \.groupID)
        let committedByID = firstByID(committed, \.groupID)
        let shareByID = firstByID(shareGroups, \.groupID)
        let streamsByID = firstByID(streamsGroups, \.groupID)
        let logs = LogTable(logOffsets)

        var ids = Set(listedByID.keys)
        ids.formUnion(consumerByID.keys)
        ids.formUnion(classicByID.keys)
        ids.formUnion(shareByID.keys)
        ids.formUnion(streamsByID.keys)
        ids.formUnion(committedByID.keys)

        var scratch = RowScratch()
        var groups: [Group] = []
        groups.reserveCapacity(ids.count)
        for groupID in ids.sorted() {
            groups.append(assembleOne(
                groupID: groupID, listed: listedByID[groupID].map { listed[$0] },
                consumer: consumerByID[groupID].map { consumerGroups[$0] },
                classic: classicByID[groupID].map { classicGroups[$0] },
                share: shareByID[groupID].map { shareGroups[$0] }, streams: streamsByID[groupID].map { streamsGroups[$0] },
                committed: committedByID[groupID].map { committed[$0] }, logs: logs, scratch: &scratch))
        }
        return groups
    }

    /// Builds the snapshot's topic list from log offsets (names, partition counts, offsets).
    /// - Parameter topicIDs: topic ids by topic name, when Metadata reported them.
    public static func topics(from logOffsets: [LogOffsetsInput], topicIDs: [String: String] = [:]) -> [TopicInfo] {
        topics(from: logOffsets) { _, name in topicIDs[name] }
    }

    /// ``topics(from:topicIDs:)`` with the topic ids given by position: one per distinct topic of
    /// `logOffsets` in name order (nil when unknown), so that no name is looked up. The poller keeps
    /// them in that order from Metadata.
    public static func topics(from logOffsets: [LogOffsetsInput], topicIDsInOrder ids: [String?]) -> [TopicInfo] {
        topics(from: logOffsets) { n, _ in n < ids.count ? ids[n] : nil }
    }

    /// The topic list, with `topicID(n, name)` giving the id of the `n`-th topic in name order.
    private static func topics(from logOffsets: [LogOffsetsInput], topicID: (Int, String) -> String?) -> [TopicInfo] {
        if let sorted = topicsOfSortedInput(logOffsets, topicID: topicID) { return sorted }
        let byTopic = Dictionary(grouping: logOffsets, by: \.topicPartition.topic)
        return byTopic.keys.sorted().enumerated().map { n, name in
            let rows = (byTopic[name] ?? []).map {
                PartitionOffsets(partition: $0.topicPartition.partition, logStart: $0.logStart, logEnd: $0.logEnd, leader: $0.leader, error: $0.error)
            }
            return TopicInfo(name: name, topicID: topicID(n, name), partitionCount: Set(rows.map(\.partition)).count, partitions: rows)
        }
    }

    /// The topic list for input sorted by topic and partition (what the poller passes), in one
    /// pass; nil when the input is not in that order.
    private static func topicsOfSortedInput(_ logOffsets: [LogOffsetsInput], topicID: (Int, String) -> String?) -> [TopicInfo]? {
        var out: [TopicInfo] = []
        var start = 0
        // Partitions failing alike share one error box.
        var sharedError: OutOfLine<ItemError>?
        while start < logOffsets.count {
            let name = logOffsets[start].topicPartition.topic
            var end = start + 1
            var distinct = 1
            while end < logOffsets.count {
                let tp = logOffsets[end].topicPartition
                let previous = logOffsets[end - 1].topicPartition.partition
                if tp.topic == name {
                    if tp.partition < previous { return nil }
                    if tp.partition != previous { distinct += 1 }
                    end += 1
                } else {
                    if tp.topic < name { return nil }
                    break
                }
            }
            var rows: [PartitionOffsets] = []
            rows.reserveCapacity(end - start)
            // By index: iterating the inputs would copy each one (and retain its strings).
            for i in start..<end {
                rows.append(PartitionOffsets(
                    partition: logOffsets[i].topicPartition.partition, logStart: logOffsets[i].logStart,
                    logEnd: logOffsets[i].logEnd, leader: logOffsets[i].leader, error: logOffsets[i].error,
                    sharing: &sharedError))
            }
            // Rows are in partition order already: set after init, which would sort a copy.
            var topic = TopicInfo(name: name, topicID: topicID(out.count, name), partitionCount: distinct)
            topic.partitions = rows
            out.append(topic)
            start = end
        }
        return out
    }

    /// Whether the ids of `items` are sorted and unique (what the poller passes).
    private static func isStrictlyAscending<T>(_ items: [T], _ id: (T) -> String) -> Bool {
        var i = 1
        while i < items.count {
            if !(id(items[i - 1]) < id(items[i])) { return false }
            i += 1
        }
        return true
    }

    /// ``assemble(listed:consumerGroups:classicGroups:committed:logOffsets:)`` for inputs each sorted
    /// by group id without repeats: a merge of the four lists, with no id hashed or sorted.
    private static func assembleSorted(
        listed: [ListedGroupInput], consumerGroups: [DescribedConsumerGroupInput],
        classicGroups: [DescribedClassicGroupInput], committed: [CommittedOffsetsInput], logOffsets: [LogOffsetsInput],
        memory: inout AssemblyMemory
    ) -> [Group] {
        let logs = memory.remembering ? memory.logTable(of: logOffsets) : LogTable(logOffsets)
        var scratch = RowScratch()
        var groups: [Group] = []
        groups.reserveCapacity(max(listed.count, consumerGroups.count + classicGroups.count, committed.count))
        // The last call's entries, walked beside the groups (both in id order); the entries of this
        // call replace them, so that groups gone are forgotten.
        var previous: [AssemblyMemory.Entry] = []
        swap(&previous, &memory.entries)
        if memory.remembering { memory.entries.reserveCapacity(consumerGroups.count + classicGroups.count) }
        let layout = memory.remembering ? memory.layout : -1
        var m = 0
        var l = 0
        var d = 0
        var c = 0
        var o = 0
        while true {
            // The smallest id still ahead in any list.
            var next: String?
            if l < listed.count { next = listed[l].groupID }
            if d < consumerGroups.count, next.map({ consumerGroups[d].groupID < $0 }) ?? true { next = consumerGroups[d].groupID }
            if c < classicGroups.count, next.map({ classicGroups[c].groupID < $0 }) ?? true { next = classicGroups[c].groupID }
            if o < committed.count, next.map({ committed[o].groupID < $0 }) ?? true { next = committed[o].groupID }
            guard let groupID = next else { break }
            var listedOne: ListedGroupInput?
            var consumerOne: DescribedConsumerGroupInput?
            var classicOne: DescribedClassicGroupInput?
            var committedOne: CommittedOffsetsInput?
            if l < listed.count, listed[l].groupID == groupID {
                listedOne = listed[l]
                l += 1
            }
            if d < consumerGroups.count, consumerGroups[d].groupID == groupID {
                consumerOne = consumerGroups[d]
                d += 1
            }
            if c < classicGroups.count, classicGroups[c].groupID == groupID {
                classicOne = classicGroups[c]
                c += 1
            }
            if o < committed.count, committed[o].groupID == groupID {
                committedOne = committed[o]
                o += 1
            }
            var remembered: AssemblyMemory.Entry?
            if consumerOne != nil || classicOne != nil {
                // The entry at hand is usually the group's: one comparison.
                if m < previous.count, previous[m].groupID != groupID {
                    while m < previous.count, previous[m].groupID < groupID { m += 1 }
                }
                if m < previous.count, previous[m].groupID == groupID { remembered = previous[m] }
            }
            groups.append(assembleOne(
                groupID: groupID, listed: listedOne, consumer: consumerOne, classic: classicOne,
                committed: committedOne, logs: logs, scratch: &scratch, remembered: &remembered, layout: layout))
            if memory.remembering, let remembered { memory.entries.append(remembered) }
        }
        return groups
    }

    /// Each id's first position in `items`.
    private static func firstByID<T>(_ items: [T], _ id: KeyPath<T, String>) -> [String: Int] {
        var out: [String: Int] = [:]
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() where out[item[keyPath: id]] == nil { out[item[keyPath: id]] = i }
        return out
    }

    // MARK: - One group

    private static func assembleOne(
        groupID: String, listed: ListedGroupInput?, consumer: DescribedConsumerGroupInput?,
        classic: DescribedClassicGroupInput?, share: DescribedShareGroupInput? = nil,
        streams: DescribedStreamsGroupInput? = nil, committed: CommittedOffsetsInput?, logs: LogTable,
        scratch: inout RowScratch
    ) -> Group {
        var remembered: AssemblyMemory.Entry?
        return assembleOne(
            groupID: groupID, listed: listed, consumer: consumer, classic: classic, share: share, streams: streams,
            committed: committed, logs: logs, scratch: &scratch, remembered: &remembered, layout: -1)
    }

    /// One group. `remembered` is what the last call remembered of the group (nil when nothing):
    /// its members are taken when the group's described members are the storage they were built
    /// from, and then its row plan is replayed when it still applies (``RowPlan``; `layout` is
    /// the ``AssemblyMemory/layout`` of `logs`, -1 when none). On return it is what to remember of
    /// the group (nil for groups other than consumer and classic ones).
    private static func assembleOne(
        groupID: String, listed: ListedGroupInput?, consumer: DescribedConsumerGroupInput?,
        classic: DescribedClassicGroupInput?, share: DescribedShareGroupInput? = nil,
        streams: DescribedStreamsGroupInput? = nil, committed: CommittedOffsetsInput?, logs: LogTable,
        scratch: inout RowScratch, remembered: inout AssemblyMemory.Entry?, layout: Int
    ) -> Group {
        // Moved out, and back in when nothing changed: copying an entry retains all it holds.
        var last = remembered.take()
        // The last poll's row plan, while its members are the ones handed out again.
        var plan: RowPlan?
        // What the group's members are built from (consumer and classic groups), and whether they
        // are the last poll's.
        var source: AssemblyMemory.Source?
        var highestGeneration: Int32?
        var reused = false
        var type = listed?.groupType ?? .unknown("")
        if case .unknown = type {
            if consumer != nil {
                type = .consumer
            } else if classic != nil {
                type = .classic
            } else if share != nil {
                type = .share
            } else if streams != nil {
                type = .streams
            }
        }
        var members: [GroupMember] = []
        var state = listed?.state ?? .unknown("")
        var error: GroupError?
        var assignor: String?
        var groupEpoch: Int32?
        var assignmentEpoch: Int32?
        var generationID: Int32?
        var protocolType = listed?.protocolType
        var subtopologies: [StreamsSubtopology]?
        // What a consumer, share or streams describe answer says of the group as a whole.
        func takeGroupFields(_ g: some DescribedModernGroup) {
            error = g.error
            if g.error == nil || listed?.state == nil { state = g.state }
            if g.error == nil {
                groupEpoch = g.groupEpoch
                assignmentEpoch = g.assignmentEpoch
            }
            assignor = g.assignor.flatMap { $0.isEmpty ? nil : $0 }
        }

        if let share {
            takeGroupFields(share)
            members = share.members.map { member in
                GroupMember(
                    canonicalMemberID: member.memberID, instanceID: nil, clientID: member.clientID,
                    clientHost: member.clientHost, rackID: member.rackID, memberType: .share,
                    memberEpoch: member.memberEpoch, subscribedTopics: sortedUnique(member.subscribedTopicNames),
                    subscribedTopicRegex: nil, assignment: sortedUnique(member.assignment), targetAssignment: nil,
                    ownedPartitions: nil, generationID: nil, assignmentUnknown: nil)
            }
        } else if let streams {
            takeGroupFields(streams)
            let topology = streams.subtopologies.sorted { $0.subtopologyID < $1.subtopologyID }
            subtopologies = topology
            let sources = Array(Set(topology.flatMap(\.sourceTopics))).sorted()
            members = streams.members.map { member in
                GroupMember(
                    canonicalMemberID: member.memberID, instanceID: member.instanceID, clientID: member.clientID,
                    clientHost: member.clientHost, rackID: member.rackID, memberType: .streams,
                    memberEpoch: member.memberEpoch, subscribedTopics: sources, subscribedTopicRegex: nil,
                    assignment: member.assignment.activePartitions(topology),
                    targetAssignment: member.targetAssignment.activePartitions(topology),
                    ownedPartitions: nil, generationID: nil, assignmentUnknown: nil,
                    streamsTasks: member.assignment, streamsTargetTasks: member.targetAssignment)
            }
        } else if let consumer {
            takeGroupFields(consumer)
            if let last, case let .consumer(input) = last.source, AssemblyMemory.sameStorage(input, consumer.members) {
                members = last.members
                plan = last.plan
                reused = true
            } else {
                members = buildMembers(consumer, scratch: &scratch)
            }
            source = .consumer(consumer.members)
        } else if let classic {
            error = classic.error
            if classic.error == nil || listed?.state == nil { state = classic.state }
            assignor = classic.protocolName.flatMap { $0.isEmpty ? nil : $0 }
            protocolType = classic.protocolType ?? protocolType
            if let last, case let .classic(input) = last.source, AssemblyMemory.sameStorage(input, classic.members) {
                members = last.members
                highestGeneration = last.highestGeneration
                plan = last.plan
                reused = true
            } else {
                (members, highestGeneration) = buildMembers(classic, scratch: &scratch)
            }
            source = .classic(classic.members)
            generationID = classic.generationID ?? highestGeneration
        }
        if error == nil, let committedError = committed?.error { error = committedError }

        // The order `Group` keeps its members in; a partition claimed twice goes to the first.
        // Consumer and classic members were appended in that order already.
        if share != nil || streams != nil { members.sort { $0.memberID < $1.memberID } }
        var figures = GroupSummary()
        let partitions: [GroupPartition]
        if let plan, plan.layout == layout, plan.matches(committed, logs: logs) {
            partitions = scratch.rows(
                replaying: plan, members: members, assignmentEpoch: assignmentEpoch, committed: committed, logs: logs,
                figures: &figures)
            // Nothing to remember that the last poll's entry does not hold already.
            if reused { remembered = last.take() }
        } else {
            // Laid out anew; remembered groups (consumer and classic ones) keep the plan.
            var rows: RowPlan.Recording? =
                source != nil && layout >= 0 && members.count < RowPlan.memberLimit ? RowPlan.Recording() : nil
            partitions = scratch.rows(
                members: members, assignmentEpoch: assignmentEpoch, committed: committed, logs: logs,
                lagNotApplicable: share != nil || (type == .share && consumer == nil && classic == nil), figures: &figures,
                plan: &rows)
            plan = rows.flatMap { RowPlan($0, committed: committed, layout: layout) }
        }
        if remembered == nil, layout >= 0, let source {
            remembered = AssemblyMemory.Entry(
                groupID: groupID, source: source, members: members, highestGeneration: highestGeneration, plan: plan)
        }
        // Members and rows are already in canonical order, and the rows' figures counted as they
        // were built: `Group` neither sorts them again nor reads the rows a second time.
        return Group(
            canonicalGroupID: groupID, type: type, protocolType: protocolType, state: state, assignor: assignor,
            groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch, generationID: generationID,
            coordinatorID: listed?.coordinatorID, error: error, subtopologies: subtopologies, members: members,
            partitions: partitions, rowFigures: figures)
    }

    /// A consumer group's members, in member-id order.
    private static func buildMembers(_ consumer: DescribedConsumerGroupInput, scratch: inout RowScratch) -> [GroupMember] {
        var members: [GroupMember] = []
        members.reserveCapacity(consumer.members.count)
        // Appended in id order, so that the members need not be sorted (moved) afterwards. By
        // index: iterating the inputs would copy each member (and retain all its fields).
        scratch.sortPositions(consumer.members.count) { consumer.members[$0].memberID < consumer.members[$1].memberID }
        for k in scratch.positions {
            let assignment = sortedUnique(consumer.members[k].assignment)
            var target = sortedUnique(consumer.members[k].targetAssignment)
            // A settled member's target equals its assignment: keep one array for both.
            if target == assignment { target = assignment }
            members.append(GroupMember(
                canonicalMemberID: consumer.members[k].memberID, instanceID: consumer.members[k].instanceID,
                clientID: consumer.members[k].clientID, clientHost: consumer.members[k].clientHost,
                rackID: consumer.members[k].rackID, memberType: consumer.members[k].memberType,
                memberEpoch: consumer.members[k].memberEpoch,
                subscribedTopics: sortedUnique(consumer.members[k].subscribedTopicNames),
                subscribedTopicRegex: consumer.members[k].subscribedTopicRegex, assignment: assignment,
                targetAssignment: target, ownedPartitions: nil, generationID: nil, assignmentUnknown: nil))
        }
        return members
    }

    /// A classic group's members, in member-id order, and the highest generation id their
    /// subscriptions carry.
    private static func buildMembers(
        _ classic: DescribedClassicGroupInput, scratch: inout RowScratch
    ) -> (members: [GroupMember], highestGeneration: Int32?) {
        var members: [GroupMember] = []
        members.reserveCapacity(classic.members.count)
        // In id order and by index, as for a consumer group.
        var highestGeneration: Int32?
        scratch.sortPositions(classic.members.count) { classic.members[$0].memberID < classic.members[$1].memberID }
        for k in scratch.positions {
            let subscription = classic.members[k].subscription
            let generation = subscription?.generationID
            if let generation, highestGeneration.map({ generation > $0 }) ?? true { highestGeneration = generation }
            members.append(GroupMember(
                canonicalMemberID: classic.members[k].memberID, instanceID: classic.members[k].instanceID,
                clientID: classic.members[k].clientID, clientHost: classic.members[k].clientHost,
                rackID: subscription?.rackID.flatMap { $0.isEmpty ? nil : $0 },
                memberType: .classic, memberEpoch: nil,
                subscribedTopics: sortedUnique(subscription?.topics ?? []), subscribedTopicRegex: nil,
                assignment: sortedUnique(classic.members[k].assignment ?? []), targetAssignment: nil,
                ownedPartitions: subscription?.ownedPartitions.map(sortedUnique),
                generationID: generation, assignmentUnknown: classic.members[k].assignment == nil))
        }
        return (members, highestGeneration)
    }

    // MARK: - Canonical lists

    /// `list` sorted and without duplicates, as ``GroupMember/normalized()`` keeps it; returned as
    /// is (no copy) when it already is, which is what brokers send.
    static func sortedUnique(_ list: [TopicPartition]) -> [TopicPartition] {
        var i = 1
        while i < list.count {
            if !(list[i - 1] < list[i]) { return list.sortedUnique() }
            i += 1
        }
        return list
    }

    /// Topic names sorted and without duplicates; returned as is when they already are.
    static func sortedUnique(_ list: [String]) -> [String] {
        var i = 1
        while i < list.count {
            if !(list[i - 1] < list[i]) { return Array(Set(list)).sorted() }
            i += 1
        }
        return list
    }
}

// MARK: - Members kept from poll to poll

/// What ``GroupAssembler/assemble(listed:consumerGroups:classicGroups:shareGroups:streamsGroups:committed:logOffsets:memory:)``
/// remembers of one call for the next: per consumer and classic group, the described members it
/// was given and the ``GroupMember`` values it built from them. The admin client reads a
/// coordinator's unchanged answer into the very same storage as its last one, so in a steady
/// cluster most groups' members are that storage again and are not built again.
///
/// Storage is compared, not contents: the memory holds the described members it remembers, so
/// while it lives no other array can have their storage, and an array with that storage holds
/// the same values. Groups the last call did not assemble are forgotten, so the memory never holds
/// more than one poll's groups.
public struct AssemblyMemory: Sendable {
    /// The described members a group's members were built from.
    enum Source: Sendable {
        case consumer([DescribedConsumerGroupInput.Member])
        case classic([DescribedClassicGroupInput.Member])
    }

    /// One group's remembered members: an object, so that the entry of a group whose members and
    /// rows' layout are unchanged is kept as it is (no copy, nothing allocated).
    final class Entry: Sendable {
        let groupID: String
        let source: Source
        /// The members built from ``source``, in member-id order.
        let members: [GroupMember]
        /// Classic groups: the highest generation id of ``source``'s subscriptions.
        let highestGeneration: Int32?
        /// How the group's rows were laid out with ``members``.
        let plan: RowPlan?

        init(groupID: String, source: Source, members: [GroupMember], highestGeneration: Int32?, plan: RowPlan?) {
            self.groupID = groupID
            self.source = source
            self.members = members
            self.highestGeneration = highestGeneration
            self.plan = plan
        }
    }

    /// In group-id order, each group once.
    var entries: [Entry] = []
    /// The partitions of the last call's log offsets, in their order.
    private var logLayout = LogLayout()
    /// The ``LogTable`` index of ``logLayout`` (it depends on the partitions alone).
    private var logIndex = LogTable.Index()
    /// Counts the changes of ``logLayout``: a ``RowPlan`` laid out under another count is not
    /// replayed.
    private(set) var layout = 0

    /// The table of `logOffsets`, with the last call's index when they name the same partitions in
    /// the same order; otherwise indexed anew, counting a change of ``layout``.
    mutating func logTable(of logOffsets: [LogOffsetsInput]) -> LogTable {
        if logLayout.matches(logOffsets) { return LogTable(logOffsets, index: logIndex) }
        let table = LogTable(logOffsets)
        logLayout = LogLayout(logOffsets)
        logIndex = table.index
        layout += 1
        return table
    }

    /// Whether anything is remembered (a memory made for one call only remembers nothing).
    let remembering: Bool

    /// An empty memory.
    public init() { remembering = true }

    /// An empty memory that remembers only when `remembering`: one for a single call (such as a
    /// single poll) keeps nothing, and its calls give the same groups as with memory, without
    /// laying anything by for a next call.
    public init(remembering: Bool) { self.remembering = remembering }

    /// How many groups' members are remembered.
    public var groupCount: Int { entries.count }

    /// Takes back the members this memory handed out once a ``MemberLabeler`` has written their
    /// labels: a group of `groups` (a snapshot assembled with this memory, then labelled) whose
    /// members equal the remembered ones but for their labels is remembered with its labelled
    /// members. The next call then hands out members that already carry their labels, which the
    /// labeler keeps as they are (no copy), so a snapshot's members and the memory's are one
    /// storage rather than a labelled copy beside an unlabelled one. Groups whose members differ
    /// otherwise (or that this memory does not hold) are left as they are. The next call's groups
    /// equal those of a call without memory, labels aside.
    public mutating func adoptLabels(of groups: [Group]) {
        guard remembering, !entries.isEmpty else { return }
        var e = 0
        groups.withUnsafeBufferPointer { groups in
            for g in 0..<groups.count {
                // Both lists are in group-id order; ids equal most of the time, a pointer check.
                if e < entries.count, entries[e].groupID != groups[g].groupID {
                    while e < entries.count, entries[e].groupID < groups[g].groupID { e += 1 }
                }
                guard e < entries.count else { return }
                guard entries[e].groupID == groups[g].groupID else { continue }
                let entry = entries[e]
                if !Self.sameStorage(groups[g].members, entry.members),
                   Self.equalButLabels(groups[g].members, entry.members)
                {
                    entries[e] = Entry(
                        groupID: entry.groupID, source: entry.source, members: groups[g].members,
                        highestGeneration: entry.highestGeneration, plan: entry.plan)
                }
                e += 1
            }
        }
    }

    /// Whether `a` and `b` hold the same members in the same order, labels aside.
    static func equalButLabels(_ a: [GroupMember], _ b: [GroupMember]) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.indices {
            var member = a[i]
            member.label = b[i].label
            if member != b[i] { return false }
        }
        return true
    }

    /// Whether `a` and `b` are the same storage (then they hold the same values).
    static func sameStorage<T>(_ a: [T], _ b: [T]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
    }
}

// MARK: - Log offsets by topic

/// The partitions a list of log offsets names, in its order, kept as runs: consecutive inputs of
/// one topic whose partitions count up by one (what the poller passes: per topic its partitions
/// 0, 1, 2, ...) are one run, its topic name and first partition. So a layout of 100,000
/// partitions over a few thousand topics is a few thousand runs, and never more than one run
/// per input.
struct LogLayout: Sendable {
    /// A run of inputs.
    struct Run: Sendable {
        /// The topic of every input of the run.
        let topic: String
        /// The partition of the run's first input; each next input's is one more.
        let first: Int32
        /// Where the run ends: the index of the input past its last one.
        let end: Int32
    }

    /// The runs, in input order.
    private(set) var runs: [Run] = []

    /// How many inputs the runs cover.
    var count: Int { runs.last.map { Int($0.end) } ?? 0 }

    /// No partitions.
    init() {}

    /// The layout of `inputs`.
    init(_ inputs: [LogOffsetsInput]) {
        precondition(inputs.count <= Int(Int32.max), "more log offsets than a layout counts")
        // In place: subscripting would copy each input (and retain its strings).
        inputs.withUnsafeBufferPointer { inputs in
            var i = 0
            while i < inputs.count {
                let topic = inputs[i].topicPartition.topic
                let first = inputs[i].topicPartition.partition
                var last = first
                i += 1
                while i < inputs.count, last < Int32.max, inputs[i].topicPartition.partition == last + 1,
                      inputs[i].topicPartition.topic == topic
                {
                    last += 1
                    i += 1
                }
                runs.append(Run(topic: topic, first: first, end: Int32(i)))
            }
        }
    }

    /// Whether `inputs` name the partitions of this layout, in its order: the same as comparing
    /// their partitions one by one with those the layout was made from.
    func matches(_ inputs: [LogOffsetsInput]) -> Bool {
        guard inputs.count == count else { return false }
        return inputs.withUnsafeBufferPointer { inputs in
            runs.withUnsafeBufferPointer { runs in
                var start = 0
                for r in 0..<runs.count {
                    let end = Int(runs[r].end)
                    var partition = runs[r].first
                    for i in start..<end {
                        // Partition first: it is the cheaper compare. The names are usually one
                        // string (the poller's interned names), which compares without reading it.
                        if inputs[i].topicPartition.partition != partition || inputs[i].topicPartition.topic != runs[r].topic {
                            return false
                        }
                        partition &+= 1
                    }
                    start = end
                }
                return true
            }
        }
    }
}

/// Log offsets indexed by topic, then by partition: one topic-name lookup per topic, not per row.
struct LogTable {
    /// Where each topic's partitions are among the inputs: it depends only on the inputs'
    /// partitions and their order, so inputs naming the same ones share it
    /// (``AssemblyMemory/logTable(of:)``).
    struct Index: Sendable {
        /// Topic name → topic number.
        var topicNumbers: [String: Int] = [:]
        /// Per topic number: where its entries are in ``entries``.
        var ranges: [Range<Int>] = []
        /// Per topic, a run of its partitions, sorted, each once, with the input that describes it
        /// (the last one for a partition listed twice). Nil when that is the inputs themselves
        /// (grouped by topic with ascending partitions, as the poller passes them), which saves a copy.
        var entries: [(partition: Int32, input: Int)]?
    }

    /// The inputs, in the caller's order.
    let inputs: [LogOffsetsInput]
    /// Where the inputs' topics and partitions are.
    private(set) var index = Index()

    /// The table of `inputs` with the index of inputs that name the same partitions in the same order.
    init(_ inputs: [LogOffsetsInput], index: Index) {
        self.inputs = inputs
        self.index = index
    }

    init(_ inputs: [LogOffsetsInput]) {
        self.inputs = inputs
        index.topicNumbers.reserveCapacity(inputs.count / 4)
        // Fast path: each topic's inputs contiguous, partitions strictly ascending.
        var start = 0
        var grouped = true
        while start < inputs.count {
            let topic = inputs[start].topicPartition.topic
            var end = start + 1
            while end < inputs.count, inputs[end].topicPartition.topic == topic {
                if !(inputs[end - 1].topicPartition.partition < inputs[end].topicPartition.partition) { grouped = false }
                end += 1
            }
            if !grouped || index.topicNumbers[topic] != nil {
                grouped = false
                break
            }
            index.topicNumbers[topic] = index.ranges.count
            index.ranges.append(start..<end)
            start = end
        }
        if grouped { return }

        index.topicNumbers.removeAll(keepingCapacity: true)
        index.ranges.removeAll()
        var perTopic: [[(partition: Int32, input: Int)]] = []
        var lastTopic: String?
        var lastNumber = -1
        for (i, input) in inputs.enumerated() {
            let topic = input.topicPartition.topic
            if topic != lastTopic {
                if let n = index.topicNumbers[topic] {
                    lastNumber = n
                } else {
                    lastNumber = perTopic.count
                    index.topicNumbers[topic] = lastNumber
                    perTopic.append([])
                }
                lastTopic = topic
            }
            perTopic[lastNumber].append((input.topicPartition.partition, i))
        }
        var flat: [(partition: Int32, input: Int)] = []
        flat.reserveCapacity(inputs.count)
        for list in perTopic {
            // Stable, so the last input for a partition stays last among its equals.
            let sorted = list.enumerated().sorted { ($0.element.partition, $0.offset) < ($1.element.partition, $1.offset) }.map(\.element)
            let first = flat.count
            for entry in sorted {
                if flat.count > first, flat[flat.count - 1].partition == entry.partition {
                    flat[flat.count - 1] = entry
                } else {
                    flat.append(entry)
                }
            }
            index.ranges.append(first..<flat.count)
        }
        index.entries = flat
    }

    /// The topic number of `topic`, nil when no input names it.
    func number(of topic: String) -> Int? { index.topicNumbers[topic] }

    /// The name of topic number `topic`, as the inputs spell it.
    func name(of topic: Int) -> String { inputs[entry(topic, 0).input].topicPartition.topic }

    /// How many partitions topic number `topic` has.
    func count(of topic: Int) -> Int { index.ranges[topic].count }

    /// The `k`-th partition (in ascending order) of topic number `topic` and its input's index.
    func entry(_ topic: Int, _ k: Int) -> (partition: Int32, input: Int) {
        let i = index.ranges[topic].lowerBound + k
        if let entries = index.entries { return entries[i] }
        return (inputs[i].topicPartition.partition, i)
    }

    /// Where in ``inputs`` the input for `partition` of topic number `topic` is, nil when there is
    /// none (an index, so that readers need not copy the input).
    func inputIndex(topic: Int, partition: Int32) -> Int? {
        let n = count(of: topic)
        // Brokers number partitions densely from 0: try the index first, then search.
        let i = Int(partition)
        if i >= 0, i < n, entry(topic, i).partition == partition { return entry(topic, i).input }
        var low = 0
        var high = n
        while low < high {
            let mid = (low + high) / 2
            if entry(topic, mid).partition < partition { low = mid + 1 } else { high = mid }
        }
        return low < n && entry(topic, low).partition == partition ? entry(topic, low).input : nil
    }
}

// MARK: - Partition rows

/// Reusable per-group working storage for the partition rows (kept across groups so that a poll of
/// 10,000 groups does not allocate it 10,000 times).
struct RowScratch {
    /// What one group knows about one partition, by member index (-1: none).
    struct Cell {
        var present = false
        var owner: Int32 = -1
        var target: Int32 = -1
        var commit: Int32 = -1
    }

    /// One topic the group touches.
    struct LocalTopic {
        var name: String
        /// The topic number in the ``LogTable``, -1 when no log offsets name it.
        var logTopic: Int
        /// Cells for partitions 0..<cells.count.
        var cells: [Cell]
        /// Cells for partitions outside that range (negative, or beyond what the log offsets list).
        var extra: [Int32: Cell]
        /// Subscribed, targeted or assigned: the group should consume it.
        var consumed: Bool
    }

    /// The group's topics are `topics[0..<topicCount]`; the slots past it are kept from earlier
    /// groups so that their cell arrays are reused rather than allocated again.
    private var topics: [LocalTopic] = []
    private var topicCount = 0
    /// The group's topics by name, filled only once it has more than ``scanLimit`` of them (fewer
    /// are found by comparing names, which spares hashing each name of every group).
    private var topicIndex: [String: Int] = [:]
    private static let scanLimit = 8
    /// How many cells of the group's topics are present (its number of rows).
    private var presentCount = 0
    /// Per member: the first member with its id (members with the same id count as one owner).
    private var canonical: [Int32] = []
    /// Per canonical member: whether it has a target assignment.
    private var hasTarget: [Bool] = []
    /// The group's topic numbers in name order.
    private var order: [Int] = []
    /// Positions of a group's input members, in member-id order (``sortPositions(_:by:)``).
    private(set) var positions: [Int] = []

    /// Sets ``positions`` to 0..<count in the order `sort(by:)` with `less` leaves them (the same
    /// permutation sorting the elements themselves gives, equal ones included: the sort depends
    /// only on the comparisons), without sorting when they are in order already.
    mutating func sortPositions(_ count: Int, by less: (Int, Int) -> Bool) {
        positions.removeAll(keepingCapacity: true)
        positions.append(contentsOf: 0..<count)
        var i = 1
        while i < count, !less(i, i - 1) { i += 1 }
        if i < count { positions.sort(by: less) }
    }

    /// The local topic for `name`, created when new. `last` caches the previous answer: member lists
    /// are sorted by topic, so most lookups hit it.
    private mutating func topic(_ name: String, logs: LogTable, last: inout Int) -> Int {
        if last >= 0, topics[last].name == name { return last }
        if topicCount <= Self.scanLimit {
            for i in 0..<topicCount where topics[i].name == name {
                last = i
                return i
            }
        } else if let i = topicIndex[name] {
            last = i
            return i
        }
        let logTopic = logs.number(of: name) ?? -1
        var count = 0
        if logTopic >= 0, logs.count(of: logTopic) > 0 {
            let known = logs.count(of: logTopic)
            let maxPartition = logs.entry(logTopic, known - 1).partition
            // Dense cells up to the highest known partition, unless the numbering is wildly sparse.
            if maxPartition >= 0 { count = Int(maxPartition) < 2 * known + 64 ? Int(maxPartition) + 1 : 0 }
        }
        // Rows of every group share the log offsets' copy of the topic name (one string per topic
        // per poll instead of one per group).
        let shared = logTopic >= 0 ? logs.name(of: logTopic) : name
        let i = topicCount
        if i < topics.count {
            // A slot an earlier group used: its cells are cleared and resized in place.
            topics[i].name = shared
            topics[i].logTopic = logTopic
            topics[i].cells.removeAll(keepingCapacity: true)
            topics[i].cells.append(contentsOf: repeatElement(Cell(), count: count))
            if !topics[i].extra.isEmpty { topics[i].extra = [:] }
            topics[i].consumed = false
        } else {
            topics.append(LocalTopic(name: shared, logTopic: logTopic, cells: Array(repeating: Cell(), count: count), extra: [:], consumed: false))
        }
        topicCount += 1
        if topicCount > Self.scanLimit {
            if topicCount == Self.scanLimit + 1 {
                for k in 0..<i { topicIndex[topics[k].name] = k }
            }
            topicIndex[shared] = i
        }
        last = i
        return i
    }

    /// Marks the cell of `partition` present (counting it when new) and applies `change` to it.
    private mutating func update(_ topic: Int, _ partition: Int32, _ change: (inout Cell) -> Void) {
        let i = Int(partition)
        if i >= 0, i < topics[topic].cells.count {
            if !topics[topic].cells[i].present {
                topics[topic].cells[i].present = true
                presentCount += 1
            }
            change(&topics[topic].cells[i])
        } else {
            var cell = topics[topic].extra[partition] ?? Cell()
            if !cell.present {
                cell.present = true
                presentCount += 1
            }
            change(&cell)
            topics[topic].extra[partition] = cell
        }
    }

    /// Marks the cells of `list`'s partitions and their topics consumed, applying `change` to each
    /// cell. Read in place, through a pointer: iterating or subscripting the array (or a buffer
    /// pointer) would copy each element (and retain its topic).
    private mutating func mark(
        _ list: [TopicPartition], logs: LogTable, last: inout Int, _ change: (inout Cell) -> Void
    ) {
        list.withUnsafeBufferPointer { buffer in
            guard let list = buffer.baseAddress else { return }
            for j in 0..<buffer.count {
                let t = topic(list[j].topic, logs: logs, last: &last)
                topics[t].consumed = true
                update(t, list[j].partition, change)
            }
        }
    }

    /// The group's partition rows, sorted by topic and partition; each row is also added to
    /// `figures` (``GroupSummary/add(lag:topicPartition:handoff:owner:targetOwner:)``). `members` must be sorted by id.
    /// - Parameter lagNotApplicable: a share group's rows: every lag is ``LagValue/notApplicable``.
    /// - Parameter plan: when not nil, set to the rows as recorded for a ``RowPlan``, in row order.
    mutating func rows(
        members: [GroupMember], assignmentEpoch: Int32?, committed: CommittedOffsetsInput?, logs: LogTable,
        lagNotApplicable: Bool = false, figures: inout GroupSummary, plan: inout RowPlan.Recording?
    ) -> [GroupPartition] {
        topicCount = 0
        presentCount = 0
        if !topicIndex.isEmpty { topicIndex.removeAll(keepingCapacity: true) }
        let anyBehind = readMembers(members, assignmentEpoch: assignmentEpoch)

        var last = -1
        // By index: iterating would copy each member (and retain all its fields).
        for i in members.indices {
            let owner = canonical[i]
            mark(members[i].assignment, logs: logs, last: &last) { if $0.owner < 0 { $0.owner = owner } }
            if let target = members[i].targetAssignment {
                mark(target, logs: logs, last: &last) { if $0.target < 0 { $0.target = owner } }
            }
            for name in members[i].subscribedTopics {
                let t = topic(name, logs: logs, last: &last)
                topics[t].consumed = true
            }
        }

        let offsets = committed?.offsets ?? []
        // In place, as in `mark`.
        offsets.withUnsafeBufferPointer { buffer in
            guard let offsets = buffer.baseAddress else { return }
            for i in 0..<buffer.count {
                let t = topic(offsets[i].topicPartition.topic, logs: logs, last: &last)
                update(t, offsets[i].topicPartition.partition) { $0.commit = Int32(i) }
            }
        }
        // Every partition of a consumed topic gets a row.
        for t in 0..<topicCount where topics[t].consumed && topics[t].logTopic >= 0 {
            let logTopic = topics[t].logTopic
            for k in 0..<logs.count(of: logTopic) {
                update(t, logs.entry(logTopic, k).partition) { _ in }
            }
        }

        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: 0..<topicCount)
        if topicCount > 1 { order.sort { topics[$0].name < topics[$1].name } }
        let commitError = committed?.error
        let recording = plan != nil
        var planned = RowPlan.Recording()
        defer { if recording { plan = planned } }
        // Every present cell gives one row: written in place into storage of that size (appending
        // a new row would copy it into the array).
        return [GroupPartition](unsafeUninitializedCapacity: presentCount) { buffer, count in
            // Made here rather than captured, which copies it.
            var context = RowContext(
                members: members, hasTarget: hasTarget, anyBehind: anyBehind, commitError: commitError,
                offsets: offsets, logs: logs, lagNotApplicable: lagNotApplicable)
            if recording { context.plan = RowPlan.Recording(capacity: presentCount) }
            var sink = RowSink(buffer: buffer)
            defer {
                count = sink.count
                if recording { planned = context.plan ?? RowPlan.Recording() }
            }
            for t in order {
                // The topic's fields read in place: a copy of the topic would retain its cells and table.
                context.topicName = topics[t].name
                context.logTopic = topics[t].logTopic
                context.consumed = topics[t].consumed
                if topics[t].extra.isEmpty {
                    for p in topics[t].cells.indices where topics[t].cells[p].present {
                        context.append(Int32(p), topics[t].cells[p], to: &sink, figures: &figures)
                    }
                    continue
                }
                let extra = topics[t].extra.keys.sorted()
                var e = 0
                // Negative partitions (only from odd inputs) come first, those past the cells last.
                while e < extra.count, extra[e] < 0 {
                    context.append(extra[e], topics[t].extra[extra[e]]!, to: &sink, figures: &figures)
                    e += 1
                }
                for p in topics[t].cells.indices where topics[t].cells[p].present {
                    context.append(Int32(p), topics[t].cells[p], to: &sink, figures: &figures)
                }
                while e < extra.count {
                    context.append(extra[e], topics[t].extra[extra[e]]!, to: &sink, figures: &figures)
                    e += 1
                }
            }
        }
    }

    /// The rows ``rows(members:assignmentEpoch:committed:logs:lagNotApplicable:figures:plan:)``
    /// gives when `plan` is what it laid out for the same `members`, committed offsets of the same
    /// partitions in the same order, and log offsets of the same partitions in the same order: the
    /// rows are read where the plan says, no partition is looked up or marked.
    mutating func rows(
        replaying plan: RowPlan, members: [GroupMember], assignmentEpoch: Int32?, committed: CommittedOffsetsInput?,
        logs: LogTable, figures: inout GroupSummary
    ) -> [GroupPartition] {
        // What the members say of the owners is the plan's; only the epochs are read again.
        var anyBehind = false
        for i in members.indices where !members[i].isReconciled(assignmentEpoch: assignmentEpoch) {
            anyBehind = true
            break
        }
        let offsets = committed?.offsets ?? []
        let commitError = committed?.error
        return [GroupPartition](unsafeUninitializedCapacity: plan.rows.count) { buffer, count in
            var context = RowContext(
                members: members, hasTarget: [], anyBehind: anyBehind, commitError: commitError,
                offsets: offsets, logs: logs, lagNotApplicable: false)
            var sink = RowSink(buffer: buffer)
            defer { count = sink.count }
            // In place: iterating would copy each row (and retain its topic).
            plan.rows.withUnsafeBufferPointer { rows in
                for i in rows.indices { context.append(rows[i], of: plan, to: &sink, figures: &figures) }
            }
        }
    }

    /// Sets ``canonical`` and ``hasTarget`` for `members` (sorted by id) and answers whether some
    /// member is behind `assignmentEpoch`.
    private mutating func readMembers(_ members: [GroupMember], assignmentEpoch: Int32?) -> Bool {
        // Members with the same id count as one owner: map each to the first of its run.
        canonical.removeAll(keepingCapacity: true)
        hasTarget.removeAll(keepingCapacity: true)
        var anyBehind = false
        for i in members.indices {
            let c = i > 0 && members[i - 1].memberID == members[i].memberID ? canonical[i - 1] : Int32(i)
            canonical.append(c)
            hasTarget.append(false)
            if members[i].targetAssignment != nil { hasTarget[Int(c)] = true }
            if !members[i].isReconciled(assignmentEpoch: assignmentEpoch) { anyBehind = true }
        }
        return anyBehind
    }
}

/// How a group's rows were laid out from its members, committed offsets and log offsets: row by
/// row, where its values are read. Kept by ``AssemblyMemory`` and replayed while the members are
/// the same storage and the committed and log offsets name the same partitions in the same order,
/// which is what a steady cluster answers poll after poll.
///
/// A row does not keep its partition: a row with log offsets names the partition of its log input
/// (the plan is replayed only with log inputs naming the same partitions in the same order), and
/// only the partitions of rows without log offsets are kept, in ``unlisted``. A row is 16 bytes.
struct RowPlan: Sendable {
    /// One row.
    struct Row: Sendable {
        /// ``log`` when it is not negative; otherwise -1 - k, the row's partition being
        /// ``RowPlan/unlisted``[k].
        private let logOrUnlisted: Int32
        /// Where its committed offset is in the group's committed offsets, -1 when none.
        let commit: Int32
        /// Its owner's member index (-1 when none) times four, plus two when the owner has a target
        /// assignment, plus one when its topic is consumed.
        private let ownerAndFlags: Int32
        /// Its target owner's member index, -1 when none.
        let target: Int32

        /// A row whose log offsets are at `log` (not negative) of the log inputs, its partition
        /// being that input's; or, when `unlisted` is not nil (and `log` is -1), a row with no log
        /// offsets whose partition is ``RowPlan/unlisted``[`unlisted`]. `owner` must be below
        /// ``RowPlan/memberLimit``; `ownerHasTarget` says whether the member it counts as has a
        /// target assignment.
        init(
            log: Int32, unlisted: Int?, commit: Int32, owner: Int32, ownerHasTarget: Bool, target: Int32, consumed: Bool
        ) {
            precondition(unlisted == nil ? log >= 0 : log == -1, "a row has log offsets or a kept partition")
            logOrUnlisted = unlisted.map { -1 - Int32($0) } ?? log
            self.commit = commit
            ownerAndFlags = owner * 4 + (ownerHasTarget ? 2 : 0) + (consumed ? 1 : 0)
            self.target = target
        }

        /// Where its log offsets are in the log inputs, -1 when none.
        var log: Int32 { max(logOrUnlisted, -1) }
        /// Where its partition is in ``RowPlan/unlisted``, nil when it has log offsets.
        var unlisted: Int? { logOrUnlisted < 0 ? Int(-1 - logOrUnlisted) : nil }
        /// Its owner's member index, -1 when none.
        var owner: Int32 { ownerAndFlags >> 2 }
        /// Whether its owner (the member it counts as) has a target assignment.
        var ownerHasTarget: Bool { ownerAndFlags & 2 != 0 }
        /// Whether its topic is consumed (subscribed, targeted or assigned).
        var consumed: Bool { ownerAndFlags & 1 != 0 }
    }

    /// The rows of one group as they are laid out, before they become a plan.
    struct Recording {
        var rows: [Row] = []
        /// The partitions of the rows without log offsets, in row order.
        var unlisted: [TopicPartition] = []

        /// Nothing recorded yet.
        init() {}

        /// Nothing recorded yet, with room for `count` rows: a group's rows are counted before
        /// they are laid out, so the plan takes no more storage than its rows.
        init(capacity count: Int) { rows.reserveCapacity(count) }

        /// Records the row of `topicPartition`, with its log offsets at `log` of the log inputs
        /// (-1: none), its committed offset at `commit` (-1: none), and its owner and target
        /// owner's member indexes (-1: none).
        mutating func append(
            _ topicPartition: TopicPartition, log: Int32, commit: Int32, owner: Int32, ownerHasTarget: Bool, target: Int32,
            consumed: Bool
        ) {
            var place: Int?
            if log < 0 {
                place = unlisted.count
                unlisted.append(topicPartition)
            }
            rows.append(Row(
                log: log, unlisted: place, commit: commit, owner: owner, ownerHasTarget: ownerHasTarget, target: target,
                consumed: consumed))
        }
    }

    /// Groups with this many members or more are not planned (a row keeps its owner in 30 bits).
    static let memberLimit = 1 << 29

    /// The rows, in row order.
    var rows: [Row]
    /// The partitions of the rows without log offsets, in row order.
    var unlisted: [TopicPartition]
    /// How many committed offsets they were laid out with; each is the commit of exactly one row,
    /// so the rows name their partitions (no list of them is kept beside the rows).
    var commitCount: Int
    /// The ``AssemblyMemory`` log layout they were laid out with.
    var layout: Int

    /// The plan of `recording`, laid out with `committed`; nil when a committed offset is not the
    /// commit of exactly one row (a partition committed twice), which the rows alone cannot check again.
    init?(_ recording: Recording, committed: CommittedOffsetsInput?, layout: Int) {
        let count = committed?.offsets.count ?? 0
        var seen = [Bool](repeating: false, count: count)
        var rowsWithCommit = 0
        for row in recording.rows where row.commit >= 0 {
            guard Int(row.commit) < count, !seen[Int(row.commit)] else { return nil }
            seen[Int(row.commit)] = true
            rowsWithCommit += 1
        }
        guard rowsWithCommit == count else { return nil }
        rows = recording.rows
        unlisted = recording.unlisted
        self.commitCount = count
        self.layout = layout
    }

    /// Whether `committed` names the partitions the plan was laid out with, in that order: each
    /// row's commit is of the row's partition. `logs` must name the partitions the plan was laid
    /// out with, in the same order (its ``AssemblyMemory/layout`` is the plan's ``layout``): a
    /// row's partition is its log input's.
    func matches(_ committed: CommittedOffsetsInput?, logs: LogTable) -> Bool {
        let offsets = committed?.offsets ?? []
        guard offsets.count == commitCount else { return false }
        // In place: subscripting would copy each offset, input and row (and retain their strings).
        return offsets.withUnsafeBufferPointer { offsets in
            logs.inputs.withUnsafeBufferPointer { inputs in
                rows.withUnsafeBufferPointer { rows in
                    for i in 0..<rows.count where rows[i].commit >= 0 {
                        let c = Int(rows[i].commit)
                        if let k = rows[i].unlisted {
                            if offsets[c].topicPartition != unlisted[k] { return false }
                        } else if offsets[c].topicPartition != inputs[Int(rows[i].log)].topicPartition {
                            return false
                        }
                    }
                    return true
                }
            }
        }
    }

    /// The partition of `row`, one of ``rows``, replayed with `logs` (as in ``matches(_:logs:)``).
    func topicPartition(of row: Row, logs: LogTable) -> TopicPartition {
        if let k = row.unlisted { return unlisted[k] }
        return logs.inputs[Int(row.log)].topicPartition
    }
}

/// Rows written in place into uninitialized storage sized for them.
private struct RowSink {
    let buffer: UnsafeMutableBufferPointer<GroupPartition>
    /// How many rows are written.
    private(set) var count = 0

    init(buffer: UnsafeMutableBufferPointer<GroupPartition>) { self.buffer = buffer }

    /// Writes the row of these fields after the last one, made where it is stored, the fields
    /// taken over (no string retained again). Not inlined: inlined, the optimizer kept a further
    /// copy of every row (all its strings retained) and its release. The row is stored through
    /// `GroupPartition`'s memberwise initializer, which it does not copy (docs/PERFORMANCE.md,
    /// fourteenth part).
    @inline(never)
    mutating func append(
        topicPartition: consuming TopicPartition, committedOffset: Int64?, commitMetadata: consuming String?, logStart: Int64?,
        logEnd: Int64?, lag: consuming LagValue, owner: consuming String?, targetOwner: consuming String?, handoff: HandoffState,
        error: consuming ItemError?, sharing shared: inout OutOfLine<GroupPartition.Rare>?
    ) {
        nextSlot().initialize(to: GroupPartition(
            topicPartition: topicPartition, committedOffset: committedOffset, commitMetadata: commitMetadata,
            logStart: logStart, logEnd: logEnd, lag: lag, owner: owner, targetOwner: targetOwner,
            handoff: handoff, error: error, sharing: &shared))
    }

    /// Writes the common row after the last one (see ``GroupPartition``'s initializer of that name).
    @inline(never)
    mutating func appendCommon(
        topicPartition: consuming TopicPartition, committedOffset: Int64?, emptyCommitMetadata: Bool, logStart: Int64?,
        logEnd: Int64?, knownLag: Int64, owner: consuming String?, targetIsOwner: Bool, handoff: HandoffState
    ) {
        nextSlot().initialize(to: GroupPartition(
            topicPartition: topicPartition, committedOffset: committedOffset, emptyCommitMetadata: emptyCommitMetadata,
            logStart: logStart, logEnd: logEnd, knownLag: knownLag, owner: owner, targetIsOwner: targetIsOwner,
            handoff: handoff))
    }

    /// The uninitialized storage of the next row, counted as written (the caller initializes it).
    @inline(__always)
    private mutating func nextSlot() -> UnsafeMutablePointer<GroupPartition> {
        precondition(count < buffer.count, "more rows than present cells")
        defer { count += 1 }
        return buffer.baseAddress! + count
    }
}

/// What every row of one group is built from, and the topic whose rows are being built.
private struct RowContext {
    let members: [GroupMember]
    /// Per member index: whether the owner it counts as has a target assignment (empty when a
    /// plan is replayed: its rows say so).
    let hasTarget: [Bool]
    /// Whether some member is behind the assignment epoch.
    let anyBehind: Bool
    /// The group-level offset-fetch error, if any.
    let commitError: ItemError?
    let offsets: [CommittedOffsetsInput.Offset]
    let logs: LogTable
    let lagNotApplicable: Bool
    var topicName = ""
    /// The topic number in ``logs``, -1 when none.
    var logTopic = -1
    /// Subscribed, targeted or assigned: the group should consume it.
    var consumed = false
    /// The last row's out-of-line fields, which the next row takes when it has the same.
    var sharedRare: OutOfLine<GroupPartition.Rare>?
    /// When not nil, each row is recorded.
    var plan: RowPlan.Recording?

    init(
        members: [GroupMember], hasTarget: [Bool], anyBehind: Bool, commitError: ItemError?,
        offsets: [CommittedOffsetsInput.Offset], logs: LogTable, lagNotApplicable: Bool
    ) {
        self.members = members
        self.hasTarget = hasTarget
        self.anyBehind = anyBehind
        self.commitError = commitError
        self.offsets = offsets
        self.logs = logs
        self.lagNotApplicable = lagNotApplicable
    }

    /// Appends the row of `partition` of the current topic to `rows` and adds it to `figures`.
    mutating func append(_ partition: Int32, _ cell: RowScratch.Cell, to rows: inout RowSink, figures: inout GroupSummary) {
        let log = logTopic >= 0 ? logs.inputIndex(topic: logTopic, partition: partition) ?? -1 : -1
        let topicPartition = TopicPartition(topic: topicName, partition: partition)
        let ownerHasTarget = cell.owner >= 0 && hasTarget[Int(cell.owner)]
        plan?.append(
            topicPartition, log: Int32(log), commit: cell.commit, owner: cell.owner, ownerHasTarget: ownerHasTarget,
            target: cell.target, consumed: consumed)
        append(topicPartition, log: log, commit: Int(cell.commit), owner: cell.owner, ownerHasTarget: ownerHasTarget,
               target: cell.target, consumed: consumed, to: &rows, figures: &figures)
    }

    /// Appends the row `row` of `plan` lays out.
    mutating func append(_ row: RowPlan.Row, of plan: RowPlan, to rows: inout RowSink, figures: inout GroupSummary) {
        append(plan.topicPartition(of: row, logs: logs), log: Int(row.log), commit: Int(row.commit), owner: row.owner,
               ownerHasTarget: row.ownerHasTarget, target: row.target, consumed: row.consumed, to: &rows, figures: &figures)
    }

    /// Appends the row of `topicPartition` with its log offsets at `log` of the log inputs and its
    /// committed offset at `commit` of ``offsets`` (-1: none), owned and targeted by the members
    /// at `owner` and `target` (-1: none); `ownerHasTarget`: the member the owner counts as has a
    /// target assignment.
    private mutating func append(
        _ topicPartition: consuming TopicPartition, log l: Int, commit c: Int, owner ownerIndex: Int32, ownerHasTarget: Bool,
        target targetIndex: Int32, consumed: Bool, to rows: inout RowSink, figures: inout GroupSummary
    ) {
        let handoff: HandoffState
        if ownerIndex >= 0 {
            handoff = ownerHasTarget && targetIndex != ownerIndex ? .pendingRevocation : .settled
        } else if targetIndex >= 0 {
            handoff = anyBehind ? .awaitingRelease : .unowned
        } else if !members.isEmpty && consumed {
            handoff = .unowned
        } else {
            handoff = .notAssigned
        }
        // The common row (a known lag, no error, commit metadata empty or absent, the target owner
        // absent or the owner), read in place: no string is retained but the topic and the owner.
        // Members with one id count as one owner (their index), so equal indices are equal owners.
        if !lagNotApplicable, commitError == nil, targetIndex < 0 || targetIndex == ownerIndex,
           c < 0 || (offsets[c].error == nil && offsets[c].metadata?.isEmpty ?? true),
           l < 0 || logs.inputs[l].error == nil
        {
            let committedOffset = c >= 0 ? offsets[c].offset : nil
            let logStart = l >= 0 ? logs.inputs[l].logStart : nil
            let logEnd = l >= 0 ? logs.inputs[l].logEnd : nil
            if let known = LagCalculator.knownLag(committed: committedOffset, logStart: logStart, logEnd: logEnd) {
                figures.add(knownLag: known, of: topicPartition)
                figures.add(handoff: handoff, owned: ownerIndex >= 0, targetElsewhere: false)
                rows.appendCommon(
                    topicPartition: topicPartition, committedOffset: committedOffset,
                    emptyCommitMetadata: c >= 0 && offsets[c].metadata != nil, logStart: logStart, logEnd: logEnd,
                    knownLag: known, owner: ownerIndex >= 0 ? members[Int(ownerIndex)].memberID : nil,
                    targetIsOwner: targetIndex >= 0, handoff: handoff)
                return
            }
        }
        var committedOffset: Int64?
        var commitMetadata: String?
        var commitPartitionError: ItemError?
        if c >= 0 {
            committedOffset = offsets[c].offset
            commitMetadata = offsets[c].metadata
            commitPartitionError = offsets[c].error
        }
        var logStart: Int64?
        var logEnd: Int64?
        var logError: ItemError?
        if l >= 0 {
            logStart = logs.inputs[l].logStart
            logEnd = logs.inputs[l].logEnd
            logError = logs.inputs[l].error
        }
        let lag = lagNotApplicable ? LagValue.notApplicable : LagCalculator.lag(
            committed: committedOffset, logStart: logStart, logEnd: logEnd,
            commitError: commitError ?? commitPartitionError, offsetsError: logError)
        let owner = ownerIndex >= 0 ? members[Int(ownerIndex)].memberID : nil
        let targetOwner = targetIndex >= 0 ? members[Int(targetIndex)].memberID : nil
        // Counted from the fields, which then move into the row: counting the row would copy it.
        figures.add(lag: lag, topicPartition: topicPartition, handoff: handoff, owner: owner, targetOwner: targetOwner)
        rows.append(
            topicPartition: topicPartition, committedOffset: committedOffset, commitMetadata: commitMetadata,
            logStart: logStart, logEnd: logEnd, lag: lag, owner: owner, targetOwner: targetOwner,
            handoff: handoff, error: commitPartitionError ?? logError, sharing: &sharedRare)
    }
}

import GroupModel
import KafkaProtocol
import KafkaWire

// Share groups (KIP-932) and streams groups (KIP-1071), scripted: the scenario places members with
// their epochs and assignments, and the coordinator lists and describes them (ShareGroupDescribe,
// StreamsGroupDescribe). Members do not heartbeat; a streams group may commit offsets at a rate.

/// One scripted member of a share or streams group.
final class ScriptedMember {
    var memberID: String
    var clientID: String
    var clientHost: String
    var memberEpoch: Int32
    /// Share groups: the partitions the member is assigned (a partition may go to several members).
    var partitions: Set<TopicPartition> = []
    /// Streams groups: task ids per subtopology, by role.
    var active: [String: [Int32]] = [:]
    var standby: [String: [Int32]] = [:]
    var warmup: [String: [Int32]] = [:]

    init(memberID: String, clientID: String, clientHost: String, memberEpoch: Int32) {
        self.memberID = memberID
        self.clientID = clientID
        self.clientHost = clientHost
        self.memberEpoch = memberEpoch
    }
}

/// A scripted share group.
final class ShareGroupState {
    var topics: [String]
    var groupEpoch: Int32 = 0
    var assignmentEpoch: Int32 = 0
    var members: [ScriptedMember] = []

    init(topics: [String]) { self.topics = topics }

    /// Share states (PROTOCOL.md §4): Empty without members, else Stable.
    var stateName: String { members.isEmpty ? "Empty" : "Stable" }
}

/// A scripted streams group.
final class StreamsGroupState {
    /// Subtopology id → its source topics.
    var subtopologies: [(id: String, sourceTopics: [String])]
    var groupEpoch: Int32 = 0
    var assignmentEpoch: Int32 = 0
    var topologyEpoch: Int32 = 0
    var members: [ScriptedMember] = []
    /// Records per second per active task its members process (commit); 0: offsets stand still.
    var processRatePerSec: Double = 0
    var carry: Double = 0

    init(subtopologies: [(id: String, sourceTopics: [String])]) { self.subtopologies = subtopologies }

    /// Streams states (PROTOCOL.md §4), by the consumer-group rule.
    var stateName: String {
        if members.isEmpty { return "Empty" }
        if groupEpoch > assignmentEpoch { return "Assigning" }
        if members.contains(where: { $0.memberEpoch != assignmentEpoch }) { return "Reconciling" }
        return "Stable"
    }
}

extension SimGroup {
    /// The group type as ListGroups reports it.
    var typeName: String {
        if share != nil { return "share" }
        if streams != nil { return "streams" }
        return type.rawValue
    }

    /// Whether this is a scripted share or streams group (which JoinGroup and
    /// ConsumerGroupHeartbeat must not take over).
    var isShareOrStreams: Bool { share != nil || streams != nil }
}

extension SimKafkaVersion {
    /// ShareGroupDescribe v1 is served from 4.1 (4.0 had only the unstable early-access v0, which a
    /// broker does not advertise by default).
    public var servesShareGroupDescribe: Bool { self >= .v4_1 }

    /// StreamsGroupDescribe v0 is served from 4.2 (unstable, so not advertised, in 4.1).
    public var servesStreamsGroupDescribe: Bool { self >= .v4_2 }
}

extension SimCluster {
    // MARK: - Scenario API

    /// Adds a share group of `members` scripted members subscribed to `topics`. Every partition of
    /// the topics goes to one member, round-robin in partition order (a share group may also give
    /// a partition to several members: see ``shareGroupAssign(_:member:topic:partitions:)``). Group,
    /// assignment and member epochs are all `members` (one bump per join).
    /// - Returns: the member ids, in order.
    @discardableResult
    public func addShareGroup(_ groupID: String, topics names: [String], members count: Int, clientID: String) throws(SimError) -> [String] {
        guard groups[groupID] == nil else { throw .invalidArgument("group \(groupID) already exists") }
        guard count >= 0 else { throw .invalidArgument("a share group needs 0 or more members") }
        for name in names where topics[name] == nil { throw .unknownTopic(name) }
        let share = ShareGroupState(topics: names)
        let epoch = Int32(count)
        share.groupEpoch = epoch
        share.assignmentEpoch = epoch
        for i in 0..<count {
            share.members.append(ScriptedMember(
                memberID: newMemberID(), clientID: "\(clientID)-\(i + 1)", clientHost: "/10.0.3.\(i + 1)", memberEpoch: epoch))
        }
        var next = 0
        for name in names.sorted() {
            for p in 0..<(topics[name]?.partitions.count ?? 0) where count > 0 {
                share.members[next % count].partitions.insert(TopicPartition(topic: name, partition: Int32(p)))
                next += 1
            }
        }
        let g = SimGroup(id: groupID, type: .classic)
        g.share = share
        groups[groupID] = g
        return share.members.map(\.memberID)
    }

    /// Adds `partitions` of `topic` to the assignment of member number `member` (0-based) of share
    /// group `groupID`, as a share assignor may when members outnumber partitions.
    public func shareGroupAssign(_ groupID: String, member: Int, topic: String, partitions: [Int32]) throws(SimError) {
        guard let share = groups[groupID]?.share else { throw .unknownGroup(groupID) }
        guard member >= 0, member < share.members.count else { throw .invalidArgument("share group \(groupID) has no member \(member)") }
        for p in partitions { share.members[member].partitions.insert(TopicPartition(topic: topic, partition: p)) }
    }

    /// Adds a streams group of `members` scripted members running a topology of `subtopologies`
    /// (ids and source topics). Subtopology `s` has one task per partition of its widest source
    /// topic; active tasks go round-robin over the members, each task's standby replica to the
    /// next member (with two or more members), and with `warmup` the last member also warms up the
    /// first member's first active task. Epochs are all `members`; the group is Stable.
    /// - Parameter processRatePerSec: records per second each active task processes (commits);
    ///   0 leaves the committed offsets where the scenario puts them.
    /// - Returns: the member ids, in order.
    @discardableResult
    public func addStreamsGroup(
        _ groupID: String, subtopologies: [(id: String, sourceTopics: [String])], members count: Int, clientID: String,
        warmup: Bool = false, processRatePerSec: Double = 0
    ) throws(SimError) -> [String] {
        guard groups[groupID] == nil else { throw .invalidArgument("group \(groupID) already exists") }
        guard count >= 0 else { throw .invalidArgument("a streams group needs 0 or more members") }
        for s in subtopologies { for name in s.sourceTopics where topics[name] == nil { throw .unknownTopic(name) } }
        let streams = StreamsGroupState(subtopologies: subtopologies)
        let epoch = Int32(count)
        streams.groupEpoch = epoch
        streams.assignmentEpoch = epoch
        streams.topologyEpoch = 0
        streams.processRatePerSec = max(0, processRatePerSec)
        for i in 0..<count {
            streams.members.append(ScriptedMember(
                memberID: newMemberID(), clientID: "\(clientID)-\(i + 1)-StreamThread-1-consumer", clientHost: "/10.0.4.\(i + 1)",
                memberEpoch: epoch))
        }
        var next = 0
        for s in subtopologies where count > 0 {
            let tasks = s.sourceTopics.map { topics[$0]?.partitions.count ?? 0 }.max() ?? 0
            for t in 0..<tasks {
                streams.members[next % count].active[s.id, default: []].append(Int32(t))
                if count > 1 { streams.members[(next + 1) % count].standby[s.id, default: []].append(Int32(t)) }
                next += 1
            }
        }
        if warmup, count > 1, let first = subtopologies.first, let task = streams.members[0].active[first.id]?.first {
            streams.members[count - 1].warmup[first.id, default: []].append(task)
        }
        let g = SimGroup(id: groupID, type: .classic)
        g.streams = streams
        groups[groupID] = g
        return streams.members.map(\.memberID)
    }

    /// Sets the epoch of member number `member` (0-based) of a share or streams group, e.g. below
    /// the assignment epoch to show a member still reconciling.
    public func setScriptedMemberEpoch(_ groupID: String, member: Int, epoch: Int32) throws(SimError) {
        guard let g = groups[groupID], let list = g.share?.members ?? g.streams?.members else { throw .unknownGroup(groupID) }
        guard member >= 0, member < list.count else { throw .invalidArgument("group \(groupID) has no member \(member)") }
        list[member].memberEpoch = epoch
    }

    /// Sets the group epoch and assignment epoch of a share or streams group.
    public func setScriptedGroupEpochs(_ groupID: String, groupEpoch: Int32, assignmentEpoch: Int32) throws(SimError) {
        guard let g = groups[groupID] else { throw .unknownGroup(groupID) }
        if let share = g.share {
            share.groupEpoch = groupEpoch
            share.assignmentEpoch = assignmentEpoch
        } else if let streams = g.streams {
            streams.groupEpoch = groupEpoch
            streams.assignmentEpoch = assignmentEpoch
        } else {
            throw .invalidArgument("group \(groupID) is neither a share nor a streams group")
        }
    }

    // MARK: - Ticking

    /// Streams groups with a process rate commit their active tasks' source partitions forward.
    func runStreamsGroups(now: Int64, elapsedMs: Int64) {
        guard elapsedMs > 0 else { return }
        for g in groupList {
            guard let streams = g.streams, streams.processRatePerSec > 0 else { continue }
            let total = streams.processRatePerSec * Double(elapsedMs) / 1000 + streams.carry
            let step = Int64(total.rounded(.down))
            streams.carry = total - Double(step)
            guard step > 0 else { continue }
            for member in streams.members {
                for s in streams.subtopologies {
                    for task in member.active[s.id] ?? [] {
                        for topic in s.sourceTopics {
                            let tp = TopicPartition(topic: topic, partition: task)
                            guard let log = partitionLog(tp) else { continue }
                            let from = g.offsets[tp]?.offset ?? log.logStartOffset
                            let to = min(log.highWatermark, from + step)
                            guard to != g.offsets[tp]?.offset else { continue }
                            g.offsets[tp] = CommittedOffset(offset: to, leaderEpoch: -1, metadata: nil, commitTimestampMs: now)
                        }
                    }
                }
            }
        }
    }

    // MARK: - Describe

    func shareGroupDescribe(_ req: ShareGroupDescribeRequest, broker: Int32) -> ShareGroupDescribeResponse {
        var resp = ShareGroupDescribeResponse()
        for id in req.groupIDs {
            var d = ShareGroupDescribeResponse.DescribedGroup(groupID: id)
            let share: ShareGroupState
            switch describedGroup(id, broker: broker, typeName: "share", { $0.share }) {
            case .success(let found): share = found
            case .failure(let refusal):
                d.errorCode = refusal.code
                d.errorMessage = refusal.message
                resp.groups.append(d)
                continue
            }
            d.groupState = share.stateName
            d.groupEpoch = share.groupEpoch
            d.assignmentEpoch = share.assignmentEpoch
            d.assignorName = "simple"
            d.members = share.members.sorted { $0.memberID < $1.memberID }.map { m in
                var byTopic: [String: [Int32]] = [:]
                for tp in m.partitions { byTopic[tp.topic, default: []].append(tp.partition) }
                let assignment = ShareGroupDescribeResponse.Assignment(topicPartitions: byTopic.keys.sorted().map { t in
                    .init(topicID: topics[t]?.id ?? .zero, topicName: t, partitions: byTopic[t]!.sorted())
                })
                return ShareGroupDescribeResponse.Member(
                    memberID: m.memberID, memberEpoch: m.memberEpoch, clientID: m.clientID, clientHost: m.clientHost,
                    subscribedTopicNames: share.topics.sorted(), assignment: assignment)
            }
            resp.groups.append(d)
        }
        return resp
    }

    func streamsGroupDescribe(_ req: StreamsGroupDescribeRequest, broker: Int32) -> StreamsGroupDescribeResponse {
        var resp = StreamsGroupDescribeResponse()
        for id in req.groupIDs {
            var d = StreamsGroupDescribeResponse.DescribedGroup(groupID: id)
            let streams: StreamsGroupState
            switch describedGroup(id, broker: broker, typeName: "streams", { $0.streams }) {
            case .success(let found): streams = found
            case .failure(let refusal):
                d.errorCode = refusal.code
                d.errorMessage = refusal.message
                resp.groups.append(d)
                continue
            }
            d.groupState = streams.stateName
            d.groupEpoch = streams.groupEpoch
            d.assignmentEpoch = streams.assignmentEpoch
            d.topology = .init(epoch: streams.topologyEpoch, subtopologies: streams.subtopologies.map { s in
                .init(subtopologyID: s.id, sourceTopics: s.sourceTopics)
            })
            func taskIDs(_ byID: [String: [Int32]]) -> [StreamsGroupDescribeResponse.TaskIds] {
                byID.keys.sorted().map { .init(subtopologyID: $0, partitions: byID[$0]!.sorted()) }
            }
            d.members = streams.members.sorted { $0.memberID < $1.memberID }.map { m in
                let assignment = StreamsGroupDescribeResponse.Assignment(
                    activeTasks: taskIDs(m.active), standbyTasks: taskIDs(m.standby), warmupTasks: taskIDs(m.warmup))
                return StreamsGroupDescribeResponse.Member(
                    memberID: m.memberID, memberEpoch: m.memberEpoch, clientID: m.clientID, clientHost: m.clientHost,
                    topologyEpoch: streams.topologyEpoch, processID: m.memberID, assignment: assignment,
                    targetAssignment: assignment)
            }
            resp.groups.append(d)
        }
        return resp
    }
}

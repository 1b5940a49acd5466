import SeededRandom
import Testing
@testable import GroupModel

/// ``AssemblyMemory``: members built at the last poll are handed out again for groups whose
/// described members are the same storage, and the groups come out as they do without it.
@Suite("AssemblyMemory")
struct AssemblyMemoryTests {
    /// Whether two arrays are one storage.
    static func same<T>(_ a: [T], _ b: [T]) -> Bool { AssemblyMemory.sameStorage(a, b) }

    /// Inputs as the poller passes them: each list sorted by group id, each id once.
    static func sortedPoll(seed: UInt64, groups: Int) -> RandomPoll {
        var poll = RandomPoll(seed: seed, groups: groups)
        func canonical<T>(_ items: [T], _ id: (T) -> String) -> [T] {
            var seen: Set<String> = []
            return items.filter { seen.insert(id($0)).inserted }.sorted { id($0) < id($1) }
        }
        poll.listed = canonical(poll.listed, \.groupID)
        poll.consumer = canonical(poll.consumer, \.groupID)
        poll.classic = canonical(poll.classic, \.groupID)
        poll.committed = canonical(poll.committed, \.groupID)
        return poll
    }

    /// Group "g", listed as a consumer group, described with one settled member "m" (client id "c")
    /// assigned `assignment`.
    static func oneMemberGroup(_ assignment: [TopicPartition]) -> (listed: [ListedGroupInput], consumer: DescribedConsumerGroupInput) {
        let consumer = DescribedConsumerGroupInput(
            groupID: "g", state: .stable, groupEpoch: 2, assignmentEpoch: 2,
            members: [DescribedConsumerGroupInput.Member(
                memberID: "m", memberEpoch: 2, clientID: "c", clientHost: "/h", assignment: assignment, targetAssignment: assignment)])
        return ([ListedGroupInput(groupID: "g", groupType: .consumer)], consumer)
    }

    /// `poll` assembled with `memory` (which it updates) and without any: the two must be equal.
    static func assembled(_ poll: RandomPoll, memory: inout AssemblyMemory) -> (with: [Group], without: [Group]) {
        let with = GroupAssembler.assemble(
            listed: poll.listed, consumerGroups: poll.consumer, classicGroups: poll.classic,
            committed: poll.committed, logOffsets: poll.logs, memory: &memory)
        let without = GroupAssembler.assemble(
            listed: poll.listed, consumerGroups: poll.consumer, classicGroups: poll.classic,
            committed: poll.committed, logOffsets: poll.logs)
        return (with, without)
    }

    /// The next poll of `poll`: each described group keeps its members' storage, gets an equal
    /// copy in new storage, loses or changes a member, or leaves; some group-level fields change.
    static func next(_ poll: RandomPoll, _ g: inout SplitMix64) -> RandomPoll {
        var out = poll
        func change<Member>(_ members: inout [Member], _ edit: (inout Member) -> Void) {
            switch g.below(6) {
            case 0: members = members.map { $0 }  // equal values, new storage
            case 1: if !members.isEmpty { members.removeLast() }
            case 2: if !members.isEmpty { edit(&members[g.below(members.count)]) }
            default: break  // the same storage, as an unchanged answer is read
            }
        }
        for i in out.consumer.indices {
            change(&out.consumer[i].members) { $0.memberEpoch += 1 }
            if g.below(5) == 0 { out.consumer[i].assignmentEpoch += 1 }
        }
        for i in out.classic.indices {
            change(&out.classic[i].members) { m in
                m.subscription = m.subscription.map { s in
                    var s = s
                    s.generationID = (s.generationID ?? 0) + 1
                    return s
                }
                m.assignment = m.assignment == nil ? [] : nil
            }
        }
        // Committed offsets move; sometimes a partition's commit goes.
        for i in out.committed.indices {
            switch g.below(6) {
            case 0: if !out.committed[i].offsets.isEmpty { out.committed[i].offsets.removeLast() }
            case 1, 2, 3:
                for k in out.committed[i].offsets.indices {
                    out.committed[i].offsets[k].offset = out.committed[i].offsets[k].offset.map { $0 + Int64(g.below(3)) }
                }
            default: break
            }
        }
        // Log ends move; sometimes a partition goes, or an error comes.
        for k in out.logs.indices { out.logs[k].logEnd = out.logs[k].logEnd.map { $0 + Int64(g.below(4)) } }
        if g.below(4) == 0, !out.logs.isEmpty { out.logs.remove(at: g.below(out.logs.count)) }
        if g.below(4) == 0, !out.logs.isEmpty {
            out.logs[g.below(out.logs.count)].error = ItemError(code: 6, name: "NOT_LEADER_OR_FOLLOWER", message: nil)
        }
        if g.below(3) == 0, !out.consumer.isEmpty { out.consumer.remove(at: g.below(out.consumer.count)) }
        if g.below(3) == 0, !out.classic.isEmpty { out.classic.remove(at: g.below(out.classic.count)) }
        return out
    }

    @Test("Polls with members kept, copied, changed and gone, and offsets moving, give the groups assembled without memory")
    func agreesWithoutMemory() {
        var reused = 0
        var replayed = 0
        for seed in UInt64(1)...30 { Self.run(seed: seed, reused: &reused, replayed: &replayed) }
        #expect(reused > 30, "members were handed out again")
        #expect(replayed > 30, "row plans were replayed")
    }

    /// Eight polls of a random estate, each assembled with and without memory.
    static func run(seed: UInt64, reused: inout Int, replayed: inout Int) {
        var g = SplitMix64(seed: seed &* 7919)
        var poll = sortedPoll(seed: seed, groups: Int(seed % 19) + 8)
        var memory = AssemblyMemory()
        var lastPoll: RandomPoll?
        var lastGroups: [Group] = []
        for _ in 0..<8 {
            let entriesBefore = memory.entries
            let (with, without) = Self.assembled(poll, memory: &memory)
            #expect(with == without, "seed \(seed)")
            // One entry per described group, in id order: groups gone are forgotten.
            let described = Set(poll.consumer.map(\.groupID)).union(poll.classic.map(\.groupID))
            #expect(memory.groupCount == described.count)
            #expect(memory.entries.map(\.groupID) == described.sorted())
            // Members described with the last poll's storage are the last poll's members. A group
            // described both ways is built from its consumer description.
            if let lastPoll {
                func expectReused(_ groupID: String, described sameStorage: Bool) {
                    guard sameStorage, let now = with.first(where: { $0.groupID == groupID }), !now.members.isEmpty,
                          let then = lastGroups.first(where: { $0.groupID == groupID })
                    else { return }
                    #expect(Self.same(now.members, then.members), "group \(groupID)")
                    reused += 1
                }
                for c in poll.consumer {
                    let before = lastPoll.consumer.first { $0.groupID == c.groupID }
                    expectReused(c.groupID, described: before.map { Self.same($0.members, c.members) } ?? false)
                }
                for c in poll.classic
                where !poll.consumer.contains(where: { $0.groupID == c.groupID }) && !lastPoll.consumer.contains(where: { $0.groupID == c.groupID }) {
                    let before = lastPoll.classic.first { $0.groupID == c.groupID }
                    expectReused(c.groupID, described: before.map { Self.same($0.members, c.members) } ?? false)
                }
            }
            // A group whose members were handed out again, with commits of the same partitions and
            // the same log partitions, has its rows laid out by the last poll's plan.
            if let lastPoll, lastPoll.logs.map(\.topicPartition) == poll.logs.map(\.topicPartition) {
                for entry in memory.entries {
                    guard let before = entriesBefore.first(where: { $0.groupID == entry.groupID }), Self.same(before.members, entry.members),
                          !entry.members.isEmpty,
                          lastPoll.committed.first(where: { $0.groupID == entry.groupID })?.offsets.map(\.topicPartition)
                              == poll.committed.first(where: { $0.groupID == entry.groupID })?.offsets.map(\.topicPartition),
                          let planBefore = before.plan?.rows, let plan = entry.plan?.rows, !plan.isEmpty
                    else { continue }
                    #expect(Self.same(planBefore, plan), "group \(entry.groupID): plan replayed")
                    replayed += 1
                }
            }
            lastPoll = poll
            lastGroups = with
            poll = next(poll, &g)
        }
    }

    @Test("Members labelled and taken back are handed out labelled, uncopied by the labeler, and label as without memory")
    func adoptedLabels() {
        var adopted = 0
        for seed in UInt64(1)...20 {
            var g = SplitMix64(seed: seed &* 104_729)
            var poll = Self.sortedPoll(seed: seed, groups: Int(seed % 13) + 6)
            var memory = AssemblyMemory()
            var labeler = MemberLabeler()
            var reference = MemberLabeler()
            for step in 0..<8 {
                // Groups set after creating the snapshot, as the poller does (the initializer would
                // sort copies of them).
                func snapshot(_ groups: [Group]) -> ClusterSnapshot {
                    var snapshot = ClusterSnapshot(takenAt: Int64(step), pollDurationMs: 1, cluster: ClusterInfo())
                    snapshot.groups = groups
                    return snapshot
                }
                let assembled = Self.assembled(poll, memory: &memory)
                var with = snapshot(assembled.with)
                var without = snapshot(assembled.without)
                // What the memory handed out before labelling, by group.
                let handedOut = Dictionary(uniqueKeysWithValues: memory.entries.map { ($0.groupID, $0.members) })
                labeler.label(&with)
                reference.label(&without)
                #expect(with.groups == without.groups, "seed \(seed), poll \(step)")
                // A group handed out labelled members keeps them: the labeler had nothing to write.
                for group in with.groups where !group.members.isEmpty {
                    guard let members = handedOut[group.groupID], members.allSatisfy({ $0.label != nil }) else { continue }
                    #expect(Self.same(members, group.members), "seed \(seed), group \(group.groupID): labelled in place")
                    adopted += 1
                }
                memory.adoptLabels(of: with.groups)
                // The memory now holds the snapshot's own members wherever it built them.
                for entry in memory.entries {
                    guard let group = with.groups.first(where: { $0.groupID == entry.groupID }) else { continue }
                    #expect(Self.same(entry.members, group.members) || !AssemblyMemory.equalButLabels(entry.members, group.members))
                }
                poll = Self.next(poll, &g)
            }
        }
        #expect(adopted > 20, "labelled members were handed out again")
    }

    @Test("Members that differ beyond their labels are not taken back")
    func adoptOnlyLabels() {
        let tp = TopicPartition(topic: "t", partition: 0)
        let logs = [LogOffsetsInput(topicPartition: tp, logStart: 0, logEnd: 5)]
        let (listed, consumer) = Self.oneMemberGroup([tp])
        var memory = AssemblyMemory()
        var groups = GroupAssembler.assemble(listed: listed, consumerGroups: [consumer], logOffsets: logs, memory: &memory)
        groups[0].members[0].label = "c"
        groups[0].members[0].clientID = "other"
        memory.adoptLabels(of: groups)
        let again = GroupAssembler.assemble(listed: listed, consumerGroups: [consumer], logOffsets: logs, memory: &memory)
        #expect(again == GroupAssembler.assemble(listed: listed, consumerGroups: [consumer], logOffsets: logs))
        #expect(again[0].members[0].label == nil)
        groups[0].members[0].clientID = "c"
        memory.adoptLabels(of: groups)
        let labelled = GroupAssembler.assemble(listed: listed, consumerGroups: [consumer], logOffsets: logs, memory: &memory)
        #expect(labelled[0].members[0].label == "c")
        #expect(Self.same(labelled[0].members, groups[0].members))
    }

    @Test("Commits naming other partitions, or one partition twice, are laid out anew and agree with no memory")
    func commitsChange() {
        let t0 = TopicPartition(topic: "t", partition: 0), t1 = TopicPartition(topic: "t", partition: 1)
        let t2 = TopicPartition(topic: "t", partition: 2)
        let logs = [t0, t1, t2].map { LogOffsetsInput(topicPartition: $0, logStart: 0, logEnd: 9) }
        let (listed, consumer) = Self.oneMemberGroup([t0, t1])
        func commits(_ partitions: [TopicPartition]) -> [CommittedOffsetsInput] {
            [CommittedOffsetsInput(groupID: "g", offsets: partitions.enumerated().map { CommittedOffsetsInput.Offset(topicPartition: $1, offset: Int64($0 + 1)) })]
        }
        // Each poll's commits; the members are the same storage throughout.
        let polls: [[TopicPartition]] = [[t0, t1], [t0, t1], [t0, t2], [t0, t0, t1], [t2, t0, t1], [t2, t0, t1], [t0, t1]]
        var memory = AssemblyMemory()
        var planned: [Bool] = []
        for partitions in polls {
            let with = GroupAssembler.assemble(
                listed: listed, consumerGroups: [consumer], committed: commits(partitions), logOffsets: logs, memory: &memory)
            let without = GroupAssembler.assemble(listed: listed, consumerGroups: [consumer], committed: commits(partitions), logOffsets: logs)
            #expect(with == without, "commits \(partitions)")
            planned.append(memory.entries.first?.plan != nil)
        }
        // A partition committed twice leaves no plan to replay; distinct ones do.
        #expect(planned == [true, true, true, false, true, true, true])
    }

    @Test("A group whose members move from a classic to a consumer description is built again")
    func kindChange() {
        let tp = TopicPartition(topic: "t", partition: 0)
        let logs = [LogOffsetsInput(topicPartition: tp, logStart: 0, logEnd: 5)]
        let classic = DescribedClassicGroupInput(
            groupID: "g", state: .stable,
            members: [DescribedClassicGroupInput.Member(memberID: "m", clientID: "c", clientHost: "/h", assignment: [tp])])
        let (listed, consumer) = Self.oneMemberGroup([tp])
        var memory = AssemblyMemory()
        let first = GroupAssembler.assemble(listed: listed, classicGroups: [classic], logOffsets: logs, memory: &memory)
        let second = GroupAssembler.assemble(listed: listed, consumerGroups: [consumer], logOffsets: logs, memory: &memory)
        #expect(first == GroupAssembler.assemble(listed: listed, classicGroups: [classic], logOffsets: logs))
        #expect(second == GroupAssembler.assemble(listed: listed, consumerGroups: [consumer], logOffsets: logs))
        #expect(second[0].members[0].memberType == .consumer)
        // Unsorted inputs are assembled without the memory, which is emptied.
        _ = GroupAssembler.assemble(
            listed: listed + listed, consumerGroups: [consumer], logOffsets: logs, memory: &memory)
        #expect(memory.groupCount == 0)
    }
}

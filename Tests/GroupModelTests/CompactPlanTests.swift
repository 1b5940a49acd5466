import SeededRandom
import Testing
@testable import GroupModel

/// The compact forms ``AssemblyMemory`` keeps: ``RowPlan`` rows that name their partitions through
/// the log inputs (keeping only the partitions of rows without log offsets), and ``LogLayout``,
/// the log inputs' partitions as runs. Replaying with them must give the groups assembled without
/// memory, whatever moves between polls.
@Suite("AssemblyMemory: compact row plans and log layout")
struct CompactPlanTests {
    @Test("A plan row is 16 bytes and gives back what it was made of")
    func rowStride() {
        #expect(MemoryLayout<RowPlan.Row>.stride == 16)
        #expect(MemoryLayout<RowPlan.Row>.size == 16)
        for log: Int32 in [-1, 0, 7, Int32.max] {
            for unlisted: Int? in [nil, 0, 5] where (log < 0) == (unlisted != nil) {
                for owner: Int32 in [-1, 0, 3, Int32(RowPlan.memberLimit - 1)] {
                    for (consumed, ownerHasTarget) in [(false, false), (true, false), (false, true), (true, true)] {
                        let row = RowPlan.Row(
                            log: log, unlisted: unlisted, commit: owner + 1, owner: owner, ownerHasTarget: ownerHasTarget,
                            target: owner - 1, consumed: consumed)
                        #expect(row.log == log)
                        #expect(row.unlisted == unlisted)
                        #expect(row.owner == owner)
                        #expect(row.ownerHasTarget == ownerHasTarget)
                        #expect(row.commit == owner + 1)
                        #expect(row.target == owner - 1)
                        #expect(row.consumed == consumed)
                    }
                }
            }
        }
    }

    /// Log inputs of `partitions`, in that order.
    static func logs(_ partitions: [TopicPartition]) -> [LogOffsetsInput] {
        partitions.map { LogOffsetsInput(topicPartition: $0, logStart: 0, logEnd: 10) }
    }

    @Test("A log layout matches exactly the inputs naming the same partitions in the same order")
    func layoutMatchesExactly() {
        func tp(_ topic: String, _ p: Int32) -> TopicPartition { TopicPartition(topic: topic, partition: p) }
        // Lists that differ only where runs meet, or in one place.
        let lists: [[TopicPartition]] = [
            [], [tp("a", 0)], [tp("a", 0), tp("a", 1)], [tp("a", 0), tp("a", 1), tp("b", 2)], [tp("a", 0), tp("a", 1), tp("a", 2)],
            [tp("a", 0), tp("b", 1)], [tp("a", 1), tp("a", 0)], [tp("a", 0), tp("a", 0)], [tp("a", 0), tp("a", 2)],
            [tp("a", Int32.max - 1), tp("a", Int32.max)], [tp("a", Int32.max), tp("a", Int32.min)], [tp("a", -1), tp("a", 0)],
            [tp("b", 0), tp("b", 1)], [tp("", 0), tp("", 1)], [tp("a", 0), tp("a", 1), tp("a", 0), tp("a", 1)],
        ]
        for a in lists {
            let layout = LogLayout(Self.logs(a))
            #expect(layout.count == a.count)
            for b in lists { #expect(layout.matches(Self.logs(b)) == (a == b), "\(a) against \(b)") }
        }
        // Random lists and edits of them.
        var g = SplitMix64(seed: 4242)
        var compared = 0
        for round in 0..<400 {
            let names = ["orders", "payments", "a.b-c_d", "t0", "t1"]
            var base: [TopicPartition] = []
            for name in names where g.below(4) > 0 {
                let count = g.below(6) + 1
                for p in 0..<count where g.below(8) > 0 { base.append(tp(name, Int32(p))) }
            }
            if round % 3 == 1 { base.shuffle(using: &g) }
            if round % 5 == 2, let first = base.first { base.append(first) }
            var other = base
            switch g.below(9) {
            case 0: break  // the same partitions
            case 1:  // the same names in other strings
                other = other.map { tp(String($0.topic.utf8.map { Character(Unicode.Scalar($0)) }), $0.partition) }
            case 2:  // one topic renamed, its partition count kept
                if let victim = other.randomElement(using: &g)?.topic {
                    other = other.map { $0.topic == victim ? tp(victim + "-renamed", $0.partition) : $0 }
                }
            case 3: if !other.isEmpty { other.remove(at: g.below(other.count)) }  // a partition goes
            case 4:  // a partition comes
                let at = g.below(other.count + 1)
                other.insert(tp(names[g.below(names.count)], Int32(g.below(8))), at: at)
            case 5:  // two partitions swap
                if other.count > 1 { other.swapAt(g.below(other.count), g.below(other.count)) }
            case 6: if !other.isEmpty { other[g.below(other.count)].partition += 1 }
            case 7: if !other.isEmpty { other[g.below(other.count)].topic = names[g.below(names.count)] }
            default: other.reverse()
            }
            let layout = LogLayout(Self.logs(base))
            #expect(layout.matches(Self.logs(other)) == (base == other), "round \(round)")
            #expect(layout.matches(Self.logs(base)))
            if base != other { compared += 1 }
        }
        #expect(compared > 200)
        // Sorted dense partitions, as the poller passes them: one run per topic.
        let dense = ["a", "b", "c"].flatMap { name in (0..<Int32(50)).map { tp(name, $0) } }
        #expect(LogLayout(Self.logs(dense)).runs.count == 3)
    }

    /// The next poll of `poll` with what a plain ``AssemblyMemoryTests/next(_:_:)`` does, and more
    /// that moves the layout: topics renamed with their partition counts kept, partitions
    /// appearing and disappearing, commits reordered, moved to other partitions (some of topics
    /// with no log offsets) or doubled. The members mostly keep their storage, so that plans laid
    /// out before are offered for replay under every change.
    static func reshaped(_ poll: RandomPoll, _ g: inout SplitMix64) -> RandomPoll {
        var out = AssemblyMemoryTests.next(poll, &g)
        let topics = Array(Set(out.logs.map(\.topicPartition.topic))).sorted()
        switch g.below(6) {
        case 0:  // a topic renamed (in the log offsets only, or in the commits as well)
            if let victim = topics.randomElement(using: &g) {
                let renamed = victim == "orders" ? "zz-orders" : "orders"
                if !topics.contains(renamed) {
                    for k in out.logs.indices where out.logs[k].topicPartition.topic == victim { out.logs[k].topicPartition.topic = renamed }
                    if g.below(2) == 0 {
                        for i in out.committed.indices {
                            for k in out.committed[i].offsets.indices where out.committed[i].offsets[k].topicPartition.topic == victim {
                                out.committed[i].offsets[k].topicPartition.topic = renamed
                            }
                        }
                    }
                    out.logs.sort { $0.topicPartition < $1.topicPartition }
                }
            }
        case 1:  // a partition appears at the end of a topic
            if let topic = topics.randomElement(using: &g) {
                let next = (out.logs.filter { $0.topicPartition.topic == topic }.map(\.topicPartition.partition).max() ?? -1) + 1
                out.logs.append(LogOffsetsInput(topicPartition: TopicPartition(topic: topic, partition: next), logStart: 0, logEnd: 40))
                out.logs.sort { $0.topicPartition < $1.topicPartition }
            }
        case 2:  // a topic's log offsets disappear
            if let topic = topics.randomElement(using: &g) { out.logs.removeAll { $0.topicPartition.topic == topic } }
        default: break
        }
        let elsewhere = ["t0", "t3", "gone", "a-none", "zz"]
        for i in out.committed.indices where !out.committed[i].offsets.isEmpty {
            let n = out.committed[i].offsets.count
            switch g.below(8) {
            case 0: out.committed[i].offsets.shuffle(using: &g)
            case 1: out.committed[i].offsets[g.below(n)].topicPartition.partition += 1
            case 2:
                out.committed[i].offsets[g.below(n)].topicPartition =
                    TopicPartition(topic: elsewhere[g.below(elsewhere.count)], partition: Int32(g.below(3)))
            case 3: out.committed[i].offsets.append(out.committed[i].offsets[g.below(n)])
            default: break
            }
        }
        return out
    }

    @Test("Polls whose layout, commits and topics move give the groups assembled without memory")
    func reshapedPolls() {
        var replayed = 0
        var replayedUnlisted = 0
        var layoutChanges = 0
        for seed in UInt64(1)...16 {
            var g = SplitMix64(seed: seed &* 6151)
            var poll = AssemblyMemoryTests.sortedPoll(seed: seed + 100, groups: Int(seed % 11) + 10)
            var memory = AssemblyMemory()
            for step in 0..<14 {
                let layoutBefore = memory.layout
                // Each group's plan rows before the call: a plan replayed keeps its storage.
                let plansBefore = Dictionary(uniqueKeysWithValues: memory.entries.compactMap { e in e.plan.map { (e.groupID, $0.rows) } })
                let (with, without) = AssemblyMemoryTests.assembled(poll, memory: &memory)
                #expect(with == without, "seed \(seed), poll \(step)")
                if step > 0, memory.layout != layoutBefore { layoutChanges += 1 }
                for entry in memory.entries {
                    guard let plan = entry.plan, let before = plansBefore[entry.groupID], !plan.rows.isEmpty,
                          AssemblyMemory.sameStorage(before, plan.rows)
                    else { continue }
                    replayed += 1
                    // A row with a commit on a partition no log offsets name: checked through `unlisted`.
                    if plan.rows.contains(where: { $0.unlisted != nil && $0.commit >= 0 }) { replayedUnlisted += 1 }
                }
                poll = Self.reshaped(poll, &g)
            }
        }
        #expect(replayed > 50, "plans were replayed")
        #expect(replayedUnlisted > 5, "plans with commits on partitions no log offsets name were replayed")
        #expect(layoutChanges > 20, "the log layout changed")
    }

    /// A consumer group of one member (the same storage every poll) owning `assigned`.
    static func group(_ assigned: [TopicPartition]) -> (listed: [ListedGroupInput], consumer: [DescribedConsumerGroupInput]) {
        let consumer = DescribedConsumerGroupInput(
            groupID: "g", state: .stable, groupEpoch: 2, assignmentEpoch: 2,
            members: [DescribedConsumerGroupInput.Member(
                memberID: "m", memberEpoch: 2, clientID: "c", clientHost: "/h", assignment: assigned, targetAssignment: assigned)])
        return ([ListedGroupInput(groupID: "g", groupType: .consumer)], [consumer])
    }

    /// The committed offsets of group "g" on `partitions`, in that order.
    static func commits(_ partitions: [TopicPartition]) -> [CommittedOffsetsInput] {
        [CommittedOffsetsInput(groupID: "g", offsets: partitions.enumerated().map {
            CommittedOffsetsInput.Offset(topicPartition: $1, offset: Int64($0 + 1))
        })]
    }

    @Test("Commits moving between partitions no log offsets name are checked against the kept partitions")
    func unlistedCommitsMove() {
        let t0 = TopicPartition(topic: "t", partition: 0), t1 = TopicPartition(topic: "t", partition: 1)
        // Partition 7 of t, and the topics x and a, have no log offsets.
        let t7 = TopicPartition(topic: "t", partition: 7)
        let x0 = TopicPartition(topic: "x", partition: 0), a0 = TopicPartition(topic: "a", partition: 0)
        let x1 = TopicPartition(topic: "x", partition: 1)
        let logs = Self.logs([t0, t1])
        let (listed, consumer) = Self.group([t0, t7])
        let polls: [[TopicPartition]] = [[t0, x0], [t0, x0], [t0, a0], [t0, a0], [t0, x1], [x1, t0], [t1, x1], [t7, x1], [t7, x1], [t0, x0]]
        var memory = AssemblyMemory()
        var replays: [Bool] = []
        var lastRows: [RowPlan.Row]?
        for partitions in polls {
            let with = GroupAssembler.assemble(
                listed: listed, consumerGroups: consumer, committed: Self.commits(partitions), logOffsets: logs, memory: &memory)
            let without = GroupAssembler.assemble(listed: listed, consumerGroups: consumer, committed: Self.commits(partitions), logOffsets: logs)
            #expect(with == without, "commits \(partitions)")
            let rows = memory.entries.first?.plan?.rows
            replays.append(rows.map { r in lastRows.map { AssemblyMemory.sameStorage($0, r) } ?? false } ?? false)
            lastRows = rows
        }
        // Replayed only when the commits name the same partitions in the same order as the poll before.
        #expect(replays == [false, true, false, true, false, false, false, false, true, false])
        // The rows: t0 and t7 (owned), and those committed; the partitions without log offsets kept.
        #expect(memory.entries.first?.plan?.unlisted == [t7, x0])
    }

    @Test("A topic renamed with its partition count kept is a new layout: the rows are laid out anew")
    func renamedTopic() {
        func partitions(_ topic: String) -> [TopicPartition] { (0..<Int32(3)).map { TopicPartition(topic: topic, partition: $0) } }
        let t = partitions("t"), u = partitions("u")
        let (listed, consumer) = Self.group([t[0], t[1]])
        // (log offsets, commits) of each poll; the members are the same storage throughout.
        let polls: [([TopicPartition], [TopicPartition])] = [(t, [t[0], t[1]]), (u, [u[0], u[1]]), (u, [u[0], u[1]]), (t, [u[0], u[1]]), (t, [t[0], t[1]])]
        var memory = AssemblyMemory()
        var layouts: [Int] = []
        for (logPartitions, committed) in polls {
            let logs = Self.logs(logPartitions)
            let with = GroupAssembler.assemble(
                listed: listed, consumerGroups: consumer, committed: Self.commits(committed), logOffsets: logs, memory: &memory)
            let without = GroupAssembler.assemble(listed: listed, consumerGroups: consumer, committed: Self.commits(committed), logOffsets: logs)
            #expect(with == without, "logs of \(logPartitions[0].topic), commits \(committed)")
            layouts.append(memory.layout)
        }
        #expect(layouts == [1, 2, 2, 3, 3])
    }
}

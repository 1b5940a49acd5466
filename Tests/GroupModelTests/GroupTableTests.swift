import SeededRandom
import Testing
@testable import GroupModel

/// The per-group state carried by position (``GroupTable``) and the time lags kept by row
/// (``PartitionTimeLags``) against the tables keyed by group id and by partition they replace.
@Suite("Per-group and per-row tables")
struct GroupTableTests {
    /// A list of group ids: mostly sorted and unique as snapshots keep them, now and then out of
    /// order or with an id listed twice; groups come and go.
    private static func groupIDs(_ random: inout SplitMix64) -> [String] {
        var ids = (0..<12).filter { _ in random.below(100) >= 25 }.map { "group-\($0 < 10 ? "0" : "")\($0)" }
        if random.below(100) < 15, !ids.isEmpty { ids.append(ids[random.below(ids.count)]) }
        if random.below(100) < 15 { ids.shuffle(using: &random) }
        return ids
    }

    @Test("A table carried by position holds what a table keyed by id holds, poll after poll")
    func groupTableMatchesDictionary() {
        var random = SplitMix64(seed: 17)
        for run in 0..<40 {
            var table = GroupTable<[Int]>()
            // The old rule, with a dictionary: the first listing of an id takes over its entry, a
            // later listing starts afresh, the last listing's entry is kept; ids not listed go.
            var reference: [String: [Int]] = [:]
            for poll in 0..<30 {
                let ids = Self.groupIDs(&random)
                let groups = ids.map { Group(groupID: $0, type: .consumer, state: .stable) }
                var seen: [Int: [Int]] = [:]
                table.update(groups, make: { [] }) { g, entry in
                    entry.append(poll * 100 + g)
                    seen[g] = entry
                }
                var next: [String: [Int]] = [:]
                for (g, id) in ids.enumerated() {
                    var entry = (next[id] == nil ? reference[id] : nil) ?? []
                    entry.append(poll * 100 + g)
                    #expect(seen[g] == entry, "run \(run) poll \(poll) group \(g) \(id)")
                    next[id] = entry
                }
                reference = next
                #expect(table.ids == reference.keys.sorted(), "run \(run) poll \(poll)")
                #expect(table.count == reference.count)
                for id in reference.keys { #expect(table[id] == reference[id], "run \(run) poll \(poll) \(id)") }
                #expect(table["absent"] == nil)
                for (g, id) in ids.enumerated() {
                    #expect(table.index(ofGroupAt: g, id: id).map { table.ids[$0] } == id, "run \(run) poll \(poll) \(g)")
                }
            }
        }
    }

    @Test("The history's rings by position: repeated and unsorted group ids keep the last listing's ring")
    func historyWithRepeatedIDs() {
        let tp = TopicPartition(topic: "t", partition: 0)
        func group(_ id: String, committed: Int64) -> Group {
            Group(groupID: id, type: .consumer, state: .stable,
                  partitions: [GroupPartition(topicPartition: tp, committedOffset: committed, lag: .known(1), handoff: .settled)])
        }
        var history = History(capacity: 4)
        history.record(ClusterSnapshot(takenAt: 0, pollDurationMs: 1, cluster: ClusterInfo(), groups: [group("a", committed: 1), group("b", committed: 2)]))
        history.record(ClusterSnapshot(takenAt: 1000, pollDurationMs: 1, cluster: ClusterInfo(),
                                       groups: [group("b", committed: 3), group("a", committed: 4), group("b", committed: 5)]))
        // "a" kept its ring; "b" listed twice started afresh with its last listing.
        #expect(history.observations(groupID: "a", topicPartition: tp).map(\.committed) == [1, 4])
        #expect(history.observations(groupID: "b", topicPartition: tp).map(\.committed) == [5])
        history.record(ClusterSnapshot(takenAt: 2000, pollDurationMs: 1, cluster: ClusterInfo(), groups: [group("b", committed: 6)]))
        #expect(history.observations(groupID: "a", topicPartition: tp).isEmpty)
        #expect(history.observations(groupID: "b", topicPartition: tp).map(\.committed) == [5, 6])
        #expect(history.retainedCounts.groups == 1)
    }

    @Test("A snapshot counts its groups' partition rows")
    func groupPartitionCount() {
        func group(_ id: String, partitions: Int) -> Group {
            Group(groupID: id, type: .consumer, state: .stable, partitions: (0..<partitions).map {
                GroupPartition(topicPartition: TopicPartition(topic: id, partition: Int32($0)), lag: .known(0), handoff: .settled)
            })
        }
        #expect(ClusterSnapshot(takenAt: 0, pollDurationMs: 1, cluster: ClusterInfo()).groupPartitionCount == 0)
        let snapshot = ClusterSnapshot(takenAt: 0, pollDurationMs: 1, cluster: ClusterInfo(),
                                       groups: [group("a", partitions: 2), group("b", partitions: 0), group("c", partitions: 3)])
        #expect(snapshot.groupPartitionCount == 5)
    }

    @Test("Time lags kept by row answer as the table by partition: lookups, counts, values, equality")
    func partitionTimeLagsMatchDictionary() {
        var random = SplitMix64(seed: 5)
        let lagChoices: [TimeLag] = [
            .known(seconds: 0, method: .caughtUp), .known(seconds: 1.5, method: .interpolation), .known(seconds: 9, method: .lowerBound),
            .known(seconds: 4, method: .recordTimestamp), .unknown(reason: "no committed offset"),
        ]
        for run in 0..<300 {
            // Rows as a group keeps them (sorted), or out of order, or with a partition listed twice.
            var tps: [TopicPartition] = []
            for t in 0..<(1 + random.below(3)) {
                for p in 0..<random.below(6) where random.below(100) >= 20 { tps.append(TopicPartition(topic: "topic-\(t)", partition: Int32(p))) }
            }
            let shape = random.below(10)
            if shape == 0 { tps.shuffle(using: &random) }
            if shape == 1, !tps.isEmpty { tps.insert(tps[random.below(tps.count)], at: random.below(tps.count)) }
            let rows = tps.map { GroupPartition(topicPartition: $0, committedOffset: 1, lag: .known(1), handoff: .settled) }
            let lags = rows.map { _ in lagChoices[random.below(lagChoices.count)] }
            var table: [TopicPartition: TimeLag] = [:]
            for i in rows.indices { table[rows[i].topicPartition] = lags[i] }
            let byRow = PartitionTimeLags(rows: rows, lags: lags)
            for tp in tps + [TopicPartition(topic: "topic-0", partition: 99), TopicPartition(topic: "other", partition: 0)] {
                #expect(byRow[tp] == table[tp], "run \(run) \(tp)")
            }
            #expect(byRow.count == table.count, "run \(run)")
            #expect(byRow.isEmpty == table.isEmpty)
            #expect(byRow.dictionary == table)
            #expect(byRow.values.map(\.description).sorted() == table.values.map(\.description).sorted(), "run \(run)")
            #expect(TimeLag.groupMaximum(byRow.values)?.seconds == TimeLag.groupMaximum(table.values)?.seconds)
            let explicit = PartitionTimeLags(table)
            #expect(byRow == explicit, "run \(run)")
            #expect(byRow.hashValue == explicit.hashValue)
            #expect(byRow.description == table.description || byRow.count > 1)
            if let first = tps.first, table.count > 0 {
                var other = table
                other[first] = .unknown(reason: "changed")
                #expect(byRow != PartitionTimeLags(other), "run \(run)")
            }
        }
        let literal: PartitionTimeLags = [TopicPartition(topic: "t", partition: 0): .known(seconds: 2, method: .interpolation)]
        #expect(literal[TopicPartition(topic: "t", partition: 0)] == .known(seconds: 2, method: .interpolation))
        #expect(PartitionTimeLags().isEmpty)
    }
}

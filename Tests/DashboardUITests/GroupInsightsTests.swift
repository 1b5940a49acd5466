import Testing
@testable import DashboardUI
@testable import GroupModel

/// The feed's per-poll structures: ``GroupInsights`` (read as the table of insights by group id it
/// stands for), the lag trends walked in group order, and the figures counted without formatting.
@Suite("Group insights")
struct GroupInsightsTests {
    static func tp(_ p: Int32) -> TopicPartition { TopicPartition(topic: "orders", partition: p) }

    static let table: [String: GroupInsight] = [
        "payments": GroupInsight(verdict: .warn, verdictReason: "lag grew", maxTimeLagMs: 4_000, lagTrend: [3, 4, 5]),
        "audit": GroupInsight(verdict: .ok, lagTrend: [], lastRebalanceAt: 77),
        "orders": GroupInsight(maxTimeLagMs: 18_000, maxTimeLagIsBound: true, lagTrend: [9], members: ["m1": MemberInsight(stuck: true)], recentlyLeft: ["gone"]),
        "zeta": GroupInsight(lagTrend: [1, 1, 2, 3, 5, 8]),
    ]

    @Test("Insights read like the table they stand for, whatever order they were added in")
    func readsLikeATable() {
        let insights = GroupInsights(Self.table)
        #expect(insights.count == Self.table.count)
        #expect(insights.isStrictlyAscending)
        for (id, insight) in Self.table { #expect(insights[id] == insight) }
        #expect(insights["absent"] == nil)
        #expect(insights.dictionary == Self.table)

        var reversed = GroupInsights()
        for id in Self.table.keys.sorted(by: >) { reversed.append(id, Self.table[id]!) }
        #expect(!reversed.isStrictlyAscending)
        #expect(reversed == insights)
        #expect(reversed.hashValue == insights.hashValue)
        for (id, insight) in Self.table { #expect(reversed[id] == insight) }

        var other = Self.table
        other["zeta"]?.lagTrend.append(13)
        #expect(GroupInsights(other) != insights)
    }

    @Test("An id added twice keeps its last insight, as a table would; an id is found at its place or elsewhere")
    func duplicatesKeepTheLast() {
        var insights = GroupInsights()
        insights.append("a", GroupInsight(verdict: .ok, lagTrend: [1]))
        insights.append("b", GroupInsight(verdict: .warn, lagTrend: [2]))
        #expect(insights.isStrictlyAscending)
        #expect(insights.entryIndex(of: "b", at: 1) == 1)
        #expect(insights.entryIndex(of: "b", at: 0) == 1)
        #expect(insights.entryIndex(of: "c", at: 1) == nil)
        insights.append("a", GroupInsight(verdict: .stall, lagTrend: [3, 4]))
        #expect(!insights.isStrictlyAscending)
        #expect(insights.count == 2)
        #expect(insights["a"] == GroupInsight(verdict: .stall, lagTrend: [3, 4]))
        #expect(insights.entryIndex(of: "a", at: 0) == 2)
        #expect(insights.dictionary == ["a": GroupInsight(verdict: .stall, lagTrend: [3, 4]), "b": GroupInsight(verdict: .warn, lagTrend: [2])])
    }

    static func group(_ id: String, lag: Int64) -> Group {
        var group = Group(groupID: id, type: .consumer, state: .stable, partitions: [
            GroupPartition(topicPartition: tp(0), committedOffset: 5, lag: .known(lag), handoff: .notAssigned),
        ])
        group.recomputeDerived()
        return group
    }

    static func ingest(_ feed: inout DashboardFeed, _ groups: [Group], at: Int64, failure: String? = nil) -> DashboardUpdate {
        feed.ingest(
            snapshot: ClusterSnapshot(takenAt: at, pollDurationMs: 1, cluster: ClusterInfo(), groups: groups),
            events: [], episodeEvents: [], openEpisodes: [], finishedEpisodes: [], verdicts: [:], newErrors: [],
            failure: failure, at: at)
    }

    @Test("Lag trends follow each group whatever the snapshot's order; a group gone loses its trend; a failed poll adds none")
    func trendsFollowGroups() {
        // Per poll, the groups present and their lags; `b` misses poll 2, `d` arrives at poll 3.
        let polls: [[(String, Int64)]] = [
            [("a", 1), ("b", 10), ("c", 100)],
            [("a", 2), ("c", 200)],
            [("a", 3), ("b", 30), ("c", 300), ("d", 3_000)],
            [("a", 4), ("b", 40), ("c", 400), ("d", 4_000)],
        ]
        var ascending = DashboardFeed()
        var shuffled = DashboardFeed()
        var duplicated = DashboardFeed()
        ascending.trendCapacity = 3
        shuffled.trendCapacity = 3
        duplicated.trendCapacity = 3
        var last: DashboardUpdate?
        for (n, poll) in polls.enumerated() {
            let groups = poll.map { Self.group($0.0, lag: $0.1) }
            let at = Int64(n + 1) * 1_000
            let a = Self.ingest(&ascending, groups, at: at)
            let s = Self.ingest(&shuffled, groups.reversed(), at: at)
            #expect(a.insights.isStrictlyAscending)
            #expect(a.insights == s.insights)
            #expect(ascending.retainedCounts["trends"] == poll.count)
            #expect(shuffled.retainedCounts["trends"] == poll.count)
            // A group listed twice adds two samples to its one trend.
            let d = Self.ingest(&duplicated, groups + [Self.group("a", lag: -1)], at: at)
            #expect(d.insights["a"]?.lagTrend.last == -1)
            #expect(duplicated.retainedCounts["trends"] == poll.count)
            last = a
        }
        #expect(last?.insights["a"]?.lagTrend == [2, 3, 4])
        #expect(last?.insights["b"]?.lagTrend == [30, 40])
        #expect(last?.insights["c"]?.lagTrend == [200, 300, 400])
        #expect(last?.insights["d"]?.lagTrend == [3_000, 4_000])

        let failed = Self.ingest(&ascending, polls[3].map { Self.group($0.0, lag: $0.1) }, at: 9_000, failure: "unreachable")
        #expect(failed.insights["a"]?.lagTrend == [2, 3, 4])
        let again = Self.ingest(&ascending, [Self.group("a", lag: 5)], at: 10_000)
        #expect(again.insights["a"]?.lagTrend == [3, 4, 5])
        #expect(ascending.retainedCounts["trends"] == 1)
    }

    @Test("The group time lag read in one pass is TimeLag.groupMaximum's")
    func maxTimeLagFigure() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % n
        }
        let methods: [TimeLagMethod] = [.caughtUp, .interpolation, .lowerBound, .recordTimestamp]
        for _ in 0..<500 {
            var rows: [GroupPartition] = []
            var lags: [TimeLag] = []
            for p in 0..<Int32(next(6)) {
                rows.append(GroupPartition(topicPartition: Self.tp(p), lag: .known(1), handoff: .notAssigned))
                lags.append(next(5) == 0 ? .unknown(reason: "none") : .known(seconds: Double(next(40)) / 4, method: methods[Int(next(4))]))
            }
            let insights = PartitionInsights(verdicts: [], timeLags: PartitionTimeLags(rows: rows, lags: lags))
            let expected = TimeLag.groupMaximum(lags)
            let figure = insights.maxTimeLagFigure
            #expect(figure?.ms == expected?.seconds.map { Int64(($0 * 1000).rounded()) })
            #expect((figure?.isBound ?? false) == (expected?.isLowerBound ?? false))
        }
        let explicit: PartitionInsights = [Self.tp(0): PartitionInsight(timeLagMs: 7, timeLagIsBound: true)]
        #expect(explicit.maxTimeLagFigure?.ms == 7)
        #expect(explicit.maxTimeLagFigure?.isBound == true)
    }

    @Test("A duration's columns are counted as Format.duration writes them")
    func durationWidth() {
        var values: [Int64] = Array(-5...12_000)
        for s in stride(from: Int64(0), through: 200_000, by: 7) { values.append(s * 1000 + s % 1000) }
        values += [9_949, 9_950, 9_951, 59_999, 60_000, 3_599_999, 3_600_000, 86_399_999, 86_400_000, 864_000_000_000, Int64.max / 2]
        for ms in values {
            #expect(Format.durationWidth(ms: ms) == DisplayWidth.of(Format.duration(ms: ms)), "\(ms) ms")
        }
    }
}

@Suite("Group insights: partition verdicts")
struct PartitionStatusTests {
    static func tp(_ topic: String, _ p: Int32) -> TopicPartition { TopicPartition(topic: topic, partition: p) }

    static func verdict(_ tps: [TopicPartition], _ status: HealthStatus) -> GroupVerdict {
        GroupVerdict(
            groupID: "g", status: status, reason: "r",
            partitions: tps.map { PartitionVerdict(topicPartition: $0, status: status, reason: "why", lag: .known(1), observations: 3) },
            stuckMembers: [])
    }

    @Test("The feed keeps a verdict status per row, or the verdicts when they name other partitions; both answer as the verdicts do")
    func statusesAnswerAsVerdicts() {
        let rows = [Self.tp("a", 0), Self.tp("a", 1), Self.tp("b", 0)]
        var group = Group(groupID: "g", type: .consumer, state: .stable, partitions: rows.map {
            GroupPartition(topicPartition: $0, committedOffset: 5, lag: .known(5), handoff: .notAssigned)
        })
        group.recomputeDerived()
        let lags: PartitionTimeLags = [rows[1]: .known(seconds: 3, method: .interpolation)]
        let cases: [[TopicPartition]] = [
            [rows[0], rows[2]],                 // one status per row
            [rows[0], Self.tp("zz", 9)],        // a partition the group has no row for
            [rows[2], rows[0]],                 // not in row order
            [rows[0], rows[0]],                 // a partition twice
            [],
        ]
        for tps in cases {
            let verdict = Self.verdict(tps, .stall)
            var feed = DashboardFeed()
            let update = feed.ingest(
                snapshot: ClusterSnapshot(takenAt: 1_000, pollDurationMs: 1, cluster: ClusterInfo(), groups: [group]),
                events: [], episodeEvents: [], openEpisodes: [], finishedEpisodes: [], verdicts: ["g": verdict], newErrors: [],
                timeLags: ["g": lags], at: 1_000)
            let expected = PartitionInsights(verdicts: verdict.partitions, timeLags: lags)
            let got = update.insights["g"]?.partitions
            #expect(got == expected, "\(tps)")
            // Only verdicts naming the rows, in order, once each, are kept as statuses.
            #expect((update.insights.entries[0].partitionRows != nil) == (tps == [rows[0], rows[2]]), "\(tps)")
            for tp in rows + [Self.tp("zz", 9), Self.tp("a", 7)] {
                #expect(got?[tp] == expected[tp], "\(tps) \(tp)")
            }
        }
    }
}

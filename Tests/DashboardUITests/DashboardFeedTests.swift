import Testing
@testable import DashboardUI
@testable import GroupModel

@Suite("DashboardFeed")
struct DashboardFeedTests {
    static func tp(_ p: Int32) -> TopicPartition { TopicPartition(topic: "orders", partition: p) }

    @Test("Partition insights come from the verdict and the time lags, composed on lookup")
    func partitionInsights() {
        var group = Group(groupID: "g", type: .consumer, state: .stable, partitions: [
            GroupPartition(topicPartition: Self.tp(0), committedOffset: 5, lag: .known(5), handoff: .notAssigned),
            GroupPartition(topicPartition: Self.tp(1), committedOffset: 9, lag: .known(0), handoff: .notAssigned),
            GroupPartition(topicPartition: Self.tp(2), lag: .unknown(reason: "no commit"), handoff: .notAssigned),
        ])
        group.recomputeDerived()
        let snapshot = ClusterSnapshot(takenAt: 10_000, pollDurationMs: 5, cluster: ClusterInfo(), groups: [group])
        let verdict = GroupVerdict(
            groupID: "g", status: .stall, reason: "stalled",
            partitions: [PartitionVerdict(topicPartition: Self.tp(0), status: .stall, reason: "no progress", lag: .known(5), observations: 4)],
            stuckMembers: [])
        var feed = DashboardFeed()
        let update = feed.ingest(
            snapshot: snapshot, events: [], episodeEvents: [], openEpisodes: [], finishedEpisodes: [],
            verdicts: ["g": verdict], newErrors: [],
            timeLags: ["g": [Self.tp(0): .known(seconds: 12.5, method: .interpolation), Self.tp(1): .known(seconds: 0, method: .caughtUp), Self.tp(2): .unknown(reason: "no commit")]],
            at: 10_000)
        let insight = update.insights["g"]
        #expect(insight?.verdict == .stall)
        #expect(insight?.maxTimeLagMs == 12_500)
        #expect(insight?.partitions[Self.tp(0)] == PartitionInsight(verdict: .stall, timeLagMs: 12_500))
        #expect(insight?.partitions[Self.tp(1)] == PartitionInsight(verdict: nil, timeLagMs: 0))
        #expect(insight?.partitions[Self.tp(2)] == nil)
        #expect(insight?.partitions[TopicPartition(topic: "other", partition: 0)] == nil)
    }

    @Test("Explicit partition insights are looked up as given")
    func explicitInsights() {
        let insights: PartitionInsights = [Self.tp(3): PartitionInsight(verdict: .warn, timeLagMs: 7)]
        #expect(insights[Self.tp(3)] == PartitionInsight(verdict: .warn, timeLagMs: 7))
        #expect(insights[Self.tp(4)] == nil)
        #expect(insights.maxTimeLagMs == 7)
    }

    @Test("A lower bound stays a bound: per partition, for the group, and drawn with '>'; the trend shows direction and rate")
    func boundsAndTrend() {
        var group = Group(groupID: "g", type: .consumer, state: .stable, partitions: [
            GroupPartition(topicPartition: Self.tp(0), committedOffset: 5, lag: .known(500_000), handoff: .notAssigned),
            GroupPartition(topicPartition: Self.tp(1), committedOffset: 9, lag: .known(10), handoff: .notAssigned),
        ])
        group.recomputeDerived()
        let snapshot = ClusterSnapshot(takenAt: 10_000, pollDurationMs: 5, cluster: ClusterInfo(), groups: [group])
        let verdict = GroupVerdict(
            groupID: "g", status: .warn, reason: "total lag grew", partitions: [], stuckMembers: [],
            lagTrend: LagTrendResult(trend: .growing, offsetsPerSecond: 1_234, etaSeconds: nil))
        var feed = DashboardFeed()
        let update = feed.ingest(
            snapshot: snapshot, events: [], episodeEvents: [], openEpisodes: [], finishedEpisodes: [],
            verdicts: ["g": verdict], newErrors: [],
            timeLags: ["g": [Self.tp(0): .known(seconds: 18, method: .lowerBound), Self.tp(1): .known(seconds: 2.5, method: .interpolation)]],
            at: 10_000)
        let insight = update.insights["g"]
        #expect(insight?.maxTimeLagMs == 18_000)
        #expect(insight?.maxTimeLagIsBound == true)
        #expect(insight?.partitions[Self.tp(0)] == PartitionInsight(verdict: nil, timeLagMs: 18_000, timeLagIsBound: true))
        #expect(insight?.partitions[Self.tp(1)] == PartitionInsight(verdict: nil, timeLagMs: 2_500, timeLagIsBound: false))
        #expect(insight?.lagRate?.trend == .growing)
        #expect(Format.timeLag(ms: 18_000, bound: true) == "> 18s")
        #expect(Format.timeLag(ms: 2_500, bound: false) == "2.5s")
        #expect(Format.trend([1, 2, 3], rate: insight?.lagRate) == "▃▆█ ↑1.2k/s")
        #expect(Format.trendRole(insight?.lagRate) == .lagWarn)
        #expect(Format.trend([], rate: LagTrendResult(trend: .shrinking, offsetsPerSecond: -340, etaSeconds: 3)) == "↓340/s")
        #expect(Format.trend([5, 5], rate: LagTrendResult(trend: .steady, offsetsPerSecond: 0.01, etaSeconds: nil)) == "██ →")
        #expect(Format.trend([5, 5], rate: nil) == "██")
    }
}

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
}

import Testing
@testable import GroupModel

@Suite("LagCalculator")
struct LagCalculatorTests {
    @Test("Lag is log end minus committed")
    func withCommit() {
        #expect(LagCalculator.lag(committed: 90, logStart: 0, logEnd: 100) == .known(10))
    }

    @Test("No commit: measured from log start")
    func noCommit() {
        #expect(LagCalculator.lag(committed: nil, logStart: 40, logEnd: 100) == .known(60))
        #expect(LagCalculator.lag(committed: nil, logStart: nil, logEnd: 100) == .unknown(reason: "no commit and log start offset unknown"))
    }

    @Test("Commit ahead of the log end is clamped at 0")
    func clamped() {
        #expect(LagCalculator.lag(committed: 105, logStart: 0, logEnd: 100) == .known(0))
    }

    @Test("Unknown log end gives an unknown lag with a reason")
    func unknownLogEnd() {
        #expect(LagCalculator.lag(committed: 5, logStart: 0, logEnd: nil) == .unknown(reason: "log end offset unknown"))
    }

    @Test("Error precedence: commit error before offsets error before missing log end")
    func precedence() {
        let fetch = ItemError(code: 16, name: "NOT_COORDINATOR")
        let list = ItemError(code: 6, name: "NOT_LEADER_OR_FOLLOWER")
        #expect(LagCalculator.lag(committed: 1, logStart: 0, logEnd: nil, commitError: fetch, offsetsError: list)
            == .unknown(reason: "committed offset unavailable: NOT_COORDINATOR"))
        #expect(LagCalculator.lag(committed: 1, logStart: 0, logEnd: 10, offsetsError: list)
            == .unknown(reason: "log offsets unavailable: NOT_LEADER_OR_FOLLOWER"))
    }

    @Test("Unknown lag counts in the summary, not in the total")
    func summaryUnknown() {
        let group = Group(groupID: "g", type: .classic, state: .stable, partitions: [
            GroupPartition(topicPartition: TopicPartition(topic: "t", partition: 0), lag: .known(5), handoff: .notAssigned),
            GroupPartition(topicPartition: TopicPartition(topic: "t", partition: 1), lag: .unknown(reason: "x"), handoff: .notAssigned),
        ])
        #expect(group.summary.totalLag == 5)
        #expect(group.summary.partitionsLagUnknown == 1)
    }
}

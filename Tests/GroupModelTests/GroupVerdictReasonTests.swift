import Foundation
import Testing
@testable import GroupModel

/// A group `g` of one topic `t` with `lags.count` partitions, recorded `polls` times with the same
/// offsets: partition `p` committed at 100 with a log end of `100 + lags[p]`.
private func evaluated(lags: [Int64], polls: Int = 4) -> GroupVerdict {
    var history = History(capacity: 10)
    var last: ClusterSnapshot?
    for i in 0..<polls {
        let rows = lags.indices.map { p in
            GroupPartition(
                topicPartition: TopicPartition(topic: "t", partition: Int32(p)), committedOffset: 100, logEnd: 100 + lags[p],
                lag: .known(lags[p]), owner: "m", handoff: .settled)
        }
        let snap = ClusterSnapshot(
            takenAt: Int64(i) * 10_000, pollDurationMs: 1, cluster: ClusterInfo(),
            groups: [Group(groupID: "g", type: .consumer, state: .stable, partitions: rows)])
        history.record(snap)
        last = snap
    }
    return HealthEvaluator.evaluate(group: last!.groups[0], history: history, now: last!.takenAt)
}

@Suite("GroupVerdict reason")
struct GroupVerdictReasonTests {
    @Test("A group of OK partitions reads as their count and its total lag")
    func allOK() {
        let v = evaluated(lags: [0, 0, 0])
        #expect(v.status == .ok)
        #expect(v.reason == "3 partition(s) OK, total lag 0")
        #expect(v.why.text == v.reason)
        #expect("\(v.why)" == v.reason)
    }

    @Test("A group with partitions past OK quotes how many and the worst one's reason")
    func worst() {
        // Lag 60 standing still with an owner: both partitions STALL; the first is named.
        let v = evaluated(lags: [60, 70])
        #expect(v.status == .stall)
        #expect(v.reason == "2 partition(s) STALL; worst t-0: " + v.partitions[0].reason)
        #expect(v.reason.hasPrefix("2 partition(s) STALL; worst t-0: committed offset 100 unchanged for 30 s"))
    }

    @Test("Reasons are equal and hash alike when their words are, however they are kept")
    func equalByWords() {
        let figures = GroupVerdict.Reason.allOK(partitions: 2, totalLag: 5)
        let words = GroupVerdict.Reason("2 partition(s) OK, total lag 5")
        #expect(figures == words)
        #expect(figures.hashValue == words.hashValue)
        #expect(Set([figures, words]).count == 1)
        #expect(figures != GroupVerdict.Reason.allOK(partitions: 2, totalLag: 6))
        #expect(figures != GroupVerdict.Reason("2 partition(s) OK, total lag 6"))
    }

    @Test("Setting the reason in words replaces the figures; verdicts compare by their words")
    func setReason() {
        var v = evaluated(lags: [0])
        var w = v
        w.why = GroupVerdict.Reason(v.reason)
        #expect(v == w)
        v.reason = "overridden"
        #expect(v.reason == "overridden")
        #expect(v.why == GroupVerdict.Reason("overridden"))
        #expect(v != w)
    }

    @Test("A verdict is coded with its reason in words and decodes to an equal verdict")
    func coding() throws {
        let v = evaluated(lags: [60, 0])
        let data = try JSONEncoder().encode(v)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["reason"] as? String == v.reason)
        #expect(Set(object.keys) == ["groupID", "status", "reason", "partitions", "stuckMembers", "lagTrend"])
        let back = try JSONDecoder().decode(GroupVerdict.self, from: data)
        #expect(back == v)
        #expect(back.reason == v.reason)
    }
}

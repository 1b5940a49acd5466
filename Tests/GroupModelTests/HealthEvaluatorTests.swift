import Foundation
import Testing
@testable import GroupModel

/// One classic group `g` consuming `t-0`; `owned` says whether member `m` holds the partition.
private func snapshot(at seconds: Int64, committed: Int64?, logEnd: Int64?, owned: Bool = true,
                      listError: ItemError? = nil) -> ClusterSnapshot {
    let tp = TopicPartition(topic: "t", partition: 0)
    let members: [DescribedClassicGroupInput.Member] = owned
        ? [.init(memberID: "m", clientID: "cli", clientHost: "/h", subscription: .init(topics: ["t"]), assignment: [tp])] : []
    let logs = [LogOffsetsInput(topicPartition: tp, logStart: 0, logEnd: logEnd, error: listError)]
    let groups = GroupAssembler.assemble(
        listed: [ListedGroupInput(groupID: "g", groupType: .classic)],
        classicGroups: [DescribedClassicGroupInput(groupID: "g", state: owned ? .stable : .empty, members: members)],
        committed: [CommittedOffsetsInput(groupID: "g", offsets: committed.map { [.init(topicPartition: tp, offset: $0)] } ?? [])],
        logOffsets: logs)
    return ClusterSnapshot(takenAt: seconds * 1000, pollDurationMs: 1, cluster: ClusterInfo(),
                           topics: GroupAssembler.topics(from: logs), groups: groups)
}

/// Feeds `(committed, logEnd)` pairs `every` seconds apart and evaluates the last snapshot.
private func verdict(_ points: [(Int64?, Int64?)], owned: Bool = true, listError: ItemError? = nil, every: Int64 = 10) -> GroupVerdict {
    var history = History(capacity: 10)
    var last: ClusterSnapshot?
    for (i, point) in points.enumerated() {
        let snap = snapshot(at: Int64(i) * every, committed: point.0, logEnd: point.1, owned: owned,
                            listError: i == points.count - 1 ? listError : nil)
        history.record(snap)
        last = snap
    }
    let group = last!.groups[0]
    return HealthEvaluator.evaluate(group: group, history: history, now: last!.takenAt)
}

@Suite("HealthEvaluator")
struct HealthEvaluatorTests {
    @Test("Steady consumer with fluctuating lag is OK")
    func steady() {
        let v = verdict([(100, 110), (120, 125), (130, 142), (150, 155), (170, 180)])
        #expect(v.status == .ok)
        #expect(v.partitions[0].reason == "lag 10, consumer advancing")
    }

    @Test("Lag growing while the consumer advances is WARN")
    func growing() {
        let v = verdict([(100, 110), (110, 130), (120, 150), (130, 170)])
        #expect(v.status == .warn)
        #expect(v.partitions[0].reason == "lag grew 10 → 40 over 30 s while the consumer advanced")
    }

    @Test("Committed offset not moving while lag > 0 and a member owns it is STALL")
    func stall() {
        let v = verdict([(100, 150), (100, 150), (100, 160), (100, 160)])
        #expect(v.status == .stall)
        #expect(v.partitions[0].reason == "committed offset 100 unchanged for 30 s while lag is 60 (owner m)")
    }

    @Test("Consumer stopped: no owner, commits frozen, lag growing is STOP")
    func stop() {
        let v = verdict([(100, 120), (100, 140), (100, 160), (100, 180)], owned: false)
        #expect(v.status == .stop)
        #expect(v.partitions[0].reason == "committed offset 100 unchanged for 30 s while lag went 20 → 80; no member owns the partition")
    }

    @Test("Committed offset going backwards is REWIND")
    func rewind() {
        let v = verdict([(100, 200), (150, 210), (40, 220), (60, 230)])
        #expect(v.status == .rewind)
        #expect(v.partitions[0].reason.hasPrefix("committed offset went back from 150 to 40"))
        // A rewind that recovers is forgiven.
        #expect(verdict([(100, 200), (150, 210), (40, 220), (160, 230)]).status == .ok)
    }

    @Test("Partition error is ERR")
    func error() {
        let v = verdict([(100, 110), (110, 120), (120, 130)], listError: ItemError(code: 6, name: "NOT_LEADER_OR_FOLLOWER"))
        #expect(v.status == .err)
        #expect(v.partitions[0].reason == "error NOT_LEADER_OR_FOLLOWER (6)")
    }

    @Test("Idle caught-up topic is OK (not STOP)")
    func idle() {
        let v = verdict([(500, 500), (500, 500), (500, 500), (500, 500)], owned: false)
        #expect(v.status == .ok)
        #expect(v.partitions[0].reason == "lag 0")
    }

    @Test("Too few observations: not judged")
    func incomplete() {
        #expect(verdict([(100, 150), (100, 160)]).partitions[0].reason == "window incomplete (2/3 observations), lag 60")
    }

    @Test("Hand-off grace: a frozen partition awaiting release is REBALANCING, then STUCK names the member")
    func handoffAndStuck() throws {
        var history = History()
        var input = Fixtures.reconciling
        let committed = CommittedOffsetsInput(groupID: "kg", offsets: Fixtures.orders(0, 1, 2, 3, 4, 5).map { .init(topicPartition: $0, offset: 50) })
        var group = Fixtures.group(input, committed: committed)
        for t in [0, 10_000, 20_000] as [Int64] {
            history.record(Fixtures.snapshot(at: t, groups: [group]))
        }
        var v = HealthEvaluator.evaluate(group: group, history: history, now: 20_000)
        let p5 = try #require(v.partitions.first { $0.topicPartition.partition == 5 })
        #expect(p5.status == .rebalancing)
        #expect(p5.reason == "in hand-off (awaitingRelease) for 20 s of a 60 s grace, lag 43")
        #expect(v.stuckMembers.isEmpty)

        input.members[2].clientHost = "/10.1.2.3"
        group = Fixtures.group(input, committed: committed)
        history.record(Fixtures.snapshot(at: 40_000, groups: [group]))
        v = HealthEvaluator.evaluate(group: group, history: history, now: 40_000)
        #expect(v.stuckMembers.map(\.memberID) == ["stuck"])
        #expect(v.status == .stall)  // partitions 0-4 are owned and frozen: worse than STUCK.
        #expect(v.partitions.filter { $0.status == .stall }.count == 5)
        let stuckOnly = HealthEvaluator.evaluate(group: Fixtures.group(input, committed: Fixtures.ordersCommittedAtEnd), history: history, now: 40_000)
        #expect(stuckOnly.status == .stuck)
        #expect(stuckOnly.reason == "1 member(s) behind assignment epoch 3: client-stuck on 10.1.2.3 at epoch 2 for 40 s")
    }

    @Test("History rings are bounded")
    func bounded() {
        var history = History(capacity: 3)
        for i in 0..<10 { history.record(snapshot(at: Int64(i), committed: Int64(i), logEnd: 100)) }
        let tp = TopicPartition(topic: "t", partition: 0)
        #expect(history.observations(groupID: "g", topicPartition: tp).map(\.committed) == [7, 8, 9])
        #expect(history.logEndSamples(tp).count == 3)
        #expect(history.lagSamples(groupID: "g", topicPartition: tp).map(\.lag) == [93, 92, 91])
    }

    @Test("A lag that rises in bursts (never monotonic) is WARN, for the partition and the group, with the rate")
    func growingInBursts() {
        let v = verdict([(100, 110), (500, 900), (900, 1_200), (1_200, 1_900), (1_700, 2_300), (2_000, 3_000)])
        #expect(v.status == .warn, "\(v.reason)")
        #expect(v.partitions[0].reason.hasPrefix("lag rose 10 → 1000 over 50 s (+"), "\(v.partitions[0].reason)")
        #expect(v.lagTrend.trend == .growing)
        #expect((v.lagTrend.offsetsPerSecond ?? 0) > 15)
        // The same lags with a final catch-up are not growth.
        let caughtUp = verdict([(100, 110), (500, 900), (900, 1_200), (1_200, 1_900), (1_700, 2_300), (2_990, 3_000)])
        #expect(caughtUp.status == .ok, "\(caughtUp.reason)")
        #expect(caughtUp.lagTrend.trend != .growing)
    }

    @Test("STALL and STOP need the committed offset to stand still for the minimum span, not only 3 polls")
    func stallNeedsSpan() {
        // 3 polls 2 s apart: the committed offset stood for 4 s only (a consumer between two commits).
        let early = verdict([(100, 150), (100, 150), (100, 150)], every: 2)
        #expect(early.status == .ok, "\(early.reason)")
        #expect(early.partitions[0].reason == "committed offset unchanged for less than 15 s, lag 50")
        let unowned = verdict([(100, 150), (100, 150), (100, 150)], owned: false, every: 2)
        #expect(unowned.status == .ok, "\(unowned.reason)")
        // 8 polls 2 s apart: 14 s, still not; 9 polls: 16 s, STALL.
        #expect(verdict(Array(repeating: (100, 150), count: 8), every: 2).status == .ok)
        let late = verdict(Array(repeating: (100, 150), count: 9), every: 2)
        #expect(late.status == .stall, "\(late.reason)")
        #expect(late.partitions[0].reason == "committed offset 100 unchanged for 16 s while lag is 50 (owner m)")
    }

    @Test("The commit mark outlives the window: STALL over a short window once the offset has stood long enough")
    func stallFromCommitMark() {
        // A 3-poll window (2 s apart) of a commit that has stood since the first of 12 polls.
        var history = History(capacity: 3)
        var last: ClusterSnapshot?
        for i in 0..<12 {
            let snap = snapshot(at: Int64(i) * 2, committed: 100, logEnd: 150 + Int64(i))
            history.record(snap)
            last = snap
        }
        let v = HealthEvaluator.evaluate(group: last!.groups[0], history: history, now: last!.takenAt)
        #expect(v.status == .stall, "\(v.reason)")
        #expect(v.partitions[0].reason.contains("unchanged for 22 s"), "\(v.partitions[0].reason)")
    }

    @Test("One poll alone, one time lag per row: caught up is 0 s, behind is a lower bound of 0 s or the record's age, no commit or no log end is unknown")
    func singlePollTimeLags() {
        let tp = TopicPartition(topic: "t", partition: 0)
        let behind = snapshot(at: 5, committed: 100, logEnd: 150).groups[0]
        #expect(TimeLagEstimator.singlePollTimeLags(of: behind, at: 5_000) == [.known(seconds: 0, method: .lowerBound)])
        let caughtUp = snapshot(at: 5, committed: 150, logEnd: 150).groups[0]
        #expect(TimeLagEstimator.singlePollTimeLags(of: caughtUp, at: 5_000) == [.known(seconds: 0, method: .caughtUp)])
        let none = snapshot(at: 5, committed: nil, logEnd: 150).groups[0]
        #expect(TimeLagEstimator.singlePollTimeLags(of: none, at: 5_000) == [.unknown(reason: "no committed offset")])
        let noLogEnd = snapshot(at: 5, committed: 100, logEnd: nil).groups[0]
        #expect(TimeLagEstimator.singlePollTimeLags(of: noLogEnd, at: 5_000) == [.unknown(reason: "no log-end samples yet")])
        // The record at the committed offset, when read, measures a row behind; an inexact one
        // (a batch's newest timestamp) stays a bound.
        var records = RecordTimes()
        records[RecordTimes.Key(tp, offset: 100)] = RecordTimes.Record(timestamp: 2_000, exact: true)
        #expect(TimeLagEstimator.singlePollTimeLags(of: behind, at: 5_000, records: records) == [.known(seconds: 3, method: .recordTimestamp)])
        #expect(TimeLagEstimator.singlePollTimeLags(of: caughtUp, at: 5_000, records: records) == [.known(seconds: 0, method: .caughtUp)])
        records[RecordTimes.Key(tp, offset: 100)] = RecordTimes.Record(timestamp: 1_000, exact: false)
        #expect(TimeLagEstimator.singlePollTimeLags(of: behind, at: 5_000, records: records) == [.known(seconds: 4, method: .lowerBound)])
    }
}

/// A partition verdict keeps the common reasons as figures and writes them when read: the words,
/// equality, hashing and JSON must be those of the same verdict built with the words.
@Suite("PartitionVerdict reasons")
struct PartitionVerdictReasonTests {
    static let tp = TopicPartition(topic: "orders", partition: 3)

    /// Every figure-kept reason with the words the rules wrote before they were kept as figures.
    static let cases: [(VerdictReason, String)] = [
        (.lag(0), "lag 0"),
        (.lag(42), "lag 42"),
        (.windowIncomplete(observations: 2, needed: 3, lag: 60), "window incomplete (2/3 observations), lag 60"),
        (.caughtUpWithin(spanMs: 18_000, lag: 5), "caught up within the last 18 s, lag 5"),
        (.caughtUpWithin(spanMs: 1_500, lag: 5), "caught up within the last 1.5 s, lag 5"),
        (.unchangedBriefly(minimumStallMs: 15_000, lag: 50), "committed offset unchanged for less than 15 s, lag 50"),
        (.advancing(lag: 10), "lag 10, consumer advancing"),
        (.grew(first: 10, lag: 40, spanMs: 30_000, standing: false), "lag grew 10 → 40 over 30 s while the consumer advanced"),
        (.grew(first: 10, lag: 40, spanMs: 2_250, standing: true), "lag grew 10 → 40 over 2.25 s with the committed offset unchanged"),
        (.rose(first: 10, lag: 1000, spanMs: 50_000, rate: 19.84), "lag rose 10 → 1000 over 50 s (+19.8 offsets/s): the consumer falls behind"),
        (.standing(committed: 100, stoodMs: 30_000, first: 20, lag: 80, owner: nil),
         "committed offset 100 unchanged for 30 s while lag went 20 → 80; no member owns the partition"),
        (.standing(committed: nil, stoodMs: 16_000, first: 50, lag: 50, owner: "m"),
         "no committed offset unchanged for 16 s while lag is 50 (owner m)"),
        (.standing(committed: 100, stoodMs: 16_000, first: 50, lag: 50, owner: "m"),
         "committed offset 100 unchanged for 16 s while lag is 50 (owner m)"),
    ]

    @Test("Figures read as the words, equal, hash and encode as the words")
    func sameAsWords() throws {
        for (why, words) in Self.cases {
            let lazy = PartitionVerdict(topicPartition: Self.tp, status: .warn, why: why, lag: .known(7), observations: 5)
            let text = PartitionVerdict(topicPartition: Self.tp, status: .warn, reason: words, lag: .known(7), observations: 5)
            #expect(lazy.reason == words)
            #expect(lazy == text)
            #expect(lazy.hashValue == text.hashValue)
            // The canonical JSON (sorted keys) the project writes, with the reason as text.
            #expect(try SnapshotJSON.encodeLine(lazy) == SnapshotJSON.encodeLine(text))
            #expect(String(decoding: try SnapshotJSON.encodeLine(lazy), as: UTF8.self).contains("\"reason\":\"\(words)\""))
            let decoded = try JSONDecoder().decode(PartitionVerdict.self, from: JSONEncoder().encode(lazy))
            #expect(decoded == text)
            var edited = lazy
            edited.reason = "other"
            #expect(edited != text)
            #expect(edited.reason == "other")
        }
        // Different figures, different words: not equal.
        let a = PartitionVerdict(topicPartition: Self.tp, status: .ok, why: .advancing(lag: 1), lag: .known(1), observations: 3)
        let b = PartitionVerdict(topicPartition: Self.tp, status: .ok, why: .advancing(lag: 2), lag: .known(1), observations: 3)
        #expect(a != b)
        // The same words from different figures: equal.
        let c = PartitionVerdict(topicPartition: Self.tp, status: .ok, why: .lag(5), lag: .known(5), observations: 3)
        let d = PartitionVerdict(topicPartition: Self.tp, status: .ok, why: .text("lag 5"), lag: .known(5), observations: 3)
        #expect(c == d)
    }
}

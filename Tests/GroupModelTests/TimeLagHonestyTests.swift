import Foundation
import Testing
@testable import GroupModel
import SeededRandom

/// Time lags that say whether they are measured or a lower bound, and the one growth rule the
/// verdicts, the dashboard's trend and `check` share.
@Suite("Time lag bounds and lag growth")
struct TimeLagHonestyTests {
    @Test("JSON: {seconds, method, bound} for a figure, {unknown} without one; both decode back")
    func json() throws {
        let bound = TimeLag.known(seconds: 18.25, method: .lowerBound)
        let measured = TimeLag.known(seconds: 4.5, method: .interpolation)
        let unknown = TimeLag.unknown(reason: "no committed offset")
        #expect(String(decoding: try SnapshotJSON.encodeLine(bound), as: UTF8.self) == #"{"bound":true,"method":"lower_bound","seconds":18.25}"#)
        #expect(String(decoding: try SnapshotJSON.encodeLine(measured), as: UTF8.self) == #"{"bound":false,"method":"interpolation","seconds":4.5}"#)
        #expect(String(decoding: try SnapshotJSON.encodeLine(unknown), as: UTF8.self) == #"{"unknown":"no committed offset"}"#)
        for lag in [bound, measured, unknown] {
            #expect(try JSONDecoder().decode(TimeLag.self, from: SnapshotJSON.encodeLine(lag)) == lag)
        }
        #expect(bound.isLowerBound && !measured.isLowerBound && !unknown.isLowerBound)
        #expect(bound.description == "> 18.3 s (lower_bound)")
    }

    @Test("A group's time lag is the largest, and a lower bound when any partition's is one")
    func groupMaximum() {
        let exact30 = TimeLag.known(seconds: 30, method: .interpolation)
        let bound18 = TimeLag.known(seconds: 18, method: .lowerBound)
        let zero = TimeLag.known(seconds: 0, method: .caughtUp)
        #expect(TimeLag.groupMaximum([exact30, zero]) == exact30)
        // The bounded partition may be further behind than 30 s: the group figure is a bound too.
        #expect(TimeLag.groupMaximum([exact30, bound18, zero]) == .known(seconds: 30, method: .lowerBound))
        #expect(TimeLag.groupMaximum([bound18, .unknown(reason: "x")]) == bound18)
        #expect(TimeLag.groupMaximum([TimeLag.unknown(reason: "x")]) == nil)
    }

    /// Lag samples `every` ms apart.
    private func samples(_ lags: [Int64], every: Int64 = 2_000) -> [LagSample] {
        lags.enumerated().map { LagSample(timestamp: Int64($0.offset) * every, lag: $0.element) }
    }

    @Test("Growth: a clear rise is growth with its rate; a saw-tooth that keeps pace, a flat lag and two samples are not")
    func growth() throws {
        // 1,800 offsets/s more than consumed, committed in bursts: up and down, but up overall.
        let behind: [Int64] = [695_000, 699_000, 697_500, 702_800, 701_000, 706_500, 704_600, 710_000, 708_300, 713_700]
        let rate = try #require(TimeLagEstimator.growthRate(samples(behind)))
        #expect(rate > 900 && rate < 1_100, "\(rate)")
        // A consumer that keeps pace, committing every few seconds: a saw-tooth around a level.
        let pace: [Int64] = [4_000, 9_000, 4_200, 8_800, 4_100, 9_100, 3_900, 9_000, 4_000, 8_900]
        #expect(TimeLagEstimator.growthRate(samples(pace)) == nil)
        #expect(TimeLagEstimator.growthRate(samples([500, 500, 500, 500])) == nil)
        #expect(TimeLagEstimator.growthRate(samples([100, 200])) == nil)
        // Within the allowed lag.
        #expect(TimeLagEstimator.growthRate(samples([0, 1, 2, 3]), allowedLag: 10) == nil)
        #expect(TimeLagEstimator.growthRate(samples([0, 1, 2, 3])) != nil)
        // Committed every 5 s, polled every 2 s, 600 offsets/s behind: a saw-tooth of ±4,000 whose
        // newest polls dip is still growth.
        let sawTooth: [Int64] = [10_000, 14_800, 9_600, 15_400, 20_200, 15_000, 19_800, 24_600, 19_400, 18_000]
        #expect(TimeLagEstimator.growthRate(samples(sawTooth)) != nil)
        // A spike (a rebalance) that is being worked off: recovering, not growing.
        #expect(TimeLagEstimator.growthRate(samples([100, 120, 110, 4_000, 9_000, 12_000, 9_500, 7_000, 4_500, 2_000])) == nil)
    }

    @Test("Group trend: growing only by the growth rule, with the rate; unknown below the minimum observations")
    func groupTrend() {
        let config = HealthConfig()
        let grows = HealthEvaluator.groupTrend(samples([100, 400, 300, 700, 600, 1_000]), config: config)
        #expect(grows.trend == .growing)
        #expect((grows.offsetsPerSecond ?? 0) > 50)
        #expect(grows.etaSeconds == nil)
        let shrinks = HealthEvaluator.groupTrend(samples([1_000, 800, 600, 400]), config: config)
        #expect(shrinks.trend == .shrinking)
        #expect(shrinks.etaSeconds == 4)
        #expect(HealthEvaluator.groupTrend(samples([100, 200]), config: config).trend == .unknown)
        #expect(HealthEvaluator.rateText(1_234) == "1.2k")
        #expect(HealthEvaluator.rateText(12.34) == "12.3")
        #expect(HealthEvaluator.rateText(340.4) == "340")
        #expect(HealthEvaluator.rateText(-25_600) == "-26k")
    }

    @Test("Snapshot JSON carries timeLag per group and per partition when asked; streamed and whole agree; without, nothing changes")
    func snapshotJSON() throws {
        let tp0 = TopicPartition(topic: "t", partition: 0)
        let tp1 = TopicPartition(topic: "t", partition: 1)
        var group = Group(groupID: "g", type: .classic, state: .empty, partitions: [
            GroupPartition(topicPartition: tp0, committedOffset: 10, logStart: 0, logEnd: 50, lag: .known(40), handoff: .notAssigned),
            GroupPartition(topicPartition: tp1, committedOffset: 50, logStart: 0, logEnd: 50, lag: .known(0), handoff: .notAssigned),
        ])
        group.recomputeDerived()
        let snapshot = ClusterSnapshot(takenAt: 1_000, pollDurationMs: 1, cluster: ClusterInfo(), groups: [group])
        // By row, in the group's row order.
        let lags: [TimeLag] = [.known(seconds: 18, method: .lowerBound), .known(seconds: 0, method: .caughtUp)]
        let source: SnapshotJSON.TimeLagSource = { _ in lags }
        let data = try SnapshotJSON.encode(snapshot, timeLags: source)
        var streamed: [UInt8] = []
        try SnapshotJSON.write(snapshot, timeLags: source, chunkSize: 64) { streamed.append(contentsOf: $0) }
        #expect(Array(data) == streamed)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let g = try #require((object["groups"] as? [[String: Any]])?.first)
        let groupLag = try #require(g["timeLag"] as? [String: Any])
        #expect(groupLag["seconds"] as? Double == 18 && groupLag["method"] as? String == "lower_bound" && groupLag["bound"] as? Bool == true)
        let rows = try #require(g["partitions"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect((rows[0]["timeLag"] as? [String: Any])?["method"] as? String == "lower_bound")
        #expect((rows[1]["timeLag"] as? [String: Any])?["method"] as? String == "caught_up")
        #expect(rows[0]["committedOffset"] as? Int == 10)
        // A list shorter than the rows gives the rest none, and the group the maximum of those given.
        let short = try #require(try JSONSerialization.jsonObject(with: SnapshotJSON.encode(snapshot, timeLags: { _ in [.known(seconds: 0, method: .caughtUp)] })) as? [String: Any])
        let shortGroup = try #require((short["groups"] as? [[String: Any]])?.first)
        let shortRows = try #require(shortGroup["partitions"] as? [[String: Any]])
        #expect((shortRows[0]["timeLag"] as? [String: Any])?["method"] as? String == "caught_up")
        #expect(shortRows[1]["timeLag"] == nil)
        #expect((shortGroup["timeLag"] as? [String: Any])?["method"] as? String == "caught_up")
        // The rest of the document is what it was; it still decodes as a snapshot.
        #expect(try SnapshotJSON.decodeSnapshot(data) == SnapshotJSON.decodeSnapshot(SnapshotJSON.encode(snapshot)))
        #expect(!String(decoding: try SnapshotJSON.encode(snapshot), as: UTF8.self).contains("timeLag"))
    }

    @Test("Record times: measured when the record's own timestamp is known, a bound from a compressed batch")
    func recordTimeLag() {
        let exact = RecordTimes.Record(timestamp: 10_000, exact: true)
        #expect(RecordTimes.timeLag(exact, history: .known(seconds: 18, method: .lowerBound), now: 130_000) == .known(seconds: 120, method: .recordTimestamp))
        let batch = RecordTimes.Record(timestamp: 100_000, exact: false)
        #expect(RecordTimes.timeLag(batch, history: .known(seconds: 18, method: .lowerBound), now: 130_000) == .known(seconds: 30, method: .lowerBound))
        // The larger of two bounds.
        #expect(RecordTimes.timeLag(batch, history: .known(seconds: 45, method: .lowerBound), now: 130_000) == .known(seconds: 45, method: .lowerBound))
    }

    @Test("Record-time candidates: lagging partitions older than the history, not read yet, focus groups first, then the largest lags, within the budget")
    func recordTimeCandidates() {
        func row(_ p: Int32, committed: Int64, logEnd: Int64) -> GroupPartition {
            GroupPartition(topicPartition: TopicPartition(topic: "t", partition: p), committedOffset: committed, logStart: 0, logEnd: logEnd,
                           lag: .known(max(0, logEnd - committed)), handoff: .notAssigned)
        }
        var a = Group(groupID: "a", type: .classic, state: .empty, partitions: [
            row(0, committed: 100, logEnd: 5_000), row(1, committed: 4_990, logEnd: 5_000), row(2, committed: 5_000, logEnd: 5_000),
        ])
        var b = Group(groupID: "b", type: .classic, state: .empty, partitions: [row(3, committed: 10, logEnd: 50)])
        a.recomputeDerived()
        b.recomputeDerived()
        let snapshot = ClusterSnapshot(takenAt: 0, pollDurationMs: 1, cluster: ClusterInfo(), groups: [a, b])
        // The history reaches back to offset 4,000 on every partition.
        let oldest: (TopicPartition) -> Int64? = { _ in 4_000 }
        let tp = { (p: Int32) in TopicPartition(topic: "t", partition: p) }
        #expect(RecordTimes.candidates(in: snapshot, known: RecordTimes(), oldestLogEnd: oldest, focus: [], budget: 10)
            == [RecordTimes.Key(tp(0), offset: 100), RecordTimes.Key(tp(3), offset: 10)])
        #expect(RecordTimes.candidates(in: snapshot, known: RecordTimes(), oldestLogEnd: oldest, focus: ["b"], budget: 1)
            == [RecordTimes.Key(tp(3), offset: 10)])
        var known = RecordTimes()
        known[RecordTimes.Key(tp(0), offset: 100)] = RecordTimes.Record(timestamp: 1, exact: true)
        #expect(RecordTimes.candidates(in: snapshot, known: known, oldestLogEnd: oldest, focus: [], budget: 10)
            == [RecordTimes.Key(tp(3), offset: 10)])
        // Without history every lagging partition is a candidate.
        #expect(RecordTimes.candidates(in: snapshot, known: RecordTimes(), oldestLogEnd: { _ in nil }, focus: [], budget: 10).count == 3)
        known.retain([])
        #expect(known.isEmpty)
    }

    @Test("The budget-th best rank by a heap is the one a full sort puts at that place, ties included")
    func budgetthBestMatchesSort() {
        var random = SplitMix64(seed: 17)
        func better(_ a: (focus: Bool, lag: Int64), _ b: (focus: Bool, lag: Int64)) -> Bool {
            a.focus != b.focus ? a.focus : a.lag > b.lag
        }
        for round in 0..<300 {
            let count = Int.random(in: 2...400, using: &random)
            // Few distinct lags in some rounds, so that ties are common.
            let spread = round % 3 == 0 ? Int64(5) : Int64(1_000_000)
            let values = (0..<count).map { _ in (focus: Int.random(in: 0..<8, using: &random) == 0, lag: Int64.random(in: 1...spread, using: &random)) }
            let budget = Int.random(in: 1..<count, using: &random)
            let cut = RecordTimes.budgetthBest(values, budget: budget, by: better)
            let sorted = values.sorted(by: better)
            #expect(cut.focus == sorted[budget - 1].focus && cut.lag == sorted[budget - 1].lag, "round \(round): \(count) values, budget \(budget)")
        }
    }

    @Test("Record-time candidates on random estates: the same keys as ranking every distinct key and taking the budget")
    func recordTimeCandidatesRandom() {
        var random = SplitMix64(seed: 29)
        for round in 0..<60 {
            var groups: [Group] = []
            for g in 0..<Int.random(in: 1...30, using: &random) {
                var rows: [GroupPartition] = []
                // Few topics and offsets, so that groups share partitions and committed offsets.
                for p in 0..<Int32.random(in: 1...6, using: &random) {
                    let committed = Int64.random(in: 0...20, using: &random)
                    let logEnd = committed + Int64.random(in: 0...15, using: &random)
                    rows.append(GroupPartition(
                        topicPartition: TopicPartition(topic: "t\(Int.random(in: 0..<3, using: &random))", partition: p), committedOffset: committed,
                        logStart: 0, logEnd: logEnd, lag: .known(logEnd - committed), handoff: .notAssigned))
                }
                rows.sort { $0.topicPartition < $1.topicPartition }
                var group = Group(groupID: "g\(g)", type: .classic, state: .empty, partitions: rows)
                group.recomputeDerived()
                groups.append(group)
            }
            let snapshot = ClusterSnapshot(takenAt: 0, pollDurationMs: 1, cluster: ClusterInfo(), groups: groups)
            let focus: Set<String> = round % 2 == 0 ? [] : ["g0", "g3"]
            let oldest: (TopicPartition) -> Int64? = { $0.partition == 0 ? nil : 10 }
            // The rule, written the plain way: every distinct key with its best rank, sorted.
            var ranks: [RecordTimes.Key: (focus: Bool, lag: Int64)] = [:]
            for group in groups {
                for row in group.partitions {
                    guard let c = row.committedOffset, let lag = row.lag.offsets, lag > 0 else { continue }
                    if let o = oldest(row.topicPartition), c >= o { continue }
                    let key = RecordTimes.Key(row.topicPartition, offset: c)
                    let before = ranks[key]
                    ranks[key] = (focus.contains(group.groupID) || before?.focus == true, max(lag, before?.lag ?? 0))
                }
            }
            let expected = ranks.sorted { a, b in
                if a.value.focus != b.value.focus { return a.value.focus }
                if a.value.lag != b.value.lag { return a.value.lag > b.value.lag }
                return a.key < b.key
            }.map(\.key)
            for budget in [1, 2, 5, 17, 1_000] {
                let got = RecordTimes.candidates(in: snapshot, known: RecordTimes(), oldestLogEnd: oldest, focus: focus, budget: budget)
                #expect(got == Array(expected.prefix(budget)), "round \(round), budget \(budget)")
            }
        }
    }
}

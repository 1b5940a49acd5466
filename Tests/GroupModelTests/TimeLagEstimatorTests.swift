import Testing
@testable import GroupModel

@Suite("TimeLagEstimator")
struct TimeLagEstimatorTests {
    /// 10 records per second, sampled every 10 s from t=0 (log end 1000) to t=60 s (log end 1600).
    let samples = (0...6).map { OffsetSample(timestamp: Int64($0) * 10_000, logEnd: 1000 + Int64($0) * 100) }

    @Test("Interpolates the time the committed record was appended")
    func interpolation() {
        // Record 1250 was appended at 25.1 s; now = 60 s.
        let lag = TimeLagEstimator.timeLag(committed: 1250, samples: samples, now: 60_000)
        guard case .known(let seconds, let method) = lag else { Issue.record("expected known"); return }
        #expect(method == .interpolation)
        #expect(abs(seconds - 34.9) < 0.001)
    }

    @Test("An idle, caught-up partition is 0 s, not NaN; no samples is unknown")
    func idleAndUnknown() {
        let idle = (0...3).map { OffsetSample(timestamp: Int64($0) * 10_000, logEnd: 500) }
        #expect(TimeLagEstimator.timeLag(committed: 500, samples: idle, now: 999_000) == .known(seconds: 0, method: .caughtUp))
        #expect(TimeLagEstimator.timeLag(committed: 5, samples: [], now: 0) == .unknown(reason: "no log-end samples yet"))
        #expect(TimeLagEstimator.timeLag(committed: nil, samples: samples, now: 0) == .unknown(reason: "no committed offset"))
    }

    @Test("A commit older than every sample is a lower bound")
    func lowerBound() {
        #expect(TimeLagEstimator.timeLag(committed: 900, samples: samples, now: 60_000) == .known(seconds: 60, method: .lowerBound))
    }

    @Test("Samples before a log-end decrease are ignored")
    func truncation() {
        let mixed = [OffsetSample(timestamp: 0, logEnd: 5000)] + samples.map { OffsetSample(timestamp: $0.timestamp + 1, logEnd: $0.logEnd) }
        #expect(TimeLagEstimator.usable(mixed).count == samples.count)
    }

    @Test("Timestamp anchors interpolate between log start and MAX_TIMESTAMP")
    func anchors() {
        let lag = TimeLagEstimator.timeLag(committed: 150, logEnd: 201, start: OffsetSample(timestamp: 0, logEnd: 100),
                                           maxTimestamp: OffsetSample(timestamp: 100_000, logEnd: 200), now: 120_000)
        #expect(lag == .known(seconds: 70, method: .timestampAnchors))
    }

    @Test("Threshold test committed >= offsetFor(now - X)")
    func threshold() {
        // offsetFor(60 s - 30 s) = 1300.
        #expect(TimeLagEstimator.offsetFor(time: 30_000, samples: samples) == 1300)
        #expect(TimeLagEstimator.isWithin(maxLagMs: 30_000, committed: 1300, samples: samples, now: 60_000) == .within(method: .interpolation))
        #expect(TimeLagEstimator.isWithin(maxLagMs: 30_000, committed: 1299, samples: samples, now: 60_000) == .exceeded(method: .interpolation))
        #expect(TimeLagEstimator.isWithin(maxLagMs: 600_000, committed: 900, samples: samples, now: 60_000)
            == .unknown(reason: "threshold time is before the oldest log-end sample"))
        #expect(TimeLagEstimator.isWithin(committed: 10, offsetAtThresholdTime: 11) == .exceeded(method: .offsetForTime))
        #expect(TimeLagEstimator.isWithin(committed: 10, offsetAtThresholdTime: nil) == .within(method: .offsetForTime))
    }

    @Test("Trend and ETA")
    func trendAndETA() {
        let shrinking = (0..<5).map { LagSample(timestamp: Int64($0) * 10_000, lag: 1000 - Int64($0) * 100) }
        let result = TimeLagEstimator.trend(shrinking)
        #expect(result.trend == .shrinking)
        #expect(result.offsetsPerSecond == -10)
        #expect(result.etaSeconds == 60)
        let growing = (0..<5).map { LagSample(timestamp: Int64($0) * 10_000, lag: Int64($0) * 50) }
        #expect(TimeLagEstimator.trend(growing).trend == .growing)
        #expect(TimeLagEstimator.trend(growing).etaSeconds == nil)
        let steady = (0..<5).map { LagSample(timestamp: Int64($0) * 10_000, lag: 7) }
        #expect(TimeLagEstimator.trend(steady).trend == .steady)
        #expect(TimeLagEstimator.trend([LagSample(timestamp: 0, lag: 3)]).trend == .unknown)
    }

    /// The trend as it was computed before it read ordered samples in place: sorted copy, arrays of
    /// x and y, sums by `reduce`.
    private static func referenceTrend(_ samples: [LagSample], steadyTolerance: Double = 0.1) -> LagTrendResult {
        let points = samples.sorted { $0.timestamp < $1.timestamp }
        guard points.count >= 2, let first = points.first, let last = points.last, last.timestamp > first.timestamp else {
            return LagTrendResult(trend: .unknown, offsetsPerSecond: nil, etaSeconds: points.last.map { $0.lag == 0 ? 0 : nil } ?? nil)
        }
        let xs = points.map { Double($0.timestamp - first.timestamp) / 1000 }
        let ys = points.map { Double($0.lag) }
        let n = Double(points.count)
        let meanX = xs.reduce(0, +) / n
        let meanY = ys.reduce(0, +) / n
        var num = 0.0
        var den = 0.0
        for (x, y) in zip(xs, ys) {
            num += (x - meanX) * (y - meanY)
            den += (x - meanX) * (x - meanX)
        }
        let slope = den == 0 ? 0 : num / den
        let trend: LagTrend = slope > steadyTolerance ? .growing : slope < -steadyTolerance ? .shrinking : .steady
        let eta: Double? = last.lag == 0 ? 0 : trend == .shrinking ? Double(last.lag) / -slope : nil
        return LagTrendResult(trend: trend, offsetsPerSecond: slope, etaSeconds: eta)
    }

    @Test("The trend equals the sorted-copy computation bit for bit on random samples, ordered or not")
    func trendMatchesReference() {
        var state: UInt64 = 17
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var shuffled = 0
        for _ in 0..<2_000 {
            var t: Int64 = Int64(next(1_000_000))
            var samples: [LagSample] = []
            for _ in 0..<next(12) {
                // Mostly forward, sometimes the same instant, sometimes back.
                t += Int64(next(10) == 0 ? -next(5_000) : next(4_000))
                samples.append(LagSample(timestamp: t, lag: next(5) == 0 ? 0 : Int64(next(100_000))))
            }
            if zip(samples, samples.dropFirst()).contains(where: { $0.timestamp > $1.timestamp }) { shuffled += 1 }
            let a = TimeLagEstimator.trend(samples)
            let b = Self.referenceTrend(samples)
            #expect(a.trend == b.trend && a.offsetsPerSecond?.bitPattern == b.offsetsPerSecond?.bitPattern
                    && a.etaSeconds?.bitPattern == b.etaSeconds?.bitPattern, "\(samples)")
        }
        // Both shapes of input were tried.
        #expect(shuffled > 100 && shuffled < 1_900)
    }

    @Test("Record times: set, replace, remove, keep only keys in use, and look up by topic")
    func recordTimesTable() {
        func key(_ topic: String, _ partition: Int32, _ offset: Int64) -> RecordTimes.Key {
            RecordTimes.Key(TopicPartition(topic: topic, partition: partition), offset: offset)
        }
        var table = RecordTimes()
        #expect(table.isEmpty && table.count == 0 && table.records(ofTopic: "a") == nil)
        table[key("a", 0, 5)] = RecordTimes.Record(timestamp: 100, exact: true)
        table[key("a", 1, 5)] = RecordTimes.Record(timestamp: 200, exact: false)
        table[key("b", 0, 7)] = RecordTimes.Record(timestamp: 300, exact: true)
        table[key("a", 0, 5)] = RecordTimes.Record(timestamp: 150, exact: true)
        #expect(table.count == 3 && !table.isEmpty)
        #expect(table[key("a", 0, 5)]?.timestamp == 150 && table[key("a", 0, 6)] == nil && table[key("c", 0, 5)] == nil)
        let a = table.records(ofTopic: "a")
        #expect(a?[partition: 1, offset: 5] == RecordTimes.Record(timestamp: 200, exact: false))
        #expect(a?[partition: 0, offset: 5]?.timestamp == 150 && a?[partition: 2, offset: 5] == nil)

        // The same entries set in another order make an equal table.
        var other = RecordTimes()
        other[key("b", 0, 7)] = RecordTimes.Record(timestamp: 300, exact: true)
        other[key("a", 1, 5)] = RecordTimes.Record(timestamp: 200, exact: false)
        other[key("a", 0, 5)] = RecordTimes.Record(timestamp: 150, exact: true)
        #expect(other == table && other.hashValue == table.hashValue)

        table[key("b", 0, 7)] = nil
        table[key("b", 0, 7)] = nil
        #expect(table.count == 2 && table.records(ofTopic: "b") == nil && table != other)

        other.retain([key("a", 1, 5), key("b", 0, 7), key("z", 0, 1)])
        #expect(other.count == 2 && other[key("a", 0, 5)] == nil && other[key("a", 1, 5)] != nil && other[key("b", 0, 7)] != nil)
        other.retain([])
        #expect(other.isEmpty && other == RecordTimes())
    }
}

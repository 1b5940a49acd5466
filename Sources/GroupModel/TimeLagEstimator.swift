/// One observation of a partition's log end by the poller.
public struct OffsetSample: Sendable, Hashable, Codable {
    /// When the log end was read (ms since the Unix epoch).
    public var timestamp: Int64
    /// The log end offset at that time.
    public var logEnd: Int64

    /// Creates a sample.
    public init(timestamp: Int64, logEnd: Int64) {
        self.timestamp = timestamp
        self.logEnd = logEnd
    }
}

/// One observation of a partition's lag in offsets.
public struct LagSample: Sendable, Hashable, Codable {
    /// When it was observed (ms since the Unix epoch).
    public var timestamp: Int64
    /// The lag in offsets.
    public var lag: Int64

    /// Creates a sample.
    public init(timestamp: Int64, lag: Int64) {
        self.timestamp = timestamp
        self.lag = lag
    }
}

/// How a time-lag figure was obtained; every result carries one so the output can label it.
public enum TimeLagMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// The committed offset is at the log end: 0 s, whatever the traffic.
    case caughtUp = "caught_up"
    /// Interpolated between two of the poller's own log-end samples.
    case interpolation
    /// A lower bound: the committed offset is older than every sample (the figure is the time since
    /// the oldest sample), or only the newest timestamp of the record's compressed batch is known.
    /// The partition is further behind than the figure.
    case lowerBound = "lower_bound"
    /// Interpolated between broker timestamp anchors (log start and MAX_TIMESTAMP offsets).
    case timestampAnchors = "timestamp_anchors"
    /// Compared with the broker's answer to ListOffsets by timestamp (exact).
    case offsetForTime = "offset_for_time"
    /// Measured from the timestamp of the record at the committed offset, read from the partition
    /// leader (a one-record Fetch): `now − timestamp`.
    case recordTimestamp = "record_timestamp"
}

/// A time lag ("seconds behind"): known with its method, or unknown with a reason. Never NaN.
///
/// A known figure is either measured or, with ``TimeLagMethod/lowerBound``, a lower bound: the
/// partition is *more* than that far behind. Every display says which (``text``: `18s` or `> 18s`).
///
/// JSON shape: `{"seconds": 12.5, "method": "interpolation", "bound": false}` (`bound` is `true` for a
/// lower bound), or `{"unknown": "reason"}`.
public enum TimeLag: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Seconds behind (≥ 0), and how it was computed.
    case known(seconds: Double, method: TimeLagMethod)
    /// Not computable, and why.
    case unknown(reason: String)

    /// Seconds when known (for a lower bound: the bound).
    public var seconds: Double? {
        if case .known(let seconds, _) = self { return seconds }
        return nil
    }

    /// The method when known.
    public var method: TimeLagMethod? {
        if case .known(_, let method) = self { return method }
        return nil
    }

    /// Whether the figure is a lower bound (the true time lag is larger).
    public var isLowerBound: Bool { method == .lowerBound }

    /// `12.5 s (interpolation)`, `> 18 s (lower_bound)` or `unknown (reason)`.
    public var description: String {
        switch self {
        case .known(let seconds, let method): return "\(isLowerBound ? "> " : "")\((seconds * 10).rounded() / 10) s (\(method.rawValue))"
        case .unknown(let reason): return "unknown (\(reason))"
        }
    }

    /// A group's time lag: the largest of its partitions', with that partition's method. It is a
    /// lower bound when any partition's figure is one (that partition may be further behind than
    /// the largest figure). `nil` when no partition's time lag is known. Inlinable, so that callers
    /// in other modules get it specialized for their sequence (a poll reads 100,000 figures).
    @inlinable
    public static func groupMaximum<S: Sequence>(_ lags: S) -> TimeLag? where S.Element == TimeLag {
        var best: (seconds: Double, method: TimeLagMethod)?
        var anyBound = false
        for lag in lags {
            guard case .known(let seconds, let method) = lag else { continue }
            if method == .lowerBound { anyBound = true }
            if best.map({ seconds > $0.seconds || (seconds == $0.seconds && method == .lowerBound) }) ?? true {
                best = (seconds, method)
            }
        }
        guard let best else { return nil }
        return .known(seconds: best.seconds, method: anyBound ? .lowerBound : best.method)
    }

    private enum CodingKeys: String, CodingKey {
        case seconds, method, bound, unknown
    }

    /// Decodes either JSON shape.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let reason = try container.decodeIfPresent(String.self, forKey: .unknown) {
            self = .unknown(reason: reason)
        } else {
            self = .known(
                seconds: try container.decode(Double.self, forKey: .seconds),
                method: try container.decode(TimeLagMethod.self, forKey: .method))
        }
    }

    /// Encodes `{"seconds", "method", "bound"}` or `{"unknown": "reason"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .known(let seconds, let method):
            // Milliseconds are as precise as the clocks involved; whole ms keep the JSON short.
            try container.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
            try container.encode(method, forKey: .method)
            try container.encode(method == .lowerBound, forKey: .bound)
        case .unknown(let reason):
            try container.encode(reason, forKey: .unknown)
        }
    }
}

/// Direction of a lag over a window.
public enum LagTrend: String, Sendable, Hashable, Codable, CaseIterable {
    /// Lag rises.
    case growing
    /// Lag falls.
    case shrinking
    /// Lag changes less than the tolerance.
    case steady
    /// Fewer than two samples.
    case unknown
}

/// Lag trend with its rate and the time to catch up at that rate.
public struct LagTrendResult: Sendable, Hashable, Codable {
    /// The direction.
    public var trend: LagTrend
    /// Least-squares slope of the lag, in offsets per second (`nil` with fewer than two samples).
    public var offsetsPerSecond: Double?
    /// Seconds until the lag reaches 0 at the current rate: 0 when already 0, `nil` when not shrinking.
    public var etaSeconds: Double?

    /// Creates a result.
    public init(trend: LagTrend, offsetsPerSecond: Double?, etaSeconds: Double?) {
        self.trend = trend
        self.offsetsPerSecond = offsetsPerSecond
        self.etaSeconds = etaSeconds
    }
}

/// Outcome of a "less than X seconds behind" check.
public enum ThresholdResult: Sendable, Hashable, Codable {
    /// The committed offset is at or past the offset the log had X seconds ago.
    case within(method: TimeLagMethod)
    /// It is not.
    case exceeded(method: TimeLagMethod)
    /// Could not decide, and why.
    case unknown(reason: String)
}

/// Time lag from the poller's own log-end samples, lag trend and ETA, and the threshold test.
/// Pure; all times are milliseconds since the Unix epoch, supplied by the caller.
public enum TimeLagEstimator {
    /// The usable samples: time-ordered, and only the stretch after the last log-end decrease
    /// (a truncated or recreated log makes older samples meaningless).
    public static func usable(_ samples: [OffsetSample]) -> [OffsetSample] {
        let sorted = samples.sorted { $0.timestamp < $1.timestamp }
        var start = 0
        for i in sorted.indices.dropFirst() where sorted[i].logEnd < sorted[i - 1].logEnd { start = i }
        return Array(sorted[start...])
    }

    /// When the log end first passed `offset` (that is, when the record at `offset` was appended),
    /// interpolated between the bracketing samples; `nil` when the log end had already passed it at
    /// the oldest sample or never passed it.
    public static func timeWhenLogEndPassed(_ offset: Int64, samples: [OffsetSample]) -> Double? {
        let points = usable(samples)
        guard let firstAbove = points.firstIndex(where: { $0.logEnd > offset }), firstAbove > 0 else { return nil }
        return appended(offset, between: points[firstAbove - 1], and: points[firstAbove])
    }

    /// When the record at `offset` was appended, given samples on either side of it
    /// (`left.logEnd <= offset < right.logEnd`): it arrived somewhere in (left.timestamp,
    /// right.timestamp]; a steady rate between the two samples is assumed.
    @inline(__always)
    static func appended(_ offset: Int64, between left: OffsetSample, and right: OffsetSample) -> Double {
        let fraction = Double(offset + 1 - left.logEnd) / Double(right.logEnd - left.logEnd)
        return Double(left.timestamp) + fraction * Double(right.timestamp - left.timestamp)
    }

    /// Seconds behind for a committed offset, from the poller's log-end samples.
    /// - An idle or caught-up partition (committed at or past the latest log end) is 0 s.
    /// - A committed offset inside the sampled range is interpolated.
    /// - One older than every sample gives a lower bound (time since the oldest sample).
    public static func timeLag(committed: Int64?, samples: [OffsetSample], now: Int64) -> TimeLag {
        let points = usable(samples)
        return points.withUnsafeBufferPointer { points in
            timeLag(committed: committed, timeOrderedCount: points.count, now: now) { points[$0] }
        }
    }

    /// ``timeLag(committed:samples:now:)`` for samples the caller keeps in time order (the history
    /// does): no sorting and no copy unless they turn out not to be ordered.
    /// Samples may be any collection indexed from 0 (the history reads them straight from its
    /// rings, ``TopicRing/withSamples(slot:_:)``, decoded onto the stack).
    static func timeLag<Samples: RandomAccessCollection>(committed: Int64?, ordered samples: Samples, now: Int64) -> TimeLag
    where Samples.Element == OffsetSample, Samples.Index == Int {
        guard committed != nil else { return .unknown(reason: "no committed offset") }
        var previous = samples.first
        for sample in samples.dropFirst() {
            if let p = previous, sample.timestamp < p.timestamp {
                return timeLag(committed: committed, samples: Array(samples), now: now)
            }
            previous = sample
        }
        let start = samples.startIndex
        return timeLag(committed: committed, timeOrderedCount: samples.count, now: now) { samples[start + $0] }
    }

    /// The rule itself, over `count` samples known to be in time order, read one at a time by
    /// `sample(k)` (`k` from 0, the oldest): applied from the newest sample back, and only as far
    /// as it needs (a caught-up partition reads one sample, one committed between the last two
    /// reads two). Only the stretch after the last log-end decrease is used (as ``usable(_:)``
    /// keeps it): the walk stops where the log end decreased.
    @inline(__always)
    static func timeLag(committed: Int64?, timeOrderedCount count: Int, now: Int64, sample: (Int) -> OffsetSample) -> TimeLag {
        guard let committed else { return .unknown(reason: "no committed offset") }
        guard count > 0 else { return .unknown(reason: "no log-end samples yet") }
        var right = sample(count - 1)
        if committed >= right.logEnd { return .known(seconds: 0, method: .caughtUp) }
        // `right` is past the committed offset; walking back, the first sample at or below it is
        // the left bracket, unless the log end decreased first (the usable samples start at
        // `right`) or the samples end: then `right` is the oldest usable sample, past the offset.
        var k = count - 1
        while k > 0 {
            let left = sample(k - 1)
            if left.logEnd > right.logEnd { break }
            if left.logEnd <= committed {
                let at = appended(committed, between: left, and: right)
                return .known(seconds: max(0, (Double(now) - at) / 1000), method: .interpolation)
            }
            right = left
            k -= 1
        }
        return .known(seconds: max(0, Double(now - right.timestamp) / 1000), method: .lowerBound)
    }

    /// Time lags of a group's partitions from one poll alone (no history), one per row in the
    /// group's row order: a partition at its log end is 0 s (`caught_up`); one behind it is
    /// measured from the record at its committed offset when `records` holds it
    /// (`record_timestamp`), else at least 0 s behind (`lower_bound`); one with no commit or no log
    /// end is unknown. By row rather than by partition: the JSON writer reads them beside the rows,
    /// with no partition hashed.
    public static func singlePollTimeLags(of group: Group, at now: Int64, records: RecordTimes = RecordTimes()) -> [TimeLag] {
        let rows = group.partitions
        var out: [TimeLag] = []
        out.reserveCapacity(rows.count)
        let anyRecords = !records.isEmpty
        for i in rows.indices {
            let committed = rows[i].committedOffset
            // The one sample this poll gives, read in place (no list made per row).
            let logEnd = rows[i].logEnd
            var lag = timeLag(committed: committed, timeOrderedCount: logEnd == nil ? 0 : 1, now: now) { _ in
                OffsetSample(timestamp: now, logEnd: logEnd ?? 0)
            }
            if anyRecords, lag.isLowerBound, let committed,
               let record = records[RecordTimes.Key(rows[i].topicPartition, offset: committed)] {
                lag = RecordTimes.timeLag(record, history: lag, now: now)
            }
            out.append(lag)
        }
        return out
    }

    /// Seconds behind from broker timestamp anchors: the log start (offset, timestamp) and the
    /// MAX_TIMESTAMP answer (offset, timestamp of the newest record), interpolated linearly.
    public static func timeLag(
        committed: Int64?, logEnd: Int64?, start: OffsetSample?, maxTimestamp: OffsetSample?, now: Int64
    ) -> TimeLag {
        guard let committed else { return .unknown(reason: "no committed offset") }
        guard let logEnd else { return .unknown(reason: "log end offset unknown") }
        if committed >= logEnd { return .known(seconds: 0, method: .caughtUp) }
        guard let newest = maxTimestamp else { return .unknown(reason: "no MAX_TIMESTAMP anchor") }
        if committed >= newest.logEnd {
            return .known(seconds: max(0, Double(now - newest.timestamp) / 1000), method: .timestampAnchors)
        }
        guard let oldest = start, oldest.logEnd <= committed, newest.logEnd > oldest.logEnd else {
            return .unknown(reason: "committed offset outside the timestamp anchors")
        }
        let fraction = Double(committed - oldest.logEnd) / Double(newest.logEnd - oldest.logEnd)
        let recordTime = Double(oldest.timestamp) + fraction * Double(newest.timestamp - oldest.timestamp)
        return .known(seconds: max(0, (Double(now) - recordTime) / 1000), method: .timestampAnchors)
    }

    /// The log end at `time`, interpolated from samples (the offset `offsetFor(time)` would give);
    /// `nil` outside the sampled span.
    public static func offsetFor(time: Int64, samples: [OffsetSample]) -> Double? {
        let points = usable(samples)
        guard let first = points.first, let last = points.last, time >= first.timestamp else { return nil }
        if time >= last.timestamp { return Double(last.logEnd) }
        guard let rightIndex = points.firstIndex(where: { $0.timestamp >= time }) else { return nil }
        let right = points[rightIndex]
        if right.timestamp == time || rightIndex == 0 { return Double(right.logEnd) }
        let left = points[rightIndex - 1]
        let fraction = Double(time - left.timestamp) / Double(right.timestamp - left.timestamp)
        return Double(left.logEnd) + fraction * Double(right.logEnd - left.logEnd)
    }

    /// Whether `committed` is less than `maxLagMs` behind: `committed >= offsetFor(now − maxLagMs)`,
    /// with `offsetFor` interpolated from samples.
    public static func isWithin(maxLagMs: Int64, committed: Int64?, samples: [OffsetSample], now: Int64) -> ThresholdResult {
        guard let committed else { return .unknown(reason: "no committed offset") }
        let points = usable(samples)
        if let latest = points.last, committed >= latest.logEnd { return .within(method: .caughtUp) }
        if let first = points.first, committed >= first.logEnd, now - maxLagMs < first.timestamp {
            // Everything appended after the oldest sample is newer than the threshold time.
            return .within(method: .interpolation)
        }
        guard let offset = offsetFor(time: now - maxLagMs, samples: points) else {
            return .unknown(reason: "threshold time is before the oldest log-end sample")
        }
        return Double(committed) >= offset.rounded(.down) ? .within(method: .interpolation) : .exceeded(method: .interpolation)
    }

    /// The exact threshold test with the broker's ListOffsets-by-timestamp answer for `now − X`
    /// (`nil` when no record is that old or newer: the partition has nothing older than X).
    public static func isWithin(committed: Int64?, offsetAtThresholdTime: Int64?) -> ThresholdResult {
        guard let committed else { return .unknown(reason: "no committed offset") }
        guard let offset = offsetAtThresholdTime else { return .within(method: .offsetForTime) }
        return committed >= offset ? .within(method: .offsetForTime) : .exceeded(method: .offsetForTime)
    }

    /// Whether a lag grows across a window, as the verdicts judge it (one rule for the dashboard,
    /// `events` and `check`). Samples must be time-ordered; at least three are needed. The lag grows
    /// when all of these hold:
    /// - the least-squares slope is positive;
    /// - the rise it predicts over the window (slope × span) is more than `allowedLag` and more than
    ///   twice the scatter of the samples around the line (their residual standard deviation), so a
    ///   consumer that commits in bursts (a saw-tooth lag) keeps pace without being flagged;
    /// - the newest lag is above the oldest;
    /// - the newer half of the window (at least three samples) does not clearly fall: a lag that
    ///   comes down after a spike (a rebalance's) by more than twice its own scatter is recovering,
    ///   not growing, while a saw-tooth that dips at the end still counts.
    /// - Returns: the slope in offsets per second when the lag grows, else `nil`.
    public static func growthRate(_ samples: [LagSample], allowedLag: Int64 = 0) -> Double? {
        growthRate(samples[...], allowedLag: allowedLag)
    }

    /// ``growthRate(_:allowedLag:)`` over samples read in place (a window on the stack, a slice).
    static func growthRate<Samples: RandomAccessCollection>(_ samples: Samples, allowedLag: Int64) -> Double?
    where Samples.Element == LagSample {
        guard samples.count >= 3, let first = samples.first, let last = samples.last,
              last.timestamp > first.timestamp, last.lag > first.lag,
              let whole = fit(samples), whole.slope > 0 else { return nil }
        guard whole.rise > Double(allowedLag), whole.rise > 2 * whole.scatter else { return nil }
        // A clear fall over the newer half (more than its own scatter) is a recovery.
        if let recent = fit(samples.suffix(max(3, samples.count / 2))), recent.slope < 0, -recent.rise > 2 * recent.scatter {
            return nil
        }
        return whole.slope
    }

    /// A least-squares line through time-ordered samples: its slope (offsets per second), the
    /// change it predicts over their span (`rise`, offsets) and the scatter of the samples around it
    /// (residual standard deviation, offsets); `nil` when they span no time.
    static func fit<Samples: BidirectionalCollection>(_ samples: Samples) -> (slope: Double, rise: Double, scatter: Double)?
    where Samples.Element == LagSample {
        guard let origin = samples.first?.timestamp, let end = samples.last?.timestamp else { return nil }
        let n = Double(samples.count)
        var meanX = 0.0
        var meanY = 0.0
        for s in samples {
            meanX += Double(s.timestamp - origin) / 1000
            meanY += Double(s.lag)
        }
        meanX /= n
        meanY /= n
        var sxy = 0.0
        var sxx = 0.0
        for s in samples {
            let dx = Double(s.timestamp - origin) / 1000 - meanX
            sxy += dx * (Double(s.lag) - meanY)
            sxx += dx * dx
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        var residuals = 0.0
        for s in samples {
            let r = Double(s.lag) - (meanY + slope * (Double(s.timestamp - origin) / 1000 - meanX))
            residuals += r * r
        }
        let scatter = (residuals / max(1, n - 2)).squareRoot()
        return (slope, slope * Double(end - origin) / 1000, scatter)
    }

    /// Lag trend over samples by least squares; `steadyTolerance` is in offsets per second.
    public static func trend(_ samples: [LagSample], steadyTolerance: Double = 0.1) -> LagTrendResult {
        // Samples the caller keeps in time order (the history's) are read as they are, not copied.
        var ordered = true
        for i in samples.indices.dropFirst() where samples[i].timestamp < samples[i - 1].timestamp {
            ordered = false
            break
        }
        let points = ordered ? samples : samples.sorted { $0.timestamp < $1.timestamp }
        guard points.count >= 2, let first = points.first, let last = points.last, last.timestamp > first.timestamp else {
            return LagTrendResult(trend: .unknown, offsetsPerSecond: nil, etaSeconds: points.last.map { $0.lag == 0 ? 0 : nil } ?? nil)
        }
        // The same sums in the same order as over arrays of x and y, without building them.
        func x(_ p: LagSample) -> Double { Double(p.timestamp - first.timestamp) / 1000 }
        let n = Double(points.count)
        var sumX = 0.0
        var sumY = 0.0
        for p in points {
            sumX += x(p)
            sumY += Double(p.lag)
        }
        let meanX = sumX / n
        let meanY = sumY / n
        var num = 0.0
        var den = 0.0
        for p in points {
            let dx = x(p) - meanX
            num += dx * (Double(p.lag) - meanY)
            den += dx * dx
        }
        let slope = den == 0 ? 0 : num / den
        let trend: LagTrend = slope > steadyTolerance ? .growing : slope < -steadyTolerance ? .shrinking : .steady
        let eta: Double?
        if last.lag == 0 {
            eta = 0
        } else if trend == .shrinking {
            eta = Double(last.lag) / -slope
        } else {
            eta = nil
        }
        return LagTrendResult(trend: trend, offsetsPerSecond: slope, etaSeconds: eta)
    }
}

/// The timestamps of the records at committed offsets, as the partition leaders answered a
/// one-record Fetch: what makes a time lag measurable when the committed offset is older than the
/// poller's own log-end samples. Keyed by partition and offset, so one answer serves every group
/// committed at that offset, and stays true for as long as the committed offset stays there.
public struct RecordTimes: Sendable, Hashable {
    /// A partition and an offset in it.
    public struct Key: Sendable, Hashable, Comparable {
        /// The partition.
        public var topicPartition: TopicPartition
        /// The offset.
        public var offset: Int64

        /// Creates a key.
        public init(_ topicPartition: TopicPartition, offset: Int64) {
            self.topicPartition = topicPartition
            self.offset = offset
        }

        /// By partition, then offset.
        public static func < (a: Key, b: Key) -> Bool {
            a.topicPartition != b.topicPartition ? a.topicPartition < b.topicPartition : a.offset < b.offset
        }
    }

    /// What a leader said about the record at a key's offset.
    public struct Record: Sendable, Hashable {
        /// The record's timestamp (ms since the Unix epoch).
        public var timestamp: Int64
        /// `false` when only the newest timestamp of the record's (compressed) batch is known: the
        /// record is at least that old, so the time lag from it is a lower bound.
        public var exact: Bool

        /// Creates a value.
        public init(timestamp: Int64, exact: Bool) {
            self.timestamp = timestamp
            self.exact = exact
        }
    }

    /// A partition number and an offset in it.
    struct PartitionOffset: Sendable, Hashable {
        var partition: Int32
        var offset: Int64
    }

    /// The records of one topic, by partition and offset: a group's rows come topic by topic, so
    /// the topic's name is hashed once per run of its rows, and each row's key is two integers.
    public struct TopicRecords: Sendable {
        fileprivate let records: [PartitionOffset: Record]

        /// The record at `offset` of `partition`, if read.
        public subscript(partition partition: Int32, offset offset: Int64) -> Record? {
            records[PartitionOffset(partition: partition, offset: offset)]
        }
    }

    /// Per topic, its records (no topic without any).
    private var byTopic: [String: [PartitionOffset: Record]] = [:]
    /// Entries held.
    public private(set) var count = 0

    /// An empty table.
    public init() {}

    /// Whether nothing is held.
    public var isEmpty: Bool { count == 0 }

    /// The record at `key`, if read.
    public subscript(_ key: Key) -> Record? {
        get { byTopic[key.topicPartition.topic]?[PartitionOffset(partition: key.topicPartition.partition, offset: key.offset)] }
        set {
            let at = PartitionOffset(partition: key.topicPartition.partition, offset: key.offset)
            let topic = key.topicPartition.topic
            if let newValue {
                if byTopic[topic, default: [:]].updateValue(newValue, forKey: at) == nil { count += 1 }
            } else if byTopic[topic]?.removeValue(forKey: at) != nil {
                count -= 1
                if byTopic[topic]?.isEmpty == true { byTopic[topic] = nil }
            }
        }
    }

    /// The records of `topic`, nil when it has none.
    public func records(ofTopic topic: String) -> TopicRecords? {
        byTopic[topic].map { TopicRecords(records: $0) }
    }

    /// Keeps only the entries for `keys` (the committed offsets still in use).
    public mutating func retain(_ keys: Set<Key>) {
        guard count > keys.count || byTopic.contains(where: { topic, records in
            records.keys.contains { !keys.contains(Key(TopicPartition(topic: topic, partition: $0.partition), offset: $0.offset)) }
        }) else { return }
        var kept: [String: [PartitionOffset: Record]] = [:]
        var n = 0
        for (topic, records) in byTopic {
            let left = records.filter { keys.contains(Key(TopicPartition(topic: topic, partition: $0.key.partition), offset: $0.key.offset)) }
            if !left.isEmpty {
                kept[topic] = left
                n += left.count
            }
        }
        byTopic = kept
        count = n
    }

    /// The time lag from the record at the committed offset: `now − timestamp`, measured
    /// (`record_timestamp`) when the record's own timestamp is known, a lower bound otherwise (or
    /// when the estimate from the history is a larger bound).
    public static func timeLag(_ record: Record, history estimate: TimeLag, now: Int64) -> TimeLag {
        let seconds = max(0, Double(now - record.timestamp) / 1000)
        if record.exact { return .known(seconds: seconds, method: .recordTimestamp) }
        if case .known(let other, .lowerBound) = estimate, other > seconds { return estimate }
        return .known(seconds: seconds, method: .lowerBound)
    }

    /// Which committed offsets to read next, at most `budget` of them: those of lagging partitions
    /// whose time lag the history cannot measure (the committed offset is older than the oldest
    /// log-end sample, `oldestLogEnd`) and that are not read yet. Partitions of `focus` groups (on
    /// screen) come first, then the largest lags; each partition and offset once.
    public static func candidates(
        in snapshot: ClusterSnapshot, known: RecordTimes, oldestLogEnd: (TopicPartition) -> Int64?, focus: Set<String>, budget: Int
    ) -> [Key] {
        candidates(in: snapshot, known: known, focus: focus, budget: budget) { row, _ in oldestLogEnd(row.pointee.topicPartition) }
    }

    /// ``candidates(in:known:oldestLogEnd:focus:budget:)`` with the oldest log ends read from
    /// `history`: each topic's ring is looked up once per run of a group's rows of that topic
    /// (rows come sorted by topic), not once per row.
    static func candidates(in snapshot: ClusterSnapshot, known: RecordTimes, history: History, focus: Set<String>, budget: Int) -> [Key] {
        history.withTopicRings { rings in
            var cursor = OldestLogEnds(rings: rings)
            return candidates(in: snapshot, known: known, focus: focus, budget: budget) { row, newGroup in cursor.oldestLogEnd(row, newGroup: newGroup) }
        }
    }

    /// The oldest log ends of rows read in order, from the history's topic rings: a topic's ring
    /// is looked up once per run of rows of that topic, and read where the history keeps it (a
    /// copy would retain its arrays).
    private struct OldestLogEnds {
        let rings: History.TopicRings
        var topic: String?
        var ring: UnsafePointer<TopicRing>?

        mutating func oldestLogEnd(_ row: UnsafePointer<GroupPartition>, newGroup: Bool) -> Int64? {
            if newGroup || row.pointee.topicPartition.topic != topic {
                topic = row.pointee.topicPartition.topic
                ring = rings.ring(row.pointee.topicPartition.topic)
            }
            guard let ring, let slot = ring.pointee.slot(of: row.pointee.topicPartition.partition) else { return nil }
            return ring.pointee.oldestLogEnd(slot: slot)
        }
    }

    /// The selection, given the oldest log end of a row's partition (`oldestLogEnd(row, newGroup)`;
    /// `newGroup` is true for a group's first row). Rows are read in place (copying one retains its
    /// strings); the lagging ones are listed first and put in a table only to merge a partition and
    /// offset listed by several groups (a table sized for every row was most of the cost when the
    /// history measures almost every partition and few rows are listed).
    private static func candidates(
        in snapshot: ClusterSnapshot, known: RecordTimes, focus: Set<String>, budget: Int,
        oldestLogEnd: (UnsafePointer<GroupPartition>, _ newGroup: Bool) -> Int64?
    ) -> [Key] {
        guard budget > 0 else { return [] }
        typealias Rank = (focus: Bool, lag: Int64)
        // Lagging rows by position (no partition copied, no string retained): a key is made only
        // for the rows that can be picked.
        var listed: [(group: Int32, row: Int32, value: Rank)] = []
        let groups = snapshot.groups
        let checkKnown = !known.isEmpty
        let checkFocus = !focus.isEmpty
        // The records known of the topic of the rows at hand, looked up once per run of its rows.
        var knownTopic: String?
        var knownOfTopic: TopicRecords?
        for g in groups.indices {
            let inFocus = checkFocus && focus.contains(groups[g].groupID)
            groups[g].partitions.withUnsafeBufferPointer { rows in
                for i in rows.indices {
                    let row = rows.baseAddress! + i
                    guard let committed = row.pointee.committedOffset, let lag = row.pointee.lagOffsets, lag > 0,
                          let logEnd = row.pointee.logEnd, committed < logEnd, !row.pointee.hasError else { continue }
                    if let oldest = oldestLogEnd(row, i == 0), committed >= oldest { continue }
                    if checkKnown {
                        if row.pointee.topicPartition.topic != knownTopic {
                            knownTopic = row.pointee.topicPartition.topic
                            knownOfTopic = known.records(ofTopic: row.pointee.topicPartition.topic)
                        }
                        if knownOfTopic?[partition: row.pointee.topicPartition.partition, offset: committed] != nil { continue }
                    }
                    listed.append((Int32(g), Int32(i), (inFocus, lag)))
                }
            }
        }
        /// The partition and committed offset of a listed row.
        func key(group: Int32, row: Int32) -> Key {
            groups.withUnsafeBufferPointer { groups in
                (groups.baseAddress! + Int(group)).pointee.partitions.withUnsafeBufferPointer { rows in
                    let row = rows.baseAddress! + Int(row)
                    return Key(row.pointee.topicPartition, offset: row.pointee.committedOffset!)
                }
            }
        }
        func better(_ a: Rank, _ b: Rank) -> Bool {
            a.focus != b.focus ? a.focus : a.lag > b.lag
        }
        func merge(_ listings: some Sequence<(group: Int32, row: Int32, value: Rank)>, capacity: Int) -> [Key: Rank] {
            var picked: [Key: Rank] = [:]
            picked.reserveCapacity(capacity)
            for (group, row, rank) in listings {
                let key = key(group: group, row: row)
                let previous = picked[key]
                picked[key] = (rank.focus || previous?.focus == true, max(rank.lag, previous?.lag ?? 0))
            }
            return picked
        }
        var picked: [Key: Rank] = [:]
        if !checkFocus, listed.count > budget {
            // Without focus a key's rank is its largest lag, the rank of its best listing: the keys
            // that can be picked have a listing at least as good as the budget-th best listing.
            // Those listings alone are merged (a table of about `budget` keys, not one of every
            // lagging partition) unless partitions listed by several groups leave fewer keys than
            // the budget among them.
            let cut = budgetthBest(listed.lazy.map(\.value), budget: budget, by: better)
            let near = listed.lazy.filter { !better(cut, $0.value) }
            picked = merge(near, capacity: budget)
            if picked.count < budget { picked = merge(listed, capacity: listed.count) }
        } else {
            picked = merge(listed, capacity: listed.count)
        }
        listed = []
        var chosen = Array(picked)
        if chosen.count > budget {
            // Only the entries at least as good as the budget-th best (found by comparing
            // integers) can be picked: the key comparisons (strings) are made among those alone,
            // not among every lagging partition of the estate.
            let cut = budgetthBest(chosen.lazy.map(\.value), budget: budget, by: better)
            chosen.removeAll { better(cut, $0.value) }
            if chosen.count > budget {
                // Ties at the cut (many partitions lag alike) are taken by key, smallest first: of
                // them only the smallest keys that fit are kept, found with the same heap, so the
                // sort below compares keys among `budget` entries, not among every tie.
                let above = chosen.count { better($0.value, cut) }
                let lastKey = budgetthBest(chosen.lazy.filter { !better($0.value, cut) }.map(\.key), budget: budget - above, by: <)
                chosen.removeAll { !better($0.value, cut) && lastKey < $0.key }
            }
        }
        chosen.sort { a, b in
            if a.value.focus != b.value.focus { return a.value.focus }
            if a.value.lag != b.value.lag { return a.value.lag > b.value.lag }
            return a.key < b.key
        }
        return chosen.prefix(budget).map(\.key)
    }

    /// The `budget`-th best of `values` (`values` holds more than `budget`) by `better`, found with
    /// a heap of the `budget` best seen so far (its root the worst of them): n log budget
    /// comparisons instead of sorting all n values.
    static func budgetthBest<Values: Sequence, Rank>(
        _ values: Values, budget: Int, by better: (Rank, Rank) -> Bool
    ) -> Rank where Values.Element == Rank {
        var heap: [Rank] = []
        heap.reserveCapacity(budget)
        // The root is the worst kept: a child is never worse than its parent.
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let (l, r) = (2 * i + 1, 2 * i + 2)
                var worst = i
                if l < heap.count, better(heap[worst], heap[l]) { worst = l }
                if r < heap.count, better(heap[worst], heap[r]) { worst = r }
                if worst == i { return }
                heap.swapAt(i, worst)
                i = worst
            }
        }
        for value in values {
            if heap.count < budget {
                heap.append(value)
                var i = heap.count - 1
                while i > 0, better(heap[(i - 1) / 2], heap[i]) {
                    heap.swapAt(i, (i - 1) / 2)
                    i = (i - 1) / 2
                }
            } else if better(value, heap[0]) {
                heap[0] = value
                siftDown(0)
            }
        }
        return heap[0]
    }
}

/// One group's time lags by partition, as the derivation hands them over
/// (``DerivedPoll/timeLags``): looked up by partition like a `[TopicPartition: TimeLag]`.
///
/// The derivation computes a figure for every row of a group, so it keeps them in an array aligned
/// with the group's rows (sorted by topic and partition, as a ``Group`` keeps them) and shares the
/// rows for the partitions: no table is built and no partition hashed per poll. A lookup by
/// partition is a binary search over the rows. Explicit values (a dictionary or a literal) are kept
/// as a table. Either way it reads as the table `[TopicPartition: TimeLag]` it replaces: equality
/// and hashing are those of that table, and a partition listed twice keeps its last figure.
public struct PartitionTimeLags: Sendable, Hashable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    private enum Storage: Sendable {
        /// Rows strictly ascending by partition, and a figure per row.
        case rows([GroupPartition], [TimeLag])
        case table([TopicPartition: TimeLag])
    }

    private var storage: Storage

    /// No time lags.
    public init() { storage = .table([:]) }

    /// Explicit time lags.
    public init(_ lags: [TopicPartition: TimeLag]) { storage = .table(lags) }

    /// Explicit time lags from a literal (a partition listed twice keeps its last figure).
    public init(dictionaryLiteral elements: (TopicPartition, TimeLag)...) {
        storage = .table(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// Time lags of a group's `rows`, `lags[i]` being row `i`'s. Rows not strictly ascending by
    /// partition (a group keeps them ascending) are put into a table.
    public init(rows: [GroupPartition], lags: [TimeLag]) {
        precondition(rows.count == lags.count, "one time lag per row")
        var ascending = true
        rows.withUnsafeBufferPointer { rows in
            // Rows of one topic share its name (the poll interns them): the topic compare is
            // usually a pointer check. Read in place (copying a row retains every string in it).
            guard let base = rows.baseAddress else { return }
            for i in rows.indices.dropFirst() where !(base[i - 1].topicPartition < base[i].topicPartition) {
                ascending = false
                return
            }
        }
        if ascending {
            storage = .rows(rows, lags)
        } else {
            var table: [TopicPartition: TimeLag] = [:]
            table.reserveCapacity(rows.count)
            for i in rows.indices { table[rows[i].topicPartition] = lags[i] }
            storage = .table(table)
        }
    }

    /// The time lag of `tp`, if one is known.
    public subscript(_ tp: TopicPartition) -> TimeLag? {
        switch storage {
        case .table(let table):
            return table[tp]
        case .rows(let rows, let lags):
            return rows.rowIndex(of: tp).map { lags[$0] }
        }
    }

    /// How many partitions have a time lag.
    public var count: Int {
        switch storage {
        case .table(let table): return table.count
        case .rows(_, let lags): return lags.count
        }
    }

    /// Whether no partition has one.
    public var isEmpty: Bool { count == 0 }

    /// Every figure: in row order for a group's time lags, in the table's order for explicit ones.
    public var values: [TimeLag] {
        switch storage {
        case .table(let table): return Array(table.values)
        case .rows(_, let lags): return lags
        }
    }

    /// The same time lags as a table.
    public var dictionary: [TopicPartition: TimeLag] {
        switch storage {
        case .table(let table):
            return table
        case .rows(let rows, let lags):
            var table: [TopicPartition: TimeLag] = [:]
            table.reserveCapacity(rows.count)
            for i in rows.indices { table[rows[i].topicPartition] = lags[i] }
            return table
        }
    }

    /// The table's description.
    public var description: String { dictionary.description }

    /// Equal when the tables are.
    public static func == (a: PartitionTimeLags, b: PartitionTimeLags) -> Bool {
        if case .rows(let ra, let la) = a.storage, case .rows(let rb, let lb) = b.storage, la == lb,
           ra.count == rb.count, ra.indices.allSatisfy({ ra[$0].topicPartition == rb[$0].topicPartition }) {
            return true
        }
        return a.dictionary == b.dictionary
    }

    /// The table's hash.
    public func hash(into hasher: inout Hasher) { hasher.combine(dictionary) }
}

/// What one poll saw of one partition of one group.
public struct PartitionObservation: Sendable, Hashable, Codable {
    /// Snapshot time (ms since the Unix epoch).
    public var timestamp: Int64
    /// Committed offset, when the group has one.
    public var committed: Int64?
    /// Log end offset, when known.
    public var logEnd: Int64?
    /// Lag at that time.
    public var lag: LagValue
    /// Owner at that time.
    public var owner: String?
    /// Hand-off state at that time.
    public var handoff: HandoffState
    /// Error at that time.
    public var error: ItemError?

    /// Creates an observation.
    public init(timestamp: Int64, committed: Int64?, logEnd: Int64?, lag: LagValue, owner: String?, handoff: HandoffState, error: ItemError?) {
        self.timestamp = timestamp
        self.committed = committed
        self.logEnd = logEnd
        self.lag = lag
        self.owner = owner
        self.handoff = handoff
        self.error = error
    }

    /// The observation of a partition row at `timestamp`.
    public init(row: GroupPartition, timestamp: Int64) {
        self.init(timestamp: timestamp, committed: row.committedOffset, logEnd: row.logEnd, lag: row.lag,
                  owner: row.owner, handoff: row.handoff, error: row.error)
    }
}

/// Since when a partition's committed offset has had its current value, as far as the polls saw.
public struct CommitMark: Sendable, Hashable, Codable {
    /// The committed offset (`nil`: none).
    public var offset: Int64?
    /// The first snapshot time that showed this value.
    public var since: Int64

    /// Creates a mark.
    public init(offset: Int64?, since: Int64) {
        self.offset = offset
        self.since = since
    }
}

/// A bounded history of snapshots, kept by the Monitor: per group and partition the last
/// ``capacity`` observations, per partition the last ``capacity`` log-end samples (for time lag),
/// per group and partition since when the committed offset has stood still, and per group when each
/// member was first seen behind the assignment epoch. Groups, topics and partitions that disappear
/// are dropped.
///
/// Storage is compact: per group one ring of poll columns holding plain offsets, with the owner,
/// hand-off state, error and lag reason of each observation interned in a small per-group table;
/// per topic one ring of log-end samples. Observations come back as ``PartitionObservation`` values.
public struct History: Sendable, Hashable, Codable {
    /// Observations kept per partition (Burrow's `intervals`). Changing it keeps the newest ones.
    public var capacity: Int {
        didSet { capacity = max(1, capacity) }
    }
    /// Per group id, per member id: the first snapshot time the member was behind, while it still is.
    public private(set) var behindSince: [String: [String: Int64]] = [:]
    /// Time of the latest recorded snapshot.
    public private(set) var latestTimestamp: Int64?
    /// Per group id: its observations, aligned with the groups of the last recorded snapshot.
    private(set) var groupRings = GroupTable<GroupRing>()
    /// Per topic name: its log-end samples.
    private(set) var topicRings: [String: TopicRing] = [:]

    /// Creates an empty history.
    public init(capacity: Int = 10) {
        self.capacity = max(1, capacity)
    }

    /// Records a snapshot (snapshots must arrive in time order).
    public mutating func record(_ snapshot: ClusterSnapshot) {
        let at = snapshot.takenAt
        latestTimestamp = at

        let topics = snapshot.topics
        let groups = snapshot.groups
        if SnapshotDiff.strictlyAscending(count: topics.count, { topics[$0].name }) {
            // Unique names (as snapshots keep them): each ring is written in place in its table (one
            // lookup), a new one added; rings of topics that are gone are dropped afterwards.
            for t in topics.indices {
                topicRings[topics[t].name, default: TopicRing(capacity: capacity)].record(topics[t], at: at, capacity: capacity)
            }
            if topicRings.count > topics.count {
                topicRings = topicRings.filter { entry in topics.indexInSorted(of: entry.key, by: \.name) != nil }
            }
        } else {
            // Move every ring out of the old table; what is not moved back belonged to a topic that
            // is gone.
            var oldTopics: [String: TopicRing] = [:]
            swap(&oldTopics, &topicRings)
            topicRings.reserveCapacity(topics.count)
            for topic in topics {
                var ring = oldTopics.removeValue(forKey: topic.name) ?? topicRings.removeValue(forKey: topic.name)
                    ?? TopicRing(capacity: capacity)
                ring.record(topic, at: at, capacity: capacity)
                topicRings[topic.name] = ring
            }
        }

        var behindNow: [String: [String: Int64]] = [:]
        // Rings are walked beside the groups (no id hashed) and written where they are kept; a
        // group id listed twice starts its ring afresh (``GroupTable``). Indexing (not
        // `for group in`) reads the groups in place instead of copying each one.
        let capacity = self.capacity
        groupRings.update(groups, make: { GroupRing(capacity: capacity) }) { g, ring in
            ring.record(groups[g].partitions, at: at, capacity: capacity)
        }
        for g in groups.indices where groups[g].hasMembersBehindAssignmentEpoch {
            let groupID = groups[g].groupID
            var behind: [String: Int64] = [:]
            for member in groups[g].membersBehindAssignmentEpoch {
                behind[member.memberID] = behindSince[groupID]?[member.memberID] ?? at
            }
            behindNow[groupID] = behind
        }
        behindSince = behindNow
    }

    /// Calls `body` with the ring of `groupID` (nil when the history has none) borrowed where it is
    /// kept: a ring holds ten arrays, and a copy would retain and release each of them. `position`
    /// is the group's index in the last recorded snapshot, when the caller reads that snapshot:
    /// the ring is then found without a search.
    mutating func withGroupRing<R>(_ groupID: String, position: Int? = nil, _ body: (borrowing GroupRing?) -> R) -> R {
        let index = if let position { groupRings.index(ofGroupAt: position, id: groupID) } else { groupRings.index(of: groupID) }
        guard let index else { return body(nil) }
        return groupRings.withEntry(at: index) { body($0) }
    }

    /// How many groups and topics the history keeps observations for: those of the last snapshot.
    public var retainedCounts: (groups: Int, topics: Int) {
        (Set(groupRings.ids).union(behindSince.keys).count, topicRings.count)
    }

    /// Observations of one partition of one group, oldest first.
    public func observations(groupID: String, topicPartition: TopicPartition) -> [PartitionObservation] {
        guard let ring = groupRings[groupID], let slot = ring.slot(of: topicPartition) else { return [] }
        return ring.observations(slot: slot)
    }

    /// Since when the committed offset of one partition of one group has stood at its current value.
    public func commitUnchangedSince(groupID: String, topicPartition: TopicPartition) -> Int64? {
        commitMark(groupID: groupID, topicPartition: topicPartition)?.since
    }

    /// The commit mark of one partition of one group: its committed offset and since when it has
    /// had that value.
    public func commitMark(groupID: String, topicPartition: TopicPartition) -> CommitMark? {
        guard let ring = groupRings[groupID], let slot = ring.slot(of: topicPartition) else { return nil }
        return ring.commitMark(slot: slot)
    }

    /// Log-end samples of one partition, oldest first.
    public func logEndSamples(_ topicPartition: TopicPartition) -> [OffsetSample] {
        guard let ring = topicRings[topicPartition.topic], let slot = ring.slot(of: topicPartition.partition) else { return [] }
        var out: [OffsetSample] = []
        ring.samples(slot: slot, into: &out)
        return out
    }

    /// The log end at the oldest kept sample of a partition (committed offsets below it are older
    /// than the history reaches), `nil` without samples.
    public func oldestLogEnd(_ topicPartition: TopicPartition) -> Int64? {
        guard let ring = topicRings[topicPartition.topic], let slot = ring.slot(of: topicPartition.partition) else { return nil }
        return ring.oldestLogEnd(slot: slot)
    }

    /// Known lags of one partition of one group, oldest first (for ``TimeLagEstimator/trend(_:steadyTolerance:)``).
    public func lagSamples(groupID: String, topicPartition: TopicPartition) -> [LagSample] {
        observations(groupID: groupID, topicPartition: topicPartition).compactMap { obs in
            obs.lag.offsets.map { LagSample(timestamp: obs.timestamp, lag: $0) }
        }
    }

    /// The group's total lag at each kept poll, oldest first: the sum over the partitions observed
    /// at every one of those polls. A poll at which one of them had an unknown lag is left out.
    public func groupLagSamples(groupID: String) -> [LagSample] {
        var out: [LagSample] = []
        groupRings[groupID]?.totalLagSamples(into: &out)
        return out
    }

    /// Approximate bytes held by the observation and sample rings (for benchmarks).
    public var storageBytes: Int {
        groupRings.entries.reduce(0) { $0 + $1.storageBytes } + topicRings.values.reduce(0) { $0 + $1.storageBytes }
    }
}

// MARK: - Group rings

/// What an observation holds besides its offsets, interned per group: owner, hand-off state, error,
/// the reason of an unknown lag, and which offsets are present.
struct ObservationTraits: Sendable, Hashable, Codable {
    var owner: String?
    var handoff: HandoffState
    var error: ItemError?
    /// `nil` when the lag is known.
    var lagReason: String?
    var hasCommitted: Bool
    var hasLogEnd: Bool

    init(row: GroupPartition) {
        owner = row.owner
        handoff = row.handoff
        error = row.error
        if case .unknown(let reason) = row.lag { lagReason = reason } else { lagReason = nil }
        hasCommitted = row.committedOffset != nil
        hasLogEnd = row.logEnd != nil
    }

    /// Whether `traits` are those of `row` (without building them; both are read in place).
    @inline(__always)
    static func describe(_ traits: UnsafePointer<ObservationTraits>, _ row: UnsafePointer<GroupPartition>) -> Bool {
        guard traits.pointee.handoff == row.pointee.handoff,
              traits.pointee.hasCommitted == (row.pointee.committedOffset != nil),
              traits.pointee.hasLogEnd == (row.pointee.logEnd != nil),
              traits.pointee.owner == row.pointee.owner
        else { return false }
        if traits.pointee.error != nil || row.pointee.error != nil {
            guard traits.pointee.error == row.pointee.error else { return false }
        }
        if traits.pointee.lagReason != nil {
            guard case .unknown(let reason) = row.pointee.lag else { return false }
            return traits.pointee.lagReason == reason
        }
        return row.pointee.lag.offsets != nil
    }
}

/// The observations of one group: a ring of the last `capacity` polls ("columns") over the group's
/// partitions ("slots"). All partitions of a group are observed at the same polls, so a column has
/// one timestamp; a slot's `depth` says how many of the newest columns it was present in.
///
/// Cells are partition-major (`slot * capacity + column`), so one partition's window is
/// contiguous. Each cell holds three offsets (committed, log end, lag) and an index into
/// ``traits``.
struct GroupRing: Sendable, Hashable, Codable {
    private(set) var capacity: Int
    /// The partition of each slot, in the group's row order.
    private(set) var keys: [TopicPartition] = []
    /// Whether ``keys`` is strictly ascending (binary search applies).
    private var keysAscending = true
    /// Columns written since the layout was made; the newest is `(columns - 1) % capacity`.
    private(set) var columns = 0
    /// Timestamp of each column.
    private var times: [Int64]
    /// Per slot: observations held (at most `capacity`).
    private var depth: [Int32] = []
    /// Per cell: committed, log end, lag (3 values; meaningful when the traits say so).
    private var values: [Int64] = []
    /// Per cell: index into ``traits``.
    private var traitIndex: [Int32] = []
    /// Interned traits.
    private(set) var traits: [ObservationTraits] = []
    /// Lookup of ``traits`` once the table is larger than a linear search should scan.
    private var traitLookup: [ObservationTraits: Int32] = [:]
    /// Compact ``traits`` when it grows past this.
    private var traitLimit = 32
    /// Per slot: the commit mark (`markState`: 0 none, 1 no committed offset, 2 offset).
    private var markOffset: [Int64] = []
    private var markSince: [Int64] = []
    private var markState: [UInt8] = []

    init(capacity: Int) {
        self.capacity = capacity
        times = Array(repeating: 0, count: capacity)
    }

    var storageBytes: Int {
        keys.capacity * MemoryLayout<TopicPartition>.stride + times.capacity * 8 + depth.capacity * 4
            + values.capacity * 8 + traitIndex.capacity * 4 + traits.capacity * MemoryLayout<ObservationTraits>.stride
            + markOffset.capacity * 8 + markSince.capacity * 8 + markState.capacity
    }

    /// The slot of `tp`, if the group has it.
    func slot(of tp: TopicPartition) -> Int? {
        keysAscending ? keys.indexInSorted(of: tp) : keys.firstIndex(of: tp)
    }

    /// The slot of row `index` of a group whose row is `tp`: the same index when the layout
    /// matches, else a search.
    @inline(__always)
    func slot(of tp: TopicPartition, hint index: Int) -> Int? {
        if index < keys.count, keys[index] == tp { return index }
        return slot(of: tp)
    }

    /// Observations held for `slot`.
    func count(slot: Int) -> Int { Int(depth[slot]) }

    /// The column of the `k`-th (0 = oldest) of `n` observations.
    @inline(__always)
    func column(_ k: Int, of n: Int) -> Int { (columns - n + k) % capacity }

    /// The observation in `slot` at `column`.
    func observation(slot: Int, column: Int) -> PartitionObservation {
        let cell = slot * capacity + column
        let t = traits[Int(traitIndex[cell])]
        let lag: LagValue = t.lagReason.map { .unknown(reason: $0) } ?? .known(values[3 * cell + 2])
        return PartitionObservation(
            timestamp: times[column], committed: t.hasCommitted ? values[3 * cell] : nil,
            logEnd: t.hasLogEnd ? values[3 * cell + 1] : nil, lag: lag, owner: t.owner, handoff: t.handoff, error: t.error)
    }

    /// Appends what the health rules read of each observation of `slot` (the first `n`), oldest
    /// first, to `window`: the cells are read in place, the column advanced without a division.
    func appendWindow(slot: Int, count n: Int, to window: inout [HealthEvaluator.WindowEntry]) {
        guard n > 0 else { return }
        let cap = capacity
        var column = column(0, of: n)
        traits.withUnsafeBufferPointer { traits in
            values.withUnsafeBufferPointer { values in
                traitIndex.withUnsafeBufferPointer { index in
                    times.withUnsafeBufferPointer { times in
                        for _ in 0..<n {
                            let cell = slot * cap + column
                            let t = traits.baseAddress! + Int(index[cell])
                            window.append(HealthEvaluator.WindowEntry(
                                timestamp: times[column], committed: t.pointee.hasCommitted ? values[3 * cell] : nil,
                                lag: t.pointee.lagReason == nil ? values[3 * cell + 2] : nil, handoff: t.pointee.handoff))
                            column += 1
                            if column == cap { column = 0 }
                        }
                    }
                }
            }
        }
    }

    /// Observations of `slot`, oldest first.
    func observations(slot: Int) -> [PartitionObservation] {
        let n = count(slot: slot)
        return (0..<n).map { observation(slot: slot, column: column($0, of: n)) }
    }

    /// Replaces `out` with the group's total lag per kept column, oldest first (see
    /// ``History/groupLagSamples(groupID:)``).
    func totalLagSamples(into out: inout [LagSample]) {
        out.removeAll(keepingCapacity: true)
        var n = 0
        for slot in depth.indices { n = max(n, Int(depth[slot])) }
        guard n > 0 else { return }
        let cap = capacity
        // Cells are read in place (a traits entry holds strings: subscripting it could copy them).
        traits.withUnsafeBufferPointer { traits in
            values.withUnsafeBufferPointer { values in
                traitIndex.withUnsafeBufferPointer { index in
                    for k in 0..<n {
                        let col = column(k, of: n)
                        var total: Int64 = 0
                        var known = true
                        for slot in depth.indices where Int(depth[slot]) == n {
                            let cell = slot * cap + col
                            guard traits[Int(index[cell])].lagReason == nil else {
                                known = false
                                break
                            }
                            total += values[3 * cell + 2]
                        }
                        if known { out.append(LagSample(timestamp: times[col], lag: total)) }
                    }
                }
            }
        }
    }

    func commitMark(slot: Int) -> CommitMark? {
        switch markState[slot] {
        case 1: return CommitMark(offset: nil, since: markSince[slot])
        case 2: return CommitMark(offset: markOffset[slot], since: markSince[slot])
        default: return nil
        }
    }

    /// Appends the group's rows as the newest column.
    mutating func record(_ rows: [GroupPartition], at: Int64, capacity newCapacity: Int) {
        if newCapacity != capacity || !layoutMatches(rows) { relayout(rows, capacity: newCapacity) }
        columns += 1
        let column = (columns - 1) % capacity
        times[column] = at
        let cap = capacity
        var lastTrait: Int32 = -1
        // Rows are read in place through a pointer: copying a row retains every string in it.
        rows.withUnsafeBufferPointer { buffer in
        for slot in buffer.indices {
            let row = buffer.baseAddress! + slot
            let cell = slot * cap + column
            let committed = row.pointee.committedOffset
            values[3 * cell] = committed ?? 0
            values[3 * cell + 1] = row.pointee.logEnd ?? 0
            values[3 * cell + 2] = row.pointee.lag.offsets ?? 0
            // The table is read in place too (subscripting it would copy the traits' strings).
            let found = traits.withUnsafeBufferPointer { table -> Int32 in
                guard let base = table.baseAddress else { return -1 }
                if lastTrait >= 0, ObservationTraits.describe(base + Int(lastTrait), row) { return lastTrait }
                guard table.count <= 16 else { return -1 }
                for i in table.indices where ObservationTraits.describe(base + i, row) { return Int32(i) }
                return -1
            }
            lastTrait = found >= 0 ? found : intern(ObservationTraits(row: row.pointee))
            traitIndex[cell] = lastTrait
            if Int(depth[slot]) < cap { depth[slot] += 1 }
            // Commit mark: kept while the committed offset stays the same.
            let state: UInt8 = committed == nil ? 1 : 2
            if markState[slot] != state || (state == 2 && markOffset[slot] != committed) {
                markState[slot] = state
                markOffset[slot] = committed ?? 0
                markSince[slot] = at
            }
        }
        }
        if traits.count > traitLimit { compactTraits() }
    }

    private func layoutMatches(_ rows: [GroupPartition]) -> Bool {
        guard rows.count == keys.count else { return false }
        // A topic name is compared with the ring's once per run of rows of that topic: a poll's
        // rows of one topic share one string, and so do the keys (taken from one poll's rows), so
        // the checks within a run are pointer checks, not comparisons of the bytes. Read in place.
        return rows.withUnsafeBufferPointer { rows in
            keys.withUnsafeBufferPointer { keys in
                for i in rows.indices {
                    guard rows[i].topicPartition.partition == keys[i].partition else { return false }
                    if i > 0, rows[i].topicPartition.topic == rows[i - 1].topicPartition.topic, keys[i].topic == keys[i - 1].topic { continue }
                    guard rows[i].topicPartition.topic == keys[i].topic else { return false }
                }
                return true
            }
        }
    }

    private mutating func intern(_ t: ObservationTraits) -> Int32 {
        if traits.count <= 16 {
            for i in traits.indices where traits[i] == t { return Int32(i) }
        } else if let i = traitLookup[t] {
            return i
        }
        let i = Int32(traits.count)
        traits.append(t)
        if traits.count > 16 {
            if traitLookup.isEmpty {
                for (j, u) in traits.enumerated() where traitLookup[u] == nil { traitLookup[u] = Int32(j) }
            } else {
                traitLookup[t] = i
            }
        }
        return i
    }

    /// Rebuilds the traits table from the cells still in use.
    private mutating func compactTraits() {
        var remap = [Int32](repeating: -1, count: traits.count)
        var kept: [ObservationTraits] = []
        for slot in 0..<keys.count {
            let n = count(slot: slot)
            for k in 0..<n {
                let cell = slot * capacity + column(k, of: n)
                let old = Int(traitIndex[cell])
                if remap[old] < 0 {
                    remap[old] = Int32(kept.count)
                    kept.append(traits[old])
                }
                traitIndex[cell] = remap[old]
            }
        }
        traits = kept
        traitLookup = [:]
        if traits.count > 16 {
            for (j, u) in traits.enumerated() where traitLookup[u] == nil { traitLookup[u] = Int32(j) }
        }
        traitLimit = max(32, 2 * traits.count)
    }

    /// Makes a layout for `rows` (and `newCapacity`), keeping what is known of partitions that stay.
    private mutating func relayout(_ rows: [GroupPartition], capacity newCapacity: Int) {
        let newKeys = rows.map(\.topicPartition)
        var next = GroupRing(capacity: newCapacity)
        next.keys = newKeys
        next.keysAscending = zip(newKeys, newKeys.dropFirst()).allSatisfy { $0 < $1 }
        let kept = min(min(columns, capacity), newCapacity)
        next.columns = kept
        for i in 0..<kept {
            // i-th newest column.
            next.times[kept - 1 - i] = times[(columns - 1 - i) % capacity]
        }
        let cells = newKeys.count * newCapacity
        next.depth = Array(repeating: 0, count: newKeys.count)
        next.values = Array(repeating: 0, count: 3 * cells)
        next.traitIndex = Array(repeating: 0, count: cells)
        next.markOffset = Array(repeating: 0, count: newKeys.count)
        next.markSince = Array(repeating: 0, count: newKeys.count)
        next.markState = Array(repeating: 0, count: newKeys.count)
        next.traits = traits
        next.traitLookup = traitLookup
        next.traitLimit = traitLimit
        if !keys.isEmpty {
            var oldSlots: [TopicPartition: Int] = [:]
            oldSlots.reserveCapacity(keys.count)
            for (i, k) in keys.enumerated() where oldSlots[k] == nil { oldSlots[k] = i }
            for (newSlot, key) in newKeys.enumerated() {
                // A duplicate row starts empty, as it did when rings were keyed by partition.
                guard let oldSlot = oldSlots.removeValue(forKey: key) else { continue }
                let n = min(count(slot: oldSlot), kept)
                next.depth[newSlot] = Int32(n)
                for i in 0..<n {
                    let from = oldSlot * capacity + (columns - 1 - i) % capacity
                    let to = newSlot * newCapacity + (kept - 1 - i)
                    next.values[3 * to] = values[3 * from]
                    next.values[3 * to + 1] = values[3 * from + 1]
                    next.values[3 * to + 2] = values[3 * from + 2]
                    next.traitIndex[to] = traitIndex[from]
                }
                next.markOffset[newSlot] = markOffset[oldSlot]
                next.markSince[newSlot] = markSince[oldSlot]
                next.markState[newSlot] = markState[oldSlot]
            }
        }
        self = next
    }
}

// MARK: - Topic rings

/// The log-end samples of one topic: per partition ("slot") a ring of the last `capacity` samples.
/// A partition whose log end was unknown at a poll gets no sample at that poll.
struct TopicRing: Sendable, Hashable, Codable {
    private(set) var capacity: Int
    /// The partition index of each slot, in the topic's order.
    private(set) var partitions: [Int32] = []
    /// Whether slot `i` holds partition `i` for every slot.
    private var dense = true
    /// Whether ``partitions`` is strictly ascending.
    private var ascending = true
    /// Per slot: samples written since the layout was made (the ring position is this modulo capacity).
    private var written: [Int] = []
    /// Per cell (`slot * capacity + position`): timestamp and log end.
    private var times: [Int64] = []
    private var ends: [Int64] = []

    init(capacity: Int) { self.capacity = capacity }

    var storageBytes: Int { partitions.capacity * 4 + written.capacity * 8 + times.capacity * 8 + ends.capacity * 8 }

    /// The slot of partition `p`, if the topic has it.
    @inline(__always)
    func slot(of p: Int32) -> Int? {
        if dense { return p >= 0 && Int(p) < partitions.count ? Int(p) : nil }
        return ascending ? partitions.indexInSorted(of: p) : partitions.firstIndex(of: p)
    }

    /// Samples held for `slot`.
    @inline(__always)
    func count(slot: Int) -> Int { min(written[slot], capacity) }

    /// The log end of the oldest sample of `slot`.
    func oldestLogEnd(slot: Int) -> Int64? {
        let n = count(slot: slot)
        guard n > 0 else { return nil }
        return ends[slot * capacity + (written[slot] - n) % capacity]
    }

    /// Replaces `out` with the samples of `slot`, oldest first.
    func samples(slot: Int, into out: inout [OffsetSample]) {
        out.removeAll(keepingCapacity: true)
        let n = count(slot: slot)
        let base = slot * capacity
        for k in 0..<n {
            let position = (written[slot] - n + k) % capacity
            out.append(OffsetSample(timestamp: times[base + position], logEnd: ends[base + position]))
        }
    }

    /// The samples of one slot, oldest first, read in place from the ring (no copy): what
    /// ``samples(slot:into:)`` would write, as a collection indexed from 0.
    struct SlotSamples: RandomAccessCollection {
        fileprivate let times: UnsafePointer<Int64>
        fileprivate let ends: UnsafePointer<Int64>
        /// The cell of the slot's position 0.
        fileprivate let base: Int
        /// The ring position of the oldest sample.
        fileprivate let first: Int
        fileprivate let capacity: Int
        let count: Int

        var startIndex: Int { 0 }
        var endIndex: Int { count }

        subscript(k: Int) -> OffsetSample {
            precondition(k >= 0 && k < count, "sample index out of range")
            let cell = base + (first + k) % capacity
            return OffsetSample(timestamp: times[cell], logEnd: ends[cell])
        }
    }

    /// Calls `body` with the samples of `slot`, oldest first, read in place.
    func withSamples<R>(slot: Int, _ body: (SlotSamples) -> R) -> R {
        let n = count(slot: slot)
        let first = (written[slot] - n) % capacity
        return times.withUnsafeBufferPointer { times in
            ends.withUnsafeBufferPointer { ends in
                // An empty ring has no storage: point at a dummy (nothing is read when count is 0).
                withUnsafePointer(to: Int64(0)) { none in
                    body(SlotSamples(
                        times: times.baseAddress ?? none, ends: ends.baseAddress ?? none, base: slot * capacity, first: first,
                        capacity: capacity, count: n))
                }
            }
        }
    }

    /// Appends the topic's known log ends.
    mutating func record(_ topic: TopicInfo, at: Int64, capacity newCapacity: Int) {
        let rows = topic.partitions
        if newCapacity != capacity || !layoutMatches(rows) { relayout(rows, capacity: newCapacity) }
        let cap = capacity
        for slot in rows.indices {
            guard let logEnd = rows[slot].logEnd else { continue }
            let cell = slot * cap + written[slot] % cap
            times[cell] = at
            ends[cell] = logEnd
            written[slot] += 1
            // Keep the counter small; only its value modulo the capacity and past the capacity matter.
            if written[slot] >= 2 * cap { written[slot] -= cap }
        }
    }

    private func layoutMatches(_ rows: [PartitionOffsets]) -> Bool {
        guard rows.count == partitions.count else { return false }
        for i in rows.indices where rows[i].partition != partitions[i] { return false }
        return true
    }

    private mutating func relayout(_ rows: [PartitionOffsets], capacity newCapacity: Int) {
        var next = TopicRing(capacity: newCapacity)
        next.partitions = rows.map(\.partition)
        next.dense = next.partitions.enumerated().allSatisfy { Int($0.element) == $0.offset }
        next.ascending = zip(next.partitions, next.partitions.dropFirst()).allSatisfy { $0 < $1 }
        next.written = Array(repeating: 0, count: rows.count)
        next.times = Array(repeating: 0, count: rows.count * newCapacity)
        next.ends = Array(repeating: 0, count: rows.count * newCapacity)
        var oldSlots: [Int32: Int] = [:]
        for (i, p) in partitions.enumerated() where oldSlots[p] == nil { oldSlots[p] = i }
        var scratch: [OffsetSample] = []
        for (newSlot, p) in next.partitions.enumerated() {
            guard let oldSlot = oldSlots.removeValue(forKey: p) else { continue }
            samples(slot: oldSlot, into: &scratch)
            let keep = scratch.suffix(newCapacity)
            for (k, sample) in keep.enumerated() {
                next.times[newSlot * newCapacity + k] = sample.timestamp
                next.ends[newSlot * newCapacity + k] = sample.logEnd
            }
            next.written[newSlot] = keep.count
        }
        self = next
    }
}

extension Array {
    /// The index of the element whose `key` is `value`, in this array sorted ascending by that key
    /// (binary search).
    func indexInSorted<Key: Comparable>(of value: Key, by key: (Element) -> Key) -> Int? {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if key(self[mid]) < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && key(self[lo]) == value ? lo : nil
    }
}

extension Array where Element: Comparable {
    /// The index of `value` in this array, which must be sorted ascending (binary search).
    @inline(__always)
    func indexInSorted(of value: Element) -> Int? {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && self[lo] == value ? lo : nil
    }
}

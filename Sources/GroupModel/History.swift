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
    /// Per topic: its log-end samples, in ``topicRingIndex``'s order (read in place through
    /// ``withTopicRings(_:)``: a ring holds five arrays, and a copy would retain each of them).
    private var topicRingList: [TopicRing] = []
    /// Per topic name, the index of its ring in ``topicRingList``.
    private var topicRingIndex: [String: Int] = [:]

    /// Per topic name: its log-end samples, copied out (what ``==`` and the hash compare, and tests read).
    var topicRings: [String: TopicRing] { topicRingIndex.mapValues { topicRingList[$0] } }

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
        recordTopics(topics, at: at)

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

    /// Records each topic's log ends in its ring, written where it is kept (one lookup), a new one
    /// added; a topic listed twice is recorded twice in one ring. Rings of topics that are gone are
    /// dropped afterwards.
    private mutating func recordTopics(_ topics: [TopicInfo], at: Int64) {
        let capacity = self.capacity
        // Per ring, whether this snapshot lists its topic.
        var listed = [Bool](repeating: false, count: topicRingList.count)
        var listedCount = 0
        topics.withUnsafeBufferPointer { topics in
            for t in topics.indices {
                let name = topics[t].name
                let i: Int
                if let known = topicRingIndex[name] {
                    i = known
                } else {
                    i = topicRingList.count
                    topicRingIndex[name] = i
                    topicRingList.append(TopicRing(capacity: capacity))
                    listed.append(false)
                }
                if !listed[i] {
                    listed[i] = true
                    listedCount += 1
                }
                topicRingList[i].record(partitions: topics[t].partitions, at: at, capacity: capacity)
            }
        }
        guard listedCount < topicRingList.count else { return }
        // The rings kept stay in their order.
        var moved = [Int](repeating: -1, count: topicRingList.count)
        var kept: [TopicRing] = []
        kept.reserveCapacity(listedCount)
        for i in topicRingList.indices where listed[i] {
            moved[i] = kept.count
            kept.append(topicRingList[i])
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(listedCount)
        for (name, i) in topicRingIndex where moved[i] >= 0 { index[name] = moved[i] }
        topicRingList = kept
        topicRingIndex = index
    }

    /// Equal when they hold the same observations and samples, whatever order the topics' rings
    /// were added in.
    public static func == (a: History, b: History) -> Bool {
        a.capacity == b.capacity && a.behindSince == b.behindSince && a.latestTimestamp == b.latestTimestamp
            && a.groupRings == b.groupRings && a.topicRings == b.topicRings
    }

    /// Hashes what ``==`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(capacity)
        hasher.combine(behindSince)
        hasher.combine(latestTimestamp)
        hasher.combine(groupRings)
        hasher.combine(topicRings)
    }

    /// Calls `body` with the topic rings, read in place where the history keeps them.
    func withTopicRings<R>(_ body: (TopicRings) -> R) -> R {
        topicRingList.withUnsafeBufferPointer { body(TopicRings(index: topicRingIndex, rings: $0)) }
    }

    /// The history's topic rings, read in place (``withTopicRings(_:)``): valid only in its call.
    struct TopicRings {
        let index: [String: Int]
        let rings: UnsafeBufferPointer<TopicRing>

        /// The ring of `topic`, nil when there is none.
        func ring(_ topic: String) -> UnsafePointer<TopicRing>? {
            guard let i = index[topic] else { return nil }
            return rings.baseAddress! + i
        }
    }

    /// Calls `body` with the ring of `groupID` (nil when the history has none) borrowed where it is
    /// kept: a ring holds ten arrays, and a copy would retain and release each of them. `position`
    /// is the group's index in the last recorded snapshot, when the caller reads that snapshot:
    /// the ring is then found without a search, and `body` learns (`aligned`) that it was recorded
    /// from that group's rows, so its slot `i` is row `i`.
    mutating func withGroupRing<R>(_ groupID: String, position: Int? = nil, _ body: (borrowing GroupRing?, _ aligned: Bool) -> R) -> R {
        if let position, let index = groupRings.alignedIndex(ofGroupAt: position, id: groupID) {
            return groupRings.withEntry(at: index) { body($0, true) }
        }
        guard let index = groupRings.index(of: groupID) else { return body(nil, false) }
        return groupRings.withEntry(at: index) { body($0, false) }
    }

    /// How many groups and topics the history keeps observations for: those of the last snapshot.
    public var retainedCounts: (groups: Int, topics: Int) {
        (Set(groupRings.ids).union(behindSince.keys).count, topicRingList.count)
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
        guard let i = topicRingIndex[topicPartition.topic], let slot = topicRingList[i].slot(of: topicPartition.partition) else { return [] }
        var out: [OffsetSample] = []
        topicRingList[i].samples(slot: slot, into: &out)
        return out
    }

    /// The log end at the oldest kept sample of a partition (committed offsets below it are older
    /// than the history reaches), `nil` without samples.
    public func oldestLogEnd(_ topicPartition: TopicPartition) -> Int64? {
        guard let i = topicRingIndex[topicPartition.topic], let slot = topicRingList[i].slot(of: topicPartition.partition) else { return nil }
        return topicRingList[i].oldestLogEnd(slot: slot)
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
        groupRings.entries.reduce(0) { $0 + $1.storageBytes } + topicRingList.reduce(0) { $0 + $1.storageBytes }
    }
}

// MARK: - Group rings

/// What an observation holds besides its offsets, interned per group: owner, hand-off state, error,
/// the reason of an unknown lag, and which offsets are present. The error and the reason are kept
/// out of line, as most observations have neither: an entry takes 32 bytes instead of 88.
struct ObservationTraits: Sendable, Hashable, Codable {
    var owner: String?
    var handoff: HandoffState
    var hasCommitted: Bool
    var hasLogEnd: Bool
    /// The error and the unknown lag's reason; `nil` when there are neither.
    private var unusual: Unusual?

    private indirect enum Unusual: Sendable, Hashable, Codable {
        case traits(error: ItemError?, lagReason: String?)
    }

    /// The error at that time.
    var error: ItemError? {
        guard case .traits(let error, _)? = unusual else { return nil }
        return error
    }

    /// The reason of an unknown lag; `nil` when the lag is known.
    var lagReason: String? {
        guard case .traits(_, let reason)? = unusual else { return nil }
        return reason
    }

    /// Whether the lag is known (``lagReason`` is `nil`), without copying a reason out.
    @inline(__always)
    var lagIsKnown: Bool {
        guard case .traits(_, .some)? = unusual else { return true }
        return false
    }

    init(row: GroupPartition) {
        owner = row.owner
        handoff = row.handoff
        hasCommitted = row.committedOffset != nil
        hasLogEnd = row.logEnd != nil
        var reason: String?
        if case .unknown(let why) = row.lag { reason = why }
        unusual = row.error == nil && reason == nil ? nil : .traits(error: row.error, lagReason: reason)
    }

    /// Whether `traits` are those of `row` (without building them; both are read in place).
    @inline(__always)
    static func describe(_ traits: UnsafePointer<ObservationTraits>, _ row: UnsafePointer<GroupPartition>) -> Bool {
        guard traits.pointee.handoff == row.pointee.handoff,
              traits.pointee.hasCommitted == (row.pointee.committedOffset != nil),
              traits.pointee.hasLogEnd == (row.pointee.logEnd != nil),
              traits.pointee.owner == row.pointee.owner
        else { return false }
        guard case .traits(let error, let reason)? = traits.pointee.unusual else {
            return !row.pointee.hasError && row.pointee.lagOffsets != nil
        }
        guard error == row.pointee.error else { return false }
        if let reason {
            guard case .unknown(let why) = row.pointee.lag else { return false }
            return reason == why
        }
        return row.pointee.lagOffsets != nil
    }
}

/// The observations of one group: a ring of the last `capacity` polls ("columns") over the group's
/// partitions ("slots"). All partitions of a group are observed at the same polls, so a column has
/// one timestamp; a slot's `depth` says how many of the newest columns it was present in.
///
/// Cells are partition-major (`slot * capacity + column`), so one partition's window is
/// contiguous. A cell holds its committed offset and log end as differences from its slot's base
/// (``PackedInts``: a partition's offsets over a window are close together, so they take a byte or
/// two each), the lag as its difference from the one the offsets give (nothing stored while every
/// lag is `max(0, log end − committed)`), and an index into ``traits``. The commit mark is the
/// newest observation's committed offset and, per slot, since when it has stood.
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
    /// Per slot: what its cells' offsets are stored relative to.
    private var base: [Int64] = []
    /// Per cell, two values: committed offset and log end minus the slot's base (0 when absent).
    private var offsets = PackedInts(count: 0)
    /// Per cell: a known lag minus ``impliedLag(_:_:)`` of the cell's stored offsets (0 for an
    /// unknown lag).
    private var lagCorrection = PackedInts(count: 0)
    /// Per cell: index into ``traits``.
    private var traitIndex = PackedInts(count: 0)
    /// Interned traits.
    private(set) var traits: [ObservationTraits] = []
    /// Lookup of ``traits`` once the table is larger than a linear search should scan.
    private var traitLookup: [ObservationTraits: Int32] = [:]
    /// Compact ``traits`` when it grows past this.
    private var traitLimit = 32
    /// Per slot: the first snapshot time that showed the newest observation's committed offset (or
    /// its absence), as far as the polls saw; meaningful while the slot holds an observation.
    private var markSince: [Int64] = []
    /// Per column: the group's total lag over every slot as that column was written (the sum of
    /// the cells' lags), read by ``totalLagSamples(into:)`` while every slot holds the same number
    /// of observations, instead of summing the cells again each poll.
    private var columnTotals: [Int64]
    /// Per column: whether ``columnTotals`` holds it (``ColumnTotal``). A new layout starts with
    /// none: its columns were written over other slots.
    private var columnTotalState: [ColumnTotal]

    /// What is known of a column's total lag.
    private enum ColumnTotal: UInt8, Sendable, Hashable, Codable {
        /// Not summed over the current layout's slots.
        case none
        /// Summed: ``columnTotals`` holds it.
        case known
        /// Some cell's lag is unknown, so the total is.
        case unknown
    }

    init(capacity: Int) {
        self.capacity = capacity
        times = Array(repeating: 0, count: capacity)
        columnTotals = Array(repeating: 0, count: capacity)
        columnTotalState = Array(repeating: .none, count: capacity)
    }

    var storageBytes: Int {
        keys.capacity * MemoryLayout<TopicPartition>.stride + times.capacity * 8 + depth.capacity * 4 + base.capacity * 8
            + offsets.storageBytes + lagCorrection.storageBytes + traitIndex.storageBytes
            + traits.capacity * MemoryLayout<ObservationTraits>.stride + markSince.capacity * 8
            + columnTotals.capacity * 8 + columnTotalState.capacity
    }

    /// The lag a cell's offsets give, from their stored differences (the slot's base cancels out):
    /// `max(0, log end − committed)` when both are present, else 0. Wrapping arithmetic keeps the
    /// stored correction exact whatever the offsets.
    @inline(__always)
    private static func impliedLag(_ traits: UnsafePointer<ObservationTraits>, committed: Int64, logEnd: Int64) -> Int64 {
        traits.pointee.hasCommitted && traits.pointee.hasLogEnd ? max(0, logEnd &- committed) : 0
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

    /// Calls `body` with the cells read in place: traits (by pointer), offsets, lag corrections and
    /// trait indices.
    @inline(__always)
    private func withCells<R>(
        _ body: (UnsafePointer<ObservationTraits>, PackedInts.Reader, PackedInts.Reader, PackedInts.Reader) -> R
    ) -> R {
        traits.withUnsafeBufferPointer { traits in
            offsets.withReader { offsets in
                lagCorrection.withReader { corrections in
                    traitIndex.withReader { index in
                        // An empty table has no storage and is never read (no cell is read
                        // without an observation): any aligned address stands in for it.
                        body(
                            traits.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<ObservationTraits>.alignment)!,
                            offsets, corrections, index)
                    }
                }
            }
        }
    }

    /// The observation in `slot` at `column`.
    func observation(slot: Int, column: Int) -> PartitionObservation {
        let cell = slot * capacity + column
        let b = base[slot]
        return withCells { traits, offsets, corrections, index in
            let t = traits + Int(index[cell])
            let (c, e) = (offsets[2 * cell], offsets[2 * cell + 1])
            let lag: LagValue = t.pointee.lagReason.map { .unknown(reason: $0) }
                ?? .known(GroupRing.impliedLag(t, committed: c, logEnd: e) &+ corrections[cell])
            return PartitionObservation(
                timestamp: times[column], committed: t.pointee.hasCommitted ? b &+ c : nil,
                logEnd: t.pointee.hasLogEnd ? b &+ e : nil, lag: lag, owner: t.pointee.owner, handoff: t.pointee.handoff,
                error: t.pointee.error)
        }
    }

    /// The committed offset of the observation in `slot` at `column`.
    private func committed(slot: Int, column: Int) -> Int64? {
        let cell = slot * capacity + column
        return withCells { traits, offsets, _, index in
            (traits + Int(index[cell])).pointee.hasCommitted ? base[slot] &+ offsets[2 * cell] : nil
        }
    }

    /// Writes what the health rules read of each of the `n` observations of `slot` (all it holds),
    /// oldest first, to `window` (room for `n` entries): the cells are read in place, the column
    /// advanced without a division.
    func readWindow(slot: Int, count n: Int, into window: UnsafeMutablePointer<HealthEvaluator.WindowEntry>) {
        guard n > 0 else { return }
        let cap = capacity
        let b = base[slot]
        var column = column(0, of: n)
        withCells { traits, offsets, corrections, index in
            times.withUnsafeBufferPointer { times in
                for k in 0..<n {
                    let cell = slot * cap + column
                    let t = traits + Int(index[cell])
                    let c = offsets[2 * cell]
                    (window + k).initialize(to: HealthEvaluator.WindowEntry(
                        timestamp: times[column], committed: t.pointee.hasCommitted ? b &+ c : nil,
                        lag: t.pointee.lagIsKnown
                            ? GroupRing.impliedLag(t, committed: c, logEnd: offsets[2 * cell + 1]) &+ corrections[cell] : nil,
                        handoff: t.pointee.handoff))
                    column += 1
                    if column == cap { column = 0 }
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
        var least = Int.max
        for slot in depth.indices {
            n = max(n, Int(depth[slot]))
            least = min(least, Int(depth[slot]))
        }
        guard n > 0 else { return }
        // Every slot holds `n` observations (the usual case): each column's total was summed over
        // every slot when it was written, unless a new layout came since.
        if least == n, (0..<n).allSatisfy({ columnTotalState[column($0, of: n)] != .none }) {
            for k in 0..<n {
                let col = column(k, of: n)
                if columnTotalState[col] == .known { out.append(LagSample(timestamp: times[col], lag: columnTotals[col])) }
            }
            return
        }
        let cap = capacity
        withCells { traits, offsets, corrections, index in
            for k in 0..<n {
                let col = column(k, of: n)
                var total: Int64 = 0
                var known = true
                for slot in depth.indices where Int(depth[slot]) == n {
                    let cell = slot * cap + col
                    let t = traits + Int(index[cell])
                    guard t.pointee.lagIsKnown else {
                        known = false
                        break
                    }
                    total += GroupRing.impliedLag(t, committed: offsets[2 * cell], logEnd: offsets[2 * cell + 1]) &+ corrections[cell]
                }
                if known { out.append(LagSample(timestamp: times[col], lag: total)) }
            }
        }
    }

    func commitMark(slot: Int) -> CommitMark? {
        guard depth[slot] > 0 else { return nil }
        return CommitMark(offset: committed(slot: slot, column: (columns - 1) % capacity), since: markSince[slot])
    }

    /// Appends the group's rows as the newest column.
    mutating func record(_ rows: [GroupPartition], at: Int64, capacity newCapacity: Int) {
        if newCapacity != capacity || !layoutMatches(rows) { relayout(rows, capacity: newCapacity) }
        let cap = capacity
        // The column written now; `columns` counts it once every row is in (the rows read the
        // newest observation so far, and a rebase the kept ones, by the count before it).
        let column = columns % cap
        let newest = (columns + cap - 1) % cap
        times[column] = at
        var lastTrait: Int32 = -1
        var recent = RecentTraits()
        // The column's total lag (``columnTotals``), summed as the rows are written.
        var total: Int64 = 0
        var totalKnown = true
        // Rows are read in place through a pointer: copying a row retains every string in it.
        rows.withUnsafeBufferPointer { buffer in
        for slot in buffer.indices {
            let row = buffer.baseAddress! + slot
            let cell = slot * cap + column
            let committed = row.pointee.committedOffset
            let logEnd = row.pointee.logEnd
            // Commit mark: kept while the committed offset (or its absence) stays the same.
            if depth[slot] == 0 || self.committed(slot: slot, column: newest) != committed { markSince[slot] = at }
            var b = base[slot]
            if let c = committed, !offsets.fits(c &- b) { rebase(slot: slot, committed, logEnd); b = base[slot] }
            if let e = logEnd, !offsets.fits(e &- b) { rebase(slot: slot, committed, logEnd); b = base[slot] }
            let c = committed.map { $0 &- b } ?? 0
            let e = logEnd.map { $0 &- b } ?? 0
            offsets[2 * cell] = c
            offsets[2 * cell + 1] = e
            // A row with neither an error nor an unknown lag whose owner is the very string of a
            // row before it (rows of one poll share their owners' ids), with the same hand-off
            // state and offsets present, has that row's traits: no string is compared.
            let plain = !row.pointee.hasError && row.pointee.lagOffsets != nil
            let key = plain ? RecentTraits.Key(row) : nil
            if let key, let known = recent[key] {
                lastTrait = known
            } else {
            // The slot's traits at the last poll come first: its owner is then usually the very
            // string of this row's (the members are kept while unchanged), compared as such, while
            // other owners' ids are compared byte by byte.
            let previous = depth[slot] > 0 ? Int32(truncatingIfNeeded: traitIndex[slot * cap + newest]) : -1
            // The table is read in place too (subscripting it would copy the traits' strings).
            let found = traits.withUnsafeBufferPointer { table -> Int32 in
                guard let base = table.baseAddress else { return -1 }
                if previous >= 0, Int(previous) < table.count, ObservationTraits.describe(base + Int(previous), row) { return previous }
                if lastTrait >= 0, ObservationTraits.describe(base + Int(lastTrait), row) { return lastTrait }
                guard table.count <= 16 else { return -1 }
                for i in table.indices where ObservationTraits.describe(base + i, row) { return Int32(i) }
                return -1
            }
            lastTrait = found >= 0 ? found : intern(ObservationTraits(row: row.pointee))
            if let key { recent.insert(key, lastTrait) }
            }
            traitIndex[cell] = Int64(lastTrait)
            let correction = traits.withUnsafeBufferPointer { table in
                let t = table.baseAddress! + Int(lastTrait)
                let implied = GroupRing.impliedLag(t, committed: c, logEnd: e)
                let correction = row.pointee.lagOffsets.map { $0 &- implied } ?? 0
                // The cell's lag as totalLagSamples reads it back: known by the traits alone.
                if !t.pointee.lagIsKnown {
                    totalKnown = false
                } else if totalKnown {
                    total = total &+ (implied &+ correction)
                }
                return correction
            }
            lagCorrection[cell] = correction
            if Int(depth[slot]) < cap { depth[slot] += 1 }
        }
        }
        columns += 1
        columnTotals[column] = totalKnown ? total : 0
        columnTotalState[column] = totalKnown ? .known : .unknown
        if traits.count > traitLimit { compactTraits() }
    }

    /// Moves `slot`'s base so that its kept offsets and `committed` and `logEnd` (about to be
    /// written) all fit, widening the offsets when they span more than the width holds. Each kept
    /// value is rewritten from its own old difference, in place.
    private mutating func rebase(slot: Int, _ committed: Int64?, _ logEnd: Int64?) {
        var lo = Int64.max
        var hi = Int64.min
        if let committed { (lo, hi) = (min(lo, committed), max(hi, committed)) }
        if let logEnd { (lo, hi) = (min(lo, logEnd), max(hi, logEnd)) }
        let n = Int(depth[slot])
        let old = base[slot]
        let cap = capacity
        withCells { traits, offsets, _, index in
            for k in 0..<n {
                let cell = slot * cap + column(k, of: n)
                let t = traits + Int(index[cell])
                if t.pointee.hasCommitted {
                    let v = old &+ offsets[2 * cell]
                    (lo, hi) = (min(lo, v), max(hi, v))
                }
                if t.pointee.hasLogEnd {
                    let v = old &+ offsets[2 * cell + 1]
                    (lo, hi) = (min(lo, v), max(hi, v))
                }
            }
        }
        let new = offsets.baseFitting(lowest: lo, highest: hi)
        base[slot] = new
        for k in 0..<n {
            let cell = slot * cap + column(k, of: n)
            let i = Int(traitIndex[cell])
            let (hasCommitted, hasLogEnd) = traits.withUnsafeBufferPointer { ($0[i].hasCommitted, $0[i].hasLogEnd) }
            offsets[2 * cell] = hasCommitted ? (old &+ offsets[2 * cell]) &- new : 0
            offsets[2 * cell + 1] = hasLogEnd ? (old &+ offsets[2 * cell + 1]) &- new : 0
        }
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
                traitIndex[cell] = Int64(remap[old])
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
        next.base = Array(repeating: 0, count: newKeys.count)
        next.markSince = Array(repeating: 0, count: newKeys.count)
        next.offsets = PackedInts(count: 2 * cells, width: offsets.width)
        next.lagCorrection = PackedInts(count: cells, width: lagCorrection.width)
        next.traitIndex = PackedInts(count: cells, width: traitIndex.width)
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
                    next.offsets[2 * to] = offsets[2 * from]
                    next.offsets[2 * to + 1] = offsets[2 * from + 1]
                    next.lagCorrection[to] = lagCorrection[from]
                    next.traitIndex[to] = traitIndex[from]
                }
                next.base[newSlot] = base[oldSlot]
                next.markSince[newSlot] = markSince[oldSlot]
            }
        }
        self = next
    }
}

/// The traits of the last few rows recorded into a group ring that had neither an error nor an
/// unknown lag, by their owner string's identity, hand-off state and which offsets they have: what
/// ``ObservationTraits/describe(_:_:)`` would find for another such row, without comparing the
/// owner's characters with a table entry's (which holds a string of an earlier poll).
struct RecentTraits {
    /// What decides a plain row's traits, the owner by identity (``StringIdentity``).
    struct Key: Equatable {
        var owner: StringIdentity
        var handoff: HandoffState
        var hasCommitted: Bool
        var hasLogEnd: Bool

        @inline(__always)
        init(_ row: UnsafePointer<GroupPartition>) {
            owner = StringIdentity(row.pointee.owner)
            handoff = row.pointee.handoff
            hasCommitted = row.pointee.committedOffset != nil
            hasLogEnd = row.pointee.logEnd != nil
        }
    }

    private var entries: (Entry?, Entry?, Entry?, Entry?) = (nil, nil, nil, nil)
    /// The entry the next insert replaces.
    private var next = 0

    private struct Entry {
        var key: Key
        var trait: Int32
    }

    /// The trait index kept for `key`.
    @inline(__always)
    subscript(_ key: Key) -> Int32? {
        if let e = entries.0, e.key == key { return e.trait }
        if let e = entries.1, e.key == key { return e.trait }
        if let e = entries.2, e.key == key { return e.trait }
        if let e = entries.3, e.key == key { return e.trait }
        return nil
    }

    /// Keeps `trait` for `key`, in place of the oldest entry.
    mutating func insert(_ key: Key, _ trait: Int32) {
        let entry = Entry(key: key, trait: trait)
        switch next {
        case 0: entries.0 = entry
        case 1: entries.1 = entry
        case 2: entries.2 = entry
        default: entries.3 = entry
        }
        next = (next + 1) % 4
    }
}

/// The representation of an optional string, compared bit for bit: equal identities are the same
/// string (the same storage, or the same small string), so a match needs no comparison of the
/// characters. Unequal ones may still be equal strings (two copies of the same text).
struct StringIdentity: Equatable {
    private let bits: (UInt64, UInt64)

    @inline(__always)
    init(_ string: String?) { bits = unsafeBitCast(string, to: (UInt64, UInt64).self) }

    @inline(__always)
    static func == (a: StringIdentity, b: StringIdentity) -> Bool { a.bits == b.bits }
}

// MARK: - Topic rings

/// The log-end samples of one topic: per partition ("slot") a ring of the last `capacity` samples.
/// A partition whose log end was unknown at a poll gets no sample at that poll.
///
/// A cell (`slot * capacity + position`) holds its sample's timestamp as the difference from the
/// ring's time base and its log end as the difference from the slot's base (``PackedInts``: a
/// window's clocks and a partition's log ends lie close together).
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
    /// What every cell's timestamp is stored relative to.
    private var timeBase: Int64 = 0
    /// Per cell: timestamp minus ``timeBase``.
    private var times = PackedInts(count: 0)
    /// Per slot: what its cells' log ends are stored relative to.
    private var endBase: [Int64] = []
    /// Per cell: log end minus the slot's base.
    private var ends = PackedInts(count: 0)
    /// The time of the latest ``record(_:at:capacity:)``.
    private var latestAt: Int64?
    /// Whether every recording came at a time not before the one before it: then every slot's
    /// samples are in time order (``timeLag(slot:committed:now:)`` relies on it).
    private var timesOrdered = true

    init(capacity: Int) { self.capacity = capacity }

    var storageBytes: Int { partitions.capacity * 4 + written.capacity * 8 + times.storageBytes + endBase.capacity * 8 + ends.storageBytes }

    /// The slot of partition `p`, if the topic has it.
    @inline(__always)
    func slot(of p: Int32) -> Int? {
        if dense { return p >= 0 && Int(p) < partitions.count ? Int(p) : nil }
        return ascending ? partitions.indexInSorted(of: p) : partitions.firstIndex(of: p)
    }

    /// Samples held for `slot`.
    @inline(__always)
    func count(slot: Int) -> Int { min(written[slot], capacity) }

    /// The cell of the `k`-th (0 = oldest) of the `n` samples of `slot`.
    @inline(__always)
    private func cell(slot: Int, _ k: Int, of n: Int) -> Int { slot * capacity + (written[slot] - n + k) % capacity }

    /// The log end of the oldest sample of `slot`.
    func oldestLogEnd(slot: Int) -> Int64? {
        let n = count(slot: slot)
        guard n > 0 else { return nil }
        return endBase[slot] &+ ends[cell(slot: slot, 0, of: n)]
    }

    /// Replaces `out` with the samples of `slot`, oldest first.
    func samples(slot: Int, into out: inout [OffsetSample]) {
        out.removeAll(keepingCapacity: true)
        withSamples(slot: slot) { out.append(contentsOf: $0) }
    }

    /// Calls `body` with the samples of `slot`, oldest first, decoded onto the stack (no array is
    /// built): what ``samples(slot:into:)`` would write.
    func withSamples<R>(slot: Int, _ body: (UnsafeBufferPointer<OffsetSample>) -> R) -> R {
        let n = count(slot: slot)
        guard n > 0 else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        let cap = capacity
        let base = slot * cap
        let (timeBase, endBase) = (self.timeBase, self.endBase[slot])
        var position = (written[slot] - n) % cap
        return withUnsafeTemporaryAllocation(of: OffsetSample.self, capacity: n) { buffer in
            times.withReader { times in
                ends.withReader { ends in
                    for k in 0..<n {
                        let cell = base + position
                        buffer.initializeElement(at: k, to: OffsetSample(timestamp: timeBase &+ times[cell], logEnd: endBase &+ ends[cell]))
                        position += 1
                        if position == cap { position = 0 }
                    }
                }
            }
            return body(UnsafeBufferPointer(buffer))
        }
    }

    /// The time lag of a row of partition `slot` committed at `committed`, at `now`, from the
    /// slot's samples: what ``TimeLagEstimator/timeLag(committed:ordered:now:)`` gives over
    /// ``withSamples(slot:_:)``, the samples decoded from the newest back only as far as the rule
    /// reads them (``TimeLagEstimator/timeLag(committed:timeOrderedCount:now:sample:)``) while they
    /// are in time order, as recordings in time order leave them.
    func timeLag(slot: Int, committed: Int64?, now: Int64) -> TimeLag {
        guard timesOrdered else { return withSamples(slot: slot) { TimeLagEstimator.timeLag(committed: committed, ordered: $0, now: now) } }
        let n = count(slot: slot)
        let cap = capacity
        let base = slot * cap
        let oldest = n > 0 ? (written[slot] - n) % cap : 0
        let (timeBase, endBase) = (self.timeBase, n > 0 ? self.endBase[slot] : 0)
        return times.withReader { times in
            ends.withReader { ends in
                TimeLagEstimator.timeLag(committed: committed, timeOrderedCount: n, now: now) { k in
                    var position = oldest + k
                    if position >= cap { position -= cap }
                    return OffsetSample(timestamp: timeBase &+ times[base + position], logEnd: endBase &+ ends[base + position])
                }
            }
        }
    }

    /// Appends the topic's known log ends.
    mutating func record(_ topic: TopicInfo, at: Int64, capacity newCapacity: Int) {
        record(partitions: topic.partitions, at: at, capacity: newCapacity)
    }

    /// Appends the known log ends of a topic's partitions.
    mutating func record(partitions rows: [PartitionOffsets], at: Int64, capacity newCapacity: Int) {
        if newCapacity != capacity || !layoutMatches(rows) { relayout(rows, capacity: newCapacity) }
        if let latestAt, at < latestAt { timesOrdered = false }
        latestAt = at
        let cap = capacity
        if !times.fits(at &- timeBase) { rebaseTimes(including: at) }
        let time = at &- timeBase
        // The cells written and their log ends are gathered as the rows are read, then each packed
        // array is written in one pass (``PackedInts/set(count:at:to:)``). A rebase reads and
        // rewrites only its slot's kept cells, none of which is written here.
        withUnsafeTemporaryAllocation(of: (cell: Int, end: Int64).self, capacity: max(1, rows.count)) { gathered in
            var n = 0
            for slot in rows.indices {
                guard let logEnd = rows[slot].logEnd else { continue }
                if !ends.fits(logEnd &- endBase[slot]) { rebaseEnds(slot: slot, including: logEnd) }
                gathered.initializeElement(at: n, to: (slot * cap + written[slot] % cap, logEnd &- endBase[slot]))
                n += 1
                written[slot] += 1
                // Keep the counter small; only its value modulo the capacity and past the capacity matter.
                if written[slot] >= 2 * cap { written[slot] -= cap }
            }
            times.set(count: n, at: { gathered[$0].cell }, to: { _ in time })
            ends.set(count: n, at: { gathered[$0].cell }, to: { gathered[$0].end })
        }
    }

    /// Moves the time base so that every kept timestamp and `at` fit, widening when they span more
    /// than the width holds.
    private mutating func rebaseTimes(including at: Int64) {
        var lo = at
        var hi = at
        for slot in written.indices {
            let n = count(slot: slot)
            for k in 0..<n {
                let t = timeBase &+ times[cell(slot: slot, k, of: n)]
                lo = min(lo, t)
                hi = max(hi, t)
            }
        }
        let new = times.baseFitting(lowest: lo, highest: hi)
        // Each kept timestamp is rewritten from its own old difference, in place.
        for slot in written.indices {
            let n = count(slot: slot)
            for k in 0..<n {
                let c = cell(slot: slot, k, of: n)
                times[c] = (timeBase &+ times[c]) &- new
            }
        }
        timeBase = new
    }

    /// Moves `slot`'s log-end base so that its kept log ends and `logEnd` fit, widening when they
    /// span more than the width holds.
    private mutating func rebaseEnds(slot: Int, including logEnd: Int64) {
        let n = count(slot: slot)
        let old = endBase[slot]
        var (lo, hi) = (logEnd, logEnd)
        for k in 0..<n {
            let v = old &+ ends[cell(slot: slot, k, of: n)]
            (lo, hi) = (min(lo, v), max(hi, v))
        }
        let new = ends.baseFitting(lowest: lo, highest: hi)
        endBase[slot] = new
        // Each kept log end is rewritten from its own old difference, in place.
        for k in 0..<n {
            let c = cell(slot: slot, k, of: n)
            ends[c] = (old &+ ends[c]) &- new
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
        next.timeBase = timeBase
        next.latestAt = latestAt
        next.timesOrdered = timesOrdered
        next.times = PackedInts(count: rows.count * newCapacity, width: times.width)
        next.endBase = Array(repeating: 0, count: rows.count)
        next.ends = PackedInts(count: rows.count * newCapacity, width: ends.width)
        var oldSlots: [Int32: Int] = [:]
        for (i, p) in partitions.enumerated() where oldSlots[p] == nil { oldSlots[p] = i }
        for (newSlot, p) in next.partitions.enumerated() {
            guard let oldSlot = oldSlots.removeValue(forKey: p) else { continue }
            // The newest samples that fit, still relative to the same bases.
            let n = count(slot: oldSlot)
            let keep = min(n, newCapacity)
            for k in 0..<keep {
                let from = cell(slot: oldSlot, n - keep + k, of: n)
                next.times[newSlot * newCapacity + k] = times[from]
                next.ends[newSlot * newCapacity + k] = ends[from]
            }
            next.endBase[newSlot] = endBase[oldSlot]
            next.written[newSlot] = keep
        }
        self = next
    }
}

// MARK: - Packed integers

/// A fixed number of integers, each stored in the fewest bytes that hold every value written so
/// far (0, 1, 2, 4 or 8, the same for all: no storage at all while every value is 0). Writing a
/// value that does not fit widens the storage, so every value reads back exactly as written. The
/// rings store offsets and clocks here as differences from a base, which are small.
struct PackedInts: Sendable, Hashable, Codable {
    /// Values held.
    private(set) var count: Int
    /// Bytes per value: 0, 1, 2, 4 or 8.
    private(set) var width: Int
    /// The values, `width` bytes each, in two's complement and the machine's byte order.
    private var bytes: [UInt8]

    /// `count` zeros, stored `width` bytes each (0, 1, 2, 4 or 8).
    init(count: Int, width: Int = 0) {
        precondition([0, 1, 2, 4, 8].contains(width), "width \(width) is not 0, 1, 2, 4 or 8 bytes")
        self.count = count
        self.width = width
        bytes = Array(repeating: 0, count: count * width)
    }

    /// Bytes allocated for the values.
    var storageBytes: Int { bytes.capacity }

    /// The fewest bytes that hold `value`.
    @inline(__always)
    static func width(of value: Int64) -> Int {
        if value == 0 { return 0 }
        if value == Int64(Int8(truncatingIfNeeded: value)) { return 1 }
        if value == Int64(Int16(truncatingIfNeeded: value)) { return 2 }
        if value == Int64(Int32(truncatingIfNeeded: value)) { return 4 }
        return 8
    }

    /// The fewest bytes per value that hold every value of a range `span` wide (its highest minus
    /// its lowest) as differences from ``base(lowest:width:)``.
    static func width(spanning span: UInt64) -> Int {
        if span == 0 { return 0 }
        if span <= UInt64(UInt8.max) { return 1 }
        if span <= UInt64(UInt16.max) { return 2 }
        if span <= UInt64(UInt32.max) { return 4 }
        return 8
    }

    /// The base from which the values `lowest` to `lowest + 2^(8 × width) − 1` are stored, as
    /// their differences, in `width` bytes: `lowest` becomes the least storable difference, leaving
    /// the most room above it (offsets and clocks grow). Wrapping arithmetic: exact for any values.
    static func base(lowest: Int64, width: Int) -> Int64 {
        width == 0 ? lowest : lowest &+ Int64(bitPattern: UInt64(1) << UInt64(8 * width - 1))
    }

    /// Widens the storage, when needed, so that every value from `lowest` to `highest` is stored
    /// as its difference from the base returned (``base(lowest:width:)``). The values held are not
    /// rewritten: a caller moving to the new base rewrites each from its old difference.
    mutating func baseFitting(lowest: Int64, highest: Int64) -> Int64 {
        let needed = max(width, PackedInts.width(spanning: UInt64(bitPattern: highest &- lowest)))
        if needed > width { widen(to: needed) }
        return PackedInts.base(lowest: lowest, width: needed)
    }

    /// Whether `value` is stored without widening.
    @inline(__always)
    func fits(_ value: Int64) -> Bool {
        switch width {
        case 0: return value == 0
        case 1: return value == Int64(Int8(truncatingIfNeeded: value))
        case 2: return value == Int64(Int16(truncatingIfNeeded: value))
        case 4: return value == Int64(Int32(truncatingIfNeeded: value))
        default: return true
        }
    }

    /// The value at `index`; setting one that does not fit widens the storage.
    subscript(index: Int) -> Int64 {
        get {
            precondition(index >= 0 && index < count, "index out of range")
            return withReader { $0[index] }
        }
        set {
            precondition(index >= 0 && index < count, "index out of range")
            if !fits(newValue) { widen(to: PackedInts.width(of: newValue)) }
            let width = width
            guard width > 0 else { return }
            bytes.withUnsafeMutableBytes { PackedInts.store(newValue, at: index, width: width, in: $0) }
        }
    }

    /// Sets `n` values, the `k`-th at `index(k)` to `value(k)` (indices distinct): what setting
    /// them one by one through the subscript leaves, with the storage made unique and widened (to
    /// the widest value) once, then written in one pass.
    @inline(__always)
    mutating func set(count n: Int, at index: (Int) -> Int, to value: (Int) -> Int64) {
        guard n > 0 else { return }
        var needed = width
        for k in 0..<n {
            let v = value(k)
            if !fits(v) { needed = max(needed, PackedInts.width(of: v)) }
        }
        if needed > width { widen(to: needed) }
        let (width, count) = (width, count)
        guard width > 0 else { return }
        bytes.withUnsafeMutableBytes { raw in
            for k in 0..<n {
                let i = index(k)
                precondition(i >= 0 && i < count, "index out of range")
                PackedInts.store(value(k), at: i, width: width, in: raw)
            }
        }
    }

    /// Writes `value` (which fits `width` bytes, 1 to 8) at `index` of `raw`.
    @inline(__always)
    private static func store(_ value: Int64, at index: Int, width: Int, in raw: UnsafeMutableRawBufferPointer) {
        switch width {
        case 1: raw.storeBytes(of: Int8(truncatingIfNeeded: value), toByteOffset: index, as: Int8.self)
        case 2: raw.storeBytes(of: Int16(truncatingIfNeeded: value), toByteOffset: 2 * index, as: Int16.self)
        case 4: raw.storeBytes(of: Int32(truncatingIfNeeded: value), toByteOffset: 4 * index, as: Int32.self)
        default: raw.storeBytes(of: value, toByteOffset: 8 * index, as: Int64.self)
        }
    }

    /// Restores every value `width` bytes wide (at least the current width): one pass over the
    /// values, none when they were all 0.
    mutating func widen(to newWidth: Int) {
        guard newWidth > width else { return }
        var next = PackedInts(count: count, width: newWidth)
        if width > 0 {
            withReader { old in
                next.bytes.withUnsafeMutableBytes { raw in
                    for i in 0..<count { PackedInts.store(old[i], at: i, width: newWidth, in: raw) }
                }
            }
        }
        self = next
    }

    /// Reads values in place (valid only inside ``withReader(_:)``).
    struct Reader {
        fileprivate let bytes: UnsafeRawPointer?
        fileprivate let width: Int

        /// The value at `index` (not checked against the count).
        @inline(__always)
        subscript(index: Int) -> Int64 {
            switch width {
            case 0: return 0
            case 1: return Int64(bytes.unsafelyUnwrapped.load(fromByteOffset: index, as: Int8.self))
            case 2: return Int64(bytes.unsafelyUnwrapped.loadUnaligned(fromByteOffset: 2 * index, as: Int16.self))
            case 4: return Int64(bytes.unsafelyUnwrapped.loadUnaligned(fromByteOffset: 4 * index, as: Int32.self))
            default: return bytes.unsafelyUnwrapped.loadUnaligned(fromByteOffset: 8 * index, as: Int64.self)
            }
        }
    }

    /// Calls `body` with a reader of the values in place.
    @inline(__always)
    func withReader<R>(_ body: (Reader) -> R) -> R {
        bytes.withUnsafeBytes { body(Reader(bytes: $0.baseAddress, width: width)) }
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

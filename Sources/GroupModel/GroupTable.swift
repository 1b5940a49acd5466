/// State kept per group from one poll to the next, in group-id order: what a table keyed by group
/// id would hold, without hashing 10,000 ids per poll.
///
/// A snapshot lists its groups sorted by id. ``update(_:make:_:)`` walks the snapshot's groups
/// beside the kept ids (a merge: one comparison per group, and the entries are updated where
/// they are kept when the groups are the same as last time), so the entries stay aligned with the
/// groups of the last snapshot given: entry `g` is group `g`'s, and a reader of that snapshot
/// finds a group's entry by its position (``index(ofGroupAt:id:)``). A lookup by id alone is a
/// binary search. Groups that are gone are dropped by the same walk.
///
/// Ids are kept strictly ascending whatever the snapshot: a group id listed twice gets one entry
/// (the last listing's; the first listing takes over the entry kept before, a later one starts
/// from `make`), as a table keyed by id would hold it, and positions are then searched.
struct GroupTable<Value> {
    /// The group ids, strictly ascending.
    private(set) var ids: [String] = []
    /// The entry of each id (never `nil` between updates; optional so that an entry can be moved
    /// out without a copy).
    private var values: [Value?] = []
    /// Whether entry `g` belongs to group `g` of the last snapshot given to ``update(_:make:_:)``.
    private var aligned = true

    /// An empty table.
    init() {}

    /// The entries of `table`, by id (searched by id, not aligned with any snapshot).
    init(_ table: [String: Value]) {
        ids = table.keys.sorted()
        values = ids.map { table[$0] }
        aligned = false
    }

    /// Entries held.
    var count: Int { ids.count }

    /// The index of `id`'s entry (binary search).
    func index(of id: String) -> Int? { ids.indexInSorted(of: id) }

    /// The index of the entry of group `position` of the last snapshot given to
    /// ``update(_:make:_:)``, whose id is `id`: the same index when the entries are aligned with
    /// that snapshot's groups (one comparison; the ids are the snapshot's own strings), else a search.
    @inline(__always)
    func index(ofGroupAt position: Int, id: String) -> Int? {
        alignedIndex(ofGroupAt: position, id: id) ?? index(of: id)
    }

    /// `position` itself when the entries are aligned with the groups of the last snapshot given to
    /// ``update(_:make:_:)`` and group `position`'s id is `id`: that group's entry, updated from
    /// that very group (not from another listing of a repeated id). `nil` otherwise.
    @inline(__always)
    func alignedIndex(ofGroupAt position: Int, id: String) -> Int? {
        aligned && position < ids.count && ids[position] == id ? position : nil
    }

    /// The entry of `id`.
    subscript(_ id: String) -> Value? {
        index(of: id).flatMap { values[$0] }
    }

    /// The entry at `index`.
    func entry(at index: Int) -> Value? { values[index] }

    /// The entries, in id order.
    var entries: some Sequence<Value> { values.lazy.compactMap { $0 } }

    /// Calls `body` with the entry at `index` where it is kept (no copy).
    mutating func withEntry<R>(at index: Int, _ body: (inout Value?) -> R) -> R {
        body(&values[index])
    }

    /// Replaces the table with one entry per group id of `groups`: `body` updates, in group order,
    /// the entry kept for that id (or a new one from `make`). Entries of ids no longer listed are
    /// dropped.
    mutating func update(_ groups: [Group], make: () -> Value, _ body: (_ group: Int, _ entry: inout Value) -> Void) {
        update(count: groups.count, id: { groups[$0].groupID }, make: make, body)
    }

    /// ``update(_:make:_:)`` for `count` groups whose ids `id` gives (so that `body` may write into
    /// the groups themselves).
    mutating func update(count: Int, id: (Int) -> String, make: () -> Value, _ body: (_ group: Int, _ entry: inout Value) -> Void) {
        if SnapshotDiff.strictlyAscending(count: count, id) {
            defer { aligned = true }
            // The usual case: the same groups as last time. Each entry is updated in place.
            if ids.count == count, (0..<count).allSatisfy({ ids[$0] == id($0) }) {
                for g in 0..<count {
                    // The snapshot's id is kept: the next poll's position checks compare it first.
                    ids[g] = id(g)
                    body(g, &values[g]!)
                }
                return
            }
            var oldIDs: [String] = []
            var oldValues: [Value?] = []
            swap(&oldIDs, &ids)
            swap(&oldValues, &values)
            ids.reserveCapacity(count)
            values.reserveCapacity(count)
            SnapshotDiff.mergeJoin(oldCount: oldIDs.count, newCount: count, oldKey: { oldIDs[$0] }, newKey: id) { i, j in
                guard let j else { return }
                var entry: Value? = nil
                if let i { swap(&entry, &oldValues[i]) }
                var value = entry ?? make()
                entry = nil
                body(j, &value)
                ids.append(id(j))
                values.append(value)
            }
            return
        }
        // Ids out of order or repeated: one entry per id, searched by id afterwards.
        var next: [String: Value] = [:]
        next.reserveCapacity(count)
        for g in 0..<count {
            let groupID = id(g)
            var entry: Value? = nil
            if next[groupID] == nil, let i = index(of: groupID) { swap(&entry, &values[i]) }
            var value = entry ?? make()
            entry = nil
            body(g, &value)
            next[groupID] = value
        }
        let sorted = next.keys.sorted()
        ids = sorted
        values = sorted.map { next[$0] }
        aligned = false
    }
}

extension GroupTable: Sendable where Value: Sendable {}

extension GroupTable: Equatable where Value: Equatable {
    /// Equal when they hold the same entries for the same ids.
    static func == (a: GroupTable, b: GroupTable) -> Bool { a.ids == b.ids && a.values == b.values }
}

extension GroupTable: Hashable where Value: Hashable {
    /// Hashes the ids and entries.
    func hash(into hasher: inout Hasher) {
        hasher.combine(ids)
        hasher.combine(values)
    }
}

extension GroupTable: Codable where Value: Codable {}

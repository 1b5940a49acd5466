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

    /// Entries held.
    var count: Int { ids.count }

    /// The index of `id`'s entry (binary search).
    func index(of id: String) -> Int? { ids.indexInSorted(of: id) }

    /// The index of the entry of group `position` of the last snapshot given to
    /// ``update(_:make:_:)``, whose id is `id`: the same index when the entries are aligned with
    /// that snapshot's groups (one comparison; the ids are the snapshot's own strings), else a search.
    @inline(__always)
    func index(ofGroupAt position: Int, id: String) -> Int? {
        if aligned, position < ids.count, ids[position] == id { return position }
        return index(of: id)
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
        if SnapshotDiff.strictlyAscending(count: groups.count, { groups[$0].groupID }) {
            defer { aligned = true }
            // The usual case: the same groups as last time. Each entry is updated in place.
            if ids.count == groups.count, groups.indices.allSatisfy({ ids[$0] == groups[$0].groupID }) {
                for g in groups.indices {
                    // The snapshot's id is kept: the next poll's position checks compare it first.
                    ids[g] = groups[g].groupID
                    body(g, &values[g]!)
                }
                return
            }
            var oldIDs: [String] = []
            var oldValues: [Value?] = []
            swap(&oldIDs, &ids)
            swap(&oldValues, &values)
            ids.reserveCapacity(groups.count)
            values.reserveCapacity(groups.count)
            SnapshotDiff.mergeJoin(
                oldCount: oldIDs.count, newCount: groups.count, oldKey: { oldIDs[$0] }, newKey: { groups[$0].groupID }
            ) { i, j in
                guard let j else { return }
                var entry: Value? = nil
                if let i { swap(&entry, &oldValues[i]) }
                var value = entry ?? make()
                entry = nil
                body(j, &value)
                ids.append(groups[j].groupID)
                values.append(value)
            }
            return
        }
        // Ids out of order or repeated: one entry per id, searched by id afterwards.
        var next: [String: Value] = [:]
        next.reserveCapacity(groups.count)
        for g in groups.indices {
            let id = groups[g].groupID
            var entry: Value? = nil
            if next[id] == nil, let i = index(of: id) { swap(&entry, &values[i]) }
            var value = entry ?? make()
            entry = nil
            body(g, &value)
            next[id] = value
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

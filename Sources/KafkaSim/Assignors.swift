import GroupModel
/// Server-side assignors of KIP-848 groups (`uniform`, `range`) and the client-side ones simulated
/// classic leaders use (`range`, `roundrobin`, `cooperative-sticky`). Deterministic: members and
/// partitions are always visited in sorted order.
enum Assignors {
    /// One member's view for an assignor: its subscribed topics and what it had.
    struct Input {
        var memberID: String
        var topics: Set<String>
        var current: Set<TopicPartition>
    }

    /// Balanced and sticky: every partition goes to a subscribed member; members keep what they had
    /// while that stays within one partition of balance.
    static func uniform(members: [Input], partitionCounts: [String: Int]) -> [String: Set<TopicPartition>] {
        let sorted = members.sorted { $0.memberID < $1.memberID }
        var result: [String: Set<TopicPartition>] = [:]
        for m in sorted { result[m.memberID] = [] }
        guard !sorted.isEmpty else { return result }
        let allTopics = Set(sorted.flatMap(\.topics)).filter { partitionCounts[$0] != nil }.sorted()
        var all: [TopicPartition] = []
        for t in allTopics { for p in 0..<(partitionCounts[t] ?? 0) { all.append(TopicPartition(topic: t, partition: Int32(p))) } }
        let eligible: [String: [String]] = Dictionary(uniqueKeysWithValues: allTopics.map { t in
            (t, sorted.filter { $0.topics.contains(t) }.map(\.memberID))
        })
        // Quota per member if subscriptions were uniform; used to cap stickiness.
        let quota = Int((Double(all.count) / Double(sorted.count)).rounded(.up))
        var count: [String: Int] = [:]
        var unassigned: [TopicPartition] = []
        var previousOwner: [TopicPartition: String] = [:]
        for m in sorted { for tp in m.current { previousOwner[tp] = m.memberID } }
        for tp in all {
            if let owner = previousOwner[tp], eligible[tp.topic]?.contains(owner) == true, count[owner, default: 0] < quota {
                result[owner, default: []].insert(tp)
                count[owner, default: 0] += 1
            } else {
                unassigned.append(tp)
            }
        }
        for tp in unassigned {
            guard let candidates = eligible[tp.topic], !candidates.isEmpty else { continue }
            let pick = candidates.min { (count[$0, default: 0], $0) < (count[$1, default: 0], $1) }!
            result[pick, default: []].insert(tp)
            count[pick, default: 0] += 1
        }
        // Even out heterogeneous subscriptions: move while some move narrows a gap of 2 or more.
        var moved = true
        var rounds = 0
        while moved && rounds < all.count {
            moved = false
            rounds += 1
            for tp in all {
                guard let candidates = eligible[tp.topic],
                      let owner = candidates.first(where: { result[$0]?.contains(tp) == true }) else { continue }
                if let target = candidates.min(by: { (count[$0, default: 0], $0) < (count[$1, default: 0], $1) }),
                   count[target, default: 0] + 1 < count[owner, default: 0] {
                    result[owner]?.remove(tp)
                    result[target, default: []].insert(tp)
                    count[owner, default: 0] -= 1
                    count[target, default: 0] += 1
                    moved = true
                }
            }
        }
        return result
    }

    /// Per topic, contiguous ranges over the members subscribed to it (sorted by member id);
    /// the first `partitions % members` members get one more.
    static func range(members: [Input], partitionCounts: [String: Int]) -> [String: Set<TopicPartition>] {
        let sorted = members.sorted { $0.memberID < $1.memberID }
        var result: [String: Set<TopicPartition>] = [:]
        for m in sorted { result[m.memberID] = [] }
        let allTopics = Set(sorted.flatMap(\.topics)).sorted()
        for t in allTopics {
            guard let n = partitionCounts[t], n > 0 else { continue }
            let subs = sorted.filter { $0.topics.contains(t) }
            guard !subs.isEmpty else { continue }
            let per = n / subs.count, extra = n % subs.count
            var next = 0
            for (i, m) in subs.enumerated() {
                let take = per + (i < extra ? 1 : 0)
                for p in next..<(next + take) { result[m.memberID, default: []].insert(TopicPartition(topic: t, partition: Int32(p))) }
                next += take
            }
        }
        return result
    }

    /// Round robin over all partitions (sorted) and members (sorted), skipping unsubscribed members.
    static func roundRobin(members: [Input], partitionCounts: [String: Int]) -> [String: Set<TopicPartition>] {
        let sorted = members.sorted { $0.memberID < $1.memberID }
        var result: [String: Set<TopicPartition>] = [:]
        for m in sorted { result[m.memberID] = [] }
        guard !sorted.isEmpty else { return result }
        var i = 0
        for t in Set(sorted.flatMap(\.topics)).sorted() {
            for p in 0..<(partitionCounts[t] ?? 0) {
                for _ in 0..<sorted.count {
                    let m = sorted[i % sorted.count]
                    i += 1
                    if m.topics.contains(t) {
                        result[m.memberID, default: []].insert(TopicPartition(topic: t, partition: Int32(p)))
                        break
                    }
                }
            }
        }
        return result
    }

    /// Runs the named server assignor.
    static func server(_ name: String, members: [Input], partitionCounts: [String: Int]) -> [String: Set<TopicPartition>] {
        name == "range" ? range(members: members, partitionCounts: partitionCounts)
            : uniform(members: members, partitionCounts: partitionCounts)
    }
}

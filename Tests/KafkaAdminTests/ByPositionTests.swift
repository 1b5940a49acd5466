import SeededRandom
import Testing
@testable import KafkaAdmin

/// Batched answers are matched to the groups asked by position; the shortcut for answers in the
/// order asked must give what indexing the answer by id gives, on any answer.
@Suite("Results by position")
struct ByPositionTests {
    struct Item: Equatable {
        var id: String
        var tag: Int
    }

    /// The order-free reference: the first item per id, looked up by id.
    static func reference(_ ids: [String], _ items: [Item]) -> [Int] {
        var first: [String: Int] = [:]
        for (k, item) in items.enumerated() where first[item.id] == nil { first[item.id] = k }
        return ids.map { first[$0] ?? -1 }
    }

    @Test("positions(of:in:id:) equals the lookup by id on aligned, shuffled, short, repeated and foreign answers")
    func positionsMatchLookup() {
        var rng = SplitMix64(seed: 17)
        var alignedSeen = 0
        for round in 0..<400 {
            let n = rng.below(12)
            let ids = KafkaAdminClient.uniqueSorted((0..<n).map { _ in "group-\(rng.below(30))" })
            var items = ids.enumerated().map { Item(id: $0.element, tag: $0.offset) }
            switch round % 5 {
            case 0:
                alignedSeen += 1  // as asked
            case 1:
                items.shuffle(using: &rng)
            case 2:
                if !items.isEmpty { items.remove(at: rng.below(items.count)) }
            case 3:
                if !items.isEmpty { items.insert(Item(id: items[rng.below(items.count)].id, tag: 99), at: rng.below(items.count + 1)) }
            default:
                if !items.isEmpty { items[rng.below(items.count)].id = "other-\(rng.below(5))" }
            }
            let got = KafkaAdminClient.positions(of: ids, in: items, id: { $0.pointee.id })
            #expect(got == Self.reference(ids, items), "round \(round): \(ids) vs \(items.map(\.id))")
        }
        #expect(alignedSeen > 0)
    }

    @Test("uniqueSorted keeps a sorted list as it is and sorts and de-duplicates any other")
    func uniqueSorted() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<300 {
            let ids = (0..<rng.below(10)).map { _ in "g\(rng.below(8))" }
            #expect(KafkaAdminClient.uniqueSorted(ids) == Array(Set(ids)).sorted())
        }
        let sorted = ["a", "b", "c"]
        #expect(KafkaAdminClient.uniqueSorted(sorted) == sorted)
    }

    @Test("perGroup: one result per id in order; the request's failure, group errors and missing groups")
    func perGroup() {
        struct Described {
            var groupID: String
            var errorCode: Int16
        }
        let ids = ["a", "b", "c", "d"]
        let answer: Result<[Described], AdminItemError> = .success([
            Described(groupID: "c", errorCode: 0), Described(groupID: "a", errorCode: 0),
            Described(groupID: "b", errorCode: 16), Described(groupID: "a", errorCode: 16),
        ])
        let r = KafkaAdminClient.perGroup(ids, answer, id: { $0.pointee.groupID }, code: { $0.pointee.errorCode }, message: { _ in nil })
        #expect(r.count == 4)
        #expect((try? r[0].get())?.groupID == "a")  // the first "a"
        if case let .failure(e) = r[1] { #expect(e.code == 16) } else { Issue.record("b should fail with its code") }
        #expect((try? r[2].get())?.groupID == "c")
        if case let .failure(e) = r[3] { #expect(e.kind == .missingFromResponse) } else { Issue.record("d is missing") }

        let failed = KafkaAdminClient.perGroup(
            ids, Result<[Described], AdminItemError>.failure(AdminItemError(.timeout)),
            id: { $0.pointee.groupID }, code: { $0.pointee.errorCode }, message: { _ in nil })
        #expect(failed.count == 4)
        for f in failed {
            if case let .failure(e) = f { #expect(e.kind == .timeout) } else { Issue.record("every group fails with the request") }
        }

        let result = PerGroupResult(ids: ids, results: r, version: 1, stats: RequestStats())
        #expect(result.groups.keys.sorted() == ids)
        #expect((try? result.groups["c"]?.get())?.groupID == "c")
    }
}

import Testing
@testable import KafkaAdmin

/// `ListGroupsResult.groups` merges sorted per-broker lists into what the hashing path gives.
@Suite("ListGroups merge")
struct ListGroupsMergeTests {
    static func g(_ id: String, _ node: Int32) -> ListedGroup {
        ListedGroup(groupID: id, protocolType: "consumer", state: "Stable", type: "classic", nodeID: node)
    }

    /// The order-free reference: brokers by id, the first entry for an id kept, sorted by id.
    static func reference(_ r: ListGroupsResult) -> [ListedGroup] {
        var seen: [String: ListedGroup] = [:]
        for id in r.brokers.keys.sorted() {
            if case let .success(list) = r.brokers[id]! {
                for g in list where seen[g.groupID] == nil { seen[g.groupID] = g }
            }
        }
        return seen.values.sorted { $0.groupID < $1.groupID }
    }

    @Test("sorted lists, ids listed by several brokers, a failed broker, unsorted lists")
    func merge() {
        let cases: [[Int32: Result<[ListedGroup], AdminItemError>]] = [
            [:],
            [1: .success([Self.g("a", 1), Self.g("c", 1)])],
            [3: .success([Self.g("a", 3), Self.g("d", 3)]), 1: .success([Self.g("a", 1), Self.g("b", 1)]), 2: .success([])],
            [1: .success([Self.g("b", 1)]), 2: .failure(AdminItemError(.missingFromResponse)), 5: .success([Self.g("a", 5), Self.g("b", 5), Self.g("z", 5)])],
            // Not sorted, or repeated within a list: the hashing path.
            [1: .success([Self.g("c", 1), Self.g("a", 1)]), 2: .success([Self.g("b", 2), Self.g("b", 2)])],
        ]
        for brokers in cases {
            let r = ListGroupsResult(brokers: brokers, versions: [:], stats: RequestStats())
            #expect(r.groups == Self.reference(r))
        }
        // On a tie the lowest node's entry is kept.
        let tie = ListGroupsResult(
            brokers: [2: .success([Self.g("x", 2)]), 1: .success([Self.g("x", 1)])], versions: [:], stats: RequestStats())
        #expect(tie.groups.map(\.nodeID) == [1])
    }
}

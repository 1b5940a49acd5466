import Testing
@testable import GroupModel

@Suite("GroupValues: per-group values in the snapshot's order, read as a table by group id")
struct GroupValuesTests {
    @Test("Ascending ids: found at the group's position or by id; a wrong position or an unknown id is looked up")
    func ascending() {
        let values = GroupValues(ids: ["a", "b", "d"], values: [1, 2, 4])
        #expect(values.count == 3)
        #expect(!values.isEmpty)
        #expect(values.keys == ["a", "b", "d"])
        #expect(values["a"] == 1 && values["b"] == 2 && values["d"] == 4)
        #expect(values["c"] == nil && values["e"] == nil && values[""] == nil)
        #expect(values.value(ofGroupAt: 1, id: "b") == 2)
        // A position that holds another group, or none, falls back to the lookup by id.
        #expect(values.value(ofGroupAt: 0, id: "d") == 4)
        #expect(values.value(ofGroupAt: 7, id: "b") == 2)
        #expect(values.value(ofGroupAt: -1, id: "a") == 1)
        #expect(values.value(ofGroupAt: 2, id: "c") == nil)
        #expect(values.dictionary == ["a": 1, "b": 2, "d": 4])
    }

    @Test("Ids out of order or listed twice: each id reads its last value, from any of its positions, as a table would")
    func repeated() {
        let values = GroupValues(ids: ["b", "a", "b", "c"], values: [1, 2, 3, 4])
        #expect(values.count == 3)
        #expect(Set(values.keys) == ["a", "b", "c"])
        #expect(values["b"] == 3)
        #expect(values.value(ofGroupAt: 0, id: "b") == 3)
        #expect(values.value(ofGroupAt: 2, id: "b") == 3)
        #expect(values.value(ofGroupAt: 1, id: "a") == 2)
        #expect(values["z"] == nil)
        #expect(values.dictionary == ["a": 2, "b": 3, "c": 4])
        // Values of the same groups share their order and their repeated ids.
        let other = GroupValues(values: ["one", "two", "three", "four"], sameGroupsAs: values)
        #expect(other["b"] == "three")
        #expect(other.value(ofGroupAt: 0, id: "b") == "three")
        #expect(other.count == 3)
    }

    @Test("A table, a literal and the values of a snapshot's groups are equal when they hold the same values by id")
    func equality() {
        let listed = GroupValues(ids: ["a", "b"], values: [1, 2])
        let literal: GroupValues<Int> = ["b": 2, "a": 1]
        #expect(listed == literal)
        #expect(listed == GroupValues(["a": 1, "b": 2]))
        #expect(listed == GroupValues(ids: ["b", "a"], values: [2, 1]))
        #expect(listed == GroupValues(ids: ["a", "b", "a"], values: [9, 2, 1]))
        #expect(listed != GroupValues(ids: ["a", "b"], values: [1, 3]))
        #expect(listed != GroupValues(ids: ["a"], values: [1]))
        let empty: GroupValues<Int> = [:]
        #expect(empty.isEmpty && empty.count == 0 && empty["a"] == nil && empty.value(ofGroupAt: 0, id: "a") == nil)
        #expect(empty == GroupValues())
    }
}

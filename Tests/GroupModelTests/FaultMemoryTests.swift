import GroupModel
import Testing

/// Which faults the error stream reports: a fault once when it starts, again only after it healed.
@Suite("FaultMemory")
struct FaultMemoryTests {
    /// The new keys of each poll, for polls given as their fault keys.
    static func reported(_ polls: [[String]]) -> [Set<String>] {
        var memory = FaultMemory()
        return polls.map { memory.observe($0) }
    }

    @Test("A fault that shows on every poll is reported once")
    func lasting() {
        #expect(Self.reported([["a"], ["a"], ["a"], ["a"]]) == [["a"], [], [], []])
    }

    @Test("A fault that shows every other poll is one lasting fault")
    func everyOtherPoll() {
        // A broker that resets a connection mid-answer: failed, reconnected and answering, failed again.
        #expect(Self.reported([["reset"], [], ["reset"], [], ["reset"]]) == [["reset"], [], [], [], []])
        // Two faults alternating (the reset, then the reconnect's own error).
        #expect(Self.reported([["reset"], ["connect"], ["reset"], ["connect"]]) == [["reset"], ["connect"], [], []])
    }

    @Test("A fault absent for two polls in a row has healed and is new when it shows again")
    func healed() {
        #expect(Self.reported([["a"], [], [], ["a"], ["a"]]) == [["a"], [], [], ["a"], []])
    }

    @Test("Faults are told apart by what they apply to and their code, not by their wording")
    func keys() {
        let moved = PollError(scope: .group, operation: "OffsetFetch", groupID: "kg",
                              kafkaError: ItemError(code: 16, name: "NOT_COORDINATOR"), message: "moved to 2")
        var again = moved
        again.message = "moved to 3"
        var otherGroup = moved
        otherGroup.groupID = "billing"
        let down = PollError(scope: .broker, operation: "connect", brokerID: 2, message: "connection refused")
        var memory = FaultMemory()
        #expect(memory.observe(errors: [moved, down, again]) == [moved, down], "one report per fault in a poll")
        #expect(memory.observe(errors: [again, otherGroup]) == [otherGroup])
        #expect(memory.observe(errors: []).isEmpty)
        #expect(memory.observe(errors: []).isEmpty)
        #expect(memory.observe(errors: [down]) == [down], "healed two polls ago")
    }

    @Test("A broker whose connection fails is one fault, whichever request met it")
    func connectionFaults() {
        func failed(_ name: String) -> ItemError { ItemError(code: 13, name: name, message: "closed by the broker") }
        let (connectionFailed, timeout) = (ItemError.connectionFailedName, ItemError.timeoutName)
        let listing = PollError(scope: .broker, operation: "ListGroups", brokerID: 1, kafkaError: failed(connectionFailed), message: "broker 1")
        let offsets = PollError(scope: .topic, operation: "ListOffsets", brokerID: 1, topic: "orders", kafkaError: failed(connectionFailed), message: "orders")
        let describe = PollError(scope: .group, operation: "describe", brokerID: 1, groupID: "audit", kafkaError: failed(connectionFailed), message: "audit")
        let otherBroker = PollError(scope: .broker, operation: "ListGroups", brokerID: 2, kafkaError: failed(connectionFailed), message: "broker 2")
        let timedOut = PollError(scope: .broker, operation: "ListGroups", brokerID: 1, kafkaError: failed(timeout), message: "broker 1")
        let noBroker = PollError(scope: .topic, operation: "ListOffsets", topic: "orders", kafkaError: failed(connectionFailed), message: "orders")
        var memory = FaultMemory()
        #expect(memory.observe(errors: [listing]) == [listing])
        #expect(memory.observe(errors: [offsets, describe]).isEmpty, "the same broker's connection, met by other requests")
        #expect(memory.observe(errors: [otherBroker, timedOut, noBroker]) == [otherBroker, timedOut, noBroker])
        // A broker's own error code names a fault of the request, not of the connection.
        let moved = PollError(scope: .group, operation: "OffsetFetch", brokerID: 1, groupID: "audit",
                              kafkaError: ItemError(code: 16, name: "NOT_COORDINATOR"), message: "moved")
        var movedElsewhere = moved
        movedElsewhere.groupID = "billing"
        #expect(memory.observe(errors: [moved, movedElsewhere]) == [moved, movedElsewhere])
    }

    @Test("A poll that failed as a whole counts as a poll, and its own fault is reported once")
    func failedPolls() {
        var memory = FaultMemory()
        #expect(memory.observe(["broker 2 down"]) == ["broker 2 down"])
        // The cluster unreachable for one poll: the broker's fault was seen a poll before it.
        let firstFailure = memory.observeFailedPoll(faultKey: "connection refused")
        #expect(firstFailure)
        #expect(memory.observe(["broker 2 down"]).isEmpty)
        let failingAgain = memory.observeFailedPoll(faultKey: "connection refused")
        #expect(!failingAgain, "failing every other poll is one lasting fault")
        #expect(memory.observe([]).isEmpty)
        #expect(memory.observe([]).isEmpty)
        let afterHealing = memory.observeFailedPoll(faultKey: "connection refused")
        #expect(afterHealing, "healed after two good polls, then new")
    }

    @Test("The memory holds the faults of the last two polls only")
    func bounded() {
        var memory = FaultMemory()
        for poll in 0..<1_000 { _ = memory.observe(["fault-\(poll)", "lasting"]) }
        #expect(memory.count == 3, "this poll's and the previous poll's fault, and the lasting one")
        _ = memory.observe([])
        _ = memory.observe([])
        #expect(memory.count == 0)
    }
}

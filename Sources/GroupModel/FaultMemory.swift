/// Which of a poll's faults are new: what the error stream reports.
///
/// A fault is reported when it starts, not on every poll while it lasts. A fault lasts while it
/// shows at least every other poll: a broker that resets a connection mid-answer fails one poll,
/// is reconnected and answers the next, then fails again. That is one fault, not one a poll. A
/// fault that has been absent for two polls in a row has healed; when it shows again, it is new.
/// A broker whose connection fails is one fault, whichever requests it failed (see ``key(of:)``).
///
/// Failed polls count as polls (the monitor observes its own fault key for them), so a cluster
/// that is down for one poll does not make the faults of the polls around it new again. The
/// memory holds the keys seen in the last two polls only.
public struct FaultMemory: Sendable, Equatable {
    /// Each fault key, with the number of the last poll it showed in.
    private var lastSeen: [String: Int] = [:]
    /// Polls observed.
    private var polls = 0

    /// An empty memory: every fault is new.
    public init() {}

    /// The key a poll error is remembered by: its kind and what it applies to, not its wording
    /// (which may carry changing detail). A connection fault (``ItemError/isConnectionFault``) of
    /// a known broker is one fault of that broker, whatever request, group or topic met it: which
    /// request meets a broker that drops its connections depends on timing.
    public static func key(of error: PollError) -> String {
        if let broker = error.brokerID, let item = error.kafkaError, item.isConnectionFault {
            return "connection|\(broker)|\(item.name)"
        }
        return "\(error.scope)|\(error.operation)|\(error.brokerID ?? -1)|\(error.groupID ?? "")|\(error.topic ?? "")|\(error.kafkaError?.code ?? 0)"
    }

    /// Records the faults of one poll and says which of them are new (absent from both previous polls).
    public mutating func observe(_ keys: some Sequence<String>) -> Set<String> {
        polls += 1
        var new: Set<String> = []
        for key in keys {
            if let seen = lastSeen[key], polls - seen <= 2 {
                // Shown in one of the two previous polls, or earlier in this one.
            } else {
                new.insert(key)
            }
            lastSeen[key] = polls
        }
        // What has been absent for two polls has healed.
        lastSeen = lastSeen.filter { polls - $0.value < 2 }
        return new
    }

    /// Records a poll that failed as a whole with the fault `faultKey` (its kind, not its wording)
    /// and says whether that fault is new.
    public mutating func observeFailedPoll(faultKey: String) -> Bool {
        !observe(["cluster|poll|\(faultKey)"]).isEmpty
    }

    /// Records one poll's errors and returns the new ones, in their order.
    public mutating func observe(errors: [PollError]) -> [PollError] {
        let keys = errors.map(Self.key(of:))
        let new = observe(keys)
        var reported: Set<String> = []
        var fresh: [PollError] = []
        for (error, key) in zip(errors, keys) where new.contains(key) && reported.insert(key).inserted {
            fresh.append(error)
        }
        return fresh
    }

    /// How many fault keys are remembered (bounded by the faults of the last two polls).
    public var count: Int { lastSeen.count }
}

import GroupModel
import Synchronization

/// What happened to a member's assignment, as the member itself saw it (its rebalance callback).
public struct AssignmentEvent: Sendable, Hashable, Codable {
    /// The kind of change.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Partitions were added to the member's assignment.
        case assigned
        /// Partitions were given up (revoked; committed first).
        case revoked
        /// Partitions were taken away without a chance to commit (session lost, fenced).
        case lost
        /// The member was destroyed without leaving; it owned these partitions until then.
        case killed
    }

    /// The workload's name for the member (`m3`); a restarted member keeps its name.
    public var member: String
    /// The incarnation of the member (1 for the first start, 2 after the first restart, ...).
    public var incarnation: Int
    /// The kind of change.
    public var kind: Kind
    /// The partitions the change is about.
    public var partitions: [TopicPartition]
    /// Whether the change was incremental (cooperative or KIP-848) or replaced the whole assignment.
    public var incremental: Bool
    /// When the member applied the change (wall-clock milliseconds since the Unix epoch).
    public var atMs: Int64

    /// Creates an event.
    public init(member: String, incarnation: Int, kind: Kind, partitions: [TopicPartition], incremental: Bool, atMs: Int64) {
        self.member = member
        self.incarnation = incarnation
        self.kind = kind
        self.partitions = partitions
        self.incremental = incremental
        self.atMs = atMs
    }
}

/// A record shared by all the consumers of one run, kept outside them so that it survives member
/// restarts: which offsets were consumed (to count messages consumed twice) and every assignment
/// change the members reported.
///
/// A message counts as consumed twice when any member of the run receives the same
/// topic/partition/offset that some member (itself, an earlier incarnation, another member)
/// already received.
public final class WorkloadJournal: Sendable {
    private struct State {
        var seen: [TopicPartition: OffsetRanges] = [:]
        var consumed: Int64 = 0
        var duplicates: Int64 = 0
        var duplicatesByPartition: [TopicPartition: Int64] = [:]
        var events: [AssignmentEvent] = []
    }

    private let state = Mutex(State())

    /// Creates an empty journal.
    public init() {}

    /// Records one consumed message; returns true when it had been consumed before.
    @discardableResult
    public func recordConsumed(_ topicPartition: TopicPartition, offset: Int64) -> Bool {
        state.withLock { s in
            s.consumed += 1
            let fresh = s.seen[topicPartition, default: OffsetRanges()].insert(offset)
            if !fresh {
                s.duplicates += 1
                s.duplicatesByPartition[topicPartition, default: 0] += 1
            }
            return !fresh
        }
    }

    /// Records an assignment change.
    public func record(_ event: AssignmentEvent) {
        state.withLock { $0.events.append(event) }
    }

    /// Messages consumed so far, duplicates included.
    public var consumed: Int64 { state.withLock { $0.consumed } }

    /// Messages consumed more than once so far.
    public var duplicates: Int64 { state.withLock { $0.duplicates } }

    /// Duplicates per partition.
    public var duplicatesByPartition: [TopicPartition: Int64] { state.withLock { $0.duplicatesByPartition } }

    /// Every assignment event so far, in the order recorded.
    public var events: [AssignmentEvent] { state.withLock { $0.events } }

    /// Events recorded at or after `fromMs`.
    public func events(since fromMs: Int64) -> [AssignmentEvent] {
        state.withLock { $0.events.filter { $0.atMs >= fromMs } }
    }
}

/// A set of offsets kept as sorted, disjoint, non-adjacent closed ranges: a consumer reads a
/// partition mostly in order, so a long run costs one range.
struct OffsetRanges: Sendable, Hashable {
    private(set) var ranges: [ClosedRange<Int64>] = []

    /// Inserts `offset`; returns false when it was already present.
    mutating func insert(_ offset: Int64) -> Bool {
        // Index of the first range whose upper bound is >= offset - 1 (could absorb or contain it).
        var lo = 0
        var hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < offset - 1 { lo = mid + 1 } else { hi = mid }
        }
        if lo < ranges.count, ranges[lo].contains(offset) { return false }
        if lo < ranges.count, ranges[lo].upperBound == offset - 1 {
            ranges[lo] = ranges[lo].lowerBound...offset
            if lo + 1 < ranges.count, ranges[lo + 1].lowerBound == offset + 1 {
                ranges[lo] = ranges[lo].lowerBound...ranges[lo + 1].upperBound
                ranges.remove(at: lo + 1)
            }
            return true
        }
        if lo < ranges.count, ranges[lo].lowerBound == offset + 1 {
            ranges[lo] = offset...ranges[lo].upperBound
            return true
        }
        ranges.insert(offset...offset, at: lo)
        return true
    }

    /// Whether `offset` is present.
    func contains(_ offset: Int64) -> Bool {
        ranges.contains { $0.contains(offset) }
    }

    /// How many offsets are present.
    var count: Int64 { ranges.reduce(0) { $0 + $1.upperBound - $1.lowerBound + 1 } }
}

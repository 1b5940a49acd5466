/// Computes a partition's lag in offsets from its committed offset and log offsets. Pure.
///
/// Precedence, first match wins:
/// 1. the commit could not be read (offset-fetch error for the group or the partition) → unknown;
/// 2. the log offsets could not be read (list-offsets error) → unknown;
/// 3. the log end offset is unknown → unknown;
/// 4. no committed offset: lag is measured from the log start (`logEnd − logStart`), because a new
///    consumer with `auto.offset.reset=earliest` would read everything retained; unknown when the log
///    start is unknown;
/// 5. otherwise `logEnd − committed`, clamped at 0 (log offsets may be read before the commit, so a
///    commit can briefly appear ahead of the log end).
public enum LagCalculator {
    /// The lag of one partition.
    /// - Parameters:
    ///   - committed: the committed offset, `nil` when the group has none for the partition.
    ///   - logStart: the log start offset, when known.
    ///   - logEnd: the log end offset, when known.
    ///   - commitError: the offset-fetch error (group-level or partition-level), if any.
    ///   - offsetsError: the list-offsets error for the partition, if any.
    public static func lag(
        committed: Int64?, logStart: Int64?, logEnd: Int64?,
        commitError: ItemError? = nil, offsetsError: ItemError? = nil
    ) -> LagValue {
        if let commitError { return .unknown(reason: "committed offset unavailable: \(commitError.name)") }
        if let offsetsError { return .unknown(reason: "log offsets unavailable: \(offsetsError.name)") }
        guard logEnd != nil else { return .unknown(reason: "log end offset unknown") }
        guard let known = knownLag(committed: committed, logStart: logStart, logEnd: logEnd) else {
            return .unknown(reason: "no commit and log start offset unknown")
        }
        return .known(known)
    }

    /// The lag by rules 4 and 5 alone (no error): `nil` when the log end is unknown, or when there
    /// is no commit and the log start is unknown.
    @inline(__always)
    public static func knownLag(committed: Int64?, logStart: Int64?, logEnd: Int64?) -> Int64? {
        guard let logEnd, let from = committed ?? logStart else { return nil }
        return max(0, logEnd - from)
    }
}

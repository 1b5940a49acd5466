import Foundation

/// The time source of a simulated cluster, in milliseconds since the Unix epoch.
///
/// Group timeouts, simulated members and scripted producers all read this clock, so a test that
/// uses ``ManualClock`` moves every one of them deterministically with ``SimCluster/advance(by:)``.
public protocol SimClock: Sendable {
    /// The current time in milliseconds since the Unix epoch.
    func nowMs() -> Int64
}

/// Wall-clock time.
public struct RealClock: SimClock {
    /// Creates a wall clock.
    public init() {}

    /// The current wall-clock time in milliseconds.
    public func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// A clock that only moves when told to.
///
/// `@unchecked Sendable` (like the simulator's credential store): its single mutable value is only
/// read and written while holding `lock`, so it is safe to share between the cluster actor and tests.
public final class ManualClock: SimClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Int64

    /// Creates a clock reading `startMs` (default: 2025-01-01T00:00:00Z, a fixed, readable instant).
    public init(startMs: Int64 = 1_735_689_600_000) {
        current = startMs
    }

    /// The current simulated time.
    public func nowMs() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Moves the clock forward by `ms` milliseconds (negative values are ignored).
    public func advance(ms: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if ms > 0 { current += ms }
    }
}

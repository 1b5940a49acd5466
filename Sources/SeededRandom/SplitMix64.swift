/// SplitMix64: a small, fast, seedable generator, so that "random" data (simulated ids, test inputs,
/// benchmark workloads, fault sequences) is the same on every run with the same seed.
///
/// Not for anything that needs unpredictability.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; the next value depends only on it.
    public var state: UInt64

    /// Creates a generator whose sequence is determined by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<n` (`n` > 0), by remainder: cheap, with a bias too small to matter for
    /// test data and workloads.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(_:) needs a positive bound")
        return Int(next() % UInt64(n))
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

import DashboardUI

/// The replay's time cursor: which poll is on screen, playing or paused, and the speed. Pure: it
/// knows only the polls' times and where episodes start and errors appear; ``ReplaySession`` turns
/// the cursor into dashboard updates.
public struct ReplayController: Sendable, Hashable {
    /// The speeds `+` and `-` step through.
    public static let speeds = [1, 2, 4, 8, 16, 32, 64]

    /// Every poll's `takenAt` (ms since the epoch), in order.
    public let timestamps: [Int64]
    /// Polls where a rebalance episode starts, ascending.
    public let episodeStarts: [Int]
    /// Polls with a new error, ascending.
    public let errorPolls: [Int]
    /// The poll on screen.
    public private(set) var cursor: Int
    /// Whether the replay advances by itself.
    public private(set) var isPlaying: Bool
    /// Replay speed: recorded time runs this many times faster than wall time.
    public private(set) var speed: Int

    /// Creates a controller at poll `cursor`.
    public init(timestamps: [Int64], episodeStarts: [Int] = [], errorPolls: [Int] = [], cursor: Int = 0, speed: Int = 1, playing: Bool = true) {
        self.timestamps = timestamps
        self.episodeStarts = episodeStarts.sorted()
        self.errorPolls = errorPolls.sorted()
        self.cursor = min(max(0, cursor), max(0, timestamps.count - 1))
        self.speed = Self.speeds.last { $0 <= max(1, speed) } ?? 1
        self.isPlaying = playing && !timestamps.isEmpty
    }

    /// Polls in the recording.
    public var count: Int { timestamps.count }
    /// Whether the cursor is on the last poll.
    public var atEnd: Bool { cursor >= timestamps.count - 1 }

    /// Applies a replay key. Returns whether the cursor moved (a new poll must be shown).
    @discardableResult
    public mutating func apply(_ command: ReplayCommand) -> Bool {
        switch command {
        case .togglePlay:
            isPlaying.toggle()
            if isPlaying && atEnd { isPlaying = false }
            return false
        case .faster:
            speed = Self.speeds.first { $0 > speed } ?? speed
            return false
        case .slower:
            speed = Self.speeds.last { $0 < speed } ?? speed
            return false
        case .stepForward:
            isPlaying = false
            return move(to: cursor + 1)
        case .stepBack:
            isPlaying = false
            return move(to: cursor - 1)
        case .nextEpisode:
            guard let next = episodeStarts.first(where: { $0 > cursor }) else { return false }
            isPlaying = false
            return move(to: next)
        case .nextError:
            guard let next = errorPolls.first(where: { $0 > cursor }) else { return false }
            isPlaying = false
            return move(to: next)
        }
    }

    /// Moves the cursor (clamped). Returns whether it moved.
    @discardableResult
    public mutating func move(to index: Int) -> Bool {
        let target = min(max(0, index), max(0, timestamps.count - 1))
        defer { cursor = target }
        return target != cursor
    }

    /// How long to wait, in wall-clock ms, before the next poll while playing: the recorded gap
    /// divided by the speed. `nil` when paused or at the end.
    public var delayToNextMs: Int64? {
        guard isPlaying, !atEnd else { return nil }
        return max(0, timestamps[cursor + 1] - timestamps[cursor]) / Int64(speed)
    }

    /// Advances one poll while playing (the timer fired). Stops playing at the end.
    @discardableResult
    public mutating func tick() -> Bool {
        guard isPlaying, !atEnd else { isPlaying = false; return false }
        cursor += 1
        if atEnd { isPlaying = false }
        return true
    }

    /// The header's words: `poll 13/720 ▶ 4×` or `poll 13/720 ❚❚ 1×` (1-based for people).
    public var status: String {
        "poll \(cursor + 1)/\(count) \(isPlaying ? "▶" : "❚❚") \(speed)×"
    }
}

import DashboardUI
import GroupModel
import Recording

/// A recording prepared for replay: one pass at open re-derives events, episodes and verdicts
/// (``RecordingDerivation``, the live monitor's steps) and notes where episodes start and errors
/// appear; ``update(at:)`` then builds the ``DashboardUpdate`` of any poll, resuming from the
/// nearest checkpoint of the derivation and the dashboard feed.
public final class ReplaySession {
    /// The reader.
    public let reader: RecordingReader
    /// Polls where an episode starts.
    public let episodeStarts: [Int]
    /// Polls with a new error.
    public let errorPolls: [Int]
    /// Every finished episode of the whole recording, oldest first.
    public let episodes: [RebalanceEpisode]
    /// Polls between checkpoints.
    public let checkpointInterval: Int

    private struct State {
        var index: Int  // last poll ingested, -1 for none
        var derivation: RecordingDerivation
        var feed: DashboardFeed
        var update: DashboardUpdate?
    }

    private var checkpoints: [State] = []
    private var current: State

    /// Opens a recording for replay (one full pass over it).
    public init(reader: RecordingReader, checkpointInterval: Int = 60) throws(RecordingError) {
        guard reader.pollCount > 0 else { throw .empty }
        self.reader = reader
        self.checkpointInterval = max(1, checkpointInterval)
        let initial = State(index: -1, derivation: RecordingDerivation(), feed: DashboardFeed(pollIntervalMs: reader.header.pollIntervalMs), update: nil)
        var state = initial
        var checkpoints = [initial]
        var starts: [Int] = []
        var errors: [Int] = []
        var finished: [Int: RebalanceEpisode] = [:]
        for index in 0..<reader.pollCount {
            let snapshot = try reader.snapshot(at: index)
            let poll = state.derivation.ingest(snapshot)
            state.index = index
            if poll.episodeEvents.contains(where: { $0.type == .started }) { starts.append(index) }
            if poll.hasNewError { errors.append(index) }
            for e in poll.episodeEvents where e.type == .ended { finished[e.episode.number] = e.episode }
            _ = Self.feed(poll, into: &state.feed)
            if (index + 1) % self.checkpointInterval == 0 { checkpoints.append(state) }
        }
        self.checkpoints = checkpoints
        self.current = initial
        self.episodeStarts = starts
        self.errorPolls = errors
        self.episodes = finished.keys.sorted().compactMap { finished[$0] }
    }

    /// Opens a file for replay.
    public convenience init(path: String) throws(RecordingError) {
        try self.init(reader: try RecordingReader(path: path))
    }

    /// A controller over this recording's polls, episodes and errors.
    public func controller(speed: Int = 1, playing: Bool = true) -> ReplayController {
        ReplayController(timestamps: reader.timestamps, episodeStarts: episodeStarts, errorPolls: errorPolls, speed: speed, playing: playing)
    }

    /// The dashboard update of poll `index`, marked as a replay, with `status` in the header.
    public func update(at index: Int, status: String? = nil) throws(RecordingError) -> DashboardUpdate {
        var update = try derived(at: index)
        update.isReplay = true
        update.replayStatus = status
        return update
    }

    /// The update for the controller's cursor.
    public func update(for controller: ReplayController) throws(RecordingError) -> DashboardUpdate {
        try update(at: controller.cursor, status: controller.status)
    }

    /// The derivation state right after poll `index` (episodes, history), for tests and tools.
    public func derivation(at index: Int) throws(RecordingError) -> RecordingDerivation {
        _ = try derived(at: index)
        return current.derivation
    }

    private func derived(at index: Int) throws(RecordingError) -> DashboardUpdate {
        guard reader.entries.indices.contains(index) else { throw .noSuchPoll(index, count: reader.pollCount) }
        if current.index == index, let update = current.update { return update }
        if current.index > index || current.index < 0 || (index - current.index) > checkpointInterval {
            current = checkpoints.last { $0.index <= index - 1 } ?? checkpoints[0]
        }
        while current.index < index {
            let next = current.index + 1
            let poll = current.derivation.ingest(try reader.snapshot(at: next))
            current.update = Self.feed(poll, into: &current.feed)
            current.index = next
        }
        guard let update = current.update else { throw .noSuchPoll(index, count: reader.pollCount) }
        return update
    }

    private static func feed(_ poll: DerivedPoll, into feed: inout DashboardFeed) -> DashboardUpdate {
        feed.ingest(
            snapshot: poll.snapshot, events: poll.events, episodeEvents: poll.episodeEvents, openEpisodes: poll.openEpisodes,
            finishedEpisodes: poll.finishedEpisodes, verdicts: poll.verdicts, newErrors: poll.newErrors,
            timeLags: poll.timeLags, at: poll.snapshot.takenAt, isReplay: true)
    }
}

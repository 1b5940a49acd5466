import Foundation

/// One event of the UI loop.
public enum DashboardEvent: Sendable {
    /// New data.
    case update(DashboardUpdate)
    /// A key, mouse event or resize.
    case input(InputEvent)
    /// Time passed (ages in the header move on).
    case tick
    /// The data source finished.
    case dataEnded
}

/// What the data source is asked to do after a key (forwarded from ``Reaction``).
public enum DashboardControl: Sendable, Hashable {
    /// Poll now.
    case refreshNow
    /// Pause (`true`) or resume (`false`) polling; the screen freezes either way.
    case setPaused(Bool)
    /// The groups on screen changed (``Dashboard/visibleGroupIDs``): measure their time lags first.
    case focus(Set<String>)
}

/// The @MainActor UI loop: merges data updates and terminal input, feeds them to a ``Dashboard``,
/// and draws a frame only when new data arrives or a reaction asks for one.
///
/// ```swift
/// let app = DashboardApp(terminal: terminal, options: .init(maxIterations: 100))
/// app.onControl = { control in monitor.handle(control) }
/// let reason = await app.run(updates: monitor.dashboardUpdates)
/// ```
@MainActor
public final class DashboardApp {
    /// Why ``run(updates:)`` returned.
    public enum ExitReason: Sendable, Hashable {
        /// The user quit.
        case quit
        /// `maxIterations` events were handled.
        case maxIterations
        /// No more events can come: the data ended (headless), or data and input both ended.
        case endOfInput
    }

    /// Loop options.
    public struct Options: Sendable {
        /// Stop after handling this many updates and inputs (`--max-iterations N`); `nil` runs until quit.
        public var maxIterations: Int?
        /// Redraw this often without new data so ages move on; `nil` never (tests).
        public var tickIntervalMs: Int?
        /// The wall clock, in ms since the epoch.
        public var clock: @Sendable () -> Int64

        /// Creates options.
        public init(maxIterations: Int? = nil, tickIntervalMs: Int? = 1000,
                    clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
            self.maxIterations = maxIterations
            self.tickIntervalMs = tickIntervalMs
            self.clock = clock
        }
    }

    /// The dashboard being driven (state and data can be inspected after a run).
    public let dashboard: Dashboard
    /// The terminal.
    public let terminal: any Terminal
    /// Loop options.
    public let options: Options
    /// Called for refresh-now and pause keys, to steer the data source.
    public var onControl: (@MainActor (DashboardControl) -> Void)?
    /// The groups on screen at the last frame (``DashboardControl/focus(_:)`` when they change).
    private var lastFocus: Set<String>?
    /// Called for replay keys (only sent while the data is a replay), to steer the replay.
    public var onReplayCommand: (@MainActor (ReplayCommand) -> Void)?
    /// Frames drawn so far.
    public private(set) var framesDrawn = 0

    /// Creates the loop around a terminal.
    public init(terminal: any Terminal, keyMap: KeyMap = .standard, themes: [Theme] = Theme.builtins,
                initialTheme: Int = 0, options: Options = Options()) {
        self.terminal = terminal
        self.options = options
        self.dashboard = Dashboard(size: terminal.size, keyMap: keyMap, themes: themes, initialTheme: initialTheme)
    }

    /// Runs the loop on a stream of updates and the terminal's input until quit, `maxIterations`,
    /// or the end of all input. Does not restore the terminal: its owner does.
    ///
    /// Updates are taken from `updates` one at a time, the next only once the loop has taken the one
    /// before: updates that arrive while the loop is busy wait in `updates`, whose buffering policy
    /// decides what is kept (newest-wins streams keep only the newest, so a slow screen never holds
    /// a queue of snapshots).
    public func run(updates: AsyncStream<DashboardUpdate>) async -> ExitReason {
        let (events, continuation) = AsyncStream<DashboardEvent>.makeStream()
        let producers = ProducerCount(continuation: continuation, remaining: terminal.isInteractive ? 2 : 1)
        let taken = UpdateGate()
        let dataTask = Task {
            for await update in updates {
                continuation.yield(.update(update))
                await taken.wait()
            }
            continuation.yield(.dataEnded)
            producers.finishOne()
        }
        var inputTask: Task<Void, Never>?
        if terminal.isInteractive {
            let terminal = self.terminal
            inputTask = Task {
                while !Task.isCancelled, let event = await terminal.nextInput() {
                    continuation.yield(.input(event))
                }
                producers.finishOne()
            }
        }
        var tickTask: Task<Void, Never>?
        if let interval = options.tickIntervalMs, terminal.isInteractive {
            tickTask = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(interval))
                    continuation.yield(.tick)
                }
            }
        }
        defer {
            dataTask.cancel()
            taken.open()
            inputTask?.cancel()
            tickTask?.cancel()
            continuation.finish()
        }
        return await loop(events: events, tookUpdate: taken.release)
    }

    /// Runs the loop on an explicit event sequence (deterministic; what tests and replays use).
    public func run(events: AsyncStream<DashboardEvent>) async -> ExitReason {
        await loop(events: events, tookUpdate: {})
    }

    /// The loop; `tookUpdate` is called as each update is taken.
    private func loop(events: AsyncStream<DashboardEvent>, tookUpdate: () -> Void) async -> ExitReason {
        terminal.apply(theme: dashboard.theme)
        dashboard.size = terminal.size
        draw()
        var iterations = 0
        for await event in events {
            var counts = true
            var reaction: Reaction = []
            switch event {
            case .update(let update):
                tookUpdate()
                reaction = dashboard.receive(update)
            case .input(let input):
                reaction = dashboard.handle(input)
            case .tick:
                counts = false
                reaction = .redraw
            case .dataEnded:
                counts = false
                dashboard.dataEnded = true
                if !terminal.isInteractive { return .endOfInput }
                reaction = .redraw
            }
            if reaction.contains(.quit) { return .quit }
            if reaction.contains(.themeChanged) { terminal.apply(theme: dashboard.theme) }
            if reaction.contains(.refreshNow) { onControl?(.refreshNow) }
            if reaction.contains(.togglePause) { onControl?(.setPaused(dashboard.state.paused)) }
            if reaction.contains(.replayCommand), let command = dashboard.takeReplayCommand() { onReplayCommand?(command) }
            if reaction.contains(.redraw) { draw() }
            if counts {
                iterations += 1
                if let max = options.maxIterations, iterations >= max { return .maxIterations }
            }
        }
        return .endOfInput
    }

    private func draw() {
        dashboard.now = options.clock()
        if dashboard.size != terminal.size { dashboard.size = terminal.size }
        terminal.draw(dashboard.render())
        let focus = dashboard.visibleGroupIDs
        if focus != lastFocus {
            lastFocus = focus
            onControl?(.focus(focus))
        }
        framesDrawn += 1
    }
}

/// Finishes the merged stream when every producer is done (producers run on the main actor).
@MainActor
private final class ProducerCount {
    private let continuation: AsyncStream<DashboardEvent>.Continuation
    private var remaining: Int

    init(continuation: AsyncStream<DashboardEvent>.Continuation, remaining: Int) {
        self.continuation = continuation
        self.remaining = remaining
    }

    func finishOne() {
        remaining -= 1
        if remaining == 0 { continuation.finish() }
    }
}

/// Lets the task that forwards updates wait until the loop has taken the last one (updates run on
/// the main actor, like the loop).
@MainActor
private final class UpdateGate {
    private var waiter: CheckedContinuation<Void, Never>?
    /// Updates taken that no wait has counted yet.
    private var taken = 0
    /// Once open (the loop ended), waits return at once.
    private var isOpen = false

    /// Returns once the loop has taken the update forwarded last.
    func wait() async {
        if isOpen { return }
        if taken > 0 {
            taken -= 1
            return
        }
        await withCheckedContinuation { waiter = $0 }
    }

    /// The loop took an update.
    func release() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            taken += 1
        }
    }

    /// The loop ended: no wait blocks any more (a waiting forwarder is let go).
    func open() {
        isOpen = true
        release()
    }
}

/// Where the dashboard is drawn and where keys come from. Implementations: `NcursesTerminal`
/// (a real terminal), ``RecordingTerminal`` (tests), ``HeadlessTerminal`` (no screen).
///
/// Whoever creates a terminal owns it and restores it (``restore()``) on every exit path; the
/// UI loop never does.
@MainActor
public protocol Terminal: AnyObject {
    /// The current size in cells.
    var size: TerminalSize { get }
    /// Whether keys can arrive (``HeadlessTerminal`` has none, so the loop does not ask).
    var isInteractive: Bool { get }
    /// Loads the styles of a theme.
    func apply(theme: Theme)
    /// Shows a frame. Implementations may draw only the cells that changed since the last frame.
    func draw(_ grid: CellGrid)
    /// Waits for the next input event. `nil` means input has ended for good.
    func nextInput() async -> InputEvent?
    /// Gives the terminal back to the shell (idempotent).
    func restore()
}

/// A terminal for tests: records every frame and plays a scripted list of inputs.
@MainActor
public final class RecordingTerminal: Terminal {
    /// One scripted step.
    public enum Step: Sendable, Hashable {
        /// Deliver an input event (a resize also changes ``size``).
        case input(InputEvent)
        /// Wait until at least this many frames have been drawn (to sequence keys after data).
        case waitForFrames(Int)
    }

    /// Every frame drawn, in order.
    public private(set) var frames: [CellGrid] = []
    /// The names of the themes applied, in order.
    public private(set) var appliedThemes: [String] = []
    /// How many times ``restore()`` was called.
    public private(set) var restoreCount = 0
    /// The current size.
    public private(set) var size: TerminalSize
    /// Whether the script is delivered (`false` makes the loop treat it as headless).
    public let isInteractive: Bool
    private var script: [Step]
    private var waiters: [(frames: Int, continuation: CheckedContinuation<Void, Never>)] = []

    /// Creates a recording terminal.
    public init(size: TerminalSize = TerminalSize(width: 80, height: 24), script: [Step] = [], interactive: Bool = true) {
        self.size = size
        self.script = script
        self.isInteractive = interactive
    }

    /// Creates a recording terminal that types `keys` after the first `afterFrames` frames.
    public convenience init(size: TerminalSize = TerminalSize(width: 80, height: 24), keys: [Key], afterFrames: Int = 0) {
        self.init(size: size, script: (afterFrames > 0 ? [.waitForFrames(afterFrames)] : []) + keys.map { .input(.key($0)) })
    }

    /// The last frame drawn.
    public var lastFrame: CellGrid? { frames.last }

    /// Records the theme name.
    public func apply(theme: Theme) { appliedThemes.append(theme.name) }

    /// Records the frame and wakes script steps waiting for it.
    public func draw(_ grid: CellGrid) {
        frames.append(grid)
        let ready = waiters.filter { $0.frames <= frames.count }
        waiters.removeAll { $0.frames <= frames.count }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Plays the next scripted input; `nil` once the script is done.
    public func nextInput() async -> InputEvent? {
        while !script.isEmpty {
            switch script.removeFirst() {
            case .input(let event):
                if case .resize(let newSize) = event { size = newSize }
                return event
            case .waitForFrames(let count):
                if frames.count < count {
                    await withCheckedContinuation { waiters.append((count, $0)) }
                }
            }
        }
        return nil
    }

    /// Counts restores (and releases any script step still waiting).
    public func restore() {
        restoreCount += 1
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.continuation.resume() }
    }
}

/// A terminal without a screen or keys, for `--headless` runs: keeps only the last frame.
@MainActor
public final class HeadlessTerminal: Terminal {
    /// The size frames are rendered at.
    public let size: TerminalSize
    /// Always `false`: no keys.
    public let isInteractive = false
    /// Frames drawn so far.
    public private(set) var frameCount = 0
    /// The last frame drawn.
    public private(set) var lastFrame: CellGrid?

    /// Creates a headless terminal rendering at `size`.
    public init(size: TerminalSize = TerminalSize(width: 200, height: 60)) { self.size = size }

    /// Does nothing: there are no styles to load.
    public func apply(theme: Theme) {}

    /// Keeps the frame.
    public func draw(_ grid: CellGrid) {
        frameCount += 1
        lastFrame = grid
    }

    /// There is no input.
    public func nextInput() async -> InputEvent? { nil }

    /// Nothing to restore.
    public func restore() {}
}

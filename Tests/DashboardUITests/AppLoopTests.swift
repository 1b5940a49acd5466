import Testing
@testable import DashboardUI
import GroupModel

@Suite("UI loop")
@MainActor
struct AppLoopTests {
    static let options = DashboardApp.Options(maxIterations: nil, tickIntervalMs: nil, clock: { Scenario.now })

    @Test("explicit events: draws on data and reactions only, quits on q")
    func events() async {
        let terminal = RecordingTerminal(size: TerminalSize(width: 80, height: 24))
        let app = DashboardApp(terminal: terminal, options: Self.options)
        var controls: [DashboardControl] = []
        app.onControl = { controls.append($0) }
        let stream = AsyncStream<DashboardEvent> { continuation in
            continuation.yield(.update(Scenario.update))
            continuation.yield(.input(.key(.character("x"))))
            continuation.yield(.input(.key(.character("j"))))
            continuation.yield(.input(.key(.character("p"))))
            continuation.yield(.update(Scenario.update))
            continuation.yield(.input(.key(.character("r"))))
            continuation.yield(.input(.key(.character("t"))))
            continuation.yield(.input(.key(.character("q"))))
            continuation.yield(.input(.key(.character("j"))))
            continuation.finish()
        }
        let reason = await app.run(events: stream)
        #expect(reason == .quit)
        // waiting, data, j, p, r, t: the unbound key and the held update draw nothing.
        #expect(terminal.frames.count == 6)
        #expect(terminal.frames[0].text[0].contains("waiting for the first poll"))
        #expect(controls.filter { if case .focus = $0 { false } else { true } } == [.setPaused(true), .refreshNow])
        // The groups on screen are reported when they change, for the time-lag budget.
        #expect(controls.contains { if case .focus(let ids) = $0 { ids.contains("billing-classic") } else { false } })
        #expect(terminal.appliedThemes == ["default", "light"])
        #expect(terminal.restoreCount == 0)
    }

    @Test("a stream and scripted keys: keys wait for the first data frame")
    func stream() async {
        let (updates, continuation) = AsyncStream<DashboardUpdate>.makeStream()
        continuation.yield(Scenario.update)
        let terminal = RecordingTerminal(
            size: TerminalSize(width: 100, height: 30),
            keys: [.character("j"), .enter, .character("3"), .character("5"), .character("q")], afterFrames: 2)
        let app = DashboardApp(terminal: terminal, options: Self.options)
        let reason = await app.run(updates: updates)
        continuation.finish()
        #expect(reason == .quit)
        #expect(app.dashboard.state.view == .errors)
        #expect(terminal.frames.count == 6)
        #expect(terminal.frames[3].text[3].contains("analytics-lagging"))
        #expect(terminal.lastFrame?.text[3].contains("5 errors") == true)
    }

    @Test("headless: --max-iterations stops the loop")
    func maxIterations() async {
        let (updates, continuation) = AsyncStream<DashboardUpdate>.makeStream()
        for _ in 0..<5 { continuation.yield(Scenario.update) }
        let terminal = HeadlessTerminal()
        let app = DashboardApp(terminal: terminal, options: .init(maxIterations: 3, tickIntervalMs: nil, clock: { Scenario.now }))
        #expect(await app.run(updates: updates) == .maxIterations)
        #expect(terminal.frameCount == 4)
        continuation.finish()
    }

    @Test("headless: the end of the data ends the loop")
    func endOfData() async {
        let (updates, continuation) = AsyncStream<DashboardUpdate>.makeStream()
        continuation.yield(Scenario.update)
        continuation.finish()
        let terminal = HeadlessTerminal(size: TerminalSize(width: 80, height: 24))
        let app = DashboardApp(terminal: terminal, options: Self.options)
        #expect(await app.run(updates: updates) == .endOfInput)
        #expect(terminal.lastFrame?.text[0].contains("kgtop-demo-cluster") == true)
    }

    @Test("interactive: data and input both ending ends the loop")
    func bothEnd() async {
        let (updates, continuation) = AsyncStream<DashboardUpdate>.makeStream()
        continuation.yield(Scenario.update)
        continuation.finish()
        let terminal = RecordingTerminal(size: TerminalSize(width: 80, height: 24), keys: [.character("2")], afterFrames: 2)
        let app = DashboardApp(terminal: terminal, options: Self.options)
        #expect(await app.run(updates: updates) == .endOfInput)
        #expect(app.dashboard.state.view == .group)
    }
}

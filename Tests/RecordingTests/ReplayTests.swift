import DashboardUI
import Foundation
import GroupModel
import Testing
@testable import KgtopCLI
@testable import Recording
@testable import Replay

@Suite("Replay: same episodes and verdicts as live, time cursor")
struct ReplayTests {
    /// What a live monitor derives from the same polls, in order.
    private func live(_ snapshots: [ClusterSnapshot]) -> (RecordingDerivation, [DerivedPoll]) {
        var derivation = RecordingDerivation()
        let polls = snapshots.map { derivation.ingest($0) }
        return (derivation, polls)
    }

    @Test("replay re-derives the rolling restart's 6 episodes and every poll's verdicts exactly as live")
    func sameAsLive() throws {
        let snapshots = Scenario.rollingRestart()
        // Live: the tracker and evaluator straight over the scripted snapshots.
        var tracker = RebalanceTracker()
        var history = History()
        var liveVerdicts: [[String: GroupVerdict]] = []
        for s in snapshots {
            _ = tracker.ingest(s)
            history.record(s)
            liveVerdicts.append(Dictionary(uniqueKeysWithValues: s.groups.map { ($0.groupID, HealthEvaluator.evaluate(group: $0, history: history, now: s.takenAt)) }))
        }
        #expect(tracker.finished.count == 6)
        #expect(tracker.finished.allSatisfy { $0.groupID == "payments" && $0.trigger == .leave })

        let session = try ReplaySession(reader: try RecordingReader(bytes: try Scenario.recordingBytes()), checkpointInterval: 7)
        #expect(session.episodes == tracker.finished)
        #expect(session.episodeStarts.count == 6)
        // Every poll, visited out of order (checkpoints and backwards jumps), gives the live verdicts.
        let order = Array(stride(from: snapshots.count - 1, through: 0, by: -1)) + Array(0..<snapshots.count)
        for index in order {
            let derivation = try session.derivation(at: index)
            let s = snapshots[index]
            let replayed = Dictionary(uniqueKeysWithValues: s.groups.map { ($0.groupID, HealthEvaluator.evaluate(group: $0, history: derivation.history, now: s.takenAt)) })
            #expect(replayed == liveVerdicts[index], "poll \(index)")
        }
        let end = try session.derivation(at: snapshots.count - 1)
        #expect(end.tracker.finished == tracker.finished)

        // The dashboard update: a replay, with the recorded episodes and the status in the header.
        var controller = session.controller(playing: false)
        controller.move(to: snapshots.count - 1)
        let update = try session.update(for: controller)
        #expect(update.isReplay)
        #expect(update.replayStatus == "poll \(snapshots.count)/\(snapshots.count) ❚❚ 1×")
        let (_, livePolls) = live(snapshots)
        // The recorded poll, its members labelled as live.
        #expect(update.snapshot == livePolls.last?.snapshot)
        #expect(update.snapshot.groups.allSatisfy { $0.members.allSatisfy { $0.label != nil } })
        #expect(update.episodes?.filter { $0.endedAt != nil }.count == 6)
        #expect(update.insights["payments"]?.verdict == livePolls.last!.verdicts["payments"]!.status)
    }

    @Test("events --from: the NDJSON lines re-derived from a recording equal the live ones")
    func eventLines() throws {
        let snapshots = Scenario.rollingRestart()
        let (_, polls) = live(snapshots)
        var expected: [String] = []
        for p in polls {
            for e in p.events { expected.append(String(decoding: try SnapshotJSON.encodeLine(e), as: UTF8.self)) }
            for e in p.episodeEvents { expected.append(String(decoding: try SnapshotJSON.encodeLine(e), as: UTF8.self)) }
        }
        let lines = try RecordingReader(bytes: try Scenario.recordingBytes()).eventLines()
        #expect(lines == expected)
        #expect(lines.filter { $0.contains("\"episode_started\"") }.count == 6)
        #expect(lines.contains { $0.contains("\"member_joined\"") })
    }

    @Test("the cursor: play/pause, speed 1x..64x, step, next episode, next error")
    func controller() throws {
        let session = try ReplaySession(reader: try RecordingReader(bytes: try Scenario.recordingBytes()))
        var c = session.controller()
        #expect(c.isPlaying && c.cursor == 0 && c.speed == 1)
        #expect(c.delayToNextMs == 5_000)
        for _ in 0..<10 { c.apply(.faster) }
        #expect(c.speed == 64)
        #expect(c.delayToNextMs == Int64(78))
        c.apply(.slower)
        #expect(c.speed == 32)
        c.apply(.togglePlay)
        #expect(!c.isPlaying && c.delayToNextMs == nil)
        var moved = c.apply(.stepForward)
        #expect(moved && c.cursor == 1)
        moved = c.apply(.stepBack)
        #expect(moved && c.cursor == 0)
        moved = c.apply(.stepBack)
        #expect(!moved && c.cursor == 0)
        // Episodes start where each member leaves: polls 3, 7, 11, ...
        moved = c.apply(.nextEpisode)
        #expect(moved && c.cursor == session.episodeStarts[0])
        #expect(session.episodeStarts == [3, 7, 11, 15, 19, 23])
        c.apply(.nextEpisode)
        #expect(c.cursor == 7)
        // The broker outage is at the fourth member's leave (poll 15).
        #expect(session.errorPolls.contains(15))
        c.apply(.nextError)
        let nextError = session.errorPolls.first { $0 > 7 }
        #expect(c.cursor == nextError)
        c.move(to: c.count - 1)
        moved = c.apply(.nextEpisode)
        #expect(!moved)
        c.apply(.togglePlay)
        #expect(!c.isPlaying, "playing at the end stops at once")
        c.move(to: c.count - 2)
        c.apply(.togglePlay)
        let ticked = c.tick()
        #expect(ticked && c.atEnd && !c.isPlaying)
    }

    @Test("replay keys drive the cursor through the dashboard loop (scripted terminal)")
    @MainActor
    func keysThroughTheLoop() async throws {
        let session = try ReplaySession(reader: try RecordingReader(bytes: try Scenario.recordingBytes()))
        var controller = session.controller(playing: false)
        let terminal = RecordingTerminal(
            size: TerminalSize(width: 120, height: 30),
            script: [.waitForFrames(2), .input(.key(.character("n"))), .waitForFrames(3), .input(.key(.character("."))), .waitForFrames(4), .input(.key(.character("q")))])
        let app = DashboardApp(terminal: terminal, options: .init(tickIntervalMs: nil, clock: { 0 }))
        let (stream, continuation) = AsyncStream<DashboardUpdate>.makeStream()
        continuation.yield(try session.update(for: controller))
        var seen: [Int] = []
        app.onReplayCommand = { command in
            controller.apply(command)
            seen.append(controller.cursor)
            if let update = try? session.update(for: controller) { continuation.yield(update) }
        }
        let reason = await app.run(updates: stream)
        continuation.finish()
        #expect(reason == .quit)
        #expect(seen == [3, 4])
        let screen = try #require(terminal.lastFrame).text.joined(separator: "\n")
        #expect(screen.contains("REPLAY poll 5/\(session.reader.pollCount) ❚❚ 1×"))
        #expect(screen.contains("recorded 2025-06-15 15:07:0"))
    }

    @Test("A headless replay makes each poll's update only when the loop asks for it: nothing queued, nothing dropped")
    @MainActor
    func headlessReplayIsPulled() async throws {
        let session = try ReplaySession(reader: try RecordingReader(bytes: try Scenario.recordingBytes()))
        let count = session.reader.pollCount
        #expect(count > 4)
        // The loop stops after 3 updates: 3 were made (the former feed made every poll's up front).
        let partial = HeadlessReplayFeed(session: session, controller: session.controller(playing: false), maxPolls: nil)
        let stopped = DashboardApp(terminal: HeadlessTerminal(size: TerminalSize(width: 120, height: 30)),
                                   options: .init(maxIterations: 3, tickIntervalMs: nil, clock: { 0 }))
        #expect(await stopped.run(events: partial.events) == .maxIterations)
        #expect(partial.produced == 3)

        // To the end: every poll once, in order, then the end of the data with the last poll on screen.
        let whole = HeadlessReplayFeed(session: session, controller: session.controller(playing: false), maxPolls: nil)
        let terminal = HeadlessTerminal(size: TerminalSize(width: 120, height: 30))
        let app = DashboardApp(terminal: terminal, options: .init(tickIntervalMs: nil, clock: { 0 }))
        #expect(await app.run(events: whole.events) == .endOfInput)
        #expect(whole.produced == count && whole.failure == nil)
        #expect(try #require(terminal.lastFrame).text.joined(separator: "\n").contains("REPLAY poll \(count)/\(count)"))
    }
}

import Foundation
import Testing
@testable import DashboardUI

@Suite("Key map, help and docs")
@MainActor
struct KeyMapTests {
    @Test("one binding per key, every action bound")
    func complete() {
        let map = KeyMap.standard
        #expect(map.duplicateKeys.isEmpty)
        #expect(Set(map.bindings.map(\.action)) == Set(Action.allCases))
        for binding in map.bindings {
            for key in binding.keys { #expect(map.action(for: key) == binding.action) }
        }
    }

    @Test("help lists every binding of the key map", arguments: [TerminalSize(width: 80, height: 24), TerminalSize(width: 200, height: 60)])
    func help(size: TerminalSize) {
        let dashboard = makeDashboard(size)
        _ = dashboard.handle(.key(.character("?")))
        // Help scrolls when it is taller than the screen: read it page by page.
        var screen = dashboard.render().text.joined(separator: "\n")
        for _ in 0..<10 {
            _ = dashboard.handle(.key(.pageDown))
            screen += "\n" + dashboard.render().text.joined(separator: "\n")
        }
        #expect(dashboard.state.helpVisible)
        #expect(screen.contains("Notation"))
        for binding in KeyMap.standard.bindings {
            #expect(screen.contains(binding.summary), "help misses \(binding.action)")
            #expect(screen.contains(binding.keyNames), "help misses the keys of \(binding.action)")
        }
    }

    @Test("the key tables in docs/TUI.md and README.md are the key map's", arguments: ["docs/TUI.md", "README.md"])
    func docs(_ file: String) throws {
        let url = ThemeTests.repoRoot.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        let begin = "<!-- keys:begin (generated from KeyMap.standard; KGTOP_UPDATE_GOLDEN=1 swift test rewrites it) -->\n"
        let end = "<!-- keys:end -->"
        let start = try #require(text.range(of: begin))
        let stop = try #require(text.range(of: end))
        let table = String(text[start.upperBound..<stop.lowerBound])
        let expected = KeyMap.standard.markdownTable()
        if ProcessInfo.processInfo.environment["KGTOP_UPDATE_GOLDEN"] == "1" {
            var updated = text
            updated.replaceSubrange(start.upperBound..<stop.lowerBound, with: expected)
            try updated.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(table == expected, "\(file)'s key table is stale: run KGTOP_UPDATE_GOLDEN=1 swift test --filter DashboardUITests")
    }

    @Test("docs/TUI.md's replay key table is KeyMap.replay's; replay keys are distinct")
    func replayDocs() throws {
        let keys = KeyMap.replay.flatMap(\.keys)
        #expect(Set(keys).count == keys.count)
        #expect(Set(KeyMap.replay.map(\.command)) == Set(ReplayCommand.allCases))
        let url = ThemeTests.repoRoot.appendingPathComponent("docs/TUI.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let begin = "<!-- replay-keys:begin (generated from KeyMap.replay; KGTOP_UPDATE_GOLDEN=1 swift test rewrites it) -->\n"
        let start = try #require(text.range(of: begin))
        let stop = try #require(text.range(of: "<!-- replay-keys:end -->"))
        let expected = KeyMap.replayMarkdownTable()
        if ProcessInfo.processInfo.environment["KGTOP_UPDATE_GOLDEN"] == "1" {
            var updated = text
            updated.replaceSubrange(start.upperBound..<stop.lowerBound, with: expected)
            try updated.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(String(text[start.upperBound..<stop.lowerBound]) == expected, "docs/TUI.md's replay key table is stale: run KGTOP_UPDATE_GOLDEN=1 swift test --filter DashboardUITests")
    }

    @Test("replay keys reach the replay only while the data is a replay")
    func replayKeys() {
        let dashboard = makeDashboard(TerminalSize(width: 160, height: 30))
        #expect(!dashboard.handle(.key(.character("n"))).contains(.replayCommand))
        #expect(dashboard.takeReplayCommand() == nil)
        var update = dashboard.update!
        update.isReplay = true
        update.replayStatus = "poll 3/9 ❚❚"
        dashboard.receive(update)
        #expect(dashboard.handle(.key(.character(" "))) == .replayCommand)
        #expect(dashboard.takeReplayCommand() == .togglePlay)
        #expect(dashboard.takeReplayCommand() == nil)
        let screen = dashboard.render().text.joined(separator: "\n")
        #expect(screen.contains("REPLAY poll 3/9"))
        #expect(screen.contains("recorded "))
    }
}

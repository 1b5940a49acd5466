import Foundation
import Testing
@testable import DashboardUI

/// Compares rendered screens with the text files in Golden/ (`KGTOP_UPDATE_GOLDEN=1` rewrites them).
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func check(_ grid: CellGrid, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name + ".txt")
        let actual = grid.plainText
        if ProcessInfo.processInfo.environment["KGTOP_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing golden \(name).txt: run with KGTOP_UPDATE_GOLDEN=1", sourceLocation: sourceLocation)
            return
        }
        #expect(actual == expected, "screen \(name) differs from Golden/\(name).txt", sourceLocation: sourceLocation)
    }
}

@MainActor
func makeDashboard(_ size: TerminalSize, update: DashboardUpdate? = Scenario.update) -> Dashboard {
    let dashboard = Dashboard(size: size)
    dashboard.now = Scenario.now
    if let update { dashboard.receive(update) }
    return dashboard
}

@Suite("Golden screens")
@MainActor
struct GoldenScreenTests {
    nonisolated static let sizes = [TerminalSize(width: 80, height: 24), TerminalSize(width: 120, height: 40), TerminalSize(width: 200, height: 60)]

    @Test("every view at 80x24, 120x40 and 200x60", arguments: sizes, ViewID.allCases)
    func view(size: TerminalSize, view: ViewID) throws {
        let dashboard = makeDashboard(size)
        dashboard.state.open(groupID: "payments-rollout")
        dashboard.state.view = view
        try Golden.check(dashboard.render(), "\(view.title.lowercased())-\(size)")
    }

    @Test("group view of each scenario group", arguments: Scenario.groups.map(\.groupID))
    func group(id: String) throws {
        let dashboard = makeDashboard(TerminalSize(width: 120, height: 30))
        dashboard.state.open(groupID: id)
        try Golden.check(dashboard.render(), "group-\(id)-120x30")
    }

    @Test("help overlay", arguments: sizes)
    func help(size: TerminalSize) throws {
        let dashboard = makeDashboard(size)
        _ = dashboard.handle(.key(.character("?")))
        try Golden.check(dashboard.render(), "help-\(size)")
    }

    @Test("an error message in full", arguments: sizes)
    func message(size: TerminalSize) throws {
        let dashboard = makeDashboard(size)
        _ = dashboard.handle(.key(.character("5")))
        _ = dashboard.handle(.key(.enter))
        try Golden.check(dashboard.render(), "errors-message-\(size)")
    }

    @Test("paused, with newer data held", arguments: sizes)
    func paused(size: TerminalSize) throws {
        let dashboard = makeDashboard(size)
        _ = dashboard.handle(.key(.character("p")))
        dashboard.receive(Scenario.update)
        try Golden.check(dashboard.render(), "paused-\(size)")
    }

    @Test("waiting for the first poll", arguments: sizes)
    func waiting(size: TerminalSize) throws {
        let dashboard = makeDashboard(size, update: nil)
        try Golden.check(dashboard.render(), "waiting-\(size)")
    }
}

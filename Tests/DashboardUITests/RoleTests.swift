import Testing
@testable import DashboardUI

/// The goldens hold text only; these tests check that meaning reaches the theme roles.
@Suite("Theme roles on screen")
@MainActor
struct RoleTests {
    func cell(_ grid: CellGrid, row: Int, containing text: String) -> Cell? {
        let line = grid.text[row]
        guard let range = line.range(of: text) else { return nil }
        let column = DisplayWidth.of(String(line[..<range.lowerBound]))
        return grid[column, row]
    }

    func row(_ grid: CellGrid, containing text: String) -> Int? {
        grid.text.firstIndex { $0.contains(text) }
    }

    @Test("group view: stuck member, hand-offs and verdicts use their roles")
    func groupView() throws {
        let dashboard = makeDashboard(TerminalSize(width: 200, height: 60))
        dashboard.state.open(groupID: "payments-rollout")
        dashboard.state.positions[.group] = ListPosition(selected: 0)
        let grid = dashboard.render()
        let stuck = try #require(row(grid, containing: "c3R1Y2stbWVtYmVyLTAy"))
        #expect(cell(grid, row: stuck, containing: "7→8")?.role == .lagCritical)
        let joined = try #require(row(grid, containing: "bmV3LW1lbWJlci0wMDAz"))
        #expect(cell(grid, row: joined, containing: "payments-2")?.role == .memberJoined)
        #expect(cell(grid, row: joined, containing: "bmV3")?.role == .dim)
        // The member past its limit is named as the cause of the stall.
        let stalled = try #require(row(grid, containing: "stalled by payments-stuck"))
        #expect(cell(grid, row: stalled, containing: "payments-stuck")?.role == .lagCritical)
        #expect(cell(grid, row: try #require(row(grid, containing: "left: payments-9")), containing: "left")?.role == .memberLeft)
        let p3 = try #require(grid.text.firstIndex { $0.hasPrefix(" payments-3 ") })
        #expect(cell(grid, row: p3, containing: "revoking")?.role == .rebalancing)
        #expect(cell(grid, row: p3, containing: "STOP")?.role == .verdictStop)
        #expect(cell(grid, row: p3, containing: "412")?.role == .lagCritical)
        // The selected row (the MEMBERS title) is drawn in the selection role.
        #expect(grid[3, try #require(row(grid, containing: "MEMBERS 3"))].role == .selection)
    }

    @Test("groups view: header, key bar, states, verdicts, paused marker")
    func groupsView() throws {
        let dashboard = makeDashboard(TerminalSize(width: 200, height: 60))
        _ = dashboard.handle(.key(.character("p")))
        let grid = dashboard.render()
        #expect(grid[199, 1].role == .header)
        #expect(cell(grid, row: 0, containing: "PAUSED")?.role == .paused)
        #expect(cell(grid, row: 0, containing: "2/3 up")?.role == .errorText)
        #expect(grid[199, 59].role == .keyBar)
        #expect(cell(grid, row: 59, containing: "q")?.role == .keyBarKey)
        let payments = try #require(row(grid, containing: "payments-rollout"))
        #expect(cell(grid, row: payments, containing: "Reconciling")?.role == .rebalancing)
        #expect(cell(grid, row: payments, containing: "WARN")?.role == .verdictWarn)
        let tansu = try #require(row(grid, containing: "tansu-events"))
        #expect(cell(grid, row: tansu, containing: "ERR")?.role == .verdictErr)
        // The first row (sorted by group id) is selected.
        let share = try #require(row(grid, containing: "alerts-share"))
        #expect(grid[1, share].role == .selection)
    }

    @Test("a stale poll age is drawn in the stale role")
    func stale() {
        let dashboard = makeDashboard(TerminalSize(width: 100, height: 20))
        dashboard.now = Scenario.takenAt + 120_000
        let grid = dashboard.render()
        #expect(cell(grid, row: 0, containing: "2m ago")?.role == .stale)
    }
}

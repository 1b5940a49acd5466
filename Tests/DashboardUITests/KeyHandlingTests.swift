import Testing
@testable import DashboardUI
import GroupModel

@Suite("Key handling")
@MainActor
struct KeyHandlingTests {
    let size = TerminalSize(width: 120, height: 30)

    func press(_ dashboard: Dashboard, _ keys: Key...) -> Reaction {
        var reaction: Reaction = []
        for key in keys { reaction.formUnion(dashboard.handle(.key(key))) }
        return reaction
    }

    func visibleGroups(_ dashboard: Dashboard) -> [String] {
        let content = dashboard.content(width: dashboard.size.width)
        return (0..<content.count).compactMap(content.groupAt)
    }

    @Test("1-5, Tab and Shift-Tab switch every view")
    func switchViews() {
        let dashboard = makeDashboard(size)
        for view in ViewID.allCases {
            #expect(press(dashboard, .character(Character(String(view.rawValue)))).contains(.redraw) || view == .groups)
            #expect(dashboard.state.view == view)
        }
        var seen: [ViewID] = []
        for _ in ViewID.allCases {
            _ = press(dashboard, .tab)
            seen.append(dashboard.state.view)
        }
        #expect(seen == [.groups, .group, .rebalances, .protocols, .errors])
        _ = press(dashboard, .backTab)
        #expect(dashboard.state.view == .protocols)
        let frame = dashboard.render().text.joined(separator: "\n")
        #expect(frame.contains("GROUPS BY PROTOCOL AND ASSIGNOR"))
    }

    @Test("Enter drills into the selected group, Esc comes back")
    func drill() {
        let dashboard = makeDashboard(size)
        _ = press(dashboard, .character("j"), .character("j"))
        #expect(dashboard.state.position(.groups).selected == 2)
        #expect(press(dashboard, .enter) == .redraw)
        #expect(dashboard.state.view == .group)
        #expect(dashboard.state.selectedGroupID == "billing-classic")
        #expect(dashboard.render().text[3].contains("billing-classic"))
        _ = press(dashboard, .escape)
        #expect(dashboard.state.view == .groups)
        // From the Rebalances view, Enter on an episode line opens its group and Esc returns there.
        _ = press(dashboard, .character("3"), .character("j"), .enter)
        #expect(dashboard.state.view == .group)
        #expect(dashboard.state.selectedGroupID == "payments-rollout")
        _ = press(dashboard, .character("h"))
        #expect(dashboard.state.view == .rebalances)
    }

    @Test("/ filters by regex live; Enter applies, Esc cancels, Esc again clears")
    func filter() {
        let dashboard = makeDashboard(size)
        _ = press(dashboard, .character("/"), .character("^"), .character("o"), .character("r"))
        #expect(dashboard.state.editingFilter == "^or")
        #expect(visibleGroups(dashboard) == ["orders-kip848"])
        #expect(dashboard.render().text.last?.contains("Filter /^or") == true)
        _ = press(dashboard, .escape)
        #expect(dashboard.state.filter == nil)
        #expect(visibleGroups(dashboard).count == Scenario.groups.count)
        _ = press(dashboard, .character("/"))
        for c in "PAY|bill" { _ = press(dashboard, .character(c)) }
        _ = press(dashboard, .enter)
        #expect(dashboard.state.filter == "PAY|bill")
        #expect(visibleGroups(dashboard) == ["billing-classic", "payments-rollout"])
        _ = press(dashboard, .escape)
        #expect(dashboard.state.filter == nil)
        // Not a regex: matched as text.
        _ = press(dashboard, .character("/"), .character("("), .character("t"), .enter)
        #expect(visibleGroups(dashboard).isEmpty)
        #expect(dashboard.render().text.joined().contains("no group matches"))
    }

    @Test("s cycles the sort column, S reverses")
    func sort() {
        let dashboard = makeDashboard(size)
        #expect(visibleGroups(dashboard).first == "alerts-share")
        _ = press(dashboard, .character("S"))
        #expect(visibleGroups(dashboard).first == "tansu-events")
        while dashboard.state.sortColumn != .lag { _ = press(dashboard, .character("s")) }
        #expect(dashboard.state.sortDescending)
        #expect(visibleGroups(dashboard).prefix(3) == ["analytics-lagging", "payments-rollout", "sessionizer-streams"])
        _ = press(dashboard, .character("S"))
        #expect(visibleGroups(dashboard).last == "analytics-lagging")
        while dashboard.state.sortColumn != .verdict { _ = press(dashboard, .character("s")) }
        // Severity follows GroupModel's HealthStatus order: STALL ranks above ERR.
        #expect(visibleGroups(dashboard).prefix(2) == ["analytics-lagging", "tansu-events"])
        #expect(dashboard.render().text[4].contains("VERDICT▼"))
    }

    @Test("the selection follows its group when the order changes")
    func selectionFollowsGroup() {
        let dashboard = makeDashboard(size)
        _ = press(dashboard, .end)
        #expect(dashboard.state.selectedGroupID == "tansu-events")
        _ = press(dashboard, .character("S"))
        #expect(dashboard.state.selectedGroupID == "tansu-events")
        _ = dashboard.render()
        #expect(dashboard.state.position(.groups).selected == 0)
    }

    @Test("o shows only groups with problems")
    func onlyProblems() {
        let dashboard = makeDashboard(size)
        _ = press(dashboard, .character("o"))
        #expect(visibleGroups(dashboard) == ["analytics-lagging", "payments-rollout", "sessionizer-streams", "tansu-events"])
        _ = press(dashboard, .character("o"))
        #expect(visibleGroups(dashboard).count == Scenario.groups.count)
    }

    @Test("p freezes data while navigation continues; resuming shows the newest update")
    func pause() {
        let dashboard = makeDashboard(size)
        #expect(press(dashboard, .character("p")) == [.redraw, .togglePause])
        var newer = Scenario.update
        newer.snapshot.groups.removeAll { $0.groupID == "tansu-events" }
        #expect(dashboard.receive(newer) == [])
        #expect(dashboard.update?.snapshot.groups.count == Scenario.groups.count)
        #expect(dashboard.render().text[0].contains("PAUSED (newer data held)"))
        _ = press(dashboard, .character("j"), .character("4"))
        #expect(dashboard.state.view == .protocols)
        _ = press(dashboard, .character("p"))
        #expect(dashboard.update?.snapshot.groups.count == Scenario.groups.count - 1)
        #expect(!dashboard.render().text[0].contains("PAUSED"))
    }

    @Test("r asks for a refresh, t changes theme, q quits, ? toggles help")
    func reactions() {
        let dashboard = makeDashboard(size)
        #expect(press(dashboard, .character("r")).contains(.refreshNow))
        #expect(press(dashboard, .character("t")) == [.redraw, .themeChanged])
        #expect(dashboard.theme.name == "light")
        #expect(press(dashboard, .character("?")) == .redraw)
        #expect(dashboard.state.helpVisible)
        // Help is modal: navigation scrolls it, other keys do nothing, Esc closes it.
        #expect(press(dashboard, .character("j")) == .redraw)
        #expect(dashboard.state.helpTop == 1)
        #expect(press(dashboard, .character("o")) == [])
        #expect(!dashboard.state.onlyProblems)
        _ = press(dashboard, .escape)
        #expect(!dashboard.state.helpVisible)
        #expect(press(dashboard, .character("q")) == .quit)
        #expect(press(dashboard, .character("x")) == [])
    }

    @Test("v cycles the minimum severity of the Errors view")
    func severity() {
        let dashboard = makeDashboard(size)
        _ = press(dashboard, .character("5"))
        #expect(dashboard.content(width: 120).count == 5)
        _ = press(dashboard, .character("v"), .character("v"))
        #expect(dashboard.state.minimumSeverity == .error)
        #expect(dashboard.content(width: 120).count == 2)
        _ = press(dashboard, .character("/"), .character("t"), .character("a"), .character("n"), .enter)
        #expect(dashboard.content(width: 120).count == 1)
    }

    @Test("mouse: click selects, clicking the selection opens it, wheel scrolls, tabs switch")
    func mouse() {
        let dashboard = makeDashboard(size)
        // Rows start under 3 header lines, the status line and the column titles.
        _ = dashboard.handle(.mouse(.click(x: 5, y: 8)))
        #expect(dashboard.state.selectedGroupID == "inventory-migration")
        _ = dashboard.handle(.mouse(.wheelDown(x: 5, y: 8)))
        #expect(dashboard.state.position(.groups).selected == 6)
        _ = dashboard.handle(.mouse(.wheelUp(x: 5, y: 8)))
        #expect(dashboard.state.position(.groups).selected == 3)
        _ = dashboard.handle(.mouse(.click(x: 5, y: 8)))
        #expect(dashboard.state.view == .group)
        _ = dashboard.handle(.mouse(.click(x: 40, y: 2)))
        #expect(dashboard.state.view == .protocols)
    }

    @Test("resize changes the frame size")
    func resize() {
        let dashboard = makeDashboard(size)
        _ = dashboard.handle(.resize(TerminalSize(width: 60, height: 10)))
        let grid = dashboard.render()
        #expect(grid.width == 60 && grid.height == 10)
    }

    @Test("10,000 groups: a frame formats only the visible rows and End reaches the last group")
    func manyGroups() {
        var groups: [Group] = []
        for i in 0..<10_000 {
            groups.append(Group(groupID: "group-\(String(i + 100_000).dropFirst())", type: .consumer, state: .stable, groupEpoch: 1, assignmentEpoch: 1))
        }
        let update = DashboardUpdate(snapshot: ClusterSnapshot(takenAt: Scenario.takenAt, pollDurationMs: 900, cluster: ClusterInfo(clusterID: "big"), groups: groups))
        let dashboard = makeDashboard(TerminalSize(width: 80, height: 24), update: update)
        _ = dashboard.render()
        _ = dashboard.handle(.key(.end))
        let text = dashboard.render().text
        #expect(text[22].contains("group-09999"))
        #expect(text[3].contains("10000 of 10000 groups"))
    }
}

import Testing
import GroupModel
@testable import DashboardUI

@Suite("Layout")
@MainActor
struct LayoutTests {
    enum C: Hashable, Sendable { case name, lag, state, host, rack, id }

    static let specs: [ColumnSpec<C>] = [
        ColumnSpec(id: .name, title: "NAME", min: 10, max: 60, priority: 0, identity: true, shortening: .middle),
        ColumnSpec(id: .lag, title: "LAG", max: 8, alignment: .right, priority: 1),
        ColumnSpec(id: .state, title: "STATE", max: 11, priority: 2),
        ColumnSpec(id: .host, title: "HOST", min: 12, max: 20, priority: 3),
        ColumnSpec(id: .rack, title: "RACK", max: 8, priority: 4),
        ColumnSpec(id: .id, title: "ID", min: 10, max: 30, priority: 5),
    ]

    static func content(rack: String = "use1-az1") -> ColumnContent<C> {
        var content = ColumnContent<C>()
        content.measure([.name: Span("payments-settlement-1"), .lag: Span("12345"), .state: Span("Reconciling"),
                         .host: Span("ip-10-0-3-31.eu-west-1"), .rack: Span(rack), .id: Span("cGF5bWVudHMtMDAwMDAx")])
        content.measure([.name: Span("p"), .lag: Span("0"), .state: Span("Stable"), .host: Span("10.0.3.32"), .rack: Span("-"), .id: Span("x")])
        return content
    }

    @Test("columns drop from the least important; a column of placeholders goes before one with values")
    func dropping() {
        let wide = TableLayout(Self.specs, content: Self.content(), width: 200)
        #expect(wide.columns.map(\.spec.id) == [.name, .lag, .state, .host, .rack, .id])
        #expect(wide.hidden.isEmpty)

        // 21 + 5 + 11 + 12 (HOST squeezed to its minimum) + 8, the gaps and the gutter: 62 of 64.
        // The ID column does not fit; RACK does.
        let narrow = TableLayout(Self.specs, content: Self.content(), width: 64)
        #expect(narrow.columns.map(\.spec.id) == [.name, .lag, .state, .host, .rack])
        #expect(narrow.hidden == [.id])

        // RACK holds only `-`: it goes first, before ID, though its priority is higher.
        let placeholders = TableLayout(Self.specs, content: Self.content(rack: "-"), width: 64)
        #expect(placeholders.columns.map(\.spec.id) == [.name, .lag, .state, .host, .id])
        #expect(placeholders.hidden == [.rack])
    }

    @Test("placing stops at the first column that does not fit: a less useful narrow column never stays instead")
    func strictOrder() {
        // NAME (its whole 21 columns would be more than two fifths of 48: it keeps 19), LAG and STATE
        // take 19 + 6 + 12 = 37 of the 48 columns after the gutter; HOST needs 13 more and does not
        // fit. RACK (9 more) would, but it is less useful than HOST: it is not placed.
        let layout = TableLayout(Self.specs, content: Self.content(), width: 49)
        #expect(layout.columns.map(\.spec.id) == [.name, .lag, .state])
        #expect(layout.hidden == [.host, .rack, .id])
    }

    @Test("the identity column keeps its whole name before other columns are placed, up to two fifths of the width")
    func identity() {
        var content = ColumnContent<C>()
        content.measure(.name, "com.example.payments.settlement-consumer-production-eu-west-1")
        content.measure(.lag, "12")
        let layout = TableLayout(Self.specs, content: content, width: 80)
        // 62 columns wanted; at least 79 * 2 / 5 = 31 kept; the rest goes to it once the others are placed.
        #expect(layout.width(of: .name) >= 31)
        let row = layout.row([.name: Span("com.example.payments.settlement-consumer-production-eu-west-1"), .lag: Span("12")]).plain
        #expect(row.contains("…"))
        #expect(DisplayWidth.of(row) <= 80)
    }

    @Test("wide terminals give columns their content's width (OWNER as wide as the longest label)")
    func wide() {
        var content = ColumnContent<PartitionColumn>()
        content.measure(.partition, "orders-12")
        content.measure(.owner, "order-service@ip-10-0-3-31.eu-west-1")
        content.measure(.target, "order-service@ip-10-0-3-31.eu-west-1")
        let layout = TableLayout(Dashboard.partitionColumns, content: content, width: 200)
        #expect(layout.width(of: .owner) == 36)
        #expect(layout.width(of: .partition) == DisplayWidth.of("PARTITION"))
    }

    @Test("middle shortening keeps the end that tells names apart and a partition's number")
    func middle() {
        let one = Format.shortenMiddle("com.example.payments.settlement-consumer-production-eu-west-1", 17)
        let two = Format.shortenMiddle("com.example.payments.settlement-consumer-production-eu-west-2", 17)
        #expect(one != two)
        #expect(one.hasSuffix("-1") && two.hasSuffix("-2"))
        #expect(DisplayWidth.of(one) == 17)
        let partition = Format.shortenMiddle("com.example.payments.settlement-1234", 8)
        #expect(partition.hasSuffix("-1234"))
        #expect(DisplayWidth.of(partition) == 8)
        #expect(Format.shortenMiddle("orders-7", 8) == "orders-7")
    }

    @Test("status and summary lines are cut and wrapped between words only")
    func words() {
        #expect(Format.shortenAtWord("sorted by LAG (column hidden at this width)", 20) == "sorted by LAG…")
        #expect(Format.shortenAtWord("short", 20) == "short")
        var line = StyledLine(" payments-rollout", .sectionTitle)
        line.append("  consumer", .normal)
        line.append("  Reconciling", .rebalancing)
        line.append("  epoch 8 target 8  assignor uniform  coordinator 0", .normal)
        let wrapped = Format.wrap(line, width: 40, indent: "   ")
        #expect(wrapped.count > 1)
        let words = Set(line.plain.split(separator: " ").map(String.init))
        for part in wrapped {
            #expect(part.width <= 40)
            for word in part.plain.split(separator: " ") { #expect(words.contains(String(word)), "\(word) was cut") }
        }
        #expect(wrapped.map(\.plain).joined(separator: " ").split(separator: " ") == line.plain.split(separator: " "))
        // Styles stay with their words.
        #expect(wrapped.flatMap(\.spans).first { $0.text == "Reconciling" }?.role == .rebalancing)
    }

    @Test("a word longer than a line is continued in full when asked")
    func longWord() {
        let text = String(repeating: "x", count: 50)
        let lines = Format.wrap(StyledLine(" " + text), width: 20, indent: " ", splitLongWords: true)
        #expect(lines.allSatisfy { $0.width <= 20 })
        #expect(lines.map { $0.plain.replacingOccurrences(of: " ", with: "") }.joined() == text)
    }

    @Test("the sort marker has a cell of its own: a title is never shortened for it")
    func sortMarker() {
        var content = ColumnContent<GroupColumn>()
        content.measure(.group, "orders")
        content.measure(.protocol, "consumer")
        let layout = TableLayout(Dashboard.groupColumns, content: content, width: 120, sortedBy: .protocol)
        let header = layout.header(descending: false).plain
        #expect(header.contains("PROTOCOL▲"))
        #expect(layout.width(of: .protocol) == 9)
    }

    @Test("sorting by a column hidden at this width says so")
    func hiddenSort() {
        let dashboard = makeDashboard(TerminalSize(width: 80, height: 24))
        // GROUP, PROTOCOL, STATE, MEMB, EPOCH, ASSIGNOR, PARTS, LAG, TIME LAG, TREND: hidden at 80.
        var reaction: Reaction = []
        for _ in 0..<9 { reaction = dashboard.handle(.key(.character("s"))) }
        #expect(reaction.contains(.redraw))
        #expect(dashboard.state.sortColumn == .trend)
        #expect(dashboard.state.message == "sorted by TREND (column hidden at this width)")
        let screen = dashboard.render().text
        #expect(screen[3].contains("sorted by TREND ▼ (column hidden at this width)"))
        #expect(!screen[4].contains("TREND"))
        // Wide enough, it is shown and nothing is said.
        dashboard.size = TerminalSize(width: 200, height: 24)
        _ = dashboard.handle(.key(.character("s")))
        _ = dashboard.handle(.key(.character("S")))
        #expect(!dashboard.render().text[3].contains("hidden"))
    }

    @Test("PAUSED has its own place: the poll time stays", arguments: [80, 64])
    func paused(width: Int) throws {
        let dashboard = makeDashboard(TerminalSize(width: width, height: 24))
        _ = dashboard.handle(.key(.character("p")))
        dashboard.receive(Scenario.update)
        let screen = dashboard.render().text
        #expect(screen[0].contains("poll 2s ago"))
        #expect(screen[0].contains("PAUSED") || screen[1].contains("PAUSED"))
    }

    @Test("the key bar shows whole entries, help always among them", arguments: [80, 60, 40, 24])
    func keyBar(width: Int) {
        let dashboard = makeDashboard(TerminalSize(width: width, height: 24))
        let bar = dashboard.render().text[23]
        #expect(bar.contains("? Help"))
        #expect(DisplayWidth.of(bar) <= width)
        let labels = KeyMap.standard.barBindings.compactMap { binding in binding.barLabel.map { (binding.keys[0].displayName, $0) } }
        // Every label on the bar is whole: the bar is a sequence of whole entries.
        var rest = Substring(bar)
        while let first = rest.first, first == " " { rest = rest.dropFirst() }
        while !rest.isEmpty {
            let entry = labels.first { rest.hasPrefix("\($0.0) \($0.1)") }
            #expect(entry != nil, "key bar entry cut at \(rest)")
            guard let entry else { break }
            rest = rest.dropFirst("\(entry.0) \(entry.1)".count)
            while let first = rest.first, first == " " { rest = rest.dropFirst() }
        }
    }

    @Test("Enter opens an error message in full, Esc closes it, Enter in it opens the group")
    func errorMessage() {
        var update = Scenario.update
        let long = "OffsetFetch [payments-rollout]: COORDINATOR_LOAD_IN_PROGRESS (14): the coordinator is loading the group's offsets after a leader change on broker 1; kgtop retries on the next poll and says so here until it answers"
        update.errors = [ErrorRow(at: Scenario.takenAt - 500, severity: .error, source: .poll, groupID: "payments-rollout", message: long)]
        let dashboard = makeDashboard(TerminalSize(width: 80, height: 24), update: update)
        _ = dashboard.handle(.key(.character("5")))
        #expect(!dashboard.render().text.joined().contains("until it answers"))
        #expect(dashboard.handle(.key(.enter)) == .redraw)
        #expect(dashboard.state.detailVisible)
        let screen = dashboard.render().text.joined(separator: " ")
        let words = screen.split(separator: " ").filter { $0 != "│" }.joined(separator: " ")
        #expect(words.contains("until it answers"))
        #expect(words.contains("COORDINATOR_LOAD_IN_PROGRESS"))
        _ = dashboard.handle(.key(.escape))
        #expect(!dashboard.state.detailVisible)
        #expect(dashboard.state.view == .errors)
        _ = dashboard.handle(.key(.enter))
        _ = dashboard.handle(.key(.enter))
        #expect(!dashboard.state.detailVisible)
        #expect(dashboard.state.view == .group)
        #expect(dashboard.state.selectedGroupID == "payments-rollout")
    }

    @Test("help explains the notation and scrolls on a small screen")
    func notation() {
        let dashboard = makeDashboard(TerminalSize(width: 80, height: 24))
        _ = dashboard.handle(.key(.character("?")))
        let first = dashboard.render().text.joined(separator: "\n")
        #expect(first.contains("↓ more"))
        _ = dashboard.handle(.key(.end))
        let last = dashboard.render().text.joined(separator: "\n")
        #expect(last.contains("<1 poll"))
        #expect(last.contains("changed since the previous poll"))
        #expect(dashboard.state.helpVisible)
        _ = dashboard.handle(.key(.escape))
        #expect(!dashboard.state.helpVisible)
    }

    @Test("a value that changed since the previous poll is highlighted for one poll")
    func changes() throws {
        let dashboard = makeDashboard(TerminalSize(width: 120, height: 24))
        _ = dashboard.render()
        var next = Scenario.update
        var groups = next.snapshot.groups
        let index = try #require(groups.firstIndex { $0.groupID == "billing-classic" })
        groups[index] = Group(
            groupID: "billing-classic", type: .classic, protocolType: "consumer", state: .preparingRebalance,
            assignor: "cooperative-sticky", generationID: 12, coordinatorID: 1,
            members: Scenario.classic.members, partitions: Scenario.classic.partitions)
        next.snapshot = ClusterSnapshot(takenAt: next.snapshot.takenAt, pollDurationMs: 46, cluster: next.snapshot.cluster, groups: groups)
        dashboard.receive(next)
        let grid = dashboard.render()
        let row = try #require(grid.text.firstIndex { $0.contains("billing-classic") })
        let stateX = try #require(grid.text[row].range(of: "Preparing")).lowerBound.utf16Offset(in: grid.text[row])
        #expect(grid[stateX, row].role == .changed)
        // The group id and the member count did not change.
        #expect(grid[2, row].role != .changed)
        // The same data again: nothing changed since the previous poll.
        dashboard.receive(next)
        let again = dashboard.render()
        #expect(again[stateX, row].role != .changed)
    }
}

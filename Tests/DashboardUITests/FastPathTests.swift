import Testing
@testable import DashboardUI
@testable import GroupModel

/// The dashboard's shortcuts for large estates give the same answers as the plain ways they
/// replace: display widths of ASCII text, filters matched byte by byte, widths counted without
/// formatting, and sorts on integer ranks.
@Suite("Fast paths")
struct FastPathTests {
    /// A small deterministic generator (the tests need no statistical quality).
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
    }

    /// Grapheme by grapheme, as before the ASCII shortcut.
    static func slowWidth(_ text: String) -> Int { text.reduce(0) { $0 + DisplayWidth.of($1) } }

    @Test("ASCII display widths equal the grapheme-by-grapheme count, carriage returns and non-ASCII included")
    func asciiWidths() {
        var g = Generator(state: 1)
        let pieces = ["a", "Z", "0", " ", "-", "~", "\t", "\n", "\r", "\r\n", "\u{7F}", "é", "e\u{301}", "漢", "🙂", "\u{200B}", "👍🏽", "x\u{FE0F}"]
        for _ in 0..<2_000 {
            let text = (0..<g.below(12)).map { _ in g.pick(pieces) }.joined()
            #expect(DisplayWidth.of(text) == Self.slowWidth(text), "\(text.unicodeScalars.map(\.value))")
        }
        #expect(DisplayWidth.asciiWidth("orders-kip848") == 13)
        #expect(DisplayWidth.asciiWidth("a\r\nb") == nil)
        #expect(DisplayWidth.asciiWidth("café") == nil)
    }

    @Test("A plain filter matches ASCII ids byte by byte exactly as the case-insensitive regex does")
    func filterFastPath() {
        var g = Generator(state: 2)
        let idAlphabet = Array("abcdefkKsSiIxyzABCXYZ0123456789-_.:/ @")
        let patternAlphabet = Array("abkKsSiIxXAB09-_.")
        for _ in 0..<3_000 {
            let pattern = String((0..<(1 + g.below(4))).map { _ in g.pick(patternAlphabet) })
            let matcher = FilterMatcher(pattern)
            #expect(matcher.asciiPattern != nil)
            let regex = try! Regex(pattern).ignoresCase()
            for _ in 0..<4 {
                let id = String((0..<g.below(10)).map { _ in g.pick(idAlphabet) })
                let expected = (try? regex.firstMatch(in: id)) != nil
                #expect(matcher.matches(id) == expected, "/\(pattern)/ on \(id)")
            }
        }
    }

    @Test("A pattern that is not a regex matches as a case-insensitive substring, fast or not")
    func invalidRegexFastPath() {
        var g = Generator(state: 3)
        let alphabet = Array("abAB[(.*+?$ 1-")
        for _ in 0..<2_000 {
            let pattern = String((0..<(1 + g.below(4))).map { _ in g.pick(alphabet) }) + "["
            let matcher = FilterMatcher(pattern)
            #expect(!matcher.isRegex)
            for _ in 0..<4 {
                let id = String((0..<g.below(12)).map { _ in g.pick(alphabet) }) + (g.below(3) == 0 ? pattern.uppercased() : "")
                #expect(matcher.matches(id) == id.lowercased().contains(pattern.lowercased()), "\(pattern) in \(id)")
            }
        }
    }

    @Test("Non-ASCII ids and patterns that need the regex still go through the regex")
    func slowPaths() {
        #expect(FilterMatcher("ord(ers)?").asciiPattern == nil)
        #expect(FilterMatcher("straße").asciiPattern == nil)
        #expect(FilterMatcher("STRASSE").matches("straße") == ((try? Regex("STRASSE").ignoresCase().firstMatch(in: "straße")) != nil))
        #expect(FilterMatcher("caf").matches("CAFÉ-orders"))
        #expect(FilterMatcher("o.d").matches("ORD"))
        #expect(!FilterMatcher("o.d").matches("o\nd"))
        #expect(FilterMatcher("^ord").matches("orders") && !FilterMatcher("^ord").matches("my-orders"))
    }

    @Test("Digits are counted as String(value).count would")
    func digits() {
        for value in [0, 5, -5, 9, 10, -10, 99, 100, -999, 123_456, Int(Int32.max), Int(Int32.min), Int(Int64.max), Int(Int64.min)] {
            #expect(GroupsCache.digits(value) == String(value).count, "\(value)")
        }
    }

    @Test("Ranks order values as the values themselves, equal values sharing a rank")
    func ranks() {
        var g = Generator(state: 4)
        for _ in 0..<200 {
            let values = (0..<g.below(30)).map { _ in g.pick(["a", "b", "B", "ab", "é", "e\u{301}", "z", "", "a-1", "a-10", "a-2"]) }
            let ranks = GroupsCache.ranks(of: values)
            for i in values.indices {
                for j in values.indices {
                    #expect((ranks[i] < ranks[j]) == (values[i] < values[j]))
                    #expect((ranks[i] == ranks[j]) == (values[i] == values[j]))
                }
            }
        }
        #expect(GroupsCache.ranks(of: ["a", "b", "b", "c"]) == [0, 1, 1, 2])
    }

    // MARK: - The Groups view's cache

    /// Random groups with every cell shape: epochs or generations, missing assignors, lags of every
    /// size, unknown lags, duplicate and unsorted ids, verdicts, time lags, trends and rebalances.
    static func randomUpdate(_ g: inout Generator, groups count: Int) -> DashboardUpdate {
        var groups: [Group] = []
        var insights: [String: GroupInsight] = [:]
        // Wide, combining and multi-byte ids too: the cache measures a text only when its bytes
        // could make the column wider.
        let ids = ["orders", "payments", "billing", "a", "Zeta", "é-group", "grp-1", "grp-10", "grp-2", "注文処理", "🚀", "e\u{301}\u{301}\u{301}x"]
        for i in 0..<count {
            let id = g.pick(ids) + (g.below(4) == 0 ? "" : "-\(g.below(50))")
            let partitions = (0..<g.below(5)).map { p -> GroupPartition in
                let lag: LagValue = g.below(6) == 0 ? .unknown(reason: "no commit") : .known(Int64(g.pick([0, 7, 9_999, 10_000, 123_456, 99_999_999, 5_000_000_000])))
                return GroupPartition(topicPartition: TopicPartition(topic: "t\(i)", partition: Int32(p)), committedOffset: 1, logStart: 0, logEnd: 2, lag: lag, handoff: .settled)
            }
            let kind = g.below(3)
            var group = Group(
                groupID: id, type: kind == 0 ? .consumer : .classic, protocolType: "consumer",
                state: g.pick([.stable, .empty, .reconciling, .preparingRebalance, .dead, .unknown("")]),
                assignor: g.below(3) == 0 ? nil : g.pick(["range", "uniform", "cooperative-sticky"]),
                groupEpoch: kind == 0 ? Int32(g.below(200)) - 1 : nil,
                assignmentEpoch: kind == 0 && g.below(4) > 0 ? Int32(g.below(200)) : nil,
                generationID: kind == 1 ? Int32(g.below(100_000)) - 1 : nil,
                members: (0..<g.below(4)).map { GroupMember(memberID: "m\($0)", clientID: "c", clientHost: "h", memberType: .classic) },
                partitions: partitions)
            group.recomputeDerived()
            groups.append(group)
            if g.below(5) > 0 {
                insights[id] = GroupInsight(
                    verdict: g.below(3) == 0 ? nil : g.pick(HealthStatus.allCases),
                    maxTimeLagMs: g.below(2) == 0 ? nil : Int64(g.below(500_000)), maxTimeLagIsBound: g.below(2) == 0,
                    lagTrend: g.below(2) == 0 ? [] : [1, 2, 3],
                    lagRate: g.below(3) == 0 ? LagTrendResult(trend: .growing, offsetsPerSecond: Double(g.below(1000)) / 7, etaSeconds: nil) : nil,
                    lastRebalanceAt: g.below(3) == 0 ? nil : Int64(g.below(1_000)))
            }
        }
        let snapshot = ClusterSnapshot(takenAt: 1_000, pollDurationMs: 1, cluster: ClusterInfo(), groups: groups)
        return DashboardUpdate(snapshot: snapshot, insights: insights)
    }

    /// The cells' widths as measuring every formatted cell gives them (the way before the cache
    /// counted digits).
    static func referenceContent(_ update: DashboardUpdate) -> ColumnContent<GroupColumn> {
        var content = ColumnContent<GroupColumn>()
        for group in update.snapshot.groups {
            let insight = update.insights[group.groupID]
            let summary = group.summary
            content.measure(.group, group.groupID)
            content.measure(.protocol, GroupsCache.protocolText(group))
            content.measure(.state, Format.state(group.state))
            content.measure(.members, String(group.members.count))
            content.measure(.epoch, Format.epochs(group))
            content.measure(.assignor, group.assignor ?? "-")
            content.measure(.partitions, String(group.partitions.count))
            let lagKnown = group.partitions.isEmpty || summary.partitionsLagUnknown < group.partitions.count
            content.measure(.lag, width: lagKnown ? DisplayWidth.of(Format.compact(summary.totalLag)) + (summary.partitionsLagUnknown > 0 ? 1 : 0) : 1)
            content.measure(.timeLag, insight?.maxTimeLagMs.map { Format.timeLag(ms: $0, bound: insight?.maxTimeLagIsBound ?? false) } ?? "-")
            let hasTrend = insight.map { !$0.lagTrend.isEmpty || $0.lagRate != nil } ?? false
            content.measure(.trend, width: hasTrend ? 14 : 0, placeholder: !hasTrend)
            content.measure(.verdict, insight?.verdict?.rawValue ?? "-")
            content.measure(.sinceRebalance, width: 7, placeholder: insight?.lastRebalanceAt == nil && !group.state.isRebalancing)
        }
        return content
    }

    /// The visible order as sorting the models by their values gives it (the comparator before ranks).
    static func referenceOrder(_ models: [GroupRowModel], column: GroupColumn, descending: Bool) -> [Int] {
        func less(_ a: GroupRowModel, _ b: GroupRowModel) -> Bool? {
            switch column {
            case .group: return nil
            case .protocol: return a.protocolName == b.protocolName ? nil : a.protocolName < b.protocolName
            case .state: return a.state == b.state ? nil : a.state < b.state
            case .members: return a.members == b.members ? nil : a.members < b.members
            case .epoch: return a.epoch == b.epoch ? nil : a.epoch < b.epoch
            case .assignor: return a.assignor == b.assignor ? nil : a.assignor < b.assignor
            case .partitions: return a.partitions == b.partitions ? nil : a.partitions < b.partitions
            case .lag: return a.lag == b.lag ? nil : a.lag < b.lag
            case .timeLag: return a.timeLag == b.timeLag ? nil : a.timeLag < b.timeLag
            case .trend: return a.trend == b.trend ? nil : a.trend < b.trend
            case .verdict: return a.verdict == b.verdict ? nil : a.verdict < b.verdict
            case .sinceRebalance: return a.lastRebalance == b.lastRebalance ? nil : a.lastRebalance > b.lastRebalance
            }
        }
        return models.indices.sorted { ia, ib in
            let a = models[ia], b = models[ib]
            if let result = less(a, b) { return descending ? !result : result }
            return column == .group && descending ? a.id > b.id : a.id < b.id
        }
    }

    @Test("The cache's column widths equal those of the formatted cells, on random estates")
    func widths() {
        var g = Generator(state: 5)
        for round in 0..<40 {
            let update = Self.randomUpdate(&g, groups: round == 0 ? 0 : 1 + g.below(60))
            var cache = GroupsCache()
            cache.prepare(update, version: round)
            let reference = Self.referenceContent(update)
            for column in GroupColumn.allCases {
                #expect(cache.content.width(column) == reference.width(column), "\(column) in round \(round)")
                #expect(cache.content.hasContent(column) == reference.hasContent(column), "\(column) in round \(round)")
            }
        }
    }

    @Test("Sorting on ranks gives the order sorting on the values gives, every column, both ways, duplicate ids too")
    func order() {
        var g = Generator(state: 6)
        for round in 0..<30 {
            let update = Self.randomUpdate(&g, groups: 1 + g.below(80))
            var cache = GroupsCache()
            cache.prepare(update, version: round)
            for column in GroupColumn.allCases {
                for descending in [false, true] {
                    let key = GroupsCache.OrderKey(version: round, column: column, descending: descending, filter: nil, onlyProblems: false)
                    let order = cache.order(for: key, matcher: nil)
                    let reference = Self.referenceOrder(cache.models, column: column, descending: descending)
                    // Rows with equal ids and equal sort values may sit either way round: compare what each row shows.
                    #expect(order.map { cache.models[$0].id } == reference.map { cache.models[$0].id }, "\(column) \(descending ? "▼" : "▲")")
                    if Set(cache.models.map(\.id)).count == cache.models.count { #expect(order == reference) }
                    if let last = order.last {
                        let id = cache.models[last].id
                        #expect(cache.position(of: id) == order.lastIndex { cache.models[$0].id == id })
                    }
                }
            }
            #expect(cache.position(of: "no such group") == nil)
        }
    }
}

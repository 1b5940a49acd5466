import Foundation
import SeededRandom
import Testing
@testable import GroupModel

/// ``CanonicalJSONEncoder`` must write exactly the bytes Foundation's `JSONEncoder` writes with the
/// same options, for the model's types and for arbitrary nested values.
@Suite("CanonicalJSONEncoder")
struct CanonicalJSONEncoderTests {
    static func foundation<T: Encodable>(_ value: T, pretty: Bool) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func expectSame<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for pretty in [true, false] {
            let ours = try CanonicalJSONEncoder(pretty: pretty).encode(value)
            let theirs = try foundation(value, pretty: pretty)
            #expect(String(decoding: ours, as: UTF8.self) == String(decoding: theirs, as: UTF8.self), "pretty=\(pretty)", sourceLocation: sourceLocation)
            #expect(ours == theirs, "pretty=\(pretty): same text but different bytes", sourceLocation: sourceLocation)
        }
    }

    struct Edge: Codable {
        var A = 5
        var _x = 6
        var a10 = 3
        var a9 = 4
        var iD = 2
        var idle = 1
        var ä = 7
        var text = "x/y\"\\\n\t\u{1}\u{8}\u{c}\r\u{1f}\u{0}\u{7f}é😀\u{2028}"
        var none: Int? = nil
        var some: Int? = 0
        var list: [Int?] = [nil, 1, -1, Int.min, Int.max]
        var empty: [String] = []
        var emptyDict: [String: Int] = [:]
        var dict: [String: Int] = ["b": 1, "a": 2, "B": 3, "a10": 4, "a9": 5, "é": 6]
        var nested: [[Int]] = [[], [1], [2, 3]]
        var doubles: [Double] = [0.1, 1e21, 1e-7, 123456789.125, -0.0, 3.0, 1e16, .greatestFiniteMagnitude, 100, 0.30000000000000004]
        var floats: [Float] = [0.1, 3, 1.5]
        var small: [Int8] = [-128, 127]
        var unsigned: [UInt64] = [0, .max]
        var flag = true
        var bytes = Data([0, 1, 2, 250])
        var objects: [[String: [Int]]] = [[:], ["k": []], ["z": [1], "y": [2]]]
    }

    @Test("Same bytes as JSONEncoder: key order, escapes, numbers, empty and nested containers")
    func edgeCases() throws {
        try Self.expectSame(Edge())
        try Self.expectSame([Edge(), Edge()])
        try Self.expectSame(5)
        try Self.expectSame("top")
        try Self.expectSame([String]())
        try Self.expectSame([String: Int]())
    }

    @Test("Same bytes as JSONEncoder for snapshots, events and lag values")
    func modelTypes() throws {
        let a = Fixtures.group(Fixtures.reconciling, committed: Fixtures.ordersCommittedAtEnd)
        let b = Fixtures.group(Fixtures.stable)
        var odd = Group(groupID: "odd \"id\"/\u{1}", type: .unknown("future"), state: .unknown("Odd"), partitions: [
            GroupPartition(topicPartition: TopicPartition(topic: "t", partition: 1), lag: .unknown(reason: "log end offset unknown"), handoff: .notAssigned),
            GroupPartition(topicPartition: TopicPartition(topic: "t", partition: 0), committedOffset: 3, lag: .known(2), handoff: .notAssigned),
        ])
        odd.recomputeDerived()
        let errors = [
            PollError(scope: .group, operation: "OffsetFetch", groupID: "kg", kafkaError: ItemError(code: 16, name: "NOT_COORDINATOR"), message: "moved"),
            PollError(scope: .broker, operation: "connect", brokerID: 2, message: "connection refused"),
        ]
        let snapshot = Fixtures.snapshot(at: 1_700_000_000_000, groups: [a, b, odd], errors: errors)
        try Self.expectSame(snapshot)
        #expect(try SnapshotJSON.encode(snapshot) == Data(try Self.foundation(snapshot.normalized(), pretty: true)))
        try Self.expectSame(LagValue.known(7))
        try Self.expectSame(LagValue.unknown(reason: "r"))
        let events = SnapshotDiff.diff(old: Fixtures.snapshot(at: 1, groups: [a]), new: Fixtures.snapshot(at: 2, groups: [b, odd]))
        #expect(!events.isEmpty)
        for e in events { try Self.expectSame(e) }
    }

    @Test("SnapshotJSON.write streams the same bytes in chunks, with and without groups and topics", arguments: [1, 100, 1 << 20])
    func streamedSnapshot(chunkSize: Int) throws {
        let a = Fixtures.group(Fixtures.reconciling, committed: Fixtures.ordersCommittedAtEnd)
        let b = Fixtures.group(Fixtures.stable)
        let full = Fixtures.snapshot(at: 1_700_000_000_000, groups: [b, a])
        var bare = full
        bare.groups = []
        bare.topics = []
        var topicsOnly = full
        topicsOnly.groups = []
        for snapshot in [full, bare, topicsOnly] {
            var chunks: [[UInt8]] = []
            try SnapshotJSON.write(snapshot, chunkSize: chunkSize) { chunks.append(Array($0)) }
            let expected = try Self.foundation(snapshot.normalized(), pretty: true)
            #expect(String(decoding: chunks.joined(), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            #expect(chunks.allSatisfy { !$0.isEmpty })
            if chunkSize == 1 && !snapshot.groups.isEmpty { #expect(chunks.count > snapshot.groups.count) }
        }
    }

    @Test("Non-finite numbers are rejected, as JSONEncoder rejects them")
    func nonFinite() {
        #expect(throws: EncodingError.self) { try CanonicalJSONEncoder(pretty: false).encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try CanonicalJSONEncoder(pretty: true).encode(["x": Double.infinity]) }
    }

    @Test("Milliseconds are written as the general float writer writes them, without a String")
    func milliseconds() throws {
        func general(_ seconds: Double) throws -> String {
            var out = JSONBytes()
            try JSONPrimitive.writeFloat((seconds * 1000).rounded() / 1000, into: &out, codingPath: [])
            return String(decoding: out.array, as: UTF8.self)
        }
        func fast(_ seconds: Double) throws -> String {
            var out = JSONBytes()
            try JSONPrimitive.writeMilliseconds(ofSeconds: seconds, into: &out)
            return String(decoding: out.array, as: UTF8.self)
        }
        var values: [Double] = [0, -0.0, 0.0004, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.12, 0.123, 0.5, 1, 1.5, 9.999, 10,
                                59.9996, 1e6 + 0.001, 123_456_789.012, 999_999_999_999.999, 1e12, 1e15, 1e16, 1e300, -1, -0.25]
        var rng = SplitMix64(seed: 0x6D73)
        for digits in 0...15 {
            let top = Int64(pow(10, Double(digits)))
            for _ in 0..<200 { values.append(Double(Int64.random(in: 0...top, using: &rng)) / 1000) }
        }
        for _ in 0..<2_000 { values.append(Double.random(in: 0...100_000, using: &rng)) }
        for v in values { #expect(try fast(v) == general(v), "\(v)") }
        #expect(try fast(0.005) == "0.005")
        #expect(try fast(12) == "12")
        #expect(try fast(3.25) == "3.25")
    }

    /// A random JSON-like value whose encoding uses every container API (including nested
    /// containers and super encoders), to compare the two encoders on arbitrary shapes.
    indirect enum Value: Encodable {
        case int(Int64), double(Double), string(String), bool(Bool), null
        case array([Value])
        case object([(String, Value)])
        case nestedObject(String, [(String, Value)])
        case nestedArray(String, [Value])
        case arrayOfNested([[(String, Value)]])

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .int(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .double(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .string(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .bool(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
            case .array(let vs):
                var c = encoder.unkeyedContainer()
                for v in vs { try c.encode(v) }
            case .object(let kvs):
                var c = encoder.container(keyedBy: Key.self)
                for (k, v) in kvs { try c.encode(v, forKey: Key(k)) }
            case .nestedObject(let key, let kvs):
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(1, forKey: Key("first"))
                var inner = c.nestedContainer(keyedBy: Key.self, forKey: Key(key))
                for (k, v) in kvs { try inner.encode(v, forKey: Key(k)) }
                try c.encodeNil(forKey: Key("last"))
            case .nestedArray(let key, let vs):
                var c = encoder.container(keyedBy: Key.self)
                var inner = c.nestedUnkeyedContainer(forKey: Key(key))
                for v in vs { try inner.encode(v) }
                try v0(c.superEncoder(forKey: Key("super")))
            case .arrayOfNested(let objects):
                var c = encoder.unkeyedContainer()
                try c.encode("before")
                for kvs in objects {
                    var inner = c.nestedContainer(keyedBy: Key.self)
                    for (k, v) in kvs { try inner.encode(v, forKey: Key(k)) }
                }
                var list = c.nestedUnkeyedContainer()
                try list.encode(true)
                try c.encodeNil()
            }
        }

        private func v0(_ encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(0)
        }
    }

    struct Random {
        var rng: SplitMix64
        mutating func next() -> UInt64 { rng.next() }
        mutating func below(_ n: Int) -> Int { rng.below(n) }

        mutating func string() -> String {
            let alphabet: [Character] = ["a", "b", "Z", "_", "0", "9", "\"", "\\", "/", "\n", "\u{1}", "\u{1f}", "é", "😀", " ", "\u{7f}"]
            return String((0..<below(6)).map { _ in alphabet[below(alphabet.count)] })
        }

        mutating func pairs(_ depth: Int) -> [(String, Value)] {
            (0..<below(5)).map { _ in (string(), value(depth + 1)) }
        }

        mutating func value(_ depth: Int) -> Value {
            let leaf = depth >= 4
            switch below(leaf ? 5 : 10) {
            case 0: return .int(Int64(bitPattern: next()) >> Int64(below(64)))
            case 1: return .double(Double(Int64(bitPattern: next()) >> 20) / Double(1 << below(40)))
            case 2: return .string(string())
            case 3: return .bool(below(2) == 0)
            case 4: return .null
            case 5: return .array((0..<below(5)).map { _ in value(depth + 1) })
            case 6: return .object(pairs(depth))
            case 7: return .nestedObject(string(), pairs(depth))
            case 8: return .nestedArray(string(), (0..<below(4)).map { _ in value(depth + 1) })
            default: return .arrayOfNested((0..<below(3)).map { _ in pairs(depth) })
            }
        }
    }

    @Test("Same bytes as JSONEncoder for 300 random nested values")
    func randomValues() throws {
        var random = Random(rng: SplitMix64(seed: 0x6B67_746F_70))
        for _ in 0..<300 {
            try Self.expectSame(random.value(0))
        }
    }

    /// Random partition rows with every optional field present or absent, odd strings and every
    /// lag, hand-off and time-lag shape: what ``CanonicalJSONWritable`` writes by hand.
    static func randomRows(_ random: inout Random, count: Int) -> [GroupPartition] {
        (0..<count).map { i in
            func maybe<T>(_ value: @autoclosure () -> T) -> T? { random.below(2) == 0 ? nil : value() }
            let lag: LagValue = random.below(3) == 0 ? .unknown(reason: random.string()) : .known(Int64(random.below(1_000_000)))
            let handoff = HandoffState.allCases[random.below(HandoffState.allCases.count)]
            return GroupPartition(
                topicPartition: TopicPartition(topic: "t" + random.string(), partition: Int32(i)),
                committedOffset: maybe(Int64(random.below(1 << 40)) - 1), commitMetadata: maybe(random.string()),
                logStart: maybe(Int64(random.below(1000))), logEnd: maybe(Int64(random.below(1 << 40))), lag: lag,
                owner: maybe(random.string()), targetOwner: maybe(random.string()), handoff: handoff,
                error: maybe(ItemError(code: Int16(random.below(100)) - 1, name: random.string(), message: maybe(random.string()))))
        }
    }

    /// Random members with every optional field present or absent and lists empty or not.
    static func randomMembers(_ random: inout Random, count: Int) -> [GroupMember] {
        (0..<count).map { i in
            func maybe<T>(_ value: @autoclosure () -> T) -> T? { random.below(2) == 0 ? nil : value() }
            func partitions() -> [TopicPartition] {
                (0..<random.below(4)).map { TopicPartition(topic: "t" + random.string(), partition: Int32($0)) }
            }
            func tasks() -> StreamsTasks {
                func sets() -> [StreamsTaskSet] {
                    (0..<random.below(3)).map { StreamsTaskSet(subtopologyID: "\($0)", partitions: (0..<random.below(4)).map { Int32($0) }) }
                }
                return StreamsTasks(active: sets(), standby: sets(), warmup: sets())
            }
            return GroupMember(
                memberID: "m\(i)" + random.string(), instanceID: maybe(random.string()), clientID: random.string(),
                clientHost: "/" + random.string(), rackID: maybe(random.string()),
                memberType: MemberType.allCases[random.below(MemberType.allCases.count)], memberEpoch: maybe(Int32(random.below(100))),
                subscribedTopics: (0..<random.below(3)).map { _ in random.string() }, subscribedTopicRegex: maybe(random.string()),
                assignment: partitions(), targetAssignment: maybe(partitions()), ownedPartitions: maybe(partitions()),
                generationID: maybe(Int32(random.below(9))), assignmentUnknown: maybe(random.below(2) == 0),
                label: maybe(random.string()), streamsTasks: maybe(tasks()), streamsTargetTasks: maybe(tasks()))
        }
    }

    static func randomTimeLag(_ random: inout Random) -> TimeLag? {
        switch random.below(4) {
        case 0: return nil
        case 1: return .unknown(reason: random.string())
        default:
            let method = TimeLagMethod.allCases[random.below(TimeLagMethod.allCases.count)]
            return .known(seconds: Double(random.below(10_000_000)) / 1337, method: method)
        }
    }

    /// What `SnapshotJSON` wrote for a group with time lags before rows wrote themselves: the
    /// group's own encoding, then `partitions` (rows with their `timeLag`) and `timeLag` replacing keys.
    struct GroupWithTimeLagMirror: Encodable {
        let group: Group
        let lags: [TopicPartition: TimeLag]
        struct Row: Encodable {
            let row: GroupPartition
            let timeLag: TimeLag?
            enum Keys: String, CodingKey { case timeLag }
            func encode(to encoder: any Encoder) throws {
                try row.encode(to: encoder)
                var c = encoder.container(keyedBy: Keys.self)
                try c.encodeIfPresent(timeLag, forKey: .timeLag)
            }
        }
        enum Keys: String, CodingKey { case partitions, timeLag }
        func encode(to encoder: any Encoder) throws {
            try group.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(group.partitions.map { Row(row: $0, timeLag: lags[$0.topicPartition]) }, forKey: .partitions)
            try c.encodeIfPresent(TimeLag.groupMaximum(group.partitions.compactMap { lags[$0.topicPartition] }), forKey: .timeLag)
        }
    }

    @Test("Rows, lags, errors and time lags that write themselves give JSONEncoder's bytes")
    func selfWritingTypes() throws {
        var random = Random(rng: SplitMix64(seed: 0x726F_7773))
        let rows = Self.randomRows(&random, count: 200)
        try Self.expectSame(rows)
        for row in rows.prefix(20) {
            try Self.expectSame(row)
            try Self.expectSame(row.lag)
            try Self.expectSame(row.topicPartition)
            try Self.expectSame(row.handoff)
            if let error = row.error { try Self.expectSame(error) }
        }
        for _ in 0..<50 {
            if let lag = Self.randomTimeLag(&random) { try Self.expectSame(lag) }
        }

        // A snapshot with time lags, streamed: the same bytes as the mirror through JSONEncoder.
        var groups: [Group] = []
        var lags: [String: [TopicPartition: TimeLag]] = [:]
        for g in 0..<6 {
            let group = Group(groupID: "g\(g)", type: .consumer, state: .stable, partitions: Self.randomRows(&random, count: 1 + random.below(30)))
            var byPartition: [TopicPartition: TimeLag] = [:]
            // One for every row (the writer takes them by row, in the order of the group it writes).
            for row in group.partitions { byPartition[row.topicPartition] = Self.randomTimeLag(&random) ?? .unknown(reason: "none") }
            lags[group.groupID] = byPartition
            groups.append(group)
        }
        let snapshot = Fixtures.snapshot(at: 1_700_000_000_000, groups: groups)
        var streamed: [UInt8] = []
        try SnapshotJSON.write(snapshot, timeLags: { g in g.partitions.map { lags[g.groupID]?[$0.topicPartition] ?? .unknown(reason: "none") } }, chunkSize: 512) { streamed.append(contentsOf: $0) }
        var mirror = snapshot.normalized()
        let mirrored = mirror.groups.map { GroupWithTimeLagMirror(group: $0, lags: lags[$0.groupID] ?? [:]) }
        mirror.groups = []
        // The mirrored groups in the frame, nested the way JSONEncoder nests them.
        struct Doc: Encodable {
            let frame: ClusterSnapshot
            let groups: [GroupWithTimeLagMirror]
            enum Keys: String, CodingKey { case groups }
            func encode(to encoder: any Encoder) throws {
                try frame.encode(to: encoder)
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(groups, forKey: .groups)
            }
        }
        let expected = try Self.foundation(Doc(frame: mirror, groups: mirrored), pretty: true)
        #expect(String(decoding: streamed, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    /// Random groups of every type and state, with every optional field present or absent, random
    /// members and rows, subtopologies and errors: what ``Group`` writes by hand.
    static func randomGroups(_ random: inout Random, count: Int) -> [Group] {
        (0..<count).map { i in
            func maybe<T>(_ value: @autoclosure () -> T) -> T? { random.below(2) == 0 ? nil : value() }
            let types: [GroupType] = [.classic, .consumer, .share, .streams, .unknown(random.string())]
            let states: [GroupState] = [.empty, .assigning, .reconciling, .stable, .dead, .preparingRebalance, .completingRebalance, .notReady, .unknown(random.string())]
            var group = Group(
                groupID: "g\(i)" + random.string(), type: types[random.below(types.count)], protocolType: maybe(random.string()),
                state: states[random.below(states.count)], assignor: maybe(random.string()), groupEpoch: maybe(Int32(random.below(50))),
                assignmentEpoch: maybe(Int32(random.below(50))), generationID: maybe(Int32(random.below(50))),
                coordinatorID: maybe(Int32(random.below(3))), members: randomMembers(&random, count: random.below(4)),
                partitions: randomRows(&random, count: random.below(8)),
                error: maybe(ItemError(code: Int16(random.below(100)), name: random.string(), message: maybe(random.string()))))
            group.subtopologies = maybe((0..<random.below(3)).map {
                StreamsSubtopology(subtopologyID: "\($0)", sourceTopics: (0..<random.below(3)).map { _ in random.string() })
            })
            return group
        }
    }

    /// Random topics with every optional field of the topic and its partitions present or absent.
    static func randomTopics(_ random: inout Random, count: Int) -> [TopicInfo] {
        (0..<count).map { i in
            func maybe<T>(_ value: @autoclosure () -> T) -> T? { random.below(2) == 0 ? nil : value() }
            let partitions = (0..<random.below(5)).map { p in
                PartitionOffsets(
                    partition: Int32(p), logStart: maybe(Int64(random.below(1000))), logEnd: maybe(Int64(random.below(1 << 40))),
                    leader: maybe(Int32(random.below(3)) - 1), error: maybe(ItemError(code: 6, name: random.string(), message: maybe(random.string()))))
            }
            return TopicInfo(
                name: "t\(i)" + random.string(), topicID: maybe(random.string()), partitionCount: random.below(9), partitions: partitions,
                error: maybe(ItemError(code: 3, name: random.string())))
        }
    }

    /// Random poll errors of every scope with every optional field present or absent.
    static func randomErrors(_ random: inout Random, count: Int) -> [PollError] {
        (0..<count).map { _ in
            func maybe<T>(_ value: @autoclosure () -> T) -> T? { random.below(2) == 0 ? nil : value() }
            return PollError(
                scope: PollError.Scope.allCases[random.below(PollError.Scope.allCases.count)], operation: random.string(),
                brokerID: maybe(Int32(random.below(3))), groupID: maybe(random.string()), topic: maybe(random.string()),
                partition: maybe(Int32(random.below(4))), kafkaError: maybe(ItemError(code: 16, name: random.string(), message: maybe(random.string()))),
                message: random.string())
        }
    }

    /// A random snapshot: random brokers, features, topics, groups and errors, in random order.
    static func randomSnapshot(_ random: inout Random) -> ClusterSnapshot {
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { random.below(2) == 0 ? nil : value() }
        let brokers = (0..<random.below(4)).map { n in
            BrokerInfo(
                nodeID: Int32(n), host: random.string(), port: Int32(9092 + n), rack: maybe(random.string()),
                reachable: random.below(2) == 0, error: maybe(random.string()))
        }
        var features: [String: Int16] = [:]
        for _ in 0..<random.below(3) { features[random.string()] = Int16(random.below(5)) }
        if random.below(2) == 0 { features["group.version"] = Int16(random.below(2)) }
        return ClusterSnapshot(
            takenAt: Int64(random.below(1 << 40)), pollDurationMs: Int64(random.below(10_000)),
            cluster: ClusterInfo(clusterID: maybe(random.string()), controllerID: maybe(Int32(random.below(3))), brokers: brokers.shuffled(using: &random.rng), finalizedFeatures: features),
            topics: randomTopics(&random, count: random.below(4)).shuffled(using: &random.rng),
            groups: randomGroups(&random, count: random.below(5)).shuffled(using: &random.rng), errors: randomErrors(&random, count: random.below(4)))
    }

    @Test("Groups, topics, errors, brokers and whole snapshots that write themselves give JSONEncoder's bytes")
    func selfWritingSnapshots() throws {
        var random = Random(rng: SplitMix64(seed: 0x736E_6170))
        let groups = Self.randomGroups(&random, count: 60)
        try Self.expectSame(groups)
        for group in groups.prefix(20) {
            try Self.expectSame(group)
            try Self.expectSame(group.summary)
            try Self.expectSame(group.type)
            try Self.expectSame(group.state)
            try Self.expectSame(group.protocol)
            if let subtopologies = group.subtopologies { try Self.expectSame(subtopologies) }
        }
        try Self.expectSame(Self.randomTopics(&random, count: 30))
        try Self.expectSame(Self.randomErrors(&random, count: 30))
        for _ in 0..<40 {
            let snapshot = Self.randomSnapshot(&random)
            try Self.expectSame(snapshot)
            let expected = try Self.foundation(snapshot.normalized(), pretty: true)
            #expect(try SnapshotJSON.encodeBytes(snapshot) == expected)
            var streamed: [UInt8] = []
            try SnapshotJSON.write(snapshot, chunkSize: 64) { streamed.append(contentsOf: $0) }
            #expect(String(decoding: streamed, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }

    @Test("SnapshotJSON sorts what is out of order, list by list, as normalized() does")
    func unsortedParts() throws {
        var random = Random(rng: SplitMix64(seed: 0x736F_7274))
        var snapshot = Self.randomSnapshot(&random)
        while snapshot.groups.count < 3 || snapshot.topics.isEmpty { snapshot = Self.randomSnapshot(&random) }
        // Bypass the initializers' sorting: groups in order but one group's members and rows and
        // one member's lists reversed, a topic's partitions reversed, brokers and errors reversed.
        var group = Self.randomGroups(&random, count: 1)[0]
        group.members = Self.randomMembers(&random, count: 4).reversed()
        group.members[0].subscribedTopics = ["b", "a", "b"]
        group.members[0].assignment = [TopicPartition(topic: "z", partition: 1), TopicPartition(topic: "a", partition: 0)]
        group.partitions = Self.randomRows(&random, count: 5).reversed()
        snapshot.groups[1] = group
        snapshot.groups[1].groupID = snapshot.groups[0].groupID + "\u{1}"
        snapshot.topics[0].partitions.reverse()
        snapshot.cluster.brokers.reverse()
        snapshot.errors.reverse()
        for s in [snapshot, { var s = snapshot; s.groups.reverse(); s.topics.reverse(); return s }()] {
            let expected = try Self.foundation(s.normalized(), pretty: true)
            #expect(String(decoding: try SnapshotJSON.encodeBytes(s), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            var streamed: [UInt8] = []
            try SnapshotJSON.write(s, chunkSize: 100) { streamed.append(contentsOf: $0) }
            #expect(streamed == expected)
        }
    }

    @Test("Indentation deeper than the precomputed spaces gives JSONEncoder's bytes")
    func deepNesting() throws {
        var value = Value.object([("leaf", .int(1))])
        for depth in 0..<70 { value = depth % 2 == 0 ? .array([value, .null]) : .object([("k", value), ("a", .bool(true))]) }
        try Self.expectSame(value)
    }
}

@Suite("JSONBytes")
struct JSONBytesTests {
    @Test("Appends of every size, across many growths, read back as the same bytes an array gets")
    func appendsMatchAnArray() {
        var random = SplitMix64(seed: 0x4A53)
        var bytes = JSONBytes(capacity: 1)
        var mirror: [UInt8] = []
        for _ in 0..<2_000 {
            switch random.below(4) {
            case 0:
                let b = UInt8(truncatingIfNeeded: random.next())
                bytes.append(b)
                mirror.append(b)
            case 1:
                let chunk = (0..<random.below(300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes.append(contentsOf: chunk)
                mirror.append(contentsOf: chunk)
            case 2:
                let text = String(repeating: "é\"x", count: random.below(5))
                bytes.append(utf8Of: text)
                mirror.append(contentsOf: Array(text.utf8))
            default:
                var other = JSONBytes()
                let chunk = (0..<random.below(40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                other.append(contentsOf: chunk)
                let from = chunk.isEmpty ? 0 : random.below(chunk.count)
                bytes.append(other, range: from..<chunk.count)
                mirror.append(contentsOf: chunk[from...])
            }
        }
        #expect(bytes.count == mirror.count)
        #expect(bytes.array == mirror)
        #expect(bytes.withBytes { Array($0) } == mirror)
        bytes.removeAll()
        #expect(bytes.isEmpty && bytes.array.isEmpty)
        bytes.append(contentsOf: [1, 2, 3])
        #expect(bytes.array == [1, 2, 3])
    }
}

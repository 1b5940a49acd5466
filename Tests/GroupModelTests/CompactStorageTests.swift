import Foundation
import SeededRandom
import Testing
@testable import GroupModel

/// ``GroupPartition``, ``PartitionOffsets`` and ``TopicInfo`` keep their fields in compact storage behind public
/// properties. Held here to plain structs with the same fields (the types as they were before,
/// with the synthesized conformances): same properties, equality, hash values, JSON (Foundation's
/// and canonical), decoding, and the same after any property is set.
@Suite("Compact row storage")
struct CompactStorageTests {
    /// ``GroupPartition`` as a plain struct.
    struct PlainRow: Hashable, Codable {
        var topicPartition: TopicPartition
        var committedOffset: Int64?
        var commitMetadata: String?
        var logStart: Int64?
        var logEnd: Int64?
        var lag: LagValue
        var owner: String?
        var targetOwner: String?
        var handoff: HandoffState
        var error: ItemError?

        var compact: GroupPartition {
            GroupPartition(
                topicPartition: topicPartition, committedOffset: committedOffset, commitMetadata: commitMetadata,
                logStart: logStart, logEnd: logEnd, lag: lag, owner: owner, targetOwner: targetOwner,
                handoff: handoff, error: error)
        }
    }

    /// ``PartitionOffsets`` as a plain struct.
    struct PlainOffsets: Hashable, Codable {
        var partition: Int32
        var logStart: Int64?
        var logEnd: Int64?
        var leader: Int32?
        var error: ItemError?

        var compact: PartitionOffsets {
            PartitionOffsets(partition: partition, logStart: logStart, logEnd: logEnd, leader: leader, error: error)
        }
    }

    /// ``TopicInfo`` as a plain struct.
    struct PlainTopic: Hashable, Codable {
        var name: String
        var topicID: String?
        var partitionCount: Int
        var partitions: [PlainOffsets]
        var error: ItemError?

        var compact: TopicInfo {
            var topic = TopicInfo(name: name, topicID: topicID, partitionCount: partitionCount, error: error)
            // Set after init, which would sort them.
            topic.partitions = partitions.map(\.compact)
            return topic
        }
    }

    /// Random values leaning on the edges: absent, 0, -1, the extremes; empty and absent strings;
    /// the common lag reasons; a target owner equal to the owner.
    struct Values {
        var rng: SplitMix64

        mutating func below(_ n: Int) -> Int { rng.below(n) }

        mutating func offset() -> Int64? {
            switch below(8) {
            case 0: return nil
            case 1: return 0
            case 2: return -1
            case 3: return .min
            case 4: return .max
            case 5: return Int64(bitPattern: rng.next())
            default: return Int64(below(1 << 40))
            }
        }

        mutating func int32() -> Int32? {
            switch below(6) {
            case 0: return nil
            case 1: return 0
            case 2: return -1
            case 3: return .min
            case 4: return .max
            default: return Int32(below(1000))
            }
        }

        mutating func text() -> String {
            let alphabet: [Character] = ["a", "Z", "_", "0", "\"", "\\", "/", "\n", "\u{1}", "é", "😀", " "]
            // Up to 40 characters: both small (inline) and heap-allocated strings.
            return String((0..<below(below(2) == 0 ? 6 : 40)).map { _ in alphabet[below(alphabet.count)] })
        }

        mutating func string() -> String? {
            switch below(4) {
            case 0: return nil
            case 1: return ""
            default: return text()
            }
        }

        mutating func lag() -> LagValue {
            switch below(6) {
            case 0: return .known(offset() ?? 0)
            case 1: return .known(Int64(below(1000)))
            case 2: return .unknown(reason: LagValue.commonReasons[below(LagValue.commonReasons.count)])
            case 3: return .unknown(reason: "")
            case 4: return .unknown(reason: "committed offset unavailable: " + text())
            default: return .unknown(reason: text())
            }
        }

        mutating func error() -> ItemError? {
            switch below(3) {
            case 0: return nil
            default: return ItemError(code: Int16(truncatingIfNeeded: below(70_000)), name: text(), message: string())
            }
        }

        mutating func row() -> PlainRow {
            let owner = string()
            let target: String? = below(3) == 0 ? owner : string()
            return PlainRow(
                topicPartition: TopicPartition(topic: text(), partition: int32() ?? 0), committedOffset: offset(),
                commitMetadata: string(), logStart: offset(), logEnd: offset(), lag: lag(), owner: owner,
                targetOwner: target, handoff: HandoffState.allCases[below(HandoffState.allCases.count)], error: error())
        }

        mutating func offsets() -> PlainOffsets {
            PlainOffsets(partition: int32() ?? 0, logStart: offset(), logEnd: offset(), leader: int32(), error: error())
        }

        mutating func topic() -> PlainTopic {
            PlainTopic(
                name: text(), topicID: string(), partitionCount: below(5), partitions: (0..<below(4)).map { _ in offsets() },
                error: error())
        }

        /// Sets one random field of both the plain row and the compact one to the same new value.
        mutating func change(_ plain: inout PlainRow, _ row: inout GroupPartition) {
            switch below(10) {
            case 0: let v = TopicPartition(topic: text(), partition: int32() ?? 0); plain.topicPartition = v; row.topicPartition = v
            case 1: let v = offset(); plain.committedOffset = v; row.committedOffset = v
            case 2: let v = string(); plain.commitMetadata = v; row.commitMetadata = v
            case 3: let v = offset(); plain.logStart = v; row.logStart = v
            case 4: let v = offset(); plain.logEnd = v; row.logEnd = v
            case 5: let v = lag(); plain.lag = v; row.lag = v
            case 6: let v = below(2) == 0 ? plain.targetOwner : string(); plain.owner = v; row.owner = v
            case 7: let v = below(2) == 0 ? plain.owner : string(); plain.targetOwner = v; row.targetOwner = v
            case 8: let v = HandoffState.allCases[below(HandoffState.allCases.count)]; plain.handoff = v; row.handoff = v
            default: let v = error(); plain.error = v; row.error = v
            }
        }

        mutating func change(_ plain: inout PlainOffsets, _ offsets: inout PartitionOffsets) {
            switch below(5) {
            case 0: let v = int32() ?? 0; plain.partition = v; offsets.partition = v
            case 1: let v = offset(); plain.logStart = v; offsets.logStart = v
            case 2: let v = offset(); plain.logEnd = v; offsets.logEnd = v
            case 3: let v = int32(); plain.leader = v; offsets.leader = v
            default: let v = error(); plain.error = v; offsets.error = v
            }
        }
    }

    static func foundation<T: Encodable>(_ value: T, pretty: Bool) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Every property of `row` is the plain row's.
    static func expectFields(_ row: GroupPartition, _ plain: PlainRow, sourceLocation: SourceLocation = #_sourceLocation) {
        let same = row.topicPartition == plain.topicPartition && row.committedOffset == plain.committedOffset
            && row.commitMetadata == plain.commitMetadata && row.logStart == plain.logStart && row.logEnd == plain.logEnd
            && row.lag == plain.lag && row.owner == plain.owner && row.targetOwner == plain.targetOwner
            && row.handoff == plain.handoff && row.error == plain.error
        #expect(same, "\(row) is not \(plain)", sourceLocation: sourceLocation)
        // The shortcuts the history and the health step read.
        #expect(row.lagOffsets == plain.lag.offsets, sourceLocation: sourceLocation)
        #expect(row.hasError == (plain.error != nil), sourceLocation: sourceLocation)
    }

    static func expectFields(_ offsets: PartitionOffsets, _ plain: PlainOffsets, sourceLocation: SourceLocation = #_sourceLocation) {
        let same = offsets.partition == plain.partition && offsets.logStart == plain.logStart && offsets.logEnd == plain.logEnd
            && offsets.leader == plain.leader && offsets.error == plain.error
        #expect(same, "\(offsets) is not \(plain)", sourceLocation: sourceLocation)
    }

    /// The JSON (Foundation's, sorted or in coding order, and canonical) and hash of `value` are
    /// the plain value's, and each decodes as the other.
    static func expectSameEncoding<Compact: Codable & Hashable, Plain: Codable & Hashable>(
        _ value: Compact, _ plain: Plain, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(value.hashValue == plain.hashValue, "hash", sourceLocation: sourceLocation)
        // Sorted keys: without, Foundation's key order is not defined.
        for pretty in [true, false] {
            let theirs = String(decoding: try foundation(plain, pretty: pretty), as: UTF8.self)
            let ours = String(decoding: try foundation(value, pretty: pretty), as: UTF8.self)
            let canonical = String(decoding: try CanonicalJSONEncoder(pretty: pretty).encode(value), as: UTF8.self)
            #expect(ours == theirs, "pretty=\(pretty)", sourceLocation: sourceLocation)
            #expect(canonical == theirs, "canonical pretty=\(pretty)", sourceLocation: sourceLocation)
        }
        let json = try foundation(plain, pretty: false)
        #expect(try JSONDecoder().decode(Compact.self, from: Data(json)) == value, "decoded", sourceLocation: sourceLocation)
        let back = try JSONDecoder().decode(Plain.self, from: Data(try foundation(value, pretty: false)))
        #expect(back == plain, "round trip", sourceLocation: sourceLocation)
    }

    @Test("A row is as small as its layout allows")
    func rowLayout() {
        // Topic-partition with hand-off and presence bits in its slot, four integers, the owner,
        // the box: 80 bytes (the plain struct takes about twice as much).
        #expect(MemoryLayout<GroupPartition>.stride == 80)
        #expect(MemoryLayout<PlainRow>.stride > 160)
        #expect(MemoryLayout<PartitionOffsets>.stride == 40)
        #expect(MemoryLayout<TopicInfo>.stride == 56)
    }

    @Test("Rows: the plain fields, equality, hash, JSON and decoding on 1000 random rows and their edits")
    func rows() throws {
        var values = Values(rng: SplitMix64(seed: 0x636F_6D70_6163_74))
        var previous: (PlainRow, GroupPartition)?
        for _ in 0..<1000 {
            var plain = values.row()
            var row = plain.compact
            Self.expectFields(row, plain)
            try Self.expectSameEncoding(row, plain)
            // Edited through the properties, and compared with an edited copy and with the last row.
            let (plainBefore, rowBefore) = (plain, row)
            for _ in 0..<values.below(4) { values.change(&plain, &row) }
            Self.expectFields(row, plain)
            try Self.expectSameEncoding(row, plain)
            #expect((row == rowBefore) == (plain == plainBefore))
            #expect(row == plain.compact)
            #expect(row.hashValue == plain.compact.hashValue)
            if let (lastPlain, lastRow) = previous {
                #expect((row == lastRow) == (plain == lastPlain))
            }
            previous = (plain, row)
        }
    }

    @Test("Rows differing in one edge value are unequal")
    func rowEdges() {
        let base = PlainRow(
            topicPartition: TopicPartition(topic: "t", partition: 0), lag: .known(0), handoff: .settled)
        var variants: [PlainRow] = [base]
        for offset: Int64? in [0, -1, .min, .max] {
            var v = base
            v.committedOffset = offset
            variants.append(v)
            v = base
            v.logStart = offset
            variants.append(v)
            v = base
            v.logEnd = offset
            variants.append(v)
            if let offset, offset != 0 {
                v = base
                v.lag = .known(offset)
                variants.append(v)
            }
        }
        for reason in LagValue.commonReasons + ["", "x"] {
            var v = base
            v.lag = .unknown(reason: reason)
            variants.append(v)
        }
        for (owner, target) in [("", nil), (nil, ""), ("", ""), ("a", nil), (nil, "a"), ("a", "a"), ("a", "b")] as [(String?, String?)] {
            var v = base
            v.owner = owner
            v.targetOwner = target
            variants.append(v)
        }
        for metadata in ["", "m"] {
            var v = base
            v.commitMetadata = metadata
            variants.append(v)
        }
        for state in HandoffState.allCases where state != base.handoff {
            var v = base
            v.handoff = state
            variants.append(v)
        }
        for error in [ItemError(code: 1, name: "E"), ItemError(code: 1, name: "E", message: ""), ItemError(code: 1, name: "E", message: "m")] {
            var v = base
            v.error = error
            variants.append(v)
        }
        let rows = variants.map(\.compact)
        #expect(Set(variants).count == variants.count)
        #expect(Set(rows).count == rows.count)
        for (row, plain) in zip(rows, variants) {
            Self.expectFields(row, plain)
            #expect(row.hashValue == plain.hashValue)
        }
    }

    @Test("Offsets: the plain fields, equality, hash, JSON and decoding on 1000 random values and their edits")
    func offsets() throws {
        var values = Values(rng: SplitMix64(seed: 0x6F66_6673))
        var previous: (PlainOffsets, PartitionOffsets)?
        for _ in 0..<1000 {
            var plain = values.offsets()
            var offsets = plain.compact
            Self.expectFields(offsets, plain)
            try Self.expectSameEncoding(offsets, plain)
            let (plainBefore, offsetsBefore) = (plain, offsets)
            for _ in 0..<values.below(3) { values.change(&plain, &offsets) }
            Self.expectFields(offsets, plain)
            try Self.expectSameEncoding(offsets, plain)
            #expect((offsets == offsetsBefore) == (plain == plainBefore))
            #expect(offsets == plain.compact)
            if let (lastPlain, lastOffsets) = previous {
                #expect((offsets == lastOffsets) == (plain == lastPlain))
            }
            previous = (plain, offsets)
        }
    }

    @Test("Topics: equality, hash, JSON and decoding on 300 random topics and their edits")
    func topics() throws {
        var values = Values(rng: SplitMix64(seed: 0x746F_7069_6373))
        var previous: (PlainTopic, TopicInfo)?
        for _ in 0..<300 {
            var plain = values.topic()
            var topic = plain.compact
            #expect(topic.error == plain.error)
            try Self.expectSameEncoding(topic, plain)
            if values.below(2) == 0 {
                plain.error = values.error()
                topic.error = plain.error
                #expect(topic.error == plain.error)
                try Self.expectSameEncoding(topic, plain)
            }
            if let (lastPlain, lastTopic) = previous {
                #expect((topic == lastTopic) == (plain == lastPlain))
            }
            var same = plain
            same.error = same.error.map { ItemError(code: $0.code, name: $0.name, message: $0.message) }
            #expect(same.compact == topic)
            previous = (plain, topic)
        }
    }

    @Test("Rows and offsets with the same rare fields share one box")
    func sharing() {
        let error = ItemError(code: 15, name: "COORDINATOR_NOT_AVAILABLE", message: "a message long enough to be on the heap")
        var shared: OutOfLine<GroupPartition.Rare>?
        func row(_ partition: Int32, metadata: String) -> GroupPartition {
            GroupPartition(
                topicPartition: TopicPartition(topic: "t", partition: partition), committedOffset: 5, commitMetadata: metadata,
                logStart: nil, logEnd: nil, lag: .unknown(reason: "log offsets unavailable: X"), owner: "a", targetOwner: "b",
                handoff: .pendingRevocation, error: error, sharing: &shared)
        }
        _ = row(0, metadata: "m")
        let first = shared
        _ = row(1, metadata: "m")
        #expect(shared === first)
        _ = row(2, metadata: "other")
        #expect(shared !== first)

        var sharedError: OutOfLine<ItemError>?
        _ = PartitionOffsets(partition: 0, logStart: nil, logEnd: nil, leader: nil, error: error, sharing: &sharedError)
        let firstError = sharedError
        _ = PartitionOffsets(partition: 1, logStart: nil, logEnd: nil, leader: nil, error: error, sharing: &sharedError)
        #expect(sharedError === firstError)
    }

    @Test("The common lag reasons are LagCalculator's and not applicable")
    func commonReasons() {
        #expect(LagValue.commonReasons.count == Set(LagValue.commonReasons).count)
        #expect(LagValue.commonReasons.contains("log end offset unknown"))
        #expect(LagValue.commonReasons.contains("no commit and log start offset unknown"))
        #expect(LagValue.commonReasons.contains(LagValue.notApplicableReason))
    }
}

@Suite("Group rows by partition")
struct RowIndexTests {
    @Test("rowIndex finds every row of sorted rows and nothing else, as a linear search does")
    func rowIndex() {
        let tps = ["a", "b", "orders"].flatMap { topic in [0, 1, 3, 7].map { TopicPartition(topic: topic, partition: Int32($0)) } }
        let rows = tps.map {
            GroupPartition(topicPartition: $0, committedOffset: 1, logStart: 0, logEnd: 2, lag: .known(1), handoff: .settled)
        }
        for (i, tp) in tps.enumerated() { #expect(rows.rowIndex(of: tp) == i) }
        for tp in [TopicPartition(topic: "a", partition: 2), TopicPartition(topic: "c", partition: 0),
                   TopicPartition(topic: "", partition: 0), TopicPartition(topic: "orders", partition: 8)] {
            #expect(rows.rowIndex(of: tp) == nil)
        }
        #expect([GroupPartition]().rowIndex(of: tps[0]) == nil)
    }

    /// ``LogOffsetsInput`` and ``CommittedOffsetsInput/Offset`` as plain structs.
    private struct PlainLogOffsets: Codable, Hashable {
        var topicPartition: TopicPartition
        var logStart: Int64?
        var logEnd: Int64?
        var leader: Int32?
        var error: ItemError?
    }

    private struct PlainCommitted: Codable, Hashable {
        var topicPartition: TopicPartition
        var offset: Int64?
        var metadata: String?
        var error: ItemError?
    }

    @Test("Log and committed offset inputs: the plain fields, setting the error, and the same JSON and decoding as plain structs")
    func inputsAsPlainStructs() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let tp = TopicPartition(topic: "orders", partition: 3)
        for error in [nil, ItemError(code: 6, name: "NOT_LEADER_OR_FOLLOWER", message: "moved")] {
            var log = LogOffsetsInput(topicPartition: tp, logStart: 4, logEnd: 9, leader: 2, error: error)
            #expect(log.topicPartition == tp && log.logStart == 4 && log.logEnd == 9 && log.leader == 2 && log.error == error)
            let plainLog = PlainLogOffsets(topicPartition: tp, logStart: 4, logEnd: 9, leader: 2, error: error)
            #expect(try encoder.encode(log) == encoder.encode(plainLog))
            #expect(try JSONDecoder().decode(LogOffsetsInput.self, from: encoder.encode(plainLog)) == log)
            log.error = ItemError(code: 3, name: "UNKNOWN_TOPIC_OR_PARTITION")
            #expect(log.error?.code == 3 && log != LogOffsetsInput(topicPartition: tp, logStart: 4, logEnd: 9, leader: 2, error: error))

            var committed = CommittedOffsetsInput.Offset(topicPartition: tp, offset: 7, metadata: "m", error: error)
            #expect(committed.offset == 7 && committed.metadata == "m" && committed.error == error)
            let plainCommitted = PlainCommitted(topicPartition: tp, offset: 7, metadata: "m", error: error)
            #expect(try encoder.encode(committed) == encoder.encode(plainCommitted))
            #expect(try JSONDecoder().decode(CommittedOffsetsInput.Offset.self, from: encoder.encode(plainCommitted)) == committed)
            committed.error = nil
            #expect(committed == CommittedOffsetsInput.Offset(topicPartition: tp, offset: 7, metadata: "m"))
        }
    }
}

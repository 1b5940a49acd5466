import Foundation
import GroupModel
import Testing
@testable import Recording

/// The packed tree is read straight into model values: the same values as `JSONDecoder` reads
/// from the same JSON, and the same refusals.
@Suite("Packed tree decoder")
struct PackedTreeDecoderTests {
    /// A value read from its tree and read by `JSONDecoder` from its JSON.
    static func bothWays<T: Codable & Equatable>(_ value: T) throws -> (tree: T, json: T) {
        let tree = try PackedCoding.tree(of: value)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try PackedCoding.value(T.self, from: tree), try JSONDecoder().decode(T.self, from: try encoder.encode(value)))
    }

    @Test("snapshots, groups, topics and errors read back as JSONDecoder reads them")
    func modelValues() throws {
        var snapshots = Scenario.rollingRestart()
        // Rare fields too: a group error, an unknown lag, commit metadata, a topic's error.
        var odd = snapshots[0]
        odd.groups[0].error = ItemError(code: 16, name: "NOT_COORDINATOR", message: "moved \"away\"\n")
        odd.groups[0].partitions[0].lag = .unknown(reason: "log end offset unknown")
        odd.groups[0].partitions[1].commitMetadata = "é \\ tab\t"
        odd.groups[0].partitions[1].error = ItemError(code: 3, name: "UNKNOWN_TOPIC_OR_PARTITION", message: nil)
        snapshots.append(odd)
        for snapshot in snapshots {
            let read = try Self.bothWays(snapshot)
            #expect(read.tree == snapshot && read.json == snapshot)
            for group in snapshot.groups {
                let g = try Self.bothWays(group)
                #expect(g.tree == group && g.json == group)
            }
            for topic in snapshot.topics {
                let t = try Self.bothWays(topic)
                #expect(t.tree == topic && t.json == topic)
            }
        }
    }

    struct Scalars: Codable, Equatable {
        var i8: Int8
        var u8: UInt8
        var i32: Int32
        var u64: UInt64
        var d: Double
        var f: Float
        var optional: Int64?
        var flag: Bool
        var text: String
        var byName: [String: Int]
        var byNumber: [Int32: String]
        var nested: [[Int16]]
    }

    @Test("scalars, optionals and dictionaries, large and small, read as JSONDecoder reads them")
    func scalars() throws {
        let many = Dictionary(uniqueKeysWithValues: (0..<40).map { ("key-\($0)", $0 * 3) })
        for value in [
            Scalars(i8: -128, u8: 255, i32: .min, u64: .max, d: 0.1, f: 1.5, optional: nil, flag: true, text: "",
                    byName: [:], byNumber: [:], nested: []),
            Scalars(i8: 7, u8: 0, i32: .max, u64: 0, d: -2, f: -0.25, optional: .min, flag: false, text: "ünïcode \"q\"",
                    byName: many, byNumber: [3: "three", -1: "minus one"], nested: [[1, -2], [], [.max]]),
        ] {
            let read = try Self.bothWays(value)
            #expect(read.tree == value && read.json == value)
        }
    }

    @Test("a tree that does not fit the type is refused: wrong kinds, out-of-range numbers, missing keys, nulls")
    func refusals() throws {
        struct Pair: Codable, Equatable {
            var a: Int8
            var b: String?
        }
        let refused: [PackedValue] = [
            .object([("a", .int(128))]),
            .object([("a", .string("1"))]),
            .object([("a", .null)]),
            .object([("b", .string("x"))]),
            .object([("a", .number("1.5"))]),
            .object([("a", .int(1)), ("b", .int(2))]),
            .array([.int(1)]),
            .null,
        ]
        for tree in refused {
            #expect(throws: PackingError.self) { try PackedCoding.value(Pair.self, from: tree) }
        }
        // The error names where the value is.
        do {
            _ = try PackedCoding.value([Pair].self, from: .array([.object([("a", .int(1))]), .object([("a", .int(999))])]))
            Issue.record("an Int8 of 999 was read")
        } catch {
            #expect(error.description.contains("[1].a") && error.description.contains("Int8"))
        }
        // An integral number literal is an integer; a null or missing optional is nil.
        #expect(try PackedCoding.value(Pair.self, from: .object([("a", .number("3.0")), ("b", .null)])) == Pair(a: 3, b: nil))
        #expect(try PackedCoding.value(Pair.self, from: .object([("a", .int(-3))])) == Pair(a: -3, b: nil))
        #expect(try PackedCoding.value(Double.self, from: .int(4)) == 4)
        // Numbers beyond a floating-point type's range are refused, as JSONDecoder refuses them.
        #expect(throws: PackingError.self) { try PackedCoding.value(Double.self, from: .number("1e400")) }
        #expect(throws: PackingError.self) { try PackedCoding.value(Float.self, from: .number("1e39")) }
        #expect(try PackedCoding.value(Float.self, from: .number("1.5e38")) == 1.5e38)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(Float.self, from: Data("1e39".utf8)) }
        #expect(try PackedCoding.value([Int64].self, from: .array([.int(1), .number("2")])) == [1, 2])
    }
}

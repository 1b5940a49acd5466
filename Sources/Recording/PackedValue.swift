import Foundation

// MARK: - JSON value tree

/// A JSON value as a tree. Values of the model are turned into JSON by their own `Codable`
/// conformance (so new model fields reach recordings without touching this module), parsed into this
/// tree, and stored in the recording's packed binary form (see docs/RECORDING.md, "Packed values").
indirect enum PackedValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// An integer literal that fits in 64 bits.
    case int(Int64)
    /// Any other number, kept as its literal text so the round trip is exact.
    case number(String)
    case string(String)
    case array([PackedValue])
    /// Members in the encoder's order (sorted keys).
    case object([(key: String, value: PackedValue)])

    static func == (lhs: PackedValue, rhs: PackedValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The member `key` of an object.
    subscript(key: String) -> PackedValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}

/// Why a value could not be packed or unpacked.
struct PackingError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Codable <-> tree

enum PackedCoding {
    static func tree<T: Encodable>(of value: T) throws(PackingError) -> PackedValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(value) } catch { throw PackingError("cannot encode \(T.self): \(error)") }
        var parser = JSONTreeParser(bytes: Array(data))
        return try parser.parseDocument()
    }

    /// The value of `tree`, as `JSONDecoder` reads the tree's JSON (``PackedTreeDecoder``).
    static func value<T: Decodable>(_ type: T.Type, from tree: PackedValue) throws(PackingError) -> T {
        do { return try PackedTreeDecoder.decode(T.self, from: tree) } catch {
            throw PackingError("cannot decode \(T.self): \(error)")
        }
    }
}

/// A strict parser for the compact JSON that `JSONEncoder` writes.
struct JSONTreeParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws(PackingError) -> PackedValue {
        let value = try parseValue()
        skipSpace()
        guard i == bytes.count else { throw PackingError("trailing bytes in JSON") }
        return value
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ literal: String) throws(PackingError) {
        for byte in literal.utf8 {
            guard i < bytes.count, bytes[i] == byte else { throw PackingError("bad JSON literal") }
            i += 1
        }
    }

    private mutating func parseValue() throws(PackingError) -> PackedValue {
        skipSpace()
        guard i < bytes.count else { throw PackingError("unexpected end of JSON") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(key: String, value: PackedValue)] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                let key = try parseString()
                skipSpace()
                try expect(":")
                members.append((key, try parseValue()))
                skipSpace()
                guard i < bytes.count else { throw PackingError("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect("}")
                return .object(members)
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [PackedValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try parseValue())
                skipSpace()
                guard i < bytes.count else { throw PackingError("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect("]")
                return .array(items)
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        default:
            let start = i
            while i < bytes.count, let c = Optional(bytes[i]),
                  c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
                    || c == UInt8(ascii: "E") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
                i += 1
            }
            guard i > start else { throw PackingError("unexpected byte in JSON") }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if let n = Int64(text) { return .int(n) }
            return .number(text)
        }
    }

    private mutating func hex4() throws(PackingError) -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw PackingError("bad \\u escape")
        }
        i += 4
        return v
    }

    private mutating func parseString() throws(PackingError) -> String {
        try expect("\"")
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw PackingError("unterminated string") }
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\"") { break }
            guard c == UInt8(ascii: "\\") else { out.append(c); continue }
            guard i < bytes.count else { throw PackingError("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default: throw PackingError("bad escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

// MARK: - String table

/// The recording's string table: every key and string value is stored once per file, in the frame
/// that first uses it, and referred to by index afterwards.
struct StringTable {
    private(set) var strings: [String] = []
    private var index: [String: Int] = [:]
    /// Strings added since the last ``takeNew()``, in index order.
    private(set) var pending: [String] = []

    var count: Int { strings.count }

    mutating func intern(_ s: String) -> Int {
        if let k = index[s] { return k }
        let k = strings.count
        strings.append(s)
        index[s] = k
        pending.append(s)
        return k
    }

    /// Adds strings defined by a frame (reader side).
    mutating func define(_ s: String) {
        index[s] = strings.count
        strings.append(s)
    }

    mutating func takeNew() -> [String] {
        defer { pending = [] }
        return pending
    }

    func string(at k: Int) -> String? { k < strings.count ? strings[k] : nil }
}

// MARK: - Packed binary form

/// Tags of the packed binary form.
enum PackedTag: UInt8 {
    case null = 0, falseValue = 1, trueValue = 2, int = 3, number = 4, string = 5, array = 6
    /// An object whose key list ("shape") is one string-table entry, keys joined by NUL.
    case shapedObject = 7
    /// An object with one string-table entry per key (keys that contain NUL).
    case object = 8
}

/// The packed binary form of a ``PackedValue``. Integers are stored as the zigzag difference from
/// the previous integer under the same object key within the same root value (so neighbouring
/// partitions' offsets cost little); objects store their key list once per file.
enum PackedBinary {
    static let shapeSeparator = "\u{0}"

    static func write(_ value: PackedValue, into w: inout ByteWriter, strings: inout StringTable) {
        var context: [String: Int64] = [:]
        write(value, key: "", into: &w, strings: &strings, context: &context)
    }

    private static func write(_ value: PackedValue, key: String, into w: inout ByteWriter, strings: inout StringTable, context: inout [String: Int64]) {
        switch value {
        case .null: w.u8(PackedTag.null.rawValue)
        case .bool(let b): w.u8(b ? PackedTag.trueValue.rawValue : PackedTag.falseValue.rawValue)
        case .int(let n):
            w.u8(PackedTag.int.rawValue)
            w.signed(n &- (context[key] ?? 0))
            context[key] = n
        case .number(let text):
            w.u8(PackedTag.number.rawValue)
            w.varint(strings.intern(text))
        case .string(let s):
            w.u8(PackedTag.string.rawValue)
            w.varint(strings.intern(s))
        case .array(let items):
            w.u8(PackedTag.array.rawValue)
            w.varint(items.count)
            for item in items { write(item, key: key, into: &w, strings: &strings, context: &context) }
        case .object(let members):
            if members.contains(where: { $0.key.contains(shapeSeparator) }) || (members.count == 1 && members[0].key.isEmpty) {
                w.u8(PackedTag.object.rawValue)
                w.varint(members.count)
                for member in members {
                    w.varint(strings.intern(member.key))
                    write(member.value, key: member.key, into: &w, strings: &strings, context: &context)
                }
            } else {
                w.u8(PackedTag.shapedObject.rawValue)
                w.varint(strings.intern(members.map(\.key).joined(separator: shapeSeparator)))
                for member in members { write(member.value, key: member.key, into: &w, strings: &strings, context: &context) }
            }
        }
    }

    static func read(_ r: inout ByteReader, strings: StringTable) throws(PackingError) -> PackedValue {
        var context: [String: Int64] = [:]
        var shapes: [Int: [String]] = [:]
        do {
            return try read(&r, key: "", strings: strings, context: &context, shapes: &shapes, depth: 0)
        } catch let error as PackingError {
            throw error
        } catch {
            throw PackingError("truncated packed value")
        }
    }

    private static func read(
        _ r: inout ByteReader, key: String, strings: StringTable, context: inout [String: Int64], shapes: inout [Int: [String]], depth: Int
    ) throws -> PackedValue {
        guard depth < 64 else { throw PackingError("packed value nested too deep") }
        guard let tag = PackedTag(rawValue: try r.u8()) else { throw PackingError("unknown packed tag") }
        func string(_ r: inout ByteReader) throws -> (Int, String) {
            let k = try r.count()
            guard let s = strings.string(at: k) else { throw PackingError("string index \(k) not defined") }
            return (k, s)
        }
        switch tag {
        case .null: return .null
        case .falseValue: return .bool(false)
        case .trueValue: return .bool(true)
        case .int:
            let n = (context[key] ?? 0) &+ (try r.signed())
            context[key] = n
            return .int(n)
        case .number: return .number(try string(&r).1)
        case .string: return .string(try string(&r).1)
        case .array:
            let n = try r.count(limit: r.remaining)
            var items: [PackedValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try read(&r, key: key, strings: strings, context: &context, shapes: &shapes, depth: depth + 1)) }
            return .array(items)
        case .shapedObject:
            let (k, joined) = try string(&r)
            let keys: [String]
            if let known = shapes[k] {
                keys = known
            } else {
                keys = joined.isEmpty ? [] : joined.components(separatedBy: shapeSeparator)
                shapes[k] = keys
            }
            var members: [(key: String, value: PackedValue)] = []
            members.reserveCapacity(keys.count)
            for key in keys { members.append((key, try read(&r, key: key, strings: strings, context: &context, shapes: &shapes, depth: depth + 1))) }
            return .object(members)
        case .object:
            let n = try r.count(limit: r.remaining)
            var members: [(key: String, value: PackedValue)] = []
            members.reserveCapacity(n)
            for _ in 0..<n {
                let key = try string(&r).1
                members.append((key, try read(&r, key: key, strings: strings, context: &context, shapes: &shapes, depth: depth + 1)))
            }
            return .object(members)
        }
    }
}

import Foundation

/// A JSON encoder that writes the same bytes as Foundation's `JSONEncoder` with
/// `[.sortedKeys, .withoutEscapingSlashes]` (plus `.prettyPrinted` when ``pretty`` is set), but
/// straight into a byte buffer.
///
/// Foundation's encoder first builds a tree of every value in the document and only then writes it,
/// which for a 100,000-partition snapshot costs several hundred megabytes and seconds. This encoder
/// renders each value as soon as it is encoded: objects keep their members' rendered bytes until the
/// object is complete (to sort the keys), arrays append their elements in place. Memory beyond the
/// output is bounded by the bytes of the objects being built along one path from the root.
///
/// Covered: every type the snapshot, event and verdict schemas use (structs and enums with
/// synthesized or custom `Codable`, optionals, arrays, dictionaries, strings, integers, booleans,
/// floating point) and `Data` (base64, as Foundation writes it by default). Types that conform to
/// ``CanonicalJSONWritable`` (partition rows and what they hold) write their own bytes, the same
/// bytes, without the `Encoder` protocol's per-field cost. Keys are sorted by
/// `String` ordering, strings are escaped as Foundation escapes them (`\"`, `\\`, `\b`, `\f`, `\n`,
/// `\r`, `\t`, other control characters as `\u00xx`; `/` and non-ASCII characters are not
/// escaped), and floating-point numbers use Swift's shortest round-trip form without a trailing
/// `.0`. Non-finite numbers are rejected with `EncodingError.invalidValue`, as Foundation does.
public struct CanonicalJSONEncoder: Sendable {
    /// Pretty-print (two-space indent, `"key" : value`), like `JSONEncoder`'s `.prettyPrinted`.
    public var pretty: Bool

    /// Creates an encoder; `pretty` selects the multi-line form.
    public init(pretty: Bool) {
        self.pretty = pretty
    }

    /// Encodes `value` and returns the JSON bytes (no trailing newline).
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var out = JSONBytes()
        try encode(value, depth: 0, into: &out)
        return out.array
    }

    /// Appends `value` to `out` as it would appear nested `depth` levels deep in a pretty-printed
    /// document (its closing bracket indented by `depth` levels), for writers that stream a large
    /// document one element at a time.
    func encode<T: Encodable>(_ value: T, depth: Int, into out: inout JSONBytes) throws {
        let root = JSONNode(depth: depth, pretty: pretty)
        try root.encodeValue(value, codingPath: [])
        root.render(into: &out)
    }
}

// MARK: - Nodes

/// One value being encoded: a keyed object, an unkeyed array, or a single value.
final class JSONNode {
    enum Kind {
        case unset
        case object(JSONObject)
        case array(JSONArray)
        case single([UInt8])
    }

    let depth: Int
    let pretty: Bool
    var kind: Kind = .unset

    init(depth: Int, pretty: Bool) {
        self.depth = depth
        self.pretty = pretty
    }

    /// Encodes `value` into this node, taking the fast path for primitives.
    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        var bytes = JSONBytes()
        if try JSONPrimitive.write(value, into: &bytes, codingPath: codingPath)
            || JSONPrimitive.writeSelfWriting(value, depth: depth, pretty: pretty, into: &bytes)
        {
            kind = .single(bytes.array)
            return
        }
        try value.encode(to: JSONNodeEncoder(node: self, codingPath: codingPath))
    }

    func object() -> JSONObject {
        if case .object(let o) = kind { return o }
        let o = JSONObject(depth: depth, pretty: pretty)
        kind = .object(o)
        return o
    }

    func array() -> JSONArray {
        if case .array(let a) = kind { return a }
        let a = JSONArray(depth: depth, pretty: pretty)
        kind = .array(a)
        return a
    }

    /// Appends this node's JSON to `out`. A node nobody wrote to renders as an empty object, as
    /// Foundation does for a nested value that encodes nothing.
    func render(into out: inout JSONBytes) {
        switch kind {
        case .unset: JSONObject(depth: depth, pretty: pretty).render(into: &out)
        case .object(let o): o.render(into: &out)
        case .array(let a): a.render(into: &out)
        case .single(let bytes): out.append(contentsOf: bytes)
        }
    }
}

/// A keyed container's storage: each member's rendered value, kept until the object is rendered.
final class JSONObject {
    let depth: Int
    let pretty: Bool
    /// Rendered member values, back to back.
    var values = JSONBytes()
    /// Key and byte range in ``values`` of each member encoded so far.
    var entries: [(key: String, start: Int, end: Int)] = []
    /// Nested containers handed out by `nestedContainer`/`superEncoder`, rendered at the end.
    var pending: [(key: String, node: JSONNode)] = []

    init(depth: Int, pretty: Bool) {
        self.depth = depth
        self.pretty = pretty
    }

    func add(key: String, render: (inout JSONBytes) throws -> Void) rethrows {
        let start = values.count
        try render(&values)
        entries.append((key, start, values.count))
    }

    func render(into out: inout JSONBytes) {
        for (key, node) in pending {
            let start = values.count
            node.render(into: &values)
            entries.append((key, start, values.count))
        }
        pending.removeAll()
        // Stable sort by key; a key written twice keeps its last value, as in Foundation's tree.
        var order = Array(entries.indices)
        order.sort { entries[$0].key < entries[$1].key || (entries[$0].key == entries[$1].key && $0 < $1) }
        var kept: [Int] = []
        kept.reserveCapacity(order.count)
        for i in order {
            if let last = kept.last, entries[last].key == entries[i].key { kept[kept.count - 1] = i } else { kept.append(i) }
        }
        out.append(UInt8(ascii: "{"))
        if pretty {
            out.append(0x0A)
            for (n, i) in kept.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")); out.append(0x0A) }
                JSONPrimitive.indent(depth + 1, into: &out)
                JSONPrimitive.writeString(entries[i].key, into: &out)
                out.append(contentsOf: [0x20, UInt8(ascii: ":"), 0x20])
                out.append(values, range: entries[i].start..<entries[i].end)
            }
            out.append(0x0A)
            JSONPrimitive.indent(depth, into: &out)
        } else {
            for (n, i) in kept.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                JSONPrimitive.writeString(entries[i].key, into: &out)
                out.append(UInt8(ascii: ":"))
                out.append(values, range: entries[i].start..<entries[i].end)
            }
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// An unkeyed container's storage: elements are written in place, separators included.
final class JSONArray {
    let depth: Int
    let pretty: Bool
    var body = JSONBytes()
    var count = 0
    /// Nested containers handed out in the middle of the array, spliced in at their offset.
    var pending: [(offset: Int, node: JSONNode)] = []

    init(depth: Int, pretty: Bool) {
        self.depth = depth
        self.pretty = pretty
    }

    /// Writes the separator and indentation that precede the next element.
    func beginElement() {
        if count > 0 { body.append(UInt8(ascii: ",")) }
        if pretty {
            if count > 0 { body.append(0x0A) }
            JSONPrimitive.indent(depth + 1, into: &body)
        }
        count += 1
    }

    func render(into out: inout JSONBytes) {
        out.append(UInt8(ascii: "["))
        if pretty { out.append(0x0A) }
        var from = 0
        for (offset, node) in pending {
            out.append(body, range: from..<offset)
            node.render(into: &out)
            from = offset
        }
        out.append(body, range: from..<body.count)
        if pretty {
            out.append(0x0A)
            JSONPrimitive.indent(depth, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}

// MARK: - Primitives

enum JSONPrimitive {
    /// Writes `value` when it is a type JSON represents directly; returns false otherwise.
    @inline(__always)
    static func write<T: Encodable>(_ value: T, into out: inout JSONBytes, codingPath: [any CodingKey]) throws -> Bool {
        switch value {
        case let v as String: writeString(v, into: &out)
        case let v as Int: writeInteger(v, into: &out)
        case let v as Int64: writeInteger(v, into: &out)
        case let v as Int32: writeInteger(v, into: &out)
        case let v as Int16: writeInteger(v, into: &out)
        case let v as Int8: writeInteger(v, into: &out)
        case let v as UInt: writeInteger(v, into: &out)
        case let v as UInt64: writeInteger(v, into: &out)
        case let v as UInt32: writeInteger(v, into: &out)
        case let v as UInt16: writeInteger(v, into: &out)
        case let v as UInt8: writeInteger(v, into: &out)
        case let v as Bool: writeBool(v, into: &out)
        case let v as Double: try writeFloat(v, into: &out, codingPath: codingPath)
        case let v as Float: try writeFloat(v, into: &out, codingPath: codingPath)
        case let v as Data: writeString(v.base64EncodedString(), into: &out)
        default: return false
        }
        return true
    }

    /// Writes `value` through its ``CanonicalJSONWritable`` conformance, nested `depth` levels
    /// deep; returns false when it has none.
    @inline(__always)
    static func writeSelfWriting<T: Encodable>(_ value: T, depth: Int, pretty: Bool, into out: inout JSONBytes) throws -> Bool {
        guard let writable = value as? any CanonicalJSONWritable else { return false }
        try writable.writeCanonicalJSON(depth: depth, pretty: pretty, into: &out)
        return true
    }

    /// `,` then a newline, then 128 spaces: every separator and indentation of a pretty document
    /// up to 64 levels deep is a slice of it, appended with one copy.
    private static var separators: StaticString {
        ",\n                                                                                                                                "
    }

    /// Appends `level` levels of indentation (two spaces each).
    static func indent(_ level: Int, into out: inout JSONBytes) {
        separator(comma: false, newline: false, indent: level, into: &out)
    }

    /// Appends an optional `,`, an optional newline and `indent` levels of indentation in one copy.
    @inline(__always)
    static func separator(comma: Bool, newline: Bool, indent level: Int, into out: inout JSONBytes) {
        let spaces = level * 2
        guard spaces <= 128 else {
            if comma { out.append(UInt8(ascii: ",")) }
            if newline { out.append(0x0A) }
            for _ in 0..<spaces { out.append(0x20) }
            return
        }
        separators.withUTF8Buffer { all in
            // The slice starts at `,` (comma and newline), at the newline, or in the spaces.
            let start = comma ? 0 : newline ? 1 : 2
            out.append(contentsOf: UnsafeBufferPointer(rebasing: all[start..<(2 + spaces)]))
        }
    }

    /// Hands `body` an optional `,`, a newline and `indent` levels of indentation (at most 64
    /// levels), as ``separator(comma:newline:indent:into:)`` appends them with `newline` true.
    @inline(__always)
    static func separatorBytes(comma: Bool, indent level: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        precondition(level * 2 <= 128, "deeper than the precomputed indentation")
        separators.withUTF8Buffer { all in
            body(UnsafeBufferPointer(rebasing: all[(comma ? 0 : 1)..<(2 + level * 2)]))
        }
    }

    static func writeNull(into out: inout JSONBytes) {
        out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    static func writeBool(_ v: Bool, into out: inout JSONBytes) {
        if v { out.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
    }

    static func writeInteger<I: BinaryInteger>(_ v: I, into out: inout JSONBytes) {
        if let small = Int64(exactly: v) {
            writeInteger(small, into: &out)
        } else {
            // Only an unsigned value above Int64.max gets here.
            writeMagnitude(UInt64(v.magnitude), negative: false, into: &out)
        }
    }

    /// Appends the decimal digits of `v`, without going through a String.
    static func writeInteger(_ v: Int64, into out: inout JSONBytes) {
        writeMagnitude(v.magnitude, negative: v < 0, into: &out)
    }

    /// Appends `-` when `negative`, then the digits of `magnitude`, put together on the stack and
    /// appended with one copy.
    @inline(__always)
    private static func writeMagnitude(_ magnitude: UInt64, negative: Bool, into out: inout JSONBytes) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { stage in
            var n = 0
            stageDigits(magnitude, negative: negative, in: stage, at: &n)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: stage[..<n]))
        }
    }

    /// Writes the decimal digits of `v` into `stage` from `n` on (at most 20 bytes) and moves `n`
    /// past them.
    @inline(__always)
    static func stageInteger(_ v: Int64, in stage: UnsafeMutableBufferPointer<UInt8>, at n: inout Int) {
        stageDigits(v.magnitude, negative: v < 0, in: stage, at: &n)
    }

    /// Writes `-` when `negative`, then the digits of `magnitude`, into `stage` from `n` on (at
    /// most 21 bytes), and moves `n` past them: the digits are counted, then written right to left.
    @inline(__always)
    private static func stageDigits(_ magnitude: UInt64, negative: Bool, in stage: UnsafeMutableBufferPointer<UInt8>, at n: inout Int) {
        if negative {
            stage[n] = UInt8(ascii: "-")
            n += 1
        }
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var i = n + digits
        n = i
        var left = magnitude
        repeat {
            let (q, r) = left.quotientAndRemainder(dividingBy: 10)
            i -= 1
            stage[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: r)
            left = q
        } while left > 0
    }

    static func writeFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ v: F, into out: inout JSONBytes, codingPath: [any CodingKey]) throws {
        guard v.isFinite else {
            throw EncodingError.invalidValue(v, EncodingError.Context(codingPath: codingPath, debugDescription: "Unable to encode \(v) directly in JSON."))
        }
        var text = v.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        out.append(utf8Of: text)
    }

    /// Writes `seconds` rounded to whole milliseconds, as ``writeFloat(_:into:codingPath:)`` writes
    /// `(seconds * 1000).rounded() / 1000`, without making a String for the common case.
    ///
    /// For a whole number of milliseconds `ms` from 0 to 10^15 - 1, the shortest decimal that reads
    /// back as the double nearest to `ms / 1000` (what `description` prints) is `ms / 1000` itself,
    /// without trailing zeros: doubles below 10^12 are less than 0.001 apart, so no other decimal of
    /// three places or fewer reads back as it. Others (negative zero, infinities, huge values) take
    /// the general path.
    static func writeMilliseconds(ofSeconds seconds: Double, into out: inout JSONBytes) throws {
        let ms = (seconds * 1000).rounded()
        guard ms >= 0, ms < 1e15, ms.sign == .plus else {
            try writeFloat(ms / 1000, into: &out, codingPath: [])
            return
        }
        writeThousandths(Int64(ms), into: &out)
    }

    /// Appends `thousandths / 1000` in decimal, without trailing zeros after the point (none when
    /// it is whole); `thousandths` is not negative.
    static func writeThousandths(_ thousandths: Int64, into out: inout JSONBytes) {
        let (whole, fraction) = thousandths.quotientAndRemainder(dividingBy: 1000)
        writeInteger(whole, into: &out)
        guard fraction != 0 else { return }
        var digits = fraction
        var count = 3
        while digits % 10 == 0 {
            digits /= 10
            count -= 1
        }
        out.append(UInt8(ascii: "."))
        // Leading zeros of the fraction (0.005 has two), then its significant digits.
        var leading = count - 1
        var rest = digits / 10
        while rest > 0 {
            leading -= 1
            rest /= 10
        }
        for _ in 0..<leading { out.append(UInt8(ascii: "0")) }
        writeInteger(digits, into: &out)
    }

    static func writeString(_ s: String, into out: inout JSONBytes) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var from = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from..<i]))
                out.append(UInt8(ascii: "\\"))
                switch b {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                }
                from = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Encoder and containers

struct JSONNodeEncoder: Encoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(JSONKeyedContainer<Key>(object: node.object(), codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONUnkeyedContainer(array: node.array(), codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueContainer(node: node, codingPath: codingPath)
    }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { object.add(key: key.stringValue) { JSONPrimitive.writeNull(into: &$0) } }
    mutating func encode(_ value: Bool, forKey key: Key) throws { object.add(key: key.stringValue) { JSONPrimitive.writeBool(value, into: &$0) } }
    mutating func encode(_ value: String, forKey key: Key) throws { object.add(key: key.stringValue) { JSONPrimitive.writeString(value, into: &$0) } }
    mutating func encode(_ value: Int, forKey key: Key) throws { object.add(key: key.stringValue) { JSONPrimitive.writeInteger(value, into: &$0) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { object.add(key: key.stringValue) { JSONPrimitive.writeInteger(value, into: &$0) } }
    mutating func encode(_ value: Int32, forKey key: Key) throws { object.add(key: key.stringValue) { JSONPrimitive.writeInteger(value, into: &$0) } }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let path = codingPath + [key]
        try object.add(key: key.stringValue) { out in
            if try JSONPrimitive.write(value, into: &out, codingPath: path) { return }
            if try JSONPrimitive.writeSelfWriting(value, depth: object.depth + 1, pretty: object.pretty, into: &out) { return }
            let child = JSONNode(depth: object.depth + 1, pretty: object.pretty)
            try value.encode(to: JSONNodeEncoder(node: child, codingPath: path))
            child.render(into: &out)
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = JSONNode(depth: object.depth + 1, pretty: object.pretty)
        object.pending.append((key.stringValue, child))
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(object: child.object(), codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = JSONNode(depth: object.depth + 1, pretty: object.pretty)
        object.pending.append((key.stringValue, child))
        return JSONUnkeyedContainer(array: child.array(), codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        superEncoder(forKey: Key(stringValue: "super")!)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = JSONNode(depth: object.depth + 1, pretty: object.pretty)
        object.pending.append((key.stringValue, child))
        return JSONNodeEncoder(node: child, codingPath: codingPath + [key])
    }
}

/// A coding key for array positions in coding paths.
struct JSONIndexKey: CodingKey {
    var stringValue: String { "Index \(intValue ?? 0)" }
    var intValue: Int?
    init(index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let array: JSONArray
    let codingPath: [any CodingKey]
    var count: Int { array.count }

    mutating func encodeNil() throws {
        array.beginElement()
        JSONPrimitive.writeNull(into: &array.body)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = codingPath + [JSONIndexKey(index: array.count)]
        array.beginElement()
        if try JSONPrimitive.write(value, into: &array.body, codingPath: path) { return }
        if try JSONPrimitive.writeSelfWriting(value, depth: array.depth + 1, pretty: array.pretty, into: &array.body) { return }
        let child = JSONNode(depth: array.depth + 1, pretty: array.pretty)
        try value.encode(to: JSONNodeEncoder(node: child, codingPath: path))
        child.render(into: &array.body)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = codingPath + [JSONIndexKey(index: array.count)]
        array.beginElement()
        let child = JSONNode(depth: array.depth + 1, pretty: array.pretty)
        array.pending.append((array.body.count, child))
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(object: child.object(), codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = codingPath + [JSONIndexKey(index: array.count)]
        array.beginElement()
        let child = JSONNode(depth: array.depth + 1, pretty: array.pretty)
        array.pending.append((array.body.count, child))
        return JSONUnkeyedContainer(array: child.array(), codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let path = codingPath + [JSONIndexKey(index: array.count)]
        array.beginElement()
        let child = JSONNode(depth: array.depth + 1, pretty: array.pretty)
        array.pending.append((array.body.count, child))
        return JSONNodeEncoder(node: child, codingPath: path)
    }
}

struct JSONSingleValueContainer: SingleValueEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]

    private func set(_ write: (inout JSONBytes) -> Void) {
        var bytes = JSONBytes()
        write(&bytes)
        node.kind = .single(bytes.array)
    }

    mutating func encodeNil() throws { set { JSONPrimitive.writeNull(into: &$0) } }
    mutating func encode(_ value: Bool) throws { set { JSONPrimitive.writeBool(value, into: &$0) } }
    mutating func encode(_ value: String) throws { set { JSONPrimitive.writeString(value, into: &$0) } }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try node.encodeValue(value, codingPath: codingPath)
    }
}

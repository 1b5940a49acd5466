// Decoding model values straight from their packed trees: a `Decoder` over ``PackedValue`` that
// reads what `JSONDecoder` (default strategies) reads from the tree's JSON text, without writing
// that text and parsing it again. Reading a recording of 10,000 groups is mostly this step.

/// A `Decoder` over a ``PackedValue`` tree: the values `JSONDecoder` with its default strategies
/// gives for the tree's JSON. Integers are read from integer literals (and from number literals
/// that hold an integer exactly), floating-point values from any number.
struct PackedTreeDecoder: Decoder {
    let value: PackedValue
    /// Where `value` is, kept as a chain of keys: the coding path's array is made only when asked
    /// for (an error), not at every value.
    let path: PackedPath?
    var codingPath: [any CodingKey] { PackedPath.keys(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: PackedValue, path: PackedPath? = nil) {
        self.value = value
        self.path = path
    }

    /// Decodes a `T` from `tree`.
    static func decode<T: Decodable>(_ type: T.Type, from tree: PackedValue) throws -> T {
        try T(from: PackedTreeDecoder(tree))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw Self.mismatch([String: Int].self, value, PackedPlace(parent: path, key: nil)) }
        return KeyedDecodingContainer(PackedKeyedContainer<Key>(members: members, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw Self.mismatch([Int].self, value, PackedPlace(parent: path, key: nil)) }
        return PackedUnkeyedContainer(items: items, path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { PackedSingleValue(value: value, path: path) }

    // MARK: Scalars

    static func mismatch(_ type: Any.Type, _ value: PackedValue, _ at: PackedPlace) -> DecodingError {
        let path = at.keys
        let found: String
        switch value {
        case .null: found = "null"
        case .bool: found = "a boolean"
        case .int, .number: found = "a number"
        case .string: found = "a string"
        case .array: found = "an array"
        case .object: found = "an object"
        }
        if case .null = value {
            return .valueNotFound(type, .init(codingPath: path, debugDescription: "expected \(type), found null"))
        }
        return .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type), found \(found)"))
    }

    /// A scalar of the tree as `T` (the types `JSONDecoder` reads as JSON scalars; anything else
    /// is decoded through its own `init(from:)`).
    static func decode<T: Decodable>(_ type: T.Type, from value: PackedValue, at path: PackedPlace) throws -> T {
        switch type {
        case is String.Type:
            guard case .string(let s) = value else { throw mismatch(type, value, path) }
            return s as! T
        case is Bool.Type:
            guard case .bool(let b) = value else { throw mismatch(type, value, path) }
            return b as! T
        case is Int.Type: return try integer(Int.self, value, path) as! T
        case is Int64.Type: return try integer(Int64.self, value, path) as! T
        case is Int32.Type: return try integer(Int32.self, value, path) as! T
        case is Int16.Type: return try integer(Int16.self, value, path) as! T
        case is Int8.Type: return try integer(Int8.self, value, path) as! T
        case is UInt.Type: return try integer(UInt.self, value, path) as! T
        case is UInt64.Type: return try integer(UInt64.self, value, path) as! T
        case is UInt32.Type: return try integer(UInt32.self, value, path) as! T
        case is UInt16.Type: return try integer(UInt16.self, value, path) as! T
        case is UInt8.Type: return try integer(UInt8.self, value, path) as! T
        case is Double.Type: return try floating(value, path) as! T
        case is Float.Type: return try float(value, path) as! T
        default: return try T(from: PackedTreeDecoder(value, path: path.node))
        }
    }

    static func integer<I: FixedWidthInteger>(_ type: I.Type, _ value: PackedValue, _ path: PackedPlace) throws -> I {
        switch value {
        case .int(let v):
            if let i = I(exactly: v) { return i }
        case .number(let text):
            if let i = I(text) { return i }
            if let d = Double(text), d.rounded() == d, let i = I(exactly: d) { return i }
        default:
            throw mismatch(type, value, path)
        }
        throw DecodingError.dataCorrupted(.init(codingPath: path.keys, debugDescription: "number does not fit in \(type)"))
    }

    static func floating(_ value: PackedValue, _ path: PackedPlace) throws -> Double {
        switch value {
        case .int(let v): return Double(v)
        case .number(let text):
            // As `JSONDecoder`: a literal beyond the type's range is refused, not read as infinity.
            guard let d = Double(text), d.isFinite else {
                throw DecodingError.dataCorrupted(.init(codingPath: path.keys, debugDescription: "number \(text) does not fit in Double"))
            }
            return d
        default: throw mismatch(Double.self, value, path)
        }
    }

    /// ``floating(_:_:)`` as a `Float`, refused when it does not fit.
    static func float(_ value: PackedValue, _ path: PackedPlace) throws -> Float {
        let f = Float(try floating(value, path))
        guard f.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: path.keys, debugDescription: "number does not fit in Float"))
        }
        return f
    }
}

/// A key the containers put on coding paths: a name, or an array position (named only when a
/// path is made).
private enum PackedKey: CodingKey {
    case name(String)
    case position(Int)

    init(stringValue: String) { self = .name(stringValue) }
    init(intValue: Int) { self = .position(intValue) }

    var stringValue: String {
        switch self {
        case .name(let s): return s
        case .position(let i): return "Index \(i)"
        }
    }

    var intValue: Int? {
        if case .position(let i) = self { return i }
        return nil
    }
}

/// Where a value is: its parent's path and its key there (none for the root), made into a path
/// node only when the value is decoded through a decoder of its own or an error names it.
struct PackedPlace {
    let parent: PackedPath?
    let key: (any CodingKey)?

    /// The path node of the value.
    var node: PackedPath? { key.map { PackedPath(parent, $0) } ?? parent }
    /// The coding path of the value.
    var keys: [any CodingKey] { PackedPath.keys(node) }
}

/// One step of a coding path: the key of a value within its parent's.
final class PackedPath {
    let parent: PackedPath?
    let key: any CodingKey

    init(_ parent: PackedPath?, _ key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    /// The coding path `path` stands for, outermost key first.
    static func keys(_ path: PackedPath?) -> [any CodingKey] {
        var out: [any CodingKey] = []
        var node = path
        while let n = node {
            out.append(n.key)
            node = n.parent
        }
        return out.reversed()
    }
}

/// An object's members, looked up by key: by a search of the members for a model type's few
/// dozen fields, through an index for a larger object (a dictionary's entries).
private struct PackedKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [(key: String, value: PackedValue)]
    let path: PackedPath?
    var codingPath: [any CodingKey] { PackedPath.keys(path) }
    /// Each key's first member, for objects past ``indexed`` members.
    private let index: [String: Int]?
    private static var indexed: Int { 16 }

    init(members: [(key: String, value: PackedValue)], path: PackedPath?) {
        self.members = members
        self.path = path
        if members.count > Self.indexed {
            var index: [String: Int] = [:]
            index.reserveCapacity(members.count)
            for (i, m) in members.enumerated() where index[m.key] == nil { index[m.key] = i }
            self.index = index
        } else {
            index = nil
        }
    }

    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { lookup(key.stringValue) != nil }

    private func lookup(_ key: Key) -> PackedValue? { lookup(key.stringValue) }

    private func lookup(_ name: String) -> PackedValue? {
        if let index { return index[name].map { members[$0].value } }
        for m in members where m.key == name { return m.value }
        return nil
    }

    private func required(_ key: Key) throws -> PackedValue {
        guard let v = lookup(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\""))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try required(key) { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try PackedTreeDecoder.decode(type, from: try required(key), at: PackedPlace(parent: path, key: key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = lookup(key) else { return nil }
        if case .null = v { return nil }
        return try PackedTreeDecoder.decode(type, from: v, at: PackedPlace(parent: path, key: key))
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type, key) }

    private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try PackedTreeDecoder.decode(type, from: try required(key), at: PackedPlace(parent: path, key: key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try PackedTreeDecoder(try required(key), path: PackedPath(path, key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try PackedTreeDecoder(try required(key), path: PackedPath(path, key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        PackedTreeDecoder(lookup("super") ?? .null, path: PackedPath(path, PackedKey.name("super")))
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        PackedTreeDecoder(lookup(key) ?? .null, path: PackedPath(path, key))
    }
}

/// An array's items, read front to back.
private struct PackedUnkeyedContainer: UnkeyedDecodingContainer {
    let items: [PackedValue]
    let path: PackedPath?
    var codingPath: [any CodingKey] { PackedPath.keys(path) }
    private(set) var currentIndex = 0

    init(items: [PackedValue], path: PackedPath?) {
        self.items = items
        self.path = path
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    /// The current item's place.
    private var item: PackedPlace { PackedPlace(parent: path, key: PackedKey.position(currentIndex)) }

    private func current(_ type: Any.Type) throws -> PackedValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: item.keys, debugDescription: "unkeyed container is at its end"))
        }
        return items[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        guard case .null = try current(Never.self) else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try PackedTreeDecoder.decode(type, from: try current(type), at: item)
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let container = try PackedTreeDecoder(try current(type), path: item.node).container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let container = try PackedTreeDecoder(try current([Any].self), path: item.node).unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = PackedTreeDecoder(try current(Any.self), path: item.node)
        currentIndex += 1
        return decoder
    }
}

/// One value.
private struct PackedSingleValue: SingleValueDecodingContainer {
    let value: PackedValue
    let path: PackedPath?
    var codingPath: [any CodingKey] { PackedPath.keys(path) }
    private var place: PackedPlace { PackedPlace(parent: path, key: nil) }

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try PackedTreeDecoder.decode(type, from: value, at: place) }
    func decode(_ type: Bool.Type) throws -> Bool { try PackedTreeDecoder.decode(type, from: value, at: place) }
    func decode(_ type: String.Type) throws -> String { try PackedTreeDecoder.decode(type, from: value, at: place) }
    func decode(_ type: Double.Type) throws -> Double { try PackedTreeDecoder.floating(value, place) }
    func decode(_ type: Float.Type) throws -> Float { try PackedTreeDecoder.float(value, place) }
    func decode(_ type: Int.Type) throws -> Int { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: Int8.Type) throws -> Int8 { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: Int16.Type) throws -> Int16 { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: Int32.Type) throws -> Int32 { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: Int64.Type) throws -> Int64 { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: UInt.Type) throws -> UInt { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try PackedTreeDecoder.integer(type, value, place) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try PackedTreeDecoder.integer(type, value, place) }
}

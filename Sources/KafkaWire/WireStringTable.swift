/// A fixed set of strings found by their UTF-8 bytes: a reader that meets one of them on the wire
/// gets the table's string (``WireReader/readString(compact:field:from:)``) without making a new
/// string or hashing one. Each string's number is its position in ``strings`` (the first of equal
/// ones; later duplicates are left out).
public struct WireStringTable: Sendable, Hashable {
    /// The strings, in the order given, each once.
    public let strings: [String]
    /// Every string's UTF-8 bytes, one after another.
    private let utf8: [UInt8]
    /// Where each string's bytes end in ``utf8`` (the first starts at 0).
    private let ends: [Int]
    /// Open addressing by hash: a string's number, or -1 for an empty slot. Its count is a power of
    /// two at least twice the number of strings.
    private let slots: [Int32]

    /// A table of `strings`.
    public init(_ strings: some Sequence<String>) {
        var kept: [String] = []
        var utf8: [UInt8] = []
        var ends: [Int] = []
        let given = Array(strings)
        var capacity = 1
        while capacity < given.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: given.isEmpty ? 0 : capacity)
        for s in given {
            var s = s
            let start = utf8.count
            s.withUTF8 { utf8.append(contentsOf: $0) }
            let hash = utf8.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[start...])) }
            // Left out when an equal string is in already.
            var slot = hash & (capacity - 1)
            var duplicate = false
            while slots[slot] >= 0 {
                let other = Int(slots[slot])
                let otherStart = other == 0 ? 0 : ends[other - 1]
                if utf8[otherStart..<ends[other]].elementsEqual(utf8[start...]) {
                    duplicate = true
                    break
                }
                slot = (slot + 1) & (capacity - 1)
            }
            if duplicate {
                utf8.removeSubrange(start...)
                continue
            }
            slots[slot] = Int32(kept.count)
            kept.append(s)
            ends.append(utf8.count)
        }
        self.strings = kept
        self.utf8 = utf8
        self.ends = ends
        self.slots = slots
    }

    /// Whether the table has no strings.
    public var isEmpty: Bool { strings.isEmpty }

    /// The number of the string whose UTF-8 bytes are `bytes`, nil when none is.
    public func number(ofUTF8 bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        if slots.isEmpty { return nil }
        let mask = slots.count - 1
        var slot = Self.hash(bytes) & mask
        return utf8.withUnsafeBufferPointer { all -> Int? in
            slots.withUnsafeBufferPointer { slots -> Int? in
                while true {
                    let n = Int(slots[slot])
                    if n < 0 { return nil }
                    let start = n == 0 ? 0 : ends[n - 1]
                    if ends[n] - start == bytes.count {
                        var i = 0
                        while i < bytes.count, all[start + i] == bytes[i] { i += 1 }
                        if i == bytes.count { return n }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// The number of the string equal to `string` (by its UTF-8 bytes), nil when none is.
    public func number(of string: String) -> Int? {
        var string = string
        return string.withUTF8 { number(ofUTF8: $0) }
    }

    /// The table's string equal to `string`, or `string` itself when the table has none.
    public func interned(_ string: String) -> String {
        number(of: string).map { strings[$0] } ?? string
    }

    /// FNV-1a over the bytes, its high bits folded into the low ones (the slot is taken from those).
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        h ^= h >> 29
        return Int(truncatingIfNeeded: h & 0x7fff_ffff_ffff_ffff)
    }
}

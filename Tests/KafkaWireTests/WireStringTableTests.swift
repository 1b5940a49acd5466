import KafkaWire
import SeededRandom
import Testing

@Suite("WireStringTable: strings found by their bytes")
struct WireStringTableTests {
    static let names = [
        "orders", "payments", "", "a-very-long-topic-name-beyond-the-small-string-limit", "évènements", "t",
        "orders-dlq", "x",
    ]

    /// Whether two strings share one storage (the same string, not merely equal ones).
    static func same(_ a: String, _ b: String) -> Bool {
        unsafeBitCast(a, to: (UInt64, UInt64).self) == unsafeBitCast(b, to: (UInt64, UInt64).self)
    }

    @Test("each string is found by its bytes at its number; others are not; duplicates count once")
    func lookup() {
        let table = WireStringTable(Self.names + ["orders", "t"])
        #expect(table.strings == Self.names)
        for (n, name) in Self.names.enumerated() {
            #expect(table.number(of: String(decoding: Array(name.utf8), as: UTF8.self)) == n)
        }
        for other in ["order", "orders ", "ORDERS", "y", "evenements", "orders-dl"] { #expect(table.number(of: other) == nil) }
        #expect(table.interned("zzz") == "zzz")
        #expect(Self.same(table.interned(String(decoding: Array("orders".utf8), as: UTF8.self)), table.strings[0]))
        #expect(WireStringTable([String]()).isEmpty && WireStringTable([String]()).number(of: "orders") == nil)
        // Many strings: every one found, none confused with another.
        let many = (0..<5000).map { "scale-topic-\($0)" }
        let big = WireStringTable(many)
        #expect(many.indices.allSatisfy { big.number(of: many[$0]) == $0 })
        #expect(big.number(of: "scale-topic-5000") == nil)
    }

    /// Reads with `readString(compact:field:)` and with the table, from the same bytes.
    static func both(_ bytes: [UInt8], compact: Bool, table: WireStringTable) -> (Result<String, WireError>, Result<String, WireError>, Int, Int) {
        var plain = WireReader(bytes)
        var tabled = WireReader(bytes)
        let a = Result { () throws(WireError) in try plain.readString(compact: compact, field: "name") }
        let b = Result { () throws(WireError) in try tabled.readString(compact: compact, field: "name", from: table) }
        return (a, b, plain.offset, tabled.offset)
    }

    @Test("readString(from:) reads what readString reads, with the same errors, and the table's string when it has one")
    func readsAsReadString() {
        let table = WireStringTable(Self.names)
        var rng = SplitMix64(seed: 41)
        for trial in 0..<3000 {
            let compact = trial % 2 == 0
            var w = WireWriter()
            let name: String? = rng.below(8) == 0 ? nil : rng.below(4) == 0 ? "unlisted-\(rng.below(9))" : Self.names[rng.below(Self.names.count)]
            w.writeNullableString(name, compact: compact)
            var bytes = w.bytes
            // Damaged or cut at times: the errors must be the plain reader's.
            if rng.below(3) == 0, !bytes.isEmpty { bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            if rng.below(4) == 0 { bytes = Array(bytes.prefix(rng.below(bytes.count + 1))) }
            let (a, b, offsetA, offsetB) = Self.both(bytes, compact: compact, table: table)
            #expect(a == b, "trial \(trial)")
            #expect(offsetA == offsetB, "trial \(trial)")
            if case let .success(s) = b, let n = table.number(of: s) { #expect(Self.same(s, table.strings[n])) }
        }
    }
}

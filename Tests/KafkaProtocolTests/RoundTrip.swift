import SeededRandom
import KafkaWire
import Testing


/// Random primitive values for the generated `random(version:using:)` helpers.
enum RandomWire {
    static func integer<T: FixedWidthInteger, G: RandomNumberGenerator>(_ g: inout G) -> T {
        // Favour the edges, where encoders go wrong.
        switch Int.random(in: 0..<6, using: &g) {
        case 0: return T.min
        case 1: return T.max
        case 2: return 0
        default: return T.random(in: T.min...T.max, using: &g)
        }
    }

    static func double<G: RandomNumberGenerator>(_ g: inout G) -> Double { Double.random(in: -1e9...1e9, using: &g) }
    static func bool<G: RandomNumberGenerator>(_ g: inout G) -> Bool { Bool.random(using: &g) }
    static func uuid<G: RandomNumberGenerator>(_ g: inout G) -> KafkaUUID { KafkaUUID(high: g.next(), low: g.next()) }

    static func string<G: RandomNumberGenerator>(_ g: inout G) -> String {
        let pieces = ["", "a", "orders", "kgtop-ü", "группа", "🦀", "x.y_z-1", "/10.0.0.5"]
        return (0..<Int.random(in: 0...2, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
    }

    static func bytes<G: RandomNumberGenerator>(_ g: inout G) -> [UInt8] {
        (0..<Int.random(in: 0...12, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    static func array<T, G: RandomNumberGenerator>(_ g: inout G, _ element: (inout G) -> T) -> [T] {
        (0..<Int.random(in: 0...3, using: &g)).map { _ in element(&g) }
    }
}

/// Checks both directions for a message type at one version: value -> bytes -> value, and
/// bytes -> value -> the same bytes.
enum RoundTrip {
    static let iterations = 25

    static func check<M: KafkaMessage>(
        _ type: M.Type, version: Int16,
        _ make: (Int16, inout SplitMix64) -> M
    ) throws {
        var seed: UInt64 = 1469598103934665603
        for byte in M.messageName.utf8 { seed = (seed ^ UInt64(byte)) &* 1099511628211 }
        var g = SplitMix64(seed: seed ^ UInt64(UInt16(bitPattern: version)))
        for _ in 0..<iterations {
            let value = make(version, &g)
            let bytes = try value.encoded(version: version)
            let decoded = try M.decode(bytes, version: version)
            #expect(decoded == value, "\(M.messageName) v\(version) did not survive encode/decode")
            let again = try decoded.encoded(version: version)
            #expect(again == bytes, "\(M.messageName) v\(version) re-encoded to different bytes")
        }
    }
}

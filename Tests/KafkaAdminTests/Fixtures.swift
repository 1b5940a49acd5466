import Foundation

/// One wire capture from a real Kafka-protocol server (the shared fixtures folder beside the package).
struct WireFixture: Sendable {
    let file: String
    let apiKey: Int16
    let apiVersion: Int16
    let request: [UInt8]
    let response: [UInt8]

    /// The shared fixtures folder (`KGTOP_SHARED`, or `../shared` beside the package), nil when absent.
    static let folder: URL? = {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            ProcessInfo.processInfo.environment["KGTOP_SHARED"].map { URL(fileURLWithPath: $0) },
            packageRoot.deletingLastPathComponent().appendingPathComponent("shared"),
        ].compactMap { $0 }
        for base in candidates {
            let wire = base.appendingPathComponent("fixtures/wire")
            if FileManager.default.fileExists(atPath: wire.path) { return wire }
        }
        return nil
    }()

    static var available: Bool { folder != nil }

    static func named(_ name: String) -> WireFixture? {
        guard let folder, let data = try? Data(contentsOf: folder.appendingPathComponent(name)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let key = object["api_key"] as? Int, let version = object["api_version"] as? Int,
              let req = object["request_body_hex"] as? String, let resp = object["response_body_hex"] as? String
        else { return nil }
        return WireFixture(file: name, apiKey: Int16(key), apiVersion: Int16(version), request: hex(req), response: hex(resp))
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = s.utf8.makeIterator()
        while let a = chars.next(), let b = chars.next() { out.append(nibble(a) << 4 | nibble(b)) }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return 0
        }
    }
}

import Foundation

/// One wire capture from a real Kafka-protocol server (`fixtures/wire/*.json` in the shared
/// folder): an API key and version with the request and response bodies.
public struct WireFixture: Sendable, CustomStringConvertible {
    /// The capture's file name.
    public let file: String
    /// The request's API key.
    public let apiKey: Int16
    /// The request's API version.
    public let apiVersion: Int16
    /// The request body (after the header).
    public let request: [UInt8]
    /// The response body (after the header).
    public let response: [UInt8]

    /// The file name.
    public var description: String { file }

    /// The captures folder: `fixtures/wire` in `KGTOP_SHARED`, else in `shared` beside the
    /// repository; nil when absent.
    public static let folder: URL? = {
        for base in [ProcessInfo.processInfo.environment["KGTOP_SHARED"].map { URL(fileURLWithPath: $0) },
                     Repository.root.deletingLastPathComponent().appendingPathComponent("shared")].compactMap({ $0 }) {
            let wire = base.appendingPathComponent("fixtures/wire")
            if FileManager.default.fileExists(atPath: wire.path) { return wire }
        }
        return nil
    }()

    /// Whether the captures are there.
    public static var available: Bool { folder != nil }

    /// Every capture, sorted by file name (empty when the folder is absent).
    public static let all: [WireFixture] = {
        guard let folder else { return [] }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return files.compactMap { load(folder.appendingPathComponent($0)) }
    }()

    /// The capture named `name`, nil when absent or unreadable.
    public static func named(_ name: String) -> WireFixture? { all.first { $0.file == name } }

    /// Reads one capture file; nil when it is not one.
    public static func load(_ url: URL) -> WireFixture? {
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let key = object["api_key"] as? Int, let version = object["api_version"] as? Int,
              let req = object["request_body_hex"] as? String, let resp = object["response_body_hex"] as? String
        else { return nil }
        return WireFixture(file: url.lastPathComponent, apiKey: Int16(key), apiVersion: Int16(version), request: hex(req), response: hex(resp))
    }

    /// Bytes from hex digits (pairs; a stray last digit is ignored).
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = s.utf8.makeIterator()
        while let a = chars.next(), let b = chars.next() { out.append(nibble(a) << 4 | nibble(b)) }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return 0
        }
    }
}

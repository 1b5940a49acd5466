import ArgumentParser
import Foundation

/// Generates `Sources/KafkaProtocol/Generated` (and the round-trip test helpers) from Kafka's message
/// definitions, or checks that the committed files are current.
@main
struct ProtocolGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ProtocolGen",
        abstract: "Generate kgtop's Kafka protocol types from Kafka's JSON message definitions.",
        discussion: """
            Reads every *Request.json, *Response.json and data definition in the specs folder and writes one
            Swift file per API into Sources/KafkaProtocol/Generated, plus random-value helpers for the
            round-trip tests into Tests/KafkaProtocolTests/Generated. With --check it writes nothing and
            exits 1 when the committed files differ from what it would write.
            """)

    @Option(name: .long, help: "Folder of Kafka message definitions (a Kafka checkout's clients/src/main/resources/common/message works too). Default: ../shared/kafka-message-specs beside the package.")
    var specs: String?

    @Option(name: .long, help: "Package root. Default: the nearest folder upwards with a Package.swift.")
    var root: String?

    @Flag(name: .long, help: "Compare instead of writing; exit 1 on any difference.")
    var check = false

    /// API names whose definitions are read. A Kafka checkout has many more; kgtop generates what it uses.
    static let apis: Set<String> = [
        "ApiVersions", "Metadata", "FindCoordinator", "ListGroups", "DescribeGroups", "ConsumerGroupDescribe",
        "ConsumerGroupHeartbeat", "OffsetFetch", "ListOffsets", "DescribeCluster", "DescribeConfigs", "SaslHandshake",
        "SaslAuthenticate", "ShareGroupDescribe", "StreamsGroupDescribe", "JoinGroup", "SyncGroup", "Heartbeat",
        "LeaveGroup", "OffsetCommit", "DeleteGroups", "Produce", "Fetch", "CreateTopics", "InitProducerId",
        "OffsetForLeaderEpoch",
    ]
    static let dataMessages: Set<String> = ["ConsumerProtocolSubscription", "ConsumerProtocolAssignment"]

    func run() throws {
        let fm = FileManager.default
        let rootURL = try findRoot()
        let specsURL = specs.map { URL(fileURLWithPath: $0) }
            ?? rootURL.deletingLastPathComponent().appendingPathComponent("shared/kafka-message-specs")
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: specsURL.path, isDirectory: &isDir), isDir.boolValue else {
            throw ValidationError("no message definitions at \(specsURL.path): pass --specs DIR (a folder of Kafka's *.json message definitions)")
        }
        let files = try fm.contentsOfDirectory(atPath: specsURL.path).filter { $0.hasSuffix(".json") }.sorted()
        var messages: [String: MessageSpec] = [:]
        for file in files {
            let base = String(file.dropLast(5))
            let api = base.hasSuffix("Request") ? String(base.dropLast(7)) : base.hasSuffix("Response") ? String(base.dropLast(8)) : base
            guard Self.apis.contains(api) || Self.dataMessages.contains(base) else { continue }
            let spec = try MessageSpec(url: specsURL.appendingPathComponent(file))
            messages[spec.name] = spec
        }

        var outputs: [String: String] = [:]  // path relative to root -> contents
        var registry: [(key: Int, name: String, versions: ClosedRange<Int>, flexible: Int?)] = []
        var testParts: [String] = []
        var testCases: [(type: String, fn: String)] = []

        for api in Self.apis.sorted() {
            guard let request = messages["\(api)Request"], let response = messages["\(api)Response"] else {
                throw GenError.spec("missing \(api)Request.json or \(api)Response.json in \(specsURL.path)")
            }
            guard let key = request.apiKey, key == response.apiKey else { throw GenError.spec("\(api): apiKey missing or different") }
            var lines = [Emitter.banner, "// Sources: \(request.fileName), \(response.fileName).", "", "import KafkaWire", ""]
            let reqEmitter = try Emitter(message: request)
            let respEmitter = try Emitter(message: response)
            lines += try reqEmitter.declaration(role: "request", apiName: api)
            lines.append("")
            lines += try respEmitter.declaration(role: "response", apiName: api)
            let file = String(format: "%03d-%@.swift", key, api)
            outputs["Sources/KafkaProtocol/Generated/\(file)"] = lines.joined(separator: "\n") + "\n"
            registry.append((key, api, request.validRange, request.flexibleVersions.clamped(to: request.validRange)?.lowerBound))
            testParts += reqEmitter.randomExtension() + [""] + respEmitter.randomExtension() + [""]
            testCases.append((request.name, "\(lowerFirst(api))Request"))
            testCases.append((response.name, "\(lowerFirst(api))Response"))
        }
        for name in Self.dataMessages.sorted() {
            guard let spec = messages[name] else { throw GenError.spec("missing \(name).json in \(specsURL.path)") }
            let emitter = try Emitter(message: spec)
            var lines = [Emitter.banner, "// Source: \(spec.fileName).", "", "import KafkaWire", ""]
            lines += try emitter.declaration(role: "data", apiName: name)
            outputs["Sources/KafkaProtocol/Generated/Data-\(name).swift"] = lines.joined(separator: "\n") + "\n"
            testParts += emitter.randomExtension() + [""]
            testCases.append((name, lowerFirst(name)))
        }

        // Registry of APIs.
        var reg = [Emitter.banner, "", "/// What kgtop's generated code knows about one Kafka API."]
        reg += [
            "public struct KafkaAPIInfo: Sendable, Hashable {",
            "    /// The API key.",
            "    public let key: Int16",
            "    /// The API's name, e.g. `ListGroups`.",
            "    public let name: String",
            "    /// The request versions in the definitions.",
            "    public let versions: ClosedRange<Int16>",
            "    /// The first flexible version, if any.",
            "    public let firstFlexibleVersion: Int16?",
            "",
            "    /// Whether `version` of this API uses the flexible encoding (and so request header v2).",
            "    public func isFlexible(_ version: Int16) -> Bool { firstFlexibleVersion.map { version >= $0 } ?? false }",
            "}",
            "",
            "/// Every API with generated types, by key.",
            "public enum KafkaAPIs {",
            "    /// All generated APIs, ordered by key.",
            "    public static let all: [KafkaAPIInfo] = [",
        ]
        for r in registry.sorted(by: { $0.key < $1.key }) {
            reg.append("        KafkaAPIInfo(key: \(r.key), name: \"\(r.name)\", versions: \(r.versions.lowerBound)...\(r.versions.upperBound), firstFlexibleVersion: \(r.flexible.map(String.init) ?? "nil")),")
        }
        reg += [
            "    ]",
            "",
            "    private static let byKey: [Int16: KafkaAPIInfo] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })",
            "",
            "    /// The API with `key`, nil when kgtop has no types for it.",
            "    public static func info(key: Int16) -> KafkaAPIInfo? { byKey[key] }",
            "}",
        ]
        outputs["Sources/KafkaProtocol/Generated/APIRegistry.swift"] = reg.joined(separator: "\n") + "\n"

        // Test helpers and one parameterised test per message.
        var tests = [Emitter.banner, "", "import KafkaProtocol", "import KafkaWire", "import Testing", ""]
        tests += testParts
        tests.append("/// Round trips of random values for every generated message at every valid version.")
        tests.append("@Suite(\"Generated messages round-trip at every version\")")
        tests.append("struct GeneratedRoundTripTests {")
        for c in testCases {
            tests.append("    @Test(\"\(c.type) round-trips\", arguments: Array(\(c.type).validVersions))")
            tests.append("    func \(c.fn)(version: Int16) throws {")
            tests.append("        try RoundTrip.check(\(c.type).self, version: version) { version, g in \(c.type).random(version: version, using: &g) }")
            tests.append("    }")
            tests.append("")
        }
        tests.append("}")
        outputs["Tests/KafkaProtocolTests/Generated/RandomMessages.swift"] = tests.joined(separator: "\n") + "\n"

        try emit(outputs, root: rootURL)
    }

    func lowerFirst(_ s: String) -> String { s.prefix(1).lowercased() + s.dropFirst() }

    func findRoot() throws -> URL {
        if let root { return URL(fileURLWithPath: root) }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while true {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { throw ValidationError("no Package.swift above the current folder: pass --root") }
            dir = parent
        }
    }

    /// Writes (or, with --check, compares) the outputs; stale generated files are removed or reported.
    func emit(_ outputs: [String: String], root: URL) throws {
        let fm = FileManager.default
        var drift: [String] = []
        let dirs = Set(outputs.keys.map { ($0 as NSString).deletingLastPathComponent })
        for dir in dirs {
            let url = root.appendingPathComponent(dir)
            let existing = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
            for file in existing where file.hasSuffix(".swift") && outputs["\(dir)/\(file)"] == nil {
                if check { drift.append("\(dir)/\(file) (not produced by the generator)") } else { try fm.removeItem(at: url.appendingPathComponent(file)) }
            }
        }
        for (path, text) in outputs.sorted(by: { $0.key < $1.key }) {
            let url = root.appendingPathComponent(path)
            let current = try? String(contentsOf: url, encoding: .utf8)
            if current == text { continue }
            if check {
                drift.append(path + (current == nil ? " (missing)" : " (differs)"))
            } else {
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: url, atomically: true, encoding: .utf8)
                print("wrote \(path)")
            }
        }
        if check {
            if drift.isEmpty {
                print("ProtocolGen --check: \(outputs.count) generated files are current.")
            } else {
                print("ProtocolGen --check: generated code is stale against the message definitions:")
                for d in drift { print("  \(d)") }
                print("Run `swift run ProtocolGen` and commit the result.")
                throw ExitCode(1)
            }
        } else {
            print("ProtocolGen: \(outputs.count) files up to date.")
        }
    }
}

import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import KgtopServe
import Monitor

@testable import KgtopCLI

/// A simulated cluster on a manual clock, polled by a monitor reading `clock` (shared by every
/// cluster of a test, so all times compare).
final class SimContext: Sendable {
    let name: String
    let cluster: SimCluster
    let sim: KafkaSimulator
    let admin: KafkaAdminClient
    let monitor: Monitor

    private init(name: String, cluster: SimCluster, sim: KafkaSimulator, admin: KafkaAdminClient, monitor: Monitor) {
        self.name = name
        self.cluster = cluster
        self.sim = sim
        self.admin = admin
        self.monitor = monitor
    }

    static func start(_ name: String, clock: KafkaSim.ManualClock) async throws -> SimContext {
        var config = SimConfig(brokerCount: 1)
        config.classicInitialRebalanceDelayMs = 0
        let cluster = SimCluster(config: config, clock: clock)
        let sim = try await KafkaSimulator.start(cluster: cluster, tickIntervalMs: nil)
        var adminConfig = AdminConfig(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: await sim.port(ofBroker: 1) ?? 0)])
        adminConfig.requestTimeout = .seconds(5)
        // A stopped cluster refuses connections at once; keep its failed polls short.
        adminConfig.connectionSetupTimeout = .seconds(1)
        adminConfig.reconnectBackoffMax = .milliseconds(200)
        let admin = KafkaAdminClient(config: adminConfig)
        let now: @Sendable () -> Int64 = { clock.nowMs() }
        let monitor = Monitor(poller: Poller(admin: admin, earliestEvery: 1, now: now), interval: .seconds(1), historyCapacity: 30, now: now)
        await monitor.setComputeTimeLags(true)
        return SimContext(name: name, cluster: cluster, sim: sim, admin: admin, monitor: monitor)
    }

    func served(intervalMs: Int64 = 1_000, filter: GroupFilter? = nil) -> ServedContext {
        ServedContext(name: name, monitor: monitor, intervalMs: intervalMs, accepts: { g in filter?.accepts(g) ?? true })
    }

    /// The group the serve tests watch: topic `orders` (6 partitions, 60 records/s) read by group
    /// `svc`, three KIP-848 members `svc-1` ... `svc-3`. Returns the members' handles.
    func addServiceGroup() async throws -> [String] {
        _ = try await cluster.createTopic("orders", partitions: 6)
        try await cluster.produce(topic: "orders", recordsPerSec: 60)
        var handles: [String] = []
        for i in 1...3 {
            handles.append(try await cluster.addMember(group: "svc", protocol: .consumer, topics: ["orders"], options: member("svc-\(i)")))
        }
        return handles
    }

    func shutdown() async {
        await admin.close()
        await sim.shutdown()
    }
}

func member(_ clientID: String) -> SimMemberOptions {
    var o = SimMemberOptions()
    o.clientID = clientID
    o.commitIntervalMs = 1_000
    return o
}

/// Parsed `/metrics` text: `name{labels}` -> value, and the `# TYPE` lines.
struct Scrape {
    var values: [String: Double] = [:]
    var types: [String: String] = [:]
    var text: String

    init(_ text: String) {
        self.text = text
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " ") else { continue }
            values[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
    }

    /// The value of the one sample whose name is `name` and whose labels include every `labels` pair.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matches = samples(name, labels)
        return matches.count == 1 ? matches[0].1 : nil
    }

    /// Every sample named `name` whose labels include `labels`.
    func samples(_ name: String, _ labels: [String: String] = [:]) -> [(String, Double)] {
        values.filter { key, _ in
            guard key == name || key.hasPrefix(name + "{") else { return false }
            return labels.allSatisfy { key.contains("\($0.key)=\"\($0.value)\"") }
        }.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
    }
}

/// Blocking TCP sockets to 127.0.0.1, for tests that talk to the server below HTTP.
enum RawSocket {
    /// How a connection ended.
    enum End: Equatable {
        /// The server closed it (end of stream, or a reset).
        case closed
        /// It was still open when the wait ran out.
        case stillOpen
        /// The server sent bytes.
        case data
    }

    /// A connected socket, or nil when the connection failed.
    static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Waits for the server to close a connection on which nothing was sent.
    static func readUntilClosed(_ fd: Int32, timeoutSeconds: Int32) -> End {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutSeconds * 1_000) > 0 else { return .stillOpen }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) > 0 ? .data : .closed
    }
}

/// A minimal HTTP/1.1 client on a blocking socket, run on its own thread: sends one GET and reads
/// until the server closes or `until` is satisfied by what arrived, or `timeoutMs` passes.
enum RawHTTP {
    struct Reply {
        var status: Int
        var headers: String
        var body: String
    }

    static func get(port: Int, _ target: String, accept: String? = nil, timeoutMs: Int32 = 10_000, until: (@Sendable (String) -> Bool)? = nil) async -> Reply? {
        await withCheckedContinuation { (c: CheckedContinuation<Reply?, Never>) in
            Thread { c.resume(returning: blockingGet(port: port, target, accept: accept, timeoutMs: timeoutMs, until: until)) }.start()
        }
    }

    private static func blockingGet(port: Int, _ target: String, accept: String?, timeoutMs: Int32, until: ((String) -> Bool)?) -> Reply? {
        guard let fd = RawSocket.connect(port: port) else { return nil }
        defer { close(fd) }
        var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let accept { request += "Accept: \(accept)\r\n" }
        request += "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1_000)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, deadline.timeIntervalSinceNow * 1_000))
            guard poll(&pfd, 1, min(left, 200)) >= 0 else { break }
            if pfd.revents == 0 { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
            if let until, until(String(decoding: data, as: UTF8.self)) { break }
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let head = String(text[..<split.lowerBound])
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        var body = String(text[split.upperBound...])
        if head.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Reply(status: status, headers: head, body: body)
    }

    /// Joins the chunks of a chunked body (as far as it arrived), working on bytes ("\r\n" is one
    /// Character in a Swift string).
    static func dechunk(_ s: String) -> String {
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard let lineEnd = (i..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self), radix: 16), size > 0
            else { break }
            let start = lineEnd + 2
            let end = min(bytes.count, start + size)
            out += bytes[start..<end]
            i = end + 2
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// promtool, when installed: tests that need it skip with a message locally and fail under CI.
enum Promtool {
    static var path: String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/promtool") {
            return "\(dir)/promtool"
        }
        return nil
    }

    static var requiredByCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Runs promtool with `arguments` and `input` on stdin: exit status and combined output.
    static func run(_ arguments: [String], input: String? = nil, in directory: String? = nil) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path ?? "/usr/bin/promtool")
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let stdin = Pipe()
        p.standardInput = stdin
        try p.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

import Foundation
import KgtopTestSupport
import GroupModel
import KafkaSim
import Testing
import Workload

/// Differential tests: a third-party implementation of the Kafka protocol (librdkafka 2.16's
/// AdminClient, through the venv's confluent-kafka) reads the same KafkaSim cluster as kgtop's
/// poller. The client and KafkaSim share one codec, so a mistake made on both sides is invisible
/// to the other tests; librdkafka decodes the simulator's bytes with its own code.
///
/// Every field both sides report is compared: group type and state, each member's client id, host,
/// instance id, current and target assignment, committed offsets and log-end offsets. A difference
/// is a bug in KafkaSim (it answered something librdkafka reads differently) or in kgtop.
@Suite(
    "Oracle: librdkafka reads what kgtop reads",
    .enabled(if: OracleEnv.python != nil, "set KGTOP_VENV (make test does) to run the differential tests"),
    .serialized)
struct OracleTests {
    struct Reading: Decodable {
        struct Member: Decodable {
            var memberID: String
            var clientID: String
            var host: String
            var instanceID: String?
            var assignment: [String]
            var target: [String]?
        }
        struct Described: Decodable {
            var state: String?
            var type: String?
            var assignor: String?
            var members: [Member]?
            var error: String?
        }
        var library: String
        var groups: [String: Described]
        var committed: [String: [String: Int64]]
        var ends: [String: Int64]
    }

    /// Runs the oracle script against `bootstrap`.
    static func read(_ bootstrap: String, groups: [String], topics: [String: Int]) async throws -> Reading {
        let python = try #require(OracleEnv.python)
        let script = OracleEnv.root.appendingPathComponent("scripts/oracle_describe.py").path
        let spec = topics.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
        let result = try await OracleEnv.run(python, [script, bootstrap, groups.joined(separator: ","), spec], timeout: 90)
        #expect(result.status == 0, "oracle_describe.py exited \(result.status): \(result.stderr)")
        return try JSONDecoder().decode(Reading.self, from: Data(result.stdout.utf8))
    }

    static func names(_ partitions: [TopicPartition]) -> [String] {
        partitions.map { "\($0.topic):\($0.partition)" }.sorted()
    }

    /// librdkafka's name for each of kgtop's group states (its enum has the classic states plus
    /// UNKNOWN; KIP-848's Assigning and Reconciling have no name of their own there).
    static func librdkafkaState(_ state: GroupState) -> Set<String> {
        switch state {
        case .stable: return ["STABLE"]
        case .empty: return ["EMPTY"]
        case .dead: return ["DEAD"]
        case .preparingRebalance: return ["PREPARING_REBALANCING", "PREPARING_REBALANCE"]
        case .completingRebalance: return ["COMPLETING_REBALANCING", "COMPLETING_REBALANCE"]
        case .assigning: return ["ASSIGNING", "UNKNOWN"]
        case .reconciling: return ["RECONCILING", "UNKNOWN"]
        default: return ["UNKNOWN"]
        }
    }

    /// Compares one group field by field; returns the differences in words.
    static func differences(_ g: Group, _ d: Reading.Described) -> [String] {
        var out: [String] = []
        if let error = d.error { return ["librdkafka could not describe it: \(error)"] }
        let expectedType = g.type.brokerString.uppercased()
        if d.type != expectedType { out.append("type: kgtop \(g.type.brokerString), librdkafka \(d.type ?? "nil")") }
        if !librdkafkaState(g.state).contains(d.state ?? "") {
            out.append("state: kgtop \(g.state.brokerString), librdkafka \(d.state ?? "nil")")
        }
        let theirs = Dictionary((d.members ?? []).map { ($0.memberID, $0) }, uniquingKeysWith: { a, _ in a })
        let ours = Dictionary(g.members.map { ($0.memberID, $0) }, uniquingKeysWith: { a, _ in a })
        if Set(theirs.keys) != Set(ours.keys) {
            out.append("members: kgtop \(ours.keys.sorted()), librdkafka \(theirs.keys.sorted())")
        }
        for (id, m) in ours {
            guard let t = theirs[id] else { continue }
            if m.clientID != t.clientID { out.append("\(id) client id: kgtop \(m.clientID), librdkafka \(t.clientID)") }
            if m.clientHost != t.host { out.append("\(id) host: kgtop \(m.clientHost), librdkafka \(t.host)") }
            if m.instanceID != t.instanceID { out.append("\(id) instance id: kgtop \(m.instanceID ?? "nil"), librdkafka \(t.instanceID ?? "nil")") }
            if names(m.assignment) != t.assignment { out.append("\(id) assignment: kgtop \(names(m.assignment)), librdkafka \(t.assignment)") }
            // librdkafka reports a target only for consumer-protocol groups (from ConsumerGroupDescribe).
            if g.type == .consumer, let target = m.targetAssignment, names(target) != (t.target ?? []) {
                out.append("\(id) target: kgtop \(names(target)), librdkafka \(t.target ?? [])")
            }
        }
        return out
    }

    @Test("Classic, consumer, mixed and reconciling groups, committed and end offsets: the same reading")
    func sameReading() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("orders", partitions: 6)
        try await c.createTopic("payments", partitions: 4)
        try await c.createTopic("audit", partitions: 3)
        for p in Int32(0)..<6 { _ = try await c.append(topic: "orders", partition: p, count: 10 + Int(p)) }
        for p in Int32(0)..<4 { _ = try await c.append(topic: "payments", partition: p, count: 7) }
        var o = SimMemberOptions()
        o.consumeRatePerSec = 0
        o.clientID = "orders-app"
        _ = try await c.addConsumerGroup("oracle-consumer", topics: ["orders"], members: 3, serverAssignor: "uniform", options: o)
        o.clientID = "payments-app"
        o.instanceID = nil
        _ = try await c.addClassicGroup("oracle-classic", topics: ["payments"], members: 2, assignor: .cooperativeSticky, options: o)
        o.clientID = "mixed-app"
        _ = try await c.addConsumerGroup("oracle-mixed", topics: ["orders"], members: 1, options: o)
        var classicMember = o
        classicMember.classicInConsumerGroup = true
        _ = try await c.addMember(group: "oracle-mixed", protocol: .consumer, topics: ["orders"], options: classicMember)
        o.clientID = "slow-app"
        let slow = try await c.addMember(group: "oracle-reconciling", protocol: .consumer, topics: ["audit"], options: o)
        await c.advance(by: 10_000)
        try await c.slowMember(slow, revocationDelayMs: 600_000)
        _ = try await c.addMember(group: "oracle-reconciling", protocol: .consumer, topics: ["audit"], options: o)
        await c.commitOffset(group: "oracle-empty", topic: "payments", partition: 1, offset: 3)
        await c.commitOffset(group: "oracle-classic", topic: "payments", partition: 0, offset: 5)
        await c.advance(by: 3_000)

        let snapshot = try await f.poll().snapshot
        let ids = ["oracle-classic", "oracle-consumer", "oracle-empty", "oracle-mixed", "oracle-reconciling"]
        let reading = try await Self.read(await f.sim.bootstrapServers(), groups: ids, topics: ["audit": 3, "orders": 6, "payments": 4])
        await f.stop()

        #expect(reading.library.hasPrefix("2.16"), "the oracle is librdkafka 2.16: \(reading.library)")
        #expect(snapshot.group("oracle-reconciling")?.state == .reconciling, "the scenario must catch a reconciliation")
        for id in ids {
            let g = try #require(snapshot.group(id), "kgtop lists \(id)")
            let d = try #require(reading.groups[id], "librdkafka describes \(id)")
            let diffs = Self.differences(g, d)
            #expect(diffs.isEmpty, "\(id): \(diffs.joined(separator: "; "))")

            let ours = Dictionary(g.partitions.compactMap { p in p.committedOffset.map { ("\(p.topicPartition.topic):\(p.topicPartition.partition)", $0) } },
                                  uniquingKeysWith: { a, _ in a })
            #expect(ours == (reading.committed[id] ?? [:]), "\(id) committed offsets")
            for p in g.partitions {
                let key = "\(p.topicPartition.topic):\(p.topicPartition.partition)"
                #expect(p.logEnd == reading.ends[key], "\(id) \(key) log end: kgtop \(p.logEnd.map(String.init) ?? "nil"), librdkafka \(reading.ends[key].map(String.init) ?? "nil")")
            }
        }
    }
}

/// Where the differential tests find Python with confluent-kafka, and how they run it.
enum OracleEnv {
    static let root = Repository.root

    static var python: String? {
        guard let venv = ProcessInfo.processInfo.environment["KGTOP_VENV"], !venv.isEmpty else { return nil }
        let python = venv + "/bin/python"
        return FileManager.default.isExecutableFile(atPath: python) ? python : nil
    }

    /// Runs a short-lived child with a hard deadline, waiting on a thread of its own (the
    /// simulator answering the child runs on the shared pool).
    static func run(_ executable: String, _ arguments: [String], timeout seconds: Int) async throws -> ChildProcess.Result {
        try await ChildProcess.runAsync(executable, arguments, timeout: .seconds(seconds))
    }
}

/// The second oracle: Debian's librdkafka (the one kgtop links for `load` and `rehearse`, 2.0.2)
/// describes the classic groups of the same cluster, in this process.
@Suite("Oracle: Debian's librdkafka describes classic groups as kgtop does", .serialized)
struct LinkedLibrdkafkaOracleTests {
    @Test("Range and cooperative-sticky groups, a static member and an empty group")
    func classicGroups() async throws {
        let f = try await SimFixture.start()
        let c = f.cluster
        try await c.createTopic("orders", partitions: 5)
        var o = SimMemberOptions()
        o.consumeRatePerSec = 0
        o.clientID = "range-app"
        _ = try await c.addClassicGroup("linked-range", topics: ["orders"], members: 2, assignor: .range, options: o)
        o.clientID = "sticky-app"
        _ = try await c.addClassicGroup("linked-sticky", topics: ["orders"], members: 3, assignor: .cooperativeSticky, options: o)
        o.clientID = "static-app"
        o.instanceID = "pod-0"
        _ = try await c.addClassicGroup("linked-static", topics: ["orders"], members: 1, assignor: .range, options: o)
        await c.commitOffset(group: "linked-empty", topic: "orders", partition: 2, offset: 1)
        await c.advance(by: 10_000)

        let snapshot = try await f.poll().snapshot
        let ids = ["linked-empty", "linked-range", "linked-static", "linked-sticky"]
        let described = try await WorkloadAdmin.describeConsumerGroups(
            ids, properties: ClientProperties(["bootstrap.servers": await f.sim.bootstrapServers()]))
        await f.stop()

        #expect(!WorkloadAdmin.librdkafkaVersion.isEmpty)
        #expect(described.map(\.groupID) == ids)
        for d in described {
            let g = try #require(snapshot.group(d.groupID))
            #expect(d.error == nil, "\(d.groupID): \(d.error ?? "")")
            #expect(d.state == g.state.brokerString, "\(d.groupID) state: librdkafka \(d.state), kgtop \(g.state.brokerString)")
            #expect(d.assignor == (g.assignor ?? ""), "\(d.groupID) assignor: librdkafka \(d.assignor), kgtop \(g.assignor ?? "nil")")
            let ours = g.members.sorted { $0.memberID < $1.memberID }.map {
                LibrdkafkaGroupDescription.Member(
                    memberID: $0.memberID, clientID: $0.clientID, host: $0.clientHost, instanceID: $0.instanceID,
                    assignment: OracleTests.names($0.assignment))
            }
            #expect(d.members == ours, "\(d.groupID) members differ:\n librdkafka \(d.members)\n kgtop      \(ours)")
        }
    }
}

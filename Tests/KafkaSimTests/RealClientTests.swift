import Foundation
import Testing

@testable import KafkaSim

/// Where the real-client tests find Python with confluent-kafka.
enum RealClientEnv {
    /// `$KGTOP_VENV/bin/python`, when it exists.
    static var python: String? {
        guard let venv = ProcessInfo.processInfo.environment["KGTOP_VENV"], !venv.isEmpty else { return nil }
        let python = venv + "/bin/python"
        return FileManager.default.isExecutableFile(atPath: python) ? python : nil
    }
}

/// Real librdkafka consumers (confluent-kafka from PyPI) against the simulator.
///
/// Needs `KGTOP_VENV` pointing at a virtualenv with `confluent-kafka==2.16.1`.
@Suite(
    "KafkaSim with real clients",
    .enabled(if: RealClientEnv.python != nil, "set KGTOP_VENV to a virtualenv with confluent-kafka==2.16.1 to run real-client tests"),
    .serialized)
struct RealClientTests {
    struct Summary: Decodable {
        var consumed: Int
        var duplicates: Int
        var missing: Int
        var commitFailures: Int?
        var fullRevokesOnJoin: Int
        var members: Int?
    }

    @Test(
        "Three consumers consume, commit, rebalance on leave and join; records consumed exactly once",
        .timeLimit(.minutes(3)),
        arguments: [("consumer", "uniform"), ("classic", "cooperative-sticky"), ("classic", "range")])
    func threeConsumers(groupProtocol: String, assignor: String) async throws {
        let line = try await Self.runClients(groupProtocol: groupProtocol, assignor: assignor, mode: "standard", name: "\(groupProtocol)-\(assignor)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(line.utf8))
        #expect(summary.consumed == 600)
        // Exactly once whenever every commit went through; a commit the coordinator rejected mid-rebalance
        // (e.g. a stale member epoch) makes that one record come again to its next owner, as on Kafka.
        #expect(summary.duplicates <= (summary.commitFailures ?? 0), "\(line)")
        #expect(summary.missing == 0)
        if assignor != "range" { #expect(summary.fullRevokesOnJoin == 0, "incremental rebalance expected: \(line)") }
    }

    /// Starts a 3-broker simulator, runs the client program in `mode`, returns its JSON summary line.
    static func runClients(
        groupProtocol: String, assignor: String, mode: String, name: String,
        inspect: (SimCluster, String) async -> Void = { _, _ in },
        during: (@Sendable (KafkaSimulator, String) async throws -> Void)? = nil
    ) async throws -> String {
        let python = try #require(RealClientEnv.python)
        var config = SimConfig(brokerCount: 3)
        config.consumerHeartbeatIntervalMs = 500
        config.classicInitialRebalanceDelayMs = 0
        let sim = try await KafkaSimulator.start(config: config, tickIntervalMs: 20)
        let topic = "real-\(name)"
        let group = "group-\(name)"
        try await sim.cluster.createTopic(topic, partitions: 6)
        let bootstrap = await sim.bootstrapServers()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kgtop-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scriptURL = dir.appendingPathComponent("real_clients.py")
        try Self.script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let stderrURL = dir.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [scriptURL.path, bootstrap, groupProtocol, assignor, topic, group, "200", "120", mode]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        // The script has its own deadline; the watchdog bounds the wait even if a client hangs.
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(150))
            if process.isRunning { process.terminate() }
        }
        let chaos = during.map { action in Task { try await action(sim, group) } }
        let status: Int32 = try await withCheckedThrowingContinuation { cont in
            process.terminationHandler = { cont.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { cont.resume(throwing: error) }
        }
        watchdog.cancel()
        try await chaos?.value
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        await inspect(sim.cluster, group)
        await sim.shutdown()
        try #require(status == 0, "client script failed: \(stderr.suffix(3000))")
        return String(decoding: stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    }

    @Test(
        "Online upgrade: a KIP-848 consumer joins a classic group; nothing lost, a record repeats only after a refused commit",
        .timeLimit(.minutes(3)),
        arguments: ["cooperative-sticky", "range"])
    func onlineUpgrade(assignor: String) async throws {
        var groupType: GroupProtocol?
        let line = try await Self.runClients(groupProtocol: "classic", assignor: assignor, mode: "migrate", name: "upgrade-\(assignor)") { cluster, group in
            groupType = await cluster.groupState(group)?.type
        }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(line.utf8))
        #expect(summary.consumed == 600)
        // As in threeConsumers: at-least-once, so a commit the coordinator refused during the
        // migration may bring its record again, once; nothing else may repeat and nothing be lost.
        #expect(summary.duplicates <= (summary.commitFailures ?? 0), "\(line)")
        #expect(summary.missing == 0, "\(line)")
        #expect(groupType == .consumer)
        #expect(summary.members == 3)
    }

    @Test(
        "Static membership: a restarted member gets its partitions back without disturbing the other",
        .timeLimit(.minutes(3)),
        arguments: [("consumer", "uniform"), ("classic", "range")])
    func staticMembers(groupProtocol: String, assignor: String) async throws {
        let line = try await Self.runClients(groupProtocol: groupProtocol, assignor: assignor, mode: "static", name: "static-\(groupProtocol)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(line.utf8))
        #expect(summary.consumed == 400)
        #expect(summary.duplicates == 0)
        #expect(summary.missing == 0)
        #expect(summary.fullRevokesOnJoin == 0, "the other static member saw a rebalance: \(line)")
        #expect(summary.members == 2, "the restarted member got different partitions: \(line)")
    }

    @Test(
        "Faults: the coordinator restarts and answers COORDINATOR_LOAD_IN_PROGRESS, clients recover and lose nothing",
        .timeLimit(.minutes(3)),
        arguments: ["consumer", "classic"])
    func faults(groupProtocol: String) async throws {
        let line = try await Self.runClients(
            groupProtocol: groupProtocol, assignor: groupProtocol == "consumer" ? "uniform" : "cooperative-sticky",
            mode: "standard", name: "faults-\(groupProtocol)",
            during: { sim, group in
            let coordinator = await sim.cluster.coordinator(for: group)
            try await Task.sleep(for: .seconds(2))
            try await sim.restartBroker(coordinator, downMs: 1_000)
            try await sim.setFaults(BrokerFaults(coordinatorError: 14), broker: coordinator)
            try await Task.sleep(for: .seconds(2))
            try await sim.setFaults(BrokerFaults(), broker: coordinator)
            })
        let summary = try JSONDecoder().decode(Summary.self, from: Data(line.utf8))
        #expect(summary.consumed == 600)
        #expect(summary.missing == 0)
    }

    /// The client program: a producer and three consumers, one leaving and one joining.
    static let script = #"""
import json, sys, threading, time
from confluent_kafka import Consumer, Producer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, protocol, assignor, topic, group = sys.argv[1:6]
N = int(sys.argv[6]) if len(sys.argv) > 6 else 300
DEADLINE = time.time() + float(sys.argv[7] if len(sys.argv) > 7 else 90)
log = lambda *a: print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)

def produce(start, count, acks="all"):
    p = Producer({"bootstrap.servers": bootstrap, "acks": acks, "linger.ms": 5})
    for i in range(start, start + count):
        p.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode())
    left = p.flush(20)
    if left: raise SystemExit(f"producer could not deliver {left} records")

lock = threading.Lock()
seen = {}          # value -> count
where = {}         # value -> [(consumer, partition, offset)], to explain duplicates
commit_failures = [0]  # commits the coordinator rejected (each may legitimately cause one redelivery)
events = []        # (consumer, kind, partitions)

class Worker(threading.Thread):
    def __init__(self, name, proto=None, instance=None):
        super().__init__(daemon=True)
        self.proto = proto or protocol
        self.name_ = name
        self.stop = threading.Event()
        self.assigned = set()
        conf = {"bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
                "enable.auto.commit": False, "auto.offset.reset": "earliest",
                "group.protocol": self.proto}
        if instance: conf["group.instance.id"] = instance
        if self.proto == "classic":
            conf.update({"partition.assignment.strategy": assignor, "session.timeout.ms": 10000,
                         "heartbeat.interval.ms": 500})
        self.c = Consumer(conf)
    def on_assign(self, c, parts):
        ps = sorted(p.partition for p in parts)
        with lock: events.append((self.name_, "assign", ps))
        self.assigned |= set(ps)
        if self.proto == "classic" and assignor == "cooperative-sticky":
            c.incremental_assign(parts)
    def on_revoke(self, c, parts):
        ps = sorted(p.partition for p in parts)
        with lock: events.append((self.name_, "revoke", ps, sorted(self.assigned)))
        self.assigned -= set(ps)
        if self.proto == "classic" and assignor == "cooperative-sticky":
            c.incremental_unassign(parts)
    def run(self):
        self.c.subscribe([topic], on_assign=self.on_assign, on_revoke=self.on_revoke)
        while not self.stop.is_set() and time.time() < DEADLINE:
            m = self.c.poll(0.2)
            if m is None: continue
            if m.error(): 
                log(self.name_, "error", m.error()); continue
            v = m.value().decode()
            with lock:
                seen[v] = seen.get(v, 0) + 1
                where.setdefault(v, []).append((self.name_, m.partition(), m.offset()))
            try:
                self.c.commit(message=m, asynchronous=False)
            except KafkaException as e:
                with lock: commit_failures[0] += 1
                log(self.name_, "commit failed", e)
        self.c.close()
        with lock: events.append((self.name_, "closed", []))

def wait(cond, what):
    while time.time() < DEADLINE:
        with lock:
            if cond(): return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}; consumed {len(seen)}; events {events}")

MODE = sys.argv[8] if len(sys.argv) > 8 else "standard"
if MODE == "migrate":
    # Two classic consumers, then a KIP-848 consumer joins: the group is upgraded online.
    produce(0, N)
    ws = [Worker("classic0"), Worker("classic1")]
    for w in ws: w.start()
    wait(lambda: len(seen) >= N and all(w.assigned for w in ws), "classic consumers consuming")
    time.sleep(1)
    m = Worker("modern", proto="consumer"); m.start(); ws.append(m)
    wait(lambda: bool(m.assigned), "KIP-848 consumer assigned")
    produce(N, 2 * N)
    wait(lambda: len(seen) >= 3 * N, "all records consumed after the upgrade")
    wait(lambda: all(w.assigned for w in ws), "every consumer owns partitions")
    gmembers = len([w for w in ws if w.assigned])
    for w in ws: w.stop.set()
    for w in ws: w.join(30)
    dups = {k: v for k, v in seen.items() if v > 1}
    missing = [i for i in range(3 * N) if f"v{i}" not in seen]
    print(json.dumps({"consumed": len(seen), "duplicates": len(dups), "missing": len(missing), "commitFailures": commit_failures[0], "events": events,
                      "fullRevokesOnJoin": 0, "members": gmembers}))
    sys.exit(0)

if MODE == "static":
    # Static members: one restarts within the session timeout; the other is not disturbed.
    produce(0, N)
    ws = [Worker("s0", instance="i0"), Worker("s1", instance="i1")]
    for w in ws: w.start()
    wait(lambda: len(seen) >= N and all(w.assigned for w in ws), "static members consuming")
    time.sleep(1)
    with lock: mark = len(events)
    before = sorted(ws[0].assigned)
    ws[0].stop.set(); ws[0].join(30)
    produce(N, N)
    again = Worker("s0-restarted", instance="i0"); again.start()
    wait(lambda: bool(again.assigned), "restarted static member assigned")
    wait(lambda: len(seen) >= 2 * N, "all records consumed after the restart")
    time.sleep(1)
    with lock: other = [e for e in events[mark:] if e[0] == "s1"]
    after = sorted(again.assigned)
    for w in (ws[1], again): w.stop.set()
    for w in (ws[1], again): w.join(30)
    dups = {k: v for k, v in seen.items() if v > 1}
    missing = [i for i in range(2 * N) if f"v{i}" not in seen]
    print(json.dumps({"consumed": len(seen), "duplicates": len(dups), "missing": len(missing), "commitFailures": commit_failures[0], "events": events,
                      "fullRevokesOnJoin": len(other), "members": 2 if before == after else 0}))
    sys.exit(0)

log("producing", N)
produce(0, N)
ws = [Worker(f"c{i}") for i in range(3)]
for w in ws: w.start()
wait(lambda: len(seen) >= N, "first batch consumed")
wait(lambda: all(w.assigned for w in ws), "all three consumers assigned")
log("phase 1 done; events", events)
# One leaves: its partitions move to the others.
ws[0].stop.set(); ws[0].join(30)
produce(N, N, acks="1")
wait(lambda: len(seen) >= 2 * N, "second batch consumed")
time.sleep(1)
# One joins: incremental protocols only revoke what moves.
mark = len(events)
w3 = Worker("c3"); w3.start(); ws.append(w3)
wait(lambda: bool(w3.assigned), "new consumer assigned")
produce(2 * N, N, acks="0")
wait(lambda: len(seen) >= 3 * N, "third batch consumed")
time.sleep(1)
with lock: late = events[mark:]
for w in ws[1:]: w.stop.set()
for w in ws[1:]: w.join(30)
dups = {k: v for k, v in seen.items() if v > 1}
missing = [i for i in range(3 * N) if f"v{i}" not in seen]
full_revokes = [e for e in late if e[1] == "revoke" and e[0] != "c3" and len(e) > 3 and set(e[2]) == set(e[3]) and e[2]]
print(json.dumps({"consumed": len(seen), "duplicates": len(dups), "missing": len(missing),
                  "commitFailures": commit_failures[0], "events": events, "fullRevokesOnJoin": len(full_revokes),
                  "duplicatedAt": {k: where[k] for k in sorted(dups)[:20]}}))
"""#
}

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
        var fullRevokesOnJoin: Int
    }

    @Test(
        "Three consumers consume, commit, rebalance on leave and join; records consumed exactly once",
        .timeLimit(.minutes(3)),
        arguments: [("consumer", "uniform"), ("classic", "cooperative-sticky"), ("classic", "range")])
    func threeConsumers(groupProtocol: String, assignor: String) async throws {
        let python = try #require(RealClientEnv.python)
        var config = SimConfig(brokerCount: 3)
        config.consumerHeartbeatIntervalMs = 500
        config.classicInitialRebalanceDelayMs = 0
        let sim = try await KafkaSimulator.start(config: config, tickIntervalMs: 20)
        let topic = "real-\(groupProtocol)-\(assignor)"
        let group = "group-\(groupProtocol)-\(assignor)"
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
        process.arguments = [scriptURL.path, bootstrap, groupProtocol, assignor, topic, group, "200", "120"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        let status: Int32 = try await withCheckedThrowingContinuation { cont in
            process.terminationHandler = { cont.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { cont.resume(throwing: error) }
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        await sim.shutdown()
        #expect(status == 0, "client script failed: \(stderr.suffix(3000))")
        guard status == 0 else { return }
        let line = String(decoding: stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        let summary = try JSONDecoder().decode(Summary.self, from: Data(line.utf8))
        #expect(summary.consumed == 600)
        #expect(summary.duplicates == 0)
        #expect(summary.missing == 0)
        if assignor != "range" { #expect(summary.fullRevokesOnJoin == 0, "incremental rebalance expected: \(line)") }
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
events = []        # (consumer, kind, partitions)

class Worker(threading.Thread):
    def __init__(self, name):
        super().__init__(daemon=True)
        self.name_ = name
        self.stop = threading.Event()
        self.assigned = set()
        conf = {"bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
                "enable.auto.commit": False, "auto.offset.reset": "earliest",
                "group.protocol": protocol}
        if protocol == "classic":
            conf.update({"partition.assignment.strategy": assignor, "session.timeout.ms": 10000,
                         "heartbeat.interval.ms": 500})
        self.c = Consumer(conf)
    def on_assign(self, c, parts):
        ps = sorted(p.partition for p in parts)
        with lock: events.append((self.name_, "assign", ps))
        self.assigned |= set(ps)
        if protocol == "classic" and assignor == "cooperative-sticky":
            c.incremental_assign(parts)
    def on_revoke(self, c, parts):
        ps = sorted(p.partition for p in parts)
        with lock: events.append((self.name_, "revoke", ps, sorted(self.assigned)))
        self.assigned -= set(ps)
        if protocol == "classic" and assignor == "cooperative-sticky":
            c.incremental_unassign(parts)
    def run(self):
        self.c.subscribe([topic], on_assign=self.on_assign, on_revoke=self.on_revoke)
        while not self.stop.is_set() and time.time() < DEADLINE:
            m = self.c.poll(0.2)
            if m is None: continue
            if m.error(): 
                log(self.name_, "error", m.error()); continue
            v = m.value().decode()
            with lock: seen[v] = seen.get(v, 0) + 1
            try:
                self.c.commit(message=m, asynchronous=False)
            except KafkaException as e:
                log(self.name_, "commit failed", e)
        self.c.close()
        with lock: events.append((self.name_, "closed", []))

def wait(cond, what):
    while time.time() < DEADLINE:
        with lock:
            if cond(): return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}; consumed {len(seen)}; events {events}")

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
                  "events": events, "fullRevokesOnJoin": len(full_revokes)}))
"""#
}

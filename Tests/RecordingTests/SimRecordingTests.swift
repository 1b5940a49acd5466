import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing
@testable import Recording
@testable import Replay

@Suite("End to end: record a KafkaSim rolling restart through the Monitor, replay it", .serialized)
struct SimRecordingTests {
    @Test("the replay derives the same episodes, events and verdicts as the live monitor did")
    func rollingRestart() async throws {
        let clock = ManualClock()
        let cluster = SimCluster(config: SimConfig(brokerCount: 3), clock: clock)
        let sim = try await KafkaSimulator.start(cluster: cluster, tickIntervalMs: nil)
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": await sim.bootstrapServers()])
        let poller = Poller(admin: admin, earliestEvery: 1, now: { clock.nowMs() })
        let monitor = Monitor(poller: poller, interval: .seconds(5), now: { clock.nowMs() })
        let dir = try Scenario.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sim.kgrec").path
        let header = RecordingHeader(kgtopVersion: "test", createdAt: clock.nowMs(), pollIntervalMs: 2_500, source: "KafkaSim rolling restart")
        let writer = try RecordingWriter(path: path, header: header, options: .init(keyframeInterval: 10, sync: .never))

        try await cluster.createTopic("orders", partitions: 6)
        try await cluster.produce(topic: "orders", recordsPerSec: 120)
        var options = SimMemberOptions()
        options.clientID = "order-service"
        let handles = try await cluster.addConsumerGroup("order-service", topics: ["orders"], members: 6, serverAssignor: "uniform", options: options)
        await cluster.advance(by: 10_000)

        var live: [MonitorUpdate] = []
        func poll() async throws {
            let update = await monitor.pollOnce()
            #expect(update.failure == nil)
            guard let snapshot = update.snapshot else { Issue.record("poll \(live.count) saw nothing"); return }
            try writer.append(snapshot)
            live.append(update)
        }
        for _ in 0..<3 {
            try await poll()
            await cluster.advance(by: 2_500)
        }
        // The rolling restart: each member stops cleanly and a replacement joins.
        for handle in handles {
            try await cluster.stopMember(handle)
            try await cluster.addMember(group: "order-service", protocol: .consumer, topics: ["orders"], options: options)
            for _ in 0..<4 {
                await cluster.advance(by: 2_500)
                try await poll()
            }
        }
        writer.close()
        await admin.close()
        await sim.shutdown()

        let liveFinished = try #require(live.last).finishedEpisodes
        #expect(liveFinished.count >= 1, "the rolling restart shows as rebalance episodes")
        #expect(liveFinished.allSatisfy { $0.groupID == "order-service" })

        // Replay from the file: the same derivation, poll by poll.
        let reader = try RecordingReader(path: path)
        #expect(reader.damage == nil)
        #expect(reader.pollCount == live.count)
        var derivation = RecordingDerivation()
        for (index, update) in live.enumerated() {
            let snapshot = try reader.snapshot(at: index)
            #expect(snapshot == update.snapshot?.normalized(), "poll \(index)")
            let poll = derivation.ingest(snapshot)
            #expect(poll.events == update.events, "poll \(index)")
            #expect(poll.episodeEvents == update.episodeEvents, "poll \(index)")
            #expect(poll.verdicts == update.verdicts, "poll \(index)")
            #expect(poll.newErrors == update.newErrors, "poll \(index)")
        }
        // And the replay session (what `kgtop replay --headless` plays) ends on the same episodes.
        let session = try ReplaySession(reader: reader, checkpointInterval: 8)
        #expect(session.episodes == liveFinished)
        let last = try session.update(at: reader.pollCount - 1, status: "end")
        #expect(last.isReplay)
        #expect(last.episodes?.filter { $0.endedAt != nil }.count == liveFinished.count)
        let middle = reader.pollCount / 2
        #expect(try session.derivation(at: middle).tracker == {
            var d = RecordingDerivation()
            for i in 0...middle { _ = d.ingest(try reader.snapshot(at: i)) }
            return d.tracker
        }())
    }
}

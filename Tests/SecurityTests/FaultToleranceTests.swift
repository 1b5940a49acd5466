import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import NIOCore
import NIOPosix
import Testing

/// A Monitor polling a simulated cluster while KafkaSim injects faults: the last good data is
/// kept with its age, each fault is reported once, and data is current again within two polls of
/// the fault healing.
@Suite("Fault tolerance (Monitor over KafkaSim faults)")
struct FaultToleranceTests {
    /// Short timeouts so faults show within a test's time.
    static let fastProperties = [
        "socket.connection.setup.timeout.ms": "1000",
        "socket.timeout.ms": "1000",
        "reconnect.backoff.ms": "20",
        "reconnect.backoff.max.ms": "100",
    ]

    static func withMonitor(
        brokers: Int = 3, _ body: (KafkaSimulator, Monitor) async throws -> Void
    ) async throws {
        try await Fixture.withSim(.plaintext, brokers: brokers) { sim in
            try await sim.cluster.addClassicGroup("audit", topics: ["orders"], members: 1)
            var props = await Fixture.properties(sim, [:])
            props.merge(fastProperties) { $1 }
            let (admin, monitor) = try Fixture.monitor(props)
            let first = await monitor.pollOnce()
            #expect(first.failure == nil && first.snapshot?.errors.isEmpty == true, "baseline: \(first.failure ?? "") \(first.snapshot?.errors ?? [])")
            do {
                try await body(sim, monitor)
            } catch {
                await admin.close()
                throw error
            }
            await admin.close()
        }
    }

    /// Whether an update shows everything, with no error.
    static func isCurrent(_ u: MonitorUpdate) -> Bool {
        u.failure == nil && (u.snapshot?.errors.isEmpty ?? false) && u.snapshot?.groups.allSatisfy { $0.error == nil } == true
    }

    /// Polls up to twice after a fault healed; the data must be current by then.
    static func expectCurrentWithinTwoPolls(_ monitor: Monitor, _ fault: String) async {
        var last: MonitorUpdate?
        for _ in 0..<2 {
            let u = await monitor.pollOnce()
            last = u
            if isCurrent(u) { return }
        }
        Issue.record("\(fault): not current within two polls after healing: failure=\(last?.failure ?? "nil") errors=\(last?.snapshot?.errors ?? [])")
    }

    /// Polls `count` times under a fault; returns the updates. Each fault shows in newErrors once.
    static func pollUnderFault(_ monitor: Monitor, count: Int = 3, _ fault: String) async -> [MonitorUpdate] {
        var updates: [MonitorUpdate] = []
        for _ in 0..<count { updates.append(await monitor.pollOnce()) }
        let reported = updates.flatMap(\.newErrors)
        #expect(!reported.isEmpty, "\(fault): no error was reported")
        // Later polls repeat nothing the first faulty poll already said.
        let repeats = updates.dropFirst(2).flatMap(\.newErrors)
        #expect(repeats.isEmpty, "\(fault): reported again: \(repeats)")
        return updates
    }

    @Test("A broker down mid-poll: partial data, its errors once, current again after it returns")
    func brokerDown() async throws {
        try await Self.withMonitor { sim, monitor in
            try await sim.setFaults(BrokerFaults(refuseConnections: true), broker: 2)
            let updates = await Self.pollUnderFault(monitor, "broker 2 down")
            for u in updates {
                #expect(u.failure == nil, "other brokers still answer: \(u.failure ?? "")")
                // Groups coordinated by the missing broker stay listed (last known data, with its error).
                #expect(Set(u.snapshot?.groups.map(\.groupID) ?? []) == ["audit", "billing"])
            }
            try await sim.setFaults(BrokerFaults(), broker: 2)
            await Self.expectCurrentWithinTwoPolls(monitor, "broker 2 down")
        }
    }

    @Test("Every broker down: the last good snapshot is kept, marked stale, with its age")
    func clusterDown() async throws {
        try await Self.withMonitor { sim, monitor in
            let good = await monitor.pollOnce()
            let goodAt = try #require(good.lastSuccessAt)
            for b in Int32(1)...3 { try await sim.setFaults(BrokerFaults(refuseConnections: true), broker: b) }
            let updates = await Self.pollUnderFault(monitor, "cluster down")
            for u in updates {
                #expect(u.isStale)
                #expect(u.failure != nil)
                #expect(u.lastSuccessAt == goodAt, "the age of the data shown is the last good poll's")
                #expect(u.snapshot?.takenAt == good.snapshot?.takenAt, "the last good snapshot is kept")
                #expect(u.snapshot?.groups.map(\.groupID) == good.snapshot?.groups.map(\.groupID))
            }
            #expect(updates.flatMap(\.newErrors).count == 1, "one fault, one report: \(updates.flatMap(\.newErrors))")
            for b in Int32(1)...3 { try await sim.setFaults(BrokerFaults(), broker: b) }
            await Self.expectCurrentWithinTwoPolls(monitor, "cluster down")
        }
    }

    @Test("A broker restarting between polls")
    func restart() async throws {
        try await Self.withMonitor { sim, monitor in
            for b in Int32(1)...3 {
                try await sim.restartBroker(b, downMs: 50)
                await Self.expectCurrentWithinTwoPolls(monitor, "broker \(b) restarted")
            }
        }
    }

    @Test("A connection reset mid-response")
    func resetMidResponse() async throws {
        try await Self.withMonitor { sim, monitor in
            try await sim.setFaults(BrokerFaults(closeMidResponse: true), broker: 1)
            _ = await Self.pollUnderFault(monitor, "reset mid-response")
            try await sim.setFaults(BrokerFaults(), broker: 1)
            await Self.expectCurrentWithinTwoPolls(monitor, "reset mid-response")
        }
    }

    // Not timed with the clock: the errors say which limit ended each request to the stalled
    // broker (socket.timeout.ms, 1 s, where the broker answers after 4 s), and a hang is caught by
    // the time limit.
    @Test("A stalled broker: its requests end at socket.timeout.ms and an update still arrives",
          .timeLimit(.minutes(2)))
    func stall() async throws {
        try await Self.withMonitor { sim, monitor in
            try await sim.setFaults(BrokerFaults(delayMs: 4000), broker: 2)
            for _ in 0..<2 {
                let u = await monitor.pollOnce()
                let snapshot = try #require(u.snapshot, "an update with a snapshot arrives")
                #expect(u.failure == nil)
                let stalled = snapshot.errors.filter { $0.brokerID == 2 }
                #expect(!stalled.isEmpty, "the stalled broker's requests are reported: \(snapshot.errors.map(\.message))")
                for e in stalled {
                    #expect(e.message.contains("within 1 s"), "ended by the 1 s socket timeout, not answered after 4 s: \(e.message)")
                }
            }
            try await sim.setFaults(BrokerFaults(), broker: 2)
            await Self.expectCurrentWithinTwoPolls(monitor, "stall")
        }
    }

    @Test("Coordinator errors (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) are reported once and heal",
          arguments: [Int16(16), Int16(14)])
    func coordinatorErrors(code: Int16) async throws {
        try await Self.withMonitor { sim, monitor in
            let coordinator = await sim.cluster.coordinator(for: "billing")
            try await sim.setFaults(BrokerFaults(coordinatorError: code), broker: coordinator)
            let updates = await Self.pollUnderFault(monitor, "coordinator error \(code)")
            for u in updates { #expect(u.failure == nil) }
            let last = try #require(updates.last?.snapshot)
            #expect(last.groups.contains { $0.groupID == "billing" }, "the group stays listed, with its error")
            try await sim.setFaults(BrokerFaults(), broker: coordinator)
            await Self.expectCurrentWithinTwoPolls(monitor, "coordinator error \(code)")
        }
    }

    // A hang is caught by the time limit, not by timing the polls (three take about 3 s alone and
    // took 28 s once on two cores shared with the whole test run).
    @Test("A server that answers garbage or an oversized frame: a clear error, reported once, no hang",
          .timeLimit(.minutes(3)), arguments: [GarbageServer.Mode.garbage, .oversized, .silent])
    func garbage(mode: GarbageServer.Mode) async throws {
        let server = try await GarbageServer.start(mode: mode)
        var props = ["bootstrap.servers": "127.0.0.1:\(server.port)"]
        props.merge(Self.fastProperties) { $1 }
        let (admin, monitor) = try Fixture.monitor(props)
        var updates: [MonitorUpdate] = []
        for _ in 0..<3 { updates.append(await monitor.pollOnce()) }
        await admin.close()
        await server.stop()
        for u in updates { #expect(u.failure != nil) }
        #expect(updates.flatMap(\.newErrors).count == 1, "\(updates.map(\.failure))")
        let text = updates.first?.failure ?? ""
        switch mode {
        case .garbage: #expect(text.contains("correlation") || text.contains("decode") || text.contains("closed"), "\(text)")
        case .oversized: #expect(text.contains("above the"), "\(text)")
        case .silent: #expect(text.contains("no answer"), "\(text)")
        }
    }
}

/// A tiny TCP server on 127.0.0.1 that misbehaves on every request.
final class GarbageServer: Sendable {
    enum Mode: String, Sendable, CustomStringConvertible {
        /// A well-framed answer of random bytes.
        case garbage
        /// A size prefix of 2 GiB.
        case oversized
        /// Reads and never answers.
        case silent
        var description: String { rawValue }
    }

    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.port = port
        self.channel = channel
        self.group = group
    }

    static func start(mode: Mode) async throws -> GarbageServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Answer(mode: mode))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return GarbageServer(port: channel.localAddress?.port ?? 0, channel: channel, group: group)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private final class Answer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let mode: Mode
        init(mode: Mode) { self.mode = mode }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var out = context.channel.allocator.buffer(capacity: 64)
            switch mode {
            case .garbage:
                var rng = SystemRandomNumberGenerator()
                out.writeInteger(Int32(40))
                for _ in 0..<40 { out.writeInteger(UInt8.random(in: 0...255, using: &rng)) }
            case .oversized:
                out.writeInteger(Int32.max)
                out.writeBytes([UInt8](repeating: 0x41, count: 32))
            case .silent:
                return
            }
            context.writeAndFlush(Self.wrapOutboundOut(out), promise: nil)
        }
    }
}

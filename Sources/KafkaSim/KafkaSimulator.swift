import KafkaWire
import KafkaWireNIO
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// An embedded Kafka cluster on loopback: one listener per broker in front of a ``SimCluster``.
///
/// ```swift
/// let sim = try await KafkaSimulator.start(config: SimConfig(brokerCount: 3))
/// try await sim.cluster.createTopic("orders", partitions: 12)
/// print(await sim.bootstrapServers())   // 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3
/// await sim.shutdown()
/// ```
public actor KafkaSimulator {
    /// The cluster behind the listeners.
    public nonisolated let cluster: SimCluster
    /// The settings it was started with.
    public nonisolated let config: SimConfig
    private let group: MultiThreadedEventLoopGroup
    private var listeners: [Int32: Listener] = [:]
    private var ports: [Int32: Int] = [:]
    private var connections: [Int32: [ObjectIdentifier: any Channel]] = [:]
    private var ticker: Task<Void, Never>?
    /// The listeners' TLS context (``SimConfig/security``), made once.
    private var tls: NIOSSLContext?
    private let logger = Logger(label: "kgtop.sim.net")

    private struct Listener {
        var channel: any Channel
        var task: Task<Void, Never>
    }

    private init(cluster: SimCluster, config: SimConfig) {
        self.cluster = cluster
        self.config = config
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Starts a cluster with `config` and `clock`, binds every broker, and (for a clock other than
    /// ``ManualClock``) runs ``SimCluster/tick()`` every `tickIntervalMs` of wall time.
    public static func start(
        config: SimConfig = SimConfig(), clock: any SimClock = RealClock(), tickIntervalMs: Int = 100
    ) async throws -> KafkaSimulator {
        let cluster = SimCluster(config: config, clock: clock)
        return try await start(cluster: cluster, tickIntervalMs: clock is ManualClock ? nil : tickIntervalMs)
    }

    /// Puts listeners in front of an existing cluster; `tickIntervalMs` nil means no background ticks.
    public static func start(cluster: SimCluster, tickIntervalMs: Int? = 100) async throws -> KafkaSimulator {
        let sim = KafkaSimulator(cluster: cluster, config: cluster.config)
        do {
            try await sim.bindAll()
        } catch {
            await sim.shutdown()
            throw error
        }
        if let interval = tickIntervalMs { await sim.startTicker(intervalMs: interval) }
        return sim
    }

    private func startTicker(intervalMs: Int) {
        let cluster = self.cluster
        ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(intervalMs))
                await cluster.tick()
            }
        }
    }

    private func bindAll() async throws {
        tls = try config.security.makeServerContext()
        var bound: [Int] = []
        for i in 0..<config.brokerCount {
            let id = Int32(i + 1)
            let port = try await bind(broker: id, port: config.basePort == 0 ? 0 : config.basePort + i)
            bound.append(port)
        }
        await cluster.setBrokerPorts(bound)
    }

    private func bind(broker id: Int32, port: Int) async throws -> Int {
        let maxFrame = Frame.defaultMaxSize
        let tls = self.tls
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: config.host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrame)))
                    let connection = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    // A connection accepted while its listener is closing (a broker stopped or
                    // restarted) is never handed to `serve`, and NIO stops the process when such a
                    // connection is released unfinished. It is held until its channel closes and
                    // then finished (for a served connection, which `serve` finished, a no-op).
                    channel.closeFuture.whenComplete { _ in Task { try? await connection.executeThenClose { _, _ in } } }
                    return connection
                }
            }
        let actual = server.channel.localAddress?.port ?? port
        ports[id] = actual
        let cluster = self.cluster
        let task = Task { [weak self] in
            do {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { tasks in
                        for try await conn in inbound {
                            tasks.addTask {
                                await self?.register(conn.channel, broker: id)
                                await Self.serve(conn, broker: id, cluster: cluster)
                                await self?.unregister(conn.channel, broker: id)
                            }
                        }
                    }
                }
            } catch {
                // The listener was closed (stop, restart or shutdown).
            }
        }
        listeners[id] = Listener(channel: server.channel, task: task)
        logger.debug("broker listening", metadata: ["broker": "\(id)", "port": "\(actual)"])
        return actual
    }

    private func register(_ channel: any Channel, broker: Int32) {
        connections[broker, default: [:]][ObjectIdentifier(channel)] = channel
    }

    private func unregister(_ channel: any Channel, broker: Int32) {
        connections[broker]?[ObjectIdentifier(channel)] = nil
    }

    private static func serve(_ conn: NIOAsyncChannel<ByteBuffer, ByteBuffer>, broker: Int32, cluster: SimCluster) async {
        let host = conn.channel.remoteAddress?.ipAddress ?? "127.0.0.1"
        do {
            try await conn.executeThenClose { inbound, outbound in
                var gate = SimAuthGate(security: cluster.config.security)
                for try await frame in inbound {
                    let bytes = Array(frame.readableBytesView)
                    let faults = await cluster.faults(broker: broker)
                    let gated = await gate.intercept(frame: bytes, cluster: cluster)
                    let reply = if let gated { gated } else { await cluster.handle(frame: bytes, broker: broker, clientHost: host) }
                    if faults.delayMs > 0 { try await Task.sleep(for: .milliseconds(faults.delayMs)) }
                    switch reply {
                    case .response(let body):
                        var buf = ByteBuffer()
                        buf.reserveCapacity(body.count + 4)
                        buf.writeInteger(Int32(body.count))
                        buf.writeBytes(body)
                        if faults.closeMidResponse {
                            let half = buf.getSlice(at: buf.readerIndex, length: max(1, buf.readableBytes / 2))!
                            try await outbound.write(half)
                            return
                        }
                        try await outbound.write(buf)
                    case .noResponse:
                        continue
                    case .close:
                        return
                    }
                }
            }
        } catch {
            // Connection reset or closed by a fault; nothing to do.
        }
    }

    // MARK: - Public API

    /// `host:port,...` of every broker, for `bootstrap.servers`.
    public func bootstrapServers() -> String {
        (1...config.brokerCount).map { "\(config.host):\(ports[Int32($0)] ?? 0)" }.joined(separator: ",")
    }

    /// The port broker `nodeID` listens on.
    public func port(ofBroker nodeID: Int32) -> Int? { ports[nodeID] }

    /// Closes broker `nodeID`'s listener and connections: new connections are refused until
    /// ``startBroker(_:)``.
    public func stopBroker(_ nodeID: Int32) async {
        guard let l = listeners.removeValue(forKey: nodeID) else { return }
        try? await l.channel.close()
        l.task.cancel()
        for c in (connections[nodeID] ?? [:]).values { try? await c.close() }
        connections[nodeID] = [:]
        await cluster.abortPendingRequests(coordinatedBy: nodeID)
        // Let the connection tasks wind down (bounded), so nothing touches the event loop after shutdown.
        let task = l.task
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await task.value }
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Binds broker `nodeID` again on the same port.
    public func startBroker(_ nodeID: Int32) async throws {
        guard listeners[nodeID] == nil, let port = ports[nodeID] else { return }
        _ = try await bind(broker: nodeID, port: port)
    }

    /// Restarts broker `nodeID`: every connection drops, connections are refused for `downMs`, then
    /// it listens again on the same port. Group and log state survive (as they would on disk).
    public func restartBroker(_ nodeID: Int32, downMs: Int = 0) async throws {
        await stopBroker(nodeID)
        if downMs > 0 { try await Task.sleep(for: .milliseconds(downMs)) }
        try await startBroker(nodeID)
    }

    /// Sets faults for broker `nodeID`. `refuseConnections` stops or restarts its listener.
    public func setFaults(_ faults: BrokerFaults, broker nodeID: Int32) async throws {
        await cluster.setFaults(faults, broker: nodeID)
        if faults.refuseConnections { await stopBroker(nodeID) } else if listeners[nodeID] == nil { try await startBroker(nodeID) }
    }

    /// Stops listeners, connections and the ticker.
    public func shutdown() async {
        ticker?.cancel()
        ticker = nil
        let serving = listeners.values.map(\.task)
        for id in Array(listeners.keys) { await stopBroker(id) }
        // Let closing connections (a TLS close_notify) finish before their event loop goes away.
        for task in serving { await task.value }
        try? await group.shutdownGracefully()
    }
}

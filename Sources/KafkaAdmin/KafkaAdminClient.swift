import GroupModel
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The answer of one routed request: which broker, at which version, and what came back.
public struct RoutedResponse<Response: Sendable>: Sendable {
    /// The node the request went to (nil when it went to a bootstrap address).
    public var nodeID: Int32?
    /// The version used, nil when no request was sent.
    public var version: Int16?
    /// The response, or why there is none.
    public var result: Result<Response, AdminItemError>
    /// Requests and bytes spent (connection setup included).
    public var stats: RequestStats
}

/// A Kafka admin client for observing consumer groups: bootstrap, version negotiation, metadata,
/// routing, and batched operations that return partial results.
///
/// Connections are made on first use and reused; a failed connection is retried after an
/// exponential backoff (`reconnect.backoff.ms` doubling up to `reconnect.backoff.max.ms`).
/// Only whole failures throw ``KafkaAdminError``; everything that fails for one broker, group or
/// partition is an ``AdminItemError`` inside the result.
public actor KafkaAdminClient {
    /// The event-loop group every client shares unless given one: one thread is plenty for a poller.
    public static let sharedEventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// The highest versions kgtop sends (the lowest are the generated ones).
    enum Caps {
        static let apiVersions: ClosedRange<Int16> = 0...4
        static let metadata: ClosedRange<Int16> = 0...13
        static let listGroups: ClosedRange<Int16> = 0...5
        static let findCoordinator: ClosedRange<Int16> = 0...6
        static let describeGroups: ClosedRange<Int16> = 0...6
        static let consumerGroupDescribe: ClosedRange<Int16> = 0...1
        /// v0 was 4.0's early-access version, removed in 4.1; kgtop speaks v1.
        static let shareGroupDescribe: ClosedRange<Int16> = 1...1
        /// kgtop never asks for v1's topology description.
        static let streamsGroupDescribe: ClosedRange<Int16> = 0...1
        /// v10 switches topics to ids; kgtop sends names.
        static let offsetFetch: ClosedRange<Int16> = 1...9
        static let listOffsets: ClosedRange<Int16> = 1...11
        static let describeCluster: ClosedRange<Int16> = 0...2
        static let describeConfigs: ClosedRange<Int16> = 1...4
    }

    struct Established: Sendable {
        let connection: BrokerConnection
        let versions: BrokerAPIVersions
    }

    enum SlotState {
        case idle
        case connecting(attempt: Int, Task<(Established, RequestStats), any Error>)
        case ready(Established)
    }

    struct Slot {
        var state: SlotState = .idle
        var failures = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: BrokerConnectionError?
    }

    /// The configuration.
    public nonisolated let config: AdminConfig
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger

    var slots: [BrokerAddress: Slot] = [:]
    var attemptCounter = 0
    var metadataCache: ClusterMetadata?
    var metadataFetchedAt: ContinuousClock.Instant?
    var metadataStale = false
    /// Brokers learned from FindCoordinator that Metadata did not list.
    var extraBrokers: [Int32: BrokerInfo] = [:]
    /// Group id -> coordinator node id.
    var coordinatorCache: [String: Int32] = [:] {
        // Modified in place (no oldValue is read); any change makes what was worked out from it stale.
        didSet { coordinatorCacheGeneration &+= 1 }
    }
    /// Counts changes of ``coordinatorCache``: what was worked out from the cache at one generation
    /// (``lastRoutings``, ``lastPruned``) holds while it is unchanged.
    var coordinatorCacheGeneration: UInt64 = 0
    /// The last group ids routed to their cached coordinators (``CoordinatorRouting``), at most
    /// ``CoordinatorRouting/kept`` of them, the latest last.
    var lastRoutings: [CoordinatorRouting] = []
    /// Per broker, the group ids of its last unfiltered listing (``LastListedIDs``).
    var lastListedIDs: [Int32: [String]] = [:]
    /// The listing the coordinator cache was last pruned against (``PrunedListing``).
    var lastPruned: PrunedListing?
    /// Per coordinator, its last ConsumerGroupDescribe answer (groups in the order answered, which
    /// is the ids' order, with the bytes they were read from): the guides the next answer is read
    /// with (``AskedIDs/lastConsumer``, ``AskedIDs/lastSpans``).
    var lastConsumerAnswer: [Int32: LastDescribeAnswer<DescribedConsumerGroupInput>] = [:]
    /// The same for DescribeGroups (``AskedIDs/lastClassic``).
    var lastClassicAnswer: [Int32: LastDescribeAnswer<DescribedClassicGroupInput>] = [:]
    /// Whether the last answers are kept (``init(config:eventLoopGroup:logger:remembersAnswers:)``).
    let remembersAnswers: Bool
    /// ListOffsets' last routing of partitions to leaders (``ListOffsetsRouting``).
    var lastListOffsetsRouting: ListOffsetsRouting?
    var isClosed = false

    /// Requests and bytes since the client was created (or since ``resetStats()``).
    public private(set) var cumulativeStats = RequestStats()

    /// Creates a client; nothing is connected until the first operation (or ``bootstrap()``).
    ///
    /// `remembersAnswers`: whether the describe answers are kept to read the next ones with
    /// (``lastConsumerAnswer``, their bytes and groups); a client that makes one poll (`kgtop
    /// snapshot`) keeps none.
    public init(
        config: AdminConfig, eventLoopGroup: (any EventLoopGroup)? = nil, logger: Logger = Logger(label: "kgtop.admin"),
        remembersAnswers: Bool = true
    ) {
        self.config = config
        self.eventLoopGroup = eventLoopGroup ?? Self.sharedEventLoopGroup
        self.logger = logger
        self.remembersAnswers = remembersAnswers
    }

    /// Creates a client from librdkafka-style properties.
    public init(properties: [String: String], eventLoopGroup: (any EventLoopGroup)? = nil) throws(KafkaAdminError) {
        self.init(config: try AdminConfig(properties: properties), eventLoopGroup: eventLoopGroup)
    }

    /// Closes every connection; later operations throw ``KafkaAdminError/closed``.
    public func close() async {
        isClosed = true
        let current = slots
        slots.removeAll()
        for (_, slot) in current {
            switch slot.state {
            case let .ready(e): await e.connection.close()
            case let .connecting(_, task): task.cancel()
            case .idle: break
            }
        }
    }

    /// Resets ``cumulativeStats``.
    public func resetStats() { cumulativeStats = RequestStats() }

    /// The metadata fetched last, without any request.
    public var cachedMetadata: ClusterMetadata? { metadataCache }

    /// The cached coordinator of `groupID`, if any.
    public func cachedCoordinator(of groupID: String) -> Int32? { coordinatorCache[groupID] }

    // MARK: - Connections

    private struct SetupParameters: Sendable {
        let options: BrokerConnection.Options
        let group: any EventLoopGroup
        let softwareVersion: String
        let handshakeTimeout: Duration
        let security: SecuritySettings
        let tls: Result<NIOSSLContext?, KafkaAdminError>
    }

    /// The TLS context, made once (files are read when the first connection is made).
    private var tlsContext: Result<NIOSSLContext?, KafkaAdminError>?

    private func makeSetupParameters() -> SetupParameters {
        do {
            let tls: Result<NIOSSLContext?, KafkaAdminError>
            if let made = tlsContext {
                tls = made
            } else {
                do { tls = .success(try config.security.makeTLSContext()) } catch { tls = .failure(error) }
                tlsContext = tls
            }
            return SetupParameters(
                options: BrokerConnection.Options(
                    clientID: config.clientID, requestTimeout: config.requestTimeout,
                    connectTimeout: config.connectionSetupTimeout, maxFrameSize: config.maxResponseSize),
                group: eventLoopGroup, softwareVersion: config.clientSoftwareVersion,
                handshakeTimeout: min(config.requestTimeout, config.connectionSetupTimeout),
                security: config.security, tls: tls)
        }
    }

    /// The open connection (and negotiated versions) to `address`, connecting when needed.
    func established(_ address: BrokerAddress, ignoreBackoff: Bool = false) async throws(BrokerConnectionError) -> (Established, RequestStats) {
        if isClosed { throw .closed(address: address.description, reason: "the admin client is closed") }
        var slot = slots[address] ?? Slot()
        switch slot.state {
        case let .ready(e):
            if e.connection.isActive { return (e, RequestStats()) }
            slot.state = .idle
            slots[address] = slot
        case let .connecting(_, task):
            do { return (try await task.value.0, RequestStats()) } catch { throw Self.connectionError(error, address) }
        case .idle:
            break
        }
        if !ignoreBackoff, let retryAt = slot.retryAt, retryAt > .now {
            throw .backingOff(
                address: address.description, retryIn: ContinuousClock.now.duration(to: retryAt),
                lastError: slot.lastError?.description ?? "unknown error")
        }
        attemptCounter += 1
        let attempt = attemptCounter
        let parameters = makeSetupParameters()
        let task = Task { () async throws -> (Established, RequestStats) in
            try await Self.establish(address, parameters)
        }
        slot.state = .connecting(attempt: attempt, task)
        slots[address] = slot
        do {
            let result = try await task.value
            if case let .connecting(current, _) = slots[address]?.state, current == attempt {
                slots[address] = Slot(state: .ready(result.0))
            } else {
                // Closed or superseded meanwhile.
                if isClosed { await result.0.connection.close() }
            }
            cumulativeStats.merge(result.1)
            return result
        } catch {
            let failure = Self.connectionError(error, address)
            if case let .connecting(current, _) = slots[address]?.state, current == attempt {
                var s = slots[address] ?? Slot()
                s.state = .idle
                s.failures += 1
                s.lastError = failure
                s.retryAt = .now + backoff(failures: s.failures)
                slots[address] = s
            }
            logger.debug("connection failed", metadata: ["address": "\(address)", "error": "\(failure)"])
            throw failure
        }
    }

    /// The wait after `failures` consecutive failed attempts.
    func backoff(failures: Int) -> Duration {
        let base = config.reconnectBackoff
        let cap = config.reconnectBackoffMax
        var wait = base
        for _ in 1..<max(1, min(failures, 40)) {
            wait = wait * 2
            if wait >= cap { return cap }
        }
        return min(wait, cap)
    }

    private static func connectionError(_ error: any Error, _ address: BrokerAddress) -> BrokerConnectionError {
        if let e = error as? BrokerConnectionError { return e }
        if error is CancellationError { return .closed(address: address.description, reason: "cancelled") }
        return .connectFailed(address: address.description, reason: String(describing: error))
    }

    private static func establish(_ address: BrokerAddress, _ p: SetupParameters) async throws(BrokerConnectionError) -> (Established, RequestStats) {
        let tls: NIOSSLContext?
        switch p.tls {
        case let .success(context): tls = context
        case let .failure(error): throw .tlsFailed(address: address.description, reason: error.description)
        }
        let connection = try await BrokerConnection.connect(
            host: address.host, port: address.port, options: p.options, tls: tls, eventLoopGroup: p.group)
        do {
            let (versions, negotiation) = try await negotiateAPIVersions(
                on: connection, softwareVersion: p.softwareVersion, timeout: p.handshakeTimeout)
            var stats = negotiation
            try await SASLAuthenticator.authenticate(
                on: connection, versions: versions, settings: p.security, timeout: p.handshakeTimeout, stats: &stats)
            return (Established(connection: connection, versions: versions), stats)
        } catch {
            await connection.close()
            if case .requestTimedOut = error { throw .connectTimedOut(address: address.description, after: p.handshakeTimeout) }
            throw error
        }
    }

    /// Asks the broker which versions it speaks.
    ///
    /// kgtop sends its highest ApiVersions version; a broker that does not know it answers
    /// UNSUPPORTED_VERSION in the v0 layout, and kgtop retries with the highest version the broker
    /// listed for ApiVersions, or v0.
    static func negotiateAPIVersions(
        on connection: BrokerConnection, softwareVersion: String, timeout: Duration
    ) async throws(BrokerConnectionError) -> (BrokerAPIVersions, RequestStats) {
        var stats = RequestStats()
        var version = Caps.apiVersions.upperBound
        let request = ApiVersionsRequest(clientSoftwareName: "kgtop", clientSoftwareVersion: softwareVersion)
        for _ in 0..<3 {
            let body: [UInt8]
            do { body = try request.encoded(version: version) } catch {
                throw .encoding(api: "ApiVersions", version: version, reason: error.description)
            }
            let raw: RawResponse
            do {
                raw = try await connection.sendRaw(
                    apiKey: ApiVersionsRequest.apiKey, version: version, flexible: ApiVersionsRequest.isFlexible(version),
                    body: body, timeout: timeout)
            } catch {
                stats.record(api: "ApiVersions", bytesSent: 0, bytesReceived: 0, failed: true)
                throw error
            }
            stats.record(api: "ApiVersions", bytesSent: raw.bytesSent, bytesReceived: raw.bytesReceived, failed: false)
            let errorCode = raw.body.count >= 2 ? Int16(bitPattern: UInt16(raw.body[0]) << 8 | UInt16(raw.body[1])) : 0
            if errorCode == KafkaErrorCode.unsupportedVersion.code && version > 0 {
                var reader = WireReader(raw.body)
                let listed = (try? ApiVersionsResponse(from: &reader, version: 0))?
                    .apiKeys.first { $0.apiKey == ApiVersionsRequest.apiKey }?.maxVersion
                if let listed, listed >= 0, listed < version { version = listed } else { version = 0 }
                continue
            }
            var reader = WireReader(raw.body)
            let response: ApiVersionsResponse
            do { response = try ApiVersionsResponse(from: &reader, version: version) } catch {
                throw .malformedResponse(address: connection.address, api: "ApiVersions", reason: error.description)
            }
            if response.errorCode != 0 {
                throw .malformedResponse(
                    address: connection.address, api: "ApiVersions",
                    reason: "error \(KafkaErrorCode(response.errorCode).name) (\(response.errorCode))")
            }
            return (BrokerAPIVersions(response, version: version), stats)
        }
        throw .malformedResponse(address: connection.address, api: "ApiVersions", reason: "UNSUPPORTED_VERSION even at v0")
    }

    // MARK: - Metadata

    /// Connects to the cluster (bootstrap) and fetches metadata; throws when no broker answers.
    @discardableResult
    public func bootstrap() async throws(KafkaAdminError) -> ClusterMetadata {
        try await refreshMetadata()
    }

    /// Fetches Metadata (all topics) now.
    @discardableResult
    public func refreshMetadata() async throws(KafkaAdminError) -> ClusterMetadata {
        try await fetchMetadata().0
    }

    /// The cached metadata when fresh, otherwise fetched now.
    public func metadata() async throws(KafkaAdminError) -> ClusterMetadata {
        var stats = RequestStats()
        return try await ensureMetadata(&stats)
    }

    /// Marks the cached metadata out of date, so the next operation refreshes it first.
    public func invalidateMetadata() { metadataStale = true }

    func ensureMetadata(_ stats: inout RequestStats) async throws(KafkaAdminError) -> ClusterMetadata {
        if isClosed { throw .closed }
        if let m = metadataCache, !metadataStale, let at = metadataFetchedAt,
           at.duration(to: .now) < config.metadataRefreshInterval {
            return m
        }
        let (m, s) = try await fetchMetadata()
        stats.merge(s)
        return m
    }

    func fetchMetadata() async throws(KafkaAdminError) -> (ClusterMetadata, RequestStats) {
        if isClosed { throw .closed }
        var stats = RequestStats()
        var candidates: [BrokerAddress] = []
        for address in (metadataCache?.brokers.map(\.address) ?? []) + config.bootstrapServers
        where !candidates.contains(address) {
            candidates.append(address)
        }
        var causes: [String] = []
        var unsupported: KafkaAdminError?
        var authentication: KafkaAdminError?
        for address in candidates {
            let isBootstrap = config.bootstrapServers.contains(address)
            let established: Established
            do {
                let (e, s) = try await self.established(address, ignoreBackoff: isBootstrap)
                stats.merge(s)
                established = e
            } catch {
                if case let .authenticationFailed(a, message) = error, authentication == nil {
                    authentication = .authentication(address: a, message: message)
                }
                causes.append(error.description)
                continue
            }
            guard let version = established.versions.negotiate(apiKey: MetadataRequest.apiKey, ours: Caps.metadata) else {
                unsupported = .unsupportedBroker(address: address.description, reason: "no Metadata version in common with kgtop")
                continue
            }
            // Read flat: only what ClusterMetadata keeps (FlatMetadata.swift). All topics (null from
            // v1, empty at v0), so nothing is created: v0-3 cannot carry allowAutoTopicCreation =
            // false and are sent its default.
            let request = FlatMetadataRequest(MetadataRequest(topics: version >= 1 ? nil : [], allowAutoTopicCreation: version < 4))
            let outcome = await send(request, version: version, on: established, nodeID: nil)
            stats.merge(outcome.stats)
            switch outcome.result {
            case let .success(response):
                if response.errorCode != 0 {
                    causes.append("\(address): Metadata error \(KafkaErrorCode(response.errorCode).name)")
                    continue
                }
                let m = ClusterMetadata(response, version: version, features: established.versions.finalizedFeatures)
                if m.brokers.isEmpty {
                    causes.append("\(address): Metadata listed no brokers")
                    continue
                }
                metadataCache = m
                metadataFetchedAt = .now
                metadataStale = false
                return (m, stats)
            case let .failure(error):
                causes.append("\(address): \(error)")
            }
        }
        if let authentication { throw authentication }
        if let unsupported { throw unsupported }
        throw .noBrokerReachable(
            addresses: config.bootstrapServers.map(\.description), timeout: config.connectionSetupTimeout, causes: causes)
    }

    // MARK: - Sending

    /// The address of `nodeID` from metadata (or FindCoordinator).
    func broker(_ nodeID: Int32) -> BrokerInfo? {
        metadataCache?.broker(nodeID) ?? extraBrokers[nodeID]
    }

    /// The versions `nodeID` supports, connecting when needed.
    public func apiVersions(of nodeID: Int32) async -> Result<BrokerAPIVersions, AdminItemError> {
        var stats = RequestStats()
        return await apiVersions(of: nodeID, stats: &stats)
    }

    func apiVersions(of nodeID: Int32, stats: inout RequestStats) async -> Result<BrokerAPIVersions, AdminItemError> {
        guard let broker = broker(nodeID) else { return .failure(AdminItemError(.notRoutable, message: "unknown node \(nodeID)")) }
        do {
            let (e, s) = try await established(broker.address)
            stats.merge(s)
            return .success(e.versions)
        } catch {
            return .failure(AdminItemError(error))
        }
    }

    /// Sends a request to node `nodeID` at the highest version in `versions` that the broker supports;
    /// `build` makes the request for the chosen version.
    public func send<R: KafkaRequestMessage>(
        to nodeID: Int32, versions: ClosedRange<Int16> = R.validVersions, _ build: @Sendable (Int16) -> R
    ) async -> RoutedResponse<R.Response> {
        guard let broker = broker(nodeID) else {
            return RoutedResponse(
                nodeID: nodeID, version: nil,
                result: .failure(AdminItemError(.notRoutable, message: "unknown node \(nodeID)")), stats: RequestStats())
        }
        var stats = RequestStats()
        let established: Established
        do {
            let (e, s) = try await self.established(broker.address)
            stats.merge(s)
            established = e
        } catch {
            return RoutedResponse(nodeID: nodeID, version: nil, result: .failure(AdminItemError(error)), stats: stats)
        }
        guard let version = established.versions.negotiate(apiKey: R.apiKey, ours: versions.clamped(to: R.validVersions)) else {
            let api = Self.apiName(R.apiKey)
            let theirs = established.versions.ranges[R.apiKey].map { "v\($0.lowerBound)-\($0.upperBound)" } ?? "no version"
            return RoutedResponse(
                nodeID: nodeID, version: nil,
                result: .failure(AdminItemError(
                    .unsupportedVersion,
                    message: "node \(nodeID) speaks \(api) \(theirs); kgtop needs v\(versions.lowerBound)-\(versions.upperBound)")),
                stats: stats)
        }
        var outcome = await send(build(version), version: version, on: established, nodeID: nodeID)
        outcome.stats.merge(stats)
        return outcome
    }

    /// Sends the request to every broker in parallel.
    public func sendToEveryBroker<R: KafkaRequestMessage>(
        versions: ClosedRange<Int16> = R.validVersions, _ build: @escaping @Sendable (Int16) -> R
    ) async throws(KafkaAdminError) -> [Int32: RoutedResponse<R.Response>] {
        var stats = RequestStats()
        let metadata = try await ensureMetadata(&stats)
        var answers = await withTaskGroup(of: (Int32, RoutedResponse<R.Response>).self) { group in
            for broker in metadata.brokers {
                group.addTask { (broker.nodeID, await self.send(to: broker.nodeID, versions: versions, build)) }
            }
            var all: [Int32: RoutedResponse<R.Response>] = [:]
            for await (id, answer) in group { all[id] = answer }
            return all
        }
        if let first = answers.keys.min() { answers[first]?.stats.merge(stats) }
        return answers
    }

    /// Sends the request to the leader of `partition` (from cached metadata).
    public func sendToLeader<R: KafkaRequestMessage>(
        of partition: TopicPartition, versions: ClosedRange<Int16> = R.validVersions, _ build: @Sendable (Int16) -> R
    ) async throws(KafkaAdminError) -> RoutedResponse<R.Response> {
        var stats = RequestStats()
        let metadata = try await ensureMetadata(&stats)
        guard let leader = metadata.leader(of: partition) else {
            metadataStale = true
            return RoutedResponse(
                nodeID: nil, version: nil,
                result: .failure(AdminItemError(.notRoutable, message: "no leader known for \(partition)")), stats: stats)
        }
        var answer = await send(to: leader, versions: versions, build)
        answer.stats.merge(stats)
        return answer
    }

    /// Sends the request to the coordinator of `groupID` (found with FindCoordinator, cached).
    public func sendToCoordinator<R: KafkaRequestMessage>(
        of groupID: String, versions: ClosedRange<Int16> = R.validVersions, _ build: @Sendable (Int16) -> R
    ) async throws(KafkaAdminError) -> RoutedResponse<R.Response> {
        let found = try await findCoordinators(groupIDs: [groupID])
        switch found.coordinators[groupID] ?? .failure(AdminItemError(.missingFromResponse)) {
        case let .success(node):
            var answer = await send(to: node, versions: versions, build)
            answer.stats.merge(found.stats)
            return answer
        case let .failure(error):
            return RoutedResponse(nodeID: nil, version: nil, result: .failure(error), stats: found.stats)
        }
    }

    /// Sends on an established connection and records the stats.
    func send<R: KafkaRequestMessage>(
        _ request: R, version: Int16, on established: Established, nodeID: Int32?
    ) async -> RoutedResponse<R.Response> {
        var stats = RequestStats()
        let api = Self.apiName(R.apiKey)
        do {
            let exchange = try await established.connection.exchange(request, version: version)
            stats.record(api: api, bytesSent: exchange.bytesSent, bytesReceived: exchange.bytesReceived, failed: false)
            cumulativeStats.merge(stats)
            return RoutedResponse(nodeID: nodeID, version: version, result: .success(exchange.response), stats: stats)
        } catch {
            stats.record(api: api, bytesSent: 0, bytesReceived: 0, failed: true)
            cumulativeStats.merge(stats)
            logger.debug("request failed", metadata: ["api": "\(api)", "error": "\(error)"])
            if case .requestTimedOut = error {
                // As librdkafka does: a broker that let a request time out is stalled; the requests
                // queued behind it on this connection would wait too. Drop the connection so the
                // next request starts on a fresh one.
                await dropConnection(established.connection)
            }
            return RoutedResponse(nodeID: nodeID, version: version, result: .failure(AdminItemError(error)), stats: stats)
        }
    }

    /// Closes `connection` and forgets it (its slot becomes idle, with no backoff).
    func dropConnection(_ connection: BrokerConnection) async {
        for (address, slot) in slots {
            if case let .ready(e) = slot.state, e.connection === connection {
                slots[address] = Slot()
            }
        }
        await connection.close()
    }

    /// Forgets the reconnect backoff of every broker, so the next request to each tries once.
    ///
    /// The poller calls it at the start of every poll: a poll already limits attempts to one per
    /// broker per interval, and a broker that came back must be seen within a poll, not after a
    /// backoff that grew while it was down.
    public func resetBackoff() {
        for (address, var slot) in slots where slot.retryAt != nil {
            slot.retryAt = nil
            slots[address] = slot
        }
    }

    static func apiName(_ key: Int16) -> String { KafkaAPIs.info(key: key)?.name ?? "API\(key)" }
}

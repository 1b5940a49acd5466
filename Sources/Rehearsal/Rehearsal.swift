import Foundation
import GroupModel
import KafkaAdmin
import Monitor
import Workload

/// Why a rehearsal could not run.
public struct RehearsalError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The group has members the rehearsal did not start; it touches nothing then.
        case groupInUse
        /// A bad plan (member count, step that cannot apply, names).
        case invalidPlan
        /// The cluster could not be reached or refused an operation.
        case cluster
        /// A client could not be created (e.g. a property the loaded librdkafka lacks).
        case client
    }

    /// What went wrong.
    public var kind: Kind
    /// A one-line explanation naming the culprit.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// Runs a ``RehearsalPlan``: creates the topic if needed, starts a producer and the members, waits
/// for the group to settle, performs each step while polling the group with kgtop's own poller,
/// and measures each step from the coordinator's epochs and the members' own callbacks.
public actor Rehearsal {
    /// The plan.
    public nonisolated let plan: RehearsalPlan

    private let journal = WorkloadJournal()
    private var live: [String: WorkloadConsumer] = [:]
    private var incarnations: [String: Int] = [:]
    private var nextMember = 1
    private var partitionCount = 0
    private var observations: [Observation] = []
    private var admin: KafkaAdminClient?
    private var monitor: Monitor?
    private var pollTask: Task<Void, Never>?
    private var producer: WorkloadProducer?

    /// Creates a rehearsal; nothing happens until ``run()``.
    public init(plan: RehearsalPlan) {
        self.plan = plan
    }

    // MARK: - Run

    /// Runs the plan and returns the report. Every member, the producer and the poller are stopped
    /// before it returns or throws.
    public func run() async throws(RehearsalError) -> RehearsalReport {
        try validate()
        let runStart = Workload.nowMs()
        do {
            let report = try await runSteps(runStart: runStart)
            await teardown()
            return report
        } catch {
            await teardown()
            throw error
        }
    }

    private func validate() throws(RehearsalError) {
        guard plan.members > 0, plan.members <= 1000 else { throw RehearsalError(.invalidPlan, "--members must be 1...1000") }
        guard !plan.topic.isEmpty, !plan.groupID.isEmpty else { throw RehearsalError(.invalidPlan, "topic and group must not be empty") }
        guard plan.partitions > 0 else { throw RehearsalError(.invalidPlan, "--partitions must be positive") }
        var members = plan.members
        for step in plan.steps {
            switch step {
            case .roll: break
            case let .scaleOut(n): members += n
            case let .scaleIn(n), let .kill(n):
                guard n < members else {
                    throw RehearsalError(.invalidPlan, "--step \(step): only \(members) members would be running; keep at least one")
                }
                members -= n
            case .addPartitions: break
            }
        }
        if plan.protocol == .consumer && !Workload.supportsConsumerProtocol {
            throw RehearsalError(.client, WorkloadError.unknownProperty(name: "group.protocol", librdkafkaVersion: Workload.librdkafkaVersion).description)
        }
    }

    private func say(_ line: String) { plan.progress?(line) }

    private func runSteps(runStart: Int64) async throws(RehearsalError) -> RehearsalReport {
        // The poller: kgtop's own protocol client, with the properties it understands.
        var adminProps = plan.properties.values.filter { key, _ in
            AdminConfig.knownProperties.contains(key) || key.hasPrefix("sasl.") || key.hasPrefix("ssl.")
        }
        adminProps["client.id"] = "kgtop-rehearse-monitor"
        let admin: KafkaAdminClient
        do {
            admin = try KafkaAdminClient(properties: adminProps)
        } catch {
            throw RehearsalError(.invalidPlan, "configuration: \(error)")
        }
        self.admin = admin
        let monitor = Monitor(poller: Poller(admin: admin, earliestEvery: 50, now: Workload.nowMs), now: Workload.nowMs)
        self.monitor = monitor

        // Refuse a group with members we did not start, before touching anything.
        let first = await monitor.pollOnce()
        guard let snapshot = first.snapshot else {
            throw RehearsalError(.cluster, "cannot observe the cluster: \(first.failure ?? "no answer")")
        }
        if let existing = snapshot.group(plan.groupID), !existing.members.isEmpty {
            let who = existing.members.map { $0.clientID.isEmpty ? $0.memberID : $0.clientID }.sorted()
            throw RehearsalError(
                .groupInUse,
                "group \(plan.groupID) has \(existing.members.count) members kgtop did not start (\(who.prefix(5).joined(separator: ", "))\(who.count > 5 ? ", ..." : "")); refusing to touch it")
        }

        try await ensureTopic(admin)
        say("topic \(plan.topic): \(partitionCount) partitions; group \(plan.groupID); librdkafka \(Workload.librdkafkaVersion); protocol \(plan.protocol.rawValue)\(plan.assignor.map { ", assignor \($0)" } ?? "")")

        startPolling()

        if plan.ratePerSecond > 0 {
            do {
                producer = try WorkloadProducer(WorkloadProducerConfig(
                    topic: plan.topic, ratePerSecond: plan.ratePerSecond, messageSize: plan.messageSize,
                    keyCount: 0, properties: plan.properties, name: "rehearse-producer"))
            } catch {
                throw RehearsalError(.client, "producer: \(error)")
            }
        }

        // Start-up: N members join an empty group.
        let startup = try await measure(step: "start \(plan.members)", timeout: plan.settleTimeout) { () async throws(RehearsalError) -> String in
            var names: [String] = []
            for _ in 0..<plan.members { names.append(try startMember()) }
            return "started \(names.joined(separator: ", "))"
        }
        say(Self.line(startup))
        if startup.timedOut {
            let diagnosis = await diagnose()
            throw RehearsalError(.cluster, "the group did not settle within \(plan.settleTimeout) after start-up: \(diagnosis)")
        }

        var steps: [RehearsalStepReport] = []
        for (i, step) in plan.steps.enumerated() {
            say("step \(i + 1)/\(plan.steps.count): \(step)")
            let report = try await perform(step)
            say(Self.line(report))
            steps.append(report)
        }

        let group = observations.last?.group
        let statuses = live.values.map(\.status)
        let produced = await producer?.stop().delivered ?? 0
        producer = nil
        return RehearsalReport(
            groupID: plan.groupID, topic: plan.topic, protocol: plan.protocol,
            observedGroupType: group.map { $0.type.brokerString }, assignor: plan.assignor, observedAssignor: group?.assignor,
            librdkafkaVersion: Workload.librdkafkaVersion,
            rebalanceProtocol: statuses.compactMap(\.rebalanceProtocol).first,
            members: plan.members, partitions: plan.partitions, ratePerSecond: plan.ratePerSecond,
            pollIntervalMs: Self.ms(plan.pollInterval), startup: startup, steps: steps, produced: produced,
            consumed: journal.consumed, duplicates: journal.duplicates, durationMs: Workload.nowMs() - runStart)
    }

    // MARK: - Steps

    private func perform(_ step: RehearsalStep) async throws(RehearsalError) -> RehearsalStepReport {
        switch step {
        case .roll:
            var notes: [String] = []
            var report = try await measure(step: "roll", timeout: plan.stepTimeout) { () async throws(RehearsalError) -> String in
                let names = live.keys.sorted(by: Self.memberOrder)
                for name in names {
                    await live[name]?.close()
                    live[name] = nil
                    _ = try startMember(named: name)
                    let since = Workload.nowMs()
                    if await waitSettled(after: since, timeout: plan.settleTimeout) == nil {
                        notes.append("\(name): the group did not settle within \(plan.settleTimeout) after its restart")
                    }
                }
                return "restarted \(names.joined(separator: ", ")) one by one (leave, start), waiting for the group to settle after each"
            }
            report.notes += notes
            return report
        case let .scaleOut(n):
            return try await measure(step: step.description, timeout: plan.stepTimeout) { () async throws(RehearsalError) -> String in
                var names: [String] = []
                for _ in 0..<n { names.append(try startMember()) }
                return "started \(names.joined(separator: ", "))"
            }
        case let .scaleIn(n):
            return try await measure(step: step.description, timeout: plan.stepTimeout) { () async throws(RehearsalError) -> String in
                let victims = Array(live.keys.sorted(by: Self.memberOrder).suffix(n).reversed())
                await stopMembers(victims, kill: false)
                return "closed \(victims.joined(separator: ", ")) (leave group)"
            }
        case let .kill(n):
            return try await measure(step: step.description, timeout: plan.stepTimeout) { () async throws(RehearsalError) -> String in
                let victims = Array(live.keys.sorted(by: Self.memberOrder).suffix(n).reversed())
                await stopMembers(victims, kill: true)
                return "destroyed \(victims.joined(separator: ", ")) without leaving (no LeaveGroup, no commit)"
            }
        case let .addPartitions(total):
            guard total > partitionCount else {
                throw RehearsalError(.invalidPlan, "--step add-partitions \(total): the topic already has \(partitionCount) partitions")
            }
            let before = partitionCount
            var report = try await measure(step: step.description, timeout: plan.stepTimeout, newPartitions: before..<total) { () async throws(RehearsalError) -> String in
                do {
                    if let hook = plan.addPartitions {
                        try await hook(plan.topic, total)
                    } else {
                        try await WorkloadAdmin.addPartitions(topic: plan.topic, totalCount: total, properties: plan.properties)
                    }
                } catch {
                    throw RehearsalError(.cluster, "add-partitions \(total): \(error)")
                }
                partitionCount = total
                await admin?.invalidateMetadata()
                return "raised \(plan.topic) from \(before) to \(total) partitions"
            }
            report.cause = RehearsalAnalysis.newPartitionsCause(
                step: step, protocol: plan.protocol, memberProperties: plan.memberProperties,
                startedAtMs: report.startedAtMs, settled: !report.timedOut, timeoutMs: Self.ms(plan.stepTimeout))
            return report
        }
    }

    /// Runs `trigger`, waits for the group to settle, keeps measuring for the cooldown, and
    /// computes the step's figures.
    private func measure(
        step: String, timeout: Duration, newPartitions: Range<Int> = 0..<0,
        _ trigger: () async throws(RehearsalError) -> String
    ) async throws(RehearsalError) -> RehearsalStepReport {
        let t0 = Workload.nowMs()
        let epochBefore = observations.reversed().lazy.compactMap { RehearsalAnalysis.epoch($0.group) }.first
        let duplicatesBefore = journal.duplicates
        let consumedBefore = journal.consumed
        var initialOwners: [TopicPartition: Set<String>] = [:]
        for (name, member) in live {
            let who = "\(name)#\(member.config.incarnation)"
            for tp in member.status.assignment where tp.topic == plan.topic { initialOwners[tp, default: []].insert(who) }
        }
        let callbacksBefore = journal.events.count

        let description = try await trigger()
        let triggerDone = Workload.nowMs()
        var appearedAt: [TopicPartition: Int64] = [:]
        for p in newPartitions { appearedAt[TopicPartition(topic: plan.topic, partition: Int32(p))] = triggerDone }

        let reconciledAt = await waitSettled(after: triggerDone, timeout: timeout)
        let end: Int64
        if reconciledAt != nil {
            try? await Task.sleep(for: plan.cooldown)
            end = Workload.nowMs()
        } else {
            end = Workload.nowMs()
        }

        let window = observations.filter { $0.atMs >= t0 && $0.atMs <= end }
        var targetAt = RehearsalAnalysis.targetComputedAt(window, epochBefore: epochBefore, until: reconciledAt ?? end)
        var targetSource: String? = targetAt == nil ? nil : "coordinator"
        if targetAt == nil, plan.protocol == .classic {
            targetAt = RehearsalAnalysis.targetFromCallbacks(journal.events(since: t0), fromMs: t0, untilMs: reconciledAt ?? end)
            targetSource = targetAt == nil ? nil : "members"
        }
        let partitions = (0..<partitionCount).map { TopicPartition(topic: plan.topic, partition: Int32($0)) }
        let unowned = RehearsalAnalysis.unowned(
            events: journal.events(since: t0), initialOwners: initialOwners, partitions: partitions,
            appearedAt: appearedAt, fromMs: t0, toMs: reconciledAt ?? end)
        let lags = window.compactMap { obs -> Int64? in
            guard let g = obs.group, g.summary.partitionsLagUnknown < g.partitions.count else { return nil }
            return g.summary.totalLag
        }
        var notes: [String] = []
        if let g = observations.last?.group {
            let ours = Set(live.values.compactMap { $0.status.memberID })
            let foreign = g.members.filter { !$0.memberID.isEmpty && !ours.contains($0.memberID) && !$0.clientID.isEmpty && !$0.clientID.hasPrefix("\(plan.groupID)-") }
            if !foreign.isEmpty {
                notes.append("members kgtop did not start joined: \(foreign.map(\.clientID).sorted().joined(separator: ", "))")
            }
        }
        if reconciledAt == nil {
            notes.append("not settled within \(DurationText.format(Self.ms(timeout))): \(await diagnose())")
        }
        return RehearsalStepReport(
            step: step, trigger: description, startedAtMs: t0, triggerMs: triggerDone - t0,
            targetComputedMs: targetAt.map { max(0, $0 - t0) }, targetSource: targetSource, reconciledMs: reconciledAt.map { $0 - t0 },
            assignmentCompleteMs: unowned.completeSinceMs.map { max(0, $0 - t0) },
            maxUnownedMs: unowned.maxGapMs, maxUnownedPartition: unowned.maxGapPartition?.description,
            partitionsUnowned: unowned.partitionsWithGap, unownedPartitionMs: unowned.totalGapMs,
            duplicates: journal.duplicates - duplicatesBefore, consumed: journal.consumed - consumedBefore,
            lagPeak: lags.max(), epochBefore: epochBefore, epochAfter: window.reversed().lazy.compactMap { RehearsalAnalysis.epoch($0.group) }.first,
            membersAfter: live.count, partitionsAfter: partitionCount,
            memberCallbacks: journal.events.count - callbacksBefore, timedOut: reconciledAt == nil, notes: notes)
    }

    // MARK: - Members

    private func startMember(named given: String? = nil) throws(RehearsalError) -> String {
        let name: String
        if let given {
            name = given
        } else {
            name = "m\(nextMember)"
            nextMember += 1
        }
        let incarnation = (incarnations[name] ?? 0) + 1
        incarnations[name] = incarnation
        var props = plan.memberProperties
        props["client.id"] = "\(plan.groupID)-\(name)"
        do {
            live[name] = try WorkloadConsumer(
                WorkloadConsumerConfig(
                    name: name, incarnation: incarnation, groupID: plan.groupID, topics: [plan.topic], properties: props),
                journal: journal)
        } catch {
            throw RehearsalError(.client, "member \(name): \(error)")
        }
        return name
    }

    private func stopMembers(_ names: [String], kill: Bool) async {
        let members = names.compactMap { live[$0] }
        for name in names { live[name] = nil }
        await withTaskGroup(of: Void.self) { group in
            for member in members {
                group.addTask { kill ? await member.kill() : await member.close() }
            }
        }
    }

    /// m1 < m2 < m10.
    private static func memberOrder(_ a: String, _ b: String) -> Bool {
        (Int(a.dropFirst()) ?? 0, a) < (Int(b.dropFirst()) ?? 0, b)
    }

    // MARK: - Observing

    private func startPolling() {
        guard let monitor else { return }
        let interval = plan.pollInterval
        let topic = plan.topic
        let groupID = plan.groupID
        pollTask = Task { [weak self] in
            while !Task.isCancelled {
                let update = await monitor.pollOnce()
                let obs = Observation(
                    atMs: update.snapshot?.takenAt ?? update.at,
                    group: update.snapshot?.group(groupID),
                    partitionCount: update.snapshot?.topics.first { $0.name == topic }?.partitionCount,
                    failure: update.failure)
                await self?.record(obs)
                try? await Task.sleep(for: interval)
            }
        }
    }

    private func record(_ observation: Observation) {
        if observation.failure == nil { observations.append(observation) }
    }

    /// Waits until a poll taken after `after` (and after the members' last assignment change)
    /// shows the group settled and the members' own assignments cover every partition exactly
    /// once; returns that poll's time, or nil at the deadline.
    private func waitSettled(after: Int64, timeout: Duration) async -> Int64? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let at = settledObservation(after: after) { return at }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return settledObservation(after: after)
    }

    private func settledObservation(after: Int64) -> Int64? {
        guard let obs = observations.last else { return nil }
        let statuses = live.values.map(\.status)
        let lastChange = journal.events.last?.atMs ?? 0
        guard obs.atMs >= after, obs.atMs > lastChange else { return nil }
        guard statuses.allSatisfy(\.running) else { return nil }
        guard RehearsalAnalysis.ownershipComplete(statuses.map(\.assignment), topic: plan.topic, partitionCount: partitionCount) else {
            return nil
        }
        guard RehearsalAnalysis.coordinatorSettled(obs.group, liveMembers: live.count).settled else { return nil }
        // A broker that reports no group state (Tansu) lists a joining member before the rebalance
        // it causes has even begun: then also require that every member got its first assignment.
        if case .unknown = obs.group?.state, !statuses.allSatisfy({ $0.rebalances > 0 }) { return nil }
        return obs.atMs
    }

    /// What keeps the group from settling, for error messages.
    private func diagnose() async -> String {
        let statuses = live.sorted { Self.memberOrder($0.key, $1.key) }.map { ($0.key, $0.value.status, $0.value.recentLogs) }
        let owned = statuses.reduce(0) { $0 + $1.1.assignment.count }
        var parts = [RehearsalAnalysis.coordinatorSettled(observations.last?.group, liveMembers: live.count).reason]
        parts.append("members own \(owned) of \(partitionCount) partitions")
        if let (name, status, logs) = statuses.first(where: { $0.1.lastError != nil || !$0.2.isEmpty }) {
            if let e = status.lastError { parts.append("\(name): \(e)") }
            if let l = logs.last { parts.append("\(name) librdkafka: \(l)") }
        }
        return parts.joined(separator: "; ")
    }

    // MARK: - Topic

    private func ensureTopic(_ admin: KafkaAdminClient) async throws(RehearsalError) {
        do {
            let result = try await admin.createTopics([(plan.topic, Int32(plan.partitions))], replicationFactor: -1)
            switch result.topics[plan.topic] {
            case .success(.created), .success(.alreadyExists), nil:
                break
            case let .failure(error):
                throw RehearsalError(.cluster, "cannot create topic \(plan.topic): \(error)")
            }
            // Learn the real partition count (the topic may have existed), bounded.
            let deadline = ContinuousClock.now + .seconds(15)
            while true {
                await admin.invalidateMetadata()
                let md = try await admin.metadata()
                if let t = md.topics[plan.topic], !t.partitions.isEmpty, t.error == nil {
                    partitionCount = t.partitions.count
                    return
                }
                if ContinuousClock.now > deadline {
                    throw RehearsalError(.cluster, "topic \(plan.topic) does not show up in Metadata")
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        } catch let error as RehearsalError {
            throw error
        } catch {
            throw RehearsalError(.cluster, "topic \(plan.topic): \(error)")
        }
    }

    // MARK: - Teardown

    private func teardown() async {
        pollTask?.cancel()
        pollTask = nil
        await stopMembers(Array(live.keys), kill: false)
        if let producer { await producer.stop(flushTimeout: .seconds(5)) }
        producer = nil
        await monitor?.stop()
        await admin?.close()
    }

    // MARK: - Formatting

    static func ms(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    /// A one-line summary of a step report (progress output).
    static func line(_ r: RehearsalStepReport) -> String {
        func s(_ v: Int64?) -> String { v.map { String(format: "%.2f s", Double($0) / 1000) } ?? "—" }
        return "\(r.step): target \(s(r.targetComputedMs)), reconciled \(s(r.reconciledMs)), max unowned \(s(r.maxUnownedMs)), duplicates \(r.duplicates), lag peak \(r.lagPeak.map(String.init) ?? "—")\(r.timedOut ? " (TIMED OUT)" : "")"
    }
}

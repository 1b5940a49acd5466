import GroupModel
import Monitor

/// Every metric `kgtop serve` exports, and how each is read off a context's newest update.
/// The README's "Metrics" section lists the same names; ``all`` is what the tests hold it to.
enum MetricCatalog {
    // MARK: - Lag, named as kafka-lag-exporter names them (existing dashboards use them)

    static let lag = MetricSpec(
        name: "kafka_consumergroup_group_lag", type: .gauge, help: "Lag in offsets of a partition the group consumes.")
    static let lagSeconds = MetricSpec(
        name: "kafka_consumergroup_group_lag_seconds", type: .gauge, help: "Lag in seconds of a partition the group consumes (time since the committed offset was the log end).")
    static let maxLag = MetricSpec(name: "kafka_consumergroup_group_max_lag", type: .gauge, help: "The largest partition lag in offsets of the group.")
    static let maxLagSeconds = MetricSpec(
        name: "kafka_consumergroup_group_max_lag_seconds", type: .gauge, help: "The largest partition lag in seconds of the group.")
    static let maxLagSecondsBound = MetricSpec(
        name: "kgtop_group_max_lag_seconds_is_lower_bound", type: .gauge,
        help: "1 when the group's largest lag in seconds is a lower bound (the committed offset is older than every sample and its record time was not read), 0 when it is measured.")
    static let sumLag = MetricSpec(name: "kafka_consumergroup_group_sum_lag", type: .gauge, help: "The sum of the group's known partition lags in offsets.")
    static let topicSumLag = MetricSpec(
        name: "kafka_consumergroup_group_topic_sum_lag", type: .gauge, help: "The sum of the group's known partition lags in offsets, per topic.")

    // MARK: - What only kgtop knows

    static let groupEpoch = MetricSpec(name: "kgtop_group_epoch", type: .gauge, help: "KIP-848 group epoch (classic groups: the generation id).")
    static let assignmentEpoch = MetricSpec(
        name: "kgtop_group_assignment_epoch", type: .gauge, help: "KIP-848 epoch of the current target assignment.")
    static let members = MetricSpec(name: "kgtop_group_members", type: .gauge, help: "Members of the group.")
    static let membersBehind = MetricSpec(
        name: "kgtop_group_members_behind_assignment_epoch", type: .gauge, help: "Members whose epoch is below the assignment epoch.")
    static let pendingRevocation = MetricSpec(
        name: "kgtop_group_partitions_pending_revocation", type: .gauge, help: "Partitions still owned by a member whose target no longer includes them.")
    static let awaitingRelease = MetricSpec(
        name: "kgtop_group_partitions_awaiting_release", type: .gauge, help: "Partitions in a member's target that another member still holds.")
    static let unowned = MetricSpec(
        name: "kgtop_group_partitions_unowned", type: .gauge, help: "Partitions the group should consume that nobody owns.")
    static let committedPartitions = MetricSpec(
        name: "kgtop_group_committed_partitions", type: .gauge, help: "Partitions with a committed offset of the group.")
    static let protocolInfo = MetricSpec(
        name: "kgtop_group_protocol", type: .info, help: "The group's protocol (classic, consumer, mixed, share, streams), type, protocol type and assignor.")
    static let stateInfo = MetricSpec(name: "kgtop_group_state", type: .info, help: "The group's state as the broker names it.")
    static let stateCode = MetricSpec(
        name: "kgtop_group_state_code", type: .gauge,
        help: "The group's state as a number in Kafka's GroupState order: 0 Unknown, 1 PreparingRebalance, 2 CompletingRebalance, 3 Stable, 4 Dead, 5 Empty, 6 Assigning, 7 Reconciling.")
    static let health = MetricSpec(name: "kgtop_group_health", type: .info, help: "The group's health verdict (OK, REBALANCING, WARN, STUCK, ERR, STOP, STALL, REWIND).")
    static let healthSeverity = MetricSpec(
        name: "kgtop_group_health_severity", type: .gauge, help: "The verdict's severity: 0 OK, 1 REBALANCING, 2 WARN, 3 STUCK, 4 ERR, 5 STOP, 6 STALL, 7 REWIND.")
    static let emptySeconds = MetricSpec(
        name: "kgtop_group_empty_seconds", type: .gauge,
        help: "Seconds this process has seen the group Empty with no members (a lower bound); committed offsets expire offsets.retention.minutes after the group emptied.")
    static let rebalances = MetricSpec(name: "kgtop_rebalances", type: .counter, help: "Rebalance episodes started, by what triggered them.")
    static let rebalanceDuration = MetricSpec(
        name: "kgtop_rebalance_duration_seconds", type: .histogram, help: "Duration of finished rebalance episodes.")
    static let episodeSeconds = MetricSpec(
        name: "kgtop_rebalance_episode_seconds", type: .gauge, help: "How long the group's current rebalance episode has lasted (0 when none is under way).")
    static let blockingMember = MetricSpec(
        name: "kgtop_rebalance_blocking_member", type: .info, help: "A member holding up the current rebalance: behind the assignment epoch past the stuck threshold.")
    static let blockingMemberSeconds = MetricSpec(
        name: "kgtop_rebalance_blocking_member_seconds", type: .gauge, help: "How long the blocking member has been behind the assignment epoch.")

    // MARK: - The exporter itself

    static let up = MetricSpec(name: "kgtop_up", type: .gauge, help: "1 when the context's last poll succeeded, 0 when it failed (its group series are then left out).")
    static let lastSuccess = MetricSpec(
        name: "kgtop_last_successful_poll_timestamp_seconds", type: .gauge, help: "When the context was last polled successfully (Unix time).")
    static let groupCount = MetricSpec(name: "kgtop_groups", type: .gauge, help: "Groups of the context that are exported (after include / exclude).")
    static let pollDuration = MetricSpec(name: "kgtop_poll_duration_seconds", type: .histogram, help: "How long a successful poll took.")
    static let pollErrors = MetricSpec(
        name: "kgtop_poll_errors", type: .counter,
        help: "Poll errors by kind: poll (the whole poll failed: no broker answered, authentication failed) or the Kafka request that failed for a broker, group or partition.")
    static let seriesDropped = MetricSpec(
        name: "kgtop_series_dropped", type: .counter, help: "Series left out of scrapes because of --max-series (per-partition series go first).")

    /// Every metric, in the order a scrape lists them.
    static let all: [MetricSpec] = [
        up, lastSuccess, groupCount, pollDuration, pollErrors, groupEpoch, assignmentEpoch, members, membersBehind, pendingRevocation,
        awaitingRelease, unowned, committedPartitions, protocolInfo, stateInfo, stateCode, health, healthSeverity, emptySeconds,
        rebalances, rebalanceDuration, episodeSeconds, blockingMember, blockingMemberSeconds, maxLag, maxLagSeconds, maxLagSecondsBound, sumLag,
        topicSumLag, lag, lagSeconds, seriesDropped,
    ]

    /// Kafka's GroupState order, the 0-7 code of ``stateCode``.
    static func code(of state: GroupState) -> Int {
        switch state {
        case .preparingRebalance: return 1
        case .completingRebalance: return 2
        case .stable: return 3
        case .dead: return 4
        case .empty: return 5
        case .assigning: return 6
        case .reconciling: return 7
        case .notReady, .unknown: return 0
        }
    }

    /// How a person names a member when the model gave it no label (an older recording): its
    /// client id at its host.
    static func label(clientID: String, clientHost: String) -> String { "\(clientID)@\(clientHost)" }

    // MARK: - Per context

    static func contextSeries(_ s: FleetExporter.State, into b: inout FamilyBuilder) {
        let cluster = [("cluster_name", s.context.name)]
        b.add(up, labels: cluster, value: s.latest.map { $0.failure == nil ? 1.0 : 0.0 } ?? 0)
        if let ok = s.lastSuccessAt { b.add(lastSuccess, labels: cluster, value: Double(ok) / 1_000) }
        if s.pollDuration.count > 0 { b.add(pollDuration, s.pollDuration.samples(labels: cluster)) }
        for kind in s.pollErrors.keys.sorted() {
            b.add(pollErrors, labels: cluster + [("kind", kind)], value: Double(s.pollErrors[kind] ?? 0))
        }
        for key in s.rebalances.keys.sorted(by: { ($0.group, $0.trigger) < ($1.group, $1.trigger) }) {
            b.add(rebalances, labels: cluster + [("group", key.group), ("trigger", key.trigger)], value: Double(s.rebalances[key] ?? 0))
        }
        for group in s.rebalanceDurations.keys.sorted() {
            if let h = s.rebalanceDurations[group] { b.add(rebalanceDuration, h.samples(labels: cluster + [("group", group)])) }
        }
    }

    /// The groups of a context whose last poll succeeded (a failed poll leaves them out).
    static func exportedGroups(_ s: FleetExporter.State) -> (MonitorUpdate, [Group])? {
        guard let u = s.latest, u.failure == nil, let snapshot = u.snapshot else { return nil }
        return (u, snapshot.groups.filter(s.context.accepts))
    }

    /// The group-level series of one context's exported groups (``exportedGroups(_:)``).
    static func groupSeries(_ s: FleetExporter.State, update: MonitorUpdate, shown: [Group], into b: inout FamilyBuilder) {
        let cluster = ("cluster_name", s.context.name)
        b.add(groupCount, labels: [cluster], value: Double(shown.count))
        var open: [String: RebalanceEpisode] = [:]
        for e in update.openEpisodes { open[e.groupID] = e }
        for g in shown {
            let l = [cluster, ("group", g.groupID)]
            let sum = g.summary
            if let epoch = g.groupEpoch ?? g.generationID { b.add(groupEpoch, labels: l, value: Double(epoch)) }
            if let epoch = g.assignmentEpoch { b.add(assignmentEpoch, labels: l, value: Double(epoch)) }
            b.add(members, labels: l, value: Double(g.members.count))
            b.add(membersBehind, labels: l, value: Double(sum.membersBehindAssignmentEpoch.count))
            b.add(pendingRevocation, labels: l, value: Double(sum.pendingRevocation))
            b.add(awaitingRelease, labels: l, value: Double(sum.awaitingRelease))
            b.add(unowned, labels: l, value: Double(sum.partitionsUnowned))
            b.add(committedPartitions, labels: l, value: Double(g.partitions.filter { $0.committedOffset != nil }.count))
            b.add(
                protocolInfo,
                labels: l + [("protocol", g.protocol.rawValue), ("type", g.type.brokerString), ("protocol_type", g.protocolType ?? ""), ("assignor", g.assignor ?? "")],
                value: 1)
            b.add(stateInfo, labels: l + [("state", g.state.brokerString)], value: 1)
            b.add(stateCode, labels: l, value: Double(code(of: g.state)))
            if let v = update.verdicts[g.groupID] {
                b.add(health, labels: l + [("status", v.status.rawValue)], value: 1)
                b.add(healthSeverity, labels: l, value: Double(v.status.severity))
            }
            if let since = s.emptySince[g.groupID] { b.add(emptySeconds, labels: l, value: Double(max(0, update.at - since)) / 1_000) }
            let episode = open[g.groupID]
            b.add(episodeSeconds, labels: l, value: episode.map { Double(max(0, update.at - $0.startedAt)) / 1_000 } ?? 0)
            for m in episode?.stuckMembers ?? [] {
                let ml = l + [
                    ("member", m.label ?? label(clientID: m.clientID, clientHost: m.clientHost)), ("member_id", m.memberID), ("client_id", m.clientID),
                    ("member_host", m.clientHost),
                ]
                b.add(blockingMember, labels: ml, value: 1)
                b.add(blockingMemberSeconds, labels: ml, value: Double(m.behindForMs) / 1_000)
            }
            if let max = sum.maxLag { b.add(maxLag, labels: l, value: Double(max)) }
            let times = update.timeLags[g.groupID] ?? [:]
            if let worst = TimeLag.groupMaximum(g.partitions.compactMap { times[$0.topicPartition] }), let seconds = worst.seconds {
                b.add(maxLagSeconds, labels: l, value: seconds)
                b.add(maxLagSecondsBound, labels: l, value: worst.isLowerBound ? 1 : 0)
            }
            b.add(sumLag, labels: l, value: Double(sum.totalLag))
            var perTopic: [String: Int64] = [:]
            var topics: [String] = []
            for p in g.partitions {
                let topic = p.topicPartition.topic
                if perTopic[topic] == nil {
                    topics.append(topic)
                    perTopic[topic] = 0
                }
                if case .known(let offsets) = p.lag { perTopic[topic, default: 0] += offsets }
            }
            for t in topics { b.add(topicSumLag, labels: l + [("topic", t)], value: Double(perTopic[t] ?? 0)) }
        }
    }

    /// The per-partition series of one context's exported groups (``exportedGroups(_:)``).
    static func partitionSeries(_ s: FleetExporter.State, update: MonitorUpdate, shown: [Group], into b: inout FamilyBuilder) {
        for g in shown {
            var byID: [String: GroupMember] = [:]
            for m in g.members { byID[m.memberID] = m }
            let times = update.timeLags[g.groupID] ?? [:]
            for p in g.partitions {
                let owner = p.owner.flatMap { byID[$0] }
                let l = [
                    ("cluster_name", s.context.name), ("group", g.groupID), ("topic", p.topicPartition.topic),
                    ("partition", String(p.topicPartition.partition)), ("member_host", owner?.clientHost ?? ""),
                    ("consumer_id", owner?.memberID ?? ""), ("client_id", owner?.clientID ?? ""),
                ]
                if case .known(let offsets) = p.lag { b.add(lag, labels: l, value: Double(offsets)) }
                if let seconds = times[p.topicPartition]?.seconds { b.add(lagSeconds, labels: l, value: seconds) }
            }
        }
    }
}

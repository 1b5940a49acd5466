import GroupModel
import Monitor

/// Every metric `kgtop serve` exports, and how each is read off a context's newest update.
/// The README's "Metrics" section lists the same names; ``all`` is what the tests hold it to.
enum MetricCatalog {
    // MARK: - Lag, named as kafka-lag-exporter names them (existing dashboards use them)

    static let lag = MetricSpec(
        name: "kafka_consumergroup_group_lag", type: .gauge, help: "Lag in offsets of a partition the group consumes.", tier: .partition)
    static let lagSeconds = MetricSpec(
        name: "kafka_consumergroup_group_lag_seconds", type: .gauge, help: "Lag in seconds of a partition the group consumes (time since the committed offset was the log end).", tier: .partition)
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
        help: "The group's state as a number, coded as klag-exporter codes it: 1 PreparingRebalance, 2 CompletingRebalance, 3 Stable, 4 Dead, 5 Empty, 6 Assigning, 7 Reconciling, 0 any other (Unknown, NotReady).")
    /// The verdicts in severity order, as GroupModel's ``HealthStatus`` defines them.
    private static let verdicts = HealthStatus.allCases.sorted { $0.severity < $1.severity }
    static let health = MetricSpec(
        name: "kgtop_group_health", type: .info,
        help: "The group's health verdict (\(verdicts.map(\.rawValue).joined(separator: ", "))).")
    static let healthSeverity = MetricSpec(
        name: "kgtop_group_health_severity", type: .gauge,
        help: "The verdict's severity: \(verdicts.map { "\($0.severity) \($0.rawValue)" }.joined(separator: ", ")).")
    static let emptySeconds = MetricSpec(
        name: "kgtop_group_empty_seconds", type: .gauge,
        help: "Seconds this process has seen the group Empty with no members (a lower bound); committed offsets expire offsets.retention.minutes after the group emptied.")
    static let rebalances = MetricSpec(name: "kgtop_rebalances", type: .counter, help: "Rebalance episodes started, by what triggered them.", tier: .context)
    static let rebalanceDuration = MetricSpec(
        name: "kgtop_rebalance_duration_seconds", type: .histogram, help: "Duration of finished rebalance episodes.", tier: .context)
    static let episodeSeconds = MetricSpec(
        name: "kgtop_rebalance_episode_seconds", type: .gauge, help: "How long the group's current rebalance episode has lasted (0 when none is under way).")
    static let blockingMember = MetricSpec(
        name: "kgtop_rebalance_blocking_member", type: .info, help: "A member holding up the current rebalance: behind the assignment epoch past the stuck threshold.")
    static let blockingMemberSeconds = MetricSpec(
        name: "kgtop_rebalance_blocking_member_seconds", type: .gauge, help: "How long the blocking member has been behind the assignment epoch.")

    // MARK: - The exporter itself

    static let up = MetricSpec(name: "kgtop_up", type: .gauge, help: "1 when the context's last poll succeeded, 0 when it failed (its group series are then left out).", tier: .context)
    static let lastSuccess = MetricSpec(
        name: "kgtop_last_successful_poll_timestamp_seconds", type: .gauge, help: "When the context was last polled successfully (Unix time).", tier: .context)
    static let groupCount = MetricSpec(name: "kgtop_groups", type: .gauge, help: "Groups of the context that are exported (after include / exclude).")
    static let pollDuration = MetricSpec(name: "kgtop_poll_duration_seconds", type: .histogram, help: "How long a successful poll took.", tier: .context)
    static let pollErrors = MetricSpec(
        name: "kgtop_poll_errors", type: .counter,
        help: "Poll errors by kind: poll (the whole poll failed: no broker answered, authentication failed) or the Kafka request that failed for a broker, group or partition.", tier: .context)
    static let seriesDropped = MetricSpec(
        name: "kgtop_series_dropped", type: .counter, help: "Series left out of scrapes because of --max-series (per-partition series go first).", tier: .uncapped)

    /// Every metric, in the order a scrape lists them.
    static let all: [MetricSpec] = [
        up, lastSuccess, groupCount, pollDuration, pollErrors, groupEpoch, assignmentEpoch, members, membersBehind, pendingRevocation,
        awaitingRelease, unowned, committedPartitions, protocolInfo, stateInfo, stateCode, health, healthSeverity, emptySeconds,
        rebalances, rebalanceDuration, episodeSeconds, blockingMember, blockingMemberSeconds, maxLag, maxLagSeconds, maxLagSecondsBound, sumLag,
        topicSumLag, lag, lagSeconds, seriesDropped,
    ]

    /// The 0-7 code of ``stateCode``: the codes klag-exporter gives the broker's state names in
    /// its `kafka_consumergroup_group_state` (Kafka's client `GroupState` enum in its order,
    /// Unknown first), so dashboards built on either read the same numbers. klag-exporter gives 0
    /// to every other name, a streams group's NotReady among them; so does kgtop.
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

    /// Each family's position in ``all``.
    static let slots: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($0.element.name, $0.offset) })

    // MARK: - Per context

    /// Everything a context exports, written once per poll (``FleetExporter``): its own series, and
    /// when its last poll succeeded, its exported groups' series and (with `partitionMetrics`) their
    /// partitions' series.
    static func render(_ s: FleetExporter.State, partitionMetrics: Bool) -> ContextLines {
        var lines = ContextLines()
        let cluster = Labels("cluster_name", s.context.name)
        contextSeries(s, cluster: cluster, into: &lines)
        if let (update, shown) = exportedGroups(s) {
            groupSeries(s, cluster: cluster, update: update, shown: shown, into: &lines)
            if partitionMetrics { partitionSeries(s, update: update, shown: shown, into: &lines) }
        }
        return lines
    }

    static func contextSeries(_ s: FleetExporter.State, cluster: Labels, into b: inout ContextLines) {
        b[up].series(up.sampleName, cluster, s.latest.map { $0.failure == nil ? 1.0 : 0.0 } ?? 0)
        if let ok = s.lastSuccessAt { b[lastSuccess].series(lastSuccess.sampleName, cluster, Double(ok) / 1_000) }
        if s.pollDuration.count > 0 { s.pollDuration.write(pollDuration.name, labels: cluster, into: &b[pollDuration]) }
        for kind in s.pollErrors.keys.sorted() {
            b[pollErrors].series(pollErrors.sampleName, cluster, "kind", kind, Double(s.pollErrors[kind] ?? 0))
        }
        var groupLabels = cluster
        var labelledGroup: String?
        for key in s.rebalances.keys.sorted(by: { ($0.group, $0.trigger) < ($1.group, $1.trigger) }) {
            if labelledGroup != key.group {
                groupLabels = cluster.adding("group", key.group)
                labelledGroup = key.group
            }
            b[rebalances].series(rebalances.sampleName, groupLabels, "trigger", key.trigger, Double(s.rebalances[key] ?? 0))
        }
        for group in s.rebalanceDurations.keys.sorted() {
            s.rebalanceDurations[group]?.write(rebalanceDuration.name, labels: cluster.adding("group", group), into: &b[rebalanceDuration])
        }
    }

    /// The groups of a context whose last poll succeeded (a failed poll leaves them out).
    static func exportedGroups(_ s: FleetExporter.State) -> (MonitorUpdate, [Group])? {
        guard let u = s.latest, u.failure == nil, let snapshot = u.snapshot else { return nil }
        return (u, snapshot.groups.filter(s.context.accepts))
    }

    /// The group-level series of one context's exported groups (``exportedGroups(_:)``).
    static func groupSeries(_ s: FleetExporter.State, cluster: Labels, update: MonitorUpdate, shown: [Group], into b: inout ContextLines) {
        b[groupCount].series(groupCount.sampleName, cluster, Double(shown.count))
        var open: [String: RebalanceEpisode] = [:]
        for e in update.openEpisodes { open[e.groupID] = e }
        for g in shown {
            let l = cluster.adding("group", g.groupID)
            let sum = g.summary
            if let epoch = g.groupEpoch ?? g.generationID { b[groupEpoch].series(groupEpoch.name, l, Double(epoch)) }
            if let epoch = g.assignmentEpoch { b[assignmentEpoch].series(assignmentEpoch.name, l, Double(epoch)) }
            b[members].series(members.name, l, Double(g.members.count))
            b[membersBehind].series(membersBehind.name, l, Double(sum.membersBehindAssignmentEpoch.count))
            b[pendingRevocation].series(pendingRevocation.name, l, Double(sum.pendingRevocation))
            b[awaitingRelease].series(awaitingRelease.name, l, Double(sum.awaitingRelease))
            b[unowned].series(unowned.name, l, Double(sum.partitionsUnowned))
            b[committedPartitions].series(committedPartitions.name, l, Double(g.partitions.count(where: { $0.committedOffset != nil })))
            var protocolLabels = l
            protocolLabels.add("protocol", g.protocol.rawValue)
            protocolLabels.add("type", g.type.brokerString)
            protocolLabels.add("protocol_type", g.protocolType ?? "")
            protocolLabels.add("assignor", g.assignor ?? "")
            b[protocolInfo].series(protocolInfo.sampleName, protocolLabels, 1)
            b[stateInfo].series(stateInfo.sampleName, l, "state", g.state.brokerString, 1)
            b[stateCode].series(stateCode.name, l, Double(code(of: g.state)))
            if let v = update.verdicts[g.groupID] {
                b[health].series(health.sampleName, l, "status", v.status.rawValue, 1)
                b[healthSeverity].series(healthSeverity.name, l, Double(v.status.severity))
            }
            if let since = s.emptySince[g.groupID] { b[emptySeconds].series(emptySeconds.name, l, Double(max(0, update.at - since)) / 1_000) }
            let episode = open[g.groupID]
            b[episodeSeconds].series(episodeSeconds.name, l, episode.map { Double(max(0, update.at - $0.startedAt)) / 1_000 } ?? 0)
            for m in episode?.stuckMembers ?? [] {
                var ml = l
                ml.add("member", m.label ?? label(clientID: m.clientID, clientHost: m.clientHost))
                ml.add("member_id", m.memberID)
                ml.add("client_id", m.clientID)
                ml.add("member_host", m.clientHost)
                b[blockingMember].series(blockingMember.sampleName, ml, 1)
                b[blockingMemberSeconds].series(blockingMemberSeconds.name, ml, Double(m.behindForMs) / 1_000)
            }
            if let max = sum.maxLag { b[maxLag].series(maxLag.name, l, Double(max)) }
            let times = update.timeLags[g.groupID] ?? [:]
            if let worst = TimeLag.groupMaximum(g.partitions.compactMap { times[$0.topicPartition] }), let seconds = worst.seconds {
                b[maxLagSeconds].series(maxLagSeconds.name, l, seconds)
                b[maxLagSecondsBound].series(maxLagSecondsBound.name, l, worst.isLowerBound ? 1 : 0)
            }
            // A share group commits no offsets: no lag series rather than an invented 0.
            guard g.lagApplies else { continue }
            b[sumLag].series(sumLag.name, l, Double(sum.totalLag))
            // Per topic, in the order the group's partitions name them (a group's partitions are
            // sorted, so one topic's partitions are together; a topic seen again adds to its sum).
            var topics: [(topic: String, lag: Int64)] = []
            for p in g.partitions {
                let topic = p.topicPartition.topic
                let known: Int64
                if case .known(let offsets) = p.lag { known = offsets } else { known = 0 }
                if let last = topics.indices.last, topics[last].topic == topic {
                    topics[last].lag += known
                } else if let i = topics.firstIndex(where: { $0.topic == topic }) {
                    topics[i].lag += known
                } else {
                    topics.append((topic, known))
                }
            }
            for t in topics { b[topicSumLag].series(topicSumLag.name, l, "topic", t.topic, Double(t.lag)) }
        }
    }

    /// The per-partition series of one context's exported groups (``exportedGroups(_:)``).
    static func partitionSeries(_ s: FleetExporter.State, update: MonitorUpdate, shown: [Group], into b: inout ContextLines) {
        var lagLines = SeriesLines()
        var secondsLines = SeriesLines()
        swap(&lagLines, &b[lag])
        swap(&secondsLines, &b[lagSeconds])
        let cluster = Labels("cluster_name", s.context.name)
        for g in shown {
            var byID: [String: GroupMember] = [:]
            for m in g.members { byID[m.memberID] = m }
            let times = update.timeLags[g.groupID] ?? [:]
            let groupLabels = cluster.adding("group", g.groupID)
            for p in g.partitions {
                let owner = p.owner.flatMap { byID[$0] }
                var l = groupLabels
                l.add("topic", p.topicPartition.topic)
                l.add("partition", String(p.topicPartition.partition))
                l.add("member_host", owner?.clientHost ?? "")
                l.add("consumer_id", owner?.memberID ?? "")
                l.add("client_id", owner?.clientID ?? "")
                if case .known(let offsets) = p.lag { lagLines.series(lag.name, l, Double(offsets)) }
                if let seconds = times[p.topicPartition]?.seconds { secondsLines.series(lagSeconds.name, l, seconds) }
            }
        }
        swap(&lagLines, &b[lag])
        swap(&secondsLines, &b[lagSeconds])
    }
}

/// One context's sample lines per metric family (in ``MetricCatalog/all`` order), written at its
/// poll and concatenated by every scrape until the next poll.
struct ContextLines: Sendable {
    private(set) var families = Array(repeating: SeriesLines(), count: MetricCatalog.all.count)

    /// The lines of `spec`'s family.
    subscript(_ spec: MetricSpec) -> SeriesLines {
        get { families[MetricCatalog.slots[spec.name] ?? 0] }
        set { families[MetricCatalog.slots[spec.name] ?? 0] = newValue }
        _modify { yield &families[MetricCatalog.slots[spec.name] ?? 0] }
    }

    /// Bytes held.
    var byteCount: Int { families.reduce(0) { $0 + $1.bytes.count + $1.starts.count * 4 } }
}

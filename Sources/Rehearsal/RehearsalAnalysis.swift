import Foundation
import GroupModel
import Workload

/// One poll of the group during a rehearsal.
struct Observation: Sendable {
    /// When the poll's snapshot was taken (ms since the Unix epoch).
    var atMs: Int64
    /// The group, nil when the coordinator does not know it (yet).
    var group: Group?
    /// Partitions of the rehearsal's topic, when the snapshot lists it.
    var partitionCount: Int?
    /// Why the poll failed, if it did.
    var failure: String?
}

/// Where every partition's ownership went during a step.
struct UnownedSummary: Sendable, Hashable {
    var maxGapMs: Int64 = 0
    var maxGapPartition: TopicPartition?
    var partitionsWithGap = 0
    var totalGapMs: Int64 = 0
    /// When the members' own assignments last became complete (every partition with exactly one
    /// owner) and stayed so until the end; nil when they never did.
    var completeSinceMs: Int64?
}

/// The pure part of a rehearsal's measurements, separated so it can be tested without clients.
enum RehearsalAnalysis {
    /// The group's epoch: KIP-848 group epoch, classic generation.
    static func epoch(_ group: Group?) -> Int32? {
        guard let group else { return nil }
        return group.groupEpoch ?? group.generationID
    }

    /// Whether the members' own assignments cover every partition of `topic` exactly once.
    static func ownershipComplete(_ assignments: [[TopicPartition]], topic: String, partitionCount: Int) -> Bool {
        var seen = Set<Int32>()
        var total = 0
        for assignment in assignments {
            for tp in assignment where tp.topic == topic {
                total += 1
                seen.insert(tp.partition)
            }
        }
        return total == partitionCount && seen.count == partitionCount && seen.allSatisfy { $0 >= 0 && $0 < partitionCount }
    }

    /// Whether the coordinator says the group is done rebalancing with exactly `liveMembers`
    /// members; the reason when not.
    static func coordinatorSettled(_ group: Group?, liveMembers: Int) -> (settled: Bool, reason: String) {
        guard let group else { return (false, "the coordinator does not report the group yet") }
        if group.members.count != liveMembers {
            return (false, "coordinator lists \(group.members.count) members, \(liveMembers) running")
        }
        switch group.type {
        case .consumer:
            guard let ge = group.groupEpoch, let ae = group.assignmentEpoch else { return (false, "epochs unknown") }
            if ae != ge { return (false, "assignment epoch \(ae) behind group epoch \(ge)") }
            let behind = group.members.filter { !$0.isReconciled(assignmentEpoch: ae) }
            if !behind.isEmpty { return (false, "\(behind.count) members behind the assignment epoch") }
            if group.summary.pendingRevocation > 0 { return (false, "\(group.summary.pendingRevocation) partitions pending revocation") }
            if group.summary.partitionsUnowned > 0 || group.summary.awaitingRelease > 0 {
                return (false, "\(group.summary.partitionsUnowned + group.summary.awaitingRelease) partitions without owner")
            }
            return (true, "reconciled at epoch \(ge)")
        default:
            switch group.state {
            case .stable: return (true, group.generationID.map { "Stable, generation \($0)" } ?? "Stable")
            // Some brokers (Tansu) do not report a state; the member count and the members' own
            // assignments are all there is.
            case .unknown: return (true, "state not reported; \(liveMembers) members")
            default: return (false, "state \(group.state.brokerString)")
            }
        }
    }

    /// When the coordinator had computed the final target of a step (absolute ms), from the polls
    /// between the step's start and the poll that saw it reconciled: the first poll of the final
    /// epoch run at which (KIP-848) the assignment epoch equals the group epoch, or (classic) the
    /// group is Stable. Nil when no poll saw the epoch move past `epochBefore`.
    static func targetComputedAt(_ observations: [Observation], epochBefore: Int32?, until: Int64) -> Int64? {
        let window = observations.filter { $0.atMs <= until && epoch($0.group) != nil }
        guard let finalEpoch = window.last.flatMap({ epoch($0.group) }) else { return nil }
        if let epochBefore, finalEpoch <= epochBefore { return nil }
        // Start of the final run of polls at the final epoch.
        var start = window.count - 1
        while start > 0, epoch(window[start - 1].group) == finalEpoch { start -= 1 }
        for obs in window[start...] {
            guard let g = obs.group else { continue }
            if g.type == .consumer {
                if g.assignmentEpoch == g.groupEpoch { return obs.atMs }
            } else if g.state == .stable {
                return obs.atMs
            }
        }
        return nil
    }

    /// Classic fallback when the coordinator's generations are not visible (DescribeGroups carries
    /// none; member metadata only from subscription v2 on): the leader's assignment reached the
    /// members when the first member applied an assignment after the last partitions were given
    /// up (eager: all revoked, then all assigned; cooperative: the second round's assignment).
    static func targetFromCallbacks(_ events: [AssignmentEvent], fromMs: Int64, untilMs: Int64) -> Int64? {
        let window = events.filter { $0.atMs >= fromMs && $0.atMs <= untilMs }
        let lastRelease = window.filter { $0.kind != .assigned }.map(\.atMs).max() ?? fromMs
        return window.first { $0.kind == .assigned && $0.atMs >= lastRelease }?.atMs
    }

    /// Replays the members' assignment events from `fromMs` to `toMs` and measures how long each
    /// partition went without an owner.
    /// - Parameters:
    ///   - initialOwners: owners (`member#incarnation`) of each partition at `fromMs`.
    ///   - partitions: every partition of the topic at the end.
    ///   - appearedAt: when partitions that did not exist at `fromMs` were created.
    static func unowned(
        events: [AssignmentEvent], initialOwners: [TopicPartition: Set<String>], partitions: [TopicPartition],
        appearedAt: [TopicPartition: Int64], fromMs: Int64, toMs: Int64
    ) -> UnownedSummary {
        var owners = initialOwners
        var gapStart: [TopicPartition: Int64] = [:]
        var maxGap: [TopicPartition: Int64] = [:]
        var total: [TopicPartition: Int64] = [:]
        let all = Set(partitions)
        for tp in partitions where (owners[tp] ?? []).isEmpty {
            gapStart[tp] = appearedAt[tp] ?? fromMs
        }
        func complete() -> Bool { all.allSatisfy { owners[$0]?.count == 1 } }
        var completeSince: Int64? = complete() ? fromMs : nil

        func closeGap(_ tp: TopicPartition, at: Int64) {
            guard let start = gapStart.removeValue(forKey: tp) else { return }
            let gap = max(0, at - start)
            maxGap[tp] = max(maxGap[tp] ?? 0, gap)
            total[tp, default: 0] += gap
        }

        for event in events.sorted(by: { $0.atMs < $1.atMs }) where event.atMs >= fromMs && event.atMs <= toMs {
            let who = "\(event.member)#\(event.incarnation)"
            switch event.kind {
            case .assigned:
                if !event.incremental {
                    // An eager assignment replaces the member's whole assignment.
                    let keep = Set(event.partitions)
                    for (tp, set) in owners where set.contains(who) && !keep.contains(tp) {
                        owners[tp] = set.subtracting([who])
                        if owners[tp]!.isEmpty, all.contains(tp) { gapStart[tp] = event.atMs }
                    }
                }
                for tp in event.partitions {
                    owners[tp, default: []].insert(who)
                    closeGap(tp, at: event.atMs)
                }
            case .revoked, .lost, .killed:
                for tp in event.partitions {
                    owners[tp]?.remove(who)
                    if (owners[tp] ?? []).isEmpty, all.contains(tp), gapStart[tp] == nil { gapStart[tp] = event.atMs }
                }
            }
            if complete() {
                if completeSince == nil { completeSince = event.atMs }
            } else {
                completeSince = nil
            }
        }
        for tp in Array(gapStart.keys) { closeGap(tp, at: toMs) }

        var summary = UnownedSummary()
        summary.completeSinceMs = completeSince
        for (tp, gap) in maxGap where gap > 0 {
            summary.partitionsWithGap += 1
            if gap > summary.maxGapMs || (gap == summary.maxGapMs && tp < (summary.maxGapPartition ?? tp)) {
                summary.maxGapMs = gap
                summary.maxGapPartition = tp
            }
        }
        summary.totalGapMs = total.values.reduce(0, +)
        return summary
    }

    /// librdkafka's setting for how often a consumer refreshes its metadata (and so learns of new
    /// partitions of the topics it subscribed to by name).
    static let refreshSetting = "topic.metadata.refresh.interval.ms"
    /// librdkafka's default for ``refreshSetting``, ms.
    static let defaultRefreshIntervalMs: Int64 = 300_000
    /// Time allowed on top of one metadata refresh for the rebalance it triggers, ms.
    static let refreshMarginMs: Int64 = 30_000

    /// Why an add-partitions step waits for classic members, nil for any other step or protocol.
    /// `memberProperties` are the properties the members ran with; `startedAtMs` is the step's
    /// start, `settled` whether it settled within `timeoutMs`.
    static func newPartitionsCause(
        step: RehearsalStep, protocol: RehearsalProtocol, memberProperties: ClientProperties,
        startedAtMs: Int64, settled: Bool, timeoutMs: Int64
    ) -> RehearsalCause? {
        guard case .addPartitions = step, `protocol` == .classic else { return nil }
        let configured = memberProperties[refreshSetting]
        let parsed = configured.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        let intervalMs = parsed ?? defaultRefreshIntervalMs
        let source = parsed == nil ? "librdkafka's default" : "as configured"
        var text = "classic members subscribe to the topic by name and learn of new partitions only at their next "
            + "metadata refresh: \(refreshSetting) = \(intervalMs) ms (\(source); the Java client's equivalent is metadata.max.age.ms)"
        var expectedBy: Int64?
        if intervalMs < 0 {
            text += "; -1 turns the periodic refresh off, so they may not see the new partitions at all"
        } else if !settled {
            let by = startedAtMs + intervalMs
            expectedBy = by
            text += "; every member sees them by \(utcTime(by)) (the step's start + up to one refresh, \(seconds(intervalMs))) "
                + "and the group is expected to settle shortly after"
            let needed = intervalMs + refreshMarginMs
            if timeoutMs < needed {
                text += "; the step timeout of \(seconds(timeoutMs)) does not cover one refresh + \(seconds(refreshMarginMs)) for the rebalance: to measure it, give --step-timeout at least "
                    + "\(seconds(needed)) or lower it with -X \(refreshSetting)=<ms>"
            }
        }
        return RehearsalCause(
            text: text, setting: refreshSetting, settingMs: intervalMs, javaSetting: "metadata.max.age.ms", expectedByMs: expectedBy)
    }

    /// `12:34:56 UTC`.
    static func utcTime(_ ms: Int64) -> String {
        let secondsOfDay = ((ms / 1000) % 86_400 + 86_400) % 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60)) UTC"
    }

    /// `300 s`, `2.5 s`.
    static func seconds(_ ms: Int64) -> String {
        ms % 1000 == 0 ? "\(ms / 1000) s" : String(format: "%.1f s", Double(ms) / 1000)
    }
}

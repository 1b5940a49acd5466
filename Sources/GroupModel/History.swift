/// What one poll saw of one partition of one group.
public struct PartitionObservation: Sendable, Hashable, Codable {
    /// Snapshot time (ms since the Unix epoch).
    public var timestamp: Int64
    /// Committed offset, when the group has one.
    public var committed: Int64?
    /// Log end offset, when known.
    public var logEnd: Int64?
    /// Lag at that time.
    public var lag: LagValue
    /// Owner at that time.
    public var owner: String?
    /// Hand-off state at that time.
    public var handoff: HandoffState
    /// Error at that time.
    public var error: ItemError?

    /// Creates an observation.
    public init(timestamp: Int64, committed: Int64?, logEnd: Int64?, lag: LagValue, owner: String?, handoff: HandoffState, error: ItemError?) {
        self.timestamp = timestamp
        self.committed = committed
        self.logEnd = logEnd
        self.lag = lag
        self.owner = owner
        self.handoff = handoff
        self.error = error
    }

    /// The observation of a partition row at `timestamp`.
    public init(row: GroupPartition, timestamp: Int64) {
        self.init(timestamp: timestamp, committed: row.committedOffset, logEnd: row.logEnd, lag: row.lag,
                  owner: row.owner, handoff: row.handoff, error: row.error)
    }
}

/// Since when a partition's committed offset has had its current value, as far as the polls saw.
public struct CommitMark: Sendable, Hashable, Codable {
    /// The committed offset (`nil`: none).
    public var offset: Int64?
    /// The first snapshot time that showed this value.
    public var since: Int64

    /// Creates a mark.
    public init(offset: Int64?, since: Int64) {
        self.offset = offset
        self.since = since
    }
}

/// A bounded history of snapshots, kept by the Monitor: per group and partition a ring of the last
/// ``capacity`` observations, per partition a ring of log-end samples (for time lag), and per group
/// when each member was first seen behind the assignment epoch. Groups that disappear are dropped.
public struct History: Sendable, Hashable, Codable {
    /// Observations kept per partition (Burrow's `intervals`).
    public var capacity: Int
    /// Per group id, per partition: observations, oldest first.
    public private(set) var partitions: [String: [TopicPartition: [PartitionObservation]]] = [:]
    /// Per partition: log-end samples, oldest first.
    public private(set) var logEnds: [TopicPartition: [OffsetSample]] = [:]
    /// Per group id, per member id: the first snapshot time the member was behind, while it still is.
    public private(set) var behindSince: [String: [String: Int64]] = [:]
    /// Per group id, per partition: since when the committed offset has stood at its value (kept
    /// beyond the ring, one entry per partition, so long silences can be measured).
    public private(set) var commitMarks: [String: [TopicPartition: CommitMark]] = [:]
    /// Time of the latest recorded snapshot.
    public private(set) var latestTimestamp: Int64?

    /// Creates an empty history.
    public init(capacity: Int = 10) {
        self.capacity = max(1, capacity)
    }

    /// Records a snapshot (snapshots must arrive in time order).
    public mutating func record(_ snapshot: ClusterSnapshot) {
        let at = snapshot.takenAt
        latestTimestamp = at
        for topic in snapshot.topics {
            for partition in topic.partitions {
                guard let logEnd = partition.logEnd else { continue }
                let tp = TopicPartition(topic: topic.name, partition: partition.partition)
                // A static helper: calling a method on `self` while `self.logEnds` is borrowed for
                // writing made Swift copy the whole dictionary for every partition.
                Self.append(&logEnds[tp, default: []], OffsetSample(timestamp: at, logEnd: logEnd), capacity: capacity)
            }
        }
        let liveTopics = Set(snapshot.topics.flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.name, partition: $0.partition) } })
        // Every live partition was just added, so equal counts mean nothing is left to drop (and
        // rebuilding a dictionary of every partition on every poll is not free).
        if logEnds.count != liveTopics.count { logEnds = logEnds.filter { liveTopics.contains($0.key) } }

        var groupsNow: [String: [TopicPartition: [PartitionObservation]]] = [:]
        groupsNow.reserveCapacity(snapshot.groups.count)
        var behindNow: [String: [String: Int64]] = [:]
        var marksNow: [String: [TopicPartition: CommitMark]] = [:]
        for group in snapshot.groups {
            // Take the group's rings out of the old history so each one is uniquely referenced and
            // grows in place; reading them through `partitions[id]?[tp]` copied the group's whole
            // dictionary once per partition (quadratic in partitions per group).
            var previous = partitions.removeValue(forKey: group.groupID) ?? [:]
            var rows: [TopicPartition: [PartitionObservation]] = [:]
            rows.reserveCapacity(group.partitions.count)
            var marks: [TopicPartition: CommitMark] = [:]
            let previousMarks = commitMarks[group.groupID] ?? [:]
            for row in group.partitions {
                if let mark = previousMarks[row.topicPartition], mark.offset == row.committedOffset {
                    marks[row.topicPartition] = mark
                } else {
                    marks[row.topicPartition] = CommitMark(offset: row.committedOffset, since: at)
                }
                var ring = previous.removeValue(forKey: row.topicPartition) ?? []
                Self.append(&ring, PartitionObservation(row: row, timestamp: at), capacity: capacity)
                rows[row.topicPartition] = ring
            }
            groupsNow[group.groupID] = rows
            marksNow[group.groupID] = marks
            var behind: [String: Int64] = [:]
            for member in group.membersBehindAssignmentEpoch {
                behind[member.memberID] = behindSince[group.groupID]?[member.memberID] ?? at
            }
            if !behind.isEmpty { behindNow[group.groupID] = behind }
        }
        partitions = groupsNow
        behindSince = behindNow
        commitMarks = marksNow
    }

    /// Observations of one partition of one group, oldest first.
    public func observations(groupID: String, topicPartition: TopicPartition) -> [PartitionObservation] {
        partitions[groupID]?[topicPartition] ?? []
    }

    /// Since when the committed offset of one partition of one group has stood at its current value.
    public func commitUnchangedSince(groupID: String, topicPartition: TopicPartition) -> Int64? {
        commitMarks[groupID]?[topicPartition]?.since
    }

    /// Log-end samples of one partition, oldest first.
    public func logEndSamples(_ topicPartition: TopicPartition) -> [OffsetSample] {
        logEnds[topicPartition] ?? []
    }

    /// Known lags of one partition of one group, oldest first (for ``TimeLagEstimator/trend(_:steadyTolerance:)``).
    public func lagSamples(groupID: String, topicPartition: TopicPartition) -> [LagSample] {
        observations(groupID: groupID, topicPartition: topicPartition).compactMap { obs in
            obs.lag.offsets.map { LagSample(timestamp: obs.timestamp, lag: $0) }
        }
    }

    private static func append<T>(_ ring: inout [T], _ value: T, capacity: Int) {
        ring.append(value)
        if ring.count > capacity { ring.removeFirst(ring.count - capacity) }
    }
}

import SeededRandom
import Foundation
import GroupModel
import Recording

// Measures the recording's size: N steady KIP-848 groups (3 members, 10 partitions each, on their
// own topic), log ends advancing and commits following, recorded for one simulated hour at a 5 s
// interval, for several keyframe intervals. Prints bytes per group per hour; asserts nothing.
//
//   swift run -c release RecordingBench [groups] [polls] [steady|noisy|both] [intervals, e.g. 60,360]


struct Workload {
    let groups: Int
    let jitter: Bool
    let intervalMs: Int64 = 5_000
    var rng = SplitMix64(seed: 42)
    var rates: [[Int64]] = []      // messages per poll, per group and partition
    var logEnds: [[Int64]] = []
    var lags: [[Int64]] = []
    let memberIDs: [[String]]

    init(groups: Int, jitter: Bool) {
        self.groups = groups
        self.jitter = jitter
        var rng = SplitMix64(seed: 7)
        func id() -> String {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            return String((0..<22).map { _ in alphabet[rng.below(alphabet.count)] })
        }
        memberIDs = (0..<groups).map { _ in (0..<3).map { _ in id() } }
        // Producers spread records evenly over a topic's partitions: partitions of one topic have
        // similar log ends and rates; topics differ widely.
        for _ in 0..<groups {
            let rate = 5 + rng.below(1_000)
            let base = 1_000_000 + rng.below(50_000_000)
            rates.append((0..<10).map { _ in Int64(rate + rng.below(rate / 10 + 1)) })
            logEnds.append((0..<10).map { _ in Int64(base + rng.below(base / 100)) })
            lags.append((0..<10).map { _ in Int64(rng.below(200)) })
        }
    }

    func topic(_ g: Int) -> String { "events-\(String(format: "%04d", g))" }

    /// The next poll: every log end advances by its rate (±20 % when jittered); commits follow at
    /// the same lag (or, jittered, at a lag that wanders).
    mutating func next(at takenAt: Int64) -> ClusterSnapshot {
        var offsets: [LogOffsetsInput] = []
        var consumer: [DescribedConsumerGroupInput] = []
        var committed: [CommittedOffsetsInput] = []
        var listed: [ListedGroupInput] = []
        for g in 0..<groups {
            let name = topic(g)
            var commits: [CommittedOffsetsInput.Offset] = []
            for p in 0..<10 {
                var step = rates[g][p]
                if jitter { step += Int64(rng.below(Int(step / 5) * 2 + 1)) - step / 5 }
                logEnds[g][p] += step
                if jitter { lags[g][p] = max(0, lags[g][p] + Int64(rng.below(41)) - 20) }
                let tp = TopicPartition(topic: name, partition: Int32(p))
                offsets.append(LogOffsetsInput(topicPartition: tp, logStart: 0, logEnd: logEnds[g][p], leader: Int32(p % 3)))
                commits.append(.init(topicPartition: tp, offset: logEnds[g][p] - lags[g][p]))
            }
            let groupID = "svc-\(String(format: "%04d", g))-consumer"
            let owned: [[Int32]] = [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
            let members = (0..<3).map { m in
                DescribedConsumerGroupInput.Member(
                    memberID: memberIDs[g][m], memberEpoch: 12, clientID: "svc-\(g)-\(m)", clientHost: "/10.1.\(g % 250).\(m + 10)",
                    subscribedTopicNames: [name],
                    assignment: owned[m].map { TopicPartition(topic: name, partition: $0) },
                    targetAssignment: owned[m].map { TopicPartition(topic: name, partition: $0) })
            }
            consumer.append(DescribedConsumerGroupInput(groupID: groupID, state: .stable, groupEpoch: 12, assignmentEpoch: 12, assignor: "uniform", members: members))
            committed.append(CommittedOffsetsInput(groupID: groupID, offsets: commits))
            listed.append(ListedGroupInput(groupID: groupID, groupType: .consumer, protocolType: "", state: .stable, coordinatorID: Int32(g % 3)))
        }
        let groups = GroupAssembler.assemble(listed: listed, consumerGroups: consumer, committed: committed, logOffsets: offsets)
        let brokers = (0..<3).map { BrokerInfo(nodeID: Int32($0), host: "kafka-\($0).internal", port: 9092, rack: "rack-\($0)") }
        return ClusterSnapshot(
            takenAt: takenAt, pollDurationMs: 40 + Int64(rng.below(20)),
            cluster: ClusterInfo(clusterID: "bench-cluster", controllerID: 1, brokers: brokers, finalizedFeatures: ["group.version": 1, "metadata.version": 21]),
            topics: GroupAssembler.topics(from: offsets), groups: groups)
    }
}

/// Prints a line at once (stdout may be a file).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

// Arguments: [groups] [polls] [steady|noisy|both] [keyframe intervals, comma-separated]
let arguments = Array(CommandLine.arguments.dropFirst())
let groupCount = arguments.first.flatMap { Int($0) } ?? 1_000
let polls = arguments.dropFirst().first.flatMap { Int($0) } ?? 720
let variant = arguments.count > 2 ? arguments[2] : "both"
let intervals = arguments.count > 3 ? arguments[3].split(separator: ",").compactMap { Int($0) } : [60, 120, 360, 720]
say("RecordingBench: \(groupCount) groups x 3 members x 10 partitions, \(polls) polls at 5 s (\(Double(polls) * 5 / 3600) h)")

for jitter in [false, true] where variant == "both" || (variant == "noisy") == jitter {
    var workload = Workload(groups: groupCount, jitter: jitter)
    var encoders = try intervals.map { k in
        try RecordingEncoder(header: RecordingHeader(kgtopVersion: "bench", createdAt: 0, pollIntervalMs: 5_000, source: "RecordingBench", keyframeInterval: k))
    }
    var json = 0
    let started = Date()
    for poll in 0..<polls {
        let snapshot = workload.next(at: 1_700_000_000_000 + Int64(poll) * 5_000)
        if poll == 0 { json = (try? SnapshotJSON.encode(snapshot).count) ?? 0 }
        for k in encoders.indices { try encoders[k].append(snapshot) }
    }
    let elapsed = Date().timeIntervalSince(started)
    let hours = Double(polls) * 5 / 3600
    say(jitter ? "\nnoisy traffic (log-end steps +-20 %, lag wandering +-20 per poll):" : "\nsteady traffic (constant rate per partition, commits following at a constant lag):")
    say("  one snapshot as pretty JSON: \(json / groupCount) bytes per group")
    for (k, encoder) in zip(intervals, encoders) {
        let perGroupHour = Double(encoder.bytes.count) / Double(groupCount) / hours
        say(String(format: "  keyframe every %4d polls: %9d bytes total, %2d keyframes, %7.0f bytes per group per hour", k, encoder.bytes.count, encoder.keyframes, perGroupHour))
    }
    // Read back the default-interval file once and check it decodes to the last poll.
    let reader = try RecordingReader(bytes: encoders[encoders.count - 1].bytes)
    let readStart = Date()
    _ = try reader.snapshot(at: reader.pollCount - 1)
    say(String(format: "  (generate+encode %.1f s; read back all %d polls from keyframes: %.2f s)", elapsed, reader.pollCount, Date().timeIntervalSince(readStart)))
}

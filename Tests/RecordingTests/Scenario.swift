import Foundation
import GroupModel
@testable import Recording

/// Scripted polls built from GroupModel values: a KIP-848 group `payments` of 6 members on `orders`
/// (6 partitions) restarts its members one by one, while a classic group `audit-sink` stays steady
/// on `audit` (4 partitions). Log ends advance every poll and commits follow.
enum Scenario {
    static let start: Int64 = 1_750_000_000_000
    static let intervalMs: Int64 = 5_000

    private struct Member {
        var id: String
        var epoch: Int32
        var owns: [Int32]
        var target: [Int32]
    }

    /// The rolling restart: 3 steady polls, then per member: leave, replacement joins, everyone
    /// reconciled, one steady poll; 3 steady polls at the end. A broker error shows at one poll.
    static func rollingRestart() -> [ClusterSnapshot] {
        var names = (0..<6).map { "member-\($0)-\(String(repeating: "x", count: 12))" }
        var epoch: Int32 = 10
        var snapshots: [ClusterSnapshot] = []
        var poll = 0
        func stable() -> [Member] { names.enumerated().map { Member(id: $1, epoch: epoch, owns: [Int32($0)], target: [Int32($0)]) } }
        func add(groupEpoch: Int32, assignmentEpoch: Int32, _ members: [Member], brokerDown: Bool = false) {
            snapshots.append(snapshot(poll: poll, groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch, members: members, brokerDown: brokerDown))
            poll += 1
        }
        for _ in 0..<3 { add(groupEpoch: epoch, assignmentEpoch: epoch, stable()) }
        for i in 0..<6 {
            let next = (i + 1) % 6
            var members = stable().filter { $0.id != names[i] }.map { m in
                var m = m
                m.epoch = m.id == names[next] ? epoch : epoch + 1
                if m.id == names[next] { m.target = [Int32(next), Int32(i)] }
                return m
            }
            add(groupEpoch: epoch + 1, assignmentEpoch: epoch + 1, members, brokerDown: i == 3)
            let newName = "member-\(i)-restarted-\(i)"
            members = members.map { m in Member(id: m.id, epoch: epoch + 2, owns: m.owns, target: m.owns) }
            members.append(Member(id: newName, epoch: 0, owns: [], target: [Int32(i)]))
            add(groupEpoch: epoch + 2, assignmentEpoch: epoch + 2, members)
            names[i] = newName
            epoch += 2
            add(groupEpoch: epoch, assignmentEpoch: epoch, stable())
            add(groupEpoch: epoch, assignmentEpoch: epoch, stable())
        }
        for _ in 0..<3 { add(groupEpoch: epoch, assignmentEpoch: epoch, stable()) }
        return snapshots
    }

    private static func snapshot(poll: Int, groupEpoch: Int32, assignmentEpoch: Int32, members: [Member], brokerDown: Bool) -> ClusterSnapshot {
        let behind = members.contains { $0.epoch < assignmentEpoch }
        let state: GroupState = members.isEmpty ? .empty : groupEpoch > assignmentEpoch ? .assigning : behind ? .reconciling : .stable
        let described = DescribedConsumerGroupInput(
            groupID: "payments", state: state, groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch, assignor: "uniform",
            members: members.map { m in
                DescribedConsumerGroupInput.Member(
                    memberID: m.id, instanceID: nil, memberEpoch: m.epoch, clientID: "payments-\(m.id.prefix(8))", clientHost: "/10.0.0.\(m.id.count)",
                    subscribedTopicNames: ["orders"], assignment: m.owns.map { TopicPartition(topic: "orders", partition: $0) },
                    targetAssignment: m.target.map { TopicPartition(topic: "orders", partition: $0) })
            })
        var offsets: [LogOffsetsInput] = []
        var ordersCommits: [CommittedOffsetsInput.Offset] = []
        var auditCommits: [CommittedOffsetsInput.Offset] = []
        let t = Int64(poll)
        for p in 0..<6 {
            let tp = TopicPartition(topic: "orders", partition: Int32(p))
            let end = 10_000 + Int64(p) * 7 + t * (100 + Int64(p))
            offsets.append(LogOffsetsInput(topicPartition: tp, logStart: 0, logEnd: end, leader: Int32(p % 3)))
            // The restarted partition's commit stalls for a poll, then catches up.
            ordersCommits.append(.init(topicPartition: tp, offset: end - 20 - (behind ? 150 : 0)))
        }
        for p in 0..<4 {
            let tp = TopicPartition(topic: "audit", partition: Int32(p))
            let end = 500 + t * 10
            offsets.append(LogOffsetsInput(topicPartition: tp, logStart: 0, logEnd: end, leader: 0))
            auditCommits.append(.init(topicPartition: tp, offset: end - 3))
        }
        let classic = DescribedClassicGroupInput.steadyAudit()
        let groups = GroupAssembler.assemble(
            listed: [
                ListedGroupInput(groupID: "payments", groupType: .consumer, protocolType: "", state: state, coordinatorID: 1),
                ListedGroupInput(groupID: "audit-sink", groupType: .classic, protocolType: "consumer", state: .stable, coordinatorID: 0),
            ],
            consumerGroups: [described], classicGroups: [classic],
            committed: [CommittedOffsetsInput(groupID: "payments", offsets: ordersCommits), CommittedOffsetsInput(groupID: "audit-sink", offsets: auditCommits)],
            logOffsets: offsets)
        let brokers = (0..<3).map { BrokerInfo(nodeID: Int32($0), host: "kafka-\($0)", port: 9092, reachable: !(brokerDown && $0 == 2), error: brokerDown && $0 == 2 ? "connection refused" : nil) }
        let errors = brokerDown ? [PollError(scope: .broker, operation: "connect", brokerID: 2, message: "connection refused")] : []
        return ClusterSnapshot(
            takenAt: start + Int64(poll) * intervalMs, pollDurationMs: 30,
            cluster: ClusterInfo(clusterID: "test-cluster", controllerID: 1, brokers: brokers, finalizedFeatures: ["group.version": 1]),
            topics: GroupAssembler.topics(from: offsets), groups: groups, errors: errors)
    }

    /// A header for test files.
    static func header(keyframeInterval: Int = 8) -> RecordingHeader {
        RecordingHeader(kgtopVersion: "test", createdAt: start, pollIntervalMs: intervalMs, source: "scripted rolling restart", keyframeInterval: keyframeInterval)
    }

    /// The scenario as recording bytes.
    static func recordingBytes(keyframeInterval: Int = 8) throws -> [UInt8] {
        var encoder = try RecordingEncoder(header: header(keyframeInterval: keyframeInterval))
        for snapshot in rollingRestart() { try encoder.append(snapshot) }
        return encoder.bytes
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kgtop-recording-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension DescribedClassicGroupInput {
    /// `audit-sink`: two classic members, stable, generation 4.
    static func steadyAudit() -> DescribedClassicGroupInput {
        DescribedClassicGroupInput(
            groupID: "audit-sink", state: .stable, protocolType: "consumer", protocolName: "range", generationID: 4,
            members: [
                .init(memberID: "audit-a", clientID: "audit", clientHost: "/10.0.1.1", subscription: .init(topics: ["audit"], generationID: 4),
                      assignment: [TopicPartition(topic: "audit", partition: 0), TopicPartition(topic: "audit", partition: 1)]),
                .init(memberID: "audit-b", clientID: "audit", clientHost: "/10.0.1.2", subscription: .init(topics: ["audit"], generationID: 4),
                      assignment: [TopicPartition(topic: "audit", partition: 2), TopicPartition(topic: "audit", partition: 3)]),
            ])
    }
}

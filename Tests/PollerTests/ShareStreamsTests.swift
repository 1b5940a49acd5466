import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
@testable import KgtopCLI
import Monitor
import Testing

/// A simulated cluster of a given Kafka release holding one share group and one streams group:
/// `notify` (3 members on payments, partition 0 read by members 0 and 2) and `enrich` (2 members,
/// subtopology 0 reads orders, 1 reads payments, member 1 warms up task 0:0), with 100 records on
/// orders-0 of which `enrich` committed 40.
private struct ShareStreamsFixture {
    let cluster: SimCluster
    let sim: KafkaSimulator
    let admin: KafkaAdminClient
    let poller: Poller
    let shareMembers: [String]
    let streamsMembers: [String]

    static func start(version: SimKafkaVersion = .newest, extraShareGroup: Bool = false) async throws -> ShareStreamsFixture {
        var config = SimConfig(brokerCount: 3)
        config.kafkaVersion = version
        let clock = ManualClock()
        let cluster = SimCluster(config: config, clock: clock)
        try await cluster.createTopic("orders", partitions: 6)
        try await cluster.createTopic("payments", partitions: 4)
        _ = try await cluster.append(topic: "orders", partition: 0, count: 100)
        let share = try await cluster.addShareGroup("notify", topics: ["payments"], members: 3, clientID: "notify")
        try await cluster.shareGroupAssign("notify", member: 2, topic: "payments", partitions: [0])
        if extraShareGroup { try await cluster.addShareGroup("notify-2", topics: ["payments"], members: 1, clientID: "notify-2") }
        let streams = try await cluster.addStreamsGroup(
            "enrich", subtopologies: [("0", ["orders"]), ("1", ["payments"])], members: 2, clientID: "enrich", warmup: true)
        await cluster.commitOffset(group: "enrich", topic: "orders", partition: 0, offset: 40)
        let sim = try await KafkaSimulator.start(cluster: cluster, tickIntervalMs: nil)
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": await sim.bootstrapServers()])
        let poller = Poller(admin: admin, earliestEvery: 1, now: { clock.nowMs() })
        return ShareStreamsFixture(cluster: cluster, sim: sim, admin: admin, poller: poller, shareMembers: share, streamsMembers: streams)
    }

    func stop() async {
        await admin.close()
        await sim.shutdown()
    }
}

private func tp(_ topic: String, _ partition: Int32) -> TopicPartition { TopicPartition(topic: topic, partition: partition) }

@Suite("Share and streams groups: described, assembled, filtered", .serialized)
struct ShareStreamsTests {
    @Test("The admin client describes a share group and a streams group from KafkaSim, field by field")
    func adminDescribe() async throws {
        let f = try await ShareStreamsFixture.start()
        let result = try await f.admin.describeGroups([
            GroupTarget(groupID: "notify", type: "share"), GroupTarget(groupID: "enrich", type: "streams"),
        ])
        await f.stop()

        guard case let .success(.share(share, shareVersion))? = result.groups["notify"]?.result else {
            Issue.record("notify not described as a share group: \(String(describing: result.groups["notify"]?.result))")
            return
        }
        #expect(shareVersion == 1)
        #expect(share.errorCode == 0 && share.groupState == "Stable")
        #expect(share.groupEpoch == 3 && share.assignmentEpoch == 3 && share.assignorName == "simple")
        #expect(share.members.map(\.memberID) == f.shareMembers.sorted())
        let first = try #require(share.members.first { $0.memberID == f.shareMembers[0] })
        #expect(first.memberEpoch == 3 && first.clientID == "notify-1" && first.clientHost == "/10.0.3.1")
        #expect(first.subscribedTopicNames == ["payments"])
        #expect(first.assignment.topicPartitions.map(\.topicName) == ["payments"])
        #expect(first.assignment.topicPartitions.first?.partitions == [0, 3])
        let third = try #require(share.members.first { $0.memberID == f.shareMembers[2] })
        #expect(third.assignment.topicPartitions.first?.partitions == [0, 2])

        guard case let .success(.streams(streams, streamsVersion))? = result.groups["enrich"]?.result else {
            Issue.record("enrich not described as a streams group: \(String(describing: result.groups["enrich"]?.result))")
            return
        }
        #expect(streamsVersion == 0)
        #expect(streams.errorCode == 0 && streams.groupState == "Stable")
        #expect(streams.groupEpoch == 2 && streams.assignmentEpoch == 2)
        #expect(streams.topology?.subtopologies?.map(\.subtopologyID) == ["0", "1"])
        #expect(streams.topology?.subtopologies?.map(\.sourceTopics) == [["orders"], ["payments"]])
        let m0 = try #require(streams.members.first { $0.memberID == f.streamsMembers[0] })
        #expect(m0.memberEpoch == 2 && m0.clientID == "enrich-1-StreamThread-1-consumer")
        #expect(m0.assignment.activeTasks.map(\.subtopologyID) == ["0", "1"])
        #expect(m0.assignment.activeTasks.map(\.partitions) == [[0, 2, 4], [0, 2]])
        #expect(m0.assignment.standbyTasks.map(\.partitions) == [[1, 3, 5], [1, 3]])
        #expect(m0.assignment.warmupTasks.isEmpty)
        let m1 = try #require(streams.members.first { $0.memberID == f.streamsMembers[1] })
        #expect(m1.assignment.activeTasks.map(\.partitions) == [[1, 3, 5], [1, 3]])
        #expect(m1.assignment.warmupTasks.map(\.subtopologyID) == ["0"] && m1.assignment.warmupTasks.map(\.partitions) == [[0]])
    }

    @Test("One poll: share group with members and not-applicable lag, streams group with tasks, owners and lag")
    func poll() async throws {
        let f = try await ShareStreamsFixture.start()
        let s = try await f.poller.poll().snapshot
        await f.stop()

        #expect(s.errors.isEmpty, "\(s.errors)")
        #expect(s == s.normalized())

        let notify = try #require(s.group("notify"))
        #expect(notify.type == .share && notify.protocol == .share && notify.protocolType == "share")
        #expect(notify.state == .stable && notify.error == nil && notify.coordinatorID != nil)
        #expect(notify.groupEpoch == 3 && notify.assignmentEpoch == 3 && notify.assignor == "simple")
        #expect(notify.members.count == 3 && notify.members.allSatisfy { $0.memberType == .share && $0.memberEpoch == 3 })
        #expect(notify.member(f.shareMembers[0])?.assignment == [tp("payments", 0), tp("payments", 3)])
        #expect(notify.member(f.shareMembers[2])?.assignment == [tp("payments", 0), tp("payments", 2)])
        #expect(notify.member(f.shareMembers[1])?.targetAssignment == nil)
        #expect(notify.partitions.map(\.topicPartition) == (0..<4).map { tp("payments", $0) })
        #expect(notify.partitions.allSatisfy { $0.lag.isNotApplicable && $0.handoff == .settled && $0.committedOffset == nil })
        // payments-0 is read by members 0 and 2: the board names the first by member id.
        #expect(notify.partition(tp("payments", 0))?.owner == [f.shareMembers[0], f.shareMembers[2]].min())
        #expect(!notify.lagApplies && notify.summary.totalLag == 0 && notify.summary.partitionsLagUnknown == 0)
        #expect(notify.subtopologies == nil)

        let enrich = try #require(s.group("enrich"))
        #expect(enrich.type == .streams && enrich.protocol == .streams && enrich.protocolType == "streams")
        #expect(enrich.state == .stable && enrich.error == nil)
        #expect(enrich.groupEpoch == 2 && enrich.assignmentEpoch == 2 && enrich.lagApplies)
        #expect(enrich.subtopologies == [
            StreamsSubtopology(subtopologyID: "0", sourceTopics: ["orders"]),
            StreamsSubtopology(subtopologyID: "1", sourceTopics: ["payments"]),
        ])
        let m0 = try #require(enrich.member(f.streamsMembers[0]))
        #expect(m0.memberType == .streams && m0.memberEpoch == 2)
        #expect(m0.clientID == "enrich-1-StreamThread-1-consumer" && m0.host == "10.0.4.1")
        #expect(m0.streamsTasks == StreamsTasks(
            active: [StreamsTaskSet(subtopologyID: "0", partitions: [0, 2, 4]), StreamsTaskSet(subtopologyID: "1", partitions: [0, 2])],
            standby: [StreamsTaskSet(subtopologyID: "0", partitions: [1, 3, 5]), StreamsTaskSet(subtopologyID: "1", partitions: [1, 3])]))
        #expect(m0.streamsTargetTasks == m0.streamsTasks)
        // Active tasks become the source partitions they read.
        #expect(m0.assignment == [tp("orders", 0), tp("orders", 2), tp("orders", 4), tp("payments", 0), tp("payments", 2)])
        #expect(m0.subscribedTopics == ["orders", "payments"])
        let m1 = try #require(enrich.member(f.streamsMembers[1]))
        #expect(m1.streamsTasks?.warmup == [StreamsTaskSet(subtopologyID: "0", partitions: [0])])
        #expect(m1.streamsTasks?.counts.active == 5 && m1.streamsTasks?.counts.standby == 5 && m1.streamsTasks?.counts.warmup == 1)
        #expect(enrich.partitions.count == 10)
        #expect(enrich.partitions.allSatisfy { $0.handoff == .settled && $0.owner != nil && $0.owner == $0.targetOwner })
        #expect(enrich.partition(tp("orders", 0))?.owner == f.streamsMembers[0])
        #expect(enrich.partition(tp("orders", 1))?.owner == f.streamsMembers[1])
        // Streams groups commit like consumer groups: lag is committed vs log end.
        #expect(enrich.partition(tp("orders", 0))?.committedOffset == 40)
        #expect(enrich.partition(tp("orders", 0))?.lag == .known(60))
        #expect(enrich.summary.totalLag == 60 && enrich.summary.partitionsLagUnknown == 0)

        // The snapshot JSON carries the new fields and reads back the same.
        let json = String(decoding: try SnapshotJSON.encode(s), as: UTF8.self)
        #expect(json.contains("\"streamsTasks\"") && json.contains("\"streamsTargetTasks\"") && json.contains("\"subtopologies\""))
        #expect(json.contains("\"warmup\"") && json.contains("\"standby\"") && json.contains("\"active\""))
        #expect(json.contains("\"unknown\" : \"\(LagValue.notApplicableReason)\""))
        #expect(json.contains("\"memberType\" : \"share\"") && json.contains("\"memberType\" : \"streams\""))
        #expect(try SnapshotJSON.decodeSnapshot(Data(json.utf8)) == s)
    }

    @Test("A 4.0 broker has neither describe API: each is said once per poll, the groups stay listed")
    func unsupportedOn40() async throws {
        let f = try await ShareStreamsFixture.start(version: .v4_0, extraShareGroup: true)
        let s = try await f.poller.poll().snapshot
        await f.stop()

        #expect(s.errors.map(\.operation) == ["ShareGroupDescribe", "StreamsGroupDescribe"])
        #expect(s.errors.map(\.message) == [
            "broker does not support ShareGroupDescribe; share groups are listed but not described",
            "broker does not support StreamsGroupDescribe; streams groups are listed but not described",
        ])
        #expect(s.errors.allSatisfy { $0.scope == .cluster && $0.kafkaError?.name == "UNSUPPORTED_VERSION" })
        for id in ["notify", "notify-2"] {
            let g = try #require(s.group(id))
            #expect(g.type == .share && g.state == .stable && g.error == nil && g.members.isEmpty && g.groupEpoch == nil)
        }
        let enrich = try #require(s.group("enrich"))
        #expect(enrich.type == .streams && enrich.state == .stable && enrich.error == nil && enrich.members.isEmpty)
        // Not described, but its commits are still read: lag where it applies.
        #expect(enrich.partition(tp("orders", 0))?.lag == .known(60))
    }

    @Test("A 4.1 broker describes share groups but not streams groups")
    func streamsUnsupportedOn41() async throws {
        let f = try await ShareStreamsFixture.start(version: .v4_1)
        let s = try await f.poller.poll().snapshot
        await f.stop()

        #expect(s.errors.map(\.message) == ["broker does not support StreamsGroupDescribe; streams groups are listed but not described"])
        #expect(s.group("notify")?.members.count == 3)
        #expect(s.group("enrich")?.members.isEmpty == true)
    }

    @Test("The demo scenario has a share group and a streams group with members; the streams group commits as time passes")
    func demoScenario() async throws {
        let clock = ManualClock()
        let cluster = SimCluster(config: SimConfig(brokerCount: 3), clock: clock)
        try await SimScenario.demo.apply(to: cluster)
        await cluster.advance(by: 5_000)
        let sim = try await KafkaSimulator.start(cluster: cluster, tickIntervalMs: nil)
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": await sim.bootstrapServers()])
        let poller = Poller(admin: admin, earliestEvery: 1, now: { clock.nowMs() })
        let first = try await poller.poll().snapshot
        await cluster.advance(by: 10_000)
        let second = try await poller.poll().snapshot
        await admin.close()
        await sim.shutdown()

        #expect(first.errors.isEmpty, "\(first.errors)")
        let notifier = try #require(first.group("payment-notifier"))
        #expect(notifier.protocol == .share && notifier.state == .stable && notifier.members.count == 3)
        #expect(notifier.members.allSatisfy { $0.memberType == .share && $0.memberEpoch == 3 })
        #expect(notifier.members.map(\.assignment.count).sorted() == [2, 2, 3])
        let enricher = try #require(first.group("order-enricher"))
        #expect(enricher.protocol == .streams && enricher.state == .stable && enricher.members.count == 3)
        #expect(enricher.subtopologies?.map(\.subtopologyID) == ["0", "1"])
        let counts = enricher.members.compactMap { $0.streamsTasks?.counts }
        #expect(counts.map(\.active).reduce(0, +) == 18 && counts.map(\.standby).reduce(0, +) == 18)
        #expect(counts.map(\.warmup).reduce(0, +) == 1)
        #expect(enricher.partitions.count == 18 && enricher.partitions.allSatisfy { $0.owner != nil })
        // 60 records/s per task keeps up with 50/s per orders partition: commits follow the log.
        let before = first.group("order-enricher")?.partition(tp("orders", 0))?.committedOffset ?? 0
        let after = try #require(second.group("order-enricher")?.partition(tp("orders", 0))?.committedOffset)
        #expect(after > before)
        #expect(second.group("order-enricher")?.partition(tp("orders", 0))?.lag.offsets.map { $0 <= 60 } == true)
    }

    @Test("--help of snapshot and events lists every accepted --type")
    func typeHelp() {
        for help in [SnapshotCommand.helpMessage(columns: 400), EventsCommand.helpMessage(columns: 400)] {
            for type in GroupFilter.acceptedTypes { #expect(help.contains(type), "\(type) missing from: \(help)") }
            #expect(help.contains("mixed (KIP-848 with classic members)"))
        }
    }

    @Test("--type selects by protocol: consumer excludes mixed groups, mixed is its own type, every type is accepted")
    func typeFilter() throws {
        func group(_ id: String, _ type: GroupType, _ memberTypes: [MemberType]) -> Group {
            Group(groupID: id, type: type, state: .stable, members: memberTypes.enumerated().map { i, t in
                GroupMember(memberID: "\(id)-\(i)", clientID: id, clientHost: "/10.0.0.1", memberType: t)
            })
        }
        let groups = [
            group("cls", .classic, [.classic]), group("kip", .consumer, [.consumer]),
            group("mix", .consumer, [.consumer, .classic]), group("shr", .share, [.share]),
            group("str", .streams, [.streams]), group("odd", .unknown("future"), []),
        ]
        func accepted(_ types: [String]) throws -> [String] {
            let filter = try GroupFilter(include: nil, exclude: nil, types: types)
            return groups.filter(filter.accepts).map(\.groupID)
        }
        #expect(try accepted(["consumer"]) == ["kip"])
        #expect(try accepted(["mixed"]) == ["mix"])
        #expect(try accepted(["classic"]) == ["cls"])
        #expect(try accepted(["share"]) == ["shr"])
        #expect(try accepted(["STREAMS"]) == ["str"])
        #expect(try accepted(["unknown"]) == ["odd"])
        #expect(try accepted(["consumer", "mixed"]) == ["kip", "mix"])
        #expect(try accepted([]).count == groups.count)
        #expect(GroupFilter.acceptedTypes == ["classic", "consumer", "mixed", "share", "streams", "unknown"])
        do {
            _ = try GroupFilter(include: nil, exclude: nil, types: ["kip848"])
            Issue.record("--type kip848 was accepted")
        } catch {
            #expect(error.description == "--type kip848: not one of classic, consumer, mixed, share, streams, unknown")
        }
    }
}

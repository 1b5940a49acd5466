import Foundation
import GroupModel
import Testing

@testable import Rehearsal
@testable import Workload

@Suite("Workload without a broker")
struct WorkloadUnitTests {
    @Test("the loaded librdkafka reports a version")
    func version() {
        #expect(Workload.librdkafkaVersion.hasPrefix("2."))
        #expect(Workload.librdkafkaVersionNumber >= 0x0200_0000)
    }

    @Test("a property the loaded librdkafka does not know is named in the error")
    func unknownProperty() throws {
        let props = ClientProperties(["bootstrap.servers": "127.0.0.1:1", "no.such.property": "1"])
        #expect(throws: WorkloadError.unknownProperty(name: "no.such.property", librdkafkaVersion: Workload.librdkafkaVersion)) {
            _ = try WorkloadConsumer(
                WorkloadConsumerConfig(name: "m1", groupID: "g", topics: ["t"], properties: props), journal: WorkloadJournal())
        }
        let message = WorkloadError.unknownProperty(name: "group.protocol", librdkafkaVersion: "2.0.2").description
        #expect(message.hasPrefix("the loaded librdkafka 2.0.2 does not know property group.protocol"))
    }

    @Test("group.protocol is rejected by librdkafka before 2.4 and accepted after")
    func groupProtocolProperty() async throws {
        let props = ClientProperties(["bootstrap.servers": "127.0.0.1:1", "group.protocol": "consumer"])
        if Workload.supportsConsumerProtocol {
            let c = try WorkloadConsumer(
                WorkloadConsumerConfig(name: "m1", groupID: "g", topics: ["t"], properties: props), journal: WorkloadJournal())
            await c.kill()
        } else {
            #expect(throws: WorkloadError.unknownProperty(name: "group.protocol", librdkafkaVersion: Workload.librdkafkaVersion)) {
                _ = try WorkloadConsumer(
                    WorkloadConsumerConfig(name: "m1", groupID: "g", topics: ["t"], properties: props), journal: WorkloadJournal())
            }
        }
    }

    @Test("an invalid value names the property and hides secrets")
    func invalidValue() {
        let props = ClientProperties(["bootstrap.servers": "127.0.0.1:1", "session.timeout.ms": "soon"])
        do {
            _ = try props.makeConf()
            Issue.record("expected an error")
        } catch {
            guard case let .invalidProperty(name, _) = error else { Issue.record("\(error)"); return }
            #expect(name == "session.timeout.ms")
        }
        #expect(ClientProperties.isSecret("sasl.password"))
        #expect(!ClientProperties.isSecret("bootstrap.servers"))
    }

    @Test("-X and -F parse into properties, later wins")
    func propertyParsing() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wl-\(UUID().uuidString).properties")
        try "# comment\nbootstrap.servers=a:1\n\nclient.id = x\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = try ClientProperties(assignments: ["client.id=y", "acks=all"], files: [file.path])
        #expect(p.values == ["bootstrap.servers": "a:1", "client.id": "y", "acks": "all"])
        #expect(throws: WorkloadError.malformedProperty("oops")) { _ = try ClientProperties(assignments: ["oops"]) }
    }

    @Test("offset ranges count each offset once")
    func offsetRanges() {
        var r = OffsetRanges()
        var fresh: [Bool] = []
        for o: Int64 in [5, 6, 7, 1, 2, 3, 4, 10] { fresh.append(r.insert(o)) }
        #expect(fresh.allSatisfy { $0 })
        #expect(r.ranges == [1...7, 10...10])
        let again = r.insert(3)
        #expect(!again)
        let nine = r.insert(9), eight = r.insert(8)
        #expect(nine && eight)
        #expect(r.ranges == [1...10])
        #expect(r.count == 10)
        let ten = r.insert(10)
        #expect(!ten)
    }

    @Test("the journal counts messages consumed twice across members")
    func journal() {
        let j = WorkloadJournal()
        let tp = TopicPartition(topic: "t", partition: 0)
        for o: Int64 in 0..<10 { j.recordConsumed(tp, offset: o) }
        for o: Int64 in 7..<12 { j.recordConsumed(tp, offset: o) }
        #expect(j.consumed == 15)
        #expect(j.duplicates == 3)
        #expect(j.duplicatesByPartition[tp] == 3)
    }

    @Test("steps parse from words, attached counts and quoted pairs")
    func steps() throws {
        #expect(try RehearsalStep.parse(["roll", "scale-out", "2", "kill=1", "scale-in:1", "add-partitions 120"])
            == [.roll, .scaleOut(2), .kill(1), .scaleIn(1), .addPartitions(120)])
        #expect(throws: WorkloadError.self) { try RehearsalStep.parse(["scale-out"]) }
        #expect(throws: WorkloadError.self) { try RehearsalStep.parse(["jump", "3"]) }
        #expect(throws: WorkloadError.self) { try RehearsalStep.parse(["kill", "0"]) }
    }

    @Test("member properties carry protocol and assignor as strings")
    func memberProperties() {
        var plan = RehearsalPlan(topic: "t", groupID: "g", members: 1, protocol: .consumer, assignor: "range", steps: [], properties: ClientProperties())
        #expect(plan.memberProperties["group.protocol"] == "consumer")
        #expect(plan.memberProperties["group.remote.assignor"] == "range")
        plan.protocol = .classic
        plan.assignor = "cooperative-sticky"
        #expect(plan.memberProperties["group.protocol"] == nil)
        #expect(plan.memberProperties["partition.assignment.strategy"] == "cooperative-sticky")
    }
}

@Suite("Rehearsal measurements")
struct RehearsalAnalysisTests {
    let t = "t"
    func tp(_ p: Int32) -> TopicPartition { TopicPartition(topic: t, partition: p) }
    func ev(_ m: String, _ kind: AssignmentEvent.Kind, _ ps: [Int32], _ at: Int64, incremental: Bool = false, inc: Int = 1) -> AssignmentEvent {
        AssignmentEvent(member: m, incarnation: inc, kind: kind, partitions: ps.map(tp), incremental: incremental, atMs: at)
    }

    @Test("eager hand-off: every partition unowned from revoke to assign")
    func eager() {
        let initial: [TopicPartition: Set<String>] = [tp(0): ["a#1"], tp(1): ["a#1"], tp(2): ["b#1"]]
        let events = [
            ev("a", .revoked, [0, 1], 100), ev("b", .revoked, [2], 120),
            ev("a", .assigned, [0], 400), ev("b", .assigned, [1], 450), ev("c", .assigned, [2], 500),
        ]
        let s = RehearsalAnalysis.unowned(
            events: events, initialOwners: initial, partitions: [tp(0), tp(1), tp(2)], appearedAt: [:], fromMs: 0, toMs: 1000)
        #expect(s.maxGapMs == 380)
        #expect(s.maxGapPartition == tp(2))
        #expect(s.partitionsWithGap == 3)
        #expect(s.totalGapMs == 300 + 350 + 380)
        #expect(s.completeSinceMs == 500)
    }

    @Test("a killed member's partitions are unowned until reassigned; new partitions from creation")
    func killAndNewPartitions() {
        let initial: [TopicPartition: Set<String>] = [tp(0): ["a#1"], tp(1): ["b#1"]]
        let events = [
            ev("b", .killed, [1], 10),
            ev("a", .assigned, [1], 6010, incremental: true),
            ev("a", .assigned, [2], 6500, incremental: true),
        ]
        let s = RehearsalAnalysis.unowned(
            events: events, initialOwners: initial, partitions: [tp(0), tp(1), tp(2)], appearedAt: [tp(2): 100], fromMs: 0, toMs: 7000)
        #expect(s.maxGapMs == 6400)
        #expect(s.maxGapPartition == tp(2))
        #expect(s.partitionsWithGap == 2)
        #expect(s.completeSinceMs == 6500)
    }

    @Test("a gap still open at the end counts until the end")
    func openGap() {
        let s = RehearsalAnalysis.unowned(
            events: [ev("a", .revoked, [0], 100, incremental: true)], initialOwners: [tp(0): ["a#1"]], partitions: [tp(0)],
            appearedAt: [:], fromMs: 0, toMs: 900)
        #expect(s.maxGapMs == 800)
        #expect(s.completeSinceMs == nil)
    }

    @Test("classic target from callbacks: first assignment after the last revoke")
    func classicTarget() {
        let events = [ev("a", .revoked, [0], 100), ev("b", .revoked, [1], 150), ev("a", .assigned, [0], 300), ev("b", .assigned, [1], 310)]
        #expect(RehearsalAnalysis.targetFromCallbacks(events, fromMs: 0, untilMs: 1000) == 300)
        #expect(RehearsalAnalysis.targetFromCallbacks([], fromMs: 0, untilMs: 1000) == nil)
    }

    @Test("KIP-848 target: first poll of the final epoch with assignment epoch caught up")
    func consumerTarget() {
        func obs(_ at: Int64, _ ge: Int32, _ ae: Int32) -> Observation {
            Observation(atMs: at, group: Group(groupID: "g", type: .consumer, state: .reconciling, groupEpoch: ge, assignmentEpoch: ae, members: [], partitions: []))
        }
        let window = [obs(0, 5, 5), obs(200, 6, 5), obs(400, 7, 6), obs(600, 7, 7), obs(800, 7, 7)]
        #expect(RehearsalAnalysis.targetComputedAt(window, epochBefore: 5, until: 800) == 600)
        #expect(RehearsalAnalysis.targetComputedAt([obs(0, 5, 5)], epochBefore: 5, until: 800) == nil)
    }

    @Test("the settled reason reads like the rest of kgtop: no '?' for an unknown generation, states as Kafka names them")
    func settledReason() {
        let stable = Group(groupID: "g", type: .classic, state: .stable, members: [], partitions: [])
        let settled = RehearsalAnalysis.coordinatorSettled(stable, liveMembers: 0)
        #expect(settled.settled && settled.reason == "Stable")
        var known = stable
        known.generationID = 7
        #expect(RehearsalAnalysis.coordinatorSettled(known, liveMembers: 0).reason == "Stable, generation 7")
        let preparing = Group(groupID: "g", type: .classic, state: .preparingRebalance, members: [], partitions: [])
        let notYet = RehearsalAnalysis.coordinatorSettled(preparing, liveMembers: 0)
        #expect(!notYet.settled && notYet.reason == "state PreparingRebalance")
        // The step timeout in the not-settled note is a duration as the command line writes one.
        #expect(DurationText.format(Rehearsal.ms(.seconds(3))) == "3s")
        #expect(DurationText.format(Rehearsal.ms(.seconds(120))) == "2m")
    }

    @Test("ownership complete means every partition exactly once")
    func ownership() {
        #expect(RehearsalAnalysis.ownershipComplete([[tp(0), tp(1)], [tp(2)]], topic: t, partitionCount: 3))
        #expect(!RehearsalAnalysis.ownershipComplete([[tp(0), tp(1)], [tp(1)]], topic: t, partitionCount: 3))
        #expect(!RehearsalAnalysis.ownershipComplete([[tp(0)], []], topic: t, partitionCount: 3))
    }

    @Test("classic add-partitions names the metadata refresh, its value and when it is expected; KIP-848 does not")
    func newPartitionsCause() throws {
        // 2026-12-04 23:00:00 UTC.
        let start: Int64 = 1_796_425_200_000
        let defaults = try #require(RehearsalAnalysis.newPartitionsCause(
            step: .addPartitions(1000), protocol: .classic, memberProperties: ClientProperties(),
            startedAtMs: start, settled: false, timeoutMs: 120_000))
        #expect(defaults.setting == "topic.metadata.refresh.interval.ms")
        #expect(defaults.settingMs == 300_000)
        #expect(defaults.javaSetting == "metadata.max.age.ms")
        #expect(defaults.expectedByMs == start + 300_000)
        #expect(defaults.text.contains("learn of new partitions only at their next metadata refresh"))
        #expect(defaults.text.contains("topic.metadata.refresh.interval.ms = 300000 ms (librdkafka's default"))
        #expect(defaults.text.contains("metadata.max.age.ms"))
        #expect(defaults.text.contains("every member sees them by 23:05:00 UTC (the step's start + up to one refresh, 300 s)"))
        #expect(defaults.text.contains("the step timeout of 120 s does not cover one refresh + 30 s for the rebalance: to measure it, give --step-timeout at least 330 s"))

        // A short refresh set with -X, settled: the cause and the value, no expectation.
        let short = try #require(RehearsalAnalysis.newPartitionsCause(
            step: .addPartitions(120), protocol: .classic,
            memberProperties: ClientProperties(["topic.metadata.refresh.interval.ms": "2000"]),
            startedAtMs: start, settled: true, timeoutMs: 120_000))
        #expect(short.settingMs == 2000)
        #expect(short.expectedByMs == nil)
        #expect(short.text.contains("= 2000 ms (as configured"))
        #expect(!short.text.contains("expected") && !short.text.contains("sees them by"))

        // Not settled, but the timeout covered a refresh: when, without the advice.
        let covered = try #require(RehearsalAnalysis.newPartitionsCause(
            step: .addPartitions(120), protocol: .classic,
            memberProperties: ClientProperties(["topic.metadata.refresh.interval.ms": "2000"]),
            startedAtMs: start, settled: false, timeoutMs: 60_000))
        #expect(covered.expectedByMs == start + 2000)
        #expect(covered.text.contains("by 23:00:02 UTC (the step's start + up to one refresh, 2 s)"))
        #expect(!covered.text.contains("--step-timeout"))

        #expect(RehearsalAnalysis.newPartitionsCause(
            step: .addPartitions(1000), protocol: .consumer, memberProperties: ClientProperties(),
            startedAtMs: start, settled: false, timeoutMs: 120_000) == nil)
        #expect(RehearsalAnalysis.newPartitionsCause(
            step: .scaleOut(2), protocol: .classic, memberProperties: ClientProperties(),
            startedAtMs: start, settled: false, timeoutMs: 120_000) == nil)
    }
}

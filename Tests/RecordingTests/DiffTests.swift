import Foundation
import GroupModel
import Testing
@testable import KgtopCLI
@testable import Recording

@Suite("kgtop diff and FILE@TIME")
struct DiffTests {
    @Test("before/after a member restart: member added and removed, moves, epochs, lag per partition")
    func comparison() throws {
        let polls = Scenario.rollingRestart()
        // Poll 2: steady; poll 5: member 0 replaced and everyone reconciled at epoch 12.
        let comparison = SnapshotComparison(polls[2], polls[5])
        #expect(comparison.from == polls[2].takenAt && comparison.to == polls[5].takenAt)
        let payments = try #require(comparison.groups.first { $0.groupID == "payments" })
        #expect(payments.status == .changed)
        #expect(payments.membersRemoved.map(\.memberID) == ["member-0-xxxxxxxxxxxx"])
        #expect(payments.membersRemoved.first?.assignment == [TopicPartition(topic: "orders", partition: 0)])
        #expect(payments.membersAdded.map(\.memberID) == ["member-0-restarted-0"])
        // Members are named by label; the restarted client does not take the name of the one it replaced.
        #expect(payments.membersRemoved.map(\.label) == ["payments-member-0"])
        #expect(payments.membersAdded.map(\.label) == ["payments-member-0@10.0.0.20"])
        #expect(payments.moves == [.init(
            topicPartition: TopicPartition(topic: "orders", partition: 0), from: "member-0-xxxxxxxxxxxx", to: "member-0-restarted-0",
            fromLabel: "payments-member-0", toLabel: "payments-member-0@10.0.0.20")])
        #expect(payments.epochs.contains(.init(field: "groupEpoch", memberID: nil, label: nil, old: 10, new: 12)))
        #expect(payments.epochs.contains(.init(field: "assignmentEpoch", memberID: nil, label: nil, old: 10, new: 12)))
        #expect(payments.epochs.contains(.init(field: "memberEpoch", memberID: "member-1-xxxxxxxxxxxx", label: "payments-member-1", old: 10, new: 12)))
        #expect(payments.lag.count == 6)
        #expect(payments.lag.allSatisfy { $0.old == 20 && $0.new == 20 && $0.delta == 0 })
        let audit = try #require(comparison.groups.first { $0.groupID == "audit-sink" })
        #expect(audit.status == .unchanged)

        // During the restart (poll 4): the departed member's partition is unowned, lag grew.
        let during = SnapshotComparison(polls[2], polls[4])
        let p = try #require(during.groups.first { $0.groupID == "payments" })
        #expect(p.lag.allSatisfy { $0.old == 20 && $0.new == 170 && $0.delta == 150 })
        #expect(p.moves.first?.to == nil)

        let text = comparison.rendered(fromLabel: "a.json", toLabel: "b.json")
        #expect(text.hasPrefix("diff a.json -> b.json (+15s): 1 of 2 group(s) differ\n"))
        // The table names members by label only (ids stay in the JSON).
        let lines = text.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.contains("+ member payments-member-0@10.0.0.20 orders-0"))
        #expect(lines.contains("- member payments-member-0 orders-0"))
        #expect(lines.contains("move orders-0 payments-member-0 -> payments-member-0@10.0.0.20"))
        #expect(lines.contains("epoch memberEpoch payments-member-1 10 -> 12"))
        #expect(!text.contains("member-0-xxxxxxxxxxxx") && !text.contains("@/10."))
        #expect(!text.contains("audit-sink"))
    }

    @Test("kgtop diff on two snapshot JSON files and on FILE@TIME of a recording", arguments: [false, true])
    func command(json: Bool) throws {
        let dir = try Scenario.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let polls = Scenario.rollingRestart()
        let a = dir.appendingPathComponent("a.json"), b = dir.appendingPathComponent("b.json")
        try SnapshotJSON.encode(polls[2]).write(to: a)
        try SnapshotJSON.encode(polls[5]).write(to: b)
        let rec = dir.appendingPathComponent("deploy@prod.kgrec")
        try Data(try Scenario.recordingBytes()).write(to: rec)
        let fromFiles = try DiffCommand.diff(a.path, b.path, json: json)
        let fromRecording = try DiffCommand.diff(rec.path + "@#2", rec.path + "@+25s", json: json)
        if json {
            #expect(fromFiles == fromRecording)
            let decoded = try JSONDecoder().decode(SnapshotComparison.self, from: Data(fromFiles.utf8))
            #expect(decoded == SnapshotComparison(polls[2], polls[5]))
            #expect(fromFiles.contains("\"schema\" : \"kgtop.diff/1\""))
        } else {
            #expect(fromFiles.split(separator: "\n").dropFirst() == fromRecording.split(separator: "\n").dropFirst())
        }
        // Without @TIME a recording means its last poll; a path with @ but no time is a path.
        let last = try SnapshotReference(parsing: rec.path).load()
        #expect(last == polls.last?.normalized())
        #expect(try RecordingCLI.snapshot(from: rec.path, at: "#-1") == last)
        #expect(try RecordingCLI.snapshot(from: rec.path, at: TimeSpec.format(Scenario.start + 7_000)) == polls[1].normalized())
        #expect(throws: UserFacingError.self) { try RecordingCLI.snapshot(from: rec.path, at: "#999") }
        #expect(throws: UserFacingError.self) { try DiffCommand.diff(a.path + "@#1", b.path, json: false) }
    }

    @Test("FILE@TIME and TIME parsing")
    func parsing() throws {
        #expect(try TimeSpec(parsing: "#12") == .poll(12))
        #expect(try TimeSpec(parsing: "#-1") == .poll(-1))
        #expect(try TimeSpec(parsing: "+90s") == .offset(90_000))
        #expect(try TimeSpec(parsing: "+1m30s") == .offset(90_000))
        #expect(try TimeSpec(parsing: "+2h") == .offset(7_200_000))
        #expect(try TimeSpec(parsing: "+500ms") == .offset(500))
        #expect(try TimeSpec(parsing: "+1.5s") == .offset(1_500))
        #expect(try TimeSpec(parsing: "2025-06-15T15:06:40Z") == .absolute(1_750_000_000_000))
        #expect(try TimeSpec(parsing: "2025-06-15T17:06:40.250+02:00") == .absolute(1_750_000_000_250))
        // The command line's duration grammar (DurationText): a bare number is seconds; bounded.
        #expect(try TimeSpec(parsing: "+90") == .offset(90_000))
        for bad in ["", "#", "#x", "+", "+-5s", "+5y", "+99999999999999h", "yesterday", "2025-13-01T00:00:00Z"] {
            #expect(throws: TimeSpec.ParseError.self, "\(bad)") { try TimeSpec(parsing: bad) }
        }
        #expect(try SnapshotReference(parsing: "deploy.kgrec@+90s") == SnapshotReference(path: "deploy.kgrec", time: .offset(90_000)))
        #expect(try SnapshotReference(parsing: "/tmp/a@b/deploy.kgrec@#3") == SnapshotReference(path: "/tmp/a@b/deploy.kgrec", time: .poll(3)))
        #expect(try SnapshotReference(parsing: "snap.json") == SnapshotReference(path: "snap.json", time: nil))
        #expect(try SnapshotReference(parsing: "me@host.json") == SnapshotReference(path: "me@host.json", time: nil))
        #expect(throws: TimeSpec.ParseError.self) { try SnapshotReference(parsing: "deploy.kgrec@+5y") }

        let reader = try RecordingReader(bytes: try Scenario.recordingBytes())
        #expect(try TimeSpec.offset(0).pollIndex(in: reader) == 0)
        #expect(try TimeSpec.offset(12_000).pollIndex(in: reader) == 2)
        #expect(try TimeSpec.absolute(Scenario.start + 10_000).pollIndex(in: reader) == 2)
        #expect(try TimeSpec.poll(-1).pollIndex(in: reader) == reader.pollCount - 1)
        #expect(throws: RecordingError.self) { try TimeSpec.absolute(Scenario.start - 1).pollIndex(in: reader) }
    }
}

import Foundation
import GroupModel
import Testing
@testable import Recording

@Suite("Recording format: write, read, damage")
struct RecordingFormatTests {
    @Test("round trip: every poll reads back equal, with keyframes and deltas", arguments: [1, 3, 8, 360])
    func roundTrip(keyframeInterval: Int) throws {
        let snapshots = Scenario.rollingRestart()
        let reader = try RecordingReader(bytes: try Scenario.recordingBytes(keyframeInterval: keyframeInterval))
        #expect(reader.damage == nil)
        #expect(reader.pollCount == snapshots.count)
        #expect(reader.header.source == "scripted rolling restart")
        for (index, snapshot) in snapshots.enumerated() {
            #expect(try reader.snapshot(at: index) == snapshot.normalized(), "poll \(index)")
        }
        // Random access, backwards.
        for index in stride(from: snapshots.count - 1, through: 0, by: -3) {
            #expect(try reader.snapshot(at: index) == snapshots[index].normalized())
        }
        #expect(reader.entries.filter { $0.kind == .keyframe }.count == (snapshots.count + keyframeInterval - 1) / keyframeInterval)
    }
}

@Suite("Recording damage: truncation, corruption, write errors")
struct RecordingDamageTests {
    @Test("truncated at every byte offset of the last frame: replays up to the previous poll and says so")
    func truncateLastFrame() throws {
        let bytes = try Scenario.recordingBytes()
        let full = try RecordingReader(bytes: bytes)
        let count = full.pollCount
        let last = try #require(full.entries.last)
        let frameStart = last.offset - RecordingFormat.framePrefixLength
        let expected = try full.snapshot(at: count - 2)
        for cut in frameStart..<bytes.count {
            let reader = try RecordingReader(bytes: Array(bytes[0..<cut]))
            #expect(reader.pollCount == count - 1, "cut at \(cut)")
            #expect(try reader.snapshot(at: count - 2) == expected, "cut at \(cut)")
            if cut == frameStart {
                #expect(reader.damage == nil, "a cut exactly between frames is a clean end")
            } else {
                let damage = try #require(reader.damage, "cut at \(cut)")
                #expect(damage.kind == .truncated)
                #expect(damage.pollIndex == count - 1)
                #expect(damage.byteOffset == frameStart)
                #expect(damage.bytesIgnored == cut - frameStart)
            }
        }
    }

    @Test("a corrupt byte in the middle: the reader stops at that frame with a clear error")
    func corruptMiddle() throws {
        var bytes = try Scenario.recordingBytes()
        let full = try RecordingReader(bytes: bytes)
        let middle = full.entries[full.pollCount / 2]
        bytes[middle.offset + middle.length / 2] ^= 0x5A
        let reader = try RecordingReader(bytes: bytes)
        #expect(reader.pollCount == full.pollCount / 2)
        let damage = try #require(reader.damage)
        #expect(damage.kind == .checksumMismatch)
        #expect(damage.pollIndex == full.pollCount / 2)
        #expect(damage.description.contains("checksum mismatch"))
        #expect(try reader.snapshot(at: reader.pollCount - 1) == full.snapshot(at: reader.pollCount - 1))
        #expect(throws: RecordingError.noSuchPoll(reader.pollCount, count: reader.pollCount)) { try reader.snapshot(at: reader.pollCount) }
    }

    @Test("a damaged header or a foreign file is refused")
    func header() throws {
        var bytes = try Scenario.recordingBytes()
        #expect(throws: RecordingError.notARecording) { try RecordingReader(bytes: Array("{\"schema\":1}".utf8)) }
        bytes[20] ^= 0xFF
        #expect(throws: RecordingError.self) { try RecordingReader(bytes: bytes) }
        var future = try Scenario.recordingBytes()
        future[9] = 9
        #expect(throws: RecordingError.unsupportedVersion(9)) { try RecordingReader(bytes: future) }
    }

    @Test("file writer: appends, refuses to clobber, reads back; unwritable path is a typed error")
    func fileWriter() throws {
        let dir = try Scenario.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("deploy.kgrec").path
        let snapshots = Scenario.rollingRestart()
        let writer = try RecordingWriter(path: path, header: Scenario.header(), options: .init(keyframeInterval: 5, sync: .never))
        for s in snapshots { try writer.append(s) }
        #expect(writer.pollCount == snapshots.count)
        #expect(throws: RecordingError.alreadyExists(path: path)) {
            try RecordingWriter(path: path, header: Scenario.header())
        }
        writer.close()
        #expect(throws: RecordingError.closed) { try writer.append(snapshots[0]) }
        let reader = try RecordingReader(path: path)
        #expect(reader.pollCount == snapshots.count)
        #expect(reader.header.keyframeInterval == 5)
        #expect(try reader.snapshot(at: snapshots.count - 1) == snapshots.last?.normalized())

        let missing = dir.appendingPathComponent("no/such/dir/x.kgrec").path
        let error = #expect(throws: RecordingError.self) { try RecordingWriter(path: missing, header: Scenario.header()) }
        guard case .cannotOpen(let p, let code, _)? = error else { Issue.record("expected cannotOpen, got \(String(describing: error))"); return }
        #expect(p == missing && code == ENOENT)
    }

    @Test("disk full: the append throws diskFull at once, the file keeps its complete frames", .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func diskFull() throws {
        #expect(throws: RecordingError.diskFull(path: "/dev/full")) {
            try RecordingWriter(path: "/dev/full", header: Scenario.header(), options: .init(sync: .never, overwrite: true))
        }
    }
}

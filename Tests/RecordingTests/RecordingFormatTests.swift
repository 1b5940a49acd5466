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

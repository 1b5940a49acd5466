import KafkaWire
import Testing

@testable import KafkaAdmin

/// Finding the record at an offset in a Fetch answer's record bytes.
@Suite("Record timestamps")
struct RecordTimestampTests {
    static func batch(base: Int64, times: [Int64]) -> [UInt8] {
        RecordBatch.make(records: times.map { (key: nil, value: [1], timestamp: $0) }, baseOffset: base).encoded()
    }

    @Test("The record at the offset, inside the batch that holds it, or in a later batch")
    func findsRecord() {
        let bytes = Self.batch(base: 100, times: [1_000, 1_100, 1_200]) + Self.batch(base: 103, times: [2_000, 2_500])
        #expect(KafkaAdminClient.recordTimestamp(at: 101, in: bytes) == .success(RecordTimestamp(offset: 101, timestamp: 1_100, exact: true)))
        #expect(KafkaAdminClient.recordTimestamp(at: 104, in: bytes) == .success(RecordTimestamp(offset: 104, timestamp: 2_500, exact: true)))
        // A broker may start the answer at the batch's base, before the offset asked for.
        #expect(KafkaAdminClient.recordTimestamp(at: 100, in: bytes) == .success(RecordTimestamp(offset: 100, timestamp: 1_000, exact: true)))
    }

    @Test("No record at the offset, a batch cut at the fetch limit, garbage: errors that say so")
    func failures() {
        let bytes = Self.batch(base: 100, times: [1_000, 1_100])
        guard case .failure(let past) = KafkaAdminClient.recordTimestamp(at: 200, in: bytes) else { Issue.record("expected a failure"); return }
        #expect(past.message?.contains("no record at offset 200") == true, "\(past)")
        guard case .failure(let cut) = KafkaAdminClient.recordTimestamp(at: 100, in: Array(bytes.prefix(bytes.count - 3))) else {
            Issue.record("expected a failure")
            return
        }
        #expect(cut.message?.contains("larger than the fetch limit") == true, "\(cut)")
        guard case .failure = KafkaAdminClient.recordTimestamp(at: 100, in: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 61] + Array(repeating: 0xFF, count: 61)) else {
            Issue.record("expected a failure")
            return
        }
    }
}

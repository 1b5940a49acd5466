import KafkaWireNIO
import Testing

/// ``KafkaFrameDecoder/reservation(readable:bodySize:)``: the room made for an incomplete frame.
@Suite("Frame decoder: room for an incomplete frame")
struct FrameReservationTests {
    @Test("A size prefix alone, or less than half of a frame, makes no room; from half on, the rest")
    func reservation() {
        let body = 100 * 1024 * 1024
        // A broker announcing 100 MB gets nothing allocated for it before sending.
        // Half of a frame counts its 4-byte size: (4 + body) / 2 bytes.
        let half = (4 + body) / 2
        #expect(KafkaFrameDecoder.reservation(readable: 4, bodySize: body) == 0)
        #expect(KafkaFrameDecoder.reservation(readable: half - 1, bodySize: body) == 0)
        // Half in: the rest, which is never more than has arrived.
        #expect(KafkaFrameDecoder.reservation(readable: half, bodySize: body) == 4 + body - half)
        #expect(KafkaFrameDecoder.reservation(readable: 4 + body - 10, bodySize: body) == 10)
        for readable in stride(from: 4, through: 4 + body, by: 1_048_573) {
            let room = KafkaFrameDecoder.reservation(readable: readable, bodySize: body)
            #expect(room <= readable && room <= max(0, 4 + body - readable))
        }
        // Complete (or more, the next frame's bytes): nothing.
        #expect(KafkaFrameDecoder.reservation(readable: 4 + body, bodySize: body) == 0)
        #expect(KafkaFrameDecoder.reservation(readable: 4 + body + 7, bodySize: body) == 0)
        // An empty body.
        #expect(KafkaFrameDecoder.reservation(readable: 4, bodySize: 0) == 0)
    }
}

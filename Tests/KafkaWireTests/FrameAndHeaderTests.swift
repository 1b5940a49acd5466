import KafkaWire
import Testing

@Suite("Frames and headers")
struct FrameAndHeaderTests {
    static let bodies: [[UInt8]] = [[], [1], [1, 2, 3, 4, 5], (0..<300).map { UInt8(truncatingIfNeeded: $0) }, [9, 8]]

    static func stream() -> [UInt8] { bodies.flatMap(Frame.encode) }

    static func drain(_ d: inout FrameDecoder) throws(WireError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let frame = try d.next() { out.append(frame) }
        return out
    }

    @Test("Frame.encode prefixes the body size")
    func encode() {
        #expect(Frame.encode([7, 7, 7]) == [0, 0, 0, 3, 7, 7, 7])
        #expect(Frame.encode([]) == [0, 0, 0, 0])
    }

    @Test("frames come out the same whether bytes arrive one at a time or all at once")
    func oneByteAtATime() throws {
        var trickle = FrameDecoder()
        var fromTrickle: [[UInt8]] = []
        for byte in Self.stream() {
            trickle.append([byte])
            fromTrickle += try Self.drain(&trickle)
        }
        var bulk = FrameDecoder()
        bulk.append(Self.stream())
        let fromBulk = try Self.drain(&bulk)
        #expect(fromTrickle == Self.bodies)
        #expect(fromBulk == Self.bodies)
        #expect(trickle.bufferedByteCount == 0)
        #expect(bulk.bufferedByteCount == 0)
    }

    @Test("a frame split at every position is reassembled")
    func splitAnywhere() throws {
        let stream = Self.stream()
        for split in 0...stream.count {
            var d = FrameDecoder()
            d.append(stream[..<split])
            var frames = try Self.drain(&d)
            d.append(stream[split...])
            frames += try Self.drain(&d)
            #expect(frames == Self.bodies, "split at \(split)")
        }
    }

    @Test("negative or oversized frame sizes are rejected", arguments: [Int32(-1), Int32.min, 1025, Int32.max])
    func frameTooLarge(_ size: Int32) {
        var d = FrameDecoder(maxFrameSize: 1024)
        d.append(written { $0.writeInt32(size) })
        #expect(throws: WireError.frameTooLarge(size: size, limit: 1024)) { try d.next() }
    }

    @Test("a frame of exactly the maximum size is accepted")
    func frameAtLimit() throws {
        var d = FrameDecoder(maxFrameSize: 16)
        d.append(Frame.encode([UInt8](repeating: 1, count: 16)))
        #expect(try d.next()?.count == 16)
    }

    @Test("RequestHeader round-trips at v1 and v2", arguments: [Int16(1), 2], [nil, "", "kgtop-ü"] as [String?])
    func requestHeader(_ headerVersion: Int16, clientID: String?) throws {
        let tagged = headerVersion >= 2 ? [RawTaggedField(tag: 3, data: [1])] : []
        let h = RequestHeader(apiKey: 69, apiVersion: 1, correlationID: -7, clientID: clientID, unknownTaggedFields: tagged)
        let bytes = written { h.encode(to: &$0, headerVersion: headerVersion) }
        var r = WireReader(bytes)
        var back = try RequestHeader.decodePrefix(from: &r)
        #expect(back.apiKey == 69 && back.apiVersion == 1 && back.correlationID == -7)
        try back.decodeRest(from: &r, headerVersion: headerVersion)
        try r.expectEnd()
        #expect(back == h)
    }

    @Test("RequestHeader v1 has no tagged-field section")
    func requestHeaderV1Layout() {
        let h = RequestHeader(apiKey: 18, apiVersion: 3, correlationID: 1, clientID: "a")
        #expect(written { h.encode(to: &$0, headerVersion: 1) } == [0, 18, 0, 3, 0, 0, 0, 1, 0, 1, 0x61])
        #expect(written { h.encode(to: &$0, headerVersion: 2) } == [0, 18, 0, 3, 0, 0, 0, 1, 0, 1, 0x61, 0])
        #expect(RequestHeader.version(flexible: true) == 2)
        #expect(RequestHeader.version(flexible: false) == 1)
    }

    @Test("ResponseHeader round-trips at v0 and v1", arguments: [Int16(0), 1])
    func responseHeader(_ headerVersion: Int16) throws {
        let tagged = headerVersion >= 1 ? [RawTaggedField(tag: 0, data: [5, 6])] : []
        let h = ResponseHeader(correlationID: 123_456, unknownTaggedFields: tagged)
        let bytes = written { h.encode(to: &$0, headerVersion: headerVersion) }
        #expect(bytes.count == (headerVersion == 0 ? 4 : 4 + 1 + 1 + 1 + 2))
        let back = try readAll(bytes) { r throws(WireError) in try ResponseHeader.decode(from: &r, headerVersion: headerVersion) }
        #expect(back == h)
    }

    @Test("ApiVersions responses always use header v0; others follow flexibility")
    func responseHeaderVersionRule() {
        #expect(ResponseHeader.version(apiKey: 18, flexible: true) == 0)
        #expect(ResponseHeader.version(apiKey: 18, flexible: false) == 0)
        #expect(ResponseHeader.version(apiKey: 16, flexible: true) == 1)
        #expect(ResponseHeader.version(apiKey: 16, flexible: false) == 0)
    }

    @Test("a truncated request header is a typed error at every length")
    func truncatedHeader() {
        let h = RequestHeader(apiKey: 10, apiVersion: 4, correlationID: 9, clientID: "client",
                              unknownTaggedFields: [RawTaggedField(tag: 1, data: [1, 2])])
        let bytes = written { h.encode(to: &$0, headerVersion: 2) }
        for cut in 0..<bytes.count {
            #expect(throws: WireError.self, "cut at \(cut)") {
                var r = WireReader(Array(bytes.prefix(cut)))
                var back = try RequestHeader.decodePrefix(from: &r)
                try back.decodeRest(from: &r, headerVersion: 2)
            }
        }
    }
}

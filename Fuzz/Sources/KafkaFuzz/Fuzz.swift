import KafkaProtocol
import KafkaWire

/// Decodes `bytes` as `M` at every valid version; a decoded value must re-encode and decode again
/// to the same value. Errors are fine, traps are the bugs being looked for.
func exercise<M: KafkaMessage>(_ type: M.Type, _ bytes: [UInt8]) {
    for version in M.validVersions {
        guard let value = try? M.decode(bytes, version: version) else { continue }
        guard let again = try? value.encoded(version: version) else {
            fatalError("\(M.messageName) v\(version): decoded but cannot re-encode")
        }
        guard let back = try? M.decode(again, version: version), back == value else {
            fatalError("\(M.messageName) v\(version): re-encoded bytes decode differently")
        }
    }
}

/// The response decoders the poller runs on bytes from brokers, plus the embedded consumer protocol.
let targets: [@Sendable ([UInt8]) -> Void] = [
    { exercise(ApiVersionsResponse.self, $0) },
    { exercise(MetadataResponse.self, $0) },
    { exercise(ListGroupsResponse.self, $0) },
    { exercise(FindCoordinatorResponse.self, $0) },
    { exercise(DescribeGroupsResponse.self, $0) },
    { exercise(ConsumerGroupDescribeResponse.self, $0) },
    { exercise(OffsetFetchResponse.self, $0) },
    { exercise(ListOffsetsResponse.self, $0) },
    { exercise(DescribeClusterResponse.self, $0) },
    { exercise(DescribeConfigsResponse.self, $0) },
    { exercise(ShareGroupDescribeResponse.self, $0) },
    { exercise(StreamsGroupDescribeResponse.self, $0) },
    { exercise(SaslHandshakeResponse.self, $0) },
    { exercise(SaslAuthenticateResponse.self, $0) },
    { _ = try? ConsumerProtocolSubscription.decodeVersionPrefixed($0) },
    { _ = try? ConsumerProtocolAssignment.decodeVersionPrefixed($0) },
    { bytes in
        var frames = FrameDecoder(maxFrameSize: 1 << 16)
        frames.append(bytes)
        while let frame = try? frames.next() {
            var r = WireReader(frame)
            _ = try? ResponseHeader.decode(from: &r, headerVersion: 1)
        }
    },
]

/// One fuzz input: the first byte picks the decoder, the rest is its input.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    targets[Int(data[0]) % targets.count](bytes)
    return 0
}

/// libFuzzer's driver, which parses libFuzzer's flags and runs the callback.
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The executable's entry point (SwiftPM links an executable target's `main` under this name):
/// hands control to libFuzzer's driver.
@_cdecl("KafkaFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var args = argv
    return llvmFuzzerRunDriver(&count, &args) { data, size in fuzzOne(data, size) }
}

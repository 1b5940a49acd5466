import SeededRandom
import KafkaWire


/// Encodes with a fresh writer.
func written(_ body: (inout WireWriter) -> Void) -> [UInt8] {
    var w = WireWriter()
    body(&w)
    return w.bytes
}

/// Runs `read` over all of `bytes` and requires that it consumed every byte.
func readAll<T>(_ bytes: [UInt8], _ read: (inout WireReader) throws(WireError) -> T) throws(WireError) -> T {
    var r = WireReader(bytes)
    let value = try read(&r)
    try r.expectEnd()
    return value
}

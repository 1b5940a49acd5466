/// Requests and bytes per API, for one call or accumulated over many.
public struct RequestStats: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The counters of one API.
    public struct Counters: Sendable, Hashable, Codable {
        /// Requests sent (answered or not).
        public var requests: Int = 0
        /// Requests that got no usable answer (connection, timeout, decoding).
        public var failures: Int = 0
        /// Bytes written, size prefixes and headers included.
        public var bytesSent: Int = 0
        /// Bytes read, size prefixes and headers included.
        public var bytesReceived: Int = 0

        /// Creates counters.
        public init(requests: Int = 0, failures: Int = 0, bytesSent: Int = 0, bytesReceived: Int = 0) {
            self.requests = requests
            self.failures = failures
            self.bytesSent = bytesSent
            self.bytesReceived = bytesReceived
        }

        mutating func add(_ other: Counters) {
            requests += other.requests
            failures += other.failures
            bytesSent += other.bytesSent
            bytesReceived += other.bytesReceived
        }
    }

    /// Counters by API name (`ListGroups`, `OffsetFetch`, ...).
    public var byAPI: [String: Counters]

    /// Empty stats.
    public init(byAPI: [String: Counters] = [:]) {
        self.byAPI = byAPI
    }

    /// All requests.
    public var requests: Int { byAPI.values.reduce(0) { $0 + $1.requests } }
    /// All bytes written.
    public var bytesSent: Int { byAPI.values.reduce(0) { $0 + $1.bytesSent } }
    /// All bytes read.
    public var bytesReceived: Int { byAPI.values.reduce(0) { $0 + $1.bytesReceived } }
    /// Requests of one API (0 when none).
    public func requests(_ api: String) -> Int { byAPI[api]?.requests ?? 0 }

    /// Records one request.
    public mutating func record(api: String, bytesSent: Int, bytesReceived: Int, failed: Bool) {
        byAPI[api, default: Counters()].add(
            Counters(requests: 1, failures: failed ? 1 : 0, bytesSent: bytesSent, bytesReceived: bytesReceived))
    }

    /// Adds `other` to these stats.
    public mutating func merge(_ other: RequestStats) {
        for (api, counters) in other.byAPI { byAPI[api, default: Counters()].add(counters) }
    }

    /// The sum of two stats.
    public static func + (a: RequestStats, b: RequestStats) -> RequestStats {
        var sum = a
        sum.merge(b)
        return sum
    }

    /// `API: n req, sent/received bytes` per API, sorted by name.
    public var description: String {
        byAPI.keys.sorted().map { api in
            let c = byAPI[api]!
            return "\(api): \(c.requests) req (\(c.failures) failed), \(c.bytesSent) B out, \(c.bytesReceived) B in"
        }.joined(separator: "; ")
    }
}

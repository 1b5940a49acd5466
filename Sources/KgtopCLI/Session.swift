import Foundation
import GroupModel
import KafkaAdmin
import Monitor

/// Wall-clock milliseconds since the epoch.
@Sendable func wallClockMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

/// An admin client with a poller and a monitor, closed together.
struct Session {
    let admin: KafkaAdminClient
    let poller: Poller
    let monitor: Monitor

    /// Connects lazily (the first poll bootstraps). Invalid configuration is a usage error.
    static func open(_ options: ConnectionOptions, interval: Duration = .seconds(2), historyCapacity: Int = 10) throws(UserFacingError) -> Session {
        let config = try options.adminConfig()
        let admin = KafkaAdminClient(config: config)
        let poller = Poller(admin: admin, now: wallClockMs)
        let monitor = Monitor(poller: poller, interval: interval, historyCapacity: historyCapacity, now: wallClockMs)
        return Session(admin: admin, poller: poller, monitor: monitor)
    }

    func close() async {
        await monitor.stop()
        await admin.close()
    }
}

/// Group selection shared by the headless commands.
struct GroupFilter {
    var include: NSRegularExpression?
    var exclude: NSRegularExpression?
    var types: Set<String>

    init(include: String?, exclude: String?, types: [String]) throws(UserFacingError) {
        func compile(_ pattern: String?, _ flag: String) throws(UserFacingError) -> NSRegularExpression? {
            guard let pattern else { return nil }
            do { return try NSRegularExpression(pattern: pattern) } catch {
                throw UserFacingError("\(flag) \(pattern): not a valid regular expression")
            }
        }
        self.include = try compile(include, "--group")
        self.exclude = try compile(exclude, "--exclude")
        let valid: Set<String> = ["classic", "consumer", "share", "streams", "mixed", "unknown"]
        for t in types where !valid.contains(t.lowercased()) {
            throw UserFacingError("--type \(t): not one of \(valid.sorted().joined(separator: ", "))")
        }
        self.types = Set(types.map { $0.lowercased() })
    }

    static func matches(_ re: NSRegularExpression, _ s: String) -> Bool {
        re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    func accepts(_ g: Group) -> Bool {
        if let include, !Self.matches(include, g.groupID) { return false }
        if let exclude, Self.matches(exclude, g.groupID) { return false }
        if !types.isEmpty {
            let proto = g.protocol.rawValue
            let type = g.type.brokerString
            if !types.contains(proto) && !types.contains(type) { return false }
        }
        return true
    }

    func apply(_ s: ClusterSnapshot) -> ClusterSnapshot {
        var out = s
        out.groups = s.groups.filter(accepts)
        return out
    }
}

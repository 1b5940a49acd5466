import Foundation

/// A scenario script: commands run at start, and commands run at a time after the start
/// (optionally repeating). See the "Scenario files" section of the simulator docs for the format.
public struct SimScript: Sendable, Hashable {
    /// One scripted action.
    public enum Command: Sendable, Hashable {
        /// Create a topic.
        case topic(name: String, partitions: Int)
        /// Produce continuously at a rate (records/s over all partitions).
        case produce(topic: String, recordsPerSec: Double)
        /// Append records to one partition now.
        case append(topic: String, partition: Int32, count: Int)
        /// Commit an offset for a group.
        case commit(group: String, topic: String, partition: Int32, offset: Int64)
        /// Add `count` members of a protocol to a group.
        case group(id: String, protocol: GroupProtocol, count: Int, topics: [String], options: SimMemberOptions)
        /// Stop (leave), kill (no leave), pause, resume a member.
        case stop(String), kill(String), pause(String), resume(String)
        /// Make a member's revocations take this long.
        case slow(String, ms: Int64)
        /// Set a member's consumption rate (nil: keep up).
        case rate(String, recordsPerSec: Double?)
    }

    /// Commands run when the script is applied.
    public var immediate: [Command] = []
    /// Commands run `atMs` after the script is applied.
    public var timed: [Timed] = []
    /// When set, the timed commands repeat with this period.
    public var repeatEveryMs: Int64?

    /// A command with its time.
    public struct Timed: Sendable, Hashable {
        /// Milliseconds after the start.
        public var atMs: Int64
        /// The command.
        public var command: Command

        /// Creates a timed command.
        public init(atMs: Int64, command: Command) {
            self.atMs = atMs
            self.command = command
        }
    }

    /// An empty script.
    public init(immediate: [Command] = [], timed: [Timed] = [], repeatEveryMs: Int64? = nil) {
        self.immediate = immediate
        self.timed = timed
        self.repeatEveryMs = repeatEveryMs
    }

    /// Parses the line format; errors name the line.
    public init(parsing text: String) throws(SimError) {
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // '#' also appears in member handles: only a leading '#' or " #" starts a comment.
            let content = Self.stripComment(String(raw))
            var words = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard !words.isEmpty else { continue }
            do {
                if words[0] == "every" {
                    guard words.count == 2, let ms = Self.duration(words[1]) else { throw SimError.invalidArgument("every <duration>") }
                    repeatEveryMs = ms
                    continue
                }
                if words[0] == "at" {
                    guard words.count >= 3, let ms = Self.duration(words[1]) else { throw SimError.invalidArgument("at <duration> <command>") }
                    words.removeFirst(2)
                    timed.append(Timed(atMs: ms, command: try Self.command(words)))
                } else {
                    immediate.append(try Self.command(words))
                }
            } catch {
                throw SimError.invalidArgument("line \(n + 1): \(error)")
            }
        }
    }

    static func stripComment(_ line: String) -> String {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("#") { return "" }
        if let r = line.range(of: " #") { return String(line[..<r.lowerBound]) }
        return line
    }

    /// `500ms`, `30s`, `2m`, or plain milliseconds.
    static func duration(_ s: String) -> Int64? {
        if s.hasSuffix("ms") { return Int64(s.dropLast(2)) }
        if s.hasSuffix("s") { return Double(s.dropLast()).map { Int64($0 * 1000) } }
        if s.hasSuffix("m") { return Double(s.dropLast()).map { Int64($0 * 60_000) } }
        return Int64(s)
    }

    static func command(_ w: [String]) throws(SimError) -> Command {
        func int(_ s: String) throws(SimError) -> Int {
            guard let v = Int(s) else { throw .invalidArgument("not a number: \(s)") }
            return v
        }
        func need(_ n: Int, _ usage: String) throws(SimError) {
            if w.count < n { throw .invalidArgument("usage: \(usage)") }
        }
        switch w[0] {
        case "topic":
            try need(3, "topic <name> <partitions>")
            return .topic(name: w[1], partitions: try int(w[2]))
        case "produce":
            try need(3, "produce <topic> <records/s>")
            guard let r = Double(w[2]) else { throw .invalidArgument("bad rate \(w[2])") }
            return .produce(topic: w[1], recordsPerSec: r)
        case "append":
            try need(4, "append <topic> <partition> <count>")
            return .append(topic: w[1], partition: Int32(try int(w[2])), count: try int(w[3]))
        case "commit":
            try need(5, "commit <group> <topic> <partition> <offset>")
            return .commit(group: w[1], topic: w[2], partition: Int32(try int(w[3])), offset: Int64(try int(w[4])))
        case "group", "add":
            // group <id> <consumer|classic> <count> <topics> [options]; add <id> <proto> <topics> [options]
            let hasCount = w[0] == "group"
            try need(hasCount ? 5 : 4, hasCount ? "group <id> <consumer|classic> <count> <topic,...> [key=value...]" : "add <id> <consumer|classic> <topic,...> [key=value...]")
            guard let proto = GroupProtocol(rawValue: w[2]) else { throw .invalidArgument("protocol must be consumer or classic") }
            let count = hasCount ? try int(w[3]) : 1
            let topics = w[hasCount ? 4 : 3].split(separator: ",").map(String.init)
            var o = SimMemberOptions()
            for kv in w.dropFirst(hasCount ? 5 : 4) {
                let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw .invalidArgument("expected key=value, got \(kv)") }
                switch parts[0] {
                case "assignor":
                    if proto == .consumer { o.serverAssignor = parts[1] } else {
                        guard let a = ClassicAssignor(rawValue: parts[1]) else { throw .invalidArgument("classic assignor must be range, roundrobin or cooperative-sticky") }
                        o.classicAssignor = a
                    }
                case "rate": o.consumeRatePerSec = Double(parts[1])
                case "slow": o.revocationDelayMs = Self.duration(parts[1]) ?? 0
                case "instance": o.instanceID = parts[1]
                case "client": o.clientID = parts[1]
                case "classic-member": o.classicInConsumerGroup = parts[1] == "true"
                default: throw .invalidArgument("unknown option \(parts[0])")
                }
            }
            return .group(id: w[1], protocol: proto, count: count, topics: topics, options: o)
        case "stop": try need(2, "stop <handle>"); return .stop(w[1])
        case "kill": try need(2, "kill <handle>"); return .kill(w[1])
        case "pause": try need(2, "pause <handle>"); return .pause(w[1])
        case "resume": try need(2, "resume <handle>"); return .resume(w[1])
        case "slow":
            try need(3, "slow <handle> <duration>")
            guard let ms = Self.duration(w[2]) else { throw .invalidArgument("bad duration \(w[2])") }
            return .slow(w[1], ms: ms)
        case "rate":
            try need(3, "rate <handle> <records/s|max>")
            return .rate(w[1], recordsPerSec: w[2] == "max" ? nil : Double(w[2]))
        default:
            throw .invalidArgument("unknown command \(w[0])")
        }
    }

    /// Runs the immediate commands and schedules the timed ones on `cluster`'s clock.
    public func apply(to cluster: SimCluster) async throws {
        try await cluster.runScript(self)
    }
}

extension SimCluster {
    func runScript(_ script: SimScript) throws {
        for c in script.immediate { try run(c) }
        let start = clock.nowMs()
        for t in script.timed { scheduled.append(ScheduledCommand(atMs: start + t.atMs, command: t.command, repeatEveryMs: script.repeatEveryMs)) }
        scheduled.sort { $0.atMs < $1.atMs }
    }

    /// Runs one script command now.
    public func run(_ c: SimScript.Command) throws {
        switch c {
        case .topic(let name, let partitions): try createTopic(name, partitions: partitions)
        case .produce(let topic, let rate): try produce(topic: topic, recordsPerSec: rate)
        case .append(let topic, let partition, let count): try append(topic: topic, partition: partition, count: count)
        case .commit(let group, let topic, let partition, let offset): commitOffset(group: group, topic: topic, partition: partition, offset: offset)
        case .group(let id, let proto, let count, let topics, let options):
            for i in 0..<count {
                var o = options
                if let inst = options.instanceID, count > 1 { o.instanceID = "\(inst)-\(i + 1)" }
                try addMember(group: id, protocol: proto, topics: topics, options: o)
            }
        case .stop(let h): try stopMember(try resolveHandle(h))
        case .kill(let h): try killMember(try resolveHandle(h))
        case .pause(let h): try pauseMember(try resolveHandle(h), paused: true)
        case .resume(let h): try pauseMember(try resolveHandle(h), paused: false)
        case .slow(let h, let ms): try slowMember(try resolveHandle(h), revocationDelayMs: ms)
        case .rate(let h, let r): try setConsumeRate(try resolveHandle(h), recordsPerSec: r)
        }
    }

    /// `group#3`, or `group#first` / `group#last` for the oldest / newest live member.
    func resolveHandle(_ h: String) throws(SimError) -> String {
        guard let hash = h.lastIndex(of: "#") else { throw .unknownMember(h) }
        let group = String(h[..<hash]), which = String(h[h.index(after: hash)...])
        if which == "first" || which == "last" {
            let live = simMemberOrder.filter { $0.groupID == group }
            guard let pick = which == "first" ? live.first : live.last else { throw .unknownMember(h) }
            return pick.handle
        }
        return h
    }

    func runScheduled(now: Int64) {
        while let first = scheduled.first, first.atMs <= now {
            scheduled.removeFirst()
            do {
                try run(first.command)
            } catch {
                logger.info("scripted command failed", metadata: ["command": "\(first.command)", "error": "\(error)"])
            }
            if let period = first.repeatEveryMs, period > 0 {
                var next = first
                next.atMs += period
                let i = scheduled.firstIndex { $0.atMs > next.atMs } ?? scheduled.count
                scheduled.insert(next, at: i)
            }
        }
    }
}

/// A command waiting for its time.
struct ScheduledCommand {
    var atMs: Int64
    var command: SimScript.Command
    var repeatEveryMs: Int64?
}

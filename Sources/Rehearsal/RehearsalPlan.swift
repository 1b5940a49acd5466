import Foundation
import GroupModel
import Workload

/// The group protocol the rehearsal's members use.
public enum RehearsalProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    /// Classic (JoinGroup/SyncGroup); `--assignor` sets `partition.assignment.strategy`.
    case classic
    /// KIP-848 (`group.protocol=consumer`); `--assignor` sets `group.remote.assignor`.
    case consumer
}

/// One thing a rehearsal does to its group.
public enum RehearsalStep: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Restart every member in turn (leave, start again), waiting for the group to settle (or the
    /// settle timeout) before the next.
    case roll
    /// Start this many more members.
    case scaleOut(Int)
    /// Close (leave cleanly) this many members, the newest first.
    case scaleIn(Int)
    /// Destroy this many members without leaving (a crash), the newest first.
    case kill(Int)
    /// Raise the topic to this many partitions in total.
    case addPartitions(Int)

    /// `roll`, `scale-out 2`, `kill 1`, `add-partitions 120`.
    public var description: String {
        switch self {
        case .roll: return "roll"
        case let .scaleOut(n): return "scale-out \(n)"
        case let .scaleIn(n): return "scale-in \(n)"
        case let .kill(n): return "kill \(n)"
        case let .addPartitions(n): return "add-partitions \(n)"
        }
    }

    /// The step names, as the command line takes them.
    public static let names = ["roll", "scale-out", "scale-in", "kill", "add-partitions"]

    /// Parses steps from words: `roll scale-out 2 kill 1`; a count may also be attached as
    /// `scale-out=2` or `scale-out:2`. Every step but `roll` needs a positive count.
    public static func parse(_ words: [String]) throws(WorkloadError) -> [RehearsalStep] {
        var tokens: [String] = []
        for word in words {
            for piece in word.split(whereSeparator: { $0 == " " || $0 == "=" || $0 == ":" || $0 == "," }) {
                tokens.append(String(piece))
            }
        }
        var steps: [RehearsalStep] = []
        var i = 0
        while i < tokens.count {
            let name = tokens[i].lowercased()
            i += 1
            if name == "roll" {
                steps.append(.roll)
                continue
            }
            guard names.contains(name) else {
                throw .invalidArgument("--step \(tokens[i - 1]): not one of \(names.joined(separator: ", "))")
            }
            guard i < tokens.count, let n = Int(tokens[i]), n > 0 else {
                throw .invalidArgument("--step \(name) needs a positive count, e.g. --step \(name) 2")
            }
            i += 1
            switch name {
            case "scale-out": steps.append(.scaleOut(n))
            case "scale-in": steps.append(.scaleIn(n))
            case "kill": steps.append(.kill(n))
            default: steps.append(.addPartitions(n))
            }
        }
        return steps
    }

    private enum CodingKeys: String, CodingKey { case step, count }

    /// Encodes as `{"step": "scale-out", "count": 2}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .roll: try c.encode("roll", forKey: .step)
        case let .scaleOut(n): try c.encode("scale-out", forKey: .step); try c.encode(n, forKey: .count)
        case let .scaleIn(n): try c.encode("scale-in", forKey: .step); try c.encode(n, forKey: .count)
        case let .kill(n): try c.encode("kill", forKey: .step); try c.encode(n, forKey: .count)
        case let .addPartitions(n): try c.encode("add-partitions", forKey: .step); try c.encode(n, forKey: .count)
        }
    }

    /// Decodes what ``encode(to:)`` wrote.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .step)
        let count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 0
        switch name {
        case "roll": self = .roll
        case "scale-out": self = .scaleOut(count)
        case "scale-in": self = .scaleIn(count)
        case "kill": self = .kill(count)
        case "add-partitions": self = .addPartitions(count)
        default: throw DecodingError.dataCorruptedError(forKey: .step, in: c, debugDescription: "unknown step \(name)")
        }
    }
}

/// What a rehearsal runs: N real members of one group on one topic, a producer, and steps.
public struct RehearsalPlan: Sendable {
    /// The prefix of default topic and group names; the only names kgtop creates on its own.
    public static let namePrefix = "kgtop-rehearse-"

    /// The topic (created with ``partitions`` when missing).
    public var topic: String
    /// The consumer group (must have no members when the rehearsal starts).
    public var groupID: String
    /// Partitions of the topic when the rehearsal creates it.
    public var partitions: Int
    /// Members started at first.
    public var members: Int
    /// The members' group protocol.
    public var `protocol`: RehearsalProtocol
    /// The assignor: `partition.assignment.strategy` (classic) or `group.remote.assignor` (consumer).
    public var assignor: String?
    /// The steps, in order.
    public var steps: [RehearsalStep]
    /// Messages per second produced during the rehearsal (0: no producer).
    public var ratePerSecond: Double
    /// Payload size of produced messages.
    public var messageSize: Int
    /// librdkafka properties for members, producer and the librdkafka admin client
    /// (`bootstrap.servers` included); kgtop's own poller gets the subset it understands.
    public var properties: ClientProperties
    /// How long to wait for the group to settle after starting and after each restart of a roll.
    public var settleTimeout: Duration
    /// How long to wait for the group to settle after a step.
    public var stepTimeout: Duration
    /// Time between polls of the group (the resolution of coordinator-side times).
    public var pollInterval: Duration
    /// How long to keep measuring after the group settled (late duplicates, lag recovery).
    public var cooldown: Duration
    /// Raises a topic's partition count (topic, total); nil uses librdkafka's CreatePartitions.
    public var addPartitions: (@Sendable (String, Int) async throws -> Void)?
    /// Receives progress lines (stderr in the CLI).
    public var progress: (@Sendable (String) -> Void)?

    /// Creates a plan with defaults for the timing knobs.
    public init(
        topic: String, groupID: String, partitions: Int = 12, members: Int, protocol: RehearsalProtocol,
        assignor: String? = nil, steps: [RehearsalStep], ratePerSecond: Double = 200, messageSize: Int = 100,
        properties: ClientProperties, settleTimeout: Duration = .seconds(60), stepTimeout: Duration = .seconds(120),
        pollInterval: Duration = .milliseconds(200), cooldown: Duration = .seconds(1),
        addPartitions: (@Sendable (String, Int) async throws -> Void)? = nil,
        progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.topic = topic
        self.groupID = groupID
        self.partitions = partitions
        self.members = members
        self.protocol = `protocol`
        self.assignor = assignor
        self.steps = steps
        self.ratePerSecond = ratePerSecond
        self.messageSize = messageSize
        self.properties = properties
        self.settleTimeout = settleTimeout
        self.stepTimeout = stepTimeout
        self.pollInterval = pollInterval
        self.cooldown = cooldown
        self.addPartitions = addPartitions
        self.progress = progress
    }

    /// The member properties: the plan's, plus the protocol and assignor, plus rehearsal defaults
    /// (`auto.commit.interval.ms=1000`, so lag reflects consumption, not the 5 s commit interval).
    public var memberProperties: ClientProperties {
        var p = properties
        if p["auto.commit.interval.ms"] == nil { p["auto.commit.interval.ms"] = "1000" }
        switch self.protocol {
        case .classic:
            // Not set when absent: librdkafka before 2.4 does not know group.protocol at all.
            if let assignor { p["partition.assignment.strategy"] = assignor }
        case .consumer:
            p["group.protocol"] = "consumer"
            if let assignor { p["group.remote.assignor"] = assignor }
        }
        return p
    }
}

/// The measurements of one step (or of the start-up, `start N`).
public struct RehearsalStepReport: Sendable, Hashable, Codable {
    /// What was done (`roll`, `scale-out 2`, `start 6`).
    public var step: String
    /// How it was done, in words (`closed m6, m5 (leave)`).
    public var trigger: String
    /// When the step began (ms since the Unix epoch).
    public var startedAtMs: Int64
    /// How long the trigger itself took (closing, killing, starting, the admin call), ms.
    public var triggerMs: Int64
    /// Step start until the coordinator had computed the final target: KIP-848, the assignment
    /// epoch reached the bumped group epoch; classic, the final generation went Stable. Resolution:
    /// one poll. Nil when the epochs could not be observed or did not move.
    public var targetComputedMs: Int64?
    /// Where ``targetComputedMs`` comes from: `coordinator` (epochs or generations seen by the
    /// polls) or `members` (classic without visible generations: the first assignment the members
    /// applied after the last partitions were given up).
    public var targetSource: String?
    /// Step start until every member was at the assignment epoch with nothing pending and every
    /// partition owned by exactly one member (members' own assignments) — confirmed by a poll.
    public var reconciledMs: Int64?
    /// Step start until the members' own callbacks last completed the assignment (ms resolution).
    public var assignmentCompleteMs: Int64?
    /// The longest time any one partition had no owner, from the members' assign/revoke timestamps.
    public var maxUnownedMs: Int64
    /// The partition that was unowned longest.
    public var maxUnownedPartition: String?
    /// Partitions that were without owner at some point.
    public var partitionsUnowned: Int
    /// Sum over partitions of time without owner (partition-milliseconds).
    public var unownedPartitionMs: Int64
    /// Messages consumed twice during the step (counted by the members).
    public var duplicates: Int64
    /// Messages consumed during the step.
    public var consumed: Int64
    /// The group's peak total lag seen by the polls during the step, nil when never known.
    public var lagPeak: Int64?
    /// Group epoch (KIP-848) or generation (classic) before and after.
    public var epochBefore: Int32?
    /// Group epoch (KIP-848) or generation (classic) at the end.
    public var epochAfter: Int32?
    /// Members running at the end of the step.
    public var membersAfter: Int
    /// Partitions of the topic at the end of the step.
    public var partitionsAfter: Int
    /// Rebalances the members' callbacks served during the step.
    public var memberCallbacks: Int
    /// Whether the group failed to settle within the timeout.
    public var timedOut: Bool
    /// Observations worth knowing (foreign members, settle timeouts during a roll, ...).
    public var notes: [String]
    /// Why the step takes as long as it does, when a known setting decides it (classic members
    /// learning of new partitions at their metadata refresh); nil otherwise.
    public var cause: RehearsalCause? = nil
}

/// A setting that decides how long a step takes, and what it means for the step.
public struct RehearsalCause: Sendable, Hashable, Codable {
    /// The explanation for people: the mechanism, the setting and its value, and when the step is
    /// expected to settle if it did not.
    public var text: String
    /// The librdkafka setting in force (`topic.metadata.refresh.interval.ms`).
    public var setting: String
    /// Its value for the rehearsal's members, ms (librdkafka's default when not set).
    public var settingMs: Int64
    /// The Java client's equivalent setting (`metadata.max.age.ms`).
    public var javaSetting: String
    /// When a step that did not settle is expected to (ms since the Unix epoch): its start plus
    /// one refresh interval; nil when it settled or the refresh is off.
    public var expectedByMs: Int64?
}

/// The result of a rehearsal (`kgtop rehearse --json`).
public struct RehearsalReport: Sendable, Hashable, Codable {
    /// The schema name of this JSON.
    public static let currentSchema = "kgtop.rehearsal/1"
    /// The schema name.
    public var schema: String = Self.currentSchema
    /// The group.
    public var groupID: String
    /// The topic.
    public var topic: String
    /// The members' protocol.
    public var `protocol`: RehearsalProtocol
    /// The group type the coordinator reported (`classic`, `consumer`), when it did.
    public var observedGroupType: String?
    /// The assignor asked for, if any.
    public var assignor: String?
    /// The assignor the coordinator reported, if any.
    public var observedAssignor: String?
    /// The librdkafka version the members ran.
    public var librdkafkaVersion: String
    /// The rebalance protocol librdkafka reported to the members (`EAGER`, `COOPERATIVE`).
    public var rebalanceProtocol: String?
    /// Members started at first.
    public var members: Int
    /// Partitions at the start.
    public var partitions: Int
    /// Messages per second produced.
    public var ratePerSecond: Double
    /// The poll interval: the resolution of coordinator-side times, ms.
    public var pollIntervalMs: Int64
    /// The start-up (N members joining an empty group), measured like a step.
    public var startup: RehearsalStepReport
    /// One report per step.
    public var steps: [RehearsalStepReport]
    /// Messages produced (acknowledged) during the whole run.
    public var produced: Int64
    /// Messages consumed during the whole run.
    public var consumed: Int64
    /// Messages consumed twice during the whole run.
    public var duplicates: Int64
    /// How long the whole run took, ms.
    public var durationMs: Int64
}

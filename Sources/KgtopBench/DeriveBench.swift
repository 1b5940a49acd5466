import SeededRandom
import Foundation
import GroupModel

/// `KgtopBench --derive-only`: the Monitor's derivations (diff, episodes, history, health, time
/// lag, new errors) on a synthetic estate, in process, without a cluster or a network.
///
/// Every group has its own topic and 3 members; even-numbered groups are KIP-848 consumer groups,
/// odd-numbered ones classic. Each poll the log ends move (5 records/s at a 2 s interval), most
/// groups commit close to the log end, some stand still, a few partitions carry an error, and a
/// small share of the groups rebalance (a member leaves and another joins). Every snapshot is built
/// from fresh strings, as a real poll's would be. It prints per-step times (median and p95) and the
/// process's peak resident memory; it asserts nothing.
enum DeriveBench {
    struct Options {
        var groups = 10_000
        var partitions = 10
        var polls = 15
        var historyCapacity = 10
        /// Record-time candidates asked for before each poll (0: none), as the monitor asks them.
        var candidates = 0
        /// Whether to print a digest of everything the derivation hands over (to compare builds).
        var digest = false
        var out: String?

        static let usage = """
            usage: KgtopBench --derive-only [--groups N] [--partitions P] [--polls N] [--history N] [--candidates N] [--digest] [--out FILE]
            """

        init(_ args: ArraySlice<String>) throws {
            var it = args.makeIterator()
            while let a = it.next() {
                if a == "--derive-only" { continue }
                if a == "--digest" {
                    digest = true
                    continue
                }
                guard let v = it.next() else { throw BenchError("\(a) needs a value") }
                guard let n = Int(v), n > 0 else {
                    if a == "--out" { out = v; continue }
                    throw BenchError("\(a) \(v): not a positive count")
                }
                switch a {
                case "--groups": groups = n
                case "--partitions": partitions = n
                case "--polls": polls = n
                case "--history": historyCapacity = n
                case "--candidates": candidates = n
                case "--out": out = v
                default: throw BenchError("unknown option \(a)")
                }
            }
        }
    }

    struct Result: Codable {
        var groups = 0
        var partitionsPerGroup = 0
        var groupPartitions = 0
        var polls = 0
        /// CPU time per poll (the steps below are CPU time too).
        var total = Summary()
        /// Wall time per poll (inflated when the machine is busy).
        var wall = Summary()
        var diff = Summary()
        var episodes = Summary()
        var history = Summary()
        var health = Summary()
        var timeLag = Summary()
        var errors = Summary()
        /// ``PollDerivation/recordTimeCandidates(for:focus:budget:)`` before each poll (with `--candidates`).
        var candidates = Summary()
        var eventsPerPoll = Summary()
        /// Resident memory after the first snapshot was built, before any derivation (MB).
        var baselineRSSMB = 0.0
        /// Resident memory after the last poll (MB).
        var finalRSSMB = 0.0
        /// Peak resident memory of the process (MB).
        var peakRSSMB = 0.0
        /// Bytes held by the history's rings after the last poll (MB).
        var historyMB = 0.0
    }

    static func run(_ args: ArraySlice<String>) {
        let o: Options
        do { o = try Options(args) } catch {
            FileHandle.standardError.write(Data("KgtopBench: \(error)\n\(Options.usage)\n".utf8))
            exit(64)
        }
        var estate = Estate(groups: o.groups, partitions: o.partitions)
        var derivation = PollDerivation(historyCapacity: o.historyCapacity)
        // Step times in CPU time of this thread: the machine may be busy with other work.
        derivation.timingClock = { DeriveBench.threadCPUMs() }
        var result = Result()
        result.groups = o.groups
        result.partitionsPerGroup = o.partitions
        result.groupPartitions = o.groups * o.partitions
        result.polls = o.polls
        var timings: [DerivationTimings] = []
        var events: [Double] = []
        var snapshot = estate.snapshot()
        result.baselineRSSMB = memory().rss
        var walls: [Double] = []
        var candidateMs: [Double] = []
        var digest = Digest()
        for poll in 0..<o.polls {
            if o.candidates > 0 {
                // As the monitor does: ask which record timestamps would help, and "read" them (each
                // record is taken to be a minute older than the snapshot, its timestamp exact).
                let c0 = threadCPUMs()
                let keys = derivation.recordTimeCandidates(for: snapshot, focus: [], budget: o.candidates)
                candidateMs.append(threadCPUMs() - c0)
                if o.digest { digest.add("candidates", "\(keys)") }
                var found: [RecordTimes.Key: RecordTimes.Record] = [:]
                for (i, key) in keys.enumerated() {
                    found[key] = RecordTimes.Record(timestamp: snapshot.takenAt - 60_000 - Int64(i), exact: i % 4 != 0)
                }
                derivation.addRecordTimes(found)
            }
            let t0 = ContinuousClock.now
            // The poller hands its snapshot over to the monitor's derivation: so does the bench.
            let derived = derivation.ingest(consume snapshot)
            walls.append(KgtopBench.ms(ContinuousClock.now - t0))
            let t = derivation.lastTimings
            timings.append(t)
            events.append(Double(derived.events.count + derived.episodeEvents.count))
            if o.digest { digest.add(derived) }
            KgtopBench.log("derive poll \(poll): \(KgtopBench.fmt(t.totalMs)) ms cpu, \(KgtopBench.fmt(walls[poll])) ms wall (diff \(KgtopBench.fmt(t.diffMs)), episodes \(KgtopBench.fmt(t.episodesMs)), history \(KgtopBench.fmt(t.historyMs)), health \(KgtopBench.fmt(t.healthMs)), time lag \(KgtopBench.fmt(t.timeLagMs)), errors \(KgtopBench.fmt(t.errorsMs))), \(derived.events.count) events, \(derived.episodeEvents.count) episode events, RSS \(KgtopBench.fmt(memory().rss)) MB")
            estate.advance()
            snapshot = estate.snapshot()
        }
        // The first poll has no predecessor to diff against and an empty history: leave it out.
        let warm = Array(timings.dropFirst(min(1, timings.count - 1)))
        result.total = Summary(warm.map(\.totalMs))
        result.wall = Summary(Array(walls.dropFirst(min(1, walls.count - 1))))
        result.diff = Summary(warm.map(\.diffMs))
        result.episodes = Summary(warm.map(\.episodesMs))
        result.history = Summary(warm.map(\.historyMs))
        result.health = Summary(warm.map(\.healthMs))
        result.timeLag = Summary(warm.map(\.timeLagMs))
        result.errors = Summary(warm.map(\.errorsMs))
        result.candidates = Summary(Array(candidateMs.dropFirst(min(1, candidateMs.count))))
        result.eventsPerPoll = Summary(events)
        let m = memory()
        result.finalRSSMB = m.rss
        result.peakRSSMB = m.peak
        result.historyMB = Double(derivation.history.storageBytes) / 1_048_576
        withExtendedLifetime(derivation) {}
        let line = { (name: String, s: Summary) in
            "  \(name.padding(toLength: 10, withPad: " ", startingAt: 0)) median \(KgtopBench.fmt(s.median)) ms, p95 \(KgtopBench.fmt(s.p95)) ms"
        }
        print("""
            derive-only: \(o.groups) groups x \(o.partitions) partitions = \(result.groupPartitions) group-partitions, \(o.polls) polls (first left out), history \(o.historyCapacity)
            \(line("total cpu", result.total))
            \(line("total wall", result.wall))
            \(line("diff", result.diff))
            \(line("episodes", result.episodes))
            \(line("history", result.history))
            \(line("health", result.health))
            \(line("time lag", result.timeLag))
            \(line("errors", result.errors))\(o.candidates > 0 ? "\n" + line("candidates", result.candidates) : "")
              RSS: baseline \(KgtopBench.fmt(result.baselineRSSMB)) MB (one snapshot), final \(KgtopBench.fmt(result.finalRSSMB)) MB, peak \(KgtopBench.fmt(result.peakRSSMB)) MB; history rings \(KgtopBench.fmt(result.historyMB)) MB
            """)
        if o.digest { print("  digest: \(digest.text)") }
        if let out = o.out {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try encoder.encode(result).write(to: URL(fileURLWithPath: out)) } catch {
                FileHandle.standardError.write(Data("KgtopBench: \(error)\n".utf8))
                exit(1)
            }
        }
    }

    /// CPU time of the calling thread, in milliseconds.
    @Sendable static func threadCPUMs() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1e6
    }

    /// Current and peak resident memory in MB (VmRSS and VmHWM on Linux; peak only elsewhere).
    static func memory() -> (rss: Double, peak: Double) {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            var rss = 0.0
            var peak = 0.0
            for line in status.split(separator: "\n") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count >= 2, let kb = Double(fields[1]) else { continue }
                if fields[0] == "VmRSS:" { rss = kb / 1024 }
                if fields[0] == "VmHWM:" { peak = kb / 1024 }
            }
            return (rss, peak)
        }
        #endif
        let peak = KgtopBench.peakRSSMB()
        return (peak, peak)
    }
}

/// A digest of what the derivation hands over, poll after poll (FNV-1a over canonical text, one
/// per part): two builds that derive the same thing print the same digests.
struct Digest {
    /// The parts, in the order printed.
    static let parts = ["snapshot", "events", "episodes", "verdicts", "errors", "timeLags", "candidates"]
    private var states = [UInt64](repeating: 0xcbf2_9ce4_8422_2325, count: Digest.parts.count)
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// `part=hex` for every part.
    var text: String { zip(Self.parts, states).map { "\($0)=\(String($1, radix: 16))" }.joined(separator: " ") }

    mutating func add(_ part: String, _ text: String) { add(part, Data(text.utf8)) }

    mutating func add(_ part: String, _ bytes: Data) {
        let p = Self.parts.firstIndex(of: part)!
        var state = states[p]
        for byte in bytes {
            state ^= UInt64(byte)
            state = state &* 0x100_0000_01b3
        }
        states[p] = state
    }

    mutating func add<T: Encodable>(_ part: String, json value: T) {
        do { add(part, try encoder.encode(value)) } catch {
            FileHandle.standardError.write(Data("KgtopBench: digest: \(error)\n".utf8))
            exit(1)
        }
    }

    /// Everything of one derived poll: the labelled snapshot, events, episodes (open ones by
    /// number: the derivation lists those that started together in no set order), verdicts (their
    /// reasons in words), new errors and time lags.
    mutating func add(_ derived: DerivedPoll) {
        add("snapshot", json: derived.snapshot)
        add("events", json: derived.events)
        add("events", "hasNewError \(derived.hasNewError)")
        add("episodes", json: derived.episodeEvents)
        add("episodes", json: derived.openEpisodes.sorted { $0.number < $1.number })
        add("episodes", json: derived.finishedEpisodes)
        add("verdicts", json: derived.verdicts.dictionary)
        add("errors", json: derived.newErrors)
        for id in derived.timeLags.keys.sorted() {
            let lags = derived.timeLags[id]!.dictionary.sorted { $0.key < $1.key }
            add("timeLags", json: id)
            add("timeLags", json: lags.map(\.key))
            add("timeLags", json: lags.map(\.value))
        }
    }
}

/// The synthetic estate: per group its members, epochs and offsets, advanced one poll at a time.
/// Deterministic (a fixed-seed generator), so runs compare.
struct Estate {
    struct GroupState {
        var consumer: Bool
        var members: [Int]
        var epoch: Int32 = 1
        /// Members that are behind the assignment epoch at this poll (KIP-848) / rebalancing (classic).
        var rebalancing = false
        var committed: [Int64?]
        var logEnd: [Int64]
        /// Partitions whose consumer stands still.
        var stalled: Bool
    }

    var groups: [GroupState] = []
    let partitions: Int
    var takenAt: Int64 = 1_700_000_000_000
    var nextMember = 0
    var rng = SplitMix64(seed: 0x6b67_746f_70)

    init(groups count: Int, partitions: Int) {
        self.partitions = partitions
        groups.reserveCapacity(count)
        for g in 0..<count {
            let members = [nextMember, nextMember + 1, nextMember + 2]
            nextMember += 3
            let logEnd = (0..<partitions).map { _ in Int64(rng.below(1_000_000)) }
            let committed: [Int64?] = logEnd.enumerated().map { p, end in
                g % 97 == 5 && p == 0 ? nil : end - Int64(rng.below(50))
            }
            groups.append(GroupState(
                consumer: g % 2 == 0, members: members, committed: committed, logEnd: logEnd, stalled: g % 50 == 7))
        }
    }

    /// One poll later: log ends move, consumers commit, a few groups change membership.
    mutating func advance() {
        takenAt += 2_000
        for g in groups.indices {
            groups[g].rebalancing = false
            for p in 0..<partitions {
                groups[g].logEnd[p] += 5 + Int64(rng.below(11))
                guard !groups[g].stalled, let c = groups[g].committed[p] else { continue }
                groups[g].committed[p] = max(c, groups[g].logEnd[p] - Int64(rng.below(30)))
            }
            // About 0.5 % of the groups rebalance at each poll.
            if rng.below(200) == 0 {
                let leaving = rng.below(groups[g].members.count)
                groups[g].members[leaving] = nextMember
                nextMember += 1
                groups[g].epoch += 1
                groups[g].rebalancing = true
            }
        }
    }

    static func memberID(_ n: Int) -> String {
        // 22 characters, like a KIP-848 member id; a fresh string every time.
        let digits = String(n, radix: 16)
        return "m" + String(repeating: "0", count: max(0, 21 - digits.count)) + digits
    }

    /// The snapshot of this poll, built from fresh strings.
    func snapshot() -> ClusterSnapshot {
        var topics: [TopicInfo] = []
        topics.reserveCapacity(groups.count)
        var out: [Group] = []
        out.reserveCapacity(groups.count)
        for (g, state) in groups.enumerated() {
            let topic = "bench-topic-\(g)"
            var offsets: [PartitionOffsets] = []
            offsets.reserveCapacity(partitions)
            for p in 0..<partitions {
                offsets.append(PartitionOffsets(partition: Int32(p), logStart: 0, logEnd: state.logEnd[p], leader: Int32(p % 3)))
            }
            topics.append(TopicInfo(name: topic, partitionCount: partitions, partitions: offsets))
            let ids = state.members.map(Self.memberID)
            var assignment: [[TopicPartition]] = Array(repeating: [], count: ids.count)
            var rows: [GroupPartition] = []
            rows.reserveCapacity(partitions)
            for p in 0..<partitions {
                let tp = TopicPartition(topic: topic, partition: Int32(p))
                let m = p % ids.count
                // While rebalancing, the new member (the last changed) does not own its partitions yet.
                let owned = !(state.rebalancing && m == 0)
                if owned { assignment[m].append(tp) }
                let error = (g % 331 == 3 && p == 1) ? ItemError(code: 6, name: "NOT_LEADER_OR_FOLLOWER", message: "leader moved") : nil
                let committed = state.committed[p]
                let lag = LagCalculator.lag(committed: committed, logStart: 0, logEnd: state.logEnd[p], offsetsError: error)
                rows.append(GroupPartition(
                    topicPartition: tp, committedOffset: committed, logStart: 0, logEnd: state.logEnd[p], lag: lag,
                    owner: owned ? ids[m] : nil, targetOwner: state.consumer ? ids[m] : nil,
                    handoff: owned ? .settled : (state.consumer ? .awaitingRelease : .unowned), error: error))
            }
            let members = ids.enumerated().map { m, id in
                GroupMember(
                    memberID: id, clientID: "bench-client-\(g)", clientHost: "/10.0.\(g % 250).\(m)",
                    memberType: state.consumer ? .consumer : .classic,
                    memberEpoch: state.consumer ? (state.rebalancing && m == 0 ? state.epoch - 1 : state.epoch) : nil,
                    subscribedTopics: [topic], assignment: assignment[m],
                    targetAssignment: state.consumer ? (0..<partitions).filter { $0 % ids.count == m }.map { TopicPartition(topic: topic, partition: Int32($0)) } : nil,
                    generationID: state.consumer ? nil : state.epoch)
            }
            out.append(Group(
                groupID: "bench-group-\(g)", type: state.consumer ? .consumer : .classic,
                protocolType: "consumer", state: state.rebalancing ? (state.consumer ? .reconciling : .preparingRebalance) : .stable,
                assignor: state.consumer ? "uniform" : "range",
                groupEpoch: state.consumer ? state.epoch : nil, assignmentEpoch: state.consumer ? state.epoch : nil,
                generationID: state.consumer ? nil : state.epoch, coordinatorID: Int32(g % 3),
                members: members, partitions: rows))
        }
        let brokers = (0..<3).map { BrokerInfo(nodeID: Int32($0), host: "broker-\($0)", port: 9092) }
        return ClusterSnapshot(
            takenAt: takenAt, pollDurationMs: 500, cluster: ClusterInfo(clusterID: "bench", controllerID: 0, brokers: brokers),
            topics: topics, groups: out)
    }
}


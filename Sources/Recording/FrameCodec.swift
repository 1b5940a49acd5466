import GroupModel
import KafkaWire

// The frame codec: keyframes hold a whole snapshot as a packed value; delta frames say, per group
// and per topic, how it differs from the previous poll. Offsets are predicted (constant velocity
// since the last keyframe) and only the prediction errors are stored. docs/RECORDING.md describes
// the bytes.

// MARK: - Numbers of an element

/// What a delta frame says about one group or topic of the previous poll.
enum ElementOp: UInt8 {
    /// Identical to the previous poll.
    case same = 0
    /// Only offsets changed, and every one is exactly as predicted.
    case predicted = 1
    /// Only offsets changed: prediction errors follow.
    case offsets = 2
    /// Something else changed: the new value follows as a packed value.
    case full = 3
    /// Gone.
    case removed = 4

    var hasData: Bool { self == .offsets || self == .full }
}

/// An element whose offsets are delta-coded: a key, a vector of optional numbers, and a way to put
/// numbers back into the previous value.
protocol OffsetCarrier: Equatable {
    var elementKey: String { get }
    var numbers: [Int64?] { get }
    func with(numbers: [Int64?]) -> Self
    /// The best guess for slot `k`, given the slots before it (`current[..<k]` are final), the
    /// constant-velocity guess, and the poll's topic offsets.
    func guess(slot k: Int, current: [Int64?], velocity: [Int64?], topics: TopicOffsets) -> Int64?
}

/// A poll's log offsets by partition (groups' rows repeat them).
typealias TopicOffsets = [TopicPartition: PartitionOffsets]

func topicOffsets(_ topics: [TopicInfo]) -> TopicOffsets {
    var out: TopicOffsets = [:]
    for topic in topics {
        for p in topic.partitions { out[TopicPartition(topic: topic.name, partition: p.partition)] = p }
    }
    return out
}

extension Group: OffsetCarrier {
    var elementKey: String { groupID }

    /// Per partition row: log start, log end, committed offset, known lag.
    var numbers: [Int64?] {
        var out: [Int64?] = []
        out.reserveCapacity(partitions.count * 4)
        for row in partitions {
            out.append(row.logStart)
            out.append(row.logEnd)
            out.append(row.committedOffset)
            out.append(row.lag.offsets)
        }
        return out
    }

    func with(numbers: [Int64?]) -> Group {
        var copy = self
        for k in copy.partitions.indices where 4 * k + 3 < numbers.count {
            copy.partitions[k].logStart = numbers[4 * k]
            copy.partitions[k].logEnd = numbers[4 * k + 1]
            copy.partitions[k].committedOffset = numbers[4 * k + 2]
            if let lag = numbers[4 * k + 3] { copy.partitions[k].lag = .known(lag) }
        }
        copy.recomputeDerived()
        return copy
    }

    /// Log offsets come from the poll's topics, lag from log end and commit as ``LagCalculator``
    /// computes it, the committed offset from its velocity.
    func guess(slot k: Int, current: [Int64?], velocity: [Int64?], topics: TopicOffsets) -> Int64? {
        let row = k / 4
        switch k % 4 {
        case 0: return topics[partitions[row].topicPartition]?.logStart ?? velocity[k]
        case 1: return topics[partitions[row].topicPartition]?.logEnd ?? velocity[k]
        case 2: return velocity[k]
        default:
            guard let end = current[4 * row + 1] else { return velocity[k] }
            if let committed = current[4 * row + 2] { return max(0, end &- committed) }
            if let start = current[4 * row] { return max(0, end &- start) }
            return velocity[k]
        }
    }
}

extension TopicInfo: OffsetCarrier {
    var elementKey: String { name }

    /// Per partition: log start, log end.
    var numbers: [Int64?] {
        var out: [Int64?] = []
        out.reserveCapacity(partitions.count * 2)
        for p in partitions {
            out.append(p.logStart)
            out.append(p.logEnd)
        }
        return out
    }

    func with(numbers: [Int64?]) -> TopicInfo {
        var copy = self
        for k in copy.partitions.indices where 2 * k + 1 < numbers.count {
            copy.partitions[k].logStart = numbers[2 * k]
            copy.partitions[k].logEnd = numbers[2 * k + 1]
        }
        return copy
    }

    func guess(slot k: Int, current: [Int64?], velocity: [Int64?], topics: TopicOffsets) -> Int64? { velocity[k] }
}

/// Constant-velocity prediction: `2·prev − prevPrev` where both are known and the vectors have the
/// same shape, otherwise `prev`. Wrapping arithmetic, so writer and reader agree on any input.
func predict(_ prev: [Int64?], _ prevPrev: [Int64?]?) -> [Int64?] {
    guard let prevPrev, prevPrev.count == prev.count else { return prev }
    var out = prev
    for k in prev.indices {
        if let p = prev[k], let q = prevPrev[k] { out[k] = p &+ (p &- q) }
    }
    return out
}

/// Whether two vectors have the same length and the same unknown slots.
private func sameShape(_ a: [Int64?], _ b: [Int64?]) -> Bool {
    guard a.count == b.count else { return false }
    for k in a.indices where (a[k] == nil) != (b[k] == nil) { return false }
    return true
}

// MARK: - Codec state

/// The state writer and reader share, advanced one poll at a time in the same way on both sides.
struct CodecState {
    var strings = StringTable()
    var previous: ClusterSnapshot?
    var groupNumbers: [String: [Int64?]] = [:]
    var groupNumbersBefore: [String: [Int64?]] = [:]
    var topicNumbers: [String: [Int64?]] = [:]
    var topicNumbersBefore: [String: [Int64?]] = [:]
    /// Polls since the last keyframe (0 right after one).
    var sinceKeyframe = 0

    /// Moves on to `snapshot` after a frame of `kind` carried it.
    mutating func advance(to snapshot: ClusterSnapshot, kind: FrameKind) {
        let groups = Dictionary(snapshot.groups.map { ($0.groupID, $0.numbers) }, uniquingKeysWith: { a, _ in a })
        let topics = Dictionary(snapshot.topics.map { ($0.name, $0.numbers) }, uniquingKeysWith: { a, _ in a })
        if kind == .keyframe {
            // Prediction restarts at a keyframe, so decoding can start there.
            groupNumbersBefore = [:]
            topicNumbersBefore = [:]
            sinceKeyframe = 0
        } else {
            groupNumbersBefore = groupNumbers
            topicNumbersBefore = topicNumbers
            sinceKeyframe += 1
        }
        groupNumbers = groups
        topicNumbers = topics
        previous = snapshot
    }
}

/// The parts of a snapshot outside groups and topics, stored in a delta frame only when they change.
private struct SnapshotHead: Codable, Equatable {
    var schema: String
    var cluster: ClusterInfo
    var errors: [PollError]

    init(_ snapshot: ClusterSnapshot) {
        schema = snapshot.schema
        cluster = snapshot.cluster
        errors = snapshot.errors
    }
}

// MARK: - Group trees without derived fields

/// Groups are stored without `protocol` and `summary` (derived; recomputed on read) whenever
/// recomputing gives the same value back.
enum GroupPacking {
    static let derivedKeys: Set<String> = ["protocol", "summary"]

    static func tree(of group: Group) throws(PackingError) -> PackedValue {
        let tree = try PackedCoding.tree(of: group)
        var recomputed = group
        recomputed.recomputeDerived()
        guard recomputed == group, case .object(let members) = tree else { return tree }
        return .object(members.filter { !derivedKeys.contains($0.key) })
    }

    static let placeholders: [(key: String, value: PackedValue)] = {
        let summary = (try? PackedCoding.tree(of: GroupSummary())) ?? .object([])
        return [("protocol", .string(GroupProtocol.unknown.rawValue)), ("summary", summary)]
    }()

    static func group(from tree: PackedValue) throws(PackingError) -> Group {
        guard case .object(let members) = tree else { throw PackingError("a group must be an object") }
        if tree["summary"] != nil { return try PackedCoding.value(Group.self, from: tree) }
        var group = try PackedCoding.value(Group.self, from: .object(members + placeholders))
        group.recomputeDerived()
        return group
    }

    /// A snapshot tree with every group's derived fields dropped.
    static func snapshotTree(_ snapshot: ClusterSnapshot) throws(PackingError) -> PackedValue {
        var bare = snapshot
        bare.groups = []
        guard case .object(var members) = try PackedCoding.tree(of: bare) else { throw PackingError("a snapshot must be an object") }
        var groups: [PackedValue] = []
        groups.reserveCapacity(snapshot.groups.count)
        for group in snapshot.groups { groups.append(try tree(of: group)) }
        if let k = members.firstIndex(where: { $0.key == "groups" }) { members[k].value = .array(groups) }
        return .object(members)
    }

    static func snapshot(from tree: PackedValue) throws(PackingError) -> ClusterSnapshot {
        guard case .object(var members) = tree, let k = members.firstIndex(where: { $0.key == "groups" }),
              case .array(let groupTrees) = members[k].value else { throw PackingError("a snapshot needs a groups list") }
        members[k].value = .array([])
        var snapshot = try PackedCoding.value(ClusterSnapshot.self, from: .object(members))
        var groups: [Group] = []
        groups.reserveCapacity(groupTrees.count)
        for t in groupTrees { groups.append(try group(from: t)) }
        snapshot.groups = groups
        return snapshot
    }
}

// MARK: - Encoding

/// Encodes polls into frame bodies. `encode` does not change the state; ``commit(_:)`` does, once
/// the frame is safely written, so a failed write can be retried.
struct RecordingFrameEncoder {
    var state = CodecState()
    let keyframeInterval: Int

    /// One encoded frame, ready to append, and the state after it.
    struct Prepared {
        var bytes: [UInt8]
        var kind: FrameKind
        var state: CodecState
    }

    init(keyframeInterval: Int) { self.keyframeInterval = max(1, keyframeInterval) }

    func encode(_ snapshot: ClusterSnapshot) throws(PackingError) -> Prepared {
        var next = state
        let kind: FrameKind = next.previous == nil || next.sinceKeyframe + 1 >= keyframeInterval ? .keyframe : .delta
        var body = ByteWriter(capacity: 256)
        switch kind {
        case .keyframe:
            let tree = try GroupPacking.snapshotTree(snapshot)
            PackedBinary.write(tree, into: &body, strings: &next.strings)
        case .delta:
            try encodeDelta(snapshot, previous: next.previous!, state: &next, into: &body)
        }
        // Frame body: kind, time, duration, strings first defined here, then the contents.
        var frame = ByteWriter(capacity: body.bytes.count + 32)
        frame.u8(kind.rawValue)
        frame.signed(snapshot.takenAt)
        frame.signed(snapshot.pollDurationMs)
        let newStrings = next.strings.takeNew()
        frame.varint(newStrings.count)
        for s in newStrings { frame.string(s) }
        frame.append(body.bytes)

        var out = ByteWriter(capacity: frame.bytes.count + RecordingFormat.framePrefixLength)
        out.u32(UInt32(frame.bytes.count))
        out.u32(CRC32C.checksum(frame.bytes))
        out.append(frame.bytes)
        next.advance(to: snapshot, kind: kind)
        return Prepared(bytes: out.bytes, kind: kind, state: next)
    }

    mutating func commit(_ prepared: Prepared) { state = prepared.state }

    private func encodeDelta(_ snapshot: ClusterSnapshot, previous: ClusterSnapshot, state: inout CodecState, into w: inout ByteWriter) throws(PackingError) {
        let head = SnapshotHead(snapshot)
        if head == SnapshotHead(previous) {
            w.u8(0)
        } else {
            w.u8(1)
            PackedBinary.write(try PackedCoding.tree(of: head), into: &w, strings: &state.strings)
        }
        let offsets = topicOffsets(snapshot.topics)
        try encodeElements(old: previous.topics, new: snapshot.topics, numbers: state.topicNumbers, before: state.topicNumbersBefore, topics: offsets,
                           tree: { (t: TopicInfo) throws(PackingError) in try PackedCoding.tree(of: t) }, strings: &state.strings, into: &w)
        try encodeElements(old: previous.groups, new: snapshot.groups, numbers: state.groupNumbers, before: state.groupNumbersBefore, topics: offsets,
                           tree: { (g: Group) throws(PackingError) in try GroupPacking.tree(of: g) }, strings: &state.strings, into: &w)
    }

    /// Runs of ops over the previous poll's elements (in its order), then the added elements.
    private func encodeElements<E: OffsetCarrier>(
        old: [E], new: [E], numbers: [String: [Int64?]], before: [String: [Int64?]], topics: TopicOffsets,
        tree: (E) throws(PackingError) -> PackedValue, strings: inout StringTable, into w: inout ByteWriter
    ) throws(PackingError) {
        let newByKey = Dictionary(new.map { ($0.elementKey, $0) }, uniquingKeysWith: { a, _ in a })
        let oldKeys = Set(old.map(\.elementKey))
        var runOp: ElementOp?
        var runData: [[UInt8]] = []
        var runCount = 0
        func flush() {
            guard let op = runOp else { return }
            w.u8(op.rawValue)
            w.varint(runCount)
            for data in runData { w.append(data) }
            runOp = nil
            runData = []
            runCount = 0
        }
        for element in old {
            let key = element.elementKey
            var data: [UInt8] = []
            let op: ElementOp
            if let current = newByKey[key] {
                if current == element {
                    op = .same
                } else {
                    let prev = numbers[key] ?? element.numbers
                    let now = current.numbers
                    if sameShape(prev, now), element.with(numbers: now) == current {
                        let velocity = predict(prev, before[key])
                        var residuals: [Int64] = []
                        var mask = [UInt8](repeating: 0, count: (now.count + 7) / 8)
                        for k in now.indices {
                            guard let value = now[k] else { continue }
                            let expected = current.guess(slot: k, current: now, velocity: velocity, topics: topics) ?? 0
                            if value != expected {
                                mask[k / 8] |= 1 << UInt8(k % 8)
                                residuals.append(value &- expected)
                            }
                        }
                        if residuals.isEmpty {
                            op = .predicted
                        } else {
                            op = .offsets
                            var d = ByteWriter()
                            d.append(mask)
                            for r in residuals { d.signed(r) }
                            data = d.bytes
                        }
                    } else {
                        op = .full
                        var d = ByteWriter()
                        PackedBinary.write(try tree(current), into: &d, strings: &strings)
                        data = d.bytes
                    }
                }
            } else {
                op = .removed
            }
            if op != runOp { flush(); runOp = op }
            runCount += 1
            if op.hasData { runData.append(data) }
        }
        flush()
        w.u8(0xFF)  // end of runs
        let added = new.filter { !oldKeys.contains($0.elementKey) }
        w.varint(added.count)
        for element in added { PackedBinary.write(try tree(element), into: &w, strings: &strings) }
    }
}

// MARK: - Decoding

/// Decodes frame bodies in order, keeping the same state as the encoder.
struct RecordingFrameDecoder {
    var state: CodecState

    /// The parts of a frame body every reader needs while scanning the file.
    struct Prefix {
        var kind: FrameKind
        var takenAt: Int64
        var pollDurationMs: Int64
        var newStrings: [String]
        var contentsStart: Int
    }

    static func prefix(_ bytes: [UInt8], body: Range<Int>) throws(PackingError) -> Prefix {
        var r = ByteReader(bytes, range: body)
        do {
            guard let kind = FrameKind(rawValue: try r.u8()) else { throw PackingError("unknown frame kind") }
            let takenAt = try r.signed()
            let duration = try r.signed()
            let n = try r.count(limit: r.remaining)
            var strings: [String] = []
            strings.reserveCapacity(n)
            for _ in 0..<n { strings.append(try r.string()) }
            return Prefix(kind: kind, takenAt: takenAt, pollDurationMs: duration, newStrings: strings, contentsStart: r.position)
        } catch let error as PackingError {
            throw error
        } catch {
            throw PackingError("frame ends inside its prefix")
        }
    }

    /// Decodes one frame body; `strings` must already hold the strings the frame defines.
    mutating func decode(_ bytes: [UInt8], body: Range<Int>, prefix: Prefix) throws(PackingError) -> ClusterSnapshot {
        var r = ByteReader(bytes, range: prefix.contentsStart..<body.upperBound)
        var snapshot: ClusterSnapshot
        switch prefix.kind {
        case .keyframe:
            snapshot = try GroupPacking.snapshot(from: try PackedBinary.read(&r, strings: state.strings))
        case .delta:
            guard let previous = state.previous else { throw PackingError("delta frame without a previous poll") }
            snapshot = try decodeDelta(&r, previous: previous)
        }
        snapshot.takenAt = prefix.takenAt
        snapshot.pollDurationMs = prefix.pollDurationMs
        snapshot = snapshot.normalized()
        state.advance(to: snapshot, kind: prefix.kind)
        return snapshot
    }

    private func decodeDelta(_ r: inout ByteReader, previous: ClusterSnapshot) throws(PackingError) -> ClusterSnapshot {
        var snapshot = previous
        let headChanged: UInt8
        do { headChanged = try r.u8() } catch { throw PackingError("delta frame ends early") }
        if headChanged == 1 {
            let head = try PackedCoding.value(SnapshotHead.self, from: try PackedBinary.read(&r, strings: state.strings))
            snapshot.schema = head.schema
            snapshot.cluster = head.cluster
            snapshot.errors = head.errors
        }
        snapshot.topics = try decodeElements(&r, old: previous.topics, numbers: state.topicNumbers, before: state.topicNumbersBefore, topics: [:],
                                             value: { (t: PackedValue) throws(PackingError) in try PackedCoding.value(TopicInfo.self, from: t) })
        let offsets = topicOffsets(snapshot.topics)
        snapshot.groups = try decodeElements(&r, old: previous.groups, numbers: state.groupNumbers, before: state.groupNumbersBefore, topics: offsets,
                                             value: { (t: PackedValue) throws(PackingError) in try GroupPacking.group(from: t) })
        return snapshot
    }

    private func decodeElements<E: OffsetCarrier>(
        _ r: inout ByteReader, old: [E], numbers: [String: [Int64?]], before: [String: [Int64?]], topics: TopicOffsets,
        value: (PackedValue) throws(PackingError) -> E
    ) throws(PackingError) -> [E] {
        var out: [E] = []
        out.reserveCapacity(old.count)
        var k = 0
        do {
            while true {
                let raw = try r.u8()
                if raw == 0xFF { break }
                guard let op = ElementOp(rawValue: raw) else { throw PackingError("unknown element op \(raw)") }
                let count = try r.count(limit: old.count - k)
                for _ in 0..<count {
                    let element = old[k]
                    k += 1
                    switch op {
                    case .same: out.append(element)
                    case .removed: break
                    case .full: out.append(try value(try PackedBinary.read(&r, strings: state.strings)))
                    case .predicted, .offsets:
                        let prev = numbers[element.elementKey] ?? element.numbers
                        let velocity = predict(prev, before[element.elementKey])
                        var values = velocity
                        let mask = op == .offsets ? Array(try r.take((values.count + 7) / 8)) : []
                        for j in values.indices where prev[j] != nil {
                            var value = element.guess(slot: j, current: values, velocity: velocity, topics: topics) ?? 0
                            if op == .offsets, mask[j / 8] & (1 << UInt8(j % 8)) != 0 { value = value &+ (try r.signed()) }
                            values[j] = value
                        }
                        out.append(element.with(numbers: values))
                    }
                }
            }
            guard k == old.count else { throw PackingError("delta covers \(k) of \(old.count) elements") }
            let added = try r.count(limit: r.remaining)
            for _ in 0..<added { out.append(try value(try PackedBinary.read(&r, strings: state.strings))) }
        } catch let error as PackingError {
            throw error
        } catch {
            throw PackingError("delta frame ends early")
        }
        return out
    }
}

/// A type that writes its canonical JSON itself: the same bytes ``CanonicalJSONEncoder`` gives
/// for its `Encodable` conformance, without going through the `Encoder` protocol (no containers,
/// no dynamic casts per field, no per-object key sorting).
///
/// Implemented by the values a snapshot holds by the ten or hundred thousand (partition rows, their
/// lags, errors and topic-partitions; members). Each implementation lists its keys in sorted order and leaves out
/// the optionals that are `nil`, as the synthesized conformance does with `encodeIfPresent`.
/// `CanonicalJSONEncoderTests` compares both paths byte for byte.
protocol CanonicalJSONWritable {
    /// Appends the value as it appears nested `depth` levels deep (pretty) or on one line.
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) throws
}

/// A ``CanonicalJSONWritable`` whose writer cannot fail (no floating-point members), so
/// ``JSONObjectWriter`` can write it as a member without `try`.
protocol InfallibleCanonicalJSONWritable: CanonicalJSONWritable {
    /// Appends the value as it appears nested `depth` levels deep (pretty) or on one line.
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes)
}

/// Writes one JSON object's members in the order given (the caller gives them sorted by key),
/// with the separators and indentation of ``JSONObject/render(into:)``.
struct JSONObjectWriter {
    let depth: Int
    let pretty: Bool
    private var count = 0

    /// Opens the object (`{`).
    @inline(__always)
    init(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        self.depth = depth
        self.pretty = pretty
        out.append(UInt8(ascii: "{"))
    }

    /// Writes the separator and `"key" : ` of the next member; its value follows.
    @inline(__always)
    mutating func key(_ key: StaticString, into out: inout JSONBytes) {
        self.key(key, integer: nil, into: &out)
    }

    /// Writes the separator and `"key" : ` of the next member, then `integer` when there is one.
    ///
    /// The separator, the quoted key, the colon and the integer's digits are put together on the
    /// stack and appended with one copy (an append to the array costs more than the bytes it
    /// copies); a separator deeper than the precomputed indentation takes the general path.
    @inline(__always)
    private mutating func key(_ key: StaticString, integer: Int64?, into out: inout JSONBytes) {
        let comma = count > 0
        count += 1
        let spaces = pretty ? 2 * (depth + 1) : 0
        guard spaces <= 128, key.utf8CodeUnitCount <= 96 else {
            if pretty {
                JSONPrimitive.separator(comma: comma, newline: true, indent: depth + 1, into: &out)
            } else if comma {
                out.append(UInt8(ascii: ","))
            }
            out.append(UInt8(ascii: "\""))
            key.withUTF8Buffer { out.append(contentsOf: $0) }
            JSONPrimitive.afterKey(pretty: pretty, into: &out)
            if let integer { JSONPrimitive.writeInteger(integer, into: &out) }
            return
        }
        // At most `,` `\n` 128 spaces `"` 96 key bytes `" : ` and 20 digits with a sign: 253 bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { stage in
            var n = 0
            if pretty {
                JSONPrimitive.separatorBytes(comma: comma, indent: depth + 1) { bytes in
                    _ = stage.initialize(fromContentsOf: bytes)
                    n = bytes.count
                }
            } else if comma {
                stage[n] = UInt8(ascii: ",")
                n += 1
            }
            stage[n] = UInt8(ascii: "\"")
            n += 1
            key.withUTF8Buffer { bytes in
                for b in bytes {
                    stage[n] = b
                    n += 1
                }
            }
            stage[n] = UInt8(ascii: "\"")
            n += 1
            if pretty {
                stage[n] = 0x20
                stage[n + 1] = UInt8(ascii: ":")
                stage[n + 2] = 0x20
                n += 3
            } else {
                stage[n] = UInt8(ascii: ":")
                n += 1
            }
            if let integer { JSONPrimitive.stageInteger(integer, in: stage, at: &n) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: stage[..<n]))
        }
    }

    // Each writer takes an optional and writes nothing for `nil`; a value that is not optional is
    // passed as it is (Swift wraps it), so one method serves the required and the optional member.

    /// Writes the member `key` with the integer `value`; nothing when it is `nil`.
    @inline(__always)
    mutating func integer(_ key: StaticString, _ value: (some BinaryInteger)?, into out: inout JSONBytes) {
        guard let value else { return }
        if let small = Int64(exactly: value) {
            self.key(key, integer: small, into: &out)
        } else {
            self.key(key, into: &out)
            JSONPrimitive.writeInteger(value, into: &out)
        }
    }

    /// Writes the member `key` with the string `value`; nothing when it is `nil`.
    @inline(__always)
    mutating func string(_ key: StaticString, _ value: String?, into out: inout JSONBytes) {
        guard let value else { return }
        self.key(key, into: &out)
        JSONPrimitive.writeString(value, into: &out)
    }

    /// Writes the member `key` with the Boolean `value`; nothing when it is `nil`.
    @inline(__always)
    mutating func bool(_ key: StaticString, _ value: Bool?, into out: inout JSONBytes) {
        guard let value else { return }
        self.key(key, into: &out)
        JSONPrimitive.writeBool(value, into: &out)
    }

    /// Writes the member `key` with `value`, nested one level deeper; nothing when it is `nil`.
    @inline(__always)
    mutating func value(_ key: StaticString, _ value: (some InfallibleCanonicalJSONWritable)?, into out: inout JSONBytes) {
        guard let value else { return }
        self.key(key, into: &out)
        value.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
    }

    /// Writes the member `key` with `value`, nested one level deeper; nothing when it is `nil`.
    @inline(__always)
    mutating func value(_ key: StaticString, _ value: (some CanonicalJSONWritable)?, into out: inout JSONBytes) throws {
        guard let value else { return }
        self.key(key, into: &out)
        try value.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
    }

    /// Writes the member `key` with the array `list`, nested one level deeper; nothing when it is `nil`.
    @inline(__always)
    mutating func array(_ key: StaticString, _ list: [some InfallibleCanonicalJSONWritable]?, into out: inout JSONBytes) {
        guard let list else { return }
        self.key(key, into: &out)
        JSONPrimitive.writeArray(list, depth: depth + 1, pretty: pretty, into: &out)
    }

    /// Writes the member `key` with the array of strings `list`, nested one level deeper.
    @inline(__always)
    mutating func strings(_ key: StaticString, _ list: [String], into out: inout JSONBytes) {
        self.key(key, into: &out)
        JSONPrimitive.writeStrings(list, depth: depth + 1, pretty: pretty, into: &out)
    }

    /// Closes the object (`}`).
    @inline(__always)
    func close(into out: inout JSONBytes) {
        if pretty {
            // An object without members is `{`, two newlines, the indentation and `}`.
            if count == 0 { out.append(0x0A) }
            JSONPrimitive.separator(comma: false, newline: true, indent: depth, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

extension TopicPartition: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.integer("partition", partition, into: &out)
        o.string("topic", topic, into: &out)
        o.close(into: &out)
    }
}

extension LagValue: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        switch self {
        case .known(let value):
            o.integer("known", value, into: &out)
        case .unknown(let reason):
            o.string("unknown", reason, into: &out)
        }
        o.close(into: &out)
    }
}

extension ItemError: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.integer("code", code, into: &out)
        o.string("message", message, into: &out)
        o.string("name", name, into: &out)
        o.close(into: &out)
    }
}

extension HandoffState: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension TimeLagMethod: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension TimeLag: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        switch self {
        case .known(let seconds, let method):
            o.bool("bound", method == .lowerBound, into: &out)
            o.string("method", method.rawValue, into: &out)
            o.key("seconds", into: &out)
            // As `encode(to:)`: whole milliseconds.
            try JSONPrimitive.writeMilliseconds(ofSeconds: seconds, into: &out)
        case .unknown(let reason):
            o.string("unknown", reason, into: &out)
        }
        o.close(into: &out)
    }
}

extension GroupPartition: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) throws {
        try writeCanonicalJSON(depth: depth, pretty: pretty, timeLag: nil, into: &out)
    }

    /// The row's JSON, with a `timeLag` member when one is given (as `SnapshotJSON` writes it).
    func writeCanonicalJSON(depth: Int, pretty: Bool, timeLag: TimeLag?, into out: inout JSONBytes) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.string("commitMetadata", commitMetadata, into: &out)
        o.integer("committedOffset", committedOffset, into: &out)
        o.value("error", error, into: &out)
        o.string("handoff", handoff.rawValue, into: &out)
        o.value("lag", lag, into: &out)
        o.integer("logEnd", logEnd, into: &out)
        o.integer("logStart", logStart, into: &out)
        o.string("owner", owner, into: &out)
        o.string("targetOwner", targetOwner, into: &out)
        try o.value("timeLag", timeLag, into: &out)
        o.value("topicPartition", topicPartition, into: &out)
        o.close(into: &out)
    }
}

extension MemberType: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension GroupMember: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.array("assignment", assignment, into: &out)
        o.bool("assignmentUnknown", assignmentUnknown, into: &out)
        o.string("clientHost", clientHost, into: &out)
        o.string("clientID", clientID, into: &out)
        o.integer("generationID", generationID, into: &out)
        o.string("instanceID", instanceID, into: &out)
        o.string("label", label, into: &out)
        o.integer("memberEpoch", memberEpoch, into: &out)
        o.string("memberID", memberID, into: &out)
        o.string("memberType", memberType.rawValue, into: &out)
        o.array("ownedPartitions", ownedPartitions, into: &out)
        o.string("rackID", rackID, into: &out)
        o.value("streamsTargetTasks", streamsTargetTasks, into: &out)
        o.value("streamsTasks", streamsTasks, into: &out)
        o.string("subscribedTopicRegex", subscribedTopicRegex, into: &out)
        o.strings("subscribedTopics", subscribedTopics, into: &out)
        o.array("targetAssignment", targetAssignment, into: &out)
        o.close(into: &out)
    }
}

extension StreamsTaskSet: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("partitions", into: &out)
        JSONPrimitive.writeArray(count: partitions.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            JSONPrimitive.writeInteger(partitions[i], into: &out)
        }
        o.string("subtopologyID", subtopologyID, into: &out)
        o.close(into: &out)
    }
}

extension StreamsTasks: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.array("active", active, into: &out)
        o.array("standby", standby, into: &out)
        o.array("warmup", warmup, into: &out)
        o.close(into: &out)
    }
}

extension JSONPrimitive {
    /// A JSON array of values that write themselves, as ``JSONArray/render(into:)`` lays it out at `depth`.
    static func writeArray(_ list: [some InfallibleCanonicalJSONWritable], depth: Int, pretty: Bool, into out: inout JSONBytes) {
        writeArray(count: list.count, depth: depth, pretty: pretty, into: &out) { i, out in
            list[i].writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
    }

    /// A JSON array of strings, as ``JSONArray/render(into:)`` lays it out at `depth`.
    static func writeStrings(_ list: [String], depth: Int, pretty: Bool, into out: inout JSONBytes) {
        writeArray(count: list.count, depth: depth, pretty: pretty, into: &out) { i, out in
            writeString(list[i], into: &out)
        }
    }

    static func writeArray(count: Int, depth: Int, pretty: Bool, into out: inout JSONBytes, element: (Int, inout JSONBytes) throws -> Void) rethrows {
        out.append(UInt8(ascii: "["))
        if pretty {
            if count == 0 { out.append(0x0A) }
            for i in 0..<count {
                separator(comma: i > 0, newline: true, indent: depth + 1, into: &out)
                try element(i, &out)
            }
            separator(comma: false, newline: true, indent: depth, into: &out)
        } else {
            for i in 0..<count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try element(i, &out)
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `" : ` (pretty) or `":` after a key's characters: the closing quote and the colon.
    @inline(__always)
    static func afterKey(pretty: Bool, into out: inout JSONBytes) {
        if pretty {
            let text: StaticString = "\" : "
            text.withUTF8Buffer { out.append(contentsOf: $0) }
        } else {
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
    }
}

// MARK: - Groups, topics and the snapshot's other members

extension GroupType: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        JSONPrimitive.writeString(brokerString, into: &out)
    }
}

extension GroupState: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        JSONPrimitive.writeString(brokerString, into: &out)
    }
}

extension GroupProtocol: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension StreamsSubtopology: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.strings("sourceTopics", sourceTopics, into: &out)
        o.string("subtopologyID", subtopologyID, into: &out)
        o.close(into: &out)
    }
}

extension GroupSummary: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.integer("awaitingRelease", awaitingRelease, into: &out)
        o.bool("isMixed", isMixed, into: &out)
        o.bool("lagNotApplicable", lagNotApplicable, into: &out)
        o.integer("maxLag", maxLag, into: &out)
        o.value("maxLagPartition", maxLagPartition, into: &out)
        o.strings("membersBehindAssignmentEpoch", membersBehindAssignmentEpoch, into: &out)
        o.integer("partitionsLagUnknown", partitionsLagUnknown, into: &out)
        o.integer("partitionsUnowned", partitionsUnowned, into: &out)
        o.integer("pendingRevocation", pendingRevocation, into: &out)
        o.integer("totalLag", totalLag, into: &out)
        o.close(into: &out)
    }
}

extension Group: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) throws {
        try writeCanonicalJSON(depth: depth, pretty: pretty, timeLags: nil, into: &out)
    }

    /// The group's JSON; with `timeLags` (one per row, in row order), each row gets its `timeLag`
    /// (none when the list ends before it) and the group a `timeLag`, the rows' maximum
    /// (``TimeLag/groupMaximum(_:)``, none when no row has a known one), as `SnapshotJSON` writes it.
    func writeCanonicalJSON(depth: Int, pretty: Bool, timeLags: [TimeLag]?, into out: inout JSONBytes) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.integer("assignmentEpoch", assignmentEpoch, into: &out)
        o.string("assignor", assignor, into: &out)
        o.integer("coordinatorID", coordinatorID, into: &out)
        o.value("error", error, into: &out)
        o.integer("generationID", generationID, into: &out)
        o.integer("groupEpoch", groupEpoch, into: &out)
        o.string("groupID", groupID, into: &out)
        o.key("members", into: &out)
        let members = self.members
        try JSONPrimitive.writeArray(count: members.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            try members[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, into: &out)
        }
        o.key("partitions", into: &out)
        // By index: iterating the rows would copy each one (and retain its strings).
        let rows = partitions
        var groupLag: TimeLag?
        if let timeLags {
            try JSONPrimitive.writeArray(count: rows.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
                try rows[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, timeLag: i < timeLags.count ? timeLags[i] : nil, into: &out)
            }
            groupLag = TimeLag.groupMaximum(timeLags.prefix(rows.count))
        } else {
            try JSONPrimitive.writeArray(count: rows.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
                try rows[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, timeLag: nil, into: &out)
            }
        }
        o.string("protocol", self.protocol.rawValue, into: &out)
        o.string("protocolType", protocolType, into: &out)
        o.string("state", state.brokerString, into: &out)
        o.array("subtopologies", subtopologies, into: &out)
        o.value("summary", summary, into: &out)
        try o.value("timeLag", groupLag, into: &out)
        o.string("type", type.brokerString, into: &out)
        o.close(into: &out)
    }
}

extension PartitionOffsets: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.value("error", error, into: &out)
        o.integer("leader", leader, into: &out)
        o.integer("logEnd", logEnd, into: &out)
        o.integer("logStart", logStart, into: &out)
        o.integer("partition", partition, into: &out)
        o.close(into: &out)
    }
}

extension TopicInfo: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.value("error", error, into: &out)
        o.string("name", name, into: &out)
        o.integer("partitionCount", partitionCount, into: &out)
        o.array("partitions", partitions, into: &out)
        o.string("topicID", topicID, into: &out)
        o.close(into: &out)
    }
}

extension PollError.Scope: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension PollError: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.integer("brokerID", brokerID, into: &out)
        o.string("groupID", groupID, into: &out)
        o.value("kafkaError", kafkaError, into: &out)
        o.string("message", message, into: &out)
        o.string("operation", operation, into: &out)
        o.integer("partition", partition, into: &out)
        o.string("scope", scope.rawValue, into: &out)
        o.string("topic", topic, into: &out)
        o.close(into: &out)
    }
}

extension BrokerInfo: InfallibleCanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.string("error", error, into: &out)
        o.string("host", host, into: &out)
        o.integer("nodeID", nodeID, into: &out)
        o.integer("port", port, into: &out)
        o.string("rack", rack, into: &out)
        o.bool("reachable", reachable, into: &out)
        o.close(into: &out)
    }
}

extension ClusterSnapshot: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout JSONBytes) throws {
        try writeCanonicalJSON(depth: depth, pretty: pretty, timeLags: nil, into: &out) { _ in }
    }

    /// The snapshot's JSON, its lists in the order they have (``SnapshotJSON`` puts them in
    /// canonical order first), each group with its time lags when `timeLags` is given
    /// (``Group/writeCanonicalJSON(depth:pretty:timeLags:into:)``). `flush` is called with the
    /// output after each group and each topic: it may hand the bytes on and empty the buffer.
    func writeCanonicalJSON(
        depth: Int, pretty: Bool, timeLags: SnapshotJSON.TimeLagSource?, into out: inout JSONBytes,
        flush: (inout JSONBytes) throws -> Void
    ) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("cluster", into: &out)
        // Small, and holds a dictionary: through the encoder (its brokers write themselves).
        try CanonicalJSONEncoder(pretty: pretty).encode(cluster, depth: depth + 1, into: &out)
        o.array("errors", errors, into: &out)
        o.key("groups", into: &out)
        let groups = self.groups
        try JSONPrimitive.writeArray(count: groups.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            try groups[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, timeLags: timeLags.map { $0(groups[i]) }, into: &out)
            try flush(&out)
        }
        o.integer("pollDurationMs", pollDurationMs, into: &out)
        o.string("schema", schema, into: &out)
        o.integer("takenAt", takenAt, into: &out)
        o.key("topics", into: &out)
        let topics = self.topics
        try JSONPrimitive.writeArray(count: topics.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            topics[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, into: &out)
            try flush(&out)
        }
        o.close(into: &out)
    }
}

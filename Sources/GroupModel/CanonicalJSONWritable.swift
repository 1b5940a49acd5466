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
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) throws
}

/// Writes one JSON object's members in the order given (the caller gives them sorted by key),
/// with the separators and indentation of ``JSONObject/render(into:)``.
struct JSONObjectWriter {
    let depth: Int
    let pretty: Bool
    private var count = 0

    /// Opens the object (`{`).
    @inline(__always)
    init(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        self.depth = depth
        self.pretty = pretty
        out.append(UInt8(ascii: "{"))
    }

    /// Writes the separator and `"key" : ` of the next member; its value follows.
    ///
    /// Pretty: the comma, newline and indentation in one copy, the key, then `" : ` in one copy.
    @inline(__always)
    mutating func key(_ key: StaticString, into out: inout [UInt8]) {
        if pretty {
            JSONPrimitive.separator(comma: count > 0, newline: true, indent: depth + 1, into: &out)
        } else if count > 0 {
            out.append(UInt8(ascii: ","))
        }
        count += 1
        out.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { out.append(contentsOf: $0) }
        JSONPrimitive.afterKey(pretty: pretty, into: &out)
    }

    /// Closes the object (`}`).
    @inline(__always)
    func close(into out: inout [UInt8]) {
        if pretty {
            // An object without members is `{`, two newlines, the indentation and `}`.
            if count == 0 { out.append(0x0A) }
            JSONPrimitive.separator(comma: false, newline: true, indent: depth, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

extension TopicPartition: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("partition", into: &out)
        JSONPrimitive.writeInteger(partition, into: &out)
        o.key("topic", into: &out)
        JSONPrimitive.writeString(topic, into: &out)
        o.close(into: &out)
    }
}

extension LagValue: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        switch self {
        case .known(let value):
            o.key("known", into: &out)
            JSONPrimitive.writeInteger(value, into: &out)
        case .unknown(let reason):
            o.key("unknown", into: &out)
            JSONPrimitive.writeString(reason, into: &out)
        }
        o.close(into: &out)
    }
}

extension ItemError: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("code", into: &out)
        JSONPrimitive.writeInteger(code, into: &out)
        if let message {
            o.key("message", into: &out)
            JSONPrimitive.writeString(message, into: &out)
        }
        o.key("name", into: &out)
        JSONPrimitive.writeString(name, into: &out)
        o.close(into: &out)
    }
}

extension HandoffState: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension TimeLagMethod: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension TimeLag: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        switch self {
        case .known(let seconds, let method):
            o.key("bound", into: &out)
            JSONPrimitive.writeBool(method == .lowerBound, into: &out)
            o.key("method", into: &out)
            JSONPrimitive.writeString(method.rawValue, into: &out)
            o.key("seconds", into: &out)
            // As `encode(to:)`: whole milliseconds.
            try JSONPrimitive.writeFloat((seconds * 1000).rounded() / 1000, into: &out, codingPath: [])
        case .unknown(let reason):
            o.key("unknown", into: &out)
            JSONPrimitive.writeString(reason, into: &out)
        }
        o.close(into: &out)
    }
}

extension GroupPartition: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) throws {
        try writeCanonicalJSON(depth: depth, pretty: pretty, timeLag: nil, into: &out)
    }

    /// The row's JSON, with a `timeLag` member when one is given (as `SnapshotJSON` writes it).
    func writeCanonicalJSON(depth: Int, pretty: Bool, timeLag: TimeLag?, into out: inout [UInt8]) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        if let commitMetadata {
            o.key("commitMetadata", into: &out)
            JSONPrimitive.writeString(commitMetadata, into: &out)
        }
        if let committedOffset {
            o.key("committedOffset", into: &out)
            JSONPrimitive.writeInteger(committedOffset, into: &out)
        }
        if let error {
            o.key("error", into: &out)
            error.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        o.key("handoff", into: &out)
        JSONPrimitive.writeString(handoff.rawValue, into: &out)
        o.key("lag", into: &out)
        lag.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        if let logEnd {
            o.key("logEnd", into: &out)
            JSONPrimitive.writeInteger(logEnd, into: &out)
        }
        if let logStart {
            o.key("logStart", into: &out)
            JSONPrimitive.writeInteger(logStart, into: &out)
        }
        if let owner {
            o.key("owner", into: &out)
            JSONPrimitive.writeString(owner, into: &out)
        }
        if let targetOwner {
            o.key("targetOwner", into: &out)
            JSONPrimitive.writeString(targetOwner, into: &out)
        }
        if let timeLag {
            o.key("timeLag", into: &out)
            try timeLag.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        o.key("topicPartition", into: &out)
        topicPartition.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        o.close(into: &out)
    }
}

extension MemberType: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension GroupMember: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("assignment", into: &out)
        JSONPrimitive.writeArray(assignment, depth: depth + 1, pretty: pretty, into: &out)
        if let assignmentUnknown {
            o.key("assignmentUnknown", into: &out)
            JSONPrimitive.writeBool(assignmentUnknown, into: &out)
        }
        o.key("clientHost", into: &out)
        JSONPrimitive.writeString(clientHost, into: &out)
        o.key("clientID", into: &out)
        JSONPrimitive.writeString(clientID, into: &out)
        if let generationID {
            o.key("generationID", into: &out)
            JSONPrimitive.writeInteger(generationID, into: &out)
        }
        if let instanceID {
            o.key("instanceID", into: &out)
            JSONPrimitive.writeString(instanceID, into: &out)
        }
        if let label {
            o.key("label", into: &out)
            JSONPrimitive.writeString(label, into: &out)
        }
        if let memberEpoch {
            o.key("memberEpoch", into: &out)
            JSONPrimitive.writeInteger(memberEpoch, into: &out)
        }
        o.key("memberID", into: &out)
        JSONPrimitive.writeString(memberID, into: &out)
        o.key("memberType", into: &out)
        JSONPrimitive.writeString(memberType.rawValue, into: &out)
        if let ownedPartitions {
            o.key("ownedPartitions", into: &out)
            JSONPrimitive.writeArray(ownedPartitions, depth: depth + 1, pretty: pretty, into: &out)
        }
        if let rackID {
            o.key("rackID", into: &out)
            JSONPrimitive.writeString(rackID, into: &out)
        }
        if let streamsTargetTasks {
            o.key("streamsTargetTasks", into: &out)
            streamsTargetTasks.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        if let streamsTasks {
            o.key("streamsTasks", into: &out)
            streamsTasks.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        if let subscribedTopicRegex {
            o.key("subscribedTopicRegex", into: &out)
            JSONPrimitive.writeString(subscribedTopicRegex, into: &out)
        }
        o.key("subscribedTopics", into: &out)
        JSONPrimitive.writeStrings(subscribedTopics, depth: depth + 1, pretty: pretty, into: &out)
        if let targetAssignment {
            o.key("targetAssignment", into: &out)
            JSONPrimitive.writeArray(targetAssignment, depth: depth + 1, pretty: pretty, into: &out)
        }
        o.close(into: &out)
    }
}

extension StreamsTaskSet: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("partitions", into: &out)
        JSONPrimitive.writeArray(count: partitions.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            JSONPrimitive.writeInteger(partitions[i], into: &out)
        }
        o.key("subtopologyID", into: &out)
        JSONPrimitive.writeString(subtopologyID, into: &out)
        o.close(into: &out)
    }
}

extension StreamsTasks: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        func sets(_ list: [StreamsTaskSet], into out: inout [UInt8]) {
            JSONPrimitive.writeArray(count: list.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
                list[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, into: &out)
            }
        }
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("active", into: &out)
        sets(active, into: &out)
        o.key("standby", into: &out)
        sets(standby, into: &out)
        o.key("warmup", into: &out)
        sets(warmup, into: &out)
        o.close(into: &out)
    }
}

extension JSONPrimitive {
    /// A JSON array of topic-partitions, as ``JSONArray/render(into:)`` lays it out at `depth`.
    static func writeArray(_ list: [TopicPartition], depth: Int, pretty: Bool, into out: inout [UInt8]) {
        writeArray(count: list.count, depth: depth, pretty: pretty, into: &out) { i, out in
            list[i].writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
    }

    /// A JSON array of strings, as ``JSONArray/render(into:)`` lays it out at `depth`.
    static func writeStrings(_ list: [String], depth: Int, pretty: Bool, into out: inout [UInt8]) {
        writeArray(count: list.count, depth: depth, pretty: pretty, into: &out) { i, out in
            writeString(list[i], into: &out)
        }
    }

    static func writeArray(count: Int, depth: Int, pretty: Bool, into out: inout [UInt8], element: (Int, inout [UInt8]) throws -> Void) rethrows {
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
    static func afterKey(pretty: Bool, into out: inout [UInt8]) {
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

extension GroupType: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        JSONPrimitive.writeString(brokerString, into: &out)
    }
}

extension GroupState: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        JSONPrimitive.writeString(brokerString, into: &out)
    }
}

extension GroupProtocol: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension StreamsSubtopology: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("sourceTopics", into: &out)
        JSONPrimitive.writeStrings(sourceTopics, depth: depth + 1, pretty: pretty, into: &out)
        o.key("subtopologyID", into: &out)
        JSONPrimitive.writeString(subtopologyID, into: &out)
        o.close(into: &out)
    }
}

extension GroupSummary: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("awaitingRelease", into: &out)
        JSONPrimitive.writeInteger(awaitingRelease, into: &out)
        o.key("isMixed", into: &out)
        JSONPrimitive.writeBool(isMixed, into: &out)
        if let lagNotApplicable {
            o.key("lagNotApplicable", into: &out)
            JSONPrimitive.writeBool(lagNotApplicable, into: &out)
        }
        if let maxLag {
            o.key("maxLag", into: &out)
            JSONPrimitive.writeInteger(maxLag, into: &out)
        }
        if let maxLagPartition {
            o.key("maxLagPartition", into: &out)
            maxLagPartition.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        o.key("membersBehindAssignmentEpoch", into: &out)
        JSONPrimitive.writeStrings(membersBehindAssignmentEpoch, depth: depth + 1, pretty: pretty, into: &out)
        o.key("partitionsLagUnknown", into: &out)
        JSONPrimitive.writeInteger(partitionsLagUnknown, into: &out)
        o.key("partitionsUnowned", into: &out)
        JSONPrimitive.writeInteger(partitionsUnowned, into: &out)
        o.key("pendingRevocation", into: &out)
        JSONPrimitive.writeInteger(pendingRevocation, into: &out)
        o.key("totalLag", into: &out)
        JSONPrimitive.writeInteger(totalLag, into: &out)
        o.close(into: &out)
    }
}

extension Group: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) throws {
        try writeCanonicalJSON(depth: depth, pretty: pretty, timeLags: nil, into: &out)
    }

    /// The group's JSON; with `timeLags`, each row gets the `timeLag` the table holds for its
    /// partition (none when it holds none) and the group a `timeLag`, the rows' maximum
    /// (``TimeLag/groupMaximum(_:)``, none when no row has a known one), as `SnapshotJSON` writes it.
    func writeCanonicalJSON(depth: Int, pretty: Bool, timeLags: [TopicPartition: TimeLag]?, into out: inout [UInt8]) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        if let assignmentEpoch {
            o.key("assignmentEpoch", into: &out)
            JSONPrimitive.writeInteger(assignmentEpoch, into: &out)
        }
        if let assignor {
            o.key("assignor", into: &out)
            JSONPrimitive.writeString(assignor, into: &out)
        }
        if let coordinatorID {
            o.key("coordinatorID", into: &out)
            JSONPrimitive.writeInteger(coordinatorID, into: &out)
        }
        if let error {
            o.key("error", into: &out)
            error.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        if let generationID {
            o.key("generationID", into: &out)
            JSONPrimitive.writeInteger(generationID, into: &out)
        }
        if let groupEpoch {
            o.key("groupEpoch", into: &out)
            JSONPrimitive.writeInteger(groupEpoch, into: &out)
        }
        o.key("groupID", into: &out)
        JSONPrimitive.writeString(groupID, into: &out)
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
            var lags: [TimeLag] = []
            lags.reserveCapacity(rows.count)
            try JSONPrimitive.writeArray(count: rows.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
                let lag = timeLags[rows[i].topicPartition]
                if let lag { lags.append(lag) }
                try rows[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, timeLag: lag, into: &out)
            }
            groupLag = TimeLag.groupMaximum(lags)
        } else {
            try JSONPrimitive.writeArray(count: rows.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
                try rows[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, timeLag: nil, into: &out)
            }
        }
        o.key("protocol", into: &out)
        JSONPrimitive.writeString(self.protocol.rawValue, into: &out)
        if let protocolType {
            o.key("protocolType", into: &out)
            JSONPrimitive.writeString(protocolType, into: &out)
        }
        o.key("state", into: &out)
        JSONPrimitive.writeString(state.brokerString, into: &out)
        if let subtopologies {
            o.key("subtopologies", into: &out)
            JSONPrimitive.writeArray(count: subtopologies.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
                subtopologies[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, into: &out)
            }
        }
        o.key("summary", into: &out)
        summary.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        if let groupLag {
            o.key("timeLag", into: &out)
            try groupLag.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        o.key("type", into: &out)
        JSONPrimitive.writeString(type.brokerString, into: &out)
        o.close(into: &out)
    }
}

extension PartitionOffsets: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        if let error {
            o.key("error", into: &out)
            error.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        if let leader {
            o.key("leader", into: &out)
            JSONPrimitive.writeInteger(leader, into: &out)
        }
        if let logEnd {
            o.key("logEnd", into: &out)
            JSONPrimitive.writeInteger(logEnd, into: &out)
        }
        if let logStart {
            o.key("logStart", into: &out)
            JSONPrimitive.writeInteger(logStart, into: &out)
        }
        o.key("partition", into: &out)
        JSONPrimitive.writeInteger(partition, into: &out)
        o.close(into: &out)
    }
}

extension TopicInfo: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        if let error {
            o.key("error", into: &out)
            error.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        o.key("name", into: &out)
        JSONPrimitive.writeString(name, into: &out)
        o.key("partitionCount", into: &out)
        JSONPrimitive.writeInteger(partitionCount, into: &out)
        o.key("partitions", into: &out)
        let partitions = self.partitions
        JSONPrimitive.writeArray(count: partitions.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            partitions[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, into: &out)
        }
        if let topicID {
            o.key("topicID", into: &out)
            JSONPrimitive.writeString(topicID, into: &out)
        }
        o.close(into: &out)
    }
}

extension PollError.Scope: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        JSONPrimitive.writeString(rawValue, into: &out)
    }
}

extension PollError: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        if let brokerID {
            o.key("brokerID", into: &out)
            JSONPrimitive.writeInteger(brokerID, into: &out)
        }
        if let groupID {
            o.key("groupID", into: &out)
            JSONPrimitive.writeString(groupID, into: &out)
        }
        if let kafkaError {
            o.key("kafkaError", into: &out)
            kafkaError.writeCanonicalJSON(depth: depth + 1, pretty: pretty, into: &out)
        }
        o.key("message", into: &out)
        JSONPrimitive.writeString(message, into: &out)
        o.key("operation", into: &out)
        JSONPrimitive.writeString(operation, into: &out)
        if let partition {
            o.key("partition", into: &out)
            JSONPrimitive.writeInteger(partition, into: &out)
        }
        o.key("scope", into: &out)
        JSONPrimitive.writeString(scope.rawValue, into: &out)
        if let topic {
            o.key("topic", into: &out)
            JSONPrimitive.writeString(topic, into: &out)
        }
        o.close(into: &out)
    }
}

extension BrokerInfo: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        if let error {
            o.key("error", into: &out)
            JSONPrimitive.writeString(error, into: &out)
        }
        o.key("host", into: &out)
        JSONPrimitive.writeString(host, into: &out)
        o.key("nodeID", into: &out)
        JSONPrimitive.writeInteger(nodeID, into: &out)
        o.key("port", into: &out)
        JSONPrimitive.writeInteger(port, into: &out)
        if let rack {
            o.key("rack", into: &out)
            JSONPrimitive.writeString(rack, into: &out)
        }
        o.key("reachable", into: &out)
        JSONPrimitive.writeBool(reachable, into: &out)
        o.close(into: &out)
    }
}

extension ClusterSnapshot: CanonicalJSONWritable {
    func writeCanonicalJSON(depth: Int, pretty: Bool, into out: inout [UInt8]) throws {
        try writeCanonicalJSON(depth: depth, pretty: pretty, timeLags: nil, into: &out) { _ in }
    }

    /// The snapshot's JSON, its lists in the order they have (``SnapshotJSON`` puts them in
    /// canonical order first), each group with its time lags when `timeLags` is given
    /// (``Group/writeCanonicalJSON(depth:pretty:timeLags:into:)``). `flush` is called with the
    /// output after each group and each topic: it may hand the bytes on and empty the buffer.
    func writeCanonicalJSON(
        depth: Int, pretty: Bool, timeLags: SnapshotJSON.TimeLagSource?, into out: inout [UInt8],
        flush: (inout [UInt8]) throws -> Void
    ) throws {
        var o = JSONObjectWriter(depth: depth, pretty: pretty, into: &out)
        o.key("cluster", into: &out)
        // Small, and holds a dictionary: through the encoder (its brokers write themselves).
        try CanonicalJSONEncoder(pretty: pretty).encode(cluster, depth: depth + 1, into: &out)
        o.key("errors", into: &out)
        let errors = self.errors
        JSONPrimitive.writeArray(count: errors.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            errors[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, into: &out)
        }
        o.key("groups", into: &out)
        let groups = self.groups
        try JSONPrimitive.writeArray(count: groups.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            try groups[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, timeLags: timeLags.map { $0(groups[i]) }, into: &out)
            try flush(&out)
        }
        o.key("pollDurationMs", into: &out)
        JSONPrimitive.writeInteger(pollDurationMs, into: &out)
        o.key("schema", into: &out)
        JSONPrimitive.writeString(schema, into: &out)
        o.key("takenAt", into: &out)
        JSONPrimitive.writeInteger(takenAt, into: &out)
        o.key("topics", into: &out)
        let topics = self.topics
        try JSONPrimitive.writeArray(count: topics.count, depth: depth + 1, pretty: pretty, into: &out) { i, out in
            topics[i].writeCanonicalJSON(depth: depth + 2, pretty: pretty, into: &out)
            try flush(&out)
        }
        o.close(into: &out)
    }
}

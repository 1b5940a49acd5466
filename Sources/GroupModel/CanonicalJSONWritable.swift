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
    init(depth: Int, pretty: Bool, into out: inout [UInt8]) {
        self.depth = depth
        self.pretty = pretty
        out.append(UInt8(ascii: "{"))
        if pretty { out.append(0x0A) }
    }

    /// Writes the separator and `"key" : ` of the next member; its value follows.
    mutating func key(_ key: StaticString, into out: inout [UInt8]) {
        if count > 0 {
            out.append(UInt8(ascii: ","))
            if pretty { out.append(0x0A) }
        }
        count += 1
        if pretty { JSONPrimitive.indent(depth + 1, into: &out) }
        out.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        if pretty { out.append(contentsOf: [0x20, UInt8(ascii: ":"), 0x20]) } else { out.append(UInt8(ascii: ":")) }
    }

    /// Closes the object (`}`).
    func close(into out: inout [UInt8]) {
        if pretty {
            out.append(0x0A)
            JSONPrimitive.indent(depth, into: &out)
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
        // A streams member's tasks are rare and small: the generic encoder writes them.
        if let streamsTargetTasks {
            o.key("streamsTargetTasks", into: &out)
            try CanonicalJSONEncoder(pretty: pretty).encode(streamsTargetTasks, depth: depth + 1, into: &out)
        }
        if let streamsTasks {
            o.key("streamsTasks", into: &out)
            try CanonicalJSONEncoder(pretty: pretty).encode(streamsTasks, depth: depth + 1, into: &out)
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

    static func writeArray(count: Int, depth: Int, pretty: Bool, into out: inout [UInt8], element: (Int, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        if pretty { out.append(0x0A) }
        for i in 0..<count {
            if i > 0 {
                out.append(UInt8(ascii: ","))
                if pretty { out.append(0x0A) }
            }
            if pretty { indent(depth + 1, into: &out) }
            element(i, &out)
        }
        if pretty {
            out.append(0x0A)
            indent(depth, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}

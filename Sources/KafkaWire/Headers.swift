/// The request header (v1, or v2 with tagged fields), sent before every request body.
public struct RequestHeader: Sendable, Hashable {
    /// The API key of the request.
    public var apiKey: Int16
    /// The API version of the request body.
    public var apiVersion: Int16
    /// Echoed by the response, to pair them.
    public var correlationID: Int32
    /// The client's id; always a classic (int16-prefixed) nullable string, even in header v2.
    public var clientID: String?
    /// Unknown tagged fields (header v2), kept for re-encoding.
    public var unknownTaggedFields: [RawTaggedField]

    /// Creates a header.
    public init(apiKey: Int16, apiVersion: Int16, correlationID: Int32, clientID: String?, unknownTaggedFields: [RawTaggedField] = []) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
        self.clientID = clientID
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// The header version a request uses: 2 for a flexible request version, else 1.
    public static func version(flexible: Bool) -> Int16 { flexible ? 2 : 1 }

    /// Encodes the header at `headerVersion` (1 or 2).
    public func encode(to w: inout WireWriter, headerVersion: Int16) {
        w.writeInt16(apiKey)
        w.writeInt16(apiVersion)
        w.writeInt32(correlationID)
        w.writeNullableString(clientID, compact: false)
        if headerVersion >= 2 { w.writeTaggedFields([], unknown: unknownTaggedFields) }
    }

    /// Decodes the fixed part (key, version, correlation id) without knowing the header version.
    /// Call ``decodeRest(from:headerVersion:)`` once the API's flexibility is known.
    public static func decodePrefix(from r: inout WireReader) throws(WireError) -> RequestHeader {
        let key = try r.readInt16()
        let version = try r.readInt16()
        let correlation = try r.readInt32()
        return RequestHeader(apiKey: key, apiVersion: version, correlationID: correlation, clientID: nil)
    }

    /// Reads the client id (and tagged fields for header v2) after ``decodePrefix(from:)``.
    public mutating func decodeRest(from r: inout WireReader, headerVersion: Int16) throws(WireError) {
        clientID = try r.readNullableString(compact: false)
        if headerVersion >= 2 {
            var unknown: [RawTaggedField] = []
            try r.readTaggedFields(unknown: &unknown) { _, _ throws(WireError) in false }
            unknownTaggedFields = unknown
        }
    }
}

/// The response header (v0, or v1 with tagged fields).
public struct ResponseHeader: Sendable, Hashable {
    /// The correlation id of the request this answers.
    public var correlationID: Int32
    /// Unknown tagged fields (header v1).
    public var unknownTaggedFields: [RawTaggedField]

    /// Creates a header.
    public init(correlationID: Int32, unknownTaggedFields: [RawTaggedField] = []) {
        self.correlationID = correlationID
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// The API key of ApiVersions, whose responses always use header v0 (KIP-511), so that a
    /// client that sent a version the broker does not know can still read the error.
    public static let apiVersionsKey: Int16 = 18

    /// The header version a response uses: 1 for a flexible version, else 0; always 0 for ApiVersions.
    public static func version(apiKey: Int16, flexible: Bool) -> Int16 {
        apiKey == apiVersionsKey ? 0 : (flexible ? 1 : 0)
    }

    /// Encodes the header at `headerVersion` (0 or 1).
    public func encode(to w: inout WireWriter, headerVersion: Int16) {
        w.writeInt32(correlationID)
        if headerVersion >= 1 { w.writeTaggedFields([], unknown: unknownTaggedFields) }
    }

    /// Decodes a header at `headerVersion` (0 or 1).
    public static func decode(from r: inout WireReader, headerVersion: Int16) throws(WireError) -> ResponseHeader {
        var h = ResponseHeader(correlationID: try r.readInt32())
        if headerVersion >= 1 {
            var unknown: [RawTaggedField] = []
            try r.readTaggedFields(unknown: &unknown) { _, _ throws(WireError) in false }
            h.unknownTaggedFields = unknown
        }
        return h
    }
}

import KafkaWire

/// The classic consumer protocol's embedded bytes (JoinGroup/DescribeGroups member metadata and
/// SyncGroup/DescribeGroups member assignment): an `int16` version, then the struct in the
/// non-flexible encoding.
public protocol VersionPrefixedData: KafkaMessage {}

extension ConsumerProtocolSubscription: VersionPrefixedData {}
extension ConsumerProtocolAssignment: VersionPrefixedData {}

extension VersionPrefixedData {
    /// Decodes version-prefixed bytes. A version above the newest known one is read with the newest
    /// layout, because these schemas only ever append fields; trailing bytes from such newer fields
    /// are ignored. Returns the value and the version that was on the wire.
    public static func decodeVersionPrefixed(_ bytes: [UInt8]) throws(WireError) -> (value: Self, version: Int16) {
        var r = WireReader(bytes)
        let wireVersion = try r.readInt16()
        if wireVersion < validVersions.lowerBound { throw WireError.unsupportedVersion(api: messageName, version: wireVersion) }
        let readAs = Swift.min(wireVersion, validVersions.upperBound)
        let value = try Self(from: &r, version: readAs)
        if wireVersion <= validVersions.upperBound { try r.expectEnd() }
        return (value, wireVersion)
    }

    /// Encodes with the `int16` version prefix.
    public func encodedVersionPrefixed(version: Int16) throws(WireError) -> [UInt8] {
        var w = WireWriter(capacity: 64)
        w.writeInt16(version)
        try encode(to: &w, version: version)
        return w.bytes
    }
}

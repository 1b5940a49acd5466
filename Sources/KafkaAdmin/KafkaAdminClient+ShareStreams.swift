import KafkaProtocol
import KafkaWire

// Share groups (KIP-932) and streams groups (KIP-1071): described with ShareGroupDescribe (77) and
// StreamsGroupDescribe (89) on their coordinators, as part of ``KafkaAdminClient/describeGroups(_:)``.

extension KafkaAdminClient {
    /// The words kgtop uses, once per poll, when a coordinator lacks the describe API of a group
    /// type: `broker does not support ShareGroupDescribe; share groups are listed but not described`.
    public static func describeUnsupportedMessage(api: String, groupType: String) -> String {
        "broker does not support \(api); \(groupType) groups are listed but not described"
    }

    /// Whether `error` says the coordinator lacks a describe API (it does not advertise it, or it
    /// answered UNSUPPORTED_VERSION), as opposed to a failure of one group.
    public static func isDescribeUnsupported(_ error: AdminItemError) -> Bool {
        error.kind == .unsupportedVersion || error.code == KafkaErrorCode.unsupportedVersion.code
    }

    /// One ShareGroupDescribe (v1) to `nodeID` for all `groupIDs`. A broker without the API (or one
    /// that answers UNSUPPORTED_VERSION) fails every group with an `unsupportedVersion` error
    /// worded by ``describeUnsupportedMessage(api:groupType:)``.
    public func describeShareGroups(_ groupIDs: [String], on nodeID: Int32) async -> PerGroupResult<ShareGroupDescribeResponse.DescribedGroup> {
        let ids = Self.uniqueSorted(groupIDs)
        let answer = await send(to: nodeID, versions: Caps.shareGroupDescribe) { _ in ShareGroupDescribeRequest(groupIDs: ids) }
        var groups = Self.perGroup(ids, answer.result.map(\.groups), id: { $0.pointee.groupID }, code: { $0.pointee.errorCode }, message: { $0.pointee.errorMessage })
        Self.markUnsupported(&groups, api: "ShareGroupDescribe", groupType: "share")
        return PerGroupResult(ids: ids, results: groups, version: answer.version, stats: answer.stats)
    }

    /// One StreamsGroupDescribe (v0 or v1, without the topology description) to `nodeID` for all
    /// `groupIDs`; a broker without the API fails every group as ``describeShareGroups(_:on:)`` does.
    public func describeStreamsGroups(_ groupIDs: [String], on nodeID: Int32) async -> PerGroupResult<StreamsGroupDescribeResponse.DescribedGroup> {
        let ids = Self.uniqueSorted(groupIDs)
        let answer = await send(to: nodeID, versions: Caps.streamsGroupDescribe) { _ in StreamsGroupDescribeRequest(groupIDs: ids) }
        var groups = Self.perGroup(ids, answer.result.map(\.groups), id: { $0.pointee.groupID }, code: { $0.pointee.errorCode }, message: { $0.pointee.errorMessage })
        Self.markUnsupported(&groups, api: "StreamsGroupDescribe", groupType: "streams")
        return PerGroupResult(ids: ids, results: groups, version: answer.version, stats: answer.stats)
    }

    /// Rewords every "API not supported" failure in `groups` as ``describeUnsupportedMessage(api:groupType:)``.
    static func markUnsupported<Item>(_ groups: inout [Result<Item, AdminItemError>], api: String, groupType: String) {
        for i in groups.indices {
            if case let .failure(e) = groups[i], isDescribeUnsupported(e) {
                groups[i] = .failure(AdminItemError(.unsupportedVersion, message: describeUnsupportedMessage(api: api, groupType: groupType)))
            }
        }
    }

    /// Describes share and streams groups on one coordinator (one request per type), for
    /// ``describeOnCoordinator(_:_:)``.
    func describeShareAndStreams(
        share: [String], streams: [String], on node: Int32
    ) async -> ([String: Result<GroupDescription, AdminItemError>], RequestStats) {
        async let shareBatch = share.isEmpty ? nil : describeShareGroups(share, on: node)
        async let streamsBatch = streams.isEmpty ? nil : describeStreamsGroups(streams, on: node)
        let (shares, streamses) = await (shareBatch, streamsBatch)
        var out: [String: Result<GroupDescription, AdminItemError>] = [:]
        var stats = RequestStats()
        if let shares {
            stats.merge(shares.stats)
            for (id, r) in zip(shares.ids, shares.results) { out[id] = r.map { .share($0, apiVersion: shares.version ?? 1) } }
        }
        if let streamses {
            stats.merge(streamses.stats)
            for (id, r) in zip(streamses.ids, streamses.results) { out[id] = r.map { .streams($0, apiVersion: streamses.version ?? 0) } }
        }
        return (out, stats)
    }
}

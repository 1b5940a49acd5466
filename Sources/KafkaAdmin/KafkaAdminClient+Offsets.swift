import GroupModel
import KafkaProtocol
import KafkaWire

// Committed offsets: OffsetFetch per coordinator, read flat into GroupOffsets (GroupOffsets.swift).

extension KafkaAdminClient {
    /// Committed offsets of groups on one coordinator: one OffsetFetch (v8/v9) for all of them,
    /// or one per group when the broker is below v8. Topics come by name (capped at v9).
    public func fetchOffsets(groupIDs: [String], on nodeID: Int32, requireStable: Bool = false) async -> PerGroupResult<GroupOffsets> {
        let ids = Self.uniqueSorted(groupIDs)
        var stats = RequestStats()
        let versions: BrokerAPIVersions
        switch await apiVersions(of: nodeID, stats: &stats) {
        case let .failure(e):
            return PerGroupResult(ids: ids, results: ids.map { _ in .failure(e) }, version: nil, stats: stats)
        case let .success(v):
            versions = v
        }
        guard let version = versions.negotiate(apiKey: OffsetFetchRequest.apiKey, ours: 2...Caps.offsetFetch.upperBound) else {
            let e = AdminItemError(.unsupportedVersion, message: "node \(nodeID) has no OffsetFetch v2-9")
            return PerGroupResult(ids: ids, results: ids.map { _ in .failure(e) }, version: nil, stats: stats)
        }
        var groups: [Result<GroupOffsets, AdminItemError>] = []
        groups.reserveCapacity(ids.count)
        if version >= 8 {
            let answer = await send(to: nodeID, versions: version...version) { _ in
                FlatOffsetFetchRequest(OffsetFetchRequest(
                    groups: ids.map { OffsetFetchRequest.OffsetFetchRequestGroup(groupID: $0, memberID: nil, memberEpoch: -1, topics: nil) },
                    requireStable: requireStable))
            }
            stats.merge(answer.stats)
            switch answer.result {
            case let .failure(e):
                groups = ids.map { _ in .failure(e) }
            case let .success(r):
                for k in Self.positions(of: ids, in: r.groups, id: { $0.offsets.groupID }) {
                    guard k >= 0 else {
                        groups.append(.failure(AdminItemError(.missingFromResponse)))
                        continue
                    }
                    if let e = AdminItemError.fromCode(r.groups[k].errorCode) {
                        groups.append(.failure(e))
                    } else {
                        groups.append(.success(r.groups[k].offsets))
                    }
                }
            }
        } else {
            let stable = requireStable && version >= 7
            let answers = await withTaskGroup(of: (Int, RoutedResponse<FlatOffsetFetchResponse>).self) { group in
                for (k, id) in ids.enumerated() {
                    group.addTask {
                        (k, await self.send(to: nodeID, versions: version...version) { _ in
                            FlatOffsetFetchRequest(OffsetFetchRequest(groupID: id, topics: nil, requireStable: stable))
                        })
                    }
                }
                var all: [(Int, RoutedResponse<FlatOffsetFetchResponse>)] = []
                for await x in group { all.append(x) }
                return all
            }
            groups = ids.map { _ in .failure(AdminItemError(.missingFromResponse)) }
            for (k, answer) in answers {
                stats.merge(answer.stats)
                switch answer.result {
                case let .failure(e): groups[k] = .failure(e)
                case let .success(r):
                    // v2-7 answer for one group: its topics and error code are the answer's.
                    let answered = r.groups.first ?? FlatOffsetFetchResponse.Group(errorCode: 0, offsets: GroupOffsets(groupID: "", offsets: []))
                    if let e = AdminItemError.fromCode(answered.errorCode) {
                        groups[k] = .failure(e)
                        continue
                    }
                    var offsets = answered.offsets
                    offsets.groupID = ids[k]
                    groups[k] = .success(offsets)
                }
            }
        }
        return PerGroupResult(ids: ids, results: groups, version: version, stats: stats)
    }

    /// Committed offsets of groups, routed to their coordinators (one OffsetFetch per coordinator);
    /// coordinator errors refresh the coordinator and retry once.
    public func fetchOffsets(groupIDs: [String], requireStable: Bool = false) async throws(KafkaAdminError) -> FetchOffsetsResult {
        let ids = Self.uniqueSorted(groupIDs)
        let routed = try await routeByCoordinator(ids) { node, positions in
            // The positions are ascending, so their ids are too: the answer is in their order.
            let r = await self.fetchOffsets(groupIDs: positions.map { ids[$0] }, on: node, requireStable: requireStable)
            return (r.results, r.stats)
        }
        return FetchOffsetsResult(ids: ids, results: routed.results, stats: routed.stats)
    }
}

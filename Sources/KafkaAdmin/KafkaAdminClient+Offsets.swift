import GroupModel
import KafkaProtocol
import KafkaWire

// Committed offsets: OffsetFetch per coordinator, read flat into GroupOffsets (GroupOffsets.swift).

extension KafkaAdminClient {
    /// Committed offsets of groups on one coordinator: one OffsetFetch (v8/v9) for all of them,
    /// or one per group when the broker is below v8. Topics come by name (capped at v9).
    public func fetchOffsets(groupIDs: [String], on nodeID: Int32, requireStable: Bool = false) async -> PerGroupResult<GroupOffsets> {
        let ids = Array(Set(groupIDs)).sorted()
        var stats = RequestStats()
        let versions: BrokerAPIVersions
        switch await apiVersions(of: nodeID, stats: &stats) {
        case let .failure(e):
            return PerGroupResult(groups: Dictionary(uniqueKeysWithValues: ids.map { ($0, .failure(e)) }), version: nil, stats: stats)
        case let .success(v):
            versions = v
        }
        guard let version = versions.negotiate(apiKey: OffsetFetchRequest.apiKey, ours: 2...Caps.offsetFetch.upperBound) else {
            let e = AdminItemError(.unsupportedVersion, message: "node \(nodeID) has no OffsetFetch v2-9")
            return PerGroupResult(groups: Dictionary(uniqueKeysWithValues: ids.map { ($0, .failure(e)) }), version: nil, stats: stats)
        }
        var groups: [String: Result<GroupOffsets, AdminItemError>] = [:]
        if version >= 8 {
            let answer = await send(to: nodeID, versions: version...version) { _ in
                FlatOffsetFetchRequest(OffsetFetchRequest(
                    groups: ids.map { OffsetFetchRequest.OffsetFetchRequestGroup(groupID: $0, memberID: nil, memberEpoch: -1, topics: nil) },
                    requireStable: requireStable))
            }
            stats.merge(answer.stats)
            groups.reserveCapacity(ids.count)
            let byID = Self.firstByID(answer.result.map(\.groups), \.offsets.groupID)
            for id in ids {
                switch answer.result {
                case let .failure(e): groups[id] = .failure(e)
                case .success:
                    guard let g = byID[id] else {
                        groups[id] = .failure(AdminItemError(.missingFromResponse))
                        continue
                    }
                    if let e = AdminItemError.fromCode(g.errorCode) {
                        groups[id] = .failure(e)
                        continue
                    }
                    groups[id] = .success(g.offsets)
                }
            }
        } else {
            let stable = requireStable && version >= 7
            let answers = await withTaskGroup(of: (String, RoutedResponse<FlatOffsetFetchResponse>).self) { group in
                for id in ids {
                    group.addTask {
                        (id, await self.send(to: nodeID, versions: version...version) { _ in
                            FlatOffsetFetchRequest(OffsetFetchRequest(groupID: id, topics: nil, requireStable: stable))
                        })
                    }
                }
                var all: [(String, RoutedResponse<FlatOffsetFetchResponse>)] = []
                for await x in group { all.append(x) }
                return all
            }
            for (id, answer) in answers {
                stats.merge(answer.stats)
                switch answer.result {
                case let .failure(e): groups[id] = .failure(e)
                case let .success(r):
                    // v2-7 answer for one group: its topics and error code are the answer's.
                    let answered = r.groups.first ?? FlatOffsetFetchResponse.Group(errorCode: 0, offsets: GroupOffsets(groupID: "", offsets: []))
                    if let e = AdminItemError.fromCode(answered.errorCode) {
                        groups[id] = .failure(e)
                        continue
                    }
                    var offsets = answered.offsets
                    offsets.groupID = id
                    groups[id] = .success(offsets)
                }
            }
        }
        return PerGroupResult(groups: groups, version: version, stats: stats)
    }

    /// Committed offsets of groups, routed to their coordinators (one OffsetFetch per coordinator);
    /// coordinator errors refresh the coordinator and retry once.
    public func fetchOffsets(groupIDs: [String], requireStable: Bool = false) async throws(KafkaAdminError) -> FetchOffsetsResult {
        let routed = try await routeByCoordinator(groupIDs) { node, ids in
            let r = await self.fetchOffsets(groupIDs: ids, on: node, requireStable: requireStable)
            return (r.groups, r.stats)
        }
        return FetchOffsetsResult(groups: routed.groups, stats: routed.stats)
    }
}

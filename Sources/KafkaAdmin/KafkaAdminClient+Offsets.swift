import GroupModel
import KafkaProtocol
import KafkaWire

// Committed offsets: OffsetFetch per coordinator, read straight into GroupModel's committed-offsets
// input (FlatOffsetFetch.swift).

extension KafkaAdminClient {
    /// Committed offsets of groups on one coordinator: one OffsetFetch (v8/v9) for all of them,
    /// or one per group when the broker is below v8. Topics come by name (capped at v9), interned
    /// with `topicNames` (the cached Metadata's when nil); each group's id is the string of
    /// `groupIDs`.
    public func fetchOffsets(
        groupIDs: [String], on nodeID: Int32, requireStable: Bool = false, topicNames: MetadataTopicNames? = nil
    ) async -> PerGroupResult<CommittedOffsetsInput> {
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
        let names = topicNames ?? MetadataTopicNames(metadataCache)
        var groups: [Result<CommittedOffsetsInput, AdminItemError>] = []
        groups.reserveCapacity(ids.count)
        if version >= 8 {
            let answer = await send(to: nodeID, versions: version...version) { _ in
                FlatOffsetFetchRequest(
                    OffsetFetchRequest(
                        groups: ids.map { OffsetFetchRequest.OffsetFetchRequestGroup(groupID: $0, memberID: nil, memberEpoch: -1, topics: nil) },
                        requireStable: requireStable),
                    askedIDs: ids, topicNames: names)
            }
            stats.merge(answer.stats)
            switch answer.result {
            case let .failure(e):
                groups = ids.map { _ in .failure(e) }
            case let .success(r):
                // Each group carries the id asked (equal to the one answered).
                for (k, at) in Self.positions(of: ids, in: r.groups, id: { $0.pointee.offsets.groupID }).enumerated() {
                    guard at >= 0 else {
                        groups.append(.failure(AdminItemError(.missingFromResponse)))
                        continue
                    }
                    if let e = AdminItemError.fromCode(r.groups[at].errorCode) {
                        groups.append(.failure(e))
                    } else {
                        groups.append(.success(CommittedOffsetsInput(groupID: ids[k], offsets: r.groups[at].offsets.offsets)))
                    }
                }
            }
        } else {
            let stable = requireStable && version >= 7
            let answers = await withTaskGroup(of: (Int, RoutedResponse<FlatOffsetFetchResponse>).self) { group in
                for (k, id) in ids.enumerated() {
                    group.addTask {
                        (k, await self.send(to: nodeID, versions: version...version) { _ in
                            FlatOffsetFetchRequest(OffsetFetchRequest(groupID: id, topics: nil, requireStable: stable), topicNames: names)
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
                    let answered = r.groups.first ?? FlatOffsetFetchResponse.Group(errorCode: 0, offsets: CommittedOffsetsInput(groupID: ""))
                    if let e = AdminItemError.fromCode(answered.errorCode) {
                        groups[k] = .failure(e)
                        continue
                    }
                    groups[k] = .success(CommittedOffsetsInput(groupID: ids[k], offsets: answered.offsets.offsets))
                }
            }
        }
        return PerGroupResult(ids: ids, results: groups, version: version, stats: stats)
    }

    /// Committed offsets of groups, routed to their coordinators (one OffsetFetch per coordinator);
    /// coordinator errors refresh the coordinator and retry once. Topic names are interned with
    /// `topicNames` (the cached Metadata's when nil); each group's id is the string of `groupIDs`.
    /// Each group's offsets are in (topic, partition) order, each partition once.
    public func fetchOffsets(
        groupIDs: [String], requireStable: Bool = false, topicNames: MetadataTopicNames? = nil
    ) async throws(KafkaAdminError) -> FetchOffsetsResult {
        let ids = Self.uniqueSorted(groupIDs)
        let names = topicNames ?? MetadataTopicNames(metadataCache)
        let routed = try await routeByCoordinator(ids) { node, positions in
            // The positions are ascending, so their ids are too: the answer is in their order.
            let r = await self.fetchOffsets(
                groupIDs: positions.map { ids[$0] }, on: node, requireStable: requireStable, topicNames: names)
            return (r.results, r.stats)
        }
        return FetchOffsetsResult(ids: ids, results: routed.results, stats: routed.stats)
    }
}

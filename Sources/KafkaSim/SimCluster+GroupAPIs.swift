import GroupModel
import KafkaProtocol
import KafkaWire

// The simulated cluster's answers about groups: FindCoordinator, ListGroups, DescribeGroups,
// ConsumerGroupDescribe and DeleteGroups. Share and streams groups are in ShareStreamsGroups.swift.

extension SimCluster {
    func findCoordinator(_ req: FindCoordinatorRequest, version: Int16) -> FindCoordinatorResponse {
        var resp = FindCoordinatorResponse()
        if version < 4 {
            let b = brokers[Int(coordinator(for: req.key) - 1)]
            resp.nodeID = b.nodeID
            resp.host = b.host
            resp.port = Int32(b.port)
            if version >= 1 { resp.errorMessage = nil }
            return resp
        }
        resp.coordinators = req.coordinatorKeys.map { key in
            if req.keyType == 0 && key.isEmpty {
                return .init(key: key, nodeID: -1, host: "", port: -1, errorCode: KafkaErrorCode.invalidRequest.code, errorMessage: "Group id can't be empty.")
            }
            let b = brokers[Int(coordinator(for: key) - 1)]
            return .init(key: key, nodeID: b.nodeID, host: b.host, port: Int32(b.port), errorCode: 0, errorMessage: nil)
        }
        return resp
    }

    func listGroups(_ req: ListGroupsRequest, broker: Int32) -> ListGroupsResponse {
        guard let listed = listedGroups(req, broker: broker) else { return ListGroupsResponse(errorCode: faults[broker]?.coordinatorError ?? 0) }
        return ListGroupsResponse(errorCode: 0, groups: listed.map { g, state in
            .init(groupID: g.id, protocolType: g.protocolType, groupState: state, groupType: g.typeName)
        })
    }

    /// The groups ListGroups lists on `broker`, each with its state name, after the request's
    /// state and type filters; nil when the broker answers with its injected coordinator error.
    func listedGroups(_ req: ListGroupsRequest, broker: Int32) -> [(group: SimGroup, state: String)]? {
        if faults[broker]?.coordinatorError != nil { return nil }
        let states = Set(req.statesFilter.map { $0.lowercased() })
        let types = Set(req.typesFilter.map { $0.lowercased() })
        var out: [(group: SimGroup, state: String)] = []
        for g in groupsCoordinated(by: broker) {
            let state = g.stateName
            if !states.isEmpty && !states.contains(state.lowercased()) { continue }
            if !types.isEmpty && !types.contains(g.typeName) { continue }
            out.append((g, state))
        }
        return out
    }

    func describeGroups(_ req: DescribeGroupsRequest, version: Int16, broker: Int32) -> DescribeGroupsResponse {
        DescribeGroupsResponse(groups: req.groups.map { describedClassicGroup($0, version: version, broker: broker) })
    }

    /// DescribeGroups' answer for group `id` on `broker`: the classic group's description, or why
    /// there is none.
    func describedClassicGroup(_ id: String, version: Int16, broker: Int32) -> DescribeGroupsResponse.DescribedGroup {
        var d = DescribeGroupsResponse.DescribedGroup(groupID: id)
        if let e = coordinatorError(id, broker: broker) {
            d.errorCode = e
            return d
        }
        guard let g = groups[id], g.type == .classic, !g.isShareOrStreams else {
            d.groupState = "Dead"
            if version >= 6 {
                d.errorCode = KafkaErrorCode.groupIDNotFound.code
                d.errorMessage = groups[id] == nil ? "Group \(id) not found." : "Group \(id) is not a classic group."
            }
            return d
        }
        let cg = g.classic
        d.groupState = cg.state.rawValue
        d.protocolType = cg.protocolType ?? ""
        let stable = cg.state == .stable
        d.protocolData = stable ? (cg.protocolName ?? "") : ""
        d.members = cg.order.compactMap { mid in
            guard let m = cg.members[mid] else { return nil }
            return .init(memberID: mid, groupInstanceID: version >= 4 ? m.instanceID : nil, clientID: m.clientID, clientHost: m.clientHost,
                         memberMetadata: stable ? m.metadata(for: cg.protocolName) : [], memberAssignment: m.assignment)
        }
        return d
    }

    /// Why a describe API answers a group with an error instead of its description.
    struct DescribeRefusal: Error {
        /// The group's error code.
        let code: Int16
        /// The group's error message, when Kafka gives one.
        let message: String?
    }

    /// The group that ConsumerGroupDescribe, ShareGroupDescribe or StreamsGroupDescribe describes for
    /// `id` on `broker`, as `pick` finds it (nil: the group is not of the API's type, `typeName`), or
    /// why it answers an error: an empty id, a broker that is not the coordinator (or a fault), no
    /// such group, or a group of another type.
    func describedGroup<T>(_ id: String, broker: Int32, typeName: String, _ pick: (SimGroup) -> T?) -> Result<T, DescribeRefusal> {
        if id.isEmpty { return .failure(DescribeRefusal(code: KafkaErrorCode.invalidGroupID.code, message: nil)) }
        if let e = coordinatorError(id, broker: broker) { return .failure(DescribeRefusal(code: e, message: nil)) }
        guard let group = groups[id], let found = pick(group) else {
            let message = groups[id] == nil ? "Group \(id) not found." : "Group \(id) is not a \(typeName) group."
            return .failure(DescribeRefusal(code: KafkaErrorCode.groupIDNotFound.code, message: message))
        }
        return .success(found)
    }

    func consumerGroupDescribe(_ req: ConsumerGroupDescribeRequest, version: Int16, broker: Int32) -> ConsumerGroupDescribeResponse {
        var resp = ConsumerGroupDescribeResponse()
        for id in req.groupIDs {
            var d = ConsumerGroupDescribeResponse.DescribedGroup(groupID: id)
            let g: SimGroup
            switch describedGroup(id, broker: broker, typeName: "consumer", { $0.type == .consumer ? $0 : nil }) {
            case .success(let found): g = found
            case .failure(let refusal):
                d.errorCode = refusal.code
                d.errorMessage = refusal.message
                resp.groups.append(d)
                continue
            }
            let cg = g.consumer
            d.groupState = cg.state().rawValue
            d.groupEpoch = cg.groupEpoch
            d.assignmentEpoch = cg.assignmentEpoch
            d.assignorName = cg.preferredAssignor(default: config.consumerAssignors.first ?? "uniform")
            d.members = cg.members.sorted { $0.key < $1.key }.map { mid, m in
                var member = ConsumerGroupDescribeResponse.Member(
                    memberID: mid, instanceID: m.instanceID, rackID: m.rackID, memberEpoch: m.memberEpoch,
                    clientID: m.clientID, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames.sorted(),
                    subscribedTopicRegex: m.subscribedTopicRegex,
                    assignment: describeAssignment(
                        config.kafkaVersion.describesPendingRevocation && !m.pendingRevocation.isEmpty
                            ? m.assigned.union(m.pendingRevocation) : m.assigned),
                    targetAssignment: describeAssignment(cg.target[mid] ?? []))
                if version >= 1 { member.memberType = m.classicProtocols != nil ? 0 : 1 }
                return member
            }
            resp.groups.append(d)
        }
        return resp
    }

    func describeAssignment(_ tps: Set<TopicPartition>) -> ConsumerGroupDescribeResponse.Assignment {
        guard let only = tps.first?.topic else { return .init(topicPartitions: []) }
        if tps.allSatisfy({ $0.topic == only }) {
            // The usual member holds partitions of one topic: no grouping.
            return .init(topicPartitions: [.init(topicID: topics[only]?.id ?? .zero, topicName: only, partitions: tps.map(\.partition).sorted())])
        }
        var byTopic: [String: [Int32]] = [:]
        for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
        return .init(topicPartitions: byTopic.keys.sorted().map { t in
            .init(topicID: topics[t]?.id ?? .zero, topicName: t, partitions: byTopic[t]!.sorted())
        })
    }

    func deleteGroups(_ req: DeleteGroupsRequest, version: Int16, broker: Int32) -> DeleteGroupsResponse {
        var resp = DeleteGroupsResponse()
        for id in req.groupsNames {
            var r = DeleteGroupsResponse.DeletableGroupResult(groupID: id)
            if let e = coordinatorError(id, broker: broker) {
                r.errorCode = e
            } else if let g = groups[id] {
                if g.isEmptyOfMembers { groups[id] = nil } else { r.errorCode = KafkaErrorCode.nonEmptyGroup.code }
            } else {
                r.errorCode = KafkaErrorCode.groupIDNotFound.code
            }
            resp.results.append(r)
        }
        return resp
    }
}

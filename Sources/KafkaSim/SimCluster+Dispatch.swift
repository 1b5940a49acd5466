import KafkaProtocol
import KafkaWire

/// What a connection should do with a request's outcome.
public enum SimReply: Sendable, Hashable {
    /// Send these bytes (response header + body, without the size prefix).
    case response([UInt8])
    /// Send nothing (Produce with acks=0).
    case noResponse
    /// Close the connection (malformed request or an API/version the broker does not serve).
    case close
}

extension SimCluster {
    /// The APIs and versions the simulator serves, as advertised in ApiVersions.
    public static let supportedAPIs: [Int16: ClosedRange<Int16>] = [
        0: 3...12,   // Produce
        1: 4...16,   // Fetch
        2: 1...10,   // ListOffsets
        3: 0...13,   // Metadata
        8: 2...9,    // OffsetCommit
        9: 1...9,    // OffsetFetch
        10: 0...6,   // FindCoordinator
        11: 0...9,   // JoinGroup
        12: 0...4,   // Heartbeat
        13: 0...5,   // LeaveGroup
        14: 0...5,   // SyncGroup
        15: 0...6,   // DescribeGroups
        16: 0...5,   // ListGroups
        18: 0...4,   // ApiVersions
        19: 2...7,   // CreateTopics
        22: 0...5,   // InitProducerId
        23: 2...4,   // OffsetForLeaderEpoch
        32: 1...4,   // DescribeConfigs
        42: 0...2,   // DeleteGroups
        60: 0...2,   // DescribeCluster
        68: 0...1,   // ConsumerGroupHeartbeat
        69: 0...1,   // ConsumerGroupDescribe
        77: 1...1,   // ShareGroupDescribe (4.1+: SimKafkaVersion.servesShareGroupDescribe)
        89: 0...0,   // StreamsGroupDescribe (4.2+: SimKafkaVersion.servesStreamsGroupDescribe)
    ]

    /// ``supportedAPIs`` less what ``SimConfig/kafkaVersion`` does not serve yet.
    func servedAPIs() -> [Int16: ClosedRange<Int16>] {
        var apis = Self.supportedAPIs
        if !config.kafkaVersion.servesShareGroupDescribe { apis[ShareGroupDescribeRequest.apiKey] = nil }
        if !config.kafkaVersion.servesStreamsGroupDescribe { apis[StreamsGroupDescribeRequest.apiKey] = nil }
        return apis
    }

    /// Handles one request frame (without its size prefix) received by broker `broker`.
    public func handle(frame: [UInt8], broker: Int32, clientHost: String = "127.0.0.1") async -> SimReply {
        var r = WireReader(frame)
        guard var header = try? RequestHeader.decodePrefix(from: &r) else { return .close }
        let key = header.apiKey, v = header.apiVersion
        guard let info = KafkaAPIs.info(key: key), let range = servedAPIs()[key] else {
            logger.debug("closing on unsupported api", metadata: ["key": "\(key)"])
            return .close
        }
        if key == ApiVersionsRequest.apiKey && !range.contains(v) {
            // KIP-511: answer an unknown ApiVersions version with v0 and UNSUPPORTED_VERSION.
            header.apiVersion = 0
            return reply(ApiVersionsResponse(errorCode: KafkaErrorCode.unsupportedVersion.code, apiKeys: advertisedKeys()), header)
        }
        guard range.contains(v) else { return .close }
        do {
            try header.decodeRest(from: &r, headerVersion: RequestHeader.version(flexible: info.isFlexible(v)))
        } catch {
            return .close
        }
        let host = "/" + clientHost
        let client = header.clientID ?? ""
        do {
            switch key {
            case ApiVersionsRequest.apiKey:
                _ = try ApiVersionsRequest(from: &r, version: v)
                return reply(apiVersions(version: v), header)
            case MetadataRequest.apiKey:
                return reply(metadata(try MetadataRequest(from: &r, version: v), version: v), header)
            case DescribeClusterRequest.apiKey:
                return reply(describeCluster(try DescribeClusterRequest(from: &r, version: v)), header)
            case CreateTopicsRequest.apiKey:
                return reply(createTopics(try CreateTopicsRequest(from: &r, version: v)), header)
            case DescribeConfigsRequest.apiKey:
                return reply(describeConfigs(try DescribeConfigsRequest(from: &r, version: v)), header)
            case FindCoordinatorRequest.apiKey:
                return reply(findCoordinator(try FindCoordinatorRequest(from: &r, version: v), version: v), header)
            case ListGroupsRequest.apiKey:
                let req = try ListGroupsRequest(from: &r, version: v)
                if writesDirectly(key, v) {
                    return directReply(header, apiKey: key, capacity: 64 * groupsCoordinated(by: broker).count + 64) { w in writeListGroups(req, version: v, broker: broker, to: &w) }
                }
                return reply(listGroups(req, broker: broker), header)
            case DescribeGroupsRequest.apiKey:
                let req = try DescribeGroupsRequest(from: &r, version: v)
                if writesDirectly(key, v) {
                    return directReply(header, apiKey: key, capacity: 512 * req.groups.count + 64) { w throws(WireError) in
                        try writeDescribeGroups(req, version: v, broker: broker, to: &w)
                    }
                }
                return reply(describeGroups(req, version: v, broker: broker), header)
            case ConsumerGroupDescribeRequest.apiKey:
                let req = try ConsumerGroupDescribeRequest(from: &r, version: v)
                if writesDirectly(key, v) {
                    return directReply(header, apiKey: key, capacity: 512 * req.groupIDs.count + 64) { w throws(WireError) in
                        try writeConsumerGroupDescribe(req, version: v, broker: broker, to: &w)
                    }
                }
                return reply(consumerGroupDescribe(req, version: v, broker: broker), header)
            case ShareGroupDescribeRequest.apiKey:
                return reply(shareGroupDescribe(try ShareGroupDescribeRequest(from: &r, version: v), broker: broker), header)
            case StreamsGroupDescribeRequest.apiKey:
                return reply(streamsGroupDescribe(try StreamsGroupDescribeRequest(from: &r, version: v), broker: broker), header)
            case OffsetFetchRequest.apiKey:
                let req = try OffsetFetchRequest(from: &r, version: v)
                if writesDirectly(key, v) {
                    return directReply(header, apiKey: key, capacity: 512 * req.groups.count + 64) { w in writeOffsetFetch(req, broker: broker, to: &w) }
                }
                return reply(offsetFetch(req, version: v, broker: broker), header)
            case OffsetCommitRequest.apiKey:
                return reply(offsetCommit(try OffsetCommitRequest(from: &r, version: v), broker: broker), header)
            case ListOffsetsRequest.apiKey:
                let req = try ListOffsetsRequest(from: &r, version: v)
                if writesDirectly(key, v) {
                    return directReply(header, apiKey: key, capacity: 2 * frame.count + 64) { w in writeListOffsets(req, version: v, broker: broker, to: &w) }
                }
                return reply(listOffsets(req, version: v, broker: broker), header)
            case DeleteGroupsRequest.apiKey:
                return reply(deleteGroups(try DeleteGroupsRequest(from: &r, version: v), version: v, broker: broker), header)
            case ConsumerGroupHeartbeatRequest.apiKey:
                let req = try ConsumerGroupHeartbeatRequest(from: &r, version: v)
                return reply(wireConsumerHeartbeat(req, version: v, broker: broker, clientID: client, clientHost: host), header)
            case JoinGroupRequest.apiKey:
                let req = try JoinGroupRequest(from: &r, version: v)
                return reply(await wireJoin(req, version: v, broker: broker, clientID: client, clientHost: host), header)
            case SyncGroupRequest.apiKey:
                let req = try SyncGroupRequest(from: &r, version: v)
                return reply(await wireSync(req, broker: broker), header)
            case HeartbeatRequest.apiKey:
                let req = try HeartbeatRequest(from: &r, version: v)
                let code = coordinatorError(req.groupID, broker: broker)
                    ?? classicHeartbeat(groupID: req.groupID, generation: req.generationID, memberID: req.memberID, instanceID: req.groupInstanceID)
                return reply(HeartbeatResponse(errorCode: code), header)
            case LeaveGroupRequest.apiKey:
                return reply(wireLeave(try LeaveGroupRequest(from: &r, version: v), version: v, broker: broker), header)
            case ProduceRequest.apiKey:
                let req = try ProduceRequest(from: &r, version: v)
                let resp = produce(req, version: v, broker: broker)
                return req.acks == 0 ? .noResponse : reply(resp, header)
            case FetchRequest.apiKey:
                return reply(await fetch(try FetchRequest(from: &r, version: v), version: v, broker: broker), header)
            case InitProducerIdRequest.apiKey:
                _ = try InitProducerIdRequest(from: &r, version: v)
                nextProducerID += 1
                return reply(InitProducerIdResponse(producerID: nextProducerID, producerEpoch: 0), header)
            case OffsetForLeaderEpochRequest.apiKey:
                return reply(offsetForLeaderEpoch(try OffsetForLeaderEpochRequest(from: &r, version: v), broker: broker), header)
            default:
                return .close
            }
        } catch {
            logger.debug("closing on undecodable request", metadata: ["key": "\(key)", "version": "\(v)", "error": "\(error)"])
            return .close
        }
    }

    func reply<M: KafkaAPIMessage>(_ message: M, _ header: RequestHeader) -> SimReply {
        var w = WireWriter(capacity: 256)
        let hv = ResponseHeader.version(apiKey: M.apiKey, flexible: M.isFlexible(header.apiVersion))
        ResponseHeader(correlationID: header.correlationID).encode(to: &w, headerVersion: hv)
        do {
            try message.encode(to: &w, version: header.apiVersion)
        } catch {
            logger.error("cannot encode response", metadata: ["api": "\(M.messageName)", "version": "\(header.apiVersion)", "error": "\(error)"])
            return .close
        }
        return .response(w.bytes)
    }

    func advertisedKeys() -> [ApiVersionsResponse.ApiVersion] {
        let apis = servedAPIs()
        return apis.keys.sorted().map { k in
            let r = apis[k]!
            return ApiVersionsResponse.ApiVersion(apiKey: k, minVersion: r.lowerBound, maxVersion: r.upperBound)
        }
    }

    func apiVersions(version: Int16) -> ApiVersionsResponse {
        var resp = ApiVersionsResponse(errorCode: 0, apiKeys: advertisedKeys())
        if version >= 3 {
            resp.supportedFeatures = [
                .init(name: "group.version", minVersion: 0, maxVersion: 1),
                .init(name: "metadata.version", minVersion: 7, maxVersion: 25),
            ]
            resp.finalizedFeaturesEpoch = 1
            resp.finalizedFeatures = [
                .init(name: "group.version", maxVersionLevel: 1, minVersionLevel: 1),
                .init(name: "metadata.version", maxVersionLevel: 25, minVersionLevel: 25),
            ]
        }
        return resp
    }

    /// NOT_COORDINATOR when `broker` does not coordinate `groupID`, or the broker's injected error.
    func coordinatorError(_ groupID: String, broker: Int32) -> Int16? {
        if coordinator(for: groupID) != broker { return KafkaErrorCode.notCoordinator.code }
        if let e = faults[broker]?.coordinatorError { return e }
        return nil
    }
}

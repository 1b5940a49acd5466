import GroupModel
import KafkaProtocol
import KafkaWire

// The simulated cluster's answers about the cluster itself: Metadata (with topic auto-creation),
// DescribeCluster, CreateTopics and DescribeConfigs (brokers and groups).

extension SimCluster {
    func metadata(_ req: MetadataRequest, version: Int16) -> MetadataResponse {
        var resp = MetadataResponse()
        resp.brokers = brokers.map { .init(nodeID: $0.nodeID, host: $0.host, port: Int32($0.port), rack: nil) }
        if version >= 2 { resp.clusterID = config.clusterID }
        if version >= 1 { resp.controllerID = 1 }
        var names: [(String?, KafkaUUID)] = []
        if let requested = req.topics, !(version == 0 && requested.isEmpty) {
            names = requested.map { ($0.name, $0.topicID) }
        } else {
            names = topicNames().map { ($0, KafkaUUID.zero) }
        }
        let allowCreate = version < 4 || req.allowAutoTopicCreation
        // One replica list per leader, shared by every partition it leads.
        let replicasByLeader = brokers.map { replicaNodes(leader: $0.nodeID) }
        for (nameOrNil, id) in names {
            var name = nameOrNil
            if name == nil || name!.isEmpty {
                if let n = topicNamesByID[id] { name = n } else {
                    resp.topics.append(.init(errorCode: KafkaErrorCode.unknownTopicID.code, name: nil, topicID: id))
                    continue
                }
            }
            guard let topicName = name else { continue }
            if topics[topicName] == nil && config.autoCreateTopics && allowCreate && req.topics != nil && Self.isValidTopicName(topicName) {
                _ = try? createTopic(topicName, partitions: config.defaultPartitions)
            }
            guard let t = topics[topicName] else {
                resp.topics.append(.init(errorCode: KafkaErrorCode.unknownTopicOrPartition.code, name: topicName, topicID: .zero))
                continue
            }
            resp.topics.append(.init(
                errorCode: 0, name: t.name, topicID: version >= 10 ? t.id : .zero, isInternal: false,
                partitions: t.partitions.map { p in
                    let i = Int(p.leader) - 1
                    let replicas = replicasByLeader.indices.contains(i) ? replicasByLeader[i] : replicaNodes(leader: p.leader)
                    return .init(errorCode: 0, partitionIndex: p.index, leaderID: p.leader,
                                 leaderEpoch: version >= 7 ? p.leaderEpoch : -1, replicaNodes: replicas, isrNodes: replicas,
                                 offlineReplicas: [])
                }))
        }
        return resp
    }

    /// Replicas: the leader then the next brokers, up to three.
    func replicaNodes(leader: Int32) -> [Int32] {
        let n = brokers.count
        return (0..<min(3, n)).map { Int32((Int(leader) - 1 + $0) % n + 1) }
    }

    static func isValidTopicName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 249 && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }

    func describeCluster(_ req: DescribeClusterRequest) -> DescribeClusterResponse {
        DescribeClusterResponse(
            endpointType: req.endpointType, clusterID: config.clusterID, controllerID: 1,
            brokers: brokers.map { .init(brokerID: $0.nodeID, host: $0.host, port: Int32($0.port), rack: nil) })
    }

    func createTopics(_ req: CreateTopicsRequest) -> CreateTopicsResponse {
        var resp = CreateTopicsResponse()
        for t in req.topics {
            var result = CreateTopicsResponse.CreatableTopicResult(name: t.name)
            let count = !t.assignments.isEmpty ? t.assignments.count : (t.numPartitions == -1 ? config.defaultPartitions : Int(t.numPartitions))
            if topics[t.name] != nil {
                result.errorCode = KafkaErrorCode.topicAlreadyExists.code
                result.errorMessage = "Topic '\(t.name)' already exists."
            } else if count <= 0 {
                result.errorCode = KafkaErrorCode.invalidPartitions.code
                result.errorMessage = "Number of partitions must be larger than 0."
            } else if !Self.isValidTopicName(t.name) {
                result.errorCode = 17  // INVALID_TOPIC_EXCEPTION
                result.errorMessage = "Topic name is invalid."
            } else {
                var configs: [String: String] = [:]
                for c in t.configs { if let v = c.value { configs[c.name] = v } }
                if !req.validateOnly, let id = try? createTopic(t.name, partitions: count, configs: configs) {
                    result.topicID = id
                }
                result.numPartitions = Int32(count)
                result.replicationFactor = Int16(min(3, brokers.count))
            }
            resp.topics.append(result)
        }
        return resp
    }

    func describeConfigs(_ req: DescribeConfigsRequest) -> DescribeConfigsResponse {
        var resp = DescribeConfigsResponse()
        for res in req.resources {
            var result = DescribeConfigsResponse.DescribeConfigsResult(resourceType: res.resourceType, resourceName: res.resourceName)
            var entries: [(String, String, Int8, Bool)] = []  // name, value, source, readOnly
            switch res.resourceType {
            case 4:  // BROKER
                entries = config.brokerConfigs.map { ($0.0, $0.1, 5, true) }
            case 32:  // GROUP: the group's own value (source GROUP_CONFIG, 8), else the broker's default
                let own = groupConfigOverrides[res.resourceName] ?? [:]
                entries = config.groupConfigs.map { key, value in own[key].map { (key, $0, 8, false) } ?? (key, value, 5, false) }
            case 2:  // TOPIC
                guard let t = topics[res.resourceName] else {
                    result.errorCode = KafkaErrorCode.unknownTopicOrPartition.code
                    result.errorMessage = "Topic \(res.resourceName) does not exist."
                    resp.results.append(result)
                    continue
                }
                var base: [String: String] = ["cleanup.policy": "delete", "retention.ms": "604800000",
                                              "retention.bytes": "\(config.retentionBytesPerPartition)", "min.insync.replicas": "1"]
                for (k, v) in t.configs { base[k] = v }
                entries = base.keys.sorted().map { ($0, base[$0]!, t.configs[$0] != nil ? 1 : 5, false) }
            default:
                result.errorCode = KafkaErrorCode.invalidRequest.code
                result.errorMessage = "Unsupported resource type \(res.resourceType)."
            }
            if let keys = res.configurationKeys { entries = entries.filter { keys.contains($0.0) } }
            result.configs = entries.map { .init(name: $0.0, value: $0.1, readOnly: $0.3, configSource: $0.2, isSensitive: false) }
            resp.results.append(result)
        }
        return resp
    }
}

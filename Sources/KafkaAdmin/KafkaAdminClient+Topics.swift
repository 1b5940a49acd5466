import KafkaProtocol

/// What creating one topic came to.
public enum CreateTopicOutcome: Sendable, Hashable {
    /// The topic was created.
    case created(partitions: Int32)
    /// A topic by that name exists already (TOPIC_ALREADY_EXISTS).
    case alreadyExists
}

/// The result of creating topics: one outcome or error per topic name.
public struct CreateTopicsResult: Sendable {
    /// Per topic name.
    public var topics: [String: Result<CreateTopicOutcome, AdminItemError>]
    /// Requests and bytes spent.
    public var stats: RequestStats
}

extension KafkaAdminClient {
    /// Kafka's TOPIC_ALREADY_EXISTS.
    static let topicAlreadyExists: Int16 = 36

    /// Creates topics with one CreateTopics (v2-v7) sent to the controller (or, when Metadata names
    /// none, the first broker). `replicationFactor` -1 and `partitions` -1 leave the choice to the
    /// broker's defaults (v4+). A topic that already exists is ``CreateTopicOutcome/alreadyExists``,
    /// not an error. Metadata is marked stale afterwards, so the next poll sees the new topics.
    public func createTopics(
        _ topics: [(name: String, partitions: Int32)], replicationFactor: Int16 = -1, configs: [String: String] = [:],
        timeoutMs: Int32 = 30_000
    ) async throws(KafkaAdminError) -> CreateTopicsResult {
        var stats = RequestStats()
        let metadata = try await ensureMetadata(&stats)
        guard let node = metadata.controllerID.flatMap({ metadata.broker($0)?.nodeID }) ?? metadata.brokers.first?.nodeID else {
            let failure = AdminItemError(.notRoutable, message: "no broker known")
            return CreateTopicsResult(
                topics: Dictionary(topics.map { ($0.name, .failure(failure)) }, uniquingKeysWith: { a, _ in a }), stats: stats)
        }
        let creatable = topics.map { topic in
            CreateTopicsRequest.CreatableTopic(
                name: topic.name, numPartitions: topic.partitions, replicationFactor: replicationFactor,
                configs: configs.sorted { $0.key < $1.key }.map { CreateTopicsRequest.CreatableTopicConfig(name: $0.key, value: $0.value) })
        }
        let answer = await send(to: node) { _ in CreateTopicsRequest(topics: creatable, timeoutMs: timeoutMs) }
        stats.merge(answer.stats)
        metadataStale = true
        var out: [String: Result<CreateTopicOutcome, AdminItemError>] = [:]
        switch answer.result {
        case let .failure(error):
            for topic in topics { out[topic.name] = .failure(error) }
        case let .success(response):
            for result in response.topics {
                switch result.errorCode {
                case 0: out[result.name] = .success(.created(partitions: result.numPartitions))
                case Self.topicAlreadyExists: out[result.name] = .success(.alreadyExists)
                default: out[result.name] = .failure(.broker(result.errorCode, message: result.errorMessage))
                }
            }
            for topic in topics where out[topic.name] == nil {
                out[topic.name] = .failure(AdminItemError(.missingFromResponse))
            }
        }
        return CreateTopicsResult(topics: out, stats: stats)
    }
}

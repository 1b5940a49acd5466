import DashboardUI
import GroupModel

/// Hand-made cluster data for the golden screens: one snapshot holding a classic group, a stable
/// KIP-848 group, a KIP-848 group reconciling with a stuck member, a mixed group mid-migration, a
/// lagging group, a Tansu-like group with unknown type and state, and an empty classic group.
enum Scenario {
    static let takenAt: Int64 = 1_760_000_000_000
    static let now: Int64 = takenAt + 2_300

    static func tp(_ topic: String, _ partition: Int32) -> TopicPartition { TopicPartition(topic: topic, partition: partition) }
    static func tps(_ topic: String, _ partitions: Int32...) -> [TopicPartition] { partitions.map { tp(topic, $0) } }

    static func row(_ topic: String, _ partition: Int32, committed: Int64?, end: Int64?, owner: String?, target: String? = nil, handoff: HandoffState = .settled) -> GroupPartition {
        let lag: LagValue
        if let end { lag = .known(max(0, end - (committed ?? 0))) } else { lag = .unknown(reason: "log end offset unknown") }
        return GroupPartition(topicPartition: tp(topic, partition), committedOffset: committed, logStart: 0, logEnd: end, lag: lag, owner: owner, targetOwner: target, handoff: handoff)
    }

    // MARK: Groups

    static let classic = Group(
        groupID: "billing-classic", type: .classic, protocolType: "consumer", state: .stable, assignor: "cooperative-sticky",
        generationID: 12, coordinatorID: 1,
        members: [
            GroupMember(memberID: "billing-1-6f1c0f3a", clientID: "billing-1", clientHost: "/10.0.1.11", memberType: .classic, subscribedTopics: ["invoices"], assignment: tps("invoices", 0, 1), generationID: 12),
            GroupMember(memberID: "billing-2-91ab77e0", clientID: "billing-2", clientHost: "/10.0.1.12", rackID: "use1-az2", memberType: .classic, subscribedTopics: ["invoices"], assignment: tps("invoices", 2, 3), generationID: 12),
        ],
        partitions: [
            row("invoices", 0, committed: 5_120, end: 5_124, owner: "billing-1-6f1c0f3a"),
            row("invoices", 1, committed: 4_980, end: 4_980, owner: "billing-1-6f1c0f3a"),
            row("invoices", 2, committed: 5_301, end: 5_309, owner: "billing-2-91ab77e0"),
            row("invoices", 3, committed: 5_002, end: 5_002, owner: "billing-2-91ab77e0"),
        ])

    static let stable = Group(
        groupID: "orders-kip848", type: .consumer, protocolType: "", state: .stable, assignor: "uniform",
        groupEpoch: 14, assignmentEpoch: 14, coordinatorID: 2,
        members: [
            GroupMember(memberID: "Qm8xT2VyZGVyczAwMDAx", instanceID: "orders-0", clientID: "orders-0", clientHost: "/10.0.2.21", rackID: "use1-az1", memberType: .consumer, memberEpoch: 14, subscribedTopics: ["orders"], assignment: tps("orders", 0, 1), targetAssignment: tps("orders", 0, 1)),
            GroupMember(memberID: "Rk9yZGVyczAwMDAyWFla", instanceID: "orders-1", clientID: "orders-1", clientHost: "/10.0.2.22", rackID: "use1-az2", memberType: .consumer, memberEpoch: 14, subscribedTopics: ["orders"], assignment: tps("orders", 2, 3), targetAssignment: tps("orders", 2, 3)),
            GroupMember(memberID: "U29yZGVyczAwMDAzQUJD", instanceID: "orders-2", clientID: "orders-2", clientHost: "/10.0.2.23", rackID: "use1-az3", memberType: .consumer, memberEpoch: 14, subscribedTopics: ["orders"], assignment: tps("orders", 4, 5), targetAssignment: tps("orders", 4, 5)),
        ],
        partitions: (0..<6).map { p in
            let owners = ["Qm8xT2VyZGVyczAwMDAx", "Rk9yZGVyczAwMDAyWFla", "U29yZGVyczAwMDAzQUJD"]
            return row("orders", Int32(p), committed: 10_000 + Int64(p) * 7, end: 10_000 + Int64(p) * 7, owner: owners[p / 2], target: owners[p / 2])
        })

    /// `stuck` is still at epoch 7 while the assignment epoch is 8: payments-2 waits for
    /// partition 3 (pending revocation from stuck) and partition 5 is in nobody's assignment.
    static let reconciling = Group(
        groupID: "payments-rollout", type: .consumer, protocolType: "", state: .reconciling, assignor: "uniform",
        groupEpoch: 8, assignmentEpoch: 8, coordinatorID: 0,
        members: [
            GroupMember(memberID: "cGF5bWVudHMtMDAwMDAx", clientID: "payments-1", clientHost: "/10.0.3.31", memberType: .consumer, memberEpoch: 8, subscribedTopics: ["payments"], assignment: tps("payments", 0, 1), targetAssignment: tps("payments", 0, 1)),
            GroupMember(memberID: "c3R1Y2stbWVtYmVyLTAy", instanceID: "payments-stuck", clientID: "payments-0", clientHost: "/10.0.3.30", rackID: "use1-az1", memberType: .consumer, memberEpoch: 7, subscribedTopics: ["payments"], assignment: tps("payments", 2, 3), targetAssignment: tps("payments", 2)),
            GroupMember(memberID: "bmV3LW1lbWJlci0wMDAz", clientID: "payments-2", clientHost: "/10.0.3.32", memberType: .consumer, memberEpoch: 8, subscribedTopics: ["payments"], assignment: tps("payments", 4), targetAssignment: tps("payments", 3, 4, 5)),
        ],
        partitions: [
            row("payments", 0, committed: 880, end: 884, owner: "cGF5bWVudHMtMDAwMDAx", target: "cGF5bWVudHMtMDAwMDAx"),
            row("payments", 1, committed: 901, end: 903, owner: "cGF5bWVudHMtMDAwMDAx", target: "cGF5bWVudHMtMDAwMDAx"),
            row("payments", 2, committed: 870, end: 1_270, owner: "c3R1Y2stbWVtYmVyLTAy", target: "c3R1Y2stbWVtYmVyLTAy"),
            row("payments", 3, committed: 850, end: 1_262, owner: "c3R1Y2stbWVtYmVyLTAy", target: "bmV3LW1lbWJlci0wMDAz", handoff: .pendingRevocation),
            row("payments", 4, committed: 899, end: 899, owner: "bmV3LW1lbWJlci0wMDAz", target: "bmV3LW1lbWJlci0wMDAz"),
            row("payments", 5, committed: 860, end: 1_010, owner: nil, target: "bmV3LW1lbWJlci0wMDAz", handoff: .awaitingRelease),
        ])

    static let mixed = Group(
        groupID: "inventory-migration", type: .consumer, protocolType: "consumer", state: .stable, assignor: "range",
        groupEpoch: 5, assignmentEpoch: 5, coordinatorID: 1,
        members: [
            GroupMember(memberID: "aW52LWNvbnN1bWVyLTAx", clientID: "inventory-a", clientHost: "/10.0.4.41", memberType: .consumer, memberEpoch: 5, subscribedTopics: ["stock"], assignment: tps("stock", 0), targetAssignment: tps("stock", 0)),
            GroupMember(memberID: "inventory-b-0c9d2e11", clientID: "inventory-b", clientHost: "/10.0.4.42", memberType: .classic, memberEpoch: 5, subscribedTopics: ["stock"], assignment: tps("stock", 1), targetAssignment: tps("stock", 1)),
        ],
        partitions: [
            row("stock", 0, committed: 300, end: 302, owner: "aW52LWNvbnN1bWVyLTAx", target: "aW52LWNvbnN1bWVyLTAx"),
            row("stock", 1, committed: 290, end: 290, owner: "inventory-b-0c9d2e11", target: "inventory-b-0c9d2e11"),
        ])

    static let lagging = Group(
        groupID: "analytics-lagging", type: .consumer, protocolType: "", state: .stable, assignor: "uniform",
        groupEpoch: 3, assignmentEpoch: 3, coordinatorID: 2,
        members: [
            GroupMember(memberID: "YW5hbHl0aWNzLTAwMDAx", clientID: "analytics-0", clientHost: "/10.0.5.51", memberType: .consumer, memberEpoch: 3, subscribedTopics: ["clicks"], assignment: tps("clicks", 0, 1), targetAssignment: tps("clicks", 0, 1)),
        ],
        partitions: [
            row("clicks", 0, committed: 1_000_000, end: 1_734_512, owner: "YW5hbHl0aWNzLTAwMDAx", target: "YW5hbHl0aWNzLTAwMDAx"),
            row("clicks", 1, committed: 1_100_000, end: 1_612_004, owner: "YW5hbHl0aWNzLTAwMDAx", target: "YW5hbHl0aWNzLTAwMDAx"),
        ])

    static let tansu = Group(
        groupID: "tansu-events", type: .unknown(""), protocolType: nil, state: .unknown(""),
        members: [],
        partitions: [row("events", 0, committed: 42, end: nil, owner: nil, handoff: .notAssigned)])

    static let empty = Group(
        groupID: "legacy-reports", type: .classic, protocolType: "consumer", state: .empty, assignor: nil,
        generationID: 40, coordinatorID: 0,
        partitions: [row("reports", 0, committed: 77, end: 80, owner: nil, handoff: .notAssigned)])

    /// A share group of three workers on `alerts` (alerts-0 is read by two of them); its lag is
    /// not applicable.
    static let share: Group = GroupAssembler.assemble(
        listed: [ListedGroupInput(groupID: "alerts-share", groupType: .share, protocolType: "share", state: .stable, coordinatorID: 1)],
        shareGroups: [DescribedShareGroupInput(
            groupID: "alerts-share", state: .stable, groupEpoch: 3, assignmentEpoch: 3, assignor: "simple",
            members: [
                .init(memberID: "YWxlcnRzLTAwMDAwMDAx", memberEpoch: 3, clientID: "alerts-1", clientHost: "/10.0.5.51", subscribedTopicNames: ["alerts"], assignment: tps("alerts", 0, 3)),
                .init(memberID: "YWxlcnRzLTAwMDAwMDAy", memberEpoch: 3, clientID: "alerts-2", clientHost: "/10.0.5.52", subscribedTopicNames: ["alerts"], assignment: tps("alerts", 1)),
                .init(memberID: "YWxlcnRzLTAwMDAwMDAz", memberEpoch: 3, clientID: "alerts-3", clientHost: "/10.0.5.53", subscribedTopicNames: ["alerts"], assignment: tps("alerts", 0, 2)),
            ])],
        logOffsets: (0..<4).map { LogOffsetsInput(topicPartition: tp("alerts", Int32($0)), logStart: 0, logEnd: 2_000 + Int64($0)) })[0]

    /// A streams group: subtopology 0 reads clicks, 1 reads a repartition topic; the second member
    /// warms up task 0:0 and is one epoch behind.
    static let streams: Group = {
        func tasks(_ active: [(String, [Int32])], _ standby: [(String, [Int32])], _ warmup: [(String, [Int32])] = []) -> StreamsTasks {
            StreamsTasks(
                active: active.map { StreamsTaskSet(subtopologyID: $0.0, partitions: $0.1) },
                standby: standby.map { StreamsTaskSet(subtopologyID: $0.0, partitions: $0.1) },
                warmup: warmup.map { StreamsTaskSet(subtopologyID: $0.0, partitions: $0.1) })
        }
        let first = tasks([("0", [0, 2]), ("1", [0])], [("0", [1]), ("1", [1])])
        let second = tasks([("0", [1]), ("1", [1])], [("0", [0, 2]), ("1", [0])], [("0", [0])])
        let topics = ["clicks": 3, "sessionizer-repartition": 2]
        return GroupAssembler.assemble(
            listed: [ListedGroupInput(groupID: "sessionizer-streams", groupType: .streams, protocolType: "streams", state: .reconciling, coordinatorID: 2)],
            streamsGroups: [DescribedStreamsGroupInput(
                groupID: "sessionizer-streams", state: .reconciling, groupEpoch: 6, assignmentEpoch: 6,
                subtopologies: [
                    StreamsSubtopology(subtopologyID: "0", sourceTopics: ["clicks"]),
                    StreamsSubtopology(subtopologyID: "1", sourceTopics: ["sessionizer-repartition"]),
                ],
                members: [
                    .init(memberID: "c2Vzc2lvbml6ZXItMDAx", memberEpoch: 6, clientID: "sessionizer-1", clientHost: "/10.0.6.61", assignment: first, targetAssignment: first),
                    .init(memberID: "c2Vzc2lvbml6ZXItMDAy", memberEpoch: 5, clientID: "sessionizer-2", clientHost: "/10.0.6.62", assignment: second, targetAssignment: second),
                ])],
            committed: [CommittedOffsetsInput(groupID: "sessionizer-streams", offsets: [
                .init(topicPartition: tp("clicks", 0), offset: 7_400), .init(topicPartition: tp("clicks", 1), offset: 7_390),
                .init(topicPartition: tp("clicks", 2), offset: 7_388), .init(topicPartition: tp("sessionizer-repartition", 0), offset: 310),
                .init(topicPartition: tp("sessionizer-repartition", 1), offset: 298),
            ])],
            logOffsets: topics.sorted { $0.key < $1.key }.flatMap { topic, count in
                (0..<count).map { LogOffsetsInput(topicPartition: tp(topic, Int32($0)), logStart: 0, logEnd: topic == "clicks" ? 7_412 : 310) }
            })[0]
    }()

    static let groups = [classic, stable, reconciling, mixed, lagging, tansu, empty, share, streams]

    // MARK: Extra inputs

    static let insights: [String: GroupInsight] = [
        "billing-classic": GroupInsight(verdict: .ok, maxTimeLagMs: 800, lagTrend: [10, 6, 12, 4, 8, 12], lastRebalanceAt: takenAt - 3_600_000 * 5),
        "orders-kip848": GroupInsight(verdict: .ok, maxTimeLagMs: 0, lagTrend: [0, 0, 0, 0], lastRebalanceAt: takenAt - 754_000),
        "payments-rollout": GroupInsight(
            verdict: .warn, verdictReason: "rebalance in progress for 48s; payments-0 stuck at epoch 7",
            maxTimeLagMs: 41_000, lagTrend: [20, 80, 200, 410, 640, 980],
            lagRate: LagTrendResult(trend: .growing, offsetsPerSecond: 38.5, etaSeconds: nil),
            partitions: [
                tp("payments", 2): PartitionInsight(verdict: .stall, timeLagMs: 38_000),
                tp("payments", 3): PartitionInsight(verdict: .stop, timeLagMs: 41_000, timeLagIsBound: true),
                tp("payments", 5): PartitionInsight(verdict: .warn, timeLagMs: 12_500),
                tp("payments", 0): PartitionInsight(verdict: .ok, timeLagMs: 300),
            ],
            members: [
                "c3R1Y2stbWVtYmVyLTAy": MemberInsight(reconcilingSince: takenAt - 48_000, stuck: true),
                "bmV3LW1lbWJlci0wMDAz": MemberInsight(recentlyJoined: true),
            ],
            recentlyLeft: ["payments-9"]),
        "inventory-migration": GroupInsight(
            verdict: .ok, maxTimeLagMs: 1_200, lagTrend: [2, 2, 1, 2], lagRate: LagTrendResult(trend: .steady, offsetsPerSecond: 0, etaSeconds: nil),
            lastRebalanceAt: takenAt - 95_000),
        "analytics-lagging": GroupInsight(verdict: .stall, verdictReason: "committing, but lag grew in 9 of 10 windows", maxTimeLagMs: 18_000, maxTimeLagIsBound: true, lagTrend: [900_000, 1_000_000, 1_080_000, 1_150_000, 1_246_516], lagRate: LagTrendResult(trend: .growing, offsetsPerSecond: 1_850, etaSeconds: nil)),
        "tansu-events": GroupInsight(verdict: .err, verdictReason: "log end offset unknown"),
    ]

    static let episodes: [EpisodeRow] = [
        EpisodeRow(
            groupID: "payments-rollout", groupProtocol: .consumer, trigger: "join", startedAt: takenAt - 48_000,
            fromEpoch: 7, targetEpoch: 8, membersReconciled: 2, membersTotal: 3, partitionsSettled: 4, partitionsTotal: 6,
            members: [
                MemberConvergence(memberID: "cGF5bWVudHMtMDAwMDAx", label: "payments-1", fromEpoch: 7, currentEpoch: 8, reachedAt: takenAt - 45_000),
                MemberConvergence(memberID: "bmV3LW1lbWJlci0wMDAz", label: "payments-2", fromEpoch: nil, currentEpoch: 8, reachedAt: takenAt - 30_000),
                MemberConvergence(memberID: "c3R1Y2stbWVtYmVyLTAy", label: "payments-stuck", fromEpoch: 7, currentEpoch: 7),
            ],
            blocking: [
                BlockedHandoff(
                    topicPartition: tp("payments", 3), holderID: "c3R1Y2stbWVtYmVyLTAy", holderLabel: "payments-stuck", holderHost: "10.0.3.30",
                    waiterID: "bmV3LW1lbWJlci0wMDAz", waiterLabel: "payments-2", since: takenAt - 48_000, blockedForMs: 48_000,
                    limitMs: 45_000, limit: "consumer.session.timeout.ms 45000 (broker)"),
                BlockedHandoff(
                    topicPartition: tp("payments", 5), holderID: nil, holderLabel: nil, holderHost: nil,
                    waiterID: "bmV3LW1lbWJlci0wMDAz", waiterLabel: "payments-2", since: takenAt - 6_000, blockedForMs: 6_000,
                    limitMs: 45_000, limit: "consumer.session.timeout.ms 45000 (broker)"),
            ],
            estimatedDurationMs: 6_400),
        EpisodeRow(groupID: "orders-kip848", groupProtocol: .consumer, trigger: "leave", startedAt: takenAt - 760_000, endedAt: takenAt - 754_000, fromEpoch: 13, targetEpoch: 14, membersReconciled: 3, membersTotal: 3, partitionsSettled: 6, partitionsTotal: 6, outcome: "completed"),
        EpisodeRow(groupID: "inventory-migration", groupProtocol: .mixed, trigger: "join", startedAt: takenAt - 101_500, endedAt: takenAt - 95_000, fromEpoch: 4, targetEpoch: 5, membersReconciled: 2, membersTotal: 2, partitionsSettled: 2, partitionsTotal: 2, outcome: "completed"),
        EpisodeRow(groupID: "orders-kip848", groupProtocol: .consumer, trigger: "subscription change", startedAt: takenAt - 1_900_000, endedAt: takenAt - 1_897_200, fromEpoch: 12, targetEpoch: 13, membersReconciled: 3, membersTotal: 3, partitionsSettled: 6, partitionsTotal: 6, outcome: "superseded"),
        EpisodeRow(groupID: "billing-classic", groupProtocol: .classic, trigger: "leave, join", startedAt: takenAt - 3_600_000 * 5 - 4_000, endedAt: takenAt - 3_600_000 * 5, fromEpoch: 11, targetEpoch: 12, membersReconciled: 2, membersTotal: 2, partitionsSettled: 4, partitionsTotal: 4, outcome: "completed"),
    ]

    static let errors: [ErrorRow] = [
        ErrorRow(at: takenAt - 1_000, severity: .warning, source: .anomaly, groupID: "payments-rollout", message: "member payments-0 (payments-stuck) behind the assignment epoch for 48s"),
        ErrorRow(at: takenAt - 12_000, severity: .error, source: .poll, groupID: "tansu-events", message: "ListOffsets [events-0]: NOT_LEADER_OR_FOLLOWER (6)"),
        ErrorRow(at: takenAt - 65_000, severity: .info, source: .anomaly, groupID: "orders-kip848", message: "coordinator moved from broker 1 to broker 2"),
        ErrorRow(at: takenAt - 300_000, severity: .critical, source: .broker, brokerID: 2, message: "connect [broker 2]: connection refused"),
        ErrorRow(at: takenAt - 301_000, severity: .warning, source: .anomaly, groupID: "billing-classic", message: "UNRELEASED_INSTANCE_ID: two members share instance id billing-1"),
    ]

    static let settings: [BrokerSetting] = [
        BrokerSetting(key: "group.consumer.session.timeout.ms", value: "45000", source: "default"),
        BrokerSetting(key: "group.consumer.heartbeat.interval.ms", value: "5000", source: "default"),
        BrokerSetting(key: "group.consumer.assignors", value: "uniform,range", source: "static"),
        BrokerSetting(key: "group.initial.rebalance.delay.ms", value: "3000", source: "dynamic"),
    ]

    static let snapshot: ClusterSnapshot = {
        var snapshot = unlabelled
        var labeler = MemberLabeler()
        labeler.label(&snapshot)
        return snapshot
    }()

    static let unlabelled = ClusterSnapshot(
        takenAt: takenAt, pollDurationMs: 46,
        cluster: ClusterInfo(
            clusterID: "kgtop-demo-cluster", controllerID: 1,
            brokers: [
                BrokerInfo(nodeID: 0, host: "b0.local", port: 9092),
                BrokerInfo(nodeID: 1, host: "b1.local", port: 9092),
                BrokerInfo(nodeID: 2, host: "b2.local", port: 9092, reachable: false, error: "connection refused"),
            ],
            finalizedFeatures: ["group.version": 1, "metadata.version": 27]),
        groups: groups)

    static let update = DashboardUpdate(
        snapshot: snapshot, episodes: episodes, errors: errors, insights: insights, brokerSettings: settings, pollIntervalMs: 5_000)
}

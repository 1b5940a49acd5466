import KgtopTestSupport
import KafkaProtocol
import KafkaWire
import Testing

/// Decodes `bytes` as `M` at `version` (all bytes consumed) and checks that it re-encodes to them.
@discardableResult
func decodeExactly<M: KafkaMessage>(_ type: M.Type, _ bytes: [UInt8], version: Int16) throws -> M {
    let value = try M.decode(bytes, version: version)
    #expect(try value.encoded(version: version) == bytes, "\(M.messageName) v\(version) re-encoded differently")
    return value
}

/// Decodes a capture's request and response with the types of its API key.
func decodeFixture(_ f: WireFixture) throws {
    switch f.apiKey {
    case ApiVersionsRequest.apiKey:
        try decodeExactly(ApiVersionsRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(ApiVersionsResponse.self, f.response, version: f.apiVersion)
    case ConsumerGroupDescribeRequest.apiKey:
        try decodeExactly(ConsumerGroupDescribeRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(ConsumerGroupDescribeResponse.self, f.response, version: f.apiVersion)
    case DescribeClusterRequest.apiKey:
        try decodeExactly(DescribeClusterRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(DescribeClusterResponse.self, f.response, version: f.apiVersion)
    case DescribeGroupsRequest.apiKey:
        try decodeExactly(DescribeGroupsRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(DescribeGroupsResponse.self, f.response, version: f.apiVersion)
    case FindCoordinatorRequest.apiKey:
        try decodeExactly(FindCoordinatorRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(FindCoordinatorResponse.self, f.response, version: f.apiVersion)
    case ListGroupsRequest.apiKey:
        try decodeExactly(ListGroupsRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(ListGroupsResponse.self, f.response, version: f.apiVersion)
    case ListOffsetsRequest.apiKey:
        try decodeExactly(ListOffsetsRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(ListOffsetsResponse.self, f.response, version: f.apiVersion)
    case MetadataRequest.apiKey:
        try decodeExactly(MetadataRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(MetadataResponse.self, f.response, version: f.apiVersion)
    case OffsetFetchRequest.apiKey:
        try decodeExactly(OffsetFetchRequest.self, f.request, version: f.apiVersion)
        try decodeExactly(OffsetFetchResponse.self, f.response, version: f.apiVersion)
    default:
        Issue.record("no decoder mapping for API key \(f.apiKey) in \(f.file)")
    }
}

@Suite("Wire captures from real servers", .enabled(if: WireFixture.available, "../shared/fixtures is absent"))
struct FixtureTests {
    @Test("every capture decodes completely and re-encodes to the same bytes", arguments: WireFixture.all)
    func everyCaptureRoundTrips(_ fixture: WireFixture) throws {
        try decodeFixture(fixture)
    }

    @Test("there are captures to test")
    func capturesFound() {
        #expect(WireFixture.all.count >= 18)
    }

    func response<M: KafkaMessage>(_ type: M.Type, _ file: String) throws -> M {
        let f = try #require(WireFixture.named(file), "missing fixture \(file)")
        return try M.decode(f.response, version: f.apiVersion)
    }

    func request<M: KafkaMessage>(_ type: M.Type, _ file: String) throws -> M {
        let f = try #require(WireFixture.named(file), "missing fixture \(file)")
        return try M.decode(f.request, version: f.apiVersion)
    }

    @Test("ConsumerGroupDescribe v0 and v1 of the KIP-848 group kg1")
    func consumerGroupDescribeKG1() throws {
        for (file, version) in [("kfake_ConsumerGroupDescribe_v0_kg1.json", 0), ("kfake_ConsumerGroupDescribe_v1_kg1.json", 1)] {
            let r = try response(ConsumerGroupDescribeResponse.self, file)
            let g = try #require(r.groups.first)
            #expect(r.groups.count == 1)
            #expect(g.errorCode == 0)
            #expect(g.groupID == "kg1")
            #expect(g.groupState == "Stable")
            #expect(g.groupEpoch == 3 && g.assignmentEpoch == 3)
            #expect(g.assignorName == "")
            #expect(g.authorizedOperations == 328)
            let members = g.members.sorted { $0.clientID < $1.clientID }
            #expect(members.map(\.clientID) == ["xk1", "xk2", "xk3"])
            let expected: [[Int32]] = [[2, 5], [0, 1], [3, 4]]
            for (m, parts) in zip(members, expected) {
                #expect(m.memberEpoch == 3)
                #expect(m.subscribedTopicNames == ["t6k"])
                #expect(m.subscribedTopicRegex == nil)
                #expect(m.assignment == m.targetAssignment)
                let tp = try #require(m.assignment.topicPartitions.first)
                #expect(m.assignment.topicPartitions.count == 1)
                #expect(tp.topicID.hex.hasPrefix("646367b3"))
                #expect(tp.topicName == "")
                #expect(tp.partitions.sorted() == parts)
                #expect(m.memberType == (version == 1 ? 1 : -1), "MemberType is 1 in v1 and absent (default -1) in v0")
            }
        }
    }

    @Test("ConsumerGroupDescribe of a classic group is GROUP_ID_NOT_FOUND")
    func consumerGroupDescribeClassic() throws {
        let r = try response(ConsumerGroupDescribeResponse.self, "kfake_ConsumerGroupDescribe_v0_classic_cg1.json")
        let g = try #require(r.groups.first)
        #expect(g.errorCode == 69)
        #expect(g.members.isEmpty)
    }

    @Test("ConsumerGroupDescribe of a reconciling group shows the stuck member behind")
    func consumerGroupDescribeReconciling() throws {
        let r = try response(ConsumerGroupDescribeResponse.self, "kfake_ConsumerGroupDescribe_v1_kg_reconciling.json")
        let g = try #require(r.groups.first)
        #expect(g.groupState == "Reconciling")
        #expect(g.groupEpoch == 3 && g.assignmentEpoch == 3)
        let byID = Dictionary(uniqueKeysWithValues: g.members.map { ($0.clientID, $0) })
        func parts(_ a: ConsumerGroupDescribeResponse.Assignment) -> [Int32] { a.topicPartitions.flatMap(\.partitions).sorted() }
        let a = try #require(byID["a"]), extra = try #require(byID["extra"]), stuck = try #require(byID["stuck"])
        #expect(a.memberEpoch == 3 && parts(a.assignment) == [0, 1] && parts(a.targetAssignment) == [0, 1])
        #expect(extra.memberEpoch == 3 && parts(extra.assignment) == [2] && parts(extra.targetAssignment) == [2, 5])
        #expect(stuck.memberEpoch == 2 && parts(stuck.assignment) == [3, 4] && parts(stuck.targetAssignment) == [3, 4])
        #expect(g.members.allSatisfy { $0.memberType == 1 })
    }

    @Test("ListGroups v5 with and without a type filter")
    func listGroups() throws {
        let all = try response(ListGroupsResponse.self, "kfake_ListGroups_v5_all.json")
        let byID = Dictionary(uniqueKeysWithValues: all.groups.map { ($0.groupID, $0) })
        #expect(byID.count == 2)
        #expect(byID["kg1"]?.protocolType == "" && byID["kg1"]?.groupState == "Stable" && byID["kg1"]?.groupType == "consumer")
        #expect(byID["cg1"]?.protocolType == "consumer" && byID["cg1"]?.groupState == "Stable" && byID["cg1"]?.groupType == "classic")
        let filtered = try response(ListGroupsResponse.self, "kfake_ListGroups_v5_types_consumer.json")
        #expect(filtered.groups.map(\.groupID) == ["kg1"])
        let req = try request(ListGroupsRequest.self, "kfake_ListGroups_v5_types_consumer.json")
        #expect(req.typesFilter == ["consumer"])
    }

    @Test("DescribeGroups v5: classic range group decodes its embedded subscription and assignment")
    func describeGroupsClassic() throws {
        let r = try response(DescribeGroupsResponse.self, "kfake_DescribeGroups_v5_cg1_kg1.json")
        let byID = Dictionary(uniqueKeysWithValues: r.groups.map { ($0.groupID, $0) })
        let cg1 = try #require(byID["cg1"])
        #expect(cg1.groupState == "Stable" && cg1.protocolType == "consumer" && cg1.protocolData == "range")
        #expect(cg1.members.map(\.clientID).sorted() == ["xc1", "xc2", "xc3"])
        var all: [Int32] = []
        for m in cg1.members {
            #expect(m.memberMetadata.count == 24 && m.memberAssignment.count == 26)
            let sub = try ConsumerProtocolSubscription.decodeVersionPrefixed(m.memberMetadata).value
            #expect(sub.topics == ["t6"])
            let asg = try ConsumerProtocolAssignment.decodeVersionPrefixed(m.memberAssignment).value
            #expect(asg.assignedPartitions.map(\.topic) == ["t6"])
            #expect(asg.assignedPartitions.first?.partitions.count == 2)
            all += asg.assignedPartitions.flatMap(\.partitions)
        }
        #expect(all.sorted() == [0, 1, 2, 3, 4, 5])
        let kg1 = try #require(byID["kg1"])
        #expect(kg1.groupState == "Stable" && kg1.members.isEmpty)
    }

    @Test("DescribeGroups v5: cooperative-sticky group with subscription v3")
    func describeGroupsCooperative() throws {
        let r = try response(DescribeGroupsResponse.self, "kfake_DescribeGroups_v5_cg2_cooperative.json")
        let g = try #require(r.groups.first)
        #expect(g.groupID == "cg2" && g.groupState == "Stable" && g.protocolType == "consumer" && g.protocolData == "cooperative-sticky")
        let byID = Dictionary(uniqueKeysWithValues: g.members.map { ($0.clientID, $0) })
        let co1 = try #require(byID["co1"]), co2 = try #require(byID["co2"])
        let s1 = try ConsumerProtocolSubscription.decodeVersionPrefixed(co1.memberMetadata)
        let s2 = try ConsumerProtocolSubscription.decodeVersionPrefixed(co2.memberMetadata)
        #expect(s1.version == 3 && s2.version == 3)
        #expect(s1.value.topics == ["audit"] && s1.value.generationID == 2 && s1.value.rackID == "")
        #expect(s1.value.ownedPartitions.isEmpty)
        #expect(s2.value.ownedPartitions.map(\.topic) == ["audit"] && s2.value.ownedPartitions.first?.partitions == [2, 3])
        let a1 = try ConsumerProtocolAssignment.decodeVersionPrefixed(co1.memberAssignment)
        let a2 = try ConsumerProtocolAssignment.decodeVersionPrefixed(co2.memberAssignment)
        #expect(a1.version == 0 && a1.value.assignedPartitions.first?.partitions.sorted() == [0, 1])
        #expect(a2.value.assignedPartitions.first?.partitions.sorted() == [2, 3])
    }

    @Test("ApiVersions v3: flexible body, client software name, finalized group.version")
    func apiVersions() throws {
        let req = try request(ApiVersionsRequest.self, "kfake_ApiVersions_v3.json")
        #expect(req.clientSoftwareName == "kgtop-fixture")
        let r = try response(ApiVersionsResponse.self, "kfake_ApiVersions_v3.json")
        #expect(r.errorCode == 0)
        #expect(r.apiKeys.contains { $0.apiKey == 69 })
        #expect(r.finalizedFeatures.contains { $0.name == "group.version" && $0.maxVersionLevel >= 1 })
        #expect(ResponseHeader.version(apiKey: ApiVersionsRequest.apiKey, flexible: true) == 0)
    }

    @Test("FindCoordinator v4 batched: a coordinator for every key, even an unknown group")
    func findCoordinator() throws {
        let r = try response(FindCoordinatorResponse.self, "kfake_FindCoordinator_v4_batched.json")
        #expect(r.coordinators.map(\.key).sorted() == ["cg2", "kg", "nosuch"])
        #expect(r.coordinators.allSatisfy { $0.nodeID == 0 && $0.errorCode == 0 })
    }

    @Test("OffsetFetch v9: null member id, all topics, committed sums")
    func offsetFetch() throws {
        let req = try request(OffsetFetchRequest.self, "kfake_OffsetFetch_v9_kg_cg2.json")
        #expect(req.groups.allSatisfy { $0.memberID == nil && $0.memberEpoch == -1 && $0.topics == nil })
        let r = try response(OffsetFetchResponse.self, "kfake_OffsetFetch_v9_kg_cg2.json")
        let byID = Dictionary(uniqueKeysWithValues: r.groups.map { ($0.groupID, $0) })
        func sum(_ g: OffsetFetchResponse.OffsetFetchResponseGroup?, _ topic: String) -> Int64 {
            g?.topics.filter { $0.name == topic }.flatMap(\.partitions).map(\.committedOffset).reduce(0, +) ?? -1
        }
        #expect(sum(byID["kg"], "orders") == 600)
        #expect(sum(byID["cg2"], "audit") == 400)
    }

    @Test("ListOffsets v8: latest, earliest and max timestamp")
    func listOffsets() throws {
        func offsets(_ file: String) throws -> [String: [Int64]] {
            let r = try response(ListOffsetsResponse.self, file)
            var out: [String: [Int64]] = [:]
            for t in r.topics { out[t.name] = t.partitions.sorted { $0.partitionIndex < $1.partitionIndex }.map(\.offset) }
            return out
        }
        let latest = try offsets("kfake_ListOffsets_v8_latest.json")
        #expect(latest["orders"] == [102, 116, 98, 93, 98, 93])
        #expect(latest["audit"] == [99, 101, 99, 101])
        let earliest = try offsets("kfake_ListOffsets_v8_earliest.json")
        #expect(earliest.values.allSatisfy { $0.allSatisfy { $0 == 0 } })
        let maxTS = try offsets("kfake_ListOffsets_v8_max_timestamp.json")
        #expect(maxTS["orders"] == latest["orders"]?.map { $0 - 1 })
        #expect(maxTS["audit"] == latest["audit"]?.map { $0 - 1 })
        let req = try request(ListOffsetsRequest.self, "kfake_ListOffsets_v8_max_timestamp.json")
        #expect(req.topics.flatMap(\.partitions).allSatisfy { $0.timestamp == -3 })
    }

    @Test("DescribeCluster v1: one broker, endpoint type 1")
    func describeCluster() throws {
        let r = try response(DescribeClusterResponse.self, "kfake_DescribeCluster_v1.json")
        #expect(r.brokers.count == 1)
        #expect(r.endpointType == 1)
    }

    @Test("Tansu answers ConsumerGroupDescribe for a classic group with error 0 and no members")
    func tansuClassic() throws {
        let r = try response(ConsumerGroupDescribeResponse.self, "tansu_ConsumerGroupDescribe_v0_classic_g1.json")
        let g = try #require(r.groups.first)
        #expect(g.errorCode == 0 && g.groupState == "Stable" && g.members.isEmpty)
        #expect(g.groupEpoch == -1 && g.assignmentEpoch == -1)
    }
}

@Suite("Decoder regressions found by fuzzing")
struct FuzzRegressionTests {
    /// The fuzzer found bodies whose unknown tagged fields came out of order (or twice): they decoded,
    /// but re-encoding sorted them, so the bytes and the value changed. Tags must now ascend strictly.
    @Test("tagged fields out of order or repeated are rejected")
    func taggedFieldsMustAscend() throws {
        var good = WireWriter()
        good.writeUnsignedVarint(2)  // empty ListGroups request body at v3: tagged section only
        good.writeUnsignedVarint(5); good.writeUnsignedVarint(1); good.writeInt8(1)
        good.writeUnsignedVarint(7); good.writeUnsignedVarint(1); good.writeInt8(2)
        let decoded = try ListGroupsRequest.decode(good.bytes, version: 3)
        #expect(decoded.unknownTaggedFields.map(\.tag) == [5, 7])
        #expect(try decoded.encoded(version: 3) == good.bytes)

        for tags: [UInt32] in [[7, 5], [5, 5]] {
            var bad = WireWriter()
            bad.writeUnsignedVarint(2)
            for t in tags { bad.writeUnsignedVarint(t); bad.writeUnsignedVarint(1); bad.writeInt8(0) }
            #expect(throws: WireError.self) { try ListGroupsRequest.decode(bad.bytes, version: 3) }
        }
    }
}

import GroupModel
import KafkaProtocol
import KafkaWire
import SeededRandom
import Testing
@testable import KafkaAdmin

/// What the poller made of the generated ConsumerGroupDescribe and DescribeGroups answers before
/// the admin client read them flat (the conversion rules as they were in the monitor), kept here
/// as the reference the flat readers are held to.
enum ReferenceDescribeConversion {
    static func itemError(code: Int16, message: String?) -> ItemError? {
        guard code != 0 else { return nil }
        return ItemError(code: code, name: KafkaErrorCode(code).name, message: message)
    }

    static func sortedIfNeeded(_ list: [TopicPartition]) -> [TopicPartition] {
        var i = 1
        while i < list.count {
            if list[i] < list[i - 1] { return list.sorted() }
            i += 1
        }
        return list
    }

    static func partitions(_ a: ConsumerGroupDescribeResponse.Assignment, topicNames: [KafkaUUID: String]) -> [TopicPartition] {
        var out: [TopicPartition] = []
        for tp in a.topicPartitions {
            let name = !tp.topicName.isEmpty ? tp.topicName : (topicNames[tp.topicID] ?? tp.topicID.description)
            for p in tp.partitions { out.append(TopicPartition(topic: name, partition: p)) }
        }
        return sortedIfNeeded(out)
    }

    static func consumerGroup(
        _ g: ConsumerGroupDescribeResponse.DescribedGroup, apiVersion: Int16, topicNames: [KafkaUUID: String]
    ) -> DescribedConsumerGroupInput {
        let members = g.members.map { m in
            DescribedConsumerGroupInput.Member(
                memberID: m.memberID, instanceID: m.instanceID, rackID: m.rackID, memberEpoch: m.memberEpoch,
                clientID: m.clientID, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames,
                subscribedTopicRegex: m.subscribedTopicRegex,
                assignment: partitions(m.assignment, topicNames: topicNames),
                targetAssignment: partitions(m.targetAssignment, topicNames: topicNames),
                memberType: apiVersion >= 1 ? MemberType(wireValue: m.memberType) : .consumer)
        }
        return DescribedConsumerGroupInput(
            groupID: g.groupID, error: itemError(code: g.errorCode, message: g.errorMessage),
            state: GroupState(brokerString: g.groupState), groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch,
            assignor: g.assignorName, members: members)
    }

    static func partitions<Entry>(_ list: [Entry], _ topic: (Entry) -> String, _ parts: (Entry) -> [Int32]) -> [TopicPartition] {
        var out: [TopicPartition] = []
        for entry in list {
            for p in parts(entry) { out.append(TopicPartition(topic: topic(entry), partition: p)) }
        }
        return sortedIfNeeded(out)
    }

    static func classicGroup(_ g: DescribeGroupsResponse.DescribedGroup) -> DescribedClassicGroupInput {
        let decodable = g.protocolType == "consumer" || g.protocolType.isEmpty
        let members = g.members.map { m -> DescribedClassicGroupInput.Member in
            var subscription: DescribedClassicGroupInput.Subscription?
            var assignment: [TopicPartition]?
            if decodable, !m.memberMetadata.isEmpty,
               let (s, version) = try? ConsumerProtocolSubscription.decodeVersionPrefixed(m.memberMetadata)
            {
                subscription = DescribedClassicGroupInput.Subscription(
                    topics: s.topics,
                    ownedPartitions: version >= 1 ? partitions(s.ownedPartitions, { $0.topic }, { $0.partitions }) : nil,
                    generationID: version >= 2 && s.generationID >= 0 ? s.generationID : nil,
                    rackID: version >= 3 ? s.rackID : nil)
            }
            if decodable, !m.memberAssignment.isEmpty,
               let (a, _) = try? ConsumerProtocolAssignment.decodeVersionPrefixed(m.memberAssignment)
            {
                assignment = partitions(a.assignedPartitions, { $0.topic }, { $0.partitions })
            }
            return DescribedClassicGroupInput.Member(
                memberID: m.memberID, instanceID: m.groupInstanceID, clientID: m.clientID,
                clientHost: m.clientHost, subscription: subscription, assignment: assignment)
        }
        return DescribedClassicGroupInput(
            groupID: g.groupID, error: itemError(code: g.errorCode, message: g.errorMessage),
            state: GroupState(brokerString: g.groupState), protocolType: g.protocolType,
            protocolName: g.protocolData, members: members)
    }
}

/// The flat ConsumerGroupDescribe and DescribeGroups readers against the generated decoders
/// followed by the reference conversion, on random answers at every version the admin client asks:
/// the same values, and the same error wherever the generated decoder fails.
@Suite("FlatGroupDescriptions")
struct FlatGroupDescriptionsTests {
    /// Topics Metadata knows (some with ids), and ids it does not.
    static let known: [(name: String, id: KafkaUUID)] = [
        ("orders", KafkaUUID(high: 1, low: 1)), ("scale-topic-1234", KafkaUUID(high: 2, low: 7)),
        ("a-very-long-topic-name-beyond-the-small-string-limit", KafkaUUID(high: 3, low: 3)),
        ("évènements", KafkaUUID(high: 4, low: 9)), ("no-id-topic", .zero),
    ]
    static let unknownIDs = [KafkaUUID(high: 99, low: 1), KafkaUUID(high: 0, low: 0), KafkaUUID(high: 7, low: 0xFFFF)]

    static let metadata = ReferenceMetadataConversion.cluster(
        MetadataResponse(topics: known.map { .init(name: $0.name, topicID: $0.id) }), version: 12)
    static let topicNames = MetadataTopicNames(metadata)

    static func pick<T>(_ rng: inout SplitMix64, _ pool: [T]) -> T { pool[rng.below(pool.count)] }

    static func tags(_ rng: inout SplitMix64, _ on: Bool) -> [RawTaggedField] {
        guard on, rng.below(3) == 0 else { return [] }
        return [RawTaggedField(tag: UInt32(rng.below(5)), data: rng.bytes(rng.below(4)))]
    }

    static func topicName(_ rng: inout SplitMix64) -> String {
        rng.below(5) == 0 ? pick(&rng, ["unlisted", "t", "unlisted-topic-with-a-longer-name"]) : known[rng.below(known.count)].name
    }

    static func partitionList(_ rng: inout SplitMix64) -> [Int32] {
        var list = (0..<rng.below(5)).map { Int32($0) }
        if rng.below(3) == 0 { list.shuffle(using: &rng) }
        if rng.below(6) == 0 { list = list.map { $0 + Int32(rng.below(3)) - 1 } }
        return list
    }

    // MARK: ConsumerGroupDescribe

    static func assignment(_ rng: inout SplitMix64, tagged: Bool) -> ConsumerGroupDescribeResponse.Assignment {
        let topics = (0..<rng.below(4)).map { _ -> ConsumerGroupDescribeResponse.TopicPartitions in
            let k = known[rng.below(known.count)]
            let (id, name): (KafkaUUID, String)
            switch rng.below(6) {
            case 0: (id, name) = (k.id, "")  // resolved through Metadata (or the id's text for a zero id)
            case 1: (id, name) = (pick(&rng, unknownIDs), "")  // unknown: the id's text
            case 2: (id, name) = (k.id, topicName(&rng))  // a name other than Metadata's for the id, at times
            default: (id, name) = (k.id, k.name)
            }
            return .init(topicID: id, topicName: name, partitions: partitionList(&rng), unknownTaggedFields: tags(&rng, tagged))
        }
        return .init(topicPartitions: topics, unknownTaggedFields: tags(&rng, tagged))
    }

    static func consumerAnswer(_ rng: inout SplitMix64, tagged: Bool) -> ConsumerGroupDescribeResponse {
        let groups = (0..<rng.below(5)).map { g -> ConsumerGroupDescribeResponse.DescribedGroup in
            let code: Int16 = pick(&rng, [0, 0, 0, 69, 16, 15])
            var lastSubscription = [topicName(&rng)]
            let members = (0..<rng.below(5)).map { _ -> ConsumerGroupDescribeResponse.Member in
                if rng.below(3) == 0 { lastSubscription = (0..<rng.below(3)).map { _ in topicName(&rng) } }
                let a = assignment(&rng, tagged: tagged)
                return .init(
                    memberID: "member-\(rng.below(100))-\(g)", instanceID: pick(&rng, [nil, "", "pod-1"]),
                    rackID: pick(&rng, [nil, "rack-a"]), memberEpoch: Int32(rng.below(10)) - 1,
                    clientID: pick(&rng, ["scale", "", "client-with-a-long-name-0001"]), clientHost: pick(&rng, ["/10.0.0.1", "/h"]),
                    subscribedTopicNames: lastSubscription, subscribedTopicRegex: pick(&rng, [nil, nil, "orders.*", ""]),
                    assignment: a, targetAssignment: rng.below(2) == 0 ? a : assignment(&rng, tagged: tagged),
                    memberType: pick(&rng, [-1, 0, 1, 5]), unknownTaggedFields: tags(&rng, tagged))
            }
            return .init(
                errorCode: code, errorMessage: pick(&rng, [nil, "", "Group is not a consumer group."]),
                groupID: "group-\(g)", groupState: pick(&rng, ["Stable", "Reconciling", "Assigning", "Empty", "Dead", "weird"]),
                groupEpoch: Int32(rng.below(20)) - 2, assignmentEpoch: Int32(rng.below(20)) - 2,
                assignorName: pick(&rng, ["uniform", "range", ""]), members: code == 0 || rng.below(2) == 0 ? members : [],
                authorizedOperations: Int32(rng.below(3)) - 1, unknownTaggedFields: tags(&rng, tagged))
        }
        return ConsumerGroupDescribeResponse(throttleTimeMs: Int32(rng.below(50)), groups: groups, unknownTaggedFields: tags(&rng, tagged))
    }

    static func consumerReference(_ bytes: [UInt8], version: Int16) -> Result<FlatConsumerGroupDescribeResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            let g = try ConsumerGroupDescribeResponse(from: &r, version: version)
            return FlatConsumerGroupDescribeResponse(
                throttleTimeMs: g.throttleTimeMs,
                groups: g.groups.map {
                    ReferenceDescribeConversion.consumerGroup($0, apiVersion: version, topicNames: topicNames.byID)
                })
        }
    }

    /// The ids the random answers use, in their order (a few answers list others or fewer).
    static let asked = AskedIDs(ids: (0..<4).map { "group-\($0)" })
    static let askedClassic = AskedIDs(ids: (0..<4).map { "classic-\($0)" })

    static func consumerFlat(_ bytes: [UInt8], version: Int16, asked: AskedIDs = AskedIDs()) -> Result<FlatConsumerGroupDescribeResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            return try FlatConsumerGroupDescribeResponse(from: &r, version: version, topicNames: topicNames, askedIDs: asked)
        }
    }

    @Test("ConsumerGroupDescribe: the flat answer reads what the generated answer converts to, v0 and v1")
    func consumerValues() throws {
        var rng = SplitMix64(seed: 17)
        var members = 0
        for version in ConsumerGroupDescribeResponse.validVersions {
            for trial in 0..<200 {
                let answer = Self.consumerAnswer(&rng, tagged: trial % 2 == 1)
                let bytes = try answer.encoded(version: version)
                let flat = try Self.consumerFlat(bytes, version: version).get()
                #expect(flat == (try Self.consumerReference(bytes, version: version).get()), "version \(version), trial \(trial)")
                #expect(try Self.consumerFlat(bytes, version: version, asked: Self.asked).get() == flat)
                members += flat.groups.reduce(0) { $0 + $1.members.count }
                // Without Metadata's names: names as sent, an empty one as the id's text.
                let bare = try FlatConsumerGroupDescribeResponse.decode(bytes, version: version)
                let generated = try ConsumerGroupDescribeResponse.decode(bytes, version: version)
                #expect(bare.groups == generated.groups.map {
                    ReferenceDescribeConversion.consumerGroup($0, apiVersion: version, topicNames: [:])
                })
                // Written back, the flat answer reads as the same values.
                #expect(try FlatConsumerGroupDescribeResponse.decode(flat.encoded(version: version), version: version) == flat)
            }
        }
        #expect(members > 500)
    }

    @Test("ConsumerGroupDescribe: the same error as the generated decoder on every truncation and on damaged bytes")
    func consumerErrors() throws {
        var rng = SplitMix64(seed: 23)
        for version in ConsumerGroupDescribeResponse.validVersions {
            for trial in 0..<6 {
                let bytes = try Self.consumerAnswer(&rng, tagged: trial % 2 == 0).encoded(version: version)
                for cut in 0..<bytes.count {
                    let prefix = Array(bytes[..<cut])
                    let reference = Self.consumerReference(prefix, version: version)
                    #expect(Self.consumerFlat(prefix, version: version) == reference, "version \(version), cut at \(cut)")
                    #expect(Self.consumerFlat(prefix, version: version, asked: Self.asked) == reference, "version \(version), cut at \(cut)")
                }
                for _ in 0..<300 where !bytes.isEmpty {
                    var damaged = bytes
                    for _ in 0...rng.below(2) { damaged[rng.below(damaged.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                    let reference = Self.consumerReference(damaged, version: version)
                    #expect(Self.consumerFlat(damaged, version: version) == reference)
                    #expect(Self.consumerFlat(damaged, version: version, asked: Self.asked) == reference)
                }
            }
        }
        #expect(Self.consumerFlat([0, 0, 0, 0, 1, 0], version: 2) == .failure(.unsupportedVersion(api: "ConsumerGroupDescribeResponse", version: 2)))
    }

    // MARK: DescribeGroups

    /// Member metadata: a subscription at every version, newer versions with trailing fields, and
    /// bytes that do not read as one.
    static func memberMetadata(_ rng: inout SplitMix64) throws -> [UInt8] {
        let s = ConsumerProtocolSubscription(
            topics: (0..<rng.below(3)).map { _ in topicName(&rng) }, userData: pick(&rng, [nil, [], [1, 2, 3]]),
            ownedPartitions: (0..<rng.below(3)).map { _ in .init(topic: topicName(&rng), partitions: partitionList(&rng)) },
            generationID: Int32(rng.below(6)) - 2, rackID: pick(&rng, [nil, "", "rack-b"]))
        let version = Int16(rng.below(4))
        let valid = try s.encodedVersionPrefixed(version: version)
        switch rng.below(9) {
        case 0: return []
        case 1: return rng.bytes(rng.below(12))  // garbage
        case 2: return Array(valid.dropLast(1 + rng.below(Swift.max(1, valid.count - 1))))  // cut short
        case 3: return valid + [0]  // a trailing byte at a known version
        case 4:  // a newer version: read as the newest, its extra fields ignored
            var newer = try s.encodedVersionPrefixed(version: 3) + rng.bytes(rng.below(5))
            newer[1] = UInt8(4 + rng.below(4))
            return newer
        case 5: return [0xFF, 0xFF] + Array(valid.dropFirst(2))  // a negative version
        default: return valid
        }
    }

    static func memberAssignment(_ rng: inout SplitMix64) throws -> [UInt8] {
        let a = ConsumerProtocolAssignment(
            assignedPartitions: (0..<rng.below(4)).map { _ in .init(topic: topicName(&rng), partitions: partitionList(&rng)) },
            userData: pick(&rng, [nil, [], [9]]))
        let valid = try a.encodedVersionPrefixed(version: Int16(rng.below(4)))
        switch rng.below(9) {
        case 0: return []
        case 1: return rng.bytes(rng.below(10))
        case 2: return Array(valid.dropLast(1 + rng.below(Swift.max(1, valid.count - 1))))
        case 3: return valid + [0, 0]
        case 4:
            var newer = valid + rng.bytes(rng.below(4))
            newer[1] = UInt8(4 + rng.below(4))
            return newer
        case 5: return [0x80, 0x00] + Array(valid.dropFirst(2))
        default: return valid
        }
    }

    static func classicAnswer(_ rng: inout SplitMix64, version: Int16, tagged: Bool) throws -> DescribeGroupsResponse {
        let groups = try (0..<rng.below(5)).map { g -> DescribeGroupsResponse.DescribedGroup in
            let code: Int16 = pick(&rng, [0, 0, 0, 16, 15, 69])
            let members = try (0..<rng.below(5)).map { _ -> DescribeGroupsResponse.DescribedGroupMember in
                .init(
                    memberID: "consumer-\(rng.below(100))-\(g)", groupInstanceID: version >= 4 ? pick(&rng, [nil, "", "pod-2"]) : nil,
                    clientID: pick(&rng, ["scale", "", "client-with-a-long-name-0001"]), clientHost: pick(&rng, ["/10.0.0.2", "/h"]),
                    memberMetadata: try memberMetadata(&rng), memberAssignment: try memberAssignment(&rng),
                    unknownTaggedFields: tags(&rng, tagged))
            }
            return .init(
                errorCode: code, errorMessage: version >= 6 ? pick(&rng, [nil, "", "not the coordinator"]) : nil,
                groupID: "classic-\(g)", groupState: pick(&rng, ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead", "dead"]),
                protocolType: pick(&rng, ["consumer", "consumer", "", "connect"]), protocolData: pick(&rng, ["range", "cooperative-sticky", ""]),
                members: members, authorizedOperations: version >= 3 ? Int32(rng.below(3)) - 1 : Int32.min,
                unknownTaggedFields: tags(&rng, tagged))
        }
        return DescribeGroupsResponse(
            throttleTimeMs: version >= 1 ? Int32(rng.below(50)) : 0, groups: groups, unknownTaggedFields: tags(&rng, tagged))
    }

    static func classicReference(_ bytes: [UInt8], version: Int16) -> Result<FlatDescribeGroupsResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            let g = try DescribeGroupsResponse(from: &r, version: version)
            return FlatDescribeGroupsResponse(throttleTimeMs: g.throttleTimeMs, groups: g.groups.map(ReferenceDescribeConversion.classicGroup))
        }
    }

    static func classicFlat(_ bytes: [UInt8], version: Int16, asked: AskedIDs = AskedIDs()) -> Result<FlatDescribeGroupsResponse, WireError> {
        Result { () throws(WireError) in
            var r = WireReader(bytes)
            return try FlatDescribeGroupsResponse(from: &r, version: version, topicNames: topicNames, askedIDs: asked)
        }
    }

    @Test("DescribeGroups: the flat answer reads what the generated answer converts to, v0-6, with every kind of member bytes")
    func classicValues() throws {
        var rng = SplitMix64(seed: 5)
        var subscriptions = 0, unknown = 0
        for version in DescribeGroupsResponse.validVersions {
            for trial in 0..<150 {
                let tagged = DescribeGroupsResponse.isFlexible(version) && trial % 2 == 1
                let bytes = try Self.classicAnswer(&rng, version: version, tagged: tagged).encoded(version: version)
                let flat = try Self.classicFlat(bytes, version: version).get()
                #expect(flat == (try Self.classicReference(bytes, version: version).get()), "version \(version), trial \(trial)")
                #expect(try Self.classicFlat(bytes, version: version, asked: Self.askedClassic).get() == flat)
                #expect(try FlatDescribeGroupsResponse.decode(bytes, version: version) == flat)
                for g in flat.groups {
                    subscriptions += g.members.filter { $0.subscription != nil && $0.assignment != nil }.count
                    unknown += g.members.filter { $0.subscription == nil }.count
                }
            }
        }
        #expect(subscriptions > 200 && unknown > 200)
    }

    @Test("DescribeGroups: the same error as the generated decoder on every truncation and on damaged bytes")
    func classicErrors() throws {
        var rng = SplitMix64(seed: 41)
        for version in DescribeGroupsResponse.validVersions {
            for trial in 0..<3 {
                let bytes = try Self.classicAnswer(&rng, version: version, tagged: trial != 0).encoded(version: version)
                for cut in 0..<bytes.count {
                    let prefix = Array(bytes[..<cut])
                    let reference = Self.classicReference(prefix, version: version)
                    #expect(Self.classicFlat(prefix, version: version) == reference, "version \(version), cut at \(cut)")
                    #expect(Self.classicFlat(prefix, version: version, asked: Self.askedClassic) == reference, "version \(version), cut at \(cut)")
                }
                for _ in 0..<300 where !bytes.isEmpty {
                    var damaged = bytes
                    for _ in 0...rng.below(2) { damaged[rng.below(damaged.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                    let reference = Self.classicReference(damaged, version: version)
                    #expect(Self.classicFlat(damaged, version: version) == reference)
                    #expect(Self.classicFlat(damaged, version: version, asked: Self.askedClassic) == reference)
                }
            }
        }
        #expect(Self.classicFlat([0, 0, 0, 0], version: 7) == .failure(.unsupportedVersion(api: "DescribeGroupsResponse", version: 7)))
    }

    @Test("topic names come out as Metadata's names; the requests are the generated requests' bytes")
    func namesAndRequests() throws {
        #expect(Self.topicNames.interned(String("scale-topic-") + "1234") == "scale-topic-1234")
        #expect(Self.topicNames.interned("unlisted") == "unlisted")
        #expect(Self.topicNames.byID[KafkaUUID(high: 2, low: 7)] == "scale-topic-1234")
        #expect(Self.topicNames.byID.count == 4)
        #expect(MetadataTopicNames(nil).byID.isEmpty)
        let cgd = ConsumerGroupDescribeRequest(groupIDs: ["a", "b"])
        for v in ConsumerGroupDescribeRequest.validVersions {
            #expect(try FlatConsumerGroupDescribeRequest(cgd, topicNames: Self.topicNames).encoded(version: v) == (try cgd.encoded(version: v)))
        }
        let dg = DescribeGroupsRequest(groups: ["a", "b"], includeAuthorizedOperations: false)
        for v in DescribeGroupsRequest.validVersions {
            #expect(try FlatDescribeGroupsRequest(dg, topicNames: Self.topicNames).encoded(version: v) == (try dg.encoded(version: v)))
        }
    }

    /// Whether two strings share one storage (the same string, not merely equal ones).
    static func same(_ a: String, _ b: String) -> Bool {
        unsafeBitCast(a, to: (UInt64, UInt64).self) == unsafeBitCast(b, to: (UInt64, UInt64).self)
    }

    @Test("a group id answered where it was asked is the asked string; elsewhere it is read")
    func askedIDs() throws {
        let ids = ["group-with-a-long-id-0001", "group-with-a-long-id-0002", "group-with-a-long-id-0003"]
        // Fresh strings, as the listed groups' ids are.
        let asked = AskedIDs(ids: ids.map { String(decoding: Array($0.utf8), as: UTF8.self) })
        let consumer = try ConsumerGroupDescribeResponse(groups: [ids[0], ids[2], ids[1]].map { .init(groupID: $0) }).encoded(version: 1)
        let c = try Self.consumerFlat(consumer, version: 1, asked: asked).get()
        #expect(c.groups.map(\.groupID) == [ids[0], ids[2], ids[1]])
        #expect(Self.same(c.groups[0].groupID, asked.ids[0]))
        #expect(!Self.same(c.groups[1].groupID, asked.ids[2]) && !Self.same(c.groups[2].groupID, asked.ids[1]))
        let classic = try DescribeGroupsResponse(groups: ids.map { .init(groupID: $0) }).encoded(version: 5)
        let d = try Self.classicFlat(classic, version: 5, asked: asked).get()
        #expect(d.groups.map(\.groupID) == ids)
        for k in ids.indices { #expect(Self.same(d.groups[k].groupID, asked.ids[k])) }
        // More groups answered than asked: the extra ones are read.
        let fewer = AskedIDs(ids: Array(asked.ids.prefix(1)))
        #expect(try Self.classicFlat(classic, version: 5, asked: fewer).get() == d)
    }

    @Test("skipString moves past equal bytes only, and leaves the reader for readString otherwise")
    func skipString() throws {
        var w = WireWriter(capacity: 32)
        w.writeString("orders", compact: true)
        w.writeString("ordersX", compact: false)
        w.writeNullableString(nil, compact: true)
        var r = WireReader(w.bytes)
        var skipped = r.skipString(compact: true, ifEqualTo: "order")
        #expect(!skipped && r.offset == 0)
        skipped = r.skipString(compact: true, ifEqualTo: "orders")
        #expect(skipped && r.offset == 7)
        skipped = r.skipString(compact: false, ifEqualTo: "orders")
        #expect(!skipped && r.offset == 7)
        #expect(try r.readString(compact: false) == "ordersX")
        skipped = r.skipString(compact: true, ifEqualTo: "")
        #expect(!skipped)
        #expect(throws: WireError.self) { try r.readString(compact: true) }
        var short = WireReader([7, 0x61])
        skipped = short.skipString(compact: true, ifEqualTo: "a")
        #expect(!skipped && short.offset == 0)
    }
}

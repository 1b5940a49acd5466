import Testing
@testable import GroupModel

/// A KIP-848 group `kg` whose members all share one client id and one host, as the pods of a
/// Deployment do.
private func deployment(at seconds: Int64, _ members: [(id: String, host: String, instance: String?)], clientID: String = "order-service") -> ClusterSnapshot {
    let group = Group(
        groupID: "kg", type: .consumer, state: .stable, groupEpoch: 3, assignmentEpoch: 3,
        members: members.map { m in
            GroupMember(memberID: m.id, instanceID: m.instance, clientID: clientID, clientHost: m.host, memberType: .consumer, memberEpoch: 3)
        })
    return Fixtures.snapshot(at: seconds * 1000, groups: [group])
}

private func labels(_ snapshot: ClusterSnapshot) -> [String: String] {
    Dictionary(uniqueKeysWithValues: snapshot.groups[0].members.map { ($0.memberID, $0.label ?? "nil") })
}

@Suite("MemberLabeler")
struct MemberLabelerTests {
    @Test("Members sharing one client id and one host get unique labels from the end of their member ids")
    func sameClientSameHost() {
        var labeler = MemberLabeler()
        var s = deployment(at: 0, [("AAAAQx3a", "/10.0.0.5", nil), ("BBBBZk2p", "/10.0.0.5", nil), ("CCCCr9Tt", "/10.0.0.5", nil)])
        labeler.label(&s)
        #expect(labels(s) == ["AAAAQx3a": "order-service~Qx3a", "BBBBZk2p": "order-service~Zk2p", "CCCCr9Tt": "order-service~r9Tt"])
    }

    @Test("Hosts that differ disambiguate, written without Kafka's slash")
    func hostsDiffer() {
        var labeler = MemberLabeler()
        var s = deployment(at: 0, [("m1", "/10.0.0.5", nil), ("m2", "/10.0.0.6", nil)])
        labeler.label(&s)
        #expect(labels(s) == ["m1": "order-service@10.0.0.5", "m2": "order-service@10.0.0.6"])
        #expect(s.groups[0].members[0].host == "10.0.0.5")
        #expect(MemberLabeler.normalizedHost("pod-7/10.0.0.5") == "pod-7")
        #expect(MemberLabeler.normalizedHost("10.0.0.5") == "10.0.0.5")
    }

    @Test("A unique client id is the label; a static member is named by its instance id")
    func plainAndStatic() {
        var labeler = MemberLabeler()
        var s = deployment(at: 0, [("m1", "/h", "orders-0"), ("m2", "/h", "orders-1")])
        labeler.label(&s)
        #expect(labels(s) == ["m1": "orders-0", "m2": "orders-1"])
        var single = deployment(at: 0, [("m9", "/h", nil)], clientID: "billing")
        var other = MemberLabeler()
        other.label(&single)
        #expect(labels(single) == ["m9": "billing"])
    }

    @Test("A label never changes while the member lives, even when a member with the same client id joins")
    func stableAcrossJoins() {
        var labeler = MemberLabeler()
        var s0 = deployment(at: 0, [("m1-aaaa", "/10.0.0.5", nil)])
        labeler.label(&s0)
        #expect(labels(s0) == ["m1-aaaa": "order-service"])
        var s1 = deployment(at: 2, [("m1-aaaa", "/10.0.0.5", nil), ("m2-bbbb", "/10.0.0.5", nil)])
        labeler.label(&s1)
        #expect(labels(s1) == ["m1-aaaa": "order-service", "m2-bbbb": "order-service~bbbb"])
        // m1 leaves and a replacement joins while m2 lives: it too needs the longer form.
        var s2 = deployment(at: 4, [("m2-bbbb", "/10.0.0.5", nil), ("m3-cccc", "/10.0.0.5", nil)])
        labeler.label(&s2)
        #expect(labels(s2) == ["m2-bbbb": "order-service~bbbb", "m3-cccc": "order-service~cccc"])
        var s3 = deployment(at: 6, [("m2-bbbb", "/10.0.0.5", nil), ("m3-cccc", "/10.0.0.5", nil)])
        labeler.label(&s3)
        #expect(labels(s3) == labels(s2))
    }

    @Test("Suffixes that collide grow until they differ")
    func collidingSuffixes() {
        var labeler = MemberLabeler()
        var s = deployment(at: 0, [("xx11Qx3a", "/h", nil), ("yy22Qx3a", "/h", nil)])
        labeler.label(&s)
        let l = labels(s)
        #expect(Set(l.values).count == 2)
        #expect(l["xx11Qx3a"] == "order-service~Qx3a")
        #expect(l["yy22Qx3a"] == "order-service~22Qx3a")
    }

    @Test("Small groups (searched lists) and large ones (hashed sets) follow the same rules", arguments: [3, MemberLabeler.smallGroup, MemberLabeler.smallGroup + 1, 40])
    func smallAndLargeGroupsAgree(size: Int) throws {
        // All but the last on one host: those share base and host (suffix), the last is alone on
        // its host (host form). Ids end in distinct four-character tails.
        let members = (0..<size).map { i in
            (id: "member-\(i)-" + String(1000 + i), host: i == size - 1 ? "/10.0.0.9" : "/10.0.0.5", instance: String?.none)
        }
        var labeler = MemberLabeler()
        var s = deployment(at: 0, members)
        labeler.label(&s)
        var expected: [String: String] = [:]
        for (i, m) in members.enumerated() {
            expected[m.id] = i == size - 1 ? "order-service@10.0.0.9" : "order-service~" + String(1000 + i)
        }
        #expect(labels(s) == expected)
        // A member joining later with a taken label (from a recording) gets a fresh one.
        var joined = deployment(at: 2, members + [(id: "late-zzzz", host: "/10.0.0.5", instance: nil)])
        let late = try #require(joined.groups[0].members.firstIndex { $0.memberID == "late-zzzz" })
        joined.groups[0].members[late].label = "order-service~1000"
        labeler.label(&joined)
        var after = expected
        after["late-zzzz"] = "order-service~zzzz"
        #expect(labels(joined) == after)
    }

    @Test("A member that arrives labelled (a recorded snapshot) keeps its label when it is free")
    func recordedLabelsAreKept() {
        var first = MemberLabeler()
        var live = deployment(at: 0, [("m1-aaaa", "/h", nil)])
        first.label(&live)
        var joined = deployment(at: 2, [("m1-aaaa", "/h", nil), ("m2-bbbb", "/h", nil)])
        first.label(&joined)
        // A replay that starts at the second poll sees the recorded labels and keeps them.
        var replay = MemberLabeler()
        var recorded = joined
        replay.label(&recorded)
        #expect(labels(recorded) == labels(joined))
    }

    @Test("The poll derivation labels every snapshot and events carry the label")
    func derivationLabels() {
        var derivation = PollDerivation()
        let p0 = derivation.ingest(deployment(at: 0, [("m1-aaaa", "/h", nil), ("m2-bbbb", "/h", nil)]))
        #expect(p0.snapshot.groups[0].members.map(\.label) == ["order-service~aaaa", "order-service~bbbb"])
        let p1 = derivation.ingest(deployment(at: 2, [("m1-aaaa", "/h", nil)]))
        let left = p1.events.first { $0.type == .memberLeft || $0.type == .memberFenced }
        #expect(left?.memberID == "m2-bbbb")
        #expect(left?.label == "order-service~bbbb")
        #expect(p1.snapshot.groups[0].members[0].label == "order-service~aaaa")
    }
}

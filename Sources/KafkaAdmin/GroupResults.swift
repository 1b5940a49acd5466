import GroupModel
import KafkaProtocol
import KafkaWire

// What the group operations of KafkaAdminClient return: listed groups, coordinators, per-group
// batch results, describe targets and descriptions.

/// One group as ListGroups reported it.
public struct ListedGroup: Sendable, Hashable {
    /// The group id.
    public var groupID: String
    /// `ProtocolType`: `consumer`, `connect`, ..., or `""` for a simple (offsets-only) group.
    public var protocolType: String
    /// `GroupState` (ListGroups v4+), nil when the broker's version has none.
    public var state: String?
    /// `GroupType` in lower case (ListGroups v5+): `classic`, `consumer`, `share`, `streams`; nil before v5.
    public var type: String?
    /// The node that listed it (the broker coordinating it).
    public var nodeID: Int32

    /// Creates a value.
    public init(groupID: String, protocolType: String, state: String? = nil, type: String? = nil, nodeID: Int32) {
        self.groupID = groupID
        self.protocolType = protocolType
        self.state = state
        self.type = type
        self.nodeID = nodeID
    }
}

/// ListGroups from every broker: each broker's list or error.
public struct ListGroupsResult: Sendable {
    /// Per broker: the groups it coordinates, or why it could not list them.
    public var brokers: [Int32: Result<[ListedGroup], AdminItemError>]
    /// The ListGroups version used per broker.
    public var versions: [Int32: Int16]
    /// Requests and bytes spent.
    public var stats: RequestStats

    /// Every listed group, sorted by id, each once.
    public var groups: [ListedGroup] {
        let ids = brokers.keys.sorted()
        var lists: [[ListedGroup]] = []
        lists.reserveCapacity(ids.count)
        for id in ids {
            if case let .success(list) = brokers[id]! { lists.append(list) }
        }
        if let merged = Self.mergeSorted(lists) { return merged }
        var seen: [String: ListedGroup] = [:]
        for id in brokers.keys.sorted() {
            if case let .success(list) = brokers[id]! {
                for g in list where seen[g.groupID] == nil { seen[g.groupID] = g }
            }
        }
        return seen.values.sorted { $0.groupID < $1.groupID }
    }

    /// ``groups`` when every list is strictly ascending by id (brokers list their groups in id
    /// order): a merge of the lists, an id listed by several keeping the entry of the first list,
    /// with no id hashed or sorted. Nil when a list is out of order.
    static func mergeSorted(_ lists: [[ListedGroup]]) -> [ListedGroup]? {
        for list in lists {
            var i = 1
            while i < list.count {
                if !(list[i - 1].groupID < list[i].groupID) { return nil }
                i += 1
            }
        }
        if lists.count == 1 { return lists[0] }
        var out: [ListedGroup] = []
        out.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        var heads = [Int](repeating: 0, count: lists.count)
        while true {
            // The smallest id at the heads; on a tie, the first list's entry.
            var best = -1
            for k in lists.indices where heads[k] < lists[k].count {
                if best < 0 || lists[k][heads[k]].groupID < lists[best][heads[best]].groupID { best = k }
            }
            guard best >= 0 else { return out }
            let id = lists[best][heads[best]].groupID
            out.append(lists[best][heads[best]])
            for k in lists.indices where heads[k] < lists[k].count && lists[k][heads[k]].groupID == id { heads[k] += 1 }
        }
    }

    /// The brokers that failed, with their errors.
    public var errors: [Int32: AdminItemError] {
        brokers.compactMapValues { if case let .failure(e) = $0 { return e } else { return nil } }
    }
}

/// Coordinators per group.
public struct CoordinatorsResult: Sendable {
    /// Per group: its coordinator's node id, or why it could not be found.
    public var coordinators: [String: Result<Int32, AdminItemError>]
    /// Requests and bytes spent (zero when every coordinator was cached).
    public var stats: RequestStats
}

/// Per-group results of one batched operation, by position: `results[i]` is the outcome for
/// `ids[i]`. Callers walk the two arrays side by side; no group id is hashed on the way.
public struct PerGroupResult<Value: Sendable>: Sendable {
    /// The groups asked about, sorted by id, each once.
    public var ids: [String]
    /// Per group of ``ids``, by position: the value, or why there is none.
    public var results: [Result<Value, AdminItemError>]
    /// The version used, nil when nothing was sent.
    public var version: Int16?
    /// Requests and bytes spent.
    public var stats: RequestStats

    /// Creates a value; `results` must hold one entry per id.
    public init(ids: [String], results: [Result<Value, AdminItemError>], version: Int16?, stats: RequestStats) {
        precondition(ids.count == results.count, "one result per group")
        self.ids = ids
        self.results = results
        self.version = version
        self.stats = stats
    }

    /// Per group id (built on each call: prefer ``ids`` and ``results`` in loops).
    public var groups: [String: Result<Value, AdminItemError>] {
        Dictionary(zip(ids, results), uniquingKeysWith: { first, _ in first })
    }
}

/// What kgtop knows about a group before describing it (usually from ListGroups).
public struct GroupTarget: Sendable, Hashable {
    /// The group id.
    public var groupID: String
    /// The ListGroups group type (v5+), nil when unknown.
    public var type: String?
    /// The ListGroups protocol type, nil when unknown.
    public var protocolType: String?

    /// Creates a value.
    public init(groupID: String, type: String? = nil, protocolType: String? = nil) {
        self.groupID = groupID
        self.type = type
        self.protocolType = protocolType
    }

    /// The target for a listed group.
    public init(_ listed: ListedGroup) {
        self.init(groupID: listed.groupID, type: listed.type, protocolType: listed.protocolType)
    }
}

/// A described group, from the API that could describe it.
public enum GroupDescription: Sendable, Hashable {
    /// From ConsumerGroupDescribe (KIP-848 and mixed groups), read flat into the model's input.
    case consumer(DescribedConsumerGroupInput, apiVersion: Int16)
    /// From DescribeGroups (classic groups), read flat into the model's input.
    case classic(DescribedClassicGroupInput, apiVersion: Int16)
    /// From ShareGroupDescribe (share groups).
    case share(ShareGroupDescribeResponse.DescribedGroup, apiVersion: Int16)
    /// From StreamsGroupDescribe (streams groups).
    case streams(StreamsGroupDescribeResponse.DescribedGroup, apiVersion: Int16)

    /// The group id.
    public var groupID: String {
        switch self {
        case let .consumer(g, _): return g.groupID
        case let .classic(g, _): return g.groupID
        case let .share(g, _): return g.groupID
        case let .streams(g, _): return g.groupID
        }
    }
}

/// One group's description, or why there is none, with its coordinator.
public struct GroupDescriptionResult: Sendable {
    /// The coordinator asked, nil when none was found.
    public var coordinatorID: Int32?
    /// The description or the error.
    public var result: Result<GroupDescription, AdminItemError>

    /// Creates a value.
    public init(coordinatorID: Int32?, result: Result<GroupDescription, AdminItemError>) {
        self.coordinatorID = coordinatorID
        self.result = result
    }
}

/// Descriptions of many groups, by position: `results[i]` describes `ids[i]`.
public struct DescribeGroupsResult: Sendable {
    /// The groups asked about, each once: in the order asked when that order was ascending by id
    /// without repeats (what the poller passes), sorted by id otherwise.
    public var ids: [String]
    /// Per group of ``ids``, by position.
    public var results: [GroupDescriptionResult]
    /// Requests and bytes spent (FindCoordinator included).
    public var stats: RequestStats

    /// Per group id (built on each call: prefer ``ids`` and ``results`` in loops).
    public var groups: [String: GroupDescriptionResult] {
        Dictionary(zip(ids, results), uniquingKeysWith: { first, _ in first })
    }
}

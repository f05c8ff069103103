/// The scheduler's working copy of the cluster: the nodes, sorted by ID, and what changes as tasks are placed (free
/// resources, task counts, ports in use) kept in arrays indexed by node, so the hot path allocates nothing.
struct NodeTable: Sendable {
    static let rankBits: UInt64 = 24
    static let countBits: UInt64 = 20
    static let countLimit: UInt64 = (1 << countBits) - 1
    static let rankMask: UInt64 = (1 << rankBits) - 1

    let nodes: [SchedulableNode]
    /// `nodeOfRank[rank]` is the node at that place in the shuffled order.
    let nodeOfRank: [Int32]
    /// The node's tasks in all (high bits) and its place in the shuffled order (low `rankBits`): the tail of its
    /// ranking key.
    private(set) var load: [UInt64]
    private(set) var freeCPU: [Int64]
    private(set) var freeMemory: [Int64]
    /// Generic resource kinds some node has, numbered.
    let genericKinds: [String: Int]
    /// Counted units left, at `node * genericKinds.count + kind`.
    private(set) var freeDiscrete: [Int64]
    /// Named units left (sorted), at `node * genericKinds.count + kind`.
    private(set) var freeNamed: [[String]]
    /// Host ports in use, as `portKey(node:port:)`.
    private(set) var usedPorts: Set<UInt64>

    init(nodes unsorted: [SchedulableNode], seed: UInt64) {
        nodes = unsorted.sorted { $0.id < $1.id }
        precondition(UInt64(nodes.count) <= Self.rankMask, "too many nodes")
        var random = SeededRandom(seed: seed)
        let order = random.permutation(of: nodes.count)
        nodeOfRank = order.map { Int32($0) }
        var rank = [Int](repeating: 0, count: nodes.count)
        for (place, node) in order.enumerated() { rank[node] = place }

        var kinds: Set<String> = []
        for node in nodes {
            kinds.formUnion(node.resources.discrete.keys)
            kinds.formUnion(node.resources.named.keys)
        }
        genericKinds = Dictionary(uniqueKeysWithValues: kinds.sorted().enumerated().map { ($1, $0) })
        load = []
        freeCPU = []
        freeMemory = []
        freeDiscrete = []
        freeNamed = []
        usedPorts = []
        for (index, node) in nodes.enumerated() {
            let committed = node.committed
            load.append(Self.load(tasks: committed.taskCount, rank: rank[index]))
            freeCPU.append(node.resources.nanoCPUs - committed.reserved.nanoCPUs)
            freeMemory.append(node.resources.memoryBytes - committed.reserved.memoryBytes)
            for kind in kinds.sorted() {
                freeDiscrete.append(
                    (node.resources.discrete[kind] ?? 0) - (committed.reserved.discrete[kind] ?? 0))
                let held = committed.reserved.named[kind] ?? []
                freeNamed.append((node.resources.named[kind] ?? []).subtracting(held).sorted())
            }
            for port in committed.hostPorts {
                usedPorts.insert(Self.portKey(node: Int32(index), port: Self.portCode(port)))
            }
        }
    }

    var count: Int { nodes.count }

    /// The ranking key of `node` when it has `serviceTasks` tasks of the service being placed: smaller is better.
    @inline(__always)
    func key(_ node: Int32, serviceTasks: Int32) -> UInt64 {
        UInt64(min(UInt64(serviceTasks), Self.countLimit)) << (Self.countBits + Self.rankBits) | load[Int(node)]
    }

    @inline(__always)
    func node(ofKey key: UInt64) -> Int32 {
        nodeOfRank[Int(key & Self.rankMask)]
    }

    /// Whether `node` passes the filters that change as tasks are placed: resources, host ports, max replicas.
    @inline(__always)
    func passesDynamicFilters(_ node: Int32, _ demand: Demand, serviceTasks: Int32) -> Bool {
        if demand.maxReplicas > 0, serviceTasks >= demand.maxReplicas { return false }
        if demand.checksResources, !hasResources(node, demand) { return false }
        if !demand.ports.isEmpty, hasPortConflict(node, demand) { return false }
        return true
    }

    func hasResources(_ node: Int32, _ demand: Demand) -> Bool {
        let index = Int(node)
        if demand.impossible || freeCPU[index] < demand.nanoCPUs || freeMemory[index] < demand.memoryBytes {
            return false
        }
        let base = index * genericKinds.count
        for (kind, units, _) in demand.generic
        where freeDiscrete[base + kind] + Int64(freeNamed[base + kind].count) < units {
            return false
        }
        return true
    }

    func hasPortConflict(_ node: Int32, _ demand: Demand) -> Bool {
        demand.ports.contains { usedPorts.contains(Self.portKey(node: node, port: $0)) }
    }

    /// Gives `node` one task of `demand`; returns the named generic units it took, by kind.
    mutating func place(_ node: Int32, _ demand: Demand) -> [String: [String]] {
        let index = Int(node)
        let tasks = min(load[index] >> Self.rankBits + 1, Self.countLimit)
        load[index] = tasks << Self.rankBits | load[index] & Self.rankMask
        for port in demand.ports {
            usedPorts.insert(Self.portKey(node: node, port: port))
        }
        guard demand.checksResources else { return [:] }
        freeCPU[index] -= demand.nanoCPUs
        freeMemory[index] -= demand.memoryBytes
        var named: [String: [String]] = [:]
        let base = index * genericKinds.count
        for (kind, units, name) in demand.generic {
            let counted = min(units, max(freeDiscrete[base + kind], 0))
            freeDiscrete[base + kind] -= counted
            let names = freeNamed[base + kind].prefix(Int(units - counted))
            if !names.isEmpty {
                named[name] = Array(names)
                freeNamed[base + kind].removeFirst(names.count)
            }
        }
        return named
    }

    /// The first dynamic filter `node` fails, for explanations.
    func firstDynamicFailure(_ node: Int32, _ demand: Demand, serviceTasks: Int32) -> SchedulingFilter? {
        if demand.checksResources, !hasResources(node, demand) { return .resources }
        if !demand.ports.isEmpty, hasPortConflict(node, demand) { return .hostPorts }
        if demand.maxReplicas > 0, serviceTasks >= demand.maxReplicas { return .maxReplicas }
        return nil
    }

    private static func load(tasks: Int, rank: Int) -> UInt64 {
        min(UInt64(max(tasks, 0)), countLimit) << rankBits | UInt64(rank)
    }

    static func portCode(_ port: HostPort) -> UInt32 {
        let transport: UInt32 =
            switch port.transport {
            case .tcp: 0
            case .udp: 1
            case .sctp: 2
            }
        return transport << 16 | UInt32(port.port)
    }

    @inline(__always)
    static func portKey(node: Int32, port: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 32 | UInt64(port)
    }
}

/// A task request's demands on a node, compiled once per request against the table's numbering.
struct Demand: Sendable {
    var nanoCPUs: Int64 = 0
    var memoryBytes: Int64 = 0
    /// (kind number, units > 0, kind name).
    var generic: [(Int, Int64, String)] = []
    /// A generic kind no node has was asked for.
    var impossible = false
    var checksResources = false
    var ports: [UInt32] = []
    var maxReplicas: Int32 = 0

    init(_ request: TaskRequest, table: NodeTable) {
        let reservations = request.reservations
        checksResources = !reservations.isEmpty
        nanoCPUs = max(reservations.nanoCPUs, 0)
        memoryBytes = max(reservations.memoryBytes, 0)
        for (name, units) in reservations.generic.sorted(by: { $0.key < $1.key }) where units > 0 {
            if let kind = table.genericKinds[name] {
                generic.append((kind, units, name))
            } else {
                impossible = true
            }
        }
        if !request.hostPorts.isEmpty {
            ports = Array(Set(request.hostPorts.map(NodeTable.portCode))).sorted()
        }
        maxReplicas = Int32(clamping: max(request.maxReplicasPerNode, 0))
    }

    /// Whether any filter that changes as tasks are placed applies.
    var isDynamic: Bool { checksResources || !ports.isEmpty || maxReplicas > 0 }
}

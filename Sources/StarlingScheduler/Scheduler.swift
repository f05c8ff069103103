/// Places tasks on nodes. Pure: it starts from a snapshot of the nodes (with what their tasks already hold), takes
/// task requests one batch at a time, and builds a `SchedulingPlan`; it never reads or writes the store and needs no
/// clock. Given the same nodes, requests and seed it makes the same plan.
///
/// For each request the filters run in order (`SchedulingFilter`: ready and active, runtime, resources,
/// constraints, platform, host-mode ports, max replicas per node), then the nodes that pass are ranked: the tree of
/// spread preferences first, then fewest tasks of this service on the node, then fewest tasks in all, then the node
/// order shuffled with `seed`. The tasks of a request are placed one after the other, each updating the counts,
/// resources and ports the next one sees, so a batch spreads. Tasks no node can take are left pending with
/// SwarmKit's explanation, e.g. `no suitable node (insufficient resources on 2 nodes; scheduling constraints not
/// satisfied on 1 node)`.
///
///     var scheduler = Scheduler(nodes: nodes, seed: seed)
///     for request in requests { scheduler.schedule(request) }
///     apply(scheduler.plan)
public struct Scheduler: Sendable {
    /// What the scheduler decided so far.
    public private(set) var plan: SchedulingPlan
    var table: NodeTable
    private var eligibility: [StaticEligibility.Key: StaticEligibility] = [:]
    private var lastEligibility: (key: StaticEligibility.Key, value: StaticEligibility)?
    private var spreadValues: [SpreadDescriptor: SpreadValues] = [:]
    /// Tasks per node of each service, sparse (most services run on few nodes).
    private var serviceLoads: [String: ServiceLoad] = [:]
    /// Tasks per node of the service being placed, dense; zero outside a batch.
    private var serviceTasks: [Int32]
    /// The nodes where `serviceTasks` is not zero.
    private var touched: [Int32] = []

    /// Starts from `nodes` (any order: they are sorted by ID before the seeded shuffle, so the plan does not depend
    /// on the order a store returned them in).
    public init(nodes: [SchedulableNode], seed: UInt64) {
        plan = SchedulingPlan(seed: seed)
        table = NodeTable(nodes: nodes, seed: seed)
        serviceTasks = [Int32](repeating: 0, count: table.count)
        var loads: [String: ServiceLoad] = [:]
        for (index, node) in table.nodes.enumerated() {
            for (service, count) in node.committed.tasksByService where count > 0 {
                loads[service, default: ServiceLoad()].entries.append((Int32(index), Int32(clamping: count)))
            }
        }
        serviceLoads = loads
    }

    /// The plan for `requests`, placed in the given order, on `nodes`.
    public static func plan(for requests: [TaskRequest], on nodes: [SchedulableNode], seed: UInt64) -> SchedulingPlan {
        var scheduler = Scheduler(nodes: nodes, seed: seed)
        for request in requests { scheduler.schedule(request) }
        return scheduler.plan
    }

    /// Places the tasks of `request` as one batch and adds the outcome to `plan`; returns how many were placed.
    @discardableResult
    public mutating func schedule(_ request: TaskRequest) -> Int {
        guard !request.taskIDs.isEmpty else { return 0 }
        let eligible = staticEligibility(for: request)
        if let error = eligible.error {
            plan.unplaced.append(
                UnplacedTasks(serviceID: request.serviceID, taskIDs: request.taskIDs, explanation: error))
            return 0
        }
        let demand = Demand(request, table: table)
        beginService(request.serviceID)
        defer { endService(request.serviceID) }
        var levels: [SpreadValues] = []
        for descriptor in request.spread {
            if let descriptor = SpreadDescriptor(descriptor) { levels.append(spreadValues(for: descriptor)) }
        }
        var placed = 0
        // One task, and no spread to keep (no preferences, or no task of the service anywhere, so every branch is
        // at zero and the tree would choose the best node anyway): one pass instead of a tree.
        if request.taskIDs.count == 1 && (levels.isEmpty || touched.isEmpty) {
            if let node = bestNode(eligible.passing, demand) {
                assign(request.taskIDs[0], of: request, to: node, demand)
                placed = 1
            }
        } else {
            placed = placeBatch(request, eligible, demand, levels)
        }
        if placed < request.taskIDs.count {
            plan.unplaced.append(
                UnplacedTasks(
                    serviceID: request.serviceID, taskIDs: Array(request.taskIDs[placed...]),
                    explanation: explain(eligible, demand)))
        }
        return placed
    }

    /// Places every request in order.
    public mutating func schedule(_ requests: [TaskRequest]) {
        for request in requests { schedule(request) }
    }

    // MARK: - Placement

    /// The best node for a single task without spread to keep: one pass, no heap. The cheap checks (replicas, CPU,
    /// memory, the key) run first; ports and generic resources only for a node that would be the new best.
    private func bestNode(_ candidates: [Int32], _ demand: Demand) -> Int32? {
        let (tasks, load, freeCPU, freeMemory) = (serviceTasks, table.load, table.freeCPU, table.freeMemory)
        let (maxReplicas, checksResources) = (demand.maxReplicas, demand.checksResources)
        let slowChecks = demand.impossible || !demand.generic.isEmpty || !demand.ports.isEmpty
        let serviceShift = NodeTable.countBits + NodeTable.rankBits
        var bestKey = UInt64.max
        if !demand.isDynamic {
            // Nothing but the key to look at: a branch-free minimum over the candidates.
            tasks.withUnsafeBufferPointer { tasks in
                load.withUnsafeBufferPointer { load in
                    for node in candidates {
                        let index = Int(node)
                        bestKey = min(
                            bestKey, min(UInt64(tasks[index]), NodeTable.countLimit) << serviceShift | load[index])
                    }
                }
            }
            return bestKey == .max ? nil : table.node(ofKey: bestKey)
        }
        for node in candidates {
            let index = Int(node)
            let serviceTasks = tasks[index]
            if maxReplicas > 0 && serviceTasks >= maxReplicas { continue }
            if checksResources && (freeCPU[index] < demand.nanoCPUs || freeMemory[index] < demand.memoryBytes) {
                continue
            }
            let key = min(UInt64(serviceTasks), NodeTable.countLimit) << serviceShift | load[index]
            if key >= bestKey { continue }
            if slowChecks && !table.passesDynamicFilters(node, demand, serviceTasks: serviceTasks) { continue }
            bestKey = key
        }
        return bestKey == .max ? nil : table.node(ofKey: bestKey)
    }

    /// Places a batch through the spread tree (a single leaf without preferences); returns how many were placed.
    private mutating func placeBatch(
        _ request: TaskRequest, _ eligible: StaticEligibility, _ demand: Demand, _ levels: [SpreadValues]
    ) -> Int {
        var members = eligible.passing
        if !levels.isEmpty {
            members += touched.filter { eligible.failure($0) != nil }
        }
        var tree = SpreadTree(
            levels: levels, members: members, serviceTasks: { serviceTasks[Int($0)] },
            isCandidate: {
                eligible.passes($0) && table.passesDynamicFilters($0, demand, serviceTasks: serviceTasks[Int($0)])
            },
            key: { table.key($0, serviceTasks: serviceTasks[Int($0)]) })
        var placed = 0
        while placed < request.taskIDs.count {
            let chosen = tree.chooseLeaf { heap in
                // A node that fails a dynamic filter keeps failing for the rest of the batch: placing only takes.
                while let key = heap.top {
                    let node = table.node(ofKey: key)
                    if table.passesDynamicFilters(node, demand, serviceTasks: serviceTasks[Int(node)]) { return key }
                    heap.removeTop()
                }
                return nil
            }
            guard let (leaf, key) = chosen else { break }
            let node = table.node(ofKey: key)
            assign(request.taskIDs[placed], of: request, to: node, demand)
            let newKey = table.key(node, serviceTasks: serviceTasks[Int(node)])
            tree.withHeap(leaf) { $0.replaceTop(with: newKey) }
            tree.countTask(on: leaf)
            placed += 1
        }
        return placed
    }

    private mutating func assign(_ taskID: String, of request: TaskRequest, to node: Int32, _ demand: Demand) {
        let named = table.place(node, demand)
        if serviceTasks[Int(node)] == 0 { touched.append(node) }
        serviceTasks[Int(node)] += 1
        plan.assignments.append(
            TaskAssignment(
                taskID: taskID, serviceID: request.serviceID, nodeID: table.nodes[Int(node)].id,
                namedResources: named))
    }

    // MARK: - Explanations

    /// Counts, for every node the request considers, the first filter it fails, in SwarmKit's words.
    private func explain(_ eligible: StaticEligibility, _ demand: Demand) -> String {
        var rejections: [SchedulingFilter: Int] = [:]
        for node in 0..<Int32(table.count) where eligible.considers(node) {
            let tasks = serviceTasks[Int(node)]
            let staticFailure = eligible.failure(node)
            let failure: SchedulingFilter?
            if let staticFailure, staticFailure < .resources {
                failure = staticFailure
            } else if demand.checksResources, !table.hasResources(node, demand) {
                failure = .resources
            } else {
                failure = staticFailure ?? table.firstDynamicFailure(node, demand, serviceTasks: tasks)
            }
            if let failure { rejections[failure, default: 0] += 1 }
        }
        return SchedulingFilter.explanation(rejections: rejections)
    }

    // MARK: - Caches

    private mutating func staticEligibility(for request: TaskRequest) -> StaticEligibility {
        let key = StaticEligibility.Key(request)
        // Consecutive requests often share their filters (one-off tasks of one kind); comparing is cheaper than
        // hashing.
        if let last = lastEligibility, last.key == key { return last.value }
        let value: StaticEligibility
        if let cached = eligibility[key] {
            value = cached
        } else {
            value = StaticEligibility(key, table: table)
            eligibility[key] = value
        }
        lastEligibility = (key, value)
        return value
    }

    private mutating func spreadValues(for descriptor: SpreadDescriptor) -> SpreadValues {
        if let cached = spreadValues[descriptor] { return cached }
        let computed = SpreadValues(descriptor, table: table)
        spreadValues[descriptor] = computed
        return computed
    }

    /// Spreads the service's sparse counts into `serviceTasks`.
    private mutating func beginService(_ serviceID: String) {
        guard let load = serviceLoads[serviceID] else { return }
        for (node, count) in load.entries {
            serviceTasks[Int(node)] = count
            touched.append(node)
        }
    }

    /// Gathers `serviceTasks` back into the sparse counts and zeroes it.
    private mutating func endService(_ serviceID: String) {
        guard !touched.isEmpty else { return }
        var load = ServiceLoad()
        load.entries.reserveCapacity(touched.count)
        for node in touched {
            load.entries.append((node, serviceTasks[Int(node)]))
            serviceTasks[Int(node)] = 0
        }
        touched.removeAll(keepingCapacity: true)
        serviceLoads[serviceID] = load
    }
}

/// Tasks per node of one service: (node, count) with count > 0.
struct ServiceLoad: Sendable {
    var entries: [(Int32, Int32)] = []
}

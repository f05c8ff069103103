import StarlingModel
import StarlingScheduler

/// A benchmark case: simulated nodes and the task requests to place on them.
struct Workload {
    /// What SwarmKit's scheduler benchmark shape is, or how the tasks are grouped.
    enum Shape: String, CaseIterable {
        /// Every task its own service, no constraint: SwarmKit's plain case.
        case oneOff = "one-off"
        /// Every task its own service, with a constraint only every third node passes: SwarmKit's constraint case.
        case oneOffConstrained = "one-off+constraint"
        /// A hundred services of a thousand replicas each, spread over a zone label, with the same constraint and a
        /// small reservation.
        case grouped = "100x1000+spread"

        var summary: String {
            switch self {
            case .oneOff: "each task its own service, no constraint"
            case .oneOffConstrained: "each task its own service, constraint passed by every third node"
            case .grouped: "services of many replicas, spread over node.labels.zone, same constraint, reservations"
            }
        }
    }

    static let zones = 10

    let shape: Shape
    let nodes: [SchedulableNode]
    let requests: [TaskRequest]
    var taskCount: Int { requests.reduce(0) { $0 + $1.taskIDs.count } }

    /// `nodeCount` ready workers with 8 CPUs and 32 GiB; node `i` has `node.labels.tier=a` when `i` is a multiple of
    /// three (`b` otherwise) and `node.labels.zone=z<k>`, the zones dealt round-robin among the `tier=a` nodes.
    init(_ shape: Shape, nodes nodeCount: Int, tasks: Int, services: Int) {
        self.shape = shape
        nodes = (0..<nodeCount).map { index in
            SchedulableNode(
                id: "node-\(index)", hostname: "host-\(index)",
                platform: TargetPlatform(os: "linux", architecture: "x86_64"),
                labels: ["tier": index % 3 == 0 ? "a" : "b", "zone": "z\((index / 3) % Self.zones)"],
                resources: ResourceAmounts(nanoCPUs: 8_000_000_000, memoryBytes: 32 << 30), runtimes: ["process"])
        }
        switch shape {
        case .oneOff, .oneOffConstrained:
            let constraints = shape == .oneOff ? [] : ["node.labels.tier==a"]
            requests = (0..<tasks).map { index in
                TaskRequest(serviceID: "task-\(index)", taskIDs: ["task-\(index)"], constraints: constraints)
            }
        case .grouped:
            let replicas = max(tasks / max(services, 1), 1)
            requests = (0..<services).map { index in
                TaskRequest(
                    serviceID: "service-\(index)", count: replicas, runtime: "process",
                    reservations: ResourceRequest(nanoCPUs: 10_000_000, memoryBytes: 16 << 20),
                    constraints: ["node.labels.tier==a"], spread: ["node.labels.zone"])
            }
        }
    }

    /// A problem with `plan`, if any: unplaced tasks, a constraint broken, or zones further apart than one task
    /// per service.
    func check(_ plan: SchedulingPlan) -> String? {
        if plan.unplacedCount > 0 {
            return "\(plan.unplacedCount) tasks unplaced: \(plan.unplaced.first?.explanation ?? "")"
        }
        guard shape != .oneOff else { return nil }
        let nodeNumber = { (id: String) in Int(id.dropFirst("node-".count)) ?? -1 }
        if let bad = plan.assignments.first(where: { nodeNumber($0.nodeID) % 3 != 0 }) {
            return "\(bad.taskID) placed on \(bad.nodeID), which fails the constraint"
        }
        guard shape == .grouped else { return nil }
        var perZone: [String: [Int]] = [:]
        for assignment in plan.assignments {
            perZone[assignment.serviceID, default: Array(repeating: 0, count: Self.zones)][
                (nodeNumber(assignment.nodeID) / 3) % Self.zones] += 1
        }
        if let uneven = perZone.first(where: { ($0.value.max() ?? 0) - ($0.value.min() ?? 0) > 1 }) {
            return "\(uneven.key) uneven across zones: \(uneven.value)"
        }
        return nil
    }
}

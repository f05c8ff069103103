import StarlingModel
import StarlingScheduler

/// Fixture factories: nodes and requests with sensible defaults (a ready, active linux/x86_64 worker with 4 CPUs
/// and 8 GiB that runs `process` tasks), changed only where a test cares.
enum Fixture {
    static let gib: Int64 = 1 << 30
    static let cpu: Int64 = 1_000_000_000

    static func node(
        _ id: String, hostname: String? = nil, role: NodeSpec.Role = .worker,
        availability: NodeSpec.Availability = .active, state: NodeStatus.State = .ready,
        os: String = "linux", arch: String = "x86_64", cpus: Int64 = 4, memoryGiB: Int64 = 8,
        labels: [String: String] = [:], engineLabels: [String: String] = [:],
        discrete: [String: Int64] = [:], named: [String: Set<String>] = [:], runtimes: [String] = ["process"],
        committed: CommittedLoad = .init()
    ) -> SchedulableNode {
        SchedulableNode(
            id: id, hostname: hostname ?? id, role: role, availability: availability, state: state,
            platform: TargetPlatform(os: os, architecture: arch), labels: labels, engineLabels: engineLabels,
            resources: ResourceAmounts(
                nanoCPUs: cpus * cpu, memoryBytes: memoryGiB * gib, discrete: discrete, named: named),
            runtimes: runtimes, committed: committed)
    }

    /// `count` default nodes `n1`, `n2`, ...; `configure` may change each (it gets the 1-based number).
    static func nodes(_ count: Int, configure: (Int, inout SchedulableNode) -> Void = { _, _ in }) -> [SchedulableNode]
    {
        (0..<count).map { index in
            let number = index + 1
            var node = node("n\(number)")
            configure(number, &node)
            return node
        }
    }

    static func request(
        _ serviceID: String = "svc", count: Int = 1, runtime: String = "", cpus: Double = 0, memoryGiB: Double = 0,
        generic: [String: Int64] = [:], constraints: [String] = [], platforms: [TargetPlatform] = [],
        spread: [String] = [], maxReplicas: Int = 0, ports: [HostPort] = [], node: String? = nil
    ) -> TaskRequest {
        TaskRequest(
            serviceID: serviceID, count: count, runtime: runtime,
            reservations: ResourceRequest(
                nanoCPUs: Int64(cpus * Double(cpu)), memoryBytes: Int64(memoryGiB * Double(gib)), generic: generic),
            constraints: constraints, platforms: platforms, spread: spread, maxReplicasPerNode: maxReplicas,
            hostPorts: ports, node: node)
    }

    /// A load of `tasks` tasks of `service` (and nothing reserved).
    static func load(_ service: String, _ tasks: Int, otherTasks: Int = 0) -> CommittedLoad {
        CommittedLoad(tasksByService: [service: tasks], taskCount: tasks + otherTasks)
    }
}

/// The recording harness: runs requests through a scheduler and keeps the plan, with helpers to read it.
struct Harness {
    let nodes: [SchedulableNode]
    let seed: UInt64
    private(set) var scheduler: Scheduler

    init(_ nodes: [SchedulableNode], seed: UInt64 = 42) {
        self.nodes = nodes
        self.seed = seed
        scheduler = Scheduler(nodes: nodes, seed: seed)
    }

    @discardableResult
    mutating func place(_ requests: TaskRequest...) -> SchedulingPlan {
        for request in requests { scheduler.schedule(request) }
        return scheduler.plan
    }

    var plan: SchedulingPlan { scheduler.plan }

    /// Tasks per node ID, with 0 for nodes that got none.
    var counts: [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, 0) })
        for assignment in plan.assignments { counts[assignment.nodeID, default: 0] += 1 }
        return counts
    }

    /// Tasks per value of node label `label` (missing label: "").
    func counts(byLabel label: String, service: String? = nil) -> [String: Int] {
        let value = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.labels[label] ?? "") })
        var counts: [String: Int] = [:]
        for assignment in plan.assignments where service == nil || assignment.serviceID == service {
            counts[value[assignment.nodeID] ?? "?", default: 0] += 1
        }
        return counts
    }

    /// The only explanation in the plan.
    var explanation: String? { plan.unplaced.last?.explanation }

    /// The node IDs tasks went to, in placement order.
    var placements: [String] { plan.assignments.map(\.nodeID) }
}

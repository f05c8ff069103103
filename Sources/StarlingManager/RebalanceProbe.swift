import StarlingModel
import StarlingOrchestrator
import StarlingScheduler

/// What the rebalancer asks of the cluster, answered from one snapshot with the scheduler's own filters: which
/// nodes are eligible for a service, their spread values, and how many more of its tasks a node could take now.
/// One per orchestration pass; it looks at the nodes and tasks only when a service is asked about, and builds the
/// scheduler only when a node is (most passes ask about none).
final class RebalanceProbe {
    private let cluster: [Node]
    private let tasks: [SwarmTask]
    private lazy var nodes = Self.schedulable(cluster, tasks)
    /// The scheduler over the snapshot with nothing placed yet; each probe places on a copy.
    private lazy var scheduler = Scheduler(nodes: nodes, seed: 0)

    /// `tasks` are all the tasks.
    init(nodes: [Node], tasks: [SwarmTask]) {
        cluster = nodes
        self.tasks = tasks
    }

    /// The nodes as the scheduler sees them. Tasks placed and not finished hold their node's resources, and so do
    /// tasks already pinned to a node but not yet assigned (the new tasks of moves), so that two moves do not count
    /// on the same room.
    private static func schedulable(_ nodes: [Node], _ tasks: [SwarmTask]) -> [SchedulableNode] {
        var load: [String: CommittedLoad] = [:]
        for task in tasks {
            guard let nodeID = task.nodeID, !task.status.state.isTerminal, task.isWanted else {
                continue
            }
            let reservation = task.spec.resources?.reservations
            load[nodeID, default: CommittedLoad()].add(
                serviceID: task.serviceID,
                holding: ResourceAmounts(
                    nanoCPUs: reservation?.nanoCPUs ?? 0, memoryBytes: reservation?.memoryBytes ?? 0))
        }
        return nodes.map { node in
            SchedulableNode(
                node, runtimes: OrchestrationPass.runtimes(of: node), committed: load[node.id] ?? CommittedLoad())
        }
    }

    /// Every node as the rebalancer sees it for `service`.
    func facts(for service: SwarmService) -> [Rebalancer.NodeFacts] {
        let spec = service.taskSpecForNewTasks
        let placement = spec.placement
        let runtime = spec.effectiveRuntime(serviceLabels: service.spec.labels).rawValue
        let constraints = try? PlacementConstraint.parse(placement?.constraints ?? [])
        let platforms = Self.platforms(of: spec)
        let spread = (placement?.preferences ?? []).compactMap {
            $0.spread.flatMap { SpreadDescriptor($0.spreadDescriptor) }
        }
        return nodes.map { node in
            let eligible =
                node.state == .ready && node.availability == .active
                && (runtime.isEmpty || node.runtimes.contains(runtime))
                && (constraints?.allSatisfy { $0.matches(node) } ?? false)
                && (platforms.isEmpty || platforms.contains { $0.accepts(node.platform) })
            return Rebalancer.NodeFacts(
                id: node.id, eligible: eligible, spreadPath: spread.map { $0.value(of: node) },
                taskCount: node.committed.taskCount)
        }
    }

    /// How many more tasks of `service` (up to `upTo`) the scheduler would place on `node` now: every filter runs,
    /// resources and max replicas per node included.
    func room(for service: SwarmService, on node: String, upTo: Int) -> Int {
        guard upTo > 0 else { return 0 }
        let spec = service.taskSpecForNewTasks
        let reservations = spec.resources?.reservations
        var generic: [String: Int64] = [:]
        for resource in reservations?.genericResources ?? [] {
            if case .discrete(let kind, let value) = resource { generic[kind, default: 0] += value }
        }
        let request = TaskRequest(
            serviceID: service.id, taskIDs: (0..<upTo).map { "rebalance-probe-\($0)" },
            runtime: spec.effectiveRuntime(serviceLabels: service.spec.labels).rawValue,
            reservations: ResourceRequest(
                nanoCPUs: reservations?.nanoCPUs ?? 0, memoryBytes: reservations?.memoryBytes ?? 0, generic: generic),
            constraints: spec.placement?.constraints ?? [], platforms: Self.platforms(of: spec),
            maxReplicasPerNode: Int(spec.placement?.maxReplicas ?? 0), node: node)
        var probe = scheduler
        return probe.schedule(request)
    }

    private static func platforms(of spec: TaskSpec) -> [TargetPlatform] {
        (spec.placement?.platforms ?? []).map { TargetPlatform(os: $0.os ?? "", architecture: $0.architecture ?? "") }
    }
}

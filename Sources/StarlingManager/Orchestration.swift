import StarlingModel
import StarlingOrchestrator
import StarlingScheduler
import StarlingStore

/// Every orchestrator over one snapshot: what tasks to create, which to stop, which to delete, and when to look
/// again. Pure: the loop in `OrchestrationLoop` applies it.
///
/// Tasks on drained nodes are replaced at once (replicated services and jobs, as the global orchestrator already
/// does). A replicated service the orchestrator has nothing to do for is offered to the `Rebalancer`, which may
/// start moves onto under-loaded nodes within `policy`'s limits.
public struct OrchestrationPass: Sendable {
    public var plan = OrchestrationPlan()
    /// Tasks to delete (history beyond the retention limit, tasks of removed services).
    public var reap: [String] = []

    /// The runtimes a node advertises, as engine plugins of type `Runtime`.
    public static func runtimes(of node: Node) -> [String] {
        (node.description?.engine?.plugins ?? []).filter { $0.type == "Runtime" }.map(\.name)
    }

    public static func run(
        snapshot: ClusterSnapshot, now: Timestamp, policy: Rebalancer.Policy = .default, makeID: () -> String
    ) -> OrchestrationPass {
        var pass = OrchestrationPass()
        let nodes = snapshot.all(Node.self)
        let downNodes = Set(nodes.filter { $0.status.state == .down }.map(\.id))
        let drainedNodes = Set(nodes.filter { $0.spec.availability == .drain }.map(\.id))
        let nodeIDs = Set(nodes.map(\.id))
        let services = snapshot.all(SwarmService.self)
        let allTasks = snapshot.all(SwarmTask.self)
        var moveBudget = policy.maxMovesInCluster - Rebalancer.movesInFlight(allTasks)
        let probe = RebalanceProbe(nodes: nodes, tasks: allTasks)
        for service in services {
            let tasks = snapshot.objects(SwarmTask.self, matching: ObjectIndexKey(SwarmTask.Index.service, service.id))
            var plan: OrchestrationPlan
            switch service.spec.mode {
            case .replicated:
                plan = ReplicatedOrchestrator.reconcile(
                    service: service, tasks: tasks, downNodes: downNodes, drainedNodes: drainedNodes, now: now,
                    moveTimeout: policy.moveTimeout, makeID: makeID)
                if plan.isEmpty, moveBudget > 0, Rebalancer.isEnabled(for: service) {
                    let moves = Rebalancer.plan(
                        service: service, tasks: tasks, nodeIDs: nodeIDs, nodes: probe.facts(for: service),
                        policy: policy, clusterBudget: moveBudget, now: now, makeID: makeID,
                        room: { probe.room(for: service, on: $0, upTo: $1) })
                    moveBudget -= moves.create.count
                    plan.create += moves.create
                    if let wake = moves.wakeAt { plan.wake(at: wake) }
                }
            case .replicatedJob:
                plan = JobOrchestrator.reconcile(
                    service: service, tasks: tasks, downNodes: downNodes, drainedNodes: drainedNodes, now: now,
                    makeID: makeID)
            case .global, .globalJob:
                let constraints =
                    (try? PlacementConstraint.parse(service.spec.taskTemplate.placement?.constraints ?? [])) ?? []
                let facts = nodes.map { node in
                    let schedulable = SchedulableNode(node, runtimes: runtimes(of: node))
                    return GlobalOrchestrator.NodeFacts(
                        id: node.id, availability: node.spec.availability, isDown: node.status.state == .down,
                        eligible: constraints.allSatisfy { $0.matches(schedulable) })
                }
                plan = GlobalOrchestrator.reconcile(
                    service: service, tasks: tasks, nodes: facts, now: now, makeID: makeID)
            }
            pass.plan.create += plan.create
            pass.plan.changes += plan.changes
            if let wake = plan.wakeAt { pass.plan.wake(at: wake) }
        }
        let retention =
            snapshot.object(Swarm.self, id: Swarm.storeID)?.spec.orchestration?.taskHistoryRetentionLimit ?? 5
        pass.reap = TaskReaper.reap(
            tasks: allTasks, liveServices: Set(services.map(\.id)), retention: Int(retention))
        return pass
    }
}

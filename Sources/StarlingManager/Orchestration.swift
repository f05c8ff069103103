import StarlingModel
import StarlingOrchestrator
import StarlingScheduler
import StarlingStore

/// Every orchestrator over one snapshot: what tasks to create, which to stop, which to delete, and when to look
/// again. Pure: the loop in `OrchestrationLoop` applies it.
public struct OrchestrationPass: Sendable {
    public var plan = OrchestrationPlan()
    /// Tasks to delete (history beyond the retention limit, tasks of removed services).
    public var reap: [String] = []

    /// The runtimes a node advertises, as engine plugins of type `Runtime`.
    public static func runtimes(of node: Node) -> [String] {
        (node.description?.engine?.plugins ?? []).filter { $0.type == "Runtime" }.map(\.name)
    }

    public static func run(snapshot: ClusterSnapshot, now: Timestamp, makeID: () -> String) -> OrchestrationPass {
        var pass = OrchestrationPass()
        let nodes = snapshot.all(Node.self)
        let downNodes = Set(nodes.filter { $0.status.state == .down }.map(\.id))
        let services = snapshot.all(SwarmService.self)
        for service in services {
            let tasks = snapshot.objects(SwarmTask.self, matching: ObjectIndexKey(SwarmTask.Index.service, service.id))
            let plan: OrchestrationPlan
            switch service.spec.mode {
            case .replicated:
                plan = ReplicatedOrchestrator.reconcile(
                    service: service, tasks: tasks, downNodes: downNodes, now: now, makeID: makeID)
            case .replicatedJob:
                plan = JobOrchestrator.reconcile(
                    service: service, tasks: tasks, downNodes: downNodes, now: now, makeID: makeID)
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
            tasks: snapshot.all(SwarmTask.self), liveServices: Set(services.map(\.id)), retention: Int(retention))
        return pass
    }
}

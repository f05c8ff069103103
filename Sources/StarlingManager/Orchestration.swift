import StarlingModel
import StarlingOrchestrator
import StarlingScheduler
import StarlingStore

/// Every orchestrator over one snapshot: what tasks to create, which to stop, which to delete, and when to look
/// again. Pure: the loop in `OrchestrationLoop` applies it.
///
/// Tasks of replicated services and jobs on down, drained and removed nodes are replaced at once, and so are running
/// tasks of replicated services whose node no longer meets their placement constraints (SwarmKit's constraint
/// enforcer; see `NodeConditions`); the global orchestrator decides per node. A replicated service the
/// orchestrator has nothing to do for is offered to the `Rebalancer`, which may start moves onto under-loaded nodes
/// within `policy`'s limits. The tasks of deleted services get desired state `remove` (SwarmKit's
/// `SetServiceTasksRemove`), and the `TaskReaper` deletes tasks once they may go.
public struct OrchestrationPass: Sendable {
    public var plan = OrchestrationPlan()
    /// Tasks to delete (removed slots and services once stopped, history beyond the retention limit).
    public var reap: [String] = []

    /// The runtimes a node advertises, as engine plugins of type `Runtime`.
    public static func runtimes(of node: Node) -> [String] {
        (node.description?.engine?.plugins ?? []).filter { $0.type == "Runtime" }.map(\.name)
    }

    public static func run(
        snapshot: ClusterSnapshot, now: Timestamp, policy: Rebalancer.Policy = .default,
        downNodeGrace: Int64 = TaskReaper.downNodeGrace, makeID: () -> String
    ) -> OrchestrationPass {
        var pass = OrchestrationPass()
        let nodes = snapshot.all(Node.self)
        let nodeIDs = Set(nodes.map(\.id))
        let services = snapshot.all(SwarmService.self)
        let allTasks = snapshot.all(SwarmTask.self)
        let conditions = nodeConditions(nodes: nodes, services: services, tasks: allTasks)
        var moveBudget = policy.maxMovesInCluster - Rebalancer.movesInFlight(allTasks)
        let probe = RebalanceProbe(nodes: nodes, tasks: allTasks)
        for service in services {
            let tasks = snapshot.objects(SwarmTask.self, matching: ObjectIndexKey(SwarmTask.Index.service, service.id))
            var plan: OrchestrationPlan
            switch service.spec.mode {
            case .replicated:
                plan = ReplicatedOrchestrator.reconcile(
                    service: service, tasks: tasks, nodes: conditions, now: now, moveTimeout: policy.moveTimeout,
                    makeID: makeID)
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
                    service: service, tasks: tasks, nodes: conditions, now: now, makeID: makeID)
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
        let liveServices = Set(services.map(\.id))
        pass.plan.changes += Self.removals(of: allTasks.filter { !liveServices.contains($0.serviceID) })
        let retention =
            snapshot.object(Swarm.self, id: Swarm.storeID)?.spec.orchestration?.taskHistoryRetentionLimit ?? 5
        let reaping = TaskReaper.reap(
            tasks: allTasks, liveServices: liveServices, retention: Int(retention), nodes: conditions, now: now,
            downNodeGrace: downNodeGrace)
        pass.reap = reaping.taskIDs
        if let wake = reaping.wakeAt { pass.plan.wake(at: wake) }
        // A task that is deleted needs no new desired state, and the store refuses a transaction that writes a key
        // twice (a removed slot's history, say, is both given `remove` and trimmed).
        let reaped = Set(pass.reap)
        pass.plan.changes.removeAll { reaped.contains($0.taskID) }
        return pass
    }

    /// Desired state `remove` for the tasks of deleted services that do not have it yet.
    static func removals(of orphans: [SwarmTask]) -> [OrchestrationPlan.DesiredStateChange] {
        orphans.filter { $0.desiredState < .remove }.sorted { $0.id < $1.id }.map {
            OrchestrationPlan.DesiredStateChange(taskID: $0.id, desiredState: .remove, reason: "service removed")
        }
    }
}

extension OrchestrationPass {
    /// What the orchestrators and the reaper need to know about the nodes: which are down (and since their record
    /// last changed, which is when they were marked down), drained, or gone from the swarm while tasks still name
    /// them, and which tasks of replicated services their node no longer fits.
    ///
    /// The last is SwarmKit's constraint enforcer: a task that should run, has reached its node and has not ended,
    /// on an active node that is up, whose node no longer meets the task's own placement constraints (a node label
    /// was removed, say). Paused nodes keep their tasks, drained and down nodes lose them anyway, and jobs are left
    /// alone, as SwarmKit leaves them. Resources that no longer fit are not checked.
    static func nodeConditions(nodes: [Node], services: [SwarmService], tasks: [SwarmTask]) -> NodeConditions {
        var conditions = NodeConditions()
        var byID: [String: Node] = [:]
        for node in nodes {
            byID[node.id] = node
            if node.status.state == .down {
                conditions.down.insert(node.id)
                conditions.downSince[node.id] = node.updatedAt
            }
            if node.spec.availability == .drain { conditions.drained.insert(node.id) }
        }
        let replicated = Set(services.filter { $0.spec.mode.replicas != nil }.map(\.id))
        var schedulable: [String: SchedulableNode] = [:]
        var parsed: [[String]: [PlacementConstraint]] = [:]
        for task in tasks {
            guard let nodeID = task.nodeID else { continue }
            guard let node = byID[nodeID] else {
                conditions.removed.insert(nodeID)
                continue
            }
            guard replicated.contains(task.serviceID), task.desiredState == .running,
                task.status.state >= .assigned, !task.status.state.isTerminal,
                node.spec.availability == .active, node.status.state != .down,
                let expressions = task.spec.placement?.constraints, !expressions.isEmpty
            else { continue }
            // Constraints that do not parse constrain nothing, as in SwarmKit.
            let constraints = parsed[expressions] ?? (try? PlacementConstraint.parse(expressions)) ?? []
            parsed[expressions] = constraints
            let candidate = schedulable[nodeID] ?? SchedulableNode(node, runtimes: runtimes(of: node))
            schedulable[nodeID] = candidate
            if !constraints.allSatisfy({ $0.matches(candidate) }) { conditions.unfit.insert(task.id) }
        }
        return conditions
    }
}

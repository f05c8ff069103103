import StarlingModel

/// One task per eligible node for global services (and one run to completion per node for global jobs).
///
/// Whether a node is eligible (its constraints and platform match) is the scheduler's business: the caller passes
/// the answer per node. Availability decides the rest, as in Swarm: `active` nodes get a task, `pause` nodes keep
/// the one they have, `drain` nodes lose it; a down node keeps its task (there is nowhere else it could run). The
/// tasks of a node that left the swarm are removed (SwarmKit deletes them), and the task reaper deletes them at
/// once, as nothing will report on them. Global jobs' tasks are created with desired state `complete`.
public enum GlobalOrchestrator {
    /// What the orchestrator needs to know about a node.
    public struct NodeFacts: Hashable, Sendable {
        public var id: String
        public var availability: NodeSpec.Availability
        public var isDown: Bool
        /// Constraints and platform allow the service on this node.
        public var eligible: Bool

        public init(id: String, availability: NodeSpec.Availability, isDown: Bool, eligible: Bool) {
            self.id = id
            self.availability = availability
            self.isDown = isDown
            self.eligible = eligible
        }
    }

    public static func reconcile(
        service: SwarmService, tasks: [SwarmTask], nodes: [NodeFacts], now: Timestamp, makeID: () -> String
    ) -> OrchestrationPlan {
        var plan = OrchestrationPlan()
        let isJob: Bool
        switch service.spec.mode {
        case .global: isJob = false
        case .globalJob: isJob = true
        default: return plan
        }
        let byNode = Dictionary(grouping: tasks.filter { $0.nodeID != nil }, by: { $0.nodeID ?? "" })
        let known = Set(nodes.map(\.id))

        // Tasks on nodes that left the swarm go.
        for (nodeID, history) in byNode.sorted(by: { $0.key < $1.key }) where !known.contains(nodeID) {
            plan.remove(history.sorted { $0.createdAt < $1.createdAt }, reason: "node removed")
        }
        for node in nodes.sorted(by: { $0.id < $1.id }) {
            let history = byNode[node.id] ?? []
            let wanted = history.filter(\.isWanted).sorted { $0.createdAt > $1.createdAt }
            for stale in wanted.dropFirst() { plan.shutDown(stale, reason: "replaced by a newer task on its node") }
            let current = wanted.first

            if !node.eligible || node.availability == .drain {
                if let current { plan.shutDown(current, reason: node.eligible ? "node drained" : "node not eligible") }
                continue
            }
            if node.isDown { continue }
            guard let current else {
                // A global job runs once per node: a node that already completed it gets no new task.
                if isJob, history.contains(where: { $0.status.state == .complete }) { continue }
                if node.availability == .active {
                    plan.create.append(
                        ReplicatedOrchestrator.newTask(for: service, slot: nil, nodeID: node.id, now: now, id: makeID())
                    )
                }
                continue
            }
            guard current.status.state.isTerminal else { continue }
            if isJob, current.status.state == .complete { continue }
            let policy = service.spec.taskTemplate.restartPolicy ?? (isJob ? JobOrchestrator.defaultRestartPolicy : nil)
            switch RestartDecision.decide(ended: current, history: history, policy: policy, nodeLost: false) {
            case .restart(let at) where at <= now:
                plan.shutDown(current, reason: "task ended: restarting")
                if node.availability == .active {
                    plan.create.append(
                        ReplicatedOrchestrator.newTask(for: service, slot: nil, nodeID: node.id, now: now, id: makeID())
                    )
                }
            case .restart(let at):
                plan.wake(at: at)
            case .giveUp:
                break
            }
        }
        return plan
    }
}

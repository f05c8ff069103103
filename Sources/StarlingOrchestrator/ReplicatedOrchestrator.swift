import StarlingModel

/// Keeps a replicated service at exactly `Replicas` slots: creates tasks for missing slots, replaces ended tasks as
/// the restart policy says, replaces tasks lost with their node at once, and shuts down surplus slots.
///
/// A pure function of a snapshot (the service, its tasks, the nodes that are down, the time); the caller applies the
/// plan. Slots are numbered from 1; a slot's history is its older tasks (the task reaper trims it).
public enum ReplicatedOrchestrator {
    public static func reconcile(
        service: SwarmService, tasks: [SwarmTask], downNodes: Set<String>, now: Timestamp,
        makeID: () -> String
    ) -> OrchestrationPlan {
        var plan = OrchestrationPlan()
        guard case .replicated(let replicas) = service.spec.mode else { return plan }
        let bySlot = Dictionary(grouping: tasks.filter { ($0.slot ?? 0) > 0 }, by: { $0.slot ?? 0 })

        // The slots that hold a task the orchestrator still wants (desired state running or earlier).
        var occupied: [Int: SwarmTask] = [:]
        for (slot, history) in bySlot {
            let wanted = history.filter { $0.desiredState <= .running }.sorted { $0.createdAt > $1.createdAt }
            guard let current = wanted.first else { continue }
            for stale in wanted.dropFirst() { plan.shutDown(stale, reason: "replaced by a newer task in its slot") }
            occupied[slot] = current
        }

        // Replace what ended or was lost with its node.
        for (slot, current) in occupied.sorted(by: { $0.key < $1.key }) {
            let nodeLost = current.nodeID.map(downNodes.contains) ?? false
            guard current.status.state.isTerminal || nodeLost else { continue }
            let decision = RestartDecision.decide(
                ended: current, history: bySlot[slot] ?? [], policy: service.spec.taskTemplate.restartPolicy,
                nodeLost: nodeLost && !current.status.state.isTerminal)
            switch decision {
            case .restart(let at) where at <= now:
                plan.shutDown(current, reason: nodeLost ? "node down" : "task ended: restarting")
                let replacement = newTask(for: service, slot: slot, now: now, id: makeID())
                plan.create.append(replacement)
                occupied[slot] = replacement
            case .restart(let at):
                plan.wake(at: at)
            case .giveUp:
                break
            }
        }

        // Scale: fill the lowest free slots, or remove the surplus.
        let target = Int(replicas)
        if occupied.count < target {
            var slot = 1
            var missing = target - occupied.count
            while missing > 0 {
                if occupied[slot] == nil {
                    plan.create.append(newTask(for: service, slot: slot, now: now, id: makeID()))
                    missing -= 1
                }
                slot += 1
            }
        } else if occupied.count > target {
            let created = Set(plan.create.map(\.id))
            for task in surplus(Array(occupied.values), keeping: target) {
                if created.contains(task.id) {
                    // A replacement made in this very plan: simply do not create it.
                    plan.create.removeAll { $0.id == task.id }
                } else {
                    plan.shutDown(task, reason: "service scaled down")
                }
            }
        }
        return plan
    }

    /// The tasks to remove when scaling down to `count`: first those not running, then those on the nodes that
    /// carry the most of the service's tasks (so what stays is spread), then the highest slots.
    static func surplus(_ current: [SwarmTask], keeping count: Int) -> [SwarmTask] {
        var perNode: [String: Int] = [:]
        for task in current { perNode[task.nodeID ?? "", default: 0] += 1 }
        // Removing a task lowers its node's load; re-rank greedily so removals spread across loaded nodes.
        var remaining = current
        var removed: [SwarmTask] = []
        while remaining.count > count {
            remaining.sort { a, b in
                let aRunning = a.status.state == .running
                let bRunning = b.status.state == .running
                if aRunning != bRunning { return !aRunning }
                let aLoad = perNode[a.nodeID ?? ""] ?? 0
                let bLoad = perNode[b.nodeID ?? ""] ?? 0
                if aLoad != bLoad { return aLoad > bLoad }
                return (a.slot ?? 0) > (b.slot ?? 0)
            }
            let victim = remaining.removeFirst()
            perNode[victim.nodeID ?? "", default: 1] -= 1
            removed.append(victim)
        }
        return removed
    }

    /// A new task for `slot`: the service's current task template (with its runtime resolved, so the node that
    /// runs it needs nothing but the task), desired running.
    public static func newTask(
        for service: SwarmService, slot: Int?, nodeID: String? = nil, now: Timestamp, id: String
    )
        -> SwarmTask
    {
        SwarmTask(
            id: id, createdAt: now, updatedAt: now, labels: [:], spec: service.taskSpecForNewTasks,
            serviceID: service.id, slot: slot, nodeID: nodeID,
            status: TaskStatus(timestamp: now, state: .new, message: "created"), desiredState: .running)
    }
}

extension SwarmService {
    /// The task template as tasks carry it: `Runtime` resolved from the service's labels (the docker CLI cannot set
    /// `Runtime`, so `io.starling.runtime=process` on the service selects it). A task is up to date when its spec
    /// equals this.
    public var taskSpecForNewTasks: TaskSpec {
        var spec = self.spec.taskTemplate
        spec.runtime = self.spec.taskRuntime
        return spec
    }
}

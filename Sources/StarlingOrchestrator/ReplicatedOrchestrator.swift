import StarlingModel

/// Keeps a replicated service at exactly `Replicas` slots: creates tasks for missing slots, replaces ended tasks as
/// the restart policy says, replaces tasks its node can no longer keep (down, drained, removed from the swarm, or no
/// longer meeting the task's constraints; see `NodeConditions`) at once, and removes surplus slots.
///
/// A pure function of a snapshot (the service, its tasks, the nodes' conditions, the time); the caller applies the
/// plan. Slots are numbered from 1; a slot's history is its older tasks (the task reaper trims it).
///
/// A slot normally has one wanted task (desired state `running` or earlier): the newest, and older ones are shut
/// down. The exception is a rebalancing move in flight (see `Rebalancer`): the slot keeps its old task running
/// beside the new one until the new one runs (then the old one is shut down) or the move is abandoned (then the new
/// one is).
///
/// Scaling down removes whole slots, as SwarmKit does: every task of a removed slot, its history included, gets
/// desired state `remove`, so the node stops the running one and the task reaper deletes them all once they have
/// stopped; `docker service ps` then lists only the slots that are left. A slot with no wanted task that the service
/// does not fill again (one scaled away before) is removed the same way.
public enum ReplicatedOrchestrator {
    public static func reconcile(
        service: SwarmService, tasks: [SwarmTask], nodes: NodeConditions = NodeConditions(), now: Timestamp,
        moveTimeout: Int64 = Rebalancer.Policy.default.moveTimeout, makeID: () -> String
    ) -> OrchestrationPlan {
        var plan = OrchestrationPlan()
        guard case .replicated(let replicas) = service.spec.mode else { return plan }
        let bySlot = Dictionary(grouping: tasks.filter { ($0.slot ?? 0) > 0 }, by: { $0.slot ?? 0 })
        let lost = { (task: SwarmTask) -> String? in nodes.loss(of: task) }

        // The slots that hold a task the orchestrator still wants (a move in flight keeps its old task there).
        var occupied: [Int: SwarmTask] = [:]
        for (slot, history) in bySlot {
            let wanted = history.filter(\.isWanted).sorted { $0.createdAt > $1.createdAt }
            guard var current = wanted.first else { continue }
            var keep: Set<String> = []
            if let move = SlotMove.find(in: wanted) {
                keep = [move.new.id, move.old.id]
                switch move.resolve(lost: lost, now: now, timeout: moveTimeout) {
                case .inFlight:
                    current = move.old
                    plan.wake(at: move.new.createdAt.adding(nanoseconds: moveTimeout))
                case .completed:
                    plan.shutDown(move.old, reason: "rebalanced: moved to node \(move.new.nodeID ?? "")")
                    current = move.new
                case .abandoned(let reason):
                    plan.shutDown(move.new, reason: reason)
                    current = move.old
                case .oldLost(let reason):
                    plan.shutDown(move.old, reason: reason)
                    current = move.new
                }
            } else {
                keep = [current.id]
            }
            for stale in wanted where !keep.contains(stale.id) {
                plan.shutDown(stale, reason: "replaced by a newer task in its slot")
            }
            occupied[slot] = current
        }

        // Replace what ended or was lost with its node (or drained off it, or no longer fits it).
        for (slot, current) in occupied.sorted(by: { $0.key < $1.key }) {
            let loss = lost(current)
            guard current.status.state.isTerminal || loss != nil else { continue }
            let decision = RestartDecision.decide(
                ended: current, history: bySlot[slot] ?? [], policy: service.spec.taskTemplate.restartPolicy,
                nodeLost: loss != nil && !current.status.state.isTerminal)
            switch decision {
            case .restart(let at) where at <= now:
                plan.shutDown(current, reason: loss ?? "task ended: restarting")
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
                    let task = newTask(for: service, slot: slot, now: now, id: makeID())
                    plan.create.append(task)
                    occupied[slot] = task
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
                }
                if let slot = task.slot { occupied[slot] = nil }
            }
        }

        // Slots left without a task go, history and all (the tasks of moves in flight included).
        let removed = bySlot.filter { occupied[$0.key] == nil }.sorted { $0.key < $1.key }
        plan.remove(removed.flatMap { $0.value.sorted { $0.createdAt < $1.createdAt } }, reason: "service scaled down")
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
    /// runs it needs nothing but the task), desired `running`, or `complete` for the task of a job (as SwarmKit
    /// creates them, so `docker service ps` shows DESIRED STATE `Complete`).
    public static func newTask(
        for service: SwarmService, slot: Int?, nodeID: String? = nil, now: Timestamp, id: String
    )
        -> SwarmTask
    {
        SwarmTask(
            id: id, createdAt: now, updatedAt: now, labels: [:], spec: service.taskSpecForNewTasks,
            serviceID: service.id, slot: slot, nodeID: nodeID,
            status: TaskStatus(timestamp: now, state: .new, message: "created"),
            desiredState: service.spec.mode.isJob ? .complete : .running)
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

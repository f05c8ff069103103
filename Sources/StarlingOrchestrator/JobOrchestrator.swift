import StarlingModel

/// Replicated jobs: run `TotalCompletions` tasks to completion, at most `MaxConcurrent` at a time. Failed tasks are
/// retried as the restart policy says (for jobs Docker's default is `on-failure`); completed ones count. A task that
/// has not completed and whose node is down, drained or gone from the swarm is replaced at once, as for replicated
/// services. Tasks are created with desired state `complete`, as SwarmKit creates them.
public enum JobOrchestrator {
    /// The restart policy of a job that names none.
    public static let defaultRestartPolicy = RestartPolicy(
        condition: .onFailure, delay: ServiceDefaults.restartDelay, maxAttempts: 0)

    public static func reconcile(
        service: SwarmService, tasks: [SwarmTask], nodes: NodeConditions = NodeConditions(), now: Timestamp,
        makeID: () -> String
    ) -> OrchestrationPlan {
        var plan = OrchestrationPlan()
        guard case .replicatedJob(let maxConcurrent, let totalCompletions) = service.spec.mode else { return plan }
        let iteration = service.jobStatus?.jobIteration.index
        let ours = tasks.filter { iteration == nil || $0.jobIteration?.index == iteration }
        let bySlot: [Int: [SwarmTask]] = Dictionary(grouping: ours.filter { $0.slot != nil }, by: { $0.slot ?? 0 })

        var completed = 0
        var active = 0
        var freeSlots: [Int] = []
        let policy = service.spec.taskTemplate.restartPolicy ?? defaultRestartPolicy
        for slot in 0..<Int(totalCompletions) {
            let history: [SwarmTask] = (bySlot[slot] ?? []).sorted { $0.createdAt > $1.createdAt }
            if history.contains(where: { $0.status.state == .complete }) {
                completed += 1
                continue
            }
            guard let current = history.first(where: \.isWanted) else {
                // A slot never started gets a task when there is room; one given up on stays as it is.
                if history.isEmpty { freeSlots.append(slot) }
                continue
            }
            let loss = nodes.loss(of: current)
            let nodeLost = loss != nil
            if !current.status.state.isTerminal && !nodeLost {
                active += 1
                continue
            }
            switch RestartDecision.decide(
                ended: current, history: history, policy: policy, nodeLost: nodeLost && !current.status.state.isTerminal
            )
            {
            case .restart(let at) where at <= now:
                plan.shutDown(current, reason: loss ?? "task failed: retrying")
                var task = ReplicatedOrchestrator.newTask(for: service, slot: slot, now: now, id: makeID())
                task.jobIteration = service.jobStatus?.jobIteration
                plan.create.append(task)
                active += 1
            case .restart(let at):
                plan.wake(at: at)
                active += 1
            case .giveUp:
                break
            }
        }
        let room = max(0, Int(maxConcurrent == 0 ? totalCompletions : maxConcurrent) - active)
        for slot in freeSlots.prefix(room) where completed + active < Int(totalCompletions) {
            var task = ReplicatedOrchestrator.newTask(for: service, slot: slot, now: now, id: makeID())
            task.jobIteration = service.jobStatus?.jobIteration
            plan.create.append(task)
            active += 1
        }
        return plan
    }
}

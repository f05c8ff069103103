import StarlingModel

/// Replicated jobs: run `TotalCompletions` tasks to completion, at most `MaxConcurrent` at a time. Failed tasks are
/// retried as the restart policy says (for jobs Docker's default is `on-failure`); completed ones count. A task that
/// has not completed and whose node is down or drained is replaced at once, as for replicated services.
public enum JobOrchestrator {
    /// The restart policy of a job that names none.
    public static let defaultRestartPolicy = RestartPolicy(
        condition: .onFailure, delay: ServiceDefaults.restartDelay, maxAttempts: 0)

    public static func reconcile(
        service: SwarmService, tasks: [SwarmTask], downNodes: Set<String>, drainedNodes: Set<String> = [],
        now: Timestamp, makeID: () -> String
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
            guard let current = history.first(where: { $0.desiredState <= .running }) else {
                // A slot never started gets a task when there is room; one given up on stays as it is.
                if history.isEmpty { freeSlots.append(slot) }
                continue
            }
            let loss: String? = current.nodeID.flatMap { node in
                downNodes.contains(node) ? "node down" : drainedNodes.contains(node) ? "node drained" : nil
            }
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

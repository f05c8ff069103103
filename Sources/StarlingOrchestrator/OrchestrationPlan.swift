import StarlingModel

/// What a reconciler wants written: new tasks, and desired-state changes of existing ones. A thin loop applies it
/// to the store; the reconciler itself never writes.
public struct OrchestrationPlan: Hashable, Sendable {
    /// A change of an existing task's desired state.
    public struct DesiredStateChange: Hashable, Sendable {
        public var taskID: String
        public var desiredState: TaskState
        public var reason: String

        public init(taskID: String, desiredState: TaskState, reason: String) {
            self.taskID = taskID
            self.desiredState = desiredState
            self.reason = reason
        }
    }

    public var create: [SwarmTask] = []
    public var changes: [DesiredStateChange] = []
    /// When the reconciler should look at this service again even if nothing changes (a restart delay ends).
    public var wakeAt: Timestamp?

    public init() {}

    public var isEmpty: Bool { create.isEmpty && changes.isEmpty }

    mutating func shutDown(_ task: SwarmTask, reason: String) {
        guard task.desiredState < .shutdown else { return }
        changes.append(DesiredStateChange(taskID: task.id, desiredState: .shutdown, reason: reason))
    }

    /// Gives `tasks` desired state `remove` (those not there yet), replacing any change this plan already has for
    /// them: the node stops them, and the task reaper deletes them once they have stopped.
    mutating func remove(_ tasks: [SwarmTask], reason: String) {
        let doomed = tasks.filter { $0.desiredState < .remove }
        guard !doomed.isEmpty else { return }
        let ids = Set(doomed.map(\.id))
        changes.removeAll { ids.contains($0.taskID) }
        changes += doomed.map { DesiredStateChange(taskID: $0.id, desiredState: .remove, reason: reason) }
    }

    public mutating func wake(at time: Timestamp) {
        if let current = wakeAt, current <= time { return }
        wakeAt = time
    }
}

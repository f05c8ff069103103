import StarlingModel

/// What the replicated and job orchestrators and the task reaper need to know about the nodes that hold tasks:
/// which of them can no longer keep their tasks, and why. The manager's pass computes it from a snapshot; tests
/// write it out.
///
/// A task that is lost this way is replaced at once (not after the restart delay, and not counted as a restart):
/// its node is down, drained, gone from the swarm (`docker node rm --force`), or no longer meets the task's
/// placement constraints (SwarmKit's constraint enforcer: a node label was removed, say).
public struct NodeConditions: Hashable, Sendable {
    /// Nodes that are down.
    public var down: Set<String>
    /// When each down node went down, as far as the managers know (the last write to its record, which is the one
    /// that marked it down). The task reaper gives up on a `remove` task of a down node once its node has been down
    /// for `TaskReaper.downNodeGrace`; a down node without a time here is never given up on.
    public var downSince: [String: Timestamp]
    /// Nodes drained by the user.
    public var drained: Set<String>
    /// Nodes that tasks still name but that are no longer in the swarm: nothing will ever report on their tasks.
    public var removed: Set<String>
    /// Tasks whose node no longer meets the task's placement constraints.
    public var unfit: Set<String>

    public init(
        down: Set<String> = [], downSince: [String: Timestamp] = [:], drained: Set<String> = [],
        removed: Set<String> = [], unfit: Set<String> = []
    ) {
        self.down = down
        self.downSince = downSince
        self.drained = drained
        self.removed = removed
        self.unfit = unfit
    }

    /// The reason a task given to the constraint enforcer's finding is shut down (SwarmKit's `Status.Err` for it).
    public static let unfitReason = "assigned node no longer meets constraints"

    /// Why `task`'s node can no longer keep it, or nil when it can (or the task has no node).
    public func loss(of task: SwarmTask) -> String? {
        guard let node = task.nodeID else { return nil }
        if removed.contains(node) { return "node removed" }
        if down.contains(node) { return "node down" }
        if drained.contains(node) { return "node drained" }
        return unfit.contains(task.id) ? Self.unfitReason : nil
    }
}

extension SwarmTask {
    /// Whether the managers want this task to run: desired state `running` (or earlier), or `complete` for the
    /// tasks of jobs, which run until they exit. Tasks asked to `shutdown` or `remove` are not wanted.
    public var isWanted: Bool { desiredState <= .running || desiredState == .complete }
}

import StarlingModel

/// Deletes tasks, as SwarmKit's task reaper does:
///
/// - **Removed tasks.** A task whose desired state is `remove` (its slot was scaled away, or its node left the
///   swarm), or any task of a deleted service, goes once it has stopped (its observed state is terminal), or at
///   once if it never reached a node (observed state before `assigned`) or its node left the swarm, since nothing
///   will ever report on it. A task on a node that is down cannot report either: it goes once its node has been
///   down for `downNodeGrace` (SwarmKit marks such tasks orphaned after 24 hours, and then reaps them). Until then
///   it stays, so `docker service ps` shows what the managers last heard of it; if the node comes back in time, it
///   stops the task and reports it, and the task goes then. (Deleting a task whose node may still run it is safe:
///   a node that comes back stops every task no longer assigned to it.)
/// - **History.** Each slot (or node, for global services) of a live service keeps its newest `retention` tasks
///   (at least one); older ones go once they have stopped, or when their node left the swarm. Tasks that may
///   still run are never trimmed.
public enum TaskReaper {
    /// How long a `remove` task on a down node is kept: 24 hours, SwarmKit's orphaning period.
    public static let downNodeGrace: Int64 = 24 * 3_600 * 1_000_000_000

    /// What to delete, and when to look again for a down node's tasks.
    public struct Reaping: Hashable, Sendable {
        /// The IDs of the tasks to delete, sorted.
        public var taskIDs: [String] = []
        /// When a down node's `remove` task is due to go, if one is waiting for that.
        public var wakeAt: Timestamp?
    }

    /// What to delete among `tasks`. `retention` is `TaskHistoryRetentionLimit` (Docker's default 5; negative keeps
    /// all the history). `nodes` says which nodes are down (and since when) or gone.
    public static func reap(
        tasks: [SwarmTask], liveServices: Set<String>, retention: Int, nodes: NodeConditions = NodeConditions(),
        now: Timestamp, downNodeGrace: Int64 = downNodeGrace
    ) -> Reaping {
        var reaping = Reaping()
        var doomed: [String] = []
        let nodeGone = { (task: SwarmTask) in task.nodeID.map(nodes.removed.contains) ?? false }
        for task in tasks where task.desiredState == .remove || !liveServices.contains(task.serviceID) {
            let state = task.status.state
            if state.isTerminal || state < .assigned || task.nodeID == nil || nodeGone(task) {
                doomed.append(task.id)
            } else if let node = task.nodeID, nodes.down.contains(node), let since = nodes.downSince[node] {
                let due = since.adding(nanoseconds: downNodeGrace)
                if now >= due {
                    doomed.append(task.id)
                } else if reaping.wakeAt.map({ due < $0 }) ?? true {
                    reaping.wakeAt = due
                }
            }
        }
        if retention >= 0 {
            doomed += trimmedHistory(tasks, liveServices: liveServices, retention: retention, nodeGone: nodeGone)
        }
        reaping.taskIDs = Array(Set(doomed)).sorted()
        return reaping
    }

    /// The tasks of live services beyond each slot's (or global node's) newest `retention` that have stopped.
    private static func trimmedHistory(
        _ tasks: [SwarmTask], liveServices: Set<String>, retention: Int, nodeGone: (SwarmTask) -> Bool
    ) -> [String] {
        func stopped(_ task: SwarmTask) -> Bool {
            !task.isWanted && (task.status.state.isTerminal || nodeGone(task))
        }
        let live = tasks.filter { liveServices.contains($0.serviceID) && $0.desiredState != .remove }
        // Replicated slots count from 1, job slots from 0; global tasks have none and are kept per node.
        let groups = Dictionary(grouping: live) { task in
            "\(task.serviceID)/" + (task.slot.map { "slot:\($0)" } ?? "node:\(task.nodeID ?? "")")
        }
        var doomed: [String] = []
        for (_, history) in groups where history.count > retention {
            let newestFirst = history.sorted { $0.createdAt > $1.createdAt }
            for task in newestFirst.dropFirst(max(retention, 1)) where stopped(task) {
                doomed.append(task.id)
            }
        }
        return doomed
    }
}

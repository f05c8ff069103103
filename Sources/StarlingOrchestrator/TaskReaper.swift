import StarlingModel

/// Trims task history: each slot (or node, for global services) keeps its newest `retention` tasks, and the
/// tasks of deleted services go once they have stopped. Tasks that may still run are never reaped.
public enum TaskReaper {
    /// The IDs of the tasks to delete. `retention` is `TaskHistoryRetentionLimit` (Docker's default 5; negative
    /// keeps everything).
    public static func reap(tasks: [SwarmTask], liveServices: Set<String>, retention: Int) -> [String] {
        var doomed: [String] = []
        let stopped = { (task: SwarmTask) in task.desiredState > .running && task.status.state.isTerminal }
        for task in tasks where !liveServices.contains(task.serviceID) && (stopped(task) || task.nodeID == nil) {
            doomed.append(task.id)
        }
        guard retention >= 0 else { return doomed.sorted() }
        let live = tasks.filter { liveServices.contains($0.serviceID) }
        let groups = Dictionary(grouping: live) { task in
            "\(task.serviceID)/" + ((task.slot ?? 0) > 0 ? "slot:\(task.slot ?? 0)" : "node:\(task.nodeID ?? "")")
        }
        for (_, history) in groups where history.count > retention {
            let newestFirst = history.sorted { $0.createdAt > $1.createdAt }
            for task in newestFirst.dropFirst(max(retention, 1)) where stopped(task) {
                doomed.append(task.id)
            }
        }
        return doomed.sorted()
    }
}

import StarlingModel

/// A rebalancing move of one slot in flight: the slot's new task, pinned to the node it moves to, and the old task,
/// which keeps running until the new one is `running` (start-first). The new task names the old one in its label
/// `Rebalancer.movedFromLabel`, so a move is recognised from the store alone, by any manager that becomes leader.
struct SlotMove: Hashable, Sendable {
    /// The task the slot moves to.
    var new: SwarmTask
    /// The task it replaces.
    var old: SwarmTask

    /// What becomes of a move in one pass.
    enum Outcome: Hashable, Sendable {
        /// Neither task has changed enough to decide: both stay, the old one is the slot's current task.
        case inFlight
        /// The new task runs: the old one is shut down.
        case completed
        /// The new task will not run (it failed, cannot be placed, its node went away, or it took too long): it is
        /// shut down and the old one stays.
        case abandoned(reason: String)
        /// The old task ended or was lost while the new one is on its way: the old one is shut down and the new one
        /// becomes the slot's task, without a restart.
        case oldLost(reason: String)
    }

    /// The move among a slot's wanted tasks (desired state `running` or earlier), if one of them was created by the
    /// rebalancer to replace another of them.
    static func find(in wanted: [SwarmTask]) -> SlotMove? {
        for task in wanted {
            guard let oldID = task.labels?[Rebalancer.movedFromLabel], oldID != task.id,
                let old = wanted.first(where: { $0.id == oldID })
            else { continue }
            return SlotMove(new: task, old: old)
        }
        return nil
    }

    /// Decides the move. `lost` says why a task's node can no longer run it ("node down", "node drained"), or nil.
    func resolve(lost: (SwarmTask) -> String?, now: Timestamp, timeout: Int64) -> Outcome {
        let oldGone: String? =
            old.status.state.isTerminal ? "task ended while it was being moved" : lost(old)
        let newGone: String? = {
            if new.status.state.isTerminal {
                return
                    "rebalancing abandoned: the new task did not start (\(new.status.err ?? new.status.state.rawValue))"
            }
            if let reason = lost(new) { return "rebalancing abandoned: \(reason)" }
            if new.status.state == .pending, new.status.err != nil {
                return "rebalancing abandoned: the node cannot take the task (\(new.status.err ?? ""))"
            }
            if new.status.state < .running, now >= new.createdAt.adding(nanoseconds: timeout) {
                return "rebalancing abandoned: the new task did not start in time"
            }
            return nil
        }()
        switch (oldGone, newGone) {
        case (_, .some(let reason)): return .abandoned(reason: reason)
        case (.some(let reason), nil): return .oldLost(reason: reason)
        case (nil, nil): return new.status.state == .running ? .completed : .inFlight
        }
    }
}

extension SwarmTask {
    /// For the new task of a rebalancing move: the ID of the task it replaces.
    var movedFrom: String? { labels?[Rebalancer.movedFromLabel] }
}

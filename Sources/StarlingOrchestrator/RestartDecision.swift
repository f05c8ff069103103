import StarlingModel

/// Docker's restart policy applied to one slot: whether its ended task is replaced, and when.
///
/// `condition`: `any` restarts whatever the exit, `on-failure` only after a failure, `none` never. `maxAttempts`
/// counts the restarts of the slot that began within `window` (or ever, with no window); 0 means no limit. The
/// replacement starts `delay` after the task ended. A task that was lost with its node, or whose node was drained,
/// is not a failure of the task: it is replaced at once, whatever the policy (Swarm waits the restart delay here,
/// which is most of its 21 s recovery time), and its replacement does not count as a restart.
public enum RestartDecision: Hashable, Sendable {
    case restart(at: Timestamp)
    case giveUp(reason: String)

    public static func decide(
        ended task: SwarmTask, history: [SwarmTask], policy: RestartPolicy?, nodeLost: Bool
    ) -> RestartDecision {
        if nodeLost { return .restart(at: task.status.timestamp) }
        let policy = policy ?? ServiceDefaults.restartPolicy
        switch policy.condition ?? .any {
        case .never:
            return .giveUp(reason: "restart policy: none")
        case .onFailure where !task.status.state.isFailure:
            return .giveUp(reason: "restart policy: on-failure, and the task completed")
        case .onFailure, .any:
            break
        }
        if let maxAttempts = policy.maxAttempts, maxAttempts > 0 {
            let windowStart: Timestamp? = policy.window.flatMap { window in
                window > 0 ? task.status.timestamp.adding(nanoseconds: -window) : nil
            }
            // A task of the slot is a restart when the one before it ended by itself; a task that replaced one
            // still alive (lost with its node, drained, moved by the rebalancer) is not.
            let ordered = history.sorted { $0.createdAt < $1.createdAt }
            let restarts = zip(ordered, ordered.dropFirst()).filter { predecessor, later in
                predecessor.status.state.endedByItself && (windowStart.map { later.createdAt >= $0 } ?? true)
            }
            if restarts.count >= maxAttempts {
                return .giveUp(reason: "restart policy: \(maxAttempts) attempts reached")
            }
        }
        let delay = policy.delay ?? ServiceDefaults.restartDelay
        return .restart(at: task.status.timestamp.adding(nanoseconds: delay))
    }
}

extension TaskState {
    /// The task stopped on its own (exited, or could not start), not because the managers asked: `complete`,
    /// `failed`, `rejected`.
    var endedByItself: Bool { self == .complete || self == .failed || self == .rejected }
}

extension Timestamp {
    /// This time moved by `nanoseconds` (negative: earlier).
    public func adding(nanoseconds: Int64) -> Timestamp {
        let total = Int64(self.nanoseconds) + nanoseconds % 1_000_000_000
        var seconds = self.seconds + nanoseconds / 1_000_000_000 + total / 1_000_000_000
        var nanos = total % 1_000_000_000
        if nanos < 0 {
            nanos += 1_000_000_000
            seconds -= 1
        }
        return Timestamp(seconds: seconds, nanoseconds: Int32(nanos))
    }
}

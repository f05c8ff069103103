import StarlingModel

/// Docker's restart policy applied to one slot: whether its ended task is replaced, and when.
///
/// `condition`: `any` restarts whatever the exit, `on-failure` only after a failure, `none` never. `maxAttempts`
/// counts the restarts of the slot that began within `window` (or ever, with no window); 0 means no limit. The
/// replacement starts `delay` after the task ended. A task that was lost with its node is not a failure of the
/// task: it is replaced at once, whatever the policy (Swarm waits the restart delay here, which is most of its
/// 21 s recovery time).
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
            // Every task of the slot but the first was a restart.
            let restarts = history.sorted { $0.createdAt < $1.createdAt }.dropFirst().filter { earlier in
                windowStart.map { earlier.createdAt >= $0 } ?? true
            }
            if restarts.count >= maxAttempts {
                return .giveUp(reason: "restart policy: \(maxAttempts) attempts reached")
            }
        }
        let delay = policy.delay ?? ServiceDefaults.restartDelay
        return .restart(at: task.status.timestamp.adding(nanoseconds: delay))
    }
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

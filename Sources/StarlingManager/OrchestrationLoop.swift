import Logging
import StarlingModel
import StarlingOrchestrator
import StarlingStore

/// Runs the orchestrators whenever the cluster changes (or a restart delay ends) and writes their plan in one
/// transaction that holds only if every task it touches is unchanged since the snapshot; otherwise it starts over
/// from the newer snapshot. When the orchestrators have nothing to do, the scheduler places the waiting tasks the
/// same way. Leader only.
///
/// Nothing here waits on a timer except what a plan asks for: a restart delay, the end of a rebalancing interval or
/// of a move's time limit (`OrchestrationPlan.wakeAt`). Draining a node replaces its tasks in the very next pass.
public struct OrchestrationLoop: Sendable {
    let manager: SwarmManager
    let policy: Rebalancer.Policy

    public init(manager: SwarmManager, rebalancing policy: Rebalancer.Policy = .default) {
        self.manager = manager
        self.policy = policy
    }

    public func run() async throws {
        var seen: Revision = 0
        var wakeAt: Timestamp?
        var failures = 0
        while !Task.isCancelled {
            let snapshot = try await nextSnapshot(after: seen, wakeAt: wakeAt)
            seen = snapshot.revision
            let pass = OrchestrationPass.run(
                snapshot: snapshot, now: manager.now(), policy: policy, makeID: { Identifier.make() })
            wakeAt = pass.plan.wakeAt
            do {
                if !pass.plan.isEmpty || !pass.reap.isEmpty {
                    if let revision = try await apply(pass, to: snapshot) {
                        _ = try await manager.view.snapshot(atLeast: revision)
                    }
                    failures = 0
                    continue
                }
                let decisions = SchedulingPass.run(
                    snapshot: snapshot, now: manager.now(), seed: UInt64(truncatingIfNeeded: snapshot.revision))
                if let revision = try await apply(decisions, to: snapshot) {
                    _ = try await manager.view.snapshot(atLeast: revision)
                }
                failures = 0
            } catch let error as StarlingError where error.code == .outOfSequence {
                // Something changed under the plan: the next snapshot has it; plan again from there.
                manager.logger.debug("orchestration plan raced with another write; planning again")
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // A plan the store refused must not stop orchestration for good: plan again from the current
                // snapshot after a pause that grows while the failures go on (0.1 s, doubling, at most 5 s).
                failures += 1
                let pause = min(Int64(100_000_000) << min(failures - 1, 6), 5_000_000_000)
                manager.logger.error(
                    "orchestration pass failed; planning again",
                    metadata: ["error": "\(error)", "failures": "\(failures)", "retryIn": "\(pause / 1_000_000) ms"])
                wakeAt = manager.now().adding(nanoseconds: pause)
            }
        }
    }

    /// The first snapshot after `revision`, or the current one once `wakeAt` has come.
    private func nextSnapshot(after revision: Revision, wakeAt: Timestamp?) async throws -> ClusterSnapshot {
        let view = manager.view
        guard let wakeAt else { return try await view.changes(after: revision) }
        let delay = max(
            0,
            Double(wakeAt.seconds - manager.now().seconds) + Double(wakeAt.nanoseconds - manager.now().nanoseconds)
                / 1e9)
        return try await withThrowingTaskGroup(of: ClusterSnapshot.self) { group in
            group.addTask { try await view.changes(after: revision) }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(delay * 1000) + 1))
                return view.snapshot
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    /// Writes the scheduler's decisions atomically; nil when there were none.
    private func apply(_ decisions: [SchedulingPass.Decision], to snapshot: ClusterSnapshot) async throws -> Revision? {
        var compares: [Compare] = []
        var operations: [StarlingStore.Operation] = []
        for decision in decisions {
            guard var task = snapshot.object(SwarmTask.self, id: decision.taskID) else { continue }
            compares.append(ObjectStore.unchanged(SwarmTask.self, id: task.id, since: task.version))
            task.nodeID = decision.nodeID
            task.genericResources = decision.genericResources
            task.status = decision.status
            task.updatedAt = decision.status.timestamp
            operations.append(try ObjectStore.putOperation(task))
        }
        guard !operations.isEmpty else { return nil }
        let result = try await manager.objects.store.txn(Transaction(compares: compares, success: operations))
        guard result.succeeded else { throw StarlingError.outOfSequence }
        return result.revision
    }

    /// Writes the plan atomically; nil when it wrote nothing. Throws `outOfSequence` if a task changed.
    private func apply(_ pass: OrchestrationPass, to snapshot: ClusterSnapshot) async throws -> Revision? {
        var compares: [Compare] = []
        var operations: [StarlingStore.Operation] = []
        for task in pass.plan.create {
            compares.append(.absent(SwarmTask.key(for: task.id)))
            operations.append(try ObjectStore.putOperation(task))
        }
        let now = manager.now()
        for change in pass.plan.changes {
            guard var task = snapshot.object(SwarmTask.self, id: change.taskID) else { continue }
            compares.append(ObjectStore.unchanged(SwarmTask.self, id: task.id, since: task.version))
            task.desiredState = change.desiredState
            task.updatedAt = now
            operations.append(try ObjectStore.putOperation(task))
        }
        for id in pass.reap {
            guard let task = snapshot.object(SwarmTask.self, id: id) else { continue }
            compares.append(ObjectStore.unchanged(SwarmTask.self, id: id, since: task.version))
            operations.append(.delete(key: SwarmTask.key(for: id)))
        }
        guard !operations.isEmpty else { return nil }
        let result = try await manager.objects.store.txn(Transaction(compares: compares, success: operations))
        guard result.succeeded else { throw StarlingError.outOfSequence }
        if !pass.plan.create.isEmpty || !pass.plan.changes.isEmpty {
            manager.logger.debug(
                "orchestration",
                metadata: [
                    "created": "\(pass.plan.create.count)", "changed": "\(pass.plan.changes.count)",
                    "reaped": "\(pass.reap.count)",
                ])
        }
        return result.revision
    }
}

import StarlingModel
import StarlingOrchestrator
import Testing

/// Tasks whose node can no longer keep them are replaced at once, not after the restart delay and not counted as
/// restarts: the node left the swarm (`node rm --force`), or no longer meets the task's placement constraints.
@Suite struct NodeLossTests {
    static let slowRestarts = RestartPolicy(condition: .any, delay: 60_000_000_000, maxAttempts: 1)

    @Test func tasksOnARemovedNodeAreReplacedAtOnceAndStayInTheHistory() throws {
        var harness = Harness(replicas: 3, restart: Self.slowRestarts)
        _ = harness.reconcile()
        harness.run(on: ["a", "b", "c"])
        let lost = try #require(harness.current.first { $0.nodeID == "c" })
        harness.nodes.removed = ["c"]
        harness.now = harness.now.adding(nanoseconds: 1_000_000_000)
        let plan = harness.reconcile()
        #expect(plan.changes.map(\.taskID) == [lost.id])
        #expect(plan.changes.first?.desiredState == .shutdown)
        #expect(plan.changes.first?.reason == "node removed")
        #expect(plan.create.map(\.slot) == [lost.slot])
        #expect(plan.wakeAt == nil)
        harness.run(on: ["a"])

        // Its old task never reports again; it is history, trimmed like any other.
        var reaped = harness
        reaped.stopAndReap()
        #expect(reaped.tasks[lost.id] != nil)
        reaped.stopAndReap(retention: 1)
        #expect(reaped.tasks[lost.id] == nil)

        // The replacement was not a restart: the one restart allowed is still there.
        let replacement = try #require(harness.current.first { $0.slot == lost.slot })
        harness.end(replacement.id, .failed)
        harness.now = harness.now.adding(nanoseconds: 60_000_000_000)
        #expect(harness.reconcile().create.count == 1)
    }

    @Test func aTaskWhoseNodeNoLongerMeetsItsConstraintsIsReplacedAtOnce() throws {
        var harness = Harness(replicas: 2, restart: Self.slowRestarts)
        _ = harness.reconcile()
        harness.run(on: ["a", "b"])
        let unfit = try #require(harness.current.first { $0.nodeID == "b" })
        harness.nodes.unfit = [unfit.id]
        let plan = harness.reconcile()
        #expect(plan.changes.map(\.taskID) == [unfit.id])
        #expect(plan.changes.first?.desiredState == .shutdown)
        #expect(plan.changes.first?.reason == NodeConditions.unfitReason)
        #expect(plan.create.map(\.slot) == [unfit.slot])
        #expect(plan.wakeAt == nil)
        #expect(harness.current.count == 2)
        #expect(harness.reconcile().isEmpty)
    }

    @Test func lossReasonsInOrder() {
        let task = Make.task("t", slot: 1, node: "n")
        #expect(NodeConditions().loss(of: task) == nil)
        #expect(NodeConditions(unfit: ["t"]).loss(of: task) == NodeConditions.unfitReason)
        #expect(NodeConditions(drained: ["n"], unfit: ["t"]).loss(of: task) == "node drained")
        #expect(NodeConditions(down: ["n"], drained: ["n"]).loss(of: task) == "node down")
        #expect(NodeConditions(down: ["n"], removed: ["n"]).loss(of: task) == "node removed")
        #expect(NodeConditions(down: ["n"]).loss(of: Make.task("u", slot: 1)) == nil)
    }

    @Test func jobTasksOnARemovedNodeAreReplacedAtOnce() {
        let service = Make.service(.replicatedJob(maxConcurrent: 2, totalCompletions: 2))
        let tasks = [
            Make.task("lost", slot: 0, node: "gone", state: .running, desired: .complete),
            Make.task("fine", slot: 1, node: "a", state: .running, desired: .complete),
        ]
        let plan = JobOrchestrator.reconcile(
            service: service, tasks: tasks, nodes: NodeConditions(removed: ["gone"]), now: Timestamp(seconds: 1_000),
            makeID: Make.ids())
        #expect(plan.changes.map(\.taskID) == ["lost"])
        #expect(plan.changes.first?.reason == "node removed")
        #expect(plan.create.map(\.slot) == [0])
        #expect(plan.create.map(\.desiredState) == [.complete])
    }
}

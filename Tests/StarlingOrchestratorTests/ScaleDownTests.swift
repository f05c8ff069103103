import StarlingModel
import StarlingOrchestrator
import Testing

extension Harness {
    /// The nodes stop the tasks no longer wanted (those on down or removed nodes cannot), and the task reaper
    /// deletes what it may.
    mutating func stopAndReap(retention: Int = 5) {
        for (id, task) in tasks where !task.isWanted && task.status.state <= .running {
            guard let node = task.nodeID, !nodes.down.contains(node), !nodes.removed.contains(node) else { continue }
            tasks[id]?.status = TaskStatus(timestamp: now, state: .shutdown)
        }
        let reaping = TaskReaper.reap(
            tasks: Array(tasks.values), liveServices: [service.id], retention: retention, nodes: nodes, now: now)
        for id in reaping.taskIDs { tasks[id] = nil }
    }

    func slot(_ slot: Int) -> [SwarmTask] { tasks.values.filter { $0.slot == slot } }
}

/// Scaling down removes whole slots with desired state `remove`, as SwarmKit does, and the reaper then deletes them:
/// `docker service ps` lists only the slots that are left, with their history.
@Suite struct ScaleDownTests {
    @Test func scalingDownRemovesWholeSlotsHistoryIncludedAndTheReaperDeletesThem() {
        var harness = Harness(replicas: 5)
        _ = harness.reconcile()
        harness.run(on: ["a", "b", "c", "a", "b"])  // slots 1 ... 5
        // Slot 5 has history: its first task failed and was replaced.
        let failed = harness.slot(5)[0]
        harness.end(failed.id, .failed)
        _ = harness.reconcile()
        harness.run(on: ["b"])
        // Slot 2 too: it stays, and so does its history.
        harness.end(harness.slot(2)[0].id, .failed)
        _ = harness.reconcile()
        harness.run(on: ["b"])
        harness.stopAndReap()
        #expect(harness.tasks.count == 7)

        harness.scale(2)
        let plan = harness.reconcile()
        let removedSlots = Set(harness.tasks.values.filter { $0.desiredState == .remove }.compactMap(\.slot))
        #expect(removedSlots.count == 3)
        let removedTasks = harness.tasks.values.filter { removedSlots.contains($0.slot ?? 0) }
        #expect(Set(plan.changes.map(\.taskID)) == Set(removedTasks.map(\.id)))
        #expect(plan.changes.allSatisfy { $0.desiredState == .remove && $0.reason == "service scaled down" })
        #expect(removedTasks.contains { $0.id == failed.id } == removedSlots.contains(5))
        #expect(plan.create.isEmpty)
        #expect(harness.current.count == 2)

        // Once the nodes have stopped them, the removed slots are gone; the kept slots keep their history.
        harness.stopAndReap()
        let left = Set(harness.tasks.values.compactMap(\.slot))
        #expect(left.count == 2 && left.isDisjoint(with: removedSlots))
        #expect(harness.tasks.count == 2 + (left.contains(2) ? 1 : 0) + (left.contains(5) ? 1 : 0))
        #expect(harness.reconcile().isEmpty)
    }

    @Test func whatStaysIsSpreadAndRunning() {
        var harness = Harness(replicas: 5)
        _ = harness.reconcile()
        harness.run(on: ["a", "b", "c", "a", "b"])
        harness.scale(2)
        _ = harness.reconcile()
        harness.stopAndReap()
        #expect(harness.tasks.values.map(\.slot).sorted { ($0 ?? 0) < ($1 ?? 0) } == [1, 2])
        #expect(Set(harness.current.compactMap(\.nodeID)) == ["a", "b"])
    }

    @Test func aReplacementScaledAwayInTheSamePassIsNeverCreated() {
        var harness = Harness(replicas: 3)
        _ = harness.reconcile()
        harness.run(on: ["a", "b", "c"])
        let failed = harness.slot(3)[0]
        harness.end(failed.id, .failed)
        harness.scale(2)
        let plan = harness.reconcile()
        #expect(plan.create.isEmpty)
        // One change for the failed task, not a shutdown and then a removal.
        #expect(plan.changes.map(\.taskID) == [failed.id])
        #expect(plan.changes.first?.desiredState == .remove)
    }

    @Test func aMoveInFlightInARemovedSlotGoesWithIt() {
        var harness = Harness(replicas: 2)
        harness.tasks = [
            "one": Make.task("one", slot: 1, node: "a"),
            "old": Make.task("old", slot: 2, node: "a"),
        ]
        var new = Make.task("new", slot: 2, node: "b", state: .assigned, created: 990)
        new.labels = [Rebalancer.movedFromLabel: "old"]
        harness.tasks["new"] = new
        harness.scale(1)
        let plan = harness.reconcile()
        #expect(Set(plan.changes.map(\.taskID)) == ["old", "new"])
        #expect(plan.changes.allSatisfy { $0.desiredState == .remove })
    }

    @Test func aSlotLeftWithoutATaskIsRemovedUnlessTheServiceFillsItAgain() {
        // Slot 2 was scaled away before tasks were given `remove` (its task was only shut down).
        var harness = Harness(replicas: 1)
        harness.tasks = [
            "one": Make.task("one", slot: 1, node: "a"),
            "two": Make.task("two", slot: 2, node: "a", state: .shutdown, desired: .shutdown),
        ]
        var removed = harness
        let plan = removed.reconcile()
        #expect(plan.changes.map(\.taskID) == ["two"])
        #expect(plan.changes.first?.desiredState == .remove)
        #expect(plan.create.isEmpty)

        harness.scale(2)
        let refill = harness.reconcile()
        #expect(refill.changes.isEmpty)
        #expect(refill.create.map(\.slot) == [2])
    }
}

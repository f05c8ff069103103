import StarlingModel
import StarlingOrchestrator
import Testing

@Suite struct TaskReaperTests {
    let now = Timestamp(seconds: 1_000)

    func reap(
        _ tasks: [SwarmTask], live: Set<String> = ["svc"], retention: Int = 5, nodes: NodeConditions = NodeConditions(),
        at time: Timestamp? = nil
    ) -> TaskReaper.Reaping {
        TaskReaper.reap(tasks: tasks, liveServices: live, retention: retention, nodes: nodes, now: time ?? now)
    }

    // MARK: History

    @Test func keepsTheNewestTasksOfEachSlot() {
        var tasks = (0..<8).map { i in
            Make.task("s1-\(i)", slot: 1, state: .failed, desired: .shutdown, created: Int64(100 + i))
        }
        tasks.append(Make.task("s1-live", slot: 1, state: .running, created: 200))
        tasks.append(Make.task("s2-0", slot: 2, state: .failed, desired: .shutdown, created: 100))
        // 9 tasks in slot 1: the live one and the 4 newest stopped ones stay.
        #expect(reap(tasks).taskIDs == ["s1-0", "s1-1", "s1-2", "s1-3"])
    }

    @Test func neverReapsWhatMayStillRun() {
        let tasks = (0..<8).map { i in Make.task("t\(i)", slot: 1, state: .running, created: Int64(i)) }
        #expect(reap(tasks, retention: 2).taskIDs.isEmpty)
    }

    @Test func negativeRetentionKeepsAllTheHistory() {
        let tasks = (0..<8).map { i in
            Make.task("t\(i)", slot: 1, state: .failed, desired: .shutdown, created: Int64(i))
        }
        #expect(reap(tasks, retention: -1).taskIDs.isEmpty)
    }

    @Test func jobSlotZeroKeepsItsOwnHistoryAndTheCompletedTaskStays() {
        // Job slots count from 0: slot 0 is a slot like any other, not "no slot".
        var tasks = (0..<3).map { i in
            Make.task("f\(i)", slot: 0, node: "n\(i)", state: .failed, desired: .shutdown, created: Int64(100 + i))
        }
        tasks.append(Make.task("done", slot: 0, node: "a", state: .complete, desired: .complete, created: 200))
        #expect(reap(tasks, retention: 1).taskIDs == ["f0", "f1", "f2"])
        // A completed job task is wanted (its slot is done): never trimmed, whatever the retention.
        let completed = (0..<3).map { i in
            Make.task("c\(i)", node: "a", state: .complete, desired: .complete, created: Int64(100 + i))
        }
        #expect(reap(completed, retention: 0).taskIDs.isEmpty)
    }

    @Test func historyOnARemovedNodeIsTrimmedThoughItNeverReportedStopping() {
        let tasks = (0..<3).map { i in
            Make.task("t\(i)", slot: 1, node: "gone", state: .running, desired: .shutdown, created: Int64(100 + i))
        }
        #expect(reap(tasks, retention: 1).taskIDs.isEmpty)
        #expect(reap(tasks, retention: 1, nodes: NodeConditions(removed: ["gone"])).taskIDs == ["t0", "t1"])
    }

    // MARK: Removed slots and services

    @Test func removeTasksGoOnceStoppedOrIfTheyNeverReachedANode() {
        let tasks = [
            Make.task("running", slot: 3, node: "a", state: .running, desired: .remove),
            Make.task("starting", slot: 3, node: "a", state: .assigned, desired: .remove),
            Make.task("stopped", slot: 4, node: "a", state: .shutdown, desired: .remove),
            Make.task("exited", slot: 4, node: "a", state: .complete, desired: .remove),
            Make.task("pending", slot: 5, state: .pending, desired: .remove),
            Make.task("pinned", slot: 5, node: "b", state: .new, desired: .remove),
        ]
        let reaping = reap(tasks)
        #expect(reaping.taskIDs == ["exited", "pending", "pinned", "stopped"])
        #expect(reaping.wakeAt == nil)
        // However short the history limit, or with none.
        #expect(reap(tasks, retention: -1).taskIDs == reaping.taskIDs)
    }

    @Test func tasksOfDeletedServicesGoOnceStopped() {
        let tasks = [
            Make.task("gone-stopped", service: "old", slot: 1, state: .shutdown, desired: .shutdown),
            Make.task("gone-running", service: "old", slot: 2, node: "a", state: .running, desired: .remove),
            Make.task("gone-failed", service: "old", slot: 3, node: "a", state: .failed, desired: .running),
        ]
        #expect(reap(tasks, live: []).taskIDs == ["gone-failed", "gone-stopped"])
    }

    @Test func removeTasksOnARemovedNodeGoAtOnce() {
        let tasks = [Make.task("t1", slot: 3, node: "gone", state: .running, desired: .remove)]
        #expect(reap(tasks, nodes: NodeConditions(removed: ["gone"])).taskIDs == ["t1"])
    }

    @Test func removeTasksOnADownNodeGoOnceTheNodeHasBeenDownForTheGrace() {
        let tasks = [
            Make.task("t1", slot: 3, node: "b", state: .running, desired: .remove),
            Make.task("t2", service: "old", slot: 1, node: "c", state: .running, desired: .remove),
            Make.task("kept", slot: 1, node: "b", state: .running, desired: .shutdown),
        ]
        let since = Timestamp(seconds: 500)
        let nodes = NodeConditions(
            down: ["b", "c"], downSince: ["b": since, "c": Timestamp(seconds: 800)])
        let due = since.adding(nanoseconds: TaskReaper.downNodeGrace)
        let early = reap(tasks, live: ["svc"], nodes: nodes, at: now)
        #expect(early.taskIDs.isEmpty)
        #expect(early.wakeAt == due)
        let late = reap(tasks, live: ["svc"], nodes: nodes, at: due)
        #expect(late.taskIDs == ["t1"])
        #expect(late.wakeAt == Timestamp(seconds: 800).adding(nanoseconds: TaskReaper.downNodeGrace))
        // A down node whose time is not known is never given up on.
        #expect(reap(tasks, nodes: NodeConditions(down: ["b", "c"]), at: due).taskIDs.isEmpty)
        // A short grace, as a caller may choose.
        let quick = TaskReaper.reap(
            tasks: tasks, liveServices: ["svc"], retention: 5, nodes: nodes, now: Timestamp(seconds: 1_000),
            downNodeGrace: 60_000_000_000)
        #expect(quick.taskIDs == ["t1", "t2"])
    }
}

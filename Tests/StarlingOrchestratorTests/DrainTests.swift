import StarlingModel
import StarlingOrchestrator
import Testing

/// Draining a node moves its replicated and job tasks off it at once; pausing one only stops new placements.
@Suite struct DrainTests {
    static let threeNodes: [String: ClusterHarness.NodeInfo] = ["a": .init(), "b": .init(), "c": .init()]

    @Test func drainedNodeTasksAreReplacedInTheirSlotsInOnePlan() {
        // A 60 s restart delay must not hold the replacements back: a drain is not a failure of the task.
        var cluster = ClusterHarness(
            replicas: 12, nodes: Self.threeNodes, layout: [("a", 4), ("b", 4), ("c", 4)],
            restart: RestartPolicy(condition: .any, delay: 60_000_000_000))
        let onB = cluster.running.filter { $0.nodeID == "b" }
        cluster.nodes["b"]?.availability = .drain
        let plan = cluster.pass()
        #expect(Set(plan.changes.map(\.taskID)) == Set(onB.map(\.id)))
        #expect(plan.changes.allSatisfy { $0.desiredState == .shutdown && $0.reason == "node drained" })
        #expect(plan.create.compactMap(\.slot).sorted() == onB.compactMap(\.slot).sorted())
        #expect(plan.create.allSatisfy { $0.nodeID == nil && $0.status.state == .new })
        #expect(plan.wakeAt == nil)
        cluster.agents()
        #expect(cluster.runningPerNode == ["a": 6, "b": 0, "c": 6])
        // Nothing else happens: the rebalancer does not put tasks back on the drained node.
        #expect(cluster.settle() <= 2)
        #expect(cluster.runningPerNode == ["a": 6, "b": 0, "c": 6])
    }

    @Test func aDrainReplacementIsNotCountedAgainstMaxAttempts() {
        var cluster = ClusterHarness(
            replicas: 1, nodes: Self.threeNodes, layout: [("a", 1)],
            restart: RestartPolicy(condition: .any, delay: 0, maxAttempts: 1))
        cluster.nodes["a"]?.availability = .drain
        #expect(cluster.pass().create.count == 1)
        cluster.agents()
        // The replacement fails: one restart is still allowed, and the second failure is final.
        for (index, expected) in [1, 0].enumerated() {
            guard let current = cluster.running.first else {
                Issue.record("no running task at failure \(index)")
                return
            }
            cluster.tasks[current.id]?.status = TaskStatus(timestamp: cluster.now, state: .failed, err: "exit 1")
            #expect(cluster.pass().create.count == expected, "failure \(index)")
            cluster.agents()
        }
    }

    @Test func pausedNodeKeepsItsTasksAndGetsNoNewOnes() {
        var cluster = ClusterHarness(replicas: 6, nodes: Self.threeNodes, layout: [("a", 2), ("b", 2), ("c", 2)])
        cluster.nodes["b"]?.availability = .pause
        #expect(cluster.pass().isEmpty)
        cluster.service.spec.mode = .replicated(replicas: 8)
        #expect(cluster.pass().create.count == 2)
        cluster.agents()
        #expect(cluster.runningPerNode == ["a": 3, "b": 2, "c": 3])
        // A task on the paused node that ends is restarted elsewhere.
        let onB = cluster.running.first { $0.nodeID == "b" }
        cluster.tasks[onB?.id ?? ""]?.status = TaskStatus(timestamp: cluster.now, state: .failed)
        cluster.pass()
        cluster.agents()
        #expect(cluster.runningPerNode["b"] == 1)
        #expect(cluster.running.count == 8)
    }

    @Test func replicatedJobTasksLeaveADrainedNodeUnlessComplete() {
        let service = Make.service(.replicatedJob(maxConcurrent: 3, totalCompletions: 3))
        let tasks = [
            Make.task("done", slot: 0, node: "a", state: .complete),
            Make.task("busy", slot: 1, node: "a", state: .running),
            Make.task("elsewhere", slot: 2, node: "b", state: .running),
        ]
        let plan = JobOrchestrator.reconcile(
            service: service, tasks: tasks, nodes: NodeConditions(drained: ["a"]), now: Timestamp(seconds: 1_000),
            makeID: Make.ids())
        #expect(plan.changes.map(\.taskID) == ["busy"])
        #expect(plan.changes.first?.reason == "node drained")
        #expect(plan.create.compactMap(\.slot) == [1])
        #expect(plan.create.allSatisfy { $0.nodeID == nil })
    }

    @Test func globalJobLeavesADrainedNodeAndDoesNotRunAgainWhereItCompleted() {
        let service = Make.service(.globalJob)
        let tasks = [
            Make.task("running-on-a", node: "a", state: .running),
            Make.task("done-on-b", node: "b", state: .complete),
        ]
        let drained = GlobalOrchestrator.reconcile(
            service: service, tasks: tasks, nodes: [Make.node("a", .drain), Make.node("b")],
            now: Timestamp(seconds: 1_000), makeID: Make.ids())
        #expect(drained.changes.map(\.taskID) == ["running-on-a"])
        #expect(drained.create.isEmpty)
    }
}

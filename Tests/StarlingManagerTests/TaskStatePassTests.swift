import StarlingManager
import StarlingModel
import StarlingOrchestrator
import Testing

/// Task states as users see them, through the manager's real passes over real snapshots: scaled-down slots and
/// removed services are removed and then deleted, jobs' tasks are desired `complete`, tasks of a node that left
/// the swarm are replaced, and tasks whose node no longer meets their constraints are moved.
@Suite struct TaskStatePassTests {
    static func threeNodes() -> PassSimulation {
        var cluster = PassSimulation()
        for id in ["a", "b", "c"] { cluster.addNode(id) }
        return cluster
    }

    @Test func scalingDownLeavesOnlyTheRemainingSlots() async throws {
        var cluster = Self.threeNodes()
        cluster.addService("web", replicas: 5, layout: [("a", 2), ("b", 2), ("c", 1)])
        cluster.services["web"]?.spec.mode = .replicated(replicas: 2)
        let pass = try await cluster.round()
        #expect(pass.plan.changes.count == 3)
        #expect(pass.plan.changes.allSatisfy { $0.desiredState == .remove })
        #expect(pass.reap.isEmpty)
        cluster.agents()
        let reaped = try await cluster.round()
        #expect(reaped.reap.count == 3)
        let left = cluster.tasks(of: "web")
        #expect(left.count == 2)
        #expect(left.allSatisfy { $0.desiredState == .running && $0.status.state == .running })
        #expect(Set(left.compactMap(\.nodeID)).count == 2)
        try await cluster.settle()
        #expect(cluster.tasks(of: "web").count == 2)
    }

    @Test func theTasksOfARemovedServiceAreRemovedThenDeleted() async throws {
        var cluster = Self.threeNodes()
        cluster.addService("web", replicas: 3, layout: [("a", 1), ("b", 1), ("c", 1)])
        cluster.services["web"] = nil
        let pass = try await cluster.round()
        #expect(pass.plan.changes.map(\.desiredState) == [.remove, .remove, .remove])
        #expect(pass.plan.changes.allSatisfy { $0.reason == "service removed" })
        #expect(pass.reap.isEmpty)
        cluster.agents()
        try await cluster.round()
        #expect(cluster.tasks.isEmpty)
    }

    @Test func aPendingTaskOfARemovedServiceIsDeletedAtOnceWithoutAChange() async throws {
        // Given `remove` and deleted in the same pass, it would be written twice in one transaction, which the
        // store refuses (and the loop would stop).
        var cluster = Self.threeNodes()
        cluster.addService(
            "pend", replicas: 1, layout: [], placement: Placement(constraints: ["node.labels.x==y"]))
        try await cluster.settle()
        #expect(cluster.tasks(of: "pend").map(\.status.state) == [.pending])
        cluster.services["pend"] = nil
        let pass = try await cluster.round()
        #expect(pass.plan.changes.isEmpty)
        #expect(pass.reap.count == 1)
        #expect(cluster.tasks.isEmpty)
    }

    @Test func aRemovedTaskOnADownNodeIsDeletedOnceTheNodeHasBeenDownADay() async throws {
        var cluster = Self.threeNodes()
        cluster.addService("web", replicas: 3, layout: [("a", 1), ("b", 1), ("c", 1)])
        cluster.markDown("c")
        cluster.services["web"] = nil
        try await cluster.round()
        cluster.agents()
        let pass = try await cluster.round()
        let onC = cluster.tasks(of: "web")
        #expect(onC.map(\.nodeID) == ["c"])
        #expect(onC.map(\.desiredState) == [.remove])
        let due = cluster.now.adding(nanoseconds: TaskReaper.downNodeGrace)
        #expect(pass.plan.wakeAt == due)
        cluster.now = due
        try await cluster.round()
        #expect(cluster.tasks.isEmpty)
    }

    @Test func theTasksOfANodeRemovedFromTheSwarmAreReplacedAtOnce() async throws {
        var cluster = Self.threeNodes()
        cluster.addService("web", replicas: 3, layout: [("a", 1), ("b", 1), ("c", 1)])
        cluster.addService("agent", mode: .global)
        try await cluster.settle()
        #expect(cluster.tasks(of: "agent").count == 3)
        let lost = try #require(cluster.tasks(of: "web").first { $0.nodeID == "c" })
        cluster.nodes["c"] = nil  // node rm --force of a node that is down
        let pass = try await cluster.round()
        let change = try #require(pass.plan.changes.first { $0.taskID == lost.id })
        #expect(change.desiredState == .shutdown)
        #expect(change.reason == "node removed")
        #expect(pass.plan.create.map(\.slot) == [lost.slot])
        try await cluster.settle()
        #expect(cluster.runningPerNode(of: "web").values.reduce(0, +) == 3)
        // The replicated task stays as its slot's history; the global one is removed and deleted.
        #expect(cluster.tasks[lost.id]?.desiredState == .shutdown)
        #expect(cluster.tasks(of: "agent").count == 2)
    }

    @Test func aTaskWhoseNodeLostTheLabelItsConstraintNeedsIsMoved() async throws {
        var cluster = PassSimulation()
        for id in ["a", "b"] { cluster.addNode(id, labels: ["zone": "east"]) }
        cluster.addNode("west", labels: ["zone": "west"])
        cluster.addService(
            "web", replicas: 4, layout: [("a", 2), ("b", 2)],
            placement: Placement(constraints: ["node.labels.zone==east"]))
        cluster.nodes["b"]?.spec.labels = [:]
        let onB = Set(cluster.tasks(of: "web").filter { $0.nodeID == "b" }.map(\.id))
        let pass = try await cluster.round()
        #expect(Set(pass.plan.changes.map(\.taskID)) == onB)
        #expect(pass.plan.changes.allSatisfy { $0.reason == NodeConditions.unfitReason })
        #expect(pass.plan.create.count == 2)
        try await cluster.settle()
        #expect(cluster.runningPerNode(of: "web") == ["a": 4, "b": 0, "west": 0])
    }

    @Test func pausedNodesAndJobsKeepTasksTheirNodeNoLongerFits() async throws {
        var cluster = PassSimulation()
        cluster.addNode("a", labels: ["zone": "east"])
        cluster.addNode("paused", labels: ["zone": "east"], availability: .pause)
        let east = Placement(constraints: ["node.labels.zone==east"])
        cluster.addService("web", replicas: 2, layout: [("a", 1), ("paused", 1)], placement: east)
        cluster.addService("job", mode: .replicatedJob(maxConcurrent: 1, totalCompletions: 1), placement: east)
        var job = ReplicatedOrchestrator.newTask(
            for: try #require(cluster.services["job"]), slot: 0, nodeID: "a", now: cluster.now, id: "job-0")
        job.status = TaskStatus(timestamp: cluster.now, state: .running)
        cluster.tasks[job.id] = job
        cluster.nodes["a"]?.spec.labels = ["zone": "west"]
        cluster.nodes["paused"]?.spec.labels = [:]
        let pass = try await cluster.round()
        // Only the replicated task on the active node goes.
        let onA = try #require(cluster.tasks(of: "web").first { $0.nodeID == "a" })
        #expect(pass.plan.changes.map(\.taskID) == [onA.id])
    }

    @Test func jobsRunWithDesiredStateComplete() async throws {
        var cluster = Self.threeNodes()
        cluster.addService("job", mode: .replicatedJob(maxConcurrent: 0, totalCompletions: 3))
        cluster.addService("each", mode: .globalJob)
        try await cluster.settle()
        for service in ["job", "each"] {
            let tasks = cluster.tasks(of: service)
            #expect(tasks.count == 3, "\(service)")
            #expect(tasks.allSatisfy { $0.desiredState == .complete && $0.status.state == .complete }, "\(service)")
        }
    }

    @Test func aRunningJobTaskHoldsItsNodesResources() async throws {
        var cluster = PassSimulation()
        cluster.addNode("a")
        cluster.addService("job", mode: .replicatedJob(maxConcurrent: 1, totalCompletions: 1))
        var job = ReplicatedOrchestrator.newTask(
            for: try #require(cluster.services["job"]), slot: 0, nodeID: "a", now: cluster.now, id: "job-0")
        job.spec.resources = ResourceRequirements(reservations: Resources(nanoCPUs: 3_000_000_000))
        job.status = TaskStatus(timestamp: cluster.now, state: .running)
        cluster.tasks[job.id] = job
        cluster.addService("web", replicas: 1, layout: [], reservations: Resources(nanoCPUs: 2_000_000_000))
        try await cluster.round()
        try await cluster.round()
        let web = try #require(cluster.tasks(of: "web").first)
        #expect(web.status.state == .pending)
        #expect(web.status.err?.contains("insufficient resources") == true)
    }
}

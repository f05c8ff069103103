import StarlingManager
import StarlingModel
import StarlingOrchestrator
import Testing

/// Drain, pause and rebalancing through the manager's real passes: the orchestration pass asks the scheduler which
/// nodes could take a service's task, and the scheduling pass places what the orchestrators create.
@Suite struct RebalancePassTests {
    @Test func aJoiningNodeGetsItsShareThroughTheRealScheduler() async throws {
        var cluster = PassSimulation()
        for id in ["a", "b", "c"] { cluster.addNode(id) }
        cluster.addService("web", replicas: 30, layout: [("a", 15), ("b", 15)])
        var fewest = Int.max
        let rounds = try await cluster.settle { fewest = min(fewest, $0.running(of: "web")) }
        #expect(rounds < 300)
        #expect(cluster.runningPerNode(of: "web") == ["a": 10, "b": 10, "c": 10])
        #expect(fewest == 30)
    }

    @Test func onlyNodesTheSchedulerWouldUseAreTargets() async throws {
        var cluster = PassSimulation()
        cluster.addNode("a", labels: ["zone": "east"])
        cluster.addNode("b", labels: ["zone": "east"])
        cluster.addNode("west", labels: ["zone": "west"])
        cluster.addNode("paused", labels: ["zone": "east"], availability: .pause)
        // 600 MiB per task: "small", with 1 GiB, can hold one.
        cluster.addNode("small", labels: ["zone": "east"])
        cluster.nodes["small"]?.description?.resources?.memoryBytes = 1 << 30
        cluster.addService(
            "web", replicas: 6, layout: [("a", 6)], placement: Placement(constraints: ["node.labels.zone==east"]),
            reservations: Resources(memoryBytes: 600 << 20))
        try await cluster.settle()
        #expect(cluster.runningPerNode(of: "web") == ["a": 3, "b": 2, "west": 0, "paused": 0, "small": 1])
    }

    @Test func maxReplicasPerNodeIsRespected() async throws {
        var cluster = PassSimulation()
        for id in ["a", "b", "c"] { cluster.addNode(id) }
        cluster.addService("web", replicas: 4, layout: [("a", 2), ("b", 2)], placement: Placement(maxReplicas: 2))
        cluster.addService("api", replicas: 6, layout: [("a", 3), ("b", 3)], placement: Placement(maxReplicas: 3))
        try await cluster.settle()
        #expect(cluster.runningPerNode(of: "web").values.sorted() == [1, 1, 2])
        #expect(cluster.runningPerNode(of: "api") == ["a": 2, "b": 2, "c": 2])
    }

    @Test func drainMovesTasksInOneRoundAndPauseOnlyStopsNewOnes() async throws {
        var cluster = PassSimulation()
        for id in ["a", "b", "c"] { cluster.addNode(id) }
        cluster.addService("web", replicas: 9, layout: [("a", 3), ("b", 3), ("c", 3)])
        cluster.nodes["c"]?.spec.availability = .pause
        #expect(try await cluster.round().plan.isEmpty)
        cluster.nodes["b"]?.spec.availability = .drain
        let drain = try await cluster.round()
        #expect(drain.plan.changes.count == 3 && drain.plan.create.count == 3)
        #expect(drain.plan.wakeAt == nil)
        // The very next round places the replacements: only on a, the one node that is active.
        try await cluster.round()
        cluster.agents()
        #expect(cluster.runningPerNode(of: "web") == ["a": 6, "b": 0, "c": 3])
        // The pause ends: c gets its share back from a, b (still drained) gets nothing.
        cluster.nodes["c"]?.spec.availability = .active
        try await cluster.settle()
        #expect(cluster.runningPerNode(of: "web") == ["a": 5, "b": 0, "c": 4])
    }

    @Test func movesOverAllServicesStayWithinTheClusterBudget() async throws {
        var cluster = PassSimulation()
        for id in ["a", "b"] { cluster.addNode(id) }
        for service in ["s1", "s2", "s3"] { cluster.addService(service, replicas: 8, layout: [("a", 8)]) }
        cluster.policy.maxMovesInCluster = 3
        let first = try await cluster.round()
        #expect(first.plan.create.count == 3)
        #expect(Rebalancer.movesInFlight(Array(cluster.tasks.values)) == 3)
        #expect(try await cluster.round().plan.create.isEmpty)
        try await cluster.settle()
        for service in ["s1", "s2", "s3"] { #expect(cluster.runningPerNode(of: service) == ["a": 4, "b": 4]) }
    }
}

import StarlingModel
import StarlingOrchestrator
import Testing

/// Rebalancing of replicated services: start-first moves onto under-loaded eligible nodes, rate-limited, never
/// fewer running tasks than replicas.
@Suite struct RebalancerTests {
    static func nodes(_ ids: String...) -> [String: ClusterHarness.NodeInfo] {
        Dictionary(uniqueKeysWithValues: ids.map { ($0, ClusterHarness.NodeInfo()) })
    }

    @Test func aNodeThatJoinsGetsItsShareWithoutEverRunningFewerThanTheReplicas() {
        var cluster = ClusterHarness(replicas: 30, nodes: Self.nodes("a", "b", "c"), layout: [("a", 15), ("b", 15)])
        var fewest = Int.max
        var mostInFlight = 0
        let passes = cluster.settle(check: { cluster in
            fewest = min(fewest, cluster.running.count)
            mostInFlight = max(mostInFlight, Rebalancer.movesInFlight(Array(cluster.tasks.values)))
        })
        #expect(passes < 200)
        #expect(cluster.runningPerNode == ["a": 10, "b": 10, "c": 10])
        #expect(fewest == 30)
        #expect(mostInFlight <= Rebalancer.Policy.default.maxMovesPerService)
        // Exactly the ten moves needed, every one to c, each keeping its slot; the old tasks were stopped.
        let moves = cluster.moveTasks
        #expect(moves.count == 10)
        #expect(moves.allSatisfy { $0.nodeID == "c" && $0.status.state == .running })
        for move in moves {
            let old = cluster.tasks[move.labels?[Rebalancer.movedFromLabel] ?? ""]
            #expect(old?.slot == move.slot)
            #expect(old?.desiredState == .shutdown && old?.status.state == .shutdown)
        }
        #expect(Set(cluster.running.compactMap(\.slot)) == Set(1...30))
    }

    @Test func movesStartInBatchesAtLeastTheIntervalApartAndTheLoopIsWokenForTheNext() {
        var cluster = ClusterHarness(replicas: 30, nodes: Self.nodes("a", "b", "c"), layout: [("a", 15), ("b", 15)])
        cluster.policy = Rebalancer.Policy(
            maxMovesPerService: 3, maxMovesInCluster: 8, minInterval: 10_000_000_000, moveTimeout: 60_000_000_000)
        let first = cluster.pass()
        #expect(first.create.count == 3)
        #expect(first.create.allSatisfy { $0.nodeID == "c" && $0.labels?[Rebalancer.movedFromLabel] != nil })
        // In flight: the old tasks keep running, nothing more starts, and the move's time limit is a wake-up.
        let inFlight = cluster.pass()
        #expect(inFlight.isEmpty)
        #expect(inFlight.wakeAt == cluster.now.adding(nanoseconds: 60_000_000_000))
        #expect(cluster.running.count == 30)
        cluster.agents()
        // The new tasks run: the old ones are shut down, and the next batch waits for the interval.
        let completed = cluster.pass()
        #expect(completed.changes.count == 3 && completed.create.isEmpty)
        cluster.agents()
        let early = cluster.pass()
        #expect(early.isEmpty)
        #expect(early.wakeAt == Timestamp(seconds: 1_010))
        cluster.now = Timestamp(seconds: 1_010)
        #expect(cluster.pass().create.count == 3)
        let starts = Set(cluster.moveTasks.map(\.createdAt))
        #expect(starts == [Timestamp(seconds: 1_000), Timestamp(seconds: 1_010)])
    }

    @Test func theClusterBudgetBoundsMovesOverAllServices() {
        var cluster = ClusterHarness(replicas: 30, nodes: Self.nodes("a", "b", "c"), layout: [("a", 15), ("b", 15)])
        let plan = Rebalancer.plan(
            service: cluster.service, tasks: Array(cluster.tasks.values), nodeIDs: ["a", "b", "c"],
            nodes: ["a", "b", "c"].map { Rebalancer.NodeFacts(id: $0, eligible: true) }, clusterBudget: 1,
            now: cluster.now, makeID: { "x" }, room: { $1 })
        #expect(plan.create.count == 1)
        cluster.nodes["c"]?.availability = .pause
        #expect(cluster.pass().isEmpty)
    }

    @Test func aServiceCanOptOutAndOneBeingUpdatedIsLeftAlone() {
        var optedOut = ClusterHarness(
            replicas: 30, nodes: Self.nodes("a", "b", "c"), layout: [("a", 15), ("b", 15)],
            labels: [Rebalancer.serviceLabel: "false"])
        #expect(optedOut.settle() == 1)
        #expect(optedOut.runningPerNode == ["a": 15, "b": 15, "c": 0])

        var updating = ClusterHarness(replicas: 30, nodes: Self.nodes("a", "b", "c"), layout: [("a", 15), ("b", 15)])
        updating.service.updateStatus = UpdateStatus(state: .updating)
        #expect(updating.settle() == 1)
        updating.service.updateStatus = UpdateStatus(state: .completed)
        updating.settle()
        #expect(updating.runningPerNode == ["a": 10, "b": 10, "c": 10])
    }

    @Test func aServiceWhoseTasksAreNotUpToDateIsLeftAlone() {
        // The spec changed and no update has replaced the tasks yet: a move would be an update in disguise.
        var cluster = ClusterHarness(replicas: 30, nodes: Self.nodes("a", "b", "c"), layout: [("a", 15), ("b", 15)])
        cluster.service.spec.taskTemplate.containerSpec?.image = "busybox:2"
        #expect(cluster.settle() == 1)
        #expect(cluster.runningPerNode == ["a": 15, "b": 15, "c": 0])
    }

    @Test func globalServicesAndJobsAreNeverRebalanced() {
        var cluster = ClusterHarness(replicas: 30, nodes: Self.nodes("a", "b", "c"), layout: [("a", 15), ("b", 15)])
        let facts = ["a", "b", "c"].map { Rebalancer.NodeFacts(id: $0, eligible: true) }
        for mode in [ServiceMode.global, .globalJob, .replicatedJob(maxConcurrent: 30, totalCompletions: 30)] {
            cluster.service.spec.mode = mode
            let plan = Rebalancer.plan(
                service: cluster.service, tasks: Array(cluster.tasks.values), nodeIDs: ["a", "b", "c"], nodes: facts,
                now: cluster.now,
                makeID: { "x" }, room: { $1 })
            #expect(plan.isEmpty && plan.wakeAt == nil)
        }
    }

    @Test func aNodeTheServiceCannotRunOnIsNeverATarget() {
        var nodes = Self.nodes("a", "b", "c", "d")
        nodes["c"]?.matches = false
        var cluster = ClusterHarness(replicas: 30, nodes: nodes, layout: [("a", 15), ("b", 15)])
        cluster.settle()
        #expect(cluster.runningPerNode == ["a": 10, "b": 10, "c": 0, "d": 10])
        #expect(cluster.roomQuestions["c"] == nil)
    }

    @Test func aNodeWithoutRoomIsNotATargetAndRebalancingComesToRest() {
        var nodes = Self.nodes("a", "b", "c")
        nodes["c"]?.capacity = 4
        var cluster = ClusterHarness(replicas: 30, nodes: nodes, layout: [("a", 15), ("b", 15)])
        #expect(cluster.settle() < 200)
        #expect(cluster.runningPerNode == ["a": 13, "b": 13, "c": 4])
    }

    @Test func tasksOnAPausedNodeStayAndTheNodeGetsItsShareWhenThePauseEnds() {
        var cluster = ClusterHarness(
            replicas: 12, nodes: Self.nodes("a", "b", "c"), layout: [("a", 5), ("b", 5), ("c", 2)])
        cluster.nodes["c"]?.availability = .pause
        cluster.settle()
        #expect(cluster.runningPerNode == ["a": 5, "b": 5, "c": 2])
        cluster.nodes["c"]?.availability = .active
        cluster.settle()
        #expect(cluster.runningPerNode == ["a": 4, "b": 4, "c": 4])
    }

    @Test func spreadPreferencesAreBalancedPerGroup() {
        // Zone x has two nodes, zone y one: the scheduler gives each zone half, so y's node gets 3 of 6.
        var nodes = Self.nodes("x1", "x2", "y1")
        nodes["x1"]?.zone = "x"
        nodes["x2"]?.zone = "x"
        nodes["y1"]?.zone = "y"
        var cluster = ClusterHarness(replicas: 6, nodes: nodes, layout: [("x1", 3), ("x2", 3)], spread: true)
        cluster.settle()
        let counts = cluster.runningPerNode
        #expect(counts["y1"] == 3)
        #expect(Set([counts["x1"], counts["x2"]]) == [1, 2])
    }

    @Test func aMoveWhoseNewTaskFailsLeavesTheOldTaskRunningAndIsTriedAgainLater() {
        var cluster = ClusterHarness(replicas: 4, nodes: Self.nodes("a", "b"), layout: [("a", 4)])
        let first = cluster.pass()
        #expect(first.create.count == 2)
        cluster.agents(fails: { _ in true })
        let abandoned = cluster.pass()
        #expect(Set(abandoned.changes.map(\.taskID)) == Set(first.create.map(\.id)))
        #expect(abandoned.changes.allSatisfy { $0.reason.hasPrefix("rebalancing abandoned") })
        #expect(abandoned.create.isEmpty)
        #expect(cluster.runningPerNode == ["a": 4, "b": 0])
        // The next try waits for the interval, then succeeds.
        cluster.agents()
        #expect(cluster.pass().wakeAt == cluster.now.adding(nanoseconds: Rebalancer.Policy.default.minInterval))
        cluster.settle()
        #expect(cluster.runningPerNode == ["a": 2, "b": 2])
        #expect(cluster.running.count == 4)
    }

    @Test func aMoveThatCannotBePlacedOrTakesTooLongIsAbandoned() {
        var cluster = ClusterHarness(replicas: 4, nodes: Self.nodes("a", "b"), layout: [("a", 4)])
        let moves = cluster.pass().create
        // The scheduler could not place them (b was paused meanwhile): abandoned.
        cluster.nodes["b"]?.availability = .pause
        cluster.agents()
        #expect(cluster.tasks[moves[0].id]?.status.state == .pending)
        #expect(Set(cluster.pass().changes.map(\.taskID)) == Set(moves.map(\.id)))

        // A new task stuck before running is abandoned at the time limit.
        cluster.nodes["b"]?.availability = .active
        cluster.now = cluster.now.adding(nanoseconds: Rebalancer.Policy.default.minInterval)
        let retry = cluster.pass().create
        #expect(retry.count == 2)
        for task in retry { cluster.tasks[task.id]?.status = TaskStatus(timestamp: cluster.now, state: .preparing) }
        let waiting = cluster.pass()
        #expect(waiting.isEmpty)
        let limit = cluster.now.adding(nanoseconds: Rebalancer.Policy.default.moveTimeout)
        #expect(waiting.wakeAt == limit)
        cluster.now = limit
        #expect(Set(cluster.pass().changes.map(\.taskID)) == Set(retry.map(\.id)))
        #expect(cluster.runningPerNode == ["a": 4, "b": 0])
    }

    @Test func whenTheOldTaskEndsDuringAMoveTheNewOneTakesTheSlot() {
        var cluster = ClusterHarness(replicas: 2, nodes: Self.nodes("a", "b"), layout: [("a", 2)])
        cluster.policy.maxMovesPerService = 1
        guard let move = cluster.pass().create.first, let oldID = move.labels?[Rebalancer.movedFromLabel] else {
            Issue.record("no move")
            return
        }
        cluster.tasks[oldID]?.status = TaskStatus(timestamp: cluster.now, state: .failed, err: "exit 1")
        let plan = cluster.pass()
        #expect(plan.changes.map(\.taskID) == [oldID])
        #expect(plan.create.isEmpty)
        cluster.agents()
        #expect(cluster.running.map(\.id).contains(move.id))
        #expect(cluster.running.count == 2)
    }

    @Test func drainingTheTargetAbandonsTheMoveAndScalingDownStopsBothTasksOfTheSlot() {
        var cluster = ClusterHarness(replicas: 3, nodes: Self.nodes("a", "b", "c"), layout: [("a", 3)])
        cluster.policy.maxMovesPerService = 1
        let move = cluster.pass().create
        #expect(move.count == 1)
        let target = move.first?.nodeID ?? ""
        cluster.nodes[target]?.availability = .drain
        let plan = cluster.pass()
        #expect(plan.changes.map(\.taskID) == move.map(\.id))
        #expect(plan.create.isEmpty)

        cluster.nodes[target]?.availability = .active
        cluster.now = cluster.now.adding(nanoseconds: Rebalancer.Policy.default.minInterval)
        guard let next = cluster.pass().create.first, let oldID = next.labels?[Rebalancer.movedFromLabel] else {
            Issue.record("no second move")
            return
        }
        // Scale to 0: every wanted task goes, the move's two included.
        cluster.service.spec.mode = .replicated(replicas: 0)
        let down = cluster.pass()
        #expect(Set(down.changes.map(\.taskID)).isSuperset(of: [next.id, oldID]))
        #expect(cluster.tasks.values.allSatisfy { $0.desiredState > .running })
    }
}

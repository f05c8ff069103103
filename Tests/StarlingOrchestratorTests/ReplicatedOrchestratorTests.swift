import StarlingModel
import StarlingOrchestrator
import StarlingTestSupport
import Testing

/// Fixture factories and a recording harness: a tiny in-memory "store" that applies plans, so tests can run the
/// orchestrator to convergence and look at the result.
struct Harness {
    var service: SwarmService
    var tasks: [String: SwarmTask] = [:]
    var nodes = NodeConditions()
    var now = Timestamp(seconds: 1_000)
    var nextID = 0

    init(replicas: UInt64, restart: RestartPolicy? = RestartPolicy(condition: .any, delay: 0, maxAttempts: 0)) {
        service = SwarmService(
            id: "svc", createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
            spec: ServiceSpec(
                name: "web",
                taskTemplate: TaskSpec(containerSpec: ContainerSpec(image: "busybox"), restartPolicy: restart),
                mode: .replicated(replicas: replicas)))
    }

    var current: [SwarmTask] {
        tasks.values.filter { $0.desiredState <= .running }.sorted { ($0.slot ?? 0) < ($1.slot ?? 0) }
    }

    mutating func reconcile() -> OrchestrationPlan {
        var ids = nextID
        let plan = ReplicatedOrchestrator.reconcile(
            service: service, tasks: Array(tasks.values), nodes: nodes, now: now,
            makeID: {
                ids += 1
                return "t\(ids)"
            })
        nextID = ids
        for task in plan.create { tasks[task.id] = task }
        for change in plan.changes { tasks[change.taskID]?.desiredState = change.desiredState }
        return plan
    }

    /// Marks every new task as running on a node, round robin over `nodes`.
    mutating func run(on nodes: [String]) {
        var index = 0
        for (id, task) in tasks.sorted(by: { $0.key < $1.key }) where task.status.state == .new {
            tasks[id]?.nodeID = nodes[index % nodes.count]
            tasks[id]?.status = TaskStatus(timestamp: now, state: .running)
            index += 1
        }
    }

    mutating func end(_ id: String, _ state: TaskState) {
        tasks[id]?.status = TaskStatus(
            timestamp: now, state: state, err: state == .failed ? "task: non-zero exit (1)" : nil)
    }

    mutating func scale(_ replicas: UInt64) { service.spec.mode = .replicated(replicas: replicas) }
}

@Suite struct ReplicatedOrchestratorTests {
    @Test func createsOneTaskPerSlot() {
        var harness = Harness(replicas: 3)
        let plan = harness.reconcile()
        #expect(plan.create.map(\.slot) == [1, 2, 3])
        #expect(
            plan.create.allSatisfy { $0.desiredState == .running && $0.status.state == .new && $0.serviceID == "svc" })
        #expect(harness.reconcile().isEmpty)
    }

    @Test func scalesUpIntoFreeSlotsAndDownFromTheMostLoadedNodes() {
        var harness = Harness(replicas: 4)
        _ = harness.reconcile()
        harness.run(on: ["a", "a", "a", "b"])  // slots 1,2,3 on a; 4 on b
        harness.scale(2)
        let down = harness.reconcile()
        #expect(down.changes.count == 2)
        #expect(down.create.isEmpty)
        let kept = harness.current
        #expect(kept.count == 2)
        #expect(Set(kept.compactMap(\.nodeID)) == ["a", "b"])  // what stays is spread
        harness.scale(5)
        let up = harness.reconcile()
        #expect(up.create.count == 3)
        #expect(harness.current.count == 5)
        #expect(Set(harness.current.compactMap(\.slot)).count == 5)
    }

    @Test func failedTaskIsReplacedInItsSlot() {
        var harness = Harness(replicas: 2)
        _ = harness.reconcile()
        harness.run(on: ["a", "b"])
        let failing = harness.current[0]
        harness.end(failing.id, .failed)
        let plan = harness.reconcile()
        #expect(plan.changes.map(\.taskID) == [failing.id])
        #expect(plan.create.map(\.slot) == [failing.slot])
        #expect(harness.tasks[failing.id]?.desiredState == .shutdown)
        #expect(harness.current.count == 2)
    }

    @Test func restartDelayIsHonoured() {
        var harness = Harness(
            replicas: 1, restart: RestartPolicy(condition: .any, delay: 5_000_000_000, maxAttempts: 0))
        _ = harness.reconcile()
        harness.run(on: ["a"])
        let task = harness.current[0]
        harness.end(task.id, .failed)
        let waiting = harness.reconcile()
        #expect(waiting.create.isEmpty)
        #expect(waiting.wakeAt == Timestamp(seconds: 1_005))
        harness.now = Timestamp(seconds: 1_005)
        #expect(harness.reconcile().create.count == 1)
    }

    @Test func onFailureDoesNotRestartCompletedTasksAndNoneNeverRestarts() {
        var onFailure = Harness(replicas: 1, restart: RestartPolicy(condition: .onFailure, delay: 0))
        _ = onFailure.reconcile()
        onFailure.run(on: ["a"])
        onFailure.end(onFailure.current[0].id, .complete)
        #expect(onFailure.reconcile().isEmpty)

        var never = Harness(replicas: 1, restart: RestartPolicy(condition: .never, delay: 0))
        _ = never.reconcile()
        never.run(on: ["a"])
        never.end(never.current[0].id, .failed)
        #expect(never.reconcile().isEmpty)
    }

    @Test func maxAttemptsWithinWindow() {
        var harness = Harness(
            replicas: 1, restart: RestartPolicy(condition: .any, delay: 0, maxAttempts: 2, window: 60_000_000_000))
        _ = harness.reconcile()
        for attempt in 0..<4 {
            harness.run(on: ["a"])
            guard let current = harness.current.first else {
                Issue.record("no current task at attempt \(attempt)")
                return
            }
            harness.end(current.id, .failed)
            harness.now = harness.now.adding(nanoseconds: 1_000_000_000)
            _ = harness.reconcile()
        }
        // The first task plus two restarts; the third failure is final.
        #expect(harness.tasks.count == 3)
        // Outside the window, restarts are allowed again.
        harness.now = harness.now.adding(nanoseconds: 120_000_000_000)
        let current = harness.tasks.values.max { $0.createdAt < $1.createdAt }!
        harness.tasks[current.id]?.status.timestamp = harness.now
        #expect(harness.reconcile().create.count == 1)
    }

    @Test func tasksOnADownNodeAreReplacedAtOnceWhateverTheDelay() {
        var harness = Harness(replicas: 3, restart: RestartPolicy(condition: .any, delay: 60_000_000_000))
        _ = harness.reconcile()
        harness.run(on: ["a", "b", "c"])
        harness.nodes.down = ["b"]
        let plan = harness.reconcile()
        #expect(plan.create.count == 1)
        #expect(plan.changes.count == 1)
        #expect(harness.current.count == 3)
        #expect(harness.current.filter { $0.nodeID == "b" }.isEmpty)
    }

    @Test func neverMoreThanTheDesiredSlots() {
        // Property: whatever happens to tasks, after a reconcile at most K slots are wanted and no slot is doubled.
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200 {
            var harness = Harness(replicas: UInt64(generator.next() % 8))
            for _ in 0..<10 {
                _ = harness.reconcile()
                harness.run(on: ["a", "b", "c"])
                for task in harness.current where generator.next() % 4 == 0 {
                    harness.end(task.id, generator.next() % 2 == 0 ? .failed : .complete)
                }
                if generator.next() % 3 == 0 { harness.scale(UInt64(generator.next() % 8)) }
                harness.nodes.down = generator.next() % 5 == 0 ? ["b"] : []
                _ = harness.reconcile()
                let replicas = Int(harness.service.spec.mode.replicas ?? 0)
                let slots = harness.current.compactMap(\.slot)
                #expect(slots.count == replicas)
                #expect(Set(slots).count == slots.count)
            }
        }
    }

    @Test func notReplicatedIsNotMine() {
        var harness = Harness(replicas: 1)
        harness.service.spec.mode = .global
        #expect(harness.reconcile().isEmpty)
    }
}

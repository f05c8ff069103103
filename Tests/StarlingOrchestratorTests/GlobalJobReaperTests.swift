import StarlingModel
import StarlingOrchestrator
import Testing

enum Make {
    static func service(_ mode: ServiceMode, restart: RestartPolicy? = nil, id: String = "svc") -> SwarmService {
        SwarmService(
            id: id, createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
            spec: ServiceSpec(
                name: id,
                taskTemplate: TaskSpec(containerSpec: ContainerSpec(image: "busybox"), restartPolicy: restart),
                mode: mode))
    }

    static func task(
        _ id: String, service: String = "svc", slot: Int? = nil, node: String? = nil, state: TaskState = .running,
        desired: TaskState = .running, created: Int64 = 100
    ) -> SwarmTask {
        SwarmTask(
            id: id, createdAt: Timestamp(seconds: created), updatedAt: Timestamp(seconds: created),
            spec: TaskSpec(containerSpec: ContainerSpec(image: "busybox")), serviceID: service, slot: slot,
            nodeID: node,
            status: TaskStatus(timestamp: Timestamp(seconds: created), state: state), desiredState: desired)
    }

    static func node(
        _ id: String, _ availability: NodeSpec.Availability = .active, down: Bool = false, eligible: Bool = true
    ) -> GlobalOrchestrator.NodeFacts {
        .init(id: id, availability: availability, isDown: down, eligible: eligible)
    }

    static func ids() -> () -> String {
        var next = 0
        return {
            next += 1
            return "new\(next)"
        }
    }
}

@Suite struct GlobalOrchestratorTests {
    let now = Timestamp(seconds: 1_000)

    @Test func oneTaskPerActiveEligibleNode() {
        let plan = GlobalOrchestrator.reconcile(
            service: Make.service(.global), tasks: [],
            nodes: [
                Make.node("a"), Make.node("b"), Make.node("c", eligible: false), Make.node("d", .pause),
                Make.node("e", .drain), Make.node("f", down: true),
            ],
            now: now, makeID: Make.ids())
        #expect(plan.create.compactMap(\.nodeID) == ["a", "b"])
        #expect(plan.create.allSatisfy { $0.slot == nil && $0.desiredState == .running })
    }

    @Test func aNodeThatJoinsLaterGetsATask() {
        let tasks = [Make.task("t1", node: "a")]
        let plan = GlobalOrchestrator.reconcile(
            service: Make.service(.global), tasks: tasks, nodes: [Make.node("a"), Make.node("b")], now: now,
            makeID: Make.ids())
        #expect(plan.create.compactMap(\.nodeID) == ["b"])
        #expect(plan.changes.isEmpty)
    }

    @Test func drainedIneligibleAndRemovedNodesLoseTheirTasksPausedAndDownKeepThem() {
        let tasks = [
            Make.task("ta", node: "a"), Make.task("tb", node: "b"), Make.task("tc", node: "c"),
            Make.task("td", node: "d"), Make.task("tgone", node: "gone"),
        ]
        let plan = GlobalOrchestrator.reconcile(
            service: Make.service(.global), tasks: tasks,
            nodes: [
                Make.node("a", .drain), Make.node("b", eligible: false), Make.node("c", .pause),
                Make.node("d", down: true),
            ],
            now: now, makeID: Make.ids())
        #expect(Set(plan.changes.map(\.taskID)) == ["ta", "tb", "tgone"])
        // The task of a node that left the swarm is removed (the reaper deletes it at once); the others stay history.
        #expect(plan.changes.map(\.desiredState) == [.remove, .shutdown, .shutdown])
        #expect(plan.create.isEmpty)
    }

    @Test func endedTaskRestartsOnItsNode() {
        let tasks = [Make.task("t1", node: "a", state: .failed)]
        let plan = GlobalOrchestrator.reconcile(
            service: Make.service(.global, restart: RestartPolicy(condition: .any, delay: 0)), tasks: tasks,
            nodes: [Make.node("a")], now: now, makeID: Make.ids())
        #expect(plan.changes.map(\.taskID) == ["t1"])
        #expect(plan.create.compactMap(\.nodeID) == ["a"])
    }

    @Test func globalJobTasksAreDesiredCompleteAndOneRunningIsEnough() {
        let service = Make.service(.globalJob)
        let created = GlobalOrchestrator.reconcile(
            service: service, tasks: [], nodes: [Make.node("a")], now: now, makeID: Make.ids())
        #expect(created.create.map(\.desiredState) == [.complete])
        // A node whose task runs (desired complete) gets no second one.
        let running = [Make.task("t1", node: "a", state: .running, desired: .complete)]
        #expect(
            GlobalOrchestrator.reconcile(
                service: service, tasks: running, nodes: [Make.node("a")], now: now, makeID: Make.ids()
            ).isEmpty)
    }

    @Test func globalJobRunsOncePerNode() {
        let tasks = [Make.task("t1", node: "a", state: .complete)]
        let plan = GlobalOrchestrator.reconcile(
            service: Make.service(.globalJob), tasks: tasks, nodes: [Make.node("a"), Make.node("b")], now: now,
            makeID: Make.ids())
        #expect(plan.create.compactMap(\.nodeID) == ["b"])
        #expect(plan.changes.isEmpty)
    }
}

@Suite struct JobOrchestratorTests {
    let now = Timestamp(seconds: 1_000)

    @Test func startsAtMostMaxConcurrent() {
        let plan = JobOrchestrator.reconcile(
            service: Make.service(.replicatedJob(maxConcurrent: 2, totalCompletions: 5)), tasks: [],
            now: now, makeID: Make.ids())
        #expect(plan.create.compactMap(\.slot) == [0, 1])
    }

    @Test func completionsMakeRoomUntilTheTotalIsReached() {
        let service = Make.service(.replicatedJob(maxConcurrent: 2, totalCompletions: 3))
        let tasks = [
            Make.task("t0", slot: 0, node: "a", state: .complete), Make.task("t1", slot: 1, node: "a", state: .running),
        ]
        let plan = JobOrchestrator.reconcile(
            service: service, tasks: tasks, now: now, makeID: Make.ids())
        #expect(plan.create.compactMap(\.slot) == [2])
        let done = [
            Make.task("t0", slot: 0, state: .complete), Make.task("t1", slot: 1, state: .complete),
            Make.task("t2", slot: 2, state: .complete),
        ]
        #expect(
            JobOrchestrator.reconcile(service: service, tasks: done, now: now, makeID: Make.ids())
                .isEmpty)
    }

    @Test func jobTasksAreCreatedDesiredCompleteAndCountAsActiveWhileTheyRun() {
        let service = Make.service(.replicatedJob(maxConcurrent: 2, totalCompletions: 4))
        let plan = JobOrchestrator.reconcile(service: service, tasks: [], now: now, makeID: Make.ids())
        #expect(plan.create.map(\.desiredState) == [.complete, .complete])
        let running = [
            Make.task("t0", slot: 0, node: "a", state: .running, desired: .complete),
            Make.task("t1", slot: 1, node: "b", state: .starting, desired: .complete),
        ]
        #expect(JobOrchestrator.reconcile(service: service, tasks: running, now: now, makeID: Make.ids()).isEmpty)
    }

    @Test func failuresAreRetriedAfterTheDelayByDefault() {
        let service = Make.service(.replicatedJob(maxConcurrent: 1, totalCompletions: 1))
        let failed = [Make.task("t0", slot: 0, node: "a", state: .failed, desired: .complete, created: 998)]
        let early = JobOrchestrator.reconcile(
            service: service, tasks: failed, now: now, makeID: Make.ids())
        #expect(early.create.isEmpty)
        #expect(early.wakeAt == Timestamp(seconds: 1_003))
        let later = JobOrchestrator.reconcile(
            service: service, tasks: failed, now: Timestamp(seconds: 1_003), makeID: Make.ids())
        #expect(later.create.compactMap(\.slot) == [0])
        #expect(later.create.map(\.desiredState) == [.complete])
        #expect(later.changes.map(\.taskID) == ["t0"])
        #expect(later.changes.map(\.desiredState) == [.shutdown])
    }
}

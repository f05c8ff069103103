import StarlingModel
import StarlingOrchestrator

/// A small simulated cluster for one replicated service: the orchestrator and the rebalancer plan over it as the
/// manager's pass does, a toy scheduler places unpinned tasks (fewest tasks of the service, then node ID), and a
/// simulated agent runs new tasks and stops the ones asked to stop. Time moves only when a test says so.
struct ClusterHarness {
    struct NodeInfo {
        var availability: NodeSpec.Availability = .active
        var down = false
        /// Constraints and platform allow the service here.
        var matches = true
        /// The node's value of the spread label, if the service spreads.
        var zone = ""
        /// At most this many tasks of the service (resources, max replicas); nil: no limit.
        var capacity: Int?

        var takesNewTasks: Bool { availability == .active && !down && matches }
    }

    var service: SwarmService
    var nodes: [String: NodeInfo]
    var tasks: [String: SwarmTask] = [:]
    var now = Timestamp(seconds: 1_000)
    var policy = Rebalancer.Policy.default
    var nextID = 0
    /// How many times the rebalancer asked a node for room, per node.
    var roomQuestions: [String: Int] = [:]

    /// `replicas` running tasks laid out as `layout` says: node ID → number of tasks, slots in node order.
    init(
        replicas: UInt64, nodes: [String: NodeInfo], layout: [(String, Int)], labels: [String: String]? = nil,
        spread: Bool = false, restart: RestartPolicy? = RestartPolicy(condition: .any, delay: 0, maxAttempts: 0)
    ) {
        var template = TaskSpec(containerSpec: ContainerSpec(image: "busybox"), restartPolicy: restart)
        if spread { template.placement = Placement(preferences: [.spread("node.labels.zone")]) }
        service = SwarmService(
            id: "svc", createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
            spec: ServiceSpec(
                name: "web", labels: labels, taskTemplate: template, mode: .replicated(replicas: replicas)))
        self.nodes = nodes
        var slot = 1
        for (node, count) in layout {
            for _ in 0..<count {
                var task = ReplicatedOrchestrator.newTask(
                    for: service, slot: slot, nodeID: node, now: Timestamp(seconds: 100), id: "init\(slot)")
                task.status = TaskStatus(timestamp: Timestamp(seconds: 100), state: .running)
                tasks[task.id] = task
                slot += 1
            }
        }
    }

    /// The wanted tasks of the service that run.
    var running: [SwarmTask] { tasks.values.filter { $0.desiredState <= .running && $0.status.state == .running } }

    /// Running wanted tasks per node.
    var runningPerNode: [String: Int] {
        var counts: [String: Int] = [:]
        for node in nodes.keys { counts[node] = 0 }
        for task in running { counts[task.nodeID ?? "", default: 0] += 1 }
        return counts
    }

    /// New tasks of moves (labelled) ever created.
    var moveTasks: [SwarmTask] { tasks.values.filter { $0.labels?[Rebalancer.movedFromLabel] != nil } }

    /// One orchestration pass, applied: the orchestrator, then the rebalancer if the orchestrator had nothing to do.
    @discardableResult
    mutating func pass() -> OrchestrationPlan {
        var ids = nextID
        let makeID = {
            ids += 1
            return "t\(ids)"
        }
        let down = Set(nodes.filter(\.value.down).map(\.key))
        let drained = Set(nodes.filter { $0.value.availability == .drain }.map(\.key))
        var plan = ReplicatedOrchestrator.reconcile(
            service: service, tasks: Array(tasks.values), nodes: NodeConditions(down: down, drained: drained), now: now,
            moveTimeout: policy.moveTimeout, makeID: makeID)
        if plan.isEmpty {
            let wanted = tasks.values.filter { $0.desiredState <= .running }
            let spreads = !(service.spec.taskTemplate.placement?.preferences ?? []).isEmpty
            let facts = nodes.map { id, info in
                Rebalancer.NodeFacts(
                    id: id, eligible: info.takesNewTasks, spreadPath: spreads ? [info.zone] : [],
                    taskCount: wanted.count { $0.nodeID == id })
            }
            var questions = roomQuestions
            let moves = Rebalancer.plan(
                service: service, tasks: Array(tasks.values), nodeIDs: Set(nodes.keys), nodes: facts, policy: policy,
                now: now,
                makeID: makeID,
                room: { node, upTo in
                    questions[node, default: 0] += 1
                    guard let capacity = nodes[node]?.capacity else { return upTo }
                    return min(upTo, capacity - wanted.count { $0.nodeID == node })
                })
            roomQuestions = questions
            plan.create += moves.create
            if let wake = moves.wakeAt { plan.wake(at: wake) }
        }
        nextID = ids
        for task in plan.create { tasks[task.id] = task }
        for change in plan.changes { tasks[change.taskID]?.desiredState = change.desiredState }
        return plan
    }

    /// The scheduler and the agents: new tasks are placed (pinned ones stay on their node, or wait with an
    /// explanation if it cannot take them) and start, unless `fails` says the task fails; tasks asked to stop stop.
    mutating func agents(fails: (SwarmTask) -> Bool = { _ in false }) {
        for (id, task) in tasks.sorted(by: { $0.key < $1.key }) {
            if task.desiredState > .running {
                if task.status.state <= .running, !(nodes[task.nodeID ?? ""]?.down ?? false) {
                    tasks[id]?.status = TaskStatus(timestamp: now, state: .shutdown)
                }
                continue
            }
            guard task.status.state < .assigned else { continue }
            let node = task.nodeID ?? placement(for: task)
            guard let node, nodes[node]?.takesNewTasks == true else {
                tasks[id]?.status = TaskStatus(
                    timestamp: now, state: .pending, err: "no suitable node (1 node not available for new tasks)")
                continue
            }
            tasks[id]?.nodeID = node
            tasks[id]?.status = TaskStatus(
                timestamp: now, state: fails(task) ? .failed : .running, err: fails(task) ? "exit 1" : nil)
        }
    }

    /// The toy scheduler: the node that takes new tasks with the fewest wanted tasks of the service, then by ID.
    func placement(for task: SwarmTask) -> String? {
        let wanted = tasks.values.filter { $0.desiredState <= .running && $0.status.state >= .assigned }
        return nodes.filter(\.value.takesNewTasks).map(\.key)
            .min { a, b in
                (wanted.count { $0.nodeID == a }, a) < (wanted.count { $0.nodeID == b }, b)
            }
    }

    /// Passes and agents until nothing changes, moving time to each wake-up (or by `step` when there is none
    /// but something happened); `check` runs after every pass and every agent round. Returns the number of passes.
    @discardableResult
    mutating func settle(
        maxPasses: Int = 200, step: Int64 = 100_000_000, fails: (SwarmTask) -> Bool = { _ in false },
        check: (ClusterHarness) -> Void = { _ in }
    ) -> Int {
        for passes in 1...maxPasses {
            let before = tasks
            let plan = pass()
            check(self)
            agents(fails: fails)
            check(self)
            if plan.isEmpty && tasks == before {
                guard let wake = plan.wakeAt else { return passes }
                now = max(now, wake)
            } else {
                now = now.adding(nanoseconds: step)
            }
        }
        return maxPasses
    }
}

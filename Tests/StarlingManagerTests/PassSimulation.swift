import StarlingManager
import StarlingModel
import StarlingOrchestrator
import StarlingStore
import Testing

/// The manager's passes over a simulated cluster, with the real orchestration and scheduling passes over real
/// snapshots (an in-memory store and view per step) and a simulated agent that runs what it is assigned. Time moves
/// only when a test says so.
struct PassSimulation {
    var nodes: [String: Node] = [:]
    var services: [String: SwarmService] = [:]
    var tasks: [String: SwarmTask] = [:]
    var now = Timestamp(seconds: 1_000)
    var policy = Rebalancer.Policy.default
    var nextID = 0

    /// A ready worker that runs processes, with 4 CPUs and 4 GiB and the given labels.
    mutating func addNode(_ id: String, labels: [String: String] = [:], availability: NodeSpec.Availability = .active) {
        nodes[id] = Node(
            id: id, createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
            spec: NodeSpec(labels: labels, role: .worker, availability: availability),
            description: NodeDescription(
                hostname: id, resources: Resources(nanoCPUs: 4_000_000_000, memoryBytes: 4 << 30),
                engine: EngineDescription(plugins: [.init(type: "Runtime", name: "process")])),
            status: NodeStatus(state: .ready))
    }

    /// A process service with `replicas` tasks running as `layout` says (node ID → count).
    mutating func addService(
        _ id: String, replicas: UInt64, layout: [(String, Int)], placement: Placement? = nil,
        reservations: Resources? = nil
    ) {
        var template = TaskSpec(containerSpec: ContainerSpec(args: ["sleep", "60"]), placement: placement)
        if let reservations { template.resources = ResourceRequirements(reservations: reservations) }
        let service = SwarmService(
            id: id, createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
            spec: ServiceSpec(
                name: id, labels: ["io.starling.runtime": "process"], taskTemplate: template,
                mode: .replicated(replicas: replicas)))
        services[id] = service
        var slot = 1
        for (node, count) in layout {
            for _ in 0..<count {
                var task = ReplicatedOrchestrator.newTask(
                    for: service, slot: slot, nodeID: node, now: Timestamp(seconds: 100), id: "\(id)-init\(slot)")
                task.status = TaskStatus(timestamp: Timestamp(seconds: 100), state: .running)
                tasks[task.id] = task
                slot += 1
            }
        }
    }

    /// A service in `mode` with no tasks yet: the orchestrators create them.
    mutating func addService(_ id: String, mode: ServiceMode, placement: Placement? = nil) {
        services[id] = SwarmService(
            id: id, createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
            spec: ServiceSpec(
                name: id, labels: ["io.starling.runtime": "process"],
                taskTemplate: TaskSpec(containerSpec: ContainerSpec(args: ["true"]), placement: placement),
                mode: mode))
    }

    /// The manager marks `id` down now, as the dispatcher does when its heartbeats stop.
    mutating func markDown(_ id: String) {
        nodes[id]?.status = NodeStatus(state: .down, message: "heartbeat failure")
        nodes[id]?.updatedAt = now
    }

    /// The tasks of `service`.
    func tasks(of service: String) -> [SwarmTask] { tasks.values.filter { $0.serviceID == service } }

    /// The snapshot a manager would read: everything written to a fresh store and loaded by a view.
    func snapshot() async throws -> ClusterSnapshot {
        let store = MemoryKeyValueStore()
        let objects = ObjectStore(store: store)
        for node in nodes.values { try await objects.create(node) }
        for service in services.values { try await objects.create(service) }
        for task in tasks.values { try await objects.create(task) }
        let view = ObjectView(store: store, kinds: [Node.self, Swarm.self, SwarmService.self, SwarmTask.self])
        return try await withThrowingTaskGroup(of: ClusterSnapshot?.self) { group in
            group.addTask {
                try await view.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await view.snapshot(atLeast: 1)
        }
    }

    /// One round of the loop: the orchestration pass, and the scheduling pass when it has nothing to do. Returns
    /// the pass.
    @discardableResult
    mutating func round() async throws -> OrchestrationPass {
        var ids = nextID
        let pass = OrchestrationPass.run(
            snapshot: try await snapshot(), now: now, policy: policy,
            makeID: {
                ids += 1
                return "t\(ids)"
            })
        nextID = ids
        // The loop writes the pass in one transaction, which may not write a task twice.
        let written = pass.plan.create.map(\.id) + pass.plan.changes.map(\.taskID) + pass.reap
        #expect(Set(written).count == written.count, "a task is written twice: \(written)")
        for task in pass.plan.create { tasks[task.id] = task }
        for change in pass.plan.changes { tasks[change.taskID]?.desiredState = change.desiredState }
        for id in pass.reap { tasks[id] = nil }
        if pass.plan.isEmpty {
            for decision in SchedulingPass.run(snapshot: try await snapshot(), now: now, seed: 1) {
                tasks[decision.taskID]?.nodeID = decision.nodeID
                tasks[decision.taskID]?.status = decision.status
            }
        }
        return pass
    }

    /// The agents of the nodes that are up: assigned tasks run (a job's task runs to completion at once), tasks
    /// asked to stop stop.
    mutating func agents() {
        for (id, task) in tasks {
            guard let node = task.nodeID.flatMap({ nodes[$0] }), node.status.state != .down else { continue }
            if !task.isWanted, task.status.state <= .running {
                tasks[id]?.status = TaskStatus(timestamp: now, state: .shutdown)
            } else if task.isWanted, task.status.state == .assigned {
                let state: TaskState = task.desiredState == .complete ? .complete : .running
                tasks[id]?.status = TaskStatus(timestamp: now, state: state)
            }
        }
    }

    /// Rounds and agents until nothing changes and no wake-up is due, jumping time to each wake-up; `check` runs
    /// after every round and every agent step. Returns the number of rounds.
    @discardableResult
    mutating func settle(maxRounds: Int = 300, check: (PassSimulation) -> Void = { _ in }) async throws -> Int {
        for rounds in 1...maxRounds {
            let before = tasks
            let pass = try await round()
            check(self)
            agents()
            check(self)
            if tasks == before {
                guard let wake = pass.plan.wakeAt else { return rounds }
                now = max(now, wake)
            } else {
                now = now.adding(nanoseconds: 100_000_000)
            }
        }
        return maxRounds
    }

    /// Running wanted tasks of `service` per node (every node listed).
    func runningPerNode(of service: String) -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: nodes.keys.map { ($0, 0) })
        for task in tasks.values
        where task.serviceID == service && task.desiredState == .running && task.status.state == .running {
            counts[task.nodeID ?? "", default: 0] += 1
        }
        return counts
    }

    func running(of service: String) -> Int { runningPerNode(of: service).values.reduce(0, +) }
}

import Foundation
import StarlingManager
import StarlingModel
import StarlingOrchestrator
import StarlingPKI
import StarlingStore
import Testing

/// The orchestration loop against a real (in-memory) store and view: services get their tasks, scaling and
/// removal are followed, history is reaped, a node that joins gets its share and a drained node is emptied.
@Suite struct OrchestrationLoopTests {
    static func manager() async throws -> (SwarmManager, ObjectView, MemoryKeyValueStore) {
        let store = MemoryKeyValueStore()
        let ca = try RootCA.create(now: Date())
        try await SwarmManager.bootstrap(
            store: store, ca: ca, clusterID: "cluster", nodeID: "node1", advertiseAddress: "127.0.0.1:4242",
            description: NodeDescription(
                hostname: "node1", resources: Resources(nanoCPUs: 2_000_000_000, memoryBytes: 1 << 30),
                engine: EngineDescription(plugins: [.init(type: "Runtime", name: "process")])),
            spec: SwarmSpec(), now: Timestamp.now())
        let view = ObjectView(store: store, kinds: [Node.self, Swarm.self, SwarmService.self, SwarmTask.self])
        let manager = SwarmManager(
            store: store, view: view, ca: ca, clusterID: "cluster", nodeID: "node1", advertiseAddress: "127.0.0.1:4242")
        return (manager, view, store)
    }

    static func wanted(_ manager: SwarmManager, service: String) async throws -> [SwarmTask] {
        try await manager.tasks(filters: Filters(["service": [service]])).filter { $0.desiredState == .running }
    }

    @Test(.timeLimit(.minutes(1)))
    func servicesGetTheirTasks() async throws {
        let (manager, view, _) = try await Self.manager()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await view.run() }
            group.addTask { try await OrchestrationLoop(manager: manager).run() }

            let spec = ServiceSpec(
                name: "web", taskTemplate: TaskSpec(containerSpec: ContainerSpec(image: "busybox")),
                mode: .replicated(replicas: 3))
            let service = try await manager.createService(spec)
            try await poll { try await Self.wanted(manager, service: service.id).count == 3 }
            #expect(Set(try await Self.wanted(manager, service: service.id).compactMap(\.slot)) == [1, 2, 3])

            // Scale down to 1 and back up to 2.
            var scaled = try await manager.service("web")
            scaled.spec.mode = .replicated(replicas: 1)
            try await manager.updateService("web", version: scaled.version.index, spec: scaled.spec)
            try await poll { try await Self.wanted(manager, service: service.id).count == 1 }
            scaled = try await manager.service("web")
            scaled.spec.mode = .replicated(replicas: 2)
            try await manager.updateService("web", version: scaled.version.index, spec: scaled.spec)
            try await poll { try await Self.wanted(manager, service: service.id).count == 2 }

            // No node runs containers here: the tasks wait, saying why.
            let pending = try await Self.wanted(manager, service: service.id)
            try await poll {
                try await Self.wanted(manager, service: service.id).allSatisfy { $0.status.state == .pending }
            }
            let reason = try await Self.wanted(manager, service: service.id).first?.status.err ?? ""
            #expect(reason.hasPrefix("no suitable node ("), "\(reason)")
            #expect(!pending.isEmpty)

            // A process service is placed on the node that runs processes.
            let process = try await manager.createService(
                ServiceSpec(
                    name: "proc", labels: ["io.starling.runtime": "process"],
                    taskTemplate: TaskSpec(containerSpec: ContainerSpec(args: ["sleep", "60"])),
                    mode: .replicated(replicas: 2)))
            try await poll {
                let tasks = try await Self.wanted(manager, service: process.id)
                return tasks.count == 2 && tasks.allSatisfy { $0.status.state == .assigned && $0.nodeID == "node1" }
            }

            // A duplicate name is refused; removal stops every task.
            await #expect(throws: StarlingError.self) { try await manager.createService(spec) }
            try await manager.removeService("web")
            try await poll { try await Self.wanted(manager, service: service.id).isEmpty }
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aJoiningNodeGetsItsShareAndADrainedNodeIsEmptied() async throws {
        let (manager, view, _) = try await Self.manager()
        // One move at a time and a pause between them: the second move needs the loop to wake itself.
        let policy = Rebalancer.Policy(
            maxMovesPerService: 1, maxMovesInCluster: 8, minInterval: 200_000_000, moveTimeout: 60_000_000_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await view.run() }
            group.addTask { try await OrchestrationLoop(manager: manager, rebalancing: policy).run() }
            group.addTask { try await Self.simulatedAgents(manager) }

            let service = try await manager.createService(
                ServiceSpec(
                    name: "proc", labels: ["io.starling.runtime": "process"],
                    taskTemplate: TaskSpec(containerSpec: ContainerSpec(args: ["sleep", "60"])),
                    mode: .replicated(replicas: 4)))
            try await poll { try await Self.runningPerNode(manager, service: service.id) == ["node1": 4] }

            try await manager.objects.create(
                Node(
                    id: "node2", createdAt: Timestamp.now(), updatedAt: Timestamp.now(),
                    spec: NodeSpec(role: .worker),
                    description: NodeDescription(
                        hostname: "node2", resources: Resources(nanoCPUs: 2_000_000_000, memoryBytes: 1 << 30),
                        engine: EngineDescription(plugins: [.init(type: "Runtime", name: "process")])),
                    status: NodeStatus(state: .ready)))
            try await poll {
                try await Self.runningPerNode(manager, service: service.id) == ["node1": 2, "node2": 2]
            }
            let moved = try await Self.wanted(manager, service: service.id).filter {
                $0.labels?[Rebalancer.movedFromLabel] != nil
            }
            #expect(moved.count == 2)

            let node2 = try await manager.node("node2")
            var drained = node2.spec
            drained.availability = .drain
            try await manager.updateNode("node2", version: node2.version.index, spec: drained)
            try await poll { try await Self.runningPerNode(manager, service: service.id) == ["node1": 4] }
            group.cancelAll()
        }
    }

    /// Running wanted tasks of `service` per node.
    static func runningPerNode(_ manager: SwarmManager, service: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for task in try await wanted(manager, service: service) where task.status.state == .running {
            counts[task.nodeID ?? "", default: 0] += 1
        }
        return counts
    }

    /// What the nodes' agents would report: every assigned task starts running, every task asked to stop stops.
    /// Follows the view, so it acts on each change as it is committed.
    static func simulatedAgents(_ manager: SwarmManager) async throws {
        var seen: Revision = 0
        while !Task.isCancelled {
            let snapshot = try await manager.view.changes(after: seen)
            seen = snapshot.revision
            for task in snapshot.all(SwarmTask.self) {
                let next: TaskState
                if task.desiredState == .running, task.status.state == .assigned {
                    next = .running
                } else if task.desiredState > .running, task.status.state <= .running, task.nodeID != nil {
                    next = .shutdown
                } else {
                    continue
                }
                try await manager.objects.update(SwarmTask.self, id: task.id) {
                    if $0.status.state < next { $0.status = TaskStatus(timestamp: Timestamp.now(), state: next) }
                }
            }
        }
    }

    /// Polls `condition` every 10 ms until it holds (the test's time limit bounds it).
    func poll(_ condition: () async throws -> Bool) async throws {
        while try await !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }
}

import Foundation
import StarlingManager
import StarlingModel
import StarlingPKI
import StarlingStore
import Testing

/// The orchestration loop against a real (in-memory) store and view: services get their tasks, scaling and
/// removal are followed, and history is reaped.
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

    /// Polls `condition` every 10 ms until it holds (the test's time limit bounds it).
    func poll(_ condition: () async throws -> Bool) async throws {
        while try await !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }
}

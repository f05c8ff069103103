import Foundation
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingStore

/// Services and tasks are stored objects: the view indexes tasks by service, node and slot.
@Suite struct ServiceTaskStorageTests {
    static func task(_ id: String, service: String, slot: Int? = nil, node: String? = nil) -> SwarmTask {
        SwarmTask(
            id: id, createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
            spec: TaskSpec(containerSpec: ContainerSpec(image: "busybox")), serviceID: service, slot: slot,
            nodeID: node, status: TaskStatus(timestamp: Timestamp(seconds: 1), state: .new), desiredState: .running)
    }

    @Test func viewIndexesTasksAndServices() async throws {
        let store = MemoryKeyValueStore()
        let objects = ObjectStore(store: store)
        let view = ObjectView(store: store, kinds: [SwarmService.self, SwarmTask.self, Node.self])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await view.run() }
            let service = SwarmService(
                id: "s1", createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
                spec: ServiceSpec(
                    name: "web", taskTemplate: TaskSpec(containerSpec: ContainerSpec(image: "busybox")),
                    mode: .replicated(replicas: 2)))
            try await objects.create(service)
            try await objects.create(Self.task("t1", service: "s1", slot: 1, node: "n1"))
            try await objects.create(Self.task("t2", service: "s1", slot: 2, node: "n2"))
            let last = try await objects.create(Self.task("t3", service: "s1", node: "n1"))
            let snapshot = try await view.snapshot(atLeast: Revision(last.version.index))
            #expect(
                snapshot.objects(SwarmService.self, matching: .init(SwarmService.Index.name, "web")).map(\.id) == ["s1"]
            )
            #expect(snapshot.objects(SwarmTask.self, matching: .init(SwarmTask.Index.service, "s1")).count == 3)
            #expect(
                snapshot.objects(SwarmTask.self, matching: .init(SwarmTask.Index.node, "n1")).map(\.id) == ["t1", "t3"])
            #expect(snapshot.objects(SwarmTask.self, matching: .init(SwarmTask.Index.slot, "s1/2")).map(\.id) == ["t2"])
            #expect(
                snapshot.objects(SwarmTask.self, matching: .init(SwarmTask.Index.slot, "s1/n1")).map(\.id) == ["t3"])
            group.cancelAll()
        }
    }
}

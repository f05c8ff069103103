import Foundation
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingStore

/// A node as a test needs it: only the ID and role matter.
func makeNode(_ id: String, role: NodeSpec.Role = .worker) -> Node {
    let date = Timestamp(seconds: 1_700_000_000)
    return Node(
        id: id, createdAt: date, updatedAt: date, spec: NodeSpec(name: id, role: role),
        status: NodeStatus(state: .ready))
}

/// Swarm objects through the typed layer: versions are key revisions, updates are compare-and-swap.
@Suite struct ObjectStoreTests {
    @Test(arguments: Backend.allCases)
    func createSetsTheVersionAndRefusesADuplicate(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        let objects = ObjectStore(store: store)
        let created = try await objects.create(makeNode("n1"))
        #expect(created.version == ObjectVersion(index: 2))
        let read = try #require(try await objects.get(Node.self, id: "n1"))
        #expect(read == created)
        #expect(try await store.get("/nodes/n1") != nil)
        await #expect(throws: StarlingError.conflict("node n1 already exists")) {
            try await objects.create(makeNode("n1"))
        }
        #expect(try await objects.get(Node.self, id: "n2") == nil)
    }

    @Test(arguments: Backend.allCases)
    func updateWithAStaleVersionIsOutOfSequence(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let objects = ObjectStore(store: fixture.store)
        let created = try await objects.create(makeNode("n1"))
        let updated = try await objects.update(Node.self, id: "n1", expectedVersion: created.version) {
            $0.spec.labels["zone"] = "a"
        }
        #expect(updated.version == ObjectVersion(index: 3))
        #expect(updated.spec.labels == ["zone": "a"])
        await #expect(throws: StarlingError.outOfSequence) {
            try await objects.update(Node.self, id: "n1", expectedVersion: created.version) {
                $0.spec.availability = .drain
            }
        }
        #expect(try await objects.get(Node.self, id: "n1") == updated)
        await #expect(throws: StarlingError.notFound("node n9 not found")) {
            try await objects.update(Node.self, id: "n9") { _ in }
        }
        await #expect(throws: StarlingError.self) {
            try await objects.update(Node.self, id: "n1") { $0.id = "other" }
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentUpdatesWithoutAVersionAllApply(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let objects = ObjectStore(store: fixture.store)
        try await objects.create(makeNode("n1"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<10 {
                group.addTask {
                    try await objects.update(Node.self, id: "n1") { $0.spec.labels["l\(index)"] = "\(index)" }
                }
            }
            try await group.waitForAll()
        }
        let node = try #require(try await objects.get(Node.self, id: "n1"))
        #expect(node.spec.labels.count == 10)
        #expect(node.version == ObjectVersion(index: 12))
    }

    @Test(arguments: Backend.allCases)
    func deleteChecksTheVersion(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let objects = ObjectStore(store: fixture.store)
        let created = try await objects.create(makeNode("n1"))
        try await objects.update(Node.self, id: "n1") { $0.spec.role = .manager }
        await #expect(throws: StarlingError.outOfSequence) {
            try await objects.delete(Node.self, id: "n1", expectedVersion: created.version)
        }
        try await objects.delete(Node.self, id: "n1")
        #expect(try await objects.get(Node.self, id: "n1") == nil)
        await #expect(throws: StarlingError.notFound("node n1 not found")) {
            try await objects.delete(Node.self, id: "n1")
        }
    }

    @Test func listAndTheSwarmObject() async throws {
        let objects = ObjectStore(store: MemoryKeyValueStore())
        for id in ["b", "a", "c"] { try await objects.create(makeNode(id)) }
        let swarm = Swarm(
            id: "swarm-id", version: ObjectVersion(index: 0), createdAt: Timestamp(seconds: 0),
            updatedAt: Timestamp(seconds: 0), spec: SwarmSpec())
        let stored = try await objects.create(swarm)
        #expect(stored.version == ObjectVersion(index: 5))
        #expect(try await objects.store.get("/cluster/default") != nil)
        #expect(try await objects.get(Swarm.self, id: Swarm.storeID)?.id == "swarm-id")
        let (nodes, revision) = try await objects.list(Node.self)
        #expect(nodes.map(\.id) == ["a", "b", "c"])
        #expect(nodes.map(\.version.index) == [3, 2, 4])
        #expect(revision == 5)
    }

    @Test func anObjectThatCannotBeDecodedIsAnInternalError() async throws {
        let store = MemoryKeyValueStore()
        _ = try await store.put("/nodes/bad", value: "{".bytes)
        await #expect(throws: StarlingError.self) { try await ObjectStore(store: store).get(Node.self, id: "bad") }
    }

    @Test func severalObjectsChangeInOneTransaction() async throws {
        let store = MemoryKeyValueStore()
        let objects = ObjectStore(store: store)
        let first = try await objects.create(makeNode("n1"))
        var second = makeNode("n2")
        var changed = first
        changed.spec.availability = .drain
        second.spec.availability = .pause
        let transaction = Transaction(
            compares: [
                ObjectStore.unchanged(Node.self, id: "n1", since: first.version),
                ObjectStore.unchanged(Node.self, id: "n2", since: ObjectVersion(index: 0)),
            ],
            success: [try ObjectStore.putOperation(changed), try ObjectStore.putOperation(second)])
        let result = try await store.txn(transaction)
        #expect(result.succeeded)
        let nodes = try await objects.list(Node.self).objects
        #expect(nodes.map(\.spec.availability) == [.drain, .pause])
        #expect(nodes.map(\.version.index) == [UInt64(result.revision), UInt64(result.revision)])
        #expect(try await !store.txn(transaction).succeeded, "the versions moved on")
    }
}

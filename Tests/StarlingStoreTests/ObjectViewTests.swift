import StarlingModel
import StarlingTestSupport
import Synchronization
import Testing

@testable import StarlingStore

/// The in-memory view loads, follows the watch, and hands out snapshots that never change.
@Suite struct ObjectViewTests {
    /// Runs `body` with a view of nodes and the swarm running, then stops the view.
    func withView(
        _ store: any KeyValueStore, _ body: (ObjectView, ObjectStore) async throws -> Void
    ) async throws {
        let view = ObjectView(store: store, kinds: [Node.self, Swarm.self])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await view.run() }
            try await body(view, ObjectStore(store: store))
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    @Test(arguments: Backend.allCases)
    func followsCreatesUpdatesAndDeletes(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        let objects = ObjectStore(store: store)
        try await objects.create(makeNode("early", role: .manager))
        try await withView(store) { view, objects in
            let loaded = try await view.snapshot(atLeast: 2)
            #expect(loaded.all(Node.self).map(\.id) == ["early"])
            #expect(view.watchPrefix == "/")

            let manager = try await objects.create(makeNode("m1", role: .manager))
            let worker = try await objects.create(makeNode("w1"))
            var snapshot = try await view.snapshot(atLeast: Revision(worker.version.index))
            #expect(snapshot.all(Node.self).map(\.id) == ["early", "m1", "w1"])
            #expect(snapshot.object(Node.self, id: "m1") == manager)
            #expect(
                snapshot.objects(Node.self, matching: ObjectIndexKey(Node.Index.role, "manager")).map(\.id) == [
                    "early", "m1",
                ])

            let promoted = try await objects.update(Node.self, id: "w1") { $0.spec.role = .manager }
            try await objects.delete(Node.self, id: "early")
            let deleted = try await store.currentRevision
            let before = snapshot
            snapshot = try await view.snapshot(atLeast: deleted)
            #expect(snapshot.revision == deleted)
            #expect(snapshot.object(Node.self, id: "w1")?.version == promoted.version)
            #expect(
                snapshot.objects(Node.self, matching: ObjectIndexKey(Node.Index.role, "manager")).map(\.id) == [
                    "m1", "w1",
                ])
            #expect(snapshot.objects(Node.self, matching: ObjectIndexKey(Node.Index.role, "worker")).isEmpty)
            #expect(snapshot.count(of: Node.self) == 2)
            #expect(before.all(Node.self).map(\.id) == ["early", "m1", "w1"], "a snapshot never changes")
            #expect(before.object(Node.self, id: "w1")?.spec.role == .worker)
        }
    }

    @Test func keysOfOtherKindsAreIgnoredButAdvanceTheRevision() async throws {
        let store = MemoryKeyValueStore()
        try await withView(store) { view, _ in
            _ = try await view.snapshot(atLeast: 1)
            let revision = try await store.put("/leases/leader", value: "x".bytes)
            let snapshot = try await view.snapshot(atLeast: revision)
            #expect(snapshot.count(of: Node.self) == 0)
            #expect(snapshot.tables.keys.sorted() == ["/cluster/", "/nodes/"])
        }
    }

    @Test func changesAfterWaitsForTheNextChange() async throws {
        let store = MemoryKeyValueStore()
        try await withView(store) { view, objects in
            let loaded = try await view.snapshot(atLeast: 1)
            async let next = view.changes(after: loaded.revision)
            let created = try await objects.create(makeNode("n1"))
            let snapshot = try await next
            #expect(snapshot.revision == Revision(created.version.index))
            #expect(snapshot.object(Node.self, id: "n1") != nil)
        }
    }

    @Test func aCancelledReaderStopsWaiting() async throws {
        let store = MemoryKeyValueStore()
        try await withView(store) { view, _ in
            let reader = Task { try await view.snapshot(atLeast: 1_000) }
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
        }
    }

    @Test func stoppingTheViewReleasesWaitingReaders() async throws {
        let view = ObjectView(store: MemoryKeyValueStore(), kinds: [Node.self])
        let runner = Task { try await view.run() }
        _ = try await view.snapshot(atLeast: 1)
        let waiting = Task { try await view.snapshot(atLeast: 1_000) }
        runner.cancel()
        try await runner.value
        await #expect(throws: StarlingError.self) { try await waiting.value }
        await #expect(throws: StarlingError.self) { try await view.snapshot(atLeast: 1_000) }
    }

    @Test func reloadsWhenItFallsBehindCompaction() async throws {
        let store = CompactedOnceStore(MemoryKeyValueStore())
        try await withView(store) { view, objects in
            let created = try await objects.create(makeNode("n1"))
            let snapshot = try await view.snapshot(atLeast: Revision(created.version.index))
            #expect(snapshot.object(Node.self, id: "n1") != nil)
            #expect(store.ranges.withLock { $0 } >= 2, "the view read the objects again")
        }
    }

    @Test func anUndecodableObjectIsLeftOut() async throws {
        let store = MemoryKeyValueStore()
        _ = try await store.put("/nodes/bad", value: "{".bytes)
        try await withView(store) { view, objects in
            let created = try await objects.create(makeNode("good"))
            let snapshot = try await view.snapshot(atLeast: Revision(created.version.index))
            #expect(snapshot.all(Node.self).map(\.id) == ["good"])
        }
    }
}

/// A store whose first watch fails as if the view had fallen behind compaction.
final class CompactedOnceStore: KeyValueStore {
    let base: MemoryKeyValueStore
    let ranges = Mutex(0)
    private let failed = Mutex(false)

    init(_ base: MemoryKeyValueStore) { self.base = base }

    var currentRevision: Revision { get async throws { try await base.currentRevision } }
    func range(prefix: String) async throws -> RangeResult {
        ranges.withLock { $0 += 1 }
        return try await base.range(prefix: prefix)
    }
    func txn(_ transaction: Transaction) async throws -> TransactionResult { try await base.txn(transaction) }
    func grantLease(ttl: Duration) async throws -> Lease { try await base.grantLease(ttl: ttl) }
    func keepAlive(_ id: LeaseID) async throws -> Lease { try await base.keepAlive(id) }
    func revokeLease(_ id: LeaseID) async throws -> Revision? { try await base.revokeLease(id) }
    func expireLeases() async throws -> [LeaseID] { try await base.expireLeases() }
    func compact(upTo revision: Revision) async throws { try await base.compact(upTo: revision) }

    func watch(prefix: String, fromRevision: Revision) async throws -> WatchStream {
        let first = failed.withLock { failed in
            defer { failed = true }
            return !failed
        }
        if first {
            throw RevisionCompacted(requested: fromRevision, oldestAvailable: fromRevision + 1)
        }
        return try await base.watch(prefix: prefix, fromRevision: fromRevision)
    }
}

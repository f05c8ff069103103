import Foundation
import StarlingManager
import StarlingModel
import StarlingPKI
import StarlingStore
import Synchronization
import Testing

/// The orchestration loop outlives a store that refuses its writes for a while: it plans again and converges.
@Suite struct OrchestrationLoopRecoveryTests {
    /// A memory store whose transactions that write tasks fail (as a full disk would make them) while `failures` is
    /// above zero.
    final class RefusingStore: KeyValueStore {
        let base = MemoryKeyValueStore()
        let failures = Mutex(0)

        var currentRevision: Revision { get async throws { try await base.currentRevision } }
        func get(_ key: String) async throws -> KeyValue? { try await base.get(key) }
        func range(prefix: String) async throws -> RangeResult { try await base.range(prefix: prefix) }
        func put(_ key: String, value: [UInt8], lease: LeaseID?) async throws -> Revision {
            try await base.put(key, value: value, lease: lease)
        }
        func delete(_ key: String) async throws -> Revision? { try await base.delete(key) }
        func deletePrefix(_ prefix: String) async throws -> Revision? { try await base.deletePrefix(prefix) }
        func txn(_ transaction: Transaction) async throws -> TransactionResult {
            let writesTasks = transaction.success.contains { operation in
                if case .put(let key, _, _) = operation { return key.hasPrefix(SwarmTask.keyPrefix) }
                return false
            }
            let refuse =
                writesTasks
                && failures.withLock { failures in
                    defer { failures = max(0, failures - 1) }
                    return failures > 0
                }
            if refuse { throw StarlingError.internal("disk I/O error") }
            return try await base.txn(transaction)
        }
        func grantLease(ttl: Duration) async throws -> Lease { try await base.grantLease(ttl: ttl) }
        func keepAlive(_ id: LeaseID) async throws -> Lease { try await base.keepAlive(id) }
        func revokeLease(_ id: LeaseID) async throws -> Revision? { try await base.revokeLease(id) }
        func expireLeases() async throws -> [LeaseID] { try await base.expireLeases() }
        func watch(prefix: String, fromRevision: Revision) async throws -> WatchStream {
            try await base.watch(prefix: prefix, fromRevision: fromRevision)
        }
        func compact(upTo revision: Revision) async throws { try await base.compact(upTo: revision) }
    }

    @Test(.timeLimit(.minutes(1)))
    func refusedPlansAreMadeAgainUntilTheStoreTakesThem() async throws {
        let store = RefusingStore()
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
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await view.run() }
            let loop = Task { try await OrchestrationLoop(manager: manager).run() }
            let service = try await manager.createService(
                ServiceSpec(
                    name: "proc", labels: ["io.starling.runtime": "process"],
                    taskTemplate: TaskSpec(containerSpec: ContainerSpec(args: ["sleep", "60"])),
                    mode: .replicated(replicas: 2)))
            // Armed after the service is written: the loop's next writes fail three times.
            store.failures.withLock { $0 = 3 }
            while try await manager.tasks(filters: Filters(["service": [service.id]])).filter({
                $0.status.state == .assigned
            }).count < 2 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(store.failures.withLock { $0 } == 0, "the refused writes were tried again")
            loop.cancel()
            // The loop ends only because it was cancelled, not because of the refusals.
            do {
                try await loop.value
            } catch is CancellationError {
            } catch {
                Issue.record("the orchestration loop failed: \(error)")
            }
            group.cancelAll()
        }
    }
}

import Dispatch
import Foundation
import GRDB
import Logging
import StarlingModel
import Synchronization

/// The cluster store in one SQLite file (WAL mode, `synchronous = FULL`): every write returns after its commit is
/// durable, and the file survives the process being killed at any moment.
///
/// Writes are queued and committed by one serial committer, which groups the writes that arrive while a commit is in
/// flight into one SQLite transaction (group commit): each keeps its own revision, and all share one `fsync`. Reads
/// run concurrently on reader connections.
public final class SQLiteKeyValueStore: KeyValueStore {
    private struct Pending {
        let request: WriteRequest
        let continuation: CheckedContinuation<WriteOutcome, any Error>
    }

    private struct Queue {
        var requests: [Pending] = []
        var drainScheduled = false
    }

    /// Most writes one SQLite transaction takes; more wait for the next one.
    private static let maximumBatch = 512
    /// Most history events one page of a watch replay reads.
    private static let historyPage = 1024

    /// The database file.
    public let path: String
    private let pool: DatabasePool
    private let hub: WatchHub
    private let deadlines: LeaseDeadlines
    private let logger: Logger
    private let queue = Mutex(Queue())
    private let committer = DispatchQueue(label: "starling.store.commit")

    /// Opens (creating if needed) the store at `path`; leases expire on `clock`.
    public init<C: Clock>(path: String, clock: C, logger: Logger = Logger(label: "starling.store")) throws
    where C.Duration == Duration {
        self.path = path
        self.logger = logger
        var configuration = Configuration()
        configuration.label = "starling.store"
        configuration.journalMode = .wal
        // The committer is the only writer; a busy database would be another process on the same file.
        configuration.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets `synchronous = NORMAL` with WAL, which may lose the last commits on power loss; an
            // acknowledged write must survive that too.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try SQLiteTable.migrator().migrate(pool)
            let (revision, leases) = try pool.read { db in
                let table = SQLiteTable(db: db)
                return (try table.revision(), try table.allLeases())
            }
            hub = WatchHub(revision: revision)
            deadlines = LeaseDeadlines(time: ElapsedTime(clock), leases: leases)
        } catch {
            throw StarlingError.unavailable("cannot open the cluster store at \(path): \(error)")
        }
    }

    /// Opens the store at `path`; leases expire on the continuous clock.
    public convenience init(path: String, logger: Logger = Logger(label: "starling.store")) throws {
        try self.init(path: path, clock: ContinuousClock(), logger: logger)
    }

    /// The number of live watches (for tests).
    var watcherCount: Int { hub.watcherCount }

    // MARK: Reads

    public var currentRevision: Revision {
        get async throws { try await read { try SQLiteTable(db: $0).revision() } }
    }

    public func get(_ key: String) async throws -> KeyValue? {
        try await read { try SQLiteTable(db: $0).get(key) }
    }

    public func range(prefix: String) async throws -> RangeResult {
        try await read { db in
            let table = SQLiteTable(db: db)
            return RangeResult(kvs: try table.range(prefix: prefix), revision: try table.revision())
        }
    }

    /// Runs `PRAGMA integrity_check` and returns its report (`["ok"]` for a sound file).
    public func integrityCheck() async throws -> [String] {
        try await read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
    }

    /// The connection's `PRAGMA synchronous` level of the writer (2 is FULL).
    func writerSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    // MARK: Writes

    public func txn(_ transaction: Transaction) async throws -> TransactionResult {
        if transaction.isReadOnly {
            return try await read { try WriteApplier.read(transaction, from: SQLiteTable(db: $0)) }
        }
        guard case .transaction(let result) = try await write(.transaction(transaction)) else {
            throw StarlingError.internal("a transaction produced another outcome")
        }
        return result
    }

    public func grantLease(ttl: Duration) async throws -> Lease {
        guard case .leaseGranted(let lease) = try await write(.grantLease(ttl: ttl)) else {
            throw StarlingError.internal("a lease grant produced another outcome")
        }
        return lease
    }

    public func keepAlive(_ id: LeaseID) async throws -> Lease {
        try deadlines.keepAlive(id)
    }

    public func revokeLease(_ id: LeaseID) async throws -> Revision? {
        guard case .leaseRevoked(let revision, _) = try await write(.revokeLease(id, requireExisting: true)) else {
            throw StarlingError.internal("a lease revocation produced another outcome")
        }
        return revision
    }

    public func expireLeases() async throws -> [LeaseID] {
        let expired = deadlines.takeExpired()
        for (index, lease) in expired.enumerated() {
            do {
                _ = try await write(.revokeLease(lease.id, requireExisting: false))
            } catch {
                deadlines.reinstateExpired(Array(expired[index...]))
                throw error
            }
        }
        return expired.map(\.id)
    }

    public func compact(upTo revision: Revision) async throws {
        _ = try await write(.compact(revision))
    }

    // MARK: Watch

    public func watch(prefix: String, fromRevision: Revision) async throws -> WatchStream {
        let compacted = try await read { try SQLiteTable(db: $0).compactedRevision() }
        if fromRevision > 0, fromRevision < compacted {
            throw RevisionCompacted(requested: fromRevision, oldestAvailable: compacted)
        }
        let (registration, live, published) = hub.register(prefix: prefix)
        let watch = LocalWatch(
            prefix: prefix, from: fromRevision > 0 ? fromRevision : published + 1, historyEnd: published,
            registration: registration, live: live,
            readHistory: { [store = self] prefix, from, through in
                try await store.read { db in
                    try SQLiteTable(db: db).history(
                        prefix: prefix, from: from, through: through, limit: Self.historyPage)
                }
            })
        return WatchStream(local: watch)
    }

    /// Ends every watch. The database closes when the store is released.
    public func close() { hub.close() }

    // MARK: Internals

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as DatabaseError {
            throw StarlingError.unavailable("cluster store read failed: \(error)")
        }
    }

    /// Queues a write for the committer and waits for it to be durable. A write that was queued is committed even if
    /// the caller's task is cancelled meanwhile, as etcd does with a request it received.
    private func write(_ request: WriteRequest) async throws -> WriteOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let schedule = queue.withLock { queue in
                queue.requests.append(Pending(request: request, continuation: continuation))
                defer { queue.drainScheduled = true }
                return !queue.drainScheduled
            }
            if schedule { committer.async { self.drain() } }
        }
    }

    /// Commits the queued writes in one transaction (on the committer queue), then publishes their changes in
    /// revision order and answers their callers.
    private func drain() {
        let (batch, more) = queue.withLock { queue in
            let batch = Array(queue.requests.prefix(Self.maximumBatch))
            queue.requests.removeFirst(batch.count)
            queue.drainScheduled = !queue.requests.isEmpty
            return (batch, queue.drainScheduled)
        }
        // Writers that queue meanwhile see a drain scheduled and wait for this one.
        if more { committer.async { self.drain() } }
        let results: [Result<AppliedWrite, any Error>]
        do {
            results = try pool.write { db in
                var table = SQLiteTable(db: db)
                var results: [Result<AppliedWrite, any Error>] = []
                for pending in batch {
                    do {
                        var applied: AppliedWrite?
                        try db.inSavepoint {
                            applied = try WriteApplier.apply(pending.request, to: &table)
                            return .commit
                        }
                        results.append(
                            applied.map { .success($0) } ?? .failure(StarlingError.internal("a write produced nothing"))
                        )
                    } catch let error as DatabaseError {
                        throw error
                    } catch {
                        results.append(.failure(error))
                    }
                }
                return results
            }
        } catch {
            logger.error("cluster store commit failed: \(error)")
            let failure = StarlingError.unavailable("cluster store write failed: \(error)")
            for pending in batch { pending.continuation.resume(throwing: failure) }
            return
        }
        for (pending, result) in zip(batch, results) {
            if case .success(let applied) = result {
                if let changes = applied.batch { hub.publish(changes) }
                switch (pending.request, applied.outcome) {
                case (_, .leaseGranted(let lease)): deadlines.granted(lease)
                case (.revokeLease(let id, _), _): deadlines.revoked(id)
                default: break
                }
            }
            pending.continuation.resume(with: result.map(\.outcome))
        }
    }
}

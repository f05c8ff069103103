import StarlingModel
import Synchronization

/// A `KeyValueStore` in memory, with the same semantics as the SQLite backend, for tests of the layers above.
/// Nothing survives the process.
public final class MemoryKeyValueStore: KeyValueStore {
    private let state = Mutex(MemoryTable())
    private let hub = WatchHub(revision: 1)
    private let deadlines: LeaseDeadlines

    /// A store whose leases expire on `clock`.
    public init<C: Clock>(clock: C) where C.Duration == Duration {
        deadlines = LeaseDeadlines(time: ElapsedTime(clock))
    }

    /// A store whose leases expire on the continuous clock.
    public convenience init() { self.init(clock: ContinuousClock()) }

    /// The number of live watches (for tests).
    var watcherCount: Int { hub.watcherCount }

    public var currentRevision: Revision {
        get async throws { state.withLock { $0.lastRevision } }
    }

    public func get(_ key: String) async throws -> KeyValue? {
        state.withLock { $0.kvs[key] }
    }

    public func range(prefix: String) async throws -> RangeResult {
        state.withLock { RangeResult(kvs: $0.range(prefix: prefix), revision: $0.lastRevision) }
    }

    public func txn(_ transaction: Transaction) async throws -> TransactionResult {
        if transaction.isReadOnly {
            return try state.withLock { try WriteApplier.read(transaction, from: $0) }
        }
        guard case .transaction(let result) = try write(.transaction(transaction)) else {
            throw StarlingError.internal("a transaction produced another outcome")
        }
        return result
    }

    public func grantLease(ttl: Duration) async throws -> Lease {
        guard case .leaseGranted(let lease) = try write(.grantLease(ttl: ttl)) else {
            throw StarlingError.internal("a lease grant produced another outcome")
        }
        return lease
    }

    public func keepAlive(_ id: LeaseID) async throws -> Lease {
        try deadlines.keepAlive(id)
    }

    public func revokeLease(_ id: LeaseID) async throws -> Revision? {
        guard case .leaseRevoked(let revision, _) = try write(.revokeLease(id, requireExisting: true)) else {
            throw StarlingError.internal("a lease revocation produced another outcome")
        }
        return revision
    }

    public func expireLeases() async throws -> [LeaseID] {
        let expired = deadlines.takeExpired()
        for lease in expired {
            _ = try write(.revokeLease(lease.id, requireExisting: false))
        }
        return expired.map(\.id)
    }

    public func watch(prefix: String, fromRevision: Revision) async throws -> WatchStream {
        let compacted = state.withLock { $0.compacted }
        if fromRevision > 0, fromRevision < compacted {
            throw RevisionCompacted(requested: fromRevision, oldestAvailable: compacted)
        }
        let (registration, live, published) = hub.register(prefix: prefix)
        let watch = LocalWatch(
            prefix: prefix, from: fromRevision > 0 ? fromRevision : published + 1, historyEnd: published,
            registration: registration, live: live,
            readHistory: { [state = self] prefix, from, through in
                try state.history(prefix: prefix, from: from, through: through)
            })
        return WatchStream(local: watch)
    }

    public func compact(upTo revision: Revision) async throws {
        _ = try write(.compact(revision))
    }

    /// Ends every watch.
    public func close() { hub.close() }

    private func history(
        prefix: String, from: Revision, through: Revision
    ) throws -> (
        batches: [WatchBatch], next: Revision
    ) {
        try state.withLock { table in
            guard from >= table.compacted else {
                throw RevisionCompacted(requested: from, oldestAvailable: table.compacted)
            }
            var low = 0
            var high = table.history.count
            while low < high {
                let middle = (low + high) / 2
                if table.history[middle].revision < from { low = middle + 1 } else { high = middle }
            }
            var batches: [WatchBatch] = []
            for batch in table.history[low...] {
                if batch.revision > through { break }
                if let filtered = batch.filtered(prefix: prefix) { batches.append(filtered) }
            }
            return (batches, through + 1)
        }
    }

    /// Applies a write and publishes its batch while holding the state, so watchers see revisions in order.
    private func write(_ request: WriteRequest) throws -> WriteOutcome {
        try state.withLock { table in
            let applied = try WriteApplier.apply(request, to: &table)
            if let batch = applied.batch { hub.publish(batch) }
            switch (request, applied.outcome) {
            case (_, .leaseGranted(let lease)): deadlines.granted(lease)
            case (.revokeLease(let id, _), _): deadlines.revoked(id)
            default: break
            }
            return applied.outcome
        }
    }
}

/// The state of a `MemoryKeyValueStore`.
struct MemoryTable: RevisionedTable {
    var kvs: [String: KeyValue] = [:]
    var lastRevision: Revision = 1
    var compacted: Revision = 0
    var leases: [LeaseID: Duration] = [:]
    var lastLeaseID: Int64 = 0
    var history: [WatchBatch] = []

    func revision() throws -> Revision { lastRevision }
    mutating func setRevision(_ revision: Revision) throws { lastRevision = revision }
    func compactedRevision() throws -> Revision { compacted }
    mutating func setCompactedRevision(_ revision: Revision) throws { compacted = revision }

    func get(_ key: String) throws -> KeyValue? { kvs[key] }

    func range(prefix: String) -> [KeyValue] {
        kvs.values.filter { keyHasPrefix($0.key, prefix) }.sorted { keyPrecedes($0.key, $1.key) }
    }

    mutating func upsert(_ kv: KeyValue) throws { kvs[kv.key] = kv }
    mutating func remove(_ key: String) throws { kvs[key] = nil }

    func keys(attachedTo lease: LeaseID) throws -> [String] {
        kvs.values.filter { $0.lease == lease }.map(\.key)
    }

    func ttl(of lease: LeaseID) throws -> Duration? { leases[lease] }
    mutating func insertLease(_ lease: Lease) throws { leases[lease.id] = lease.ttl }
    mutating func removeLease(_ id: LeaseID) throws { leases[id] = nil }

    mutating func allocateLeaseID() throws -> LeaseID {
        lastLeaseID += 1
        return LeaseID(lastLeaseID)
    }

    mutating func appendHistory(_ batch: WatchBatch) throws { history.append(batch) }

    mutating func removeHistory(before revision: Revision) throws {
        history.removeAll { $0.revision < revision }
    }
}

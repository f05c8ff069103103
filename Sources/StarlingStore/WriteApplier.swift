import StarlingModel

/// The storage that one write runs against, inside one storage transaction.
///
/// Each backend implements it over its own storage; `WriteApplier` holds etcd's semantics on top, so that every
/// backend shares them. Methods throw only for storage failures.
protocol RevisionedTable {
    func revision() throws -> Revision
    mutating func setRevision(_ revision: Revision) throws
    func compactedRevision() throws -> Revision
    mutating func setCompactedRevision(_ revision: Revision) throws

    func get(_ key: String) throws -> KeyValue?
    /// Sorted by key, byte-wise.
    func range(prefix: String) throws -> [KeyValue]
    mutating func upsert(_ kv: KeyValue) throws
    mutating func remove(_ key: String) throws
    func keys(attachedTo lease: LeaseID) throws -> [String]

    /// The lease's TTL, or `nil` when no such lease exists.
    func ttl(of lease: LeaseID) throws -> Duration?
    mutating func insertLease(_ lease: Lease) throws
    mutating func removeLease(_ id: LeaseID) throws
    /// Allocates a lease ID that was never used before in this store.
    mutating func allocateLeaseID() throws -> LeaseID

    mutating func appendHistory(_ batch: WatchBatch) throws
    mutating func removeHistory(before revision: Revision) throws
}

/// A write, as the backends queue it.
enum WriteRequest: Sendable {
    case transaction(Transaction)
    case grantLease(ttl: Duration)
    /// Revokes a lease and deletes its keys; `requireExisting` makes an unknown lease an error.
    case revokeLease(LeaseID, requireExisting: Bool)
    case compact(Revision)
}

/// What a write produced.
enum WriteOutcome: Sendable {
    case transaction(TransactionResult)
    case leaseGranted(Lease)
    /// The revision of the deletion of the lease's keys, `nil` if it had none (or did not exist).
    case leaseRevoked(Revision?, existed: Bool)
    case compacted
}

/// A write's outcome and the change it made, for watchers.
struct AppliedWrite: Sendable {
    var outcome: WriteOutcome
    var batch: WatchBatch?
}

/// etcd's write semantics over any `RevisionedTable`.
///
/// Every expected error (a missing lease, a duplicate key, a compacted revision) is thrown before the table is
/// changed, so a backend never has to undo part of a request.
enum WriteApplier {
    static func apply<Table: RevisionedTable>(_ request: WriteRequest, to table: inout Table) throws -> AppliedWrite {
        switch request {
        case .transaction(let transaction):
            return try apply(transaction, to: &table)
        case .grantLease(let ttl):
            guard ttl > .zero else { throw StarlingError.invalidArgument("a lease TTL must be positive") }
            let lease = Lease(id: try table.allocateLeaseID(), ttl: ttl)
            try table.insertLease(lease)
            return AppliedWrite(outcome: .leaseGranted(lease), batch: nil)
        case .revokeLease(let id, let requireExisting):
            return try revoke(id, requireExisting: requireExisting, in: &table)
        case .compact(let revision):
            let current = try table.revision()
            let compacted = try table.compactedRevision()
            guard revision <= current else {
                throw StarlingError.invalidArgument(
                    "cannot compact up to revision \(revision): the store is at revision \(current)")
            }
            guard revision > compacted else {
                throw RevisionCompacted(requested: revision, oldestAvailable: compacted)
            }
            try table.removeHistory(before: revision)
            try table.setCompactedRevision(revision)
            return AppliedWrite(outcome: .compacted, batch: nil)
        }
    }

    static func apply<Table: RevisionedTable>(
        _ transaction: Transaction, to table: inout Table
    ) throws
        -> AppliedWrite
    {
        try transaction.validate()
        let succeeded = try compares(transaction.compares, holdIn: table)
        let operations = succeeded ? transaction.success : transaction.failure
        for case .put(_, _, let lease?) in operations {
            guard try table.ttl(of: lease) != nil else { throw StarlingError.leaseNotFound(lease) }
        }
        let current = try table.revision()
        let next = current + 1
        var events: [WatchEvent] = []
        var results: [OperationResult] = []
        for operation in operations {
            switch operation {
            case .put(let key, let value, let lease):
                let previous = try table.get(key)
                let kv = KeyValue(
                    key: key, value: value, createRevision: previous?.createRevision ?? next, modRevision: next,
                    version: (previous?.version ?? 0) + 1, lease: lease)
                try table.upsert(kv)
                events.append(WatchEvent(kind: .put, kv: kv))
                results.append(.put)
            case .delete(let key):
                var count = 0
                if let previous = try table.get(key) {
                    try table.remove(key)
                    events.append(.deletion(of: previous, at: next))
                    count = 1
                }
                results.append(.delete(count: count))
            case .deletePrefix(let prefix):
                let previous = try table.range(prefix: prefix)
                for kv in previous {
                    try table.remove(kv.key)
                    events.append(.deletion(of: kv, at: next))
                }
                results.append(.delete(count: previous.count))
            case .get(let key):
                results.append(.get(try table.get(key)))
            }
        }
        guard !events.isEmpty else {
            let result = TransactionResult(succeeded: succeeded, revision: current, results: results)
            return AppliedWrite(outcome: .transaction(result), batch: nil)
        }
        let batch = WatchBatch(revision: next, events: events)
        try table.setRevision(next)
        try table.appendHistory(batch)
        let result = TransactionResult(succeeded: succeeded, revision: next, results: results)
        return AppliedWrite(outcome: .transaction(result), batch: batch)
    }

    /// Runs a read-only transaction (no revision, no history).
    static func read<Table: RevisionedTable>(
        _ transaction: Transaction, from table: Table
    ) throws
        -> TransactionResult
    {
        let succeeded = try compares(transaction.compares, holdIn: table)
        var results: [OperationResult] = []
        for case .get(let key) in succeeded ? transaction.success : transaction.failure {
            results.append(.get(try table.get(key)))
        }
        return TransactionResult(succeeded: succeeded, revision: try table.revision(), results: results)
    }

    private static func compares<Table: RevisionedTable>(_ compares: [Compare], holdIn table: Table) throws -> Bool {
        for compare in compares {
            guard compare.holds(for: try table.get(compare.key)) else { return false }
        }
        return true
    }

    private static func revoke<Table: RevisionedTable>(
        _ id: LeaseID, requireExisting: Bool, in table: inout Table
    ) throws -> AppliedWrite {
        guard try table.ttl(of: id) != nil else {
            if requireExisting { throw StarlingError.leaseNotFound(id) }
            return AppliedWrite(outcome: .leaseRevoked(nil, existed: false), batch: nil)
        }
        let keys = try table.keys(attachedTo: id)
        try table.removeLease(id)
        guard !keys.isEmpty else { return AppliedWrite(outcome: .leaseRevoked(nil, existed: true), batch: nil) }
        let next = try table.revision() + 1
        var events: [WatchEvent] = []
        for key in keys.sorted(by: keyPrecedes) {
            guard let previous = try table.get(key) else { continue }
            try table.remove(key)
            events.append(.deletion(of: previous, at: next))
        }
        let batch = WatchBatch(revision: next, events: events)
        try table.setRevision(next)
        try table.appendHistory(batch)
        return AppliedWrite(outcome: .leaseRevoked(next, existed: true), batch: batch)
    }
}

import StarlingModel

/// A revisioned key-value store with etcd's semantics: the cluster store that managers read and write.
///
/// - Every write transaction that changes something bumps the store's revision by one; all its changes carry that
///   revision. A write returns only once it is durable.
/// - Keys are strings compared byte-wise; values are bytes.
/// - Keys may be attached to a lease; revoking or expiring the lease deletes them.
/// - `watch` streams the changes under a prefix from any revision that compaction has not removed.
///
/// Backends: `SQLiteKeyValueStore` (one manager, durable) and `MemoryKeyValueStore` (tests). Errors are
/// `StarlingError` (`notFound` for an unknown lease, `invalidArgument` for a malformed request) and
/// `RevisionCompacted`.
public protocol KeyValueStore: Sendable {
    /// The revision of the last write.
    var currentRevision: Revision { get async throws }

    func get(_ key: String) async throws -> KeyValue?

    /// The keys under `prefix`, sorted, read at one revision.
    func range(prefix: String) async throws -> RangeResult

    /// Puts a value and returns the new revision. A `nil` lease detaches the key from any lease.
    func put(_ key: String, value: [UInt8], lease: LeaseID?) async throws -> Revision

    /// Deletes a key; returns the new revision, or `nil` when the key was absent (nothing changed).
    func delete(_ key: String) async throws -> Revision?

    /// Deletes every key under `prefix` in one revision; `nil` when there was none.
    func deletePrefix(_ prefix: String) async throws -> Revision?

    /// Runs a transaction atomically.
    func txn(_ transaction: Transaction) async throws -> TransactionResult

    func grantLease(ttl: Duration) async throws -> Lease

    /// Restarts the lease's TTL; throws `notFound` if it expired or was revoked.
    func keepAlive(_ id: LeaseID) async throws -> Lease

    /// Revokes a lease and deletes its keys; returns the revision of that deletion, `nil` if the lease had no keys.
    /// Throws `notFound` for an unknown lease.
    func revokeLease(_ id: LeaseID) async throws -> Revision?

    /// Revokes the leases whose TTL has run out on the store's clock and returns them. `LeaseExpiry` calls it
    /// periodically; a backend whose server expires leases itself returns none.
    func expireLeases() async throws -> [LeaseID]

    /// The changes under `prefix` from `fromRevision` on (`0` or less: from the next revision).
    /// Throws `RevisionCompacted` if that revision's history was compacted.
    func watch(prefix: String, fromRevision: Revision) async throws -> WatchStream

    /// Removes the history before `revision`; watches from older revisions then fail with `RevisionCompacted`.
    func compact(upTo revision: Revision) async throws
}

extension KeyValueStore {
    public func put(_ key: String, value: [UInt8]) async throws -> Revision {
        try await put(key, value: value, lease: nil)
    }

    public func get(_ key: String) async throws -> KeyValue? {
        try await txn(Transaction(success: [.get(key: key)])).gets.first ?? nil
    }

    public func put(_ key: String, value: [UInt8], lease: LeaseID?) async throws -> Revision {
        try await txn(Transaction(success: [.put(key: key, value: value, lease: lease)])).revision
    }

    public func delete(_ key: String) async throws -> Revision? {
        let result = try await txn(Transaction(success: [.delete(key: key)]))
        return result.results.first == .delete(count: 0) ? nil : result.revision
    }

    public func deletePrefix(_ prefix: String) async throws -> Revision? {
        let result = try await txn(Transaction(success: [.deletePrefix(prefix)]))
        return result.results.first == .delete(count: 0) ? nil : result.revision
    }

    /// Watches from the next revision on.
    public func watch(prefix: String) async throws -> WatchStream {
        try await watch(prefix: prefix, fromRevision: 0)
    }
}

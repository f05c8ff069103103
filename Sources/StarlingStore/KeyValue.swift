import StarlingModel

/// The store-wide revision counter, with etcd's meaning: a fresh store is at revision 1 and every write transaction
/// that changes something bumps it by exactly one. A key's `createRevision == 0` means the key does not exist.
public typealias Revision = Int64

/// The identifier of a lease. Keys attached to a lease are deleted when the lease is revoked or expires.
public struct LeaseID: RawRepresentable, Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }

    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }

    public static func < (lhs: LeaseID, rhs: LeaseID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One key and its value as stored, with etcd's bookkeeping.
public struct KeyValue: Hashable, Sendable {
    public var key: String
    public var value: [UInt8]
    /// The revision of the write that created the key (since it was last absent); 0 for an absent key.
    public var createRevision: Revision
    /// The revision of the last write to the key.
    public var modRevision: Revision
    /// How many times the key was put since it was created (1 after the first put).
    public var version: Int64
    /// The lease the key is attached to, if any.
    public var lease: LeaseID?

    public init(
        key: String, value: [UInt8], createRevision: Revision, modRevision: Revision, version: Int64,
        lease: LeaseID? = nil
    ) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }
}

/// The keys under a prefix, sorted by key (byte order of their UTF-8), and the store revision they were read at.
public struct RangeResult: Hashable, Sendable {
    public var kvs: [KeyValue]
    /// The store's revision when the range was read: watching from `revision + 1` misses nothing.
    public var revision: Revision

    public init(kvs: [KeyValue], revision: Revision) {
        self.kvs = kvs
        self.revision = revision
    }
}

/// A granted lease: keys attached to it live as long as it is kept alive.
public struct Lease: Hashable, Sendable {
    public var id: LeaseID
    /// How long the lease lives after it is granted or last kept alive.
    public var ttl: Duration

    public init(id: LeaseID, ttl: Duration) {
        self.id = id
        self.ttl = ttl
    }
}

/// A watch or compaction asked for history that compaction has already removed.
///
/// A watcher that receives it should read the current state again (`range`) and watch from that revision + 1.
public struct RevisionCompacted: Error, Hashable, Sendable, CustomStringConvertible {
    /// The revision that was asked for.
    public var requested: Revision
    /// The oldest revision whose history is still available.
    public var oldestAvailable: Revision

    public init(requested: Revision, oldestAvailable: Revision) {
        self.requested = requested
        self.oldestAvailable = oldestAvailable
    }

    public var description: String {
        "revision \(requested) has been compacted; the oldest available revision is \(oldestAvailable)"
    }
}

/// Keys compare as etcd compares them: by the bytes of their UTF-8 encoding.
func keyPrecedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

/// Whether `key` lies under `prefix` byte-wise (the empty prefix matches every key).
func keyHasPrefix(_ key: String, _ prefix: String) -> Bool {
    key.utf8.starts(with: prefix.utf8)
}

extension StarlingError {
    static func leaseNotFound(_ id: LeaseID) -> StarlingError { .notFound("lease \(id) not found") }
}

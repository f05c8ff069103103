import StarlingModel

/// One condition of a transaction, as etcd's `Compare`: a key's field against a constant.
///
/// An absent key compares as zero (`createRevision`, `modRevision`, `version` are 0, the lease is none), except that
/// a `value` comparison on an absent key is always false, as in etcd.
public struct Compare: Hashable, Sendable {
    /// What is compared.
    public enum Target: Hashable, Sendable {
        case createRevision(Revision)
        case modRevision(Revision)
        case version(Int64)
        case value([UInt8])
        /// `nil` compares with "no lease".
        case lease(LeaseID?)
    }

    /// How the key's field relates to the target.
    public enum Relation: Hashable, Sendable {
        case equal
        case notEqual
        case less
        case greater
    }

    public var key: String
    public var target: Target
    public var relation: Relation

    public init(key: String, _ relation: Relation, _ target: Target) {
        self.key = key
        self.relation = relation
        self.target = target
    }

    /// The key is absent (`createRevision == 0`).
    public static func absent(_ key: String) -> Compare { Compare(key: key, .equal, .createRevision(0)) }

    /// The key exists.
    public static func exists(_ key: String) -> Compare { Compare(key: key, .greater, .createRevision(0)) }

    /// The key was last written at `revision` (compare-and-swap).
    public static func modRevision(_ key: String, _ relation: Relation = .equal, _ revision: Revision) -> Compare {
        Compare(key: key, relation, .modRevision(revision))
    }

    /// The key's value equals `value`.
    public static func value(_ key: String, equals value: [UInt8]) -> Compare {
        Compare(key: key, .equal, .value(value))
    }

    func holds(for kv: KeyValue?) -> Bool {
        switch target {
        case .createRevision(let revision): return relation.holds(kv?.createRevision ?? 0, revision)
        case .modRevision(let revision): return relation.holds(kv?.modRevision ?? 0, revision)
        case .version(let version): return relation.holds(kv?.version ?? 0, version)
        case .lease(let lease): return relation.holds(kv?.lease?.rawValue ?? 0, lease?.rawValue ?? 0)
        case .value(let value):
            guard let kv else { return false }
            switch relation {
            case .equal: return kv.value == value
            case .notEqual: return kv.value != value
            case .less: return kv.value.lexicographicallyPrecedes(value)
            case .greater: return value.lexicographicallyPrecedes(kv.value)
            }
        }
    }
}

extension Compare.Relation {
    func holds(_ lhs: Int64, _ rhs: Int64) -> Bool {
        switch self {
        case .equal: lhs == rhs
        case .notEqual: lhs != rhs
        case .less: lhs < rhs
        case .greater: lhs > rhs
        }
    }
}

/// One operation of a transaction branch.
public enum Operation: Hashable, Sendable {
    /// Puts `value` at `key`; a `nil` lease detaches the key from any lease (as etcd's put does).
    case put(key: String, value: [UInt8], lease: LeaseID? = nil)
    case delete(key: String)
    case deletePrefix(String)
    /// Reads a key; it sees the writes of earlier operations of the same branch.
    case get(key: String)

    var isWrite: Bool {
        switch self {
        case .put, .delete, .deletePrefix: true
        case .get: false
        }
    }
}

/// What one operation of the branch that ran produced, in the order of the operations.
public enum OperationResult: Hashable, Sendable {
    case put
    /// How many keys the delete removed.
    case delete(count: Int)
    case get(KeyValue?)
}

/// A transaction: if every compare holds, the `success` operations run, otherwise the `failure` ones; atomically,
/// and all its writes share one new revision (none if nothing changed).
///
/// As in etcd, a branch may not write the same key twice (a put and a delete of the same key included).
public struct Transaction: Hashable, Sendable {
    public var compares: [Compare]
    public var success: [Operation]
    public var failure: [Operation]

    public init(compares: [Compare] = [], success: [Operation] = [], failure: [Operation] = []) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }

    var isReadOnly: Bool { !success.contains(where: \.isWrite) && !failure.contains(where: \.isWrite) }

    /// Refuses branches that write a key twice, before anything is applied.
    func validate() throws {
        for branch in [success, failure] {
            var written = Set<String>()
            var deletedPrefixes: [String] = []
            for operation in branch {
                switch operation {
                case .put(let key, _, _), .delete(let key):
                    guard written.insert(key).inserted else {
                        throw StarlingError.invalidArgument("duplicate key given in txn request: \(key)")
                    }
                case .deletePrefix(let prefix): deletedPrefixes.append(prefix)
                case .get: break
                }
            }
            for prefix in deletedPrefixes {
                if let key = written.first(where: { keyHasPrefix($0, prefix) }) {
                    throw StarlingError.invalidArgument("duplicate key given in txn request: \(key)")
                }
            }
            if deletedPrefixes.count > 1 {
                throw StarlingError.invalidArgument("a txn branch may delete at most one prefix")
            }
        }
    }
}

/// The outcome of a transaction.
public struct TransactionResult: Hashable, Sendable {
    /// Whether the compares held (and the `success` branch ran).
    public var succeeded: Bool
    /// The store revision after the transaction: the new revision if it wrote, the current one otherwise.
    public var revision: Revision
    /// One result per operation of the branch that ran.
    public var results: [OperationResult]

    public init(succeeded: Bool, revision: Revision, results: [OperationResult]) {
        self.succeeded = succeeded
        self.revision = revision
        self.results = results
    }

    /// The values read by the `get` operations, in order.
    public var gets: [KeyValue?] {
        results.compactMap {
            if case .get(let kv) = $0 { return .some(kv) }
            return nil
        }
    }
}

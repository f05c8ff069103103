import Foundation
import StarlingModel

/// Typed access to the swarm objects in a `KeyValueStore`: each object is JSON (`StarlingJSON`) at its kind's key,
/// and its `version.index` is its key's `modRevision`.
///
/// Writes are compare-and-swap transactions on that revision, so two writers never overwrite each other unseen.
public struct ObjectStore: Sendable {
    public let store: any KeyValueStore

    public init(store: any KeyValueStore) { self.store = store }

    /// The object, with its current version, or `nil`.
    public func get<T: StoredObject>(_ type: T.Type, id: String) async throws -> T? {
        guard let kv = try await store.get(T.key(for: id)) else { return nil }
        return try Self.decode(type, from: kv)
    }

    /// Every object of the kind, sorted by key, and the revision they were read at.
    public func list<T: StoredObject>(_ type: T.Type) async throws -> (objects: [T], revision: Revision) {
        let range = try await store.range(prefix: T.keyPrefix)
        return (try range.kvs.map { try Self.decode(type, from: $0) }, range.revision)
    }

    /// Stores a new object and returns it with its version. Throws `conflict` if one with the same ID exists.
    @discardableResult
    public func create<T: StoredObject>(_ object: T, lease: LeaseID? = nil) async throws -> T {
        let key = object.key
        let result = try await store.txn(
            Transaction(
                compares: [.absent(key)],
                success: [.put(key: key, value: try Self.encode(object), lease: lease)]))
        guard result.succeeded else { throw StarlingError.conflict("\(T.kindName) \(object.storeID) already exists") }
        var created = object
        created.version = ObjectVersion(index: UInt64(result.revision))
        return created
    }

    /// Reads the object, applies `mutate` and writes it back if nobody wrote it in between.
    ///
    /// With an `expectedVersion` (a client's `?version=`), the update throws `StarlingError.outOfSequence` unless the
    /// stored object is still at that version. Without one, a concurrent write makes it read and mutate again, so
    /// `mutate` may run more than once. Throws `notFound` for a missing object. Keeps the key's lease.
    @discardableResult
    public func update<T: StoredObject>(
        _ type: T.Type, id: String, expectedVersion: ObjectVersion? = nil, mutate: (inout T) throws -> Void
    ) async throws -> T {
        let key = T.key(for: id)
        while true {
            guard let kv = try await store.get(key) else { throw Self.notFound(type, id) }
            if let expectedVersion, expectedVersion.index != UInt64(kv.modRevision) {
                throw StarlingError.outOfSequence
            }
            var object = try Self.decode(type, from: kv)
            try mutate(&object)
            guard object.storeID == id else {
                throw StarlingError.invalidArgument("the \(T.kindName) ID cannot change (\(id) → \(object.storeID))")
            }
            let result = try await store.txn(
                Transaction(
                    compares: [.modRevision(key, .equal, kv.modRevision)],
                    success: [.put(key: key, value: try Self.encode(object), lease: kv.lease)]))
            if result.succeeded {
                object.version = ObjectVersion(index: UInt64(result.revision))
                return object
            }
            if expectedVersion != nil { throw StarlingError.outOfSequence }
        }
    }

    /// Deletes the object; with an `expectedVersion`, only if it is still at that version (else `outOfSequence`).
    /// Throws `notFound` for a missing object.
    public func delete<T: StoredObject>(_ type: T.Type, id: String, expectedVersion: ObjectVersion? = nil) async throws
    {
        let key = T.key(for: id)
        let compare: Compare =
            if let expectedVersion {
                .modRevision(key, .equal, Revision(expectedVersion.index))
            } else {
                .exists(key)
            }
        let result = try await store.txn(
            Transaction(compares: [compare], success: [.delete(key: key)], failure: [.get(key: key)]))
        guard result.succeeded else {
            if result.gets.first ?? nil == nil { throw Self.notFound(type, id) }
            throw StarlingError.outOfSequence
        }
    }

    // MARK: Transactions over several objects

    /// The operation that writes `object` at its key, for a transaction that changes several objects at once.
    public static func putOperation<T: StoredObject>(_ object: T, lease: LeaseID? = nil) throws -> Operation {
        .put(key: object.key, value: try encode(object), lease: lease)
    }

    /// The compare that holds while the object is still at `version` (`ObjectVersion(index: 0)`: still absent).
    public static func unchanged<T: StoredObject>(_ type: T.Type, id: String, since version: ObjectVersion) -> Compare {
        .modRevision(T.key(for: id), .equal, Revision(version.index))
    }

    // MARK: Encoding

    static func encode<T: StoredObject>(_ object: T) throws -> [UInt8] {
        do {
            return [UInt8](try StarlingJSON.encode(object))
        } catch {
            throw StarlingError.internal("cannot encode \(T.kindName) \(object.storeID): \(error)")
        }
    }

    /// Decodes a stored object and sets its version to the key's `modRevision`.
    static func decode<T: StoredObject>(_ type: T.Type, from kv: KeyValue) throws -> T {
        do {
            var object = try StarlingJSON.decode(type, from: Data(kv.value))
            object.version = ObjectVersion(index: UInt64(kv.modRevision))
            return object
        } catch {
            throw StarlingError.internal("the stored \(T.kindName) at \(kv.key) cannot be decoded: \(error)")
        }
    }

    static func notFound<T: StoredObject>(_ type: T.Type, _ id: String) -> StarlingError {
        .notFound("\(T.kindName) \(id) not found")
    }
}

/// A consistent, immutable copy of the swarm objects at one store revision, indexed by kind, ID and secondary
/// index keys. Reconcilers read it; it never changes under them.
public struct ClusterSnapshot: Sendable {
    /// The store revision the snapshot reflects: every change up to it is in, none after it. 0 before the view has
    /// loaded.
    public internal(set) var revision: Revision
    var tables: [String: KindTable] = [:]

    init(revision: Revision) { self.revision = revision }

    /// Every object of the kind, sorted by ID.
    public func all<T: StoredObject>(_ type: T.Type) -> [T] {
        guard let table = tables[T.keyPrefix] else { return [] }
        return table.objects.keys.sorted().compactMap { table.objects[$0] as? T }
    }

    /// The object of the kind with that ID.
    public func object<T: StoredObject>(_ type: T.Type, id: String) -> T? {
        tables[T.keyPrefix]?.objects[id] as? T
    }

    /// The objects of the kind that have `key` among their `indexKeys`, sorted by ID.
    public func objects<T: StoredObject>(_ type: T.Type, matching key: ObjectIndexKey) -> [T] {
        guard let table = tables[T.keyPrefix], let ids = table.index[key] else { return [] }
        return ids.sorted().compactMap { table.objects[$0] as? T }
    }

    /// How many objects of the kind there are.
    public func count<T: StoredObject>(of type: T.Type) -> Int {
        tables[T.keyPrefix]?.objects.count ?? 0
    }

    mutating func put(_ object: any StoredObject, id: String, prefix: String) {
        tables[prefix, default: KindTable()].put(object, id: id)
    }

    mutating func remove(id: String, prefix: String) {
        tables[prefix]?.remove(id: id)
    }
}

/// The objects of one kind and their secondary indexes.
struct KindTable: Sendable {
    var objects: [String: any StoredObject] = [:]
    var index: [ObjectIndexKey: Set<String>] = [:]

    /// Keeps `object` under `id`, the rest of its key after the kind's prefix.
    mutating func put(_ object: any StoredObject, id: String) {
        remove(id: id)
        objects[id] = object
        for key in object.indexKeys { index[key, default: []].insert(id) }
    }

    mutating func remove(id: String) {
        guard let old = objects.removeValue(forKey: id) else { return }
        for key in old.indexKeys {
            index[key]?.remove(id)
            if index[key]?.isEmpty == true { index[key] = nil }
        }
    }
}

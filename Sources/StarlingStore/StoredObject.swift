import StarlingModel

/// A swarm object kind kept in the cluster store: encoded as JSON at `keyPrefix + storeID`.
///
/// The object's `version.index` is the `modRevision` of its key: the store sets it when it reads the object, so the
/// version a client sends back with an update is exactly what the update's compare-and-swap checks.
public protocol StoredObject: Codable, Sendable {
    /// Where objects of this kind live, ending with `/` (`/nodes/`). No kind's prefix may start with another's.
    static var keyPrefix: String { get }
    /// The kind's name in messages (`node`: "node X not found").
    static var kindName: String { get }
    /// The object's name under `keyPrefix`: usually its ID.
    var storeID: String { get }
    var version: ObjectVersion { get set }
    /// Secondary index entries of the object in a `ClusterSnapshot` (for example tasks by node).
    var indexKeys: [ObjectIndexKey] { get }
}

extension StoredObject {
    public var indexKeys: [ObjectIndexKey] { [] }

    /// The store key of the object with `storeID` `id`.
    public static func key(for id: String) -> String { keyPrefix + id }

    /// The store key of this object.
    public var key: String { Self.key(for: storeID) }
}

/// One entry of a secondary index: objects are found by `(name, value)`, such as `("role", "manager")`.
public struct ObjectIndexKey: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Node: StoredObject {
    public static var keyPrefix: String { "/nodes/" }
    public static var kindName: String { "node" }
    public var storeID: String { id }

    /// Index names of nodes.
    public enum Index {
        /// `NodeSpec.Role` raw values.
        public static let role = "role"
    }

    public var indexKeys: [ObjectIndexKey] { [ObjectIndexKey(Index.role, spec.role.rawValue)] }
}

extension Swarm: StoredObject {
    /// There is one swarm object, at `/cluster/default`.
    public static var keyPrefix: String { "/cluster/" }
    public static var kindName: String { "swarm" }
    public var storeID: String { Self.storeID }

    /// The `storeID` of the one swarm object.
    public static let storeID = "default"
}

extension SwarmService: StoredObject {
    public static var keyPrefix: String { "/services/" }
    public static var kindName: String { "service" }
    public var storeID: String { id }

    /// Index names of services.
    public enum Index {
        /// `Spec.Name`: names are unique.
        public static let name = "name"
    }

    public var indexKeys: [ObjectIndexKey] { [ObjectIndexKey(Index.name, spec.name)] }
}

extension SwarmTask: StoredObject {
    public static var keyPrefix: String { "/tasks/" }
    public static var kindName: String { "task" }
    public var storeID: String { id }

    /// Index names of tasks.
    public enum Index {
        /// The owning service's ID.
        public static let service = "service"
        /// The assigned node's ID (absent until scheduled).
        public static let node = "node"
        /// `<service ID>/<slot>` for replicated tasks, `<service ID>/<node ID>` for global ones: a slot's history.
        public static let slot = "slot"
    }

    public var indexKeys: [ObjectIndexKey] {
        var keys = [ObjectIndexKey(Index.service, serviceID)]
        if let nodeID, !nodeID.isEmpty { keys.append(ObjectIndexKey(Index.node, nodeID)) }
        if let slot, slot > 0 {
            keys.append(ObjectIndexKey(Index.slot, "\(serviceID)/\(slot)"))
        } else if let nodeID, !nodeID.isEmpty {
            keys.append(ObjectIndexKey(Index.slot, "\(serviceID)/\(nodeID)"))
        }
        return keys
    }
}

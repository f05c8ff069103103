import Foundation

/// A machine in the swarm: what the user asked for (`Spec`), what its agent reported (`Description`) and what the
/// managers observed (`Status`, `ManagerStatus`). Encodes exactly as the Engine API's `Node`.
public struct Node: Codable, Hashable, Sendable, Identifiable {
    /// Immutable; assigned by the manager when the node joins and written into its certificate.
    public var id: String
    public var version: ObjectVersion
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// Desired state, written by users (labels, availability, role).
    public var spec: NodeSpec
    /// Reported by the node's agent when its session starts.
    public var description: NodeDescription?
    /// Observed by the managers (heartbeats).
    public var status: NodeStatus
    /// Present for managers only.
    public var managerStatus: ManagerStatus?

    public init(
        id: String, version: ObjectVersion = .init(index: 0), createdAt: Timestamp, updatedAt: Timestamp,
        spec: NodeSpec,
        description: NodeDescription? = nil, status: NodeStatus, managerStatus: ManagerStatus? = nil
    ) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
        self.description = description
        self.status = status
        self.managerStatus = managerStatus
    }

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case version = "Version"
        case createdAt = "CreatedAt"
        case updatedAt = "UpdatedAt"
        case spec = "Spec"
        case description = "Description"
        case status = "Status"
        case managerStatus = "ManagerStatus"
    }
}

/// What a user may change about a node.
public struct NodeSpec: Codable, Hashable, Sendable {
    public enum Role: String, Codable, Hashable, Sendable, CaseIterable {
        case worker
        case manager
    }

    public enum Availability: String, Codable, Hashable, Sendable, CaseIterable {
        /// Tasks may be scheduled on the node.
        case active
        /// No new tasks; existing tasks stay.
        case pause
        /// No tasks; existing ones are moved elsewhere.
        case drain
    }

    /// Optional, mutable.
    public var name: String?
    /// Mutable; `node.labels.*` in constraints.
    public var labels: [String: String]
    public var role: Role
    public var availability: Availability

    public init(name: String? = nil, labels: [String: String] = [:], role: Role, availability: Availability = .active) {
        self.name = name
        self.labels = labels
        self.role = role
        self.availability = availability
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case labels = "Labels"
        case role = "Role"
        case availability = "Availability"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        role = try c.decode(Role.self, forKey: .role)
        availability = try c.decodeIfPresent(Availability.self, forKey: .availability) ?? .active
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name.flatMap { $0.isEmpty ? nil : $0 }, forKey: .name)
        try c.encode(labels, forKey: .labels)
        try c.encode(role, forKey: .role)
        try c.encode(availability, forKey: .availability)
    }
}

/// What the node's agent reports about its machine.
public struct NodeDescription: Codable, Hashable, Sendable {
    public var hostname: String?
    public var platform: Platform?
    public var resources: Resources?
    public var engine: EngineDescription?
    public var tlsInfo: TLSInfo?

    public init(
        hostname: String? = nil, platform: Platform? = nil, resources: Resources? = nil,
        engine: EngineDescription? = nil, tlsInfo: TLSInfo? = nil
    ) {
        self.hostname = hostname
        self.platform = platform
        self.resources = resources
        self.engine = engine
        self.tlsInfo = tlsInfo
    }

    enum CodingKeys: String, CodingKey {
        case hostname = "Hostname"
        case platform = "Platform"
        case resources = "Resources"
        case engine = "Engine"
        case tlsInfo = "TLSInfo"
    }
}

/// The engine running on a node: its version, engine labels (`--label` of the daemon) and plugins.
public struct EngineDescription: Codable, Hashable, Sendable {
    public struct Plugin: Codable, Hashable, Sendable {
        public var type: String
        public var name: String

        public init(type: String, name: String) {
            self.type = type
            self.name = name
        }

        enum CodingKeys: String, CodingKey {
            case type = "Type"
            case name = "Name"
        }
    }

    public var engineVersion: String?
    public var labels: [String: String]?
    public var plugins: [Plugin]?

    public init(engineVersion: String? = nil, labels: [String: String]? = nil, plugins: [Plugin]? = nil) {
        self.engineVersion = engineVersion
        self.labels = labels
        self.plugins = plugins
    }

    enum CodingKeys: String, CodingKey {
        case engineVersion = "EngineVersion"
        case labels = "Labels"
        case plugins = "Plugins"
    }
}

/// The state of a node as the managers see it.
public struct NodeStatus: Codable, Hashable, Sendable {
    public enum State: String, Codable, Hashable, Sendable {
        case unknown
        case down
        case ready
        case disconnected
    }

    public var state: State
    public var message: String?
    /// The address other nodes reach it at.
    public var addr: String?

    public init(state: State, message: String? = nil, addr: String? = nil) {
        self.state = state
        self.message = message
        self.addr = addr
    }

    enum CodingKeys: String, CodingKey {
        case state = "State"
        case message = "Message"
        case addr = "Addr"
    }
}

/// The state of a manager node's control plane.
public struct ManagerStatus: Codable, Hashable, Sendable {
    public enum Reachability: String, Codable, Hashable, Sendable {
        case unknown
        case unreachable
        case reachable
    }

    public var leader: Bool?
    public var reachability: Reachability
    /// The control-plane address, `host:port`.
    public var addr: String

    public init(leader: Bool? = nil, reachability: Reachability, addr: String) {
        self.leader = leader
        self.reachability = reachability
        self.addr = addr
    }

    enum CodingKeys: String, CodingKey {
        case leader = "Leader"
        case reachability = "Reachability"
        case addr = "Addr"
    }
}

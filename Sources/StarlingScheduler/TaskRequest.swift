/// A group of identical tasks to place: tasks of one service at one spec version share every field the filters and
/// the ranking look at, so they are placed as a batch that spreads as it goes.
public struct TaskRequest: Hashable, Sendable {
    /// Required. The service the tasks belong to; counts of "tasks of this service" are by this ID.
    public var serviceID: String
    /// Required. One ID per task to place, in the order they are placed.
    public var taskIDs: [String]
    /// The runtime the tasks need (e.g. `process`, `container`); empty: any node.
    public var runtime: String
    /// What each task reserves.
    public var reservations: ResourceRequest
    /// Placement constraints as users write them, e.g. `node.labels.zone==a` (see `PlacementConstraint`).
    public var constraints: [String]
    /// The platforms the task's image supports (`Placement.Platforms`); empty: any.
    public var platforms: [TargetPlatform]
    /// Spread preferences, outermost first, e.g. `["node.labels.zone", "node.labels.rack"]` (see
    /// `SpreadDescriptor`).
    public var spread: [String]
    /// At most this many tasks of the service on one node; 0: unlimited.
    public var maxReplicasPerNode: Int
    /// Host-mode published ports each task needs on its node.
    public var hostPorts: [HostPort]
    /// Only this node (by ID): for tasks the orchestrator assigns per node, as a global service's. The filters
    /// still run, so a node that cannot take them leaves them pending with an explanation.
    public var node: String?

    public init(
        serviceID: String, taskIDs: [String], runtime: String = "", reservations: ResourceRequest = .init(),
        constraints: [String] = [], platforms: [TargetPlatform] = [], spread: [String] = [],
        maxReplicasPerNode: Int = 0, hostPorts: [HostPort] = [], node: String? = nil
    ) {
        self.serviceID = serviceID
        self.taskIDs = taskIDs
        self.runtime = runtime
        self.reservations = reservations
        self.constraints = constraints
        self.platforms = platforms
        self.spread = spread
        self.maxReplicasPerNode = maxReplicasPerNode
        self.hostPorts = hostPorts
        self.node = node
    }

    /// `count` tasks named `<serviceID>.1`, `<serviceID>.2`, ...
    public init(
        serviceID: String, count: Int, runtime: String = "", reservations: ResourceRequest = .init(),
        constraints: [String] = [], platforms: [TargetPlatform] = [], spread: [String] = [],
        maxReplicasPerNode: Int = 0, hostPorts: [HostPort] = [], node: String? = nil
    ) {
        self.init(
            serviceID: serviceID, taskIDs: (0..<max(count, 0)).map { "\(serviceID).\($0 + 1)" }, runtime: runtime,
            reservations: reservations, constraints: constraints, platforms: platforms, spread: spread,
            maxReplicasPerNode: maxReplicasPerNode, hostPorts: hostPorts, node: node)
    }
}

/// What one task reserves: CPU, memory, and generic resources by kind (`gpu: 1`), which a node satisfies with counted
/// units or named ones.
public struct ResourceRequest: Hashable, Sendable {
    /// CPU in units of 10⁻⁹ CPUs.
    public var nanoCPUs: Int64
    public var memoryBytes: Int64
    /// Units wanted per generic resource kind.
    public var generic: [String: Int64]

    public init(nanoCPUs: Int64 = 0, memoryBytes: Int64 = 0, generic: [String: Int64] = [:]) {
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
        self.generic = generic
    }

    /// Whether the request reserves anything at all (SwarmKit skips the resource filter otherwise).
    public var isEmpty: Bool {
        nanoCPUs <= 0 && memoryBytes <= 0 && !generic.values.contains { $0 > 0 }
    }
}

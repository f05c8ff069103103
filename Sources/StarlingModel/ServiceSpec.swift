import Foundation

/// What a user asked for when creating or updating a service: the body of `POST /services/create` and of
/// `POST /services/{id}/update`. Encodes exactly as the Engine API's `ServiceSpec`.
///
/// Clients send the whole spec back on update (the docker CLI reads it with `insertDefaults=false`), so every field of
/// the v1.41 definition is kept, and an optional field stays absent unless the client sent it. Keys are matched
/// case-insensitively and explicit `null`s read as absent, as dockerd's Go decoder does (the python SDK sends
/// `"Mode":{"replicated":{...}}` and `"Args":null`).
public struct ServiceSpec: Codable, Hashable, Sendable {
    /// Mutable only through a rename, which Docker refuses; the server names a service when the client leaves it
    /// empty. Omitted from the JSON when empty.
    public var name: String
    /// Mutable. Stack deploy puts `com.docker.stack.namespace` here; `io.starling.runtime` selects the task runtime.
    public var labels: [String: String]?
    /// The template of every task of the service. Mutable; a change replaces the tasks (rolling update).
    public var taskTemplate: TaskSpec
    /// Replicated (the default), global, or one of the job modes. The kind of mode is immutable.
    public var mode: ServiceMode
    public var updateConfig: UpdateConfig?
    public var rollbackConfig: UpdateConfig?
    /// Deprecated by Docker in favour of `TaskTemplate.Networks`; kept so a spec round-trips.
    public var networks: [NetworkAttachmentConfig]?
    public var endpointSpec: EndpointSpec?

    public init(
        name: String = "", labels: [String: String]? = nil, taskTemplate: TaskSpec = .init(),
        mode: ServiceMode = .replicated(replicas: 1), updateConfig: UpdateConfig? = nil,
        rollbackConfig: UpdateConfig? = nil, networks: [NetworkAttachmentConfig]? = nil,
        endpointSpec: EndpointSpec? = nil
    ) {
        self.name = name
        self.labels = labels
        self.taskTemplate = taskTemplate
        self.mode = mode
        self.updateConfig = updateConfig
        self.rollbackConfig = rollbackConfig
        self.networks = networks
        self.endpointSpec = endpointSpec
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case labels = "Labels"
        case taskTemplate = "TaskTemplate"
        case mode = "Mode"
        case updateConfig = "UpdateConfig"
        case rollbackConfig = "RollbackConfig"
        case networks = "Networks"
        case endpointSpec = "EndpointSpec"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.caseInsensitiveContainer(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        taskTemplate = try c.decodeIfPresent(TaskSpec.self, forKey: .taskTemplate) ?? .init()
        mode = try c.decodeIfPresent(ServiceMode.self, forKey: .mode) ?? .replicated(replicas: 1)
        updateConfig = try c.decodeIfPresent(UpdateConfig.self, forKey: .updateConfig)
        rollbackConfig = try c.decodeIfPresent(UpdateConfig.self, forKey: .rollbackConfig)
        networks = try c.decodeIfPresent([NetworkAttachmentConfig].self, forKey: .networks)
        endpointSpec = try c.decodeIfPresent(EndpointSpec.self, forKey: .endpointSpec)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !name.isEmpty { try c.encode(name, forKey: .name) }
        try c.encodeIfPresent(labels, forKey: .labels)
        try c.encode(taskTemplate, forKey: .taskTemplate)
        try c.encode(mode, forKey: .mode)
        try c.encodeIfPresent(updateConfig, forKey: .updateConfig)
        try c.encodeIfPresent(rollbackConfig, forKey: .rollbackConfig)
        try c.encodeIfPresent(networks, forKey: .networks)
        try c.encodeIfPresent(endpointSpec, forKey: .endpointSpec)
    }
}

/// How many tasks a service runs: `{"Replicated":{"Replicas":2}}`, `{"Global":{}}`,
/// `{"ReplicatedJob":{"MaxConcurrent":1,"TotalCompletions":3}}` or `{"GlobalJob":{}}`.
///
/// Decoding fills in what dockerd fills in: no mode at all, or `Replicated` without `Replicas`, is one replica; a
/// replicated job runs one task at a time unless told otherwise and completes `MaxConcurrent` tasks by default. More
/// than one mode is refused with dockerd's message.
public enum ServiceMode: Codable, Hashable, Sendable {
    case replicated(replicas: UInt64)
    /// One task on every eligible node.
    case global
    /// Runs `totalCompletions` tasks to completion, at most `maxConcurrent` at a time.
    case replicatedJob(maxConcurrent: UInt64, totalCompletions: UInt64)
    /// Runs one task to completion on every eligible node.
    case globalJob

    /// The desired number of replicas of a replicated service; `nil` for the other modes.
    public var replicas: UInt64? {
        if case .replicated(let replicas) = self { return replicas }
        return nil
    }

    /// True for the modes whose tasks run to completion instead of being kept running.
    public var isJob: Bool {
        switch self {
        case .replicatedJob, .globalJob: true
        case .replicated, .global: false
        }
    }

    /// True for the modes that run one task per eligible node.
    public var isGlobal: Bool {
        switch self {
        case .global, .globalJob: true
        case .replicated, .replicatedJob: false
        }
    }

    enum CodingKeys: String, CodingKey {
        case replicated = "Replicated"
        case global = "Global"
        case replicatedJob = "ReplicatedJob"
        case globalJob = "GlobalJob"
    }

    private enum ReplicatedKeys: String, CodingKey { case replicas = "Replicas" }

    private enum JobKeys: String, CodingKey {
        case maxConcurrent = "MaxConcurrent"
        case totalCompletions = "TotalCompletions"
    }

    /// An empty object (`Global`, `GlobalJob`).
    private struct Empty: Codable {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.caseInsensitiveContainer(keyedBy: CodingKeys.self)
        let given = try [CodingKeys.replicated, .global, .replicatedJob, .globalJob].filter {
            try c.contains($0) && !c.decodeNil(forKey: $0)
        }
        guard given.count <= 1 else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: c.codingPath, debugDescription: "must specify only one service mode"))
        }
        switch given.first {
        case .global: self = .global
        case .globalJob: self = .globalJob
        case .replicatedJob:
            let job = try c.nestedContainer(keyedBy: JobKeys.self, forKey: .replicatedJob)
            let maxConcurrent = try job.decodeIfPresent(UInt64.self, forKey: .maxConcurrent) ?? 1
            let total = try job.decodeIfPresent(UInt64.self, forKey: .totalCompletions) ?? maxConcurrent
            self = .replicatedJob(maxConcurrent: maxConcurrent, totalCompletions: total)
        case .replicated:
            let replicated = try c.nestedContainer(keyedBy: ReplicatedKeys.self, forKey: .replicated)
            self = .replicated(replicas: try replicated.decodeIfPresent(UInt64.self, forKey: .replicas) ?? 1)
        case nil:
            self = .replicated(replicas: 1)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .replicated(let replicas):
            var nested = c.nestedContainer(keyedBy: ReplicatedKeys.self, forKey: .replicated)
            try nested.encode(replicas, forKey: .replicas)
        case .global:
            try c.encode(Empty(), forKey: .global)
        case .replicatedJob(let maxConcurrent, let totalCompletions):
            var nested = c.nestedContainer(keyedBy: JobKeys.self, forKey: .replicatedJob)
            try nested.encode(maxConcurrent, forKey: .maxConcurrent)
            try nested.encode(totalCompletions, forKey: .totalCompletions)
        case .globalJob:
            try c.encode(Empty(), forKey: .globalJob)
        }
    }
}

/// How a service's tasks are replaced on update (`UpdateConfig`) or on rollback (`RollbackConfig`). Absent fields
/// take Docker's defaults (see `ServiceSpec.insertingDefaults()`).
public struct UpdateConfig: Codable, Hashable, Sendable {
    /// What to do when an updated task fails. `rollback` is not accepted in a `RollbackConfig`.
    public enum FailureAction: String, LenientStringEnum {
        case `continue`
        case pause
        case rollback
    }

    /// Whether the old task stops before its replacement starts.
    public enum Order: String, LenientStringEnum {
        case stopFirst = "stop-first"
        case startFirst = "start-first"
    }

    /// Tasks updated at once; 0 means all at once.
    public var parallelism: UInt64?
    /// Nanoseconds between batches.
    public var delay: Int64?
    public var failureAction: FailureAction?
    /// Nanoseconds to watch each updated task for failure.
    public var monitor: Int64?
    /// The fraction of tasks that may fail during an update before it counts as failed (0 to 1).
    public var maxFailureRatio: Double?
    public var order: Order?

    public init(
        parallelism: UInt64? = nil, delay: Int64? = nil, failureAction: FailureAction? = nil, monitor: Int64? = nil,
        maxFailureRatio: Double? = nil, order: Order? = nil
    ) {
        self.parallelism = parallelism
        self.delay = delay
        self.failureAction = failureAction
        self.monitor = monitor
        self.maxFailureRatio = maxFailureRatio
        self.order = order
    }

    enum CodingKeys: String, CodingKey {
        case parallelism = "Parallelism"
        case delay = "Delay"
        case failureAction = "FailureAction"
        case monitor = "Monitor"
        case maxFailureRatio = "MaxFailureRatio"
        case order = "Order"
    }
}

/// How other services reach this one: through a virtual IP or DNS round robin, and which ports it publishes.
public struct EndpointSpec: Codable, Hashable, Sendable {
    /// How the service's name resolves inside its networks.
    public enum Mode: String, LenientStringEnum {
        /// One virtual IP, load-balanced over the tasks (the default).
        case vip
        /// The tasks' own addresses, in turn.
        case dnsrr
    }

    public var mode: Mode?
    public var ports: [EndpointPortConfig]?

    public init(mode: Mode? = nil, ports: [EndpointPortConfig]? = nil) {
        self.mode = mode
        self.ports = ports
    }

    enum CodingKeys: String, CodingKey {
        case mode = "Mode"
        case ports = "Ports"
    }
}

/// A port a service publishes (`--publish 8080:80`). The python SDK leaves out `PublishMode`, which means `ingress`.
public struct EndpointPortConfig: Codable, Hashable, Sendable {
    /// The transport protocol of the port.
    public enum PortProtocol: String, LenientStringEnum {
        case tcp
        case udp
        case sctp
    }

    /// Which nodes answer on the published port.
    public enum PublishMode: String, LenientStringEnum {
        /// Every node answers on the published port and forwards to a task (the routing mesh).
        case ingress
        /// Only the nodes that run a task answer, on the task's own node.
        case host
    }

    public var name: String?
    public var `protocol`: PortProtocol?
    /// The port inside the task.
    public var targetPort: UInt32?
    /// The port on the nodes; chosen by the manager when absent.
    public var publishedPort: UInt32?
    public var publishMode: PublishMode?

    public init(
        name: String? = nil, protocol: PortProtocol? = nil, targetPort: UInt32? = nil, publishedPort: UInt32? = nil,
        publishMode: PublishMode? = nil
    ) {
        self.name = name
        self.protocol = `protocol`
        self.targetPort = targetPort
        self.publishedPort = publishedPort
        self.publishMode = publishMode
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case `protocol` = "Protocol"
        case targetPort = "TargetPort"
        case publishedPort = "PublishedPort"
        case publishMode = "PublishMode"
    }
}

/// A network a service's tasks attach to. Stack deploy names the network in `Target`; the API also accepts its ID.
public struct NetworkAttachmentConfig: Codable, Hashable, Sendable {
    public var target: String?
    /// Extra names of the service on this network.
    public var aliases: [String]?
    public var driverOpts: [String: String]?

    public init(target: String? = nil, aliases: [String]? = nil, driverOpts: [String: String]? = nil) {
        self.target = target
        self.aliases = aliases
        self.driverOpts = driverOpts
    }

    enum CodingKeys: String, CodingKey {
        case target = "Target"
        case aliases = "Aliases"
        case driverOpts = "DriverOpts"
    }
}

/// A driver and its options: a task's log driver, a volume's driver, a network's driver or IPAM driver.
public struct Driver: Codable, Hashable, Sendable {
    public var name: String?
    public var options: [String: String]?

    public init(name: String? = nil, options: [String: String]? = nil) {
        self.name = name
        self.options = options
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case options = "Options"
    }
}

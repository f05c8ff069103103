import Foundation

/// The template of a service's tasks, copied into every task it creates. Encodes exactly as the Engine API's
/// `TaskSpec`; every field is optional, as on the wire.
///
/// `ContainerSpec`, `PluginSpec` and `NetworkAttachmentSpec` are mutually exclusive in Docker; the model keeps
/// whichever the client sent and leaves the check to validation.
public struct TaskSpec: Codable, Hashable, Sendable {
    public var pluginSpec: PluginSpec?
    /// What to run. For process tasks, `Command` + `Args` name the executable and its arguments.
    public var containerSpec: ContainerSpec?
    public var networkAttachmentSpec: NetworkAttachmentSpec?
    public var resources: ResourceRequirements?
    public var restartPolicy: RestartPolicy?
    public var placement: Placement?
    /// A counter the docker CLI increments (`--force`) to replace tasks although nothing else changed.
    public var forceUpdate: UInt64?
    /// The runtime that runs the task. Docker's values are `container`, `attachment` and `plugin`; Starling adds
    /// `process`. See `effectiveRuntime(serviceLabels:)` for how a service selects it.
    public var runtime: TaskRuntime?
    public var networks: [NetworkAttachmentConfig]?
    /// When absent, the swarm's `TaskDefaults.LogDriver` applies.
    public var logDriver: Driver?

    public init(
        pluginSpec: PluginSpec? = nil, containerSpec: ContainerSpec? = nil,
        networkAttachmentSpec: NetworkAttachmentSpec? = nil, resources: ResourceRequirements? = nil,
        restartPolicy: RestartPolicy? = nil, placement: Placement? = nil, forceUpdate: UInt64? = nil,
        runtime: TaskRuntime? = nil, networks: [NetworkAttachmentConfig]? = nil, logDriver: Driver? = nil
    ) {
        self.pluginSpec = pluginSpec
        self.containerSpec = containerSpec
        self.networkAttachmentSpec = networkAttachmentSpec
        self.resources = resources
        self.restartPolicy = restartPolicy
        self.placement = placement
        self.forceUpdate = forceUpdate
        self.runtime = runtime
        self.networks = networks
        self.logDriver = logDriver
    }

    enum CodingKeys: String, CodingKey {
        case pluginSpec = "PluginSpec"
        case containerSpec = "ContainerSpec"
        case networkAttachmentSpec = "NetworkAttachmentSpec"
        case resources = "Resources"
        case restartPolicy = "RestartPolicy"
        case placement = "Placement"
        case forceUpdate = "ForceUpdate"
        case runtime = "Runtime"
        case networks = "Networks"
        case logDriver = "LogDriver"
    }
}

/// The kind of runtime a task needs (`TaskSpec.Runtime`). A string on the wire; values Starling does not know are kept
/// as they are, so a spec round-trips and validation can name the value it refuses.
public struct TaskRuntime: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// An OCI container (Docker's default).
    public static let container: TaskRuntime = "container"
    /// A placeholder task that attaches a container to a network (Docker's `attachment`).
    public static let attachment: TaskRuntime = "attachment"
    /// A Docker plugin (`PluginSpec`).
    public static let plugin: TaskRuntime = "plugin"
    /// Starling's extension: a plain process on the node, supervised like a container (cgroup limits, health checks),
    /// with no image.
    public static let process: TaskRuntime = "process"

    public var description: String { rawValue }
}

/// Labels Starling gives a meaning to. They live in the `io.starling.` namespace so no Docker field changes meaning.
public enum StarlingLabel {
    /// On a service (`Spec.Labels`) or its container spec (`ContainerSpec.Labels`): the runtime its tasks need, for
    /// example `io.starling.runtime=process`. The docker CLI has no flag for `TaskSpec.Runtime`, so a label is how
    /// `docker service create --label io.starling.runtime=process` asks for process tasks.
    public static let runtime = "io.starling.runtime"
}

extension TaskSpec {
    /// The runtime tasks made from this template need.
    ///
    /// In order: the `io.starling.runtime` label on the service (`serviceLabels`), then on the container spec; then
    /// the `Runtime` field; then the kind of spec present (`PluginSpec` → plugin, `NetworkAttachmentSpec` →
    /// attachment); otherwise `container`. A label wins over `Runtime` because the docker CLI cannot set `Runtime`,
    /// and a spec read back from a server carries `Runtime: container` by default. The orchestrator writes the result
    /// into each task's `Spec.Runtime`, so an agent need not see the service.
    public func effectiveRuntime(serviceLabels: [String: String]?) -> TaskRuntime {
        for labels in [serviceLabels, containerSpec?.labels] {
            if let value = labels?[StarlingLabel.runtime]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                return TaskRuntime(rawValue: value.lowercased())
            }
        }
        if let runtime, !runtime.rawValue.isEmpty { return runtime }
        if pluginSpec != nil { return .plugin }
        if networkAttachmentSpec != nil { return .attachment }
        return .container
    }
}

extension ServiceSpec {
    /// The runtime this service's tasks need (see `TaskSpec.effectiveRuntime(serviceLabels:)`).
    public var taskRuntime: TaskRuntime { taskTemplate.effectiveRuntime(serviceLabels: labels) }
}

/// Resources a task is limited to and resources the scheduler reserves for it on a node.
public struct ResourceRequirements: Codable, Hashable, Sendable {
    public var limits: ResourceLimit?
    /// Counted against a node's `Description.Resources` when scheduling.
    public var reservations: Resources?

    public init(limits: ResourceLimit? = nil, reservations: Resources? = nil) {
        self.limits = limits
        self.reservations = reservations
    }

    enum CodingKeys: String, CodingKey {
        case limits = "Limits"
        case reservations = "Reservations"
    }
}

/// Upper bounds on a task's resources (the Engine API's `Limit`), enforced with cgroups.
public struct ResourceLimit: Codable, Hashable, Sendable {
    /// CPU in units of 10⁻⁹ CPUs.
    public var nanoCPUs: Int64?
    public var memoryBytes: Int64?
    /// The maximum number of processes; 0 or absent means no limit.
    public var pids: Int64?

    public init(nanoCPUs: Int64? = nil, memoryBytes: Int64? = nil, pids: Int64? = nil) {
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
        self.pids = pids
    }

    enum CodingKeys: String, CodingKey {
        case nanoCPUs = "NanoCPUs"
        case memoryBytes = "MemoryBytes"
        case pids = "Pids"
    }
}

/// When the manager replaces a task that exited (`TaskSpec.RestartPolicy`).
public struct RestartPolicy: Codable, Hashable, Sendable {
    /// Which exits lead to a replacement task.
    public enum Condition: String, LenientStringEnum {
        /// `none` on the wire; named so that it cannot be confused with `Optional.none`.
        case never = "none"
        case onFailure = "on-failure"
        case any
    }

    public var condition: Condition?
    /// Nanoseconds between a task's exit and its replacement's start.
    public var delay: Int64?
    /// Restarts allowed within `window`; 0 means no limit.
    public var maxAttempts: UInt64?
    /// Nanoseconds over which `maxAttempts` is counted; 0 means unbounded.
    public var window: Int64?

    public init(condition: Condition? = nil, delay: Int64? = nil, maxAttempts: UInt64? = nil, window: Int64? = nil) {
        self.condition = condition
        self.delay = delay
        self.maxAttempts = maxAttempts
        self.window = window
    }

    enum CodingKeys: String, CodingKey {
        case condition = "Condition"
        case delay = "Delay"
        case maxAttempts = "MaxAttempts"
        case window = "Window"
    }
}

/// Where a task may run and how tasks are spread.
public struct Placement: Codable, Hashable, Sendable {
    /// A preference the scheduler ranks nodes by. Only `Spread` exists.
    public struct Preference: Codable, Hashable, Sendable {
        /// Spread tasks evenly over the values of a node attribute.
        public struct Spread: Codable, Hashable, Sendable {
            /// For example `node.labels.zone`.
            public var spreadDescriptor: String

            public init(spreadDescriptor: String) { self.spreadDescriptor = spreadDescriptor }

            enum CodingKeys: String, CodingKey { case spreadDescriptor = "SpreadDescriptor" }
        }

        public var spread: Spread?

        public init(spread: Spread?) { self.spread = spread }

        /// `{"Spread":{"SpreadDescriptor": descriptor}}`.
        public static func spread(_ descriptor: String) -> Preference {
            Preference(spread: Spread(spreadDescriptor: descriptor))
        }

        enum CodingKeys: String, CodingKey { case spread = "Spread" }
    }

    /// Expressions such as `node.role==manager` or `node.labels.zone!=a`; a node must satisfy all of them.
    public var constraints: [String]?
    /// Applied in order: the first spreads over its values, the next within each of those, and so on.
    public var preferences: [Preference]?
    /// At most this many tasks of the service per node; 0 or absent means no limit.
    public var maxReplicas: UInt64?
    /// The platforms the image runs on; when present, a node must match one.
    public var platforms: [Platform]?

    public init(
        constraints: [String]? = nil, preferences: [Preference]? = nil, maxReplicas: UInt64? = nil,
        platforms: [Platform]? = nil
    ) {
        self.constraints = constraints
        self.preferences = preferences
        self.maxReplicas = maxReplicas
        self.platforms = platforms
    }

    enum CodingKeys: String, CodingKey {
        case constraints = "Constraints"
        case preferences = "Preferences"
        case maxReplicas = "MaxReplicas"
        case platforms = "Platforms"
    }
}

/// A Docker plugin to run as a task (`Runtime: plugin`). Starling does not run plugins; the spec is kept so it
/// round-trips.
///
/// dockerd writes this object with lower-case keys (the Go type is generated from protobuf); the v1.41 document
/// spells them `Name`, `Remote`, `Disabled`, `PluginPrivilege`. Both spellings decode; it encodes as dockerd does.
public struct PluginSpec: Codable, Hashable, Sendable {
    /// A permission the plugin asks for.
    public struct Privilege: Codable, Hashable, Sendable {
        public var name: String?
        public var description: String?
        public var value: [String]?

        public init(name: String? = nil, description: String? = nil, value: [String]? = nil) {
            self.name = name
            self.description = description
            self.value = value
        }

        enum CodingKeys: String, CodingKey {
            case name
            case description
            case value
        }
    }

    public var name: String?
    public var remote: String?
    public var privileges: [Privilege]?
    public var disabled: Bool?
    public var env: [String]?

    public init(
        name: String? = nil, remote: String? = nil, privileges: [Privilege]? = nil, disabled: Bool? = nil,
        env: [String]? = nil
    ) {
        self.name = name
        self.remote = remote
        self.privileges = privileges
        self.disabled = disabled
        self.env = env
    }

    enum CodingKeys: String, CodingKey {
        case name
        case remote
        case privileges
        case disabled
        case env
        /// The v1.41 document's name for `privileges`.
        case pluginPrivilege = "PluginPrivilege"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.caseInsensitiveContainer(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        remote = try c.decodeIfPresent(String.self, forKey: .remote)
        privileges =
            try c.decodeIfPresent([Privilege].self, forKey: .privileges)
            ?? c.decodeIfPresent([Privilege].self, forKey: .pluginPrivilege)
        disabled = try c.decodeIfPresent(Bool.self, forKey: .disabled)
        env = try c.decodeIfPresent([String].self, forKey: .env)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(remote, forKey: .remote)
        try c.encodeIfPresent(privileges, forKey: .privileges)
        try c.encodeIfPresent(disabled, forKey: .disabled)
        try c.encodeIfPresent(env, forKey: .env)
    }
}

/// The container a network-attachment task stands for (`Runtime: attachment`).
public struct NetworkAttachmentSpec: Codable, Hashable, Sendable {
    public var containerID: String?

    public init(containerID: String? = nil) { self.containerID = containerID }

    enum CodingKeys: String, CodingKey { case containerID = "ContainerID" }
}

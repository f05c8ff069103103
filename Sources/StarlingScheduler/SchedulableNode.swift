import StarlingModel

/// A node as the scheduler sees it: what it is (identity, role, platform, labels, runtimes, capacity), whether it takes
/// new tasks, and what its assigned, non-terminal tasks already hold. The caller builds it from the store's snapshot;
/// the scheduler never reads the store.
public struct SchedulableNode: Hashable, Sendable, Identifiable {
    /// Required. The node's ID (`node.id` in constraints).
    public var id: String
    /// `node.hostname` in constraints; empty when the node has not reported one.
    public var hostname: String
    public var role: NodeSpec.Role
    /// Only `active` nodes take new tasks.
    public var availability: NodeSpec.Availability
    /// Only `ready` nodes take new tasks.
    public var state: NodeStatus.State
    /// What the node reported, e.g. `linux` / `x86_64`; empty strings when unknown.
    public var platform: TargetPlatform
    /// `node.labels.*`: the labels a user put on the node.
    public var labels: [String: String]
    /// `engine.labels.*`: the labels the node's daemon was started with.
    public var engineLabels: [String: String]
    /// Everything the node has (not what is left).
    public var resources: ResourceAmounts
    /// Task runtimes the node can run, e.g. `["process"]` or `["process", "container"]`.
    public var runtimes: [String]
    /// What the node's assigned, non-terminal tasks already hold.
    public var committed: CommittedLoad

    public init(
        id: String, hostname: String = "", role: NodeSpec.Role = .worker, availability: NodeSpec.Availability = .active,
        state: NodeStatus.State = .ready, platform: TargetPlatform = .init(), labels: [String: String] = [:],
        engineLabels: [String: String] = [:], resources: ResourceAmounts = .init(), runtimes: [String] = [],
        committed: CommittedLoad = .init()
    ) {
        self.id = id
        self.hostname = hostname
        self.role = role
        self.availability = availability
        self.state = state
        self.platform = platform
        self.labels = labels
        self.engineLabels = engineLabels
        self.resources = resources
        self.runtimes = runtimes
        self.committed = committed
    }
}

/// An operating system and CPU architecture: what a node runs, or one of the platforms a task's image supports
/// (`Placement.Platforms`). In a requirement an empty field accepts anything.
public struct TargetPlatform: Hashable, Sendable, CustomStringConvertible {
    /// e.g. `linux`.
    public var os: String
    /// e.g. `x86_64`, `amd64`, `aarch64`, `arm64`.
    public var architecture: String

    public init(os: String = "", architecture: String = "") {
        self.os = os
        self.architecture = architecture
    }

    /// The architecture under Go's name, as Docker compares them: `x86_64` is `amd64`, `aarch64` is `arm64`.
    public var normalizedArchitecture: String {
        switch architecture {
        case "x86_64": "amd64"
        case "aarch64": "arm64"
        default: architecture
        }
    }

    /// Whether a node on `node` satisfies this requirement (SwarmKit's `PlatformFilter`: exact, case-sensitive
    /// comparison after normalising the architecture; an empty field here accepts any value).
    public func accepts(_ node: TargetPlatform) -> Bool {
        (architecture.isEmpty || normalizedArchitecture == node.normalizedArchitecture)
            && (os.isEmpty || os == node.os)
    }

    public var description: String { "\(os)/\(architecture)" }
}

/// A host-mode published port: only one task on a node can hold it.
public struct HostPort: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The transport protocol, as Docker names it (`Protocol` on the wire).
    public enum Transport: String, Hashable, Sendable, CaseIterable {
        case tcp
        case udp
        case sctp
    }

    public var transport: Transport
    public var port: UInt16

    public init(_ transport: Transport = .tcp, _ port: UInt16) {
        self.transport = transport
        self.port = port
    }

    public static func < (lhs: HostPort, rhs: HostPort) -> Bool {
        (lhs.port, lhs.transport.rawValue) < (rhs.port, rhs.transport.rawValue)
    }

    public var description: String { "\(port)/\(transport.rawValue)" }
}

/// An amount of resources a node has or holds: CPU, memory and generic resources, which are either counted
/// (`discrete`, e.g. `ssd: 2`) or named units (`named`, e.g. `gpu: ["GPU-0", "GPU-1"]`).
public struct ResourceAmounts: Hashable, Sendable {
    /// CPU in units of 10⁻⁹ CPUs.
    public var nanoCPUs: Int64
    public var memoryBytes: Int64
    /// Counted generic resources by kind.
    public var discrete: [String: Int64]
    /// Named generic resources by kind.
    public var named: [String: Set<String>]

    public init(
        nanoCPUs: Int64 = 0, memoryBytes: Int64 = 0, discrete: [String: Int64] = [:], named: [String: Set<String>] = [:]
    ) {
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
        self.discrete = discrete
        self.named = named
    }
}

/// What a node's assigned, non-terminal tasks hold: their reservations, how many there are (per service and in all),
/// and the host-mode ports they publish.
public struct CommittedLoad: Hashable, Sendable {
    /// The sum of the tasks' reservations; for generic resources, the counts taken and the named units held.
    public var reserved: ResourceAmounts
    /// Tasks per service ID.
    public var tasksByService: [String: Int]
    /// All tasks, of every service.
    public var taskCount: Int
    public var hostPorts: Set<HostPort>

    public init(
        reserved: ResourceAmounts = .init(), tasksByService: [String: Int] = [:], taskCount: Int = 0,
        hostPorts: Set<HostPort> = []
    ) {
        self.reserved = reserved
        self.tasksByService = tasksByService
        self.taskCount = taskCount
        self.hostPorts = hostPorts
    }

    /// Adds one task of `serviceID` that holds `holding` (its CPU and memory reservations, the counted generic
    /// resources it took and the named units assigned to it) and publishes `hostPorts`.
    public mutating func add(serviceID: String, holding: ResourceAmounts = .init(), hostPorts: [HostPort] = []) {
        reserved.nanoCPUs += holding.nanoCPUs
        reserved.memoryBytes += holding.memoryBytes
        for (kind, count) in holding.discrete {
            reserved.discrete[kind, default: 0] += count
        }
        for (kind, names) in holding.named {
            reserved.named[kind, default: []].formUnion(names)
        }
        tasksByService[serviceID, default: 0] += 1
        taskCount += 1
        self.hostPorts.formUnion(hostPorts)
    }
}

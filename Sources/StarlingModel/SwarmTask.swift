import Foundation

/// One instance of a service, placed on one node: Docker's `Task` object, encoded exactly as the Engine API's `Task`.
///
/// Named `SwarmTask` because a public `Task` in this module would shadow Swift's `Task` in every module that imports
/// it (`Task.isCancelled` stops compiling).
///
/// `DesiredState` is written by managers; `Status` only by the node that runs the task, and its state only moves
/// forward (`TaskState` is ordered). A replicated task keeps its `Slot`; a global task is identified by its `NodeID`.
public struct SwarmTask: Codable, Hashable, Sendable, Identifiable {
    public var id: String
    public var version: ObjectVersion
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// Usually absent: clients name a task `<service name>.<slot or node ID>.<task ID>`.
    public var name: String?
    /// The task's own labels (dockerd writes `{}`); label filters on tasks match the service's labels instead.
    public var labels: [String: String]?
    /// The service's task template when the task was created, with the runtime resolved.
    public var spec: TaskSpec
    public var serviceID: String
    /// 1-based slot of a replicated task; absent for global tasks.
    public var slot: Int?
    /// Absent until the scheduler assigns the task.
    public var nodeID: String?
    /// The node's generic resources the scheduler assigned to the task. The v1.41 document calls this field
    /// `AssignedGenericResources`, but dockerd writes `GenericResources`, so that is what is encoded.
    public var genericResources: [GenericResource]?
    /// Observed state, written by the node that runs the task.
    public var status: TaskStatus
    /// The state the managers want the task in: `running`, `shutdown`, `remove`, or `complete` for jobs.
    public var desiredState: TaskState
    public var networksAttachments: [NetworkAttachment]?
    /// For job modes: the `JobStatus.JobIteration` of the run the task belongs to.
    public var jobIteration: ObjectVersion?

    public init(
        id: String, version: ObjectVersion = .init(index: 0), createdAt: Timestamp, updatedAt: Timestamp,
        name: String? = nil, labels: [String: String]? = [:], spec: TaskSpec, serviceID: String, slot: Int? = nil,
        nodeID: String? = nil, genericResources: [GenericResource]? = nil, status: TaskStatus,
        desiredState: TaskState, networksAttachments: [NetworkAttachment]? = nil, jobIteration: ObjectVersion? = nil
    ) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.name = name
        self.labels = labels
        self.spec = spec
        self.serviceID = serviceID
        self.slot = slot
        self.nodeID = nodeID
        self.genericResources = genericResources
        self.status = status
        self.desiredState = desiredState
        self.networksAttachments = networksAttachments
        self.jobIteration = jobIteration
    }

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case version = "Version"
        case createdAt = "CreatedAt"
        case updatedAt = "UpdatedAt"
        case name = "Name"
        case labels = "Labels"
        case spec = "Spec"
        case serviceID = "ServiceID"
        case slot = "Slot"
        case nodeID = "NodeID"
        case genericResources = "GenericResources"
        case status = "Status"
        case desiredState = "DesiredState"
        case networksAttachments = "NetworksAttachments"
        case jobIteration = "JobIteration"
    }
}

/// The states of a task, in the order a task goes through them: observed state only moves forward, and any state
/// after `running` is terminal. Lower-case on the wire; the docker CLI's progress display ignores tasks in any other
/// spelling, so these strings are exact.
public enum TaskState: String, LenientStringEnum, Comparable {
    /// Created by the orchestrator.
    case new
    /// Network resources allocated.
    case allocated
    /// Waiting for the scheduler (and stays here, with a message, when no node fits).
    case pending
    /// The scheduler chose a node.
    case assigned
    /// The node's agent accepted the task.
    case accepted
    /// Pulling the image, creating the container or process.
    case preparing
    case ready
    /// Started; waiting for the first passing health check, if there is one.
    case starting
    case running
    /// Exited with status 0 (desired state of finished job tasks).
    case complete
    /// Stopped because the managers asked (desired state of tasks being replaced).
    case shutdown
    /// Exited with an error, or could not start; `Status.Err` says why.
    case failed
    /// The node refused the task.
    case rejected
    /// Desired state only: stop the task and delete it.
    case remove
    /// The node was gone too long; the task is assumed lost.
    case orphaned

    /// The position of the state in the lifecycle (SwarmKit's values are multiples of 64 in the same order).
    public var rank: Int {
        switch self {
        case .new: 0
        case .allocated: 1
        case .pending: 2
        case .assigned: 3
        case .accepted: 4
        case .preparing: 5
        case .ready: 6
        case .starting: 7
        case .running: 8
        case .complete: 9
        case .shutdown: 10
        case .failed: 11
        case .rejected: 12
        case .remove: 13
        case .orphaned: 14
        }
    }

    public static func < (lhs: TaskState, rhs: TaskState) -> Bool { lhs.rank < rhs.rank }

    /// True for the states after `running`: the task will not run (again).
    public var isTerminal: Bool { self > .running }

    /// True while the task is on its way to running or running (`new` ... `running`).
    public var isActive: Bool { self <= .running }

    /// True for the terminal states that are an error (`failed`, `rejected`, `orphaned`).
    public var isFailure: Bool { self == .failed || self == .rejected || self == .orphaned }

    /// Whether an observed task may go from this state to `next`: observed state only moves forward. Staying in the
    /// same state is allowed, so a node can update the message or container status.
    public func canAdvance(to next: TaskState) -> Bool { next >= self }
}

/// What the node running a task observed.
public struct TaskStatus: Codable, Hashable, Sendable {
    /// When the state was observed.
    public var timestamp: Timestamp
    public var state: TaskState
    /// How the task got to its state, for example "started" or "no suitable node (...)".
    public var message: String?
    /// Set for `failed` and `rejected`; the docker CLI shows it instead of the state.
    public var err: String?
    public var containerStatus: ContainerStatus?
    /// The host-mode ports the task published.
    public var portStatus: PortStatus?

    public init(
        timestamp: Timestamp, state: TaskState, message: String? = nil, err: String? = nil,
        containerStatus: ContainerStatus? = nil, portStatus: PortStatus? = nil
    ) {
        self.timestamp = timestamp
        self.state = state
        self.message = message
        self.err = err
        self.containerStatus = containerStatus
        self.portStatus = portStatus
    }

    enum CodingKeys: String, CodingKey {
        case timestamp = "Timestamp"
        case state = "State"
        case message = "Message"
        case err = "Err"
        case containerStatus = "ContainerStatus"
        case portStatus = "PortStatus"
    }

    /// The status of a task whose state is the later of `self` and `next`: a report of an earlier state than the
    /// one already observed is ignored, so observed state only moves forward.
    public func advanced(to next: TaskStatus) -> TaskStatus { state.canAdvance(to: next.state) ? next : self }
}

/// The container or process running a task.
public struct ContainerStatus: Codable, Hashable, Sendable {
    /// The container's ID; for process tasks, Starling's ID of the process.
    public var containerID: String?
    /// The process ID on the node (of the container's first process).
    public var pid: Int?
    /// Set once the task has exited.
    public var exitCode: Int?

    public init(containerID: String? = nil, pid: Int? = nil, exitCode: Int? = nil) {
        self.containerID = containerID
        self.pid = pid
        self.exitCode = exitCode
    }

    enum CodingKeys: String, CodingKey {
        case containerID = "ContainerID"
        case pid = "PID"
        case exitCode = "ExitCode"
    }
}

/// The ports a task published in `host` mode (the docker CLI's `service ps` shows them).
public struct PortStatus: Codable, Hashable, Sendable {
    public var ports: [EndpointPortConfig]?

    public init(ports: [EndpointPortConfig]? = nil) { self.ports = ports }

    enum CodingKeys: String, CodingKey { case ports = "Ports" }
}

import StarlingModel

// The dispatcher session's messages are tagged unions encoded as `{"type": "<case>", "payload": {...}}`. A peer
// that does not know a type decodes it as `.unknown(type:)` instead of failing, so an old agent keeps its session
// with a newer manager (and the other way round); it simply ignores what it does not understand.

/// What an agent sends on its session.
public enum AgentMessage: Codable, Hashable, Sendable {
    /// The first message of every session.
    case register(RegisterRequest)
    case heartbeat(Heartbeat)
    /// Observed states of tasks this node runs.
    case taskStatus(TaskStatusReport)
    /// A message type this build does not know.
    case unknown(type: String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TaggedCodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "register": self = .register(try container.decode(RegisterRequest.self, forKey: .payload))
        case "heartbeat": self = .heartbeat(try container.decode(Heartbeat.self, forKey: .payload))
        case "taskStatus": self = .taskStatus(try container.decode(TaskStatusReport.self, forKey: .payload))
        default: self = .unknown(type: type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TaggedCodingKeys.self)
        switch self {
        case .register(let payload): try container.encodeTagged("register", payload)
        case .heartbeat(let payload): try container.encodeTagged("heartbeat", payload)
        case .taskStatus(let payload): try container.encodeTagged("taskStatus", payload)
        case .unknown(let type): try container.encode(type, forKey: .type)
        }
    }
}

/// What a manager sends on an agent's session.
public enum ManagerMessage: Codable, Hashable, Sendable {
    /// The answer to `register`.
    case sessionEstablished(SessionInfo)
    case heartbeatAck(HeartbeatAck)
    /// The node's role changed or it was removed from the swarm.
    case nodeUpdate(NodeUpdate)
    /// The complete set of tasks this node must run or stop now (it replaces the previous set).
    case assignments(Assignments)
    /// Send these tasks' logs with `DispatcherService.Method.publishLogs`.
    case logSubscription(LogSubscription)
    /// The reader of a subscription went away: stop sending its logs.
    case logSubscriptionEnded(id: String)
    /// A message type this build does not know.
    case unknown(type: String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TaggedCodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "logSubscription": self = .logSubscription(try container.decode(LogSubscription.self, forKey: .payload))
        case "logSubscriptionEnded":
            self = .logSubscriptionEnded(id: try container.decode(String.self, forKey: .payload))
        case "sessionEstablished": self = .sessionEstablished(try container.decode(SessionInfo.self, forKey: .payload))
        case "heartbeatAck": self = .heartbeatAck(try container.decode(HeartbeatAck.self, forKey: .payload))
        case "nodeUpdate": self = .nodeUpdate(try container.decode(NodeUpdate.self, forKey: .payload))
        case "assignments": self = .assignments(try container.decode(Assignments.self, forKey: .payload))
        default: self = .unknown(type: type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TaggedCodingKeys.self)
        switch self {
        case .sessionEstablished(let payload): try container.encodeTagged("sessionEstablished", payload)
        case .heartbeatAck(let payload): try container.encodeTagged("heartbeatAck", payload)
        case .nodeUpdate(let payload): try container.encodeTagged("nodeUpdate", payload)
        case .assignments(let payload): try container.encodeTagged("assignments", payload)
        case .logSubscription(let payload): try container.encodeTagged("logSubscription", payload)
        case .logSubscriptionEnded(let id): try container.encodeTagged("logSubscriptionEnded", id)
        case .unknown(let type): try container.encode(type, forKey: .type)
        }
    }
}

/// An agent's registration: what its machine is and where it can be reached.
public struct RegisterRequest: Codable, Hashable, Sendable {
    public var description: NodeDescription
    /// The node's address as other nodes reach it (`NodeStatus.Addr`).
    public var addr: String
    /// Increases each time the agent opens a new session, so a manager can tell the current session from a stale
    /// one that has not yet timed out.
    public var sessionEpoch: UInt64

    public init(description: NodeDescription, addr: String, sessionEpoch: UInt64) {
        self.description = description
        self.addr = addr
        self.sessionEpoch = sessionEpoch
    }
}

/// An agent's periodic proof of life.
public struct Heartbeat: Codable, Hashable, Sendable {
    /// Increases by one per heartbeat within a session; echoed in the acknowledgement.
    public var sequence: UInt64

    public init(sequence: UInt64) {
        self.sequence = sequence
    }
}

/// The manager's answer to `register`.
public struct SessionInfo: Codable, Hashable, Sendable {
    /// The node ID from the agent's certificate.
    public var nodeID: String
    /// Names this session in logs and later messages.
    public var sessionID: String
    /// How often the agent must heartbeat.
    public var heartbeatPeriodNanos: Int64
    /// Every manager's control-plane address, for failover.
    public var managers: [ManagerAddress]

    public init(nodeID: String, sessionID: String, heartbeatPeriod: Duration, managers: [ManagerAddress]) {
        self.nodeID = nodeID
        self.sessionID = sessionID
        self.heartbeatPeriodNanos = heartbeatPeriod.nanoseconds
        self.managers = managers
    }

    public var heartbeatPeriod: Duration { .nanoseconds(heartbeatPeriodNanos) }
}

/// The manager's acknowledgement of a heartbeat; the period may change (e.g. as the swarm grows).
public struct HeartbeatAck: Codable, Hashable, Sendable {
    public var sequence: UInt64
    public var heartbeatPeriodNanos: Int64

    public init(sequence: UInt64, heartbeatPeriod: Duration) {
        self.sequence = sequence
        self.heartbeatPeriodNanos = heartbeatPeriod.nanoseconds
    }

    public var heartbeatPeriod: Duration { .nanoseconds(heartbeatPeriodNanos) }
}

/// A change to the node itself that the agent must act on.
/// The tasks placed on a node: those it must run (desired state up to `running`), those it must stop (desired
/// `shutdown` or later), and those that ended, whose logs it keeps until the managers delete the task (task
/// history). Always the whole set: an agent that missed a message loses nothing.
public struct Assignments: Codable, Hashable, Sendable {
    /// Increases with every set sent in a session, so an agent can ignore an older set that arrives late.
    public var sequence: UInt64
    public var tasks: [SwarmTask]

    public init(sequence: UInt64, tasks: [SwarmTask]) {
        self.sequence = sequence
        self.tasks = tasks
    }
}

/// Observed task states, reported by the node that runs the tasks. The manager applies a state only if it moves
/// the task forward (observed state never goes back).
public struct TaskStatusReport: Codable, Hashable, Sendable {
    public struct Update: Codable, Hashable, Sendable {
        public var taskID: String
        public var status: TaskStatus

        public init(taskID: String, status: TaskStatus) {
            self.taskID = taskID
            self.status = status
        }
    }

    public var updates: [Update]

    public init(updates: [Update]) { self.updates = updates }
}

public struct NodeUpdate: Codable, Hashable, Sendable {
    /// The node's new role: the agent renews its certificate to get one that grants it.
    public var role: NodeSpec.Role?
    /// The node was removed from the swarm: the agent ends its session and forgets its credentials.
    public var removed: Bool

    public init(role: NodeSpec.Role? = nil, removed: Bool = false) {
        self.role = role
        self.removed = removed
    }

    enum CodingKeys: String, CodingKey {
        case role
        case removed
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decodeIfPresent(NodeSpec.Role.self, forKey: .role)
        removed = try container.decodeIfPresent(Bool.self, forKey: .removed) ?? false
    }
}

enum TaggedCodingKeys: String, CodingKey {
    case type
    case payload
}

extension KeyedEncodingContainer<TaggedCodingKeys> {
    mutating func encodeTagged(_ type: String, _ payload: some Encodable) throws {
        try encode(type, forKey: .type)
        try encode(payload, forKey: .payload)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled + attoseconds / 1_000_000_000
    }
}

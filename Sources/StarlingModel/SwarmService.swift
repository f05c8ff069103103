import Foundation

/// A service: what the user asked for (`Spec`, and `PreviousSpec` for rollback) and what the managers observed
/// (`Endpoint`, `UpdateStatus`, `ServiceStatus`, `JobStatus`). Docker's `Service` object, encoded exactly as the
/// Engine API's `Service`.
///
/// Named `SwarmService` because a public `Service` in this module would be ambiguous with swift-service-lifecycle's
/// `Service` protocol in every module that imports both.
public struct SwarmService: Codable, Hashable, Sendable, Identifiable {
    /// Immutable; assigned by the manager at creation.
    public var id: String
    public var version: ObjectVersion
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// Desired state, written by users.
    public var spec: ServiceSpec
    /// The spec before the last update; `?rollback=previous` goes back to it.
    public var previousSpec: ServiceSpec?
    /// The ports and virtual IPs the allocator gave the service. dockerd always writes it (`{"Spec":{}}` at least).
    public var endpoint: Endpoint?
    /// The progress of the last rolling update or rollback; absent until the first update.
    public var updateStatus: UpdateStatus?
    /// Task counts; written only for `GET /services?status=true` (API 1.41).
    public var serviceStatus: ServiceStatus?
    /// Present for job modes.
    public var jobStatus: JobStatus?

    public init(
        id: String, version: ObjectVersion = .init(index: 0), createdAt: Timestamp, updatedAt: Timestamp,
        spec: ServiceSpec, previousSpec: ServiceSpec? = nil, endpoint: Endpoint? = nil,
        updateStatus: UpdateStatus? = nil, serviceStatus: ServiceStatus? = nil, jobStatus: JobStatus? = nil
    ) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
        self.previousSpec = previousSpec
        self.endpoint = endpoint
        self.updateStatus = updateStatus
        self.serviceStatus = serviceStatus
        self.jobStatus = jobStatus
    }

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case version = "Version"
        case createdAt = "CreatedAt"
        case updatedAt = "UpdatedAt"
        case spec = "Spec"
        case previousSpec = "PreviousSpec"
        case endpoint = "Endpoint"
        case updateStatus = "UpdateStatus"
        case serviceStatus = "ServiceStatus"
        case jobStatus = "JobStatus"
    }

    /// What the allocator made of the service's `EndpointSpec`.
    public struct Endpoint: Codable, Hashable, Sendable {
        /// The service's virtual IP on one network, with its prefix length (`10.0.0.2/24`).
        public struct VirtualIP: Codable, Hashable, Sendable {
            public var networkID: String?
            public var addr: String?

            public init(networkID: String? = nil, addr: String? = nil) {
                self.networkID = networkID
                self.addr = addr
            }

            enum CodingKeys: String, CodingKey {
                case networkID = "NetworkID"
                case addr = "Addr"
            }
        }

        /// The endpoint spec the allocation was made for.
        public var spec: EndpointSpec?
        /// The published ports, with the ports the manager chose filled in.
        public var ports: [EndpointPortConfig]?
        public var virtualIPs: [VirtualIP]?

        public init(spec: EndpointSpec? = nil, ports: [EndpointPortConfig]? = nil, virtualIPs: [VirtualIP]? = nil) {
            self.spec = spec
            self.ports = ports
            self.virtualIPs = virtualIPs
        }

        enum CodingKeys: String, CodingKey {
            case spec = "Spec"
            case ports = "Ports"
            case virtualIPs = "VirtualIPs"
        }
    }
}

/// The progress of a service's rolling update or rollback. The docker CLI's progress display exits with an error on
/// `paused` and `rollback_paused`, and prints `Message`.
public struct UpdateStatus: Codable, Hashable, Sendable {
    /// Where the update or rollback is.
    public enum State: String, LenientStringEnum {
        case updating
        case paused
        case completed
        case rollbackStarted = "rollback_started"
        case rollbackPaused = "rollback_paused"
        case rollbackCompleted = "rollback_completed"
    }

    public var state: State?
    public var startedAt: Timestamp?
    public var completedAt: Timestamp?
    /// Why the update is in its state, for example "update paused due to failure or early termination of task ...".
    public var message: String?

    public init(state: State? = nil, startedAt: Timestamp? = nil, completedAt: Timestamp? = nil, message: String? = nil)
    {
        self.state = state
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case state = "State"
        case startedAt = "StartedAt"
        case completedAt = "CompletedAt"
        case message = "Message"
    }
}

/// Task counts of a service, as `docker service ls` shows them in its REPLICAS column.
public struct ServiceStatus: Codable, Hashable, Sendable {
    /// Tasks whose observed state is `running`.
    public var runningTasks: UInt64
    /// Tasks the orchestrator wants running: the replicas, or the eligible nodes of a global service.
    public var desiredTasks: UInt64
    /// Job tasks that completed (job modes only).
    public var completedTasks: UInt64

    public init(runningTasks: UInt64, desiredTasks: UInt64, completedTasks: UInt64 = 0) {
        self.runningTasks = runningTasks
        self.desiredTasks = desiredTasks
        self.completedTasks = completedTasks
    }

    enum CodingKeys: String, CodingKey {
        case runningTasks = "RunningTasks"
        case desiredTasks = "DesiredTasks"
        case completedTasks = "CompletedTasks"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        runningTasks = try c.decodeIfPresent(UInt64.self, forKey: .runningTasks) ?? 0
        desiredTasks = try c.decodeIfPresent(UInt64.self, forKey: .desiredTasks) ?? 0
        completedTasks = try c.decodeIfPresent(UInt64.self, forKey: .completedTasks) ?? 0
    }
}

/// The state of a job service: which run of the job is current.
public struct JobStatus: Codable, Hashable, Sendable {
    /// Goes up each time the job is started again (by an update); tasks carry the iteration they belong to.
    public var jobIteration: ObjectVersion
    /// When the current iteration started.
    public var lastExecution: Timestamp?

    public init(jobIteration: ObjectVersion, lastExecution: Timestamp? = nil) {
        self.jobIteration = jobIteration
        self.lastExecution = lastExecution
    }

    enum CodingKeys: String, CodingKey {
        case jobIteration = "JobIteration"
        case lastExecution = "LastExecution"
    }
}

/// The response of `POST /services/create` (201): `{"ID":"...","Warnings":[...]}`; `Warnings` is left out when
/// there are none, as dockerd does. The request body is a `ServiceSpec`.
public struct ServiceCreateResponse: Codable, Hashable, Sendable {
    public var id: String
    /// Printed by the docker CLI, for example that an image could not be pinned to a digest.
    public var warnings: [String]?

    public init(id: String, warnings: [String]? = nil) {
        self.id = id
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case warnings = "Warnings"
    }
}

/// The response of `POST /services/{id}/update` (200). dockerd always writes the key: `{"Warnings":null}` when there
/// are none. The request body is the whole new `ServiceSpec`.
public struct ServiceUpdateResponse: Codable, Hashable, Sendable {
    public var warnings: [String]?

    public init(warnings: [String]? = nil) { self.warnings = warnings }

    enum CodingKeys: String, CodingKey { case warnings = "Warnings" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let warnings { try c.encode(warnings, forKey: .warnings) } else { try c.encodeNil(forKey: .warnings) }
    }
}

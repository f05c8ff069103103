import StarlingModel

/// What the Engine API's HTTP layer asks of the daemon.
///
/// Every route decodes its request, calls exactly one of these functions and encodes the result; everything the
/// functions throw should be a `StarlingError`, whose code decides the HTTP status (see `EngineErrorResponse`).
/// The daemon implements this protocol on top of the swarm control plane; tests use a fake.
public protocol EngineBackend: Sendable {
    // MARK: System

    /// `GET /info`.
    func systemInfo() async throws -> SystemInfo
    /// `GET /version`.
    func systemVersion() async -> SystemVersion

    // MARK: Swarm

    /// `GET /swarm`: the cluster object, with `JoinTokens` (managers only).
    func swarmInspect() async throws -> Swarm
    /// `POST /swarm/init`: makes this daemon the first manager of a new swarm and returns its node ID.
    func swarmInit(_ request: SwarmInitRequest) async throws -> String
    /// `POST /swarm/join`.
    func swarmJoin(_ request: SwarmJoinRequest) async throws
    /// `POST /swarm/leave?force=`.
    func swarmLeave(force: Bool) async throws
    /// `POST /swarm/update?version=&rotateWorkerToken=&rotateManagerToken=`.
    func swarmUpdate(spec: SwarmSpec, version: UInt64, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws

    // MARK: Nodes

    /// `GET /nodes?filters=`. The filter keys have been checked against `NodeRoutes.filterKeys`.
    func nodes(filters: Filters) async throws -> [Node]
    /// `GET /nodes/{id}`: `reference` is an ID, a name or hostname, or a unique ID prefix.
    func node(_ reference: String) async throws -> Node
    /// `POST /nodes/{id}/update?version=`.
    func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws
    /// `DELETE /nodes/{id}?force=`.
    func removeNode(_ reference: String, force: Bool) async throws

    // MARK: Services

    /// `POST /services/create`: stores a new service and returns its ID (201). The spec has passed
    /// `ServiceSpecValidation`; an empty `Name` is the backend's to fill (dockerd picks a random name). Placement
    /// constraints are the backend's to check. `registryAuth` is the `X-Registry-Auth` header, if any.
    func createService(_ spec: ServiceSpec, registryAuth: String?) async throws -> ServiceCreateResponse
    /// `GET /services?filters=&status=`: the services `ServiceFilter(filters)` matches (the keys have been checked
    /// against `ServiceFilter.keys`); with `status`, each carries `ServiceStatus` (see `ServiceFilter.status`).
    func services(filters: Filters, status: Bool) async throws -> [SwarmService]
    /// `GET /services/{id}`: `reference` is an ID, an exact name or a unique ID prefix (`Identifier.resolve`), and a
    /// missing service is `notFound("service X not found")`. The spec as stored; the route inserts defaults.
    func service(_ reference: String) async throws -> SwarmService
    /// `POST /services/{id}/update?version=&registryAuthFrom=&rollback=`: replaces the spec (or, with
    /// `options.rollback == .previous`, goes back to `PreviousSpec`). A `version` other than the current
    /// `Version.Index` is `StarlingError.outOfSequence`.
    func updateService(
        _ reference: String, version: UInt64, spec: ServiceSpec, options: ServiceUpdateOptions
    ) async throws -> ServiceUpdateResponse
    /// `DELETE /services/{id}`.
    func removeService(_ reference: String) async throws

    // MARK: Tasks

    /// `GET /tasks?filters=`: the tasks `TaskFilter` matches (the keys have been checked against `TaskFilter.keys`;
    /// `service` and `node` values may be names, which `TaskFilter.init` resolves).
    func tasks(filters: Filters) async throws -> [SwarmTask]
    /// `GET /tasks/{id}`: an ID, a task name (`TaskFilter.name(of:serviceName:)`) or a unique ID prefix.
    func task(_ reference: String) async throws -> SwarmTask

    // MARK: Logs

    /// The log entries of a service's tasks or of one task, for `GET /services/{id}/logs` and `GET /tasks/{id}/logs`.
    /// The selector holds a resolved ID. Throw before returning (not through the stream) for anything that should be
    /// an HTTP error: once the stream is returned the response has started. With `options.follow` the stream stays
    /// open for new entries until the client goes away, which cancels the consumer: release what the stream holds in
    /// its `onTermination`.
    func logs(
        _ selector: TaskLogSelector, options: TaskLogOptions
    ) async throws
        -> AsyncThrowingStream<TaskLogEntry, any Error>

    // MARK: Images

    /// `GET /distribution/{name}/json`: the image's digest and platforms in its registry. The docker CLI calls it
    /// before every create and update and only warns when it fails.
    func distributionInspect(_ image: String, registryAuth: String?) async throws -> DistributionInspect
}

/// What a daemon answers for the calls it does not implement yet: 501 with a message that names the route.
extension EngineBackend {
    public func createService(_ spec: ServiceSpec, registryAuth: String?) async throws -> ServiceCreateResponse {
        throw Self.notImplemented("POST /services/create")
    }

    public func services(filters: Filters, status: Bool) async throws -> [SwarmService] {
        throw Self.notImplemented("GET /services")
    }

    public func service(_ reference: String) async throws -> SwarmService {
        throw Self.notImplemented("GET /services/{id}")
    }

    public func updateService(
        _ reference: String, version: UInt64, spec: ServiceSpec, options: ServiceUpdateOptions
    ) async throws -> ServiceUpdateResponse {
        throw Self.notImplemented("POST /services/{id}/update")
    }

    public func removeService(_ reference: String) async throws {
        throw Self.notImplemented("DELETE /services/{id}")
    }

    public func tasks(filters: Filters) async throws -> [SwarmTask] {
        throw Self.notImplemented("GET /tasks")
    }

    public func task(_ reference: String) async throws -> SwarmTask {
        throw Self.notImplemented("GET /tasks/{id}")
    }

    public func logs(
        _ selector: TaskLogSelector, options: TaskLogOptions
    ) async throws
        -> AsyncThrowingStream<TaskLogEntry, any Error>
    {
        throw Self.notImplemented("GET /services/{id}/logs")
    }

    /// Starling does not ask registries for digests yet: the docker CLI warns that the image could not be pinned to
    /// a digest and carries on.
    public func distributionInspect(_ image: String, registryAuth: String?) async throws -> DistributionInspect {
        throw StarlingError.notFound("no such image: \(image): this daemon does not query registries")
    }

    private static func notImplemented(_ route: String) -> StarlingError {
        StarlingError(.notImplemented, "\(route) is not implemented by this daemon yet")
    }
}

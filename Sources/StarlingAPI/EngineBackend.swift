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
}

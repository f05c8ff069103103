import NIOHTTP1
import StarlingModel

/// The system, swarm and node calls, mirroring the server's `EngineBackend`.
extension EngineClient {
    // MARK: System

    /// `GET /_ping` (unversioned): the API version the daemon advertises in `Api-Version`.
    public func ping() async throws -> String? {
        try await send(.GET, "/_ping", versioned: false).headers.first(name: "Api-Version")
    }

    /// `GET /version`.
    public func version() async throws -> SystemVersion {
        try await decode(SystemVersion.self, .GET, "/version")
    }

    /// `GET /info`.
    public func info() async throws -> SystemInfo {
        try await decode(SystemInfo.self, .GET, "/info")
    }

    // MARK: Swarm

    /// `GET /swarm`: the cluster object with its join tokens.
    public func swarmInspect() async throws -> Swarm {
        try await decode(Swarm.self, .GET, "/swarm")
    }

    /// `POST /swarm/init`: returns the new manager's node ID.
    public func swarmInit(_ request: SwarmInitRequest) async throws -> String {
        try await decode(String.self, .POST, "/swarm/init", body: Self.json(request))
    }

    /// `POST /swarm/join`.
    public func swarmJoin(_ request: SwarmJoinRequest) async throws {
        try await perform(.POST, "/swarm/join", body: Self.json(request))
    }

    /// `POST /swarm/leave`.
    public func swarmLeave(force: Bool = false) async throws {
        try await perform(.POST, "/swarm/leave", query: [("force", String(force))])
    }

    /// `POST /swarm/update`: `version` is the `Version.Index` the spec was read at.
    public func swarmUpdate(
        spec: SwarmSpec, version: UInt64, rotateWorkerToken: Bool = false, rotateManagerToken: Bool = false
    ) async throws {
        let query = [
            ("version", String(version)), ("rotateWorkerToken", String(rotateWorkerToken)),
            ("rotateManagerToken", String(rotateManagerToken)),
        ]
        try await perform(.POST, "/swarm/update", query: query, body: Self.json(spec))
    }

    // MARK: Nodes

    /// `GET /nodes`, optionally filtered (`id`, `label`, `membership`, `name`, `node.label`, `role`).
    public func nodes(filters: Filters = Filters()) async throws -> [Node] {
        try await decode([Node].self, .GET, "/nodes", query: filters.isEmpty ? [] : [("filters", filters.json)])
    }

    /// `GET /nodes/{reference}`: an ID, a name or hostname, or a unique ID prefix.
    public func node(_ reference: String) async throws -> Node {
        try await decode(Node.self, .GET, "/nodes/\(Self.escape(reference))")
    }

    /// `POST /nodes/{reference}/update`: `version` is the `Version.Index` the spec was read at.
    public func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws {
        try await perform(
            .POST, "/nodes/\(Self.escape(reference))/update", query: [("version", String(version))],
            body: Self.json(spec))
    }

    /// `DELETE /nodes/{reference}`.
    public func removeNode(_ reference: String, force: Bool = false) async throws {
        try await perform(.DELETE, "/nodes/\(Self.escape(reference))", query: [("force", String(force))])
    }
}

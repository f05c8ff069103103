import StarlingModel

/// The Engine API calls the dev cluster makes on one node's daemon. `EngineClient` provides them; tests fake them.
public protocol DevEngine: Sendable {
    func info() async throws -> SystemInfo
    func swarmInit(_ request: SwarmInitRequest) async throws -> String
    func swarmInspect() async throws -> Swarm
    func swarmJoin(_ request: SwarmJoinRequest) async throws
    func nodes() async throws -> [Node]
    func node(_ reference: String) async throws -> Node
    func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws
}

/// Hands out the `DevEngine` that talks to a node's API socket.
public protocol DevEngineProvider: Sendable {
    func engine(socketPath: String) -> any DevEngine
}

import StarlingClient
import StarlingModel

/// `DevEngine` over `EngineClient`: one short-lived client per call, so that nothing needs shutting down later and
/// a daemon that restarts in between is simply reconnected to.
public struct SocketDevEngine: DevEngine {
    public let address: EngineAddress

    public init(socketPath: String) { address = .unix(path: socketPath) }

    private func call<T: Sendable>(_ body: (EngineClient) async throws -> T) async throws -> T {
        try await EngineClient.withClient(address: address, body)
    }

    public func info() async throws -> SystemInfo { try await call { try await $0.info() } }

    public func swarmInit(_ request: SwarmInitRequest) async throws -> String {
        try await call { try await $0.swarmInit(request) }
    }

    public func swarmInspect() async throws -> Swarm { try await call { try await $0.swarmInspect() } }

    public func swarmJoin(_ request: SwarmJoinRequest) async throws {
        try await call { try await $0.swarmJoin(request) }
    }

    public func nodes() async throws -> [Node] { try await call { try await $0.nodes() } }

    public func node(_ reference: String) async throws -> Node { try await call { try await $0.node(reference) } }

    public func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws {
        try await call { try await $0.updateNode(reference, version: version, spec: spec) }
    }
}

/// Provides `SocketDevEngine`s.
public struct SocketDevEngineProvider: DevEngineProvider {
    public init() {}
    public func engine(socketPath: String) -> any DevEngine { SocketDevEngine(socketPath: socketPath) }
}

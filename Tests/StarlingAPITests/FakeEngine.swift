import Foundation
import StarlingAPI
import StarlingModel

/// An in-memory `EngineBackend` that records what the HTTP layer asked of it.
actor FakeEngine: EngineBackend {
    static let epoch = Timestamp(seconds: 1_700_000_000)

    private(set) var swarm: Swarm?
    private(set) var nodeList: [Node]
    private(set) var lastNodeFilters: Filters?
    private(set) var lastJoin: SwarmJoinRequest?
    private(set) var lastInit: SwarmInitRequest?
    private(set) var lastLeaveForce: Bool?
    private(set) var lastRemoval: (reference: String, force: Bool)?
    private(set) var lastSwarmUpdate: (spec: SwarmSpec, rotateWorker: Bool, rotateManager: Bool)?
    /// When set, `systemInfo()` throws it (to exercise the error mapping).
    private var infoError: StarlingError?

    init(inSwarm: Bool = true, infoError: StarlingError? = nil) {
        self.nodeList = [
            Self.node(id: "m1abcdefghijklmnopqrstuvw", hostname: "alpha", role: .manager),
            Self.node(id: "w2abcdefghijklmnopqrstuvw", hostname: "beta", role: .worker),
        ]
        self.swarm = inSwarm ? Self.makeSwarm() : nil
        self.infoError = infoError
    }

    static func node(id: String, hostname: String, role: NodeSpec.Role) -> Node {
        Node(
            id: id, version: ObjectVersion(index: 10), createdAt: epoch, updatedAt: epoch,
            spec: NodeSpec(labels: ["zone": "a"], role: role),
            description: NodeDescription(hostname: hostname, engine: EngineDescription(engineVersion: "0.1.0")),
            status: NodeStatus(state: .ready, addr: "10.0.0.1"),
            managerStatus: role == .manager
                ? ManagerStatus(leader: true, reachability: .reachable, addr: "10.0.0.1:2377") : nil)
    }

    static func makeSwarm() -> Swarm {
        Swarm(
            id: "swarm1", version: ObjectVersion(index: 5), createdAt: epoch, updatedAt: epoch, spec: SwarmSpec(),
            joinTokens: JoinTokens(worker: "SWMTKN-1-worker", manager: "SWMTKN-1-manager"))
    }

    // MARK: System

    func systemInfo() async throws -> SystemInfo {
        if let infoError { throw infoError }
        return SystemInfo(
            id: "engine1", name: "alpha", serverVersion: StarlingVersion.version, operatingSystem: "Debian",
            architecture: "x86_64", kernelVersion: "6.1", ncpu: 2, memTotal: 1 << 30,
            dockerRootDir: "/var/lib/starling",
            labels: [],
            swarm: SwarmInfo(
                nodeID: nodeList[0].id, nodeAddr: "10.0.0.1", localNodeState: swarm == nil ? .inactive : .active,
                controlAvailable: swarm != nil, cluster: swarm?.withoutJoinTokens))
    }

    func systemVersion() async -> SystemVersion {
        SystemVersion(
            platform: .init(name: "Starling"), components: [], version: StarlingVersion.version,
            apiVersion: StarlingVersion.apiVersion, minAPIVersion: StarlingVersion.minAPIVersion, gitCommit: "abc",
            goVersion: "swift6", os: "linux", arch: "amd64", kernelVersion: "6.1", buildTime: "")
    }

    // MARK: Swarm

    func swarmInspect() async throws -> Swarm {
        guard let swarm else { throw StarlingError.notInSwarm }
        return swarm
    }

    func swarmInit(_ request: SwarmInitRequest) async throws -> String {
        guard swarm == nil else {
            throw StarlingError.invalidState(
                "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one."
            )
        }
        lastInit = request
        swarm = Self.makeSwarm()
        return nodeList[0].id
    }

    func swarmJoin(_ request: SwarmJoinRequest) async throws {
        guard !request.joinToken.isEmpty else { throw StarlingError.invalidArgument("join token is required") }
        lastJoin = request
    }

    func swarmLeave(force: Bool) async throws {
        guard swarm != nil else { throw StarlingError.unavailable("This node is not part of a swarm") }
        lastLeaveForce = force
        swarm = nil
    }

    func swarmUpdate(spec: SwarmSpec, version: UInt64, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws {
        guard var swarm else { throw StarlingError.notInSwarm }
        guard version == swarm.version.index else { throw StarlingError.outOfSequence }
        swarm.spec = spec
        swarm.version.index += 1
        self.swarm = swarm
        lastSwarmUpdate = (spec, rotateWorkerToken, rotateManagerToken)
    }

    // MARK: Nodes

    func nodes(filters: Filters) async throws -> [Node] {
        lastNodeFilters = filters
        return nodeList.filter { node in
            filters.matches("role") { $0 == node.spec.role.rawValue }
                && filters.matches("name") { node.description?.hostname?.hasPrefix($0) ?? false }
        }
    }

    func node(_ reference: String) async throws -> Node {
        try Identifier.resolve(
            reference, in: nodeList, kind: "node", id: \.id,
            names: { [$0.spec.name, $0.description?.hostname].compactMap { $0 } })
    }

    func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws {
        let found = try await node(reference)
        guard let index = nodeList.firstIndex(where: { $0.id == found.id }) else { return }
        guard nodeList[index].version.index == version else { throw StarlingError.outOfSequence }
        nodeList[index].spec = spec
        nodeList[index].version.index += 1
    }

    func removeNode(_ reference: String, force: Bool) async throws {
        let found = try await node(reference)
        if found.status.state == .ready && !force {
            throw StarlingError.conflict(
                "node \(found.id) is not down and can't be removed (use --force to remove it anyway)")
        }
        lastRemoval = (reference, force)
        nodeList.removeAll { $0.id == found.id }
    }
}

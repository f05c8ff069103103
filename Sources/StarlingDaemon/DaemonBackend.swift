import Foundation
import StarlingAPI
import StarlingAgent
import StarlingControlPlane
import StarlingManager
import StarlingModel

/// The Engine API's view of this daemon: system calls are answered locally, swarm calls by the swarm manager
/// when this node holds the cluster store, and refused with Docker's messages otherwise.
struct DaemonBackend: EngineBackend {
    let node: SwarmNode
    let configuration: DaemonConfiguration
    let startedAt = Timestamp.now()

    // MARK: System

    func systemVersion() async -> SystemVersion {
        let arch = goArchitecture(HostProbe.architecture())
        let kernel = HostProbe.kernelVersion()
        let details = [
            "ApiVersion": StarlingVersion.apiVersion, "MinAPIVersion": StarlingVersion.minAPIVersion,
            "Arch": arch, "Os": "linux", "KernelVersion": kernel, "GitCommit": "", "GoVersion": "swift 6",
            "BuildTime": "", "Experimental": "false",
        ]
        return SystemVersion(
            platform: .init(name: "Starling"),
            components: [.init(name: "Engine", version: StarlingVersion.version, details: details)],
            version: StarlingVersion.version, apiVersion: StarlingVersion.apiVersion,
            minAPIVersion: StarlingVersion.minAPIVersion, gitCommit: "", goVersion: "swift 6",
            os: "linux", arch: arch, kernelVersion: kernel, experimental: false, buildTime: "")
    }

    func systemInfo() async throws -> SystemInfo {
        let info = ProcessInfo.processInfo
        return SystemInfo(
            id: "", name: configuration.effectiveHostname, serverVersion: StarlingVersion.version,
            operatingSystem: HostProbe.operatingSystem(), architecture: HostProbe.architecture(),
            kernelVersion: HostProbe.kernelVersion(), ncpu: info.activeProcessorCount,
            memTotal: Int64(info.physicalMemory), dockerRootDir: configuration.stateDirectory,
            labels: configuration.engineLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            swarm: try await swarmInfo())
    }

    private func swarmInfo() async throws -> SwarmInfo {
        guard let runtime = await node.runtime, let membership = await node.membership else { return SwarmInfo() }
        let host = (try? NetworkAddress.split(membership.advertiseAddress, defaultPort: 4242).host) ?? ""
        var info = SwarmInfo(
            nodeID: membership.nodeID, nodeAddr: host, localNodeState: .active,
            controlAvailable: membership.role == .manager,
            remoteManagers: membership.managers.map { .init(nodeID: $0.nodeID, addr: $0.addr) })
        if runtime.manager == nil, membership.role == .manager {
            // A manager without the store: the counts and the cluster come from the one that holds it.
            let forwarder = ManagerForwarder(node: node)
            if let nodes = try? await forwarder.get([Node].self, "/nodes"),
                let swarm = try? await forwarder.get(Swarm.self, "/swarm")
            {
                info.nodes = nodes.count
                info.managers = nodes.filter { $0.spec.role == .manager }.count
                info.cluster = swarm.withoutJoinTokens
            }
        }
        if let manager = runtime.manager?.manager {
            let nodes = try await manager.nodes()
            info.nodes = nodes.count
            info.managers = nodes.filter { $0.spec.role == .manager }.count
            info.cluster = try await manager.swarm().withoutJoinTokens
            info.remoteManagers = try await manager.managerAddresses().map { .init(nodeID: $0.nodeID, addr: $0.addr) }
        }
        return info
    }

    // MARK: Swarm

    func swarmInspect() async throws -> Swarm { try await manager().swarm() }

    func swarmInit(_ request: SwarmInitRequest) async throws -> String { try await node.initialize(request) }

    func swarmJoin(_ request: SwarmJoinRequest) async throws { try await node.join(request) }

    func swarmLeave(force: Bool) async throws { try await node.leave(force: force) }

    func swarmUpdate(spec: SwarmSpec, version: UInt64, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws {
        let parts = try await managerParts()
        try await parts.manager.updateSwarm(
            spec: spec, version: version, rotateWorkerToken: rotateWorkerToken, rotateManagerToken: rotateManagerToken)
        if let nanos = spec.dispatcher?.heartbeatPeriod, nanos > 0 {
            var policy = node.policy
            policy.basePeriod = .nanoseconds(nanos)
            parts.dispatcher.setPolicy(policy)
        }
    }

    // MARK: Nodes

    func nodes(filters: Filters) async throws -> [Node] { try await manager().nodes(filters: filters) }

    func node(_ reference: String) async throws -> Node { try await manager().node(reference) }

    func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws {
        let parts = try await managerParts()
        let before = try await parts.manager.node(reference)
        try await parts.manager.updateNode(reference, version: version, spec: spec)
        if before.spec.role != spec.role {
            parts.dispatcher.notify(before.id, NodeUpdate(role: spec.role))
        }
    }

    func removeNode(_ reference: String, force: Bool) async throws {
        let parts = try await managerParts()
        let node = try await parts.manager.node(reference)
        try await parts.manager.removeNode(node.id, force: force)
        parts.dispatcher.notify(node.id, NodeUpdate(removed: true))
    }

    // MARK: Helpers

    private func manager() async throws -> SwarmManager { try await managerParts().manager }

    func managerParts() async throws -> RoleRuntime.ManagerParts {
        guard let runtime = await node.runtime else { throw StarlingError.notInSwarm }
        guard let parts = runtime.manager else { throw StarlingError.notAManager }
        return parts
    }

    /// Go's architecture names, which `docker version` shows.
    private func goArchitecture(_ machine: String) -> String {
        switch machine {
        case "x86_64": "amd64"
        case "aarch64": "arm64"
        default: machine
        }
    }
}

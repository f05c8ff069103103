import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import StarlingAgent
import StarlingClient
import StarlingControlPlane
import StarlingExecutor
import StarlingManager
import StarlingModel
import StarlingPKI
import StarlingStore

/// This daemon's membership in a swarm: none, worker, or manager. It performs `swarm init/join/leave` and runs
/// the parts of the current role (`RoleRuntime`), restarting them when the membership changes.
actor SwarmNode: Service {
    let configuration: DaemonConfiguration
    let logger: Logger
    let policy: HeartbeatPolicy
    private(set) var runtime: RoleRuntime?
    /// The current membership: the runtime's, kept up to date with what the managers say (role, managers).
    private(set) var membership: SwarmMembership?
    /// The task running `runtime`: owned by this actor, cancelled and awaited whenever the runtime is replaced
    /// and at shutdown, so it never outlives the daemon.
    private var running: Task<Void, Never>?

    init(configuration: DaemonConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.policy = HeartbeatPolicy(basePeriod: configuration.heartbeatPeriod ?? .milliseconds(500))
    }

    var stateDirectory: String { configuration.stateDirectory }

    // MARK: Running

    /// Restores the membership saved in the state directory, then runs the role's parts until shutdown.
    func run() async throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        if let membership = try SwarmMembership.load(from: stateDirectory) {
            let identity = try NodeIdentity.load(from: stateDirectory)
            logger.info(
                "rejoining the swarm",
                metadata: ["node": "\(membership.nodeID)", "role": "\(membership.role.rawValue)"])
            await replaceRuntime(with: try await makeRuntime(membership: membership, identity: identity))
        }
        try? await gracefulShutdown()
        await replaceRuntime(with: nil)
    }

    /// Stops the current runtime (waiting until it has stopped) and starts `new`.
    private func replaceRuntime(with new: RoleRuntime?) async {
        if let running {
            running.cancel()
            await running.value
        }
        runtime = new
        membership = new?.membership
        running = new.map { runtime in
            let logger = logger
            return Task {
                do {
                    try await runtime.run()
                } catch is CancellationError {
                } catch is AgentSession.Removed {
                    self.removedFromSwarm(runtime)
                } catch {
                    logger.error("swarm role stopped", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// The managers removed this node: forget the membership. Called from the runtime's own task once it has
    /// stopped, so it must not wait for that task.
    private func removedFromSwarm(_ stopped: RoleRuntime) {
        guard runtime === stopped else { return }
        logger.warning("this node was removed from the swarm; leaving it")
        runtime = nil
        membership = nil
        running = nil
        do {
            try forgetMembership()
        } catch {
            logger.error("cannot clear the swarm state", metadata: ["error": "\(error)"])
        }
    }

    private func makeRuntime(membership: SwarmMembership, identity: NodeIdentity) async throws -> RoleRuntime {
        let manager: RoleRuntime.ManagerParts? =
            membership.holdsStore
            ? try await RoleRuntime.openManager(
                membership: membership, identity: identity, stateDirectory: stateDirectory, policy: policy,
                logger: logger)
            : nil
        let hostname = configuration.effectiveHostname
        let labels = configuration.engineLabels
        let generic = configuration.genericResources
        let processes = ProcessExecutor(
            configuration: .init(stateDirectory: stateDirectory + "/tasks", useCgroups: getuid() == 0), logger: logger)
        // Tasks an earlier run of this daemon left running when it was killed are replaced by the managers: they must
        // not run on beside their replacements.
        _ = processes.reclaimLeftovers()
        let executors: [String: any TaskExecutor] = ["process": processes]
        let runtimes = executors.keys.sorted()
        let agent = AgentSession(
            identity: identity, managers: membership.managers.map(\.addr),
            advertiseAddress: membership.advertiseAddress,
            describe: {
                HostProbe.describe(
                    hostname: hostname, engineLabels: labels, runtimes: runtimes, genericResources: generic)
            },
            onEvent: { [weak self] event in await self?.handle(event) },
            logger: logger)
        let supervisor = TaskSupervisor(
            executors: executors, report: { agent.report($0) }, clock: ContinuousClock(), logger: logger)
        let logs = LogPublishing(
            handles: { supervisor.handles($0) }, send: { try await agent.publishLogs($0) }, logger: logger)
        return RoleRuntime(
            membership: membership, identity: identity, manager: manager, agent: agent, supervisor: supervisor,
            logs: logs, apiAddress: try EngineAddress(parsing: configuration.apiHost), logger: logger)
    }

    private func handle(_ event: AgentSession.Event) async {
        switch event {
        case .connected(let managers):
            runtime?.supervisor.sessionStarted()
            guard var current = membership, !managers.isEmpty else { return }
            let known = managers.map { SwarmMembership.ManagerAddress(nodeID: $0.nodeID, addr: $0.addr) }
            if current.managers != known {
                current.managers = known
                membership = current
                try? current.save(to: stateDirectory)
            }
        case .roleChanged(let role):
            guard var current = membership, current.role != role else { return }
            current.role = role
            membership = current
            try? current.save(to: stateDirectory)
            logger.info("role changed", metadata: ["role": "\(role.rawValue)"])
        case .removed:
            break  // `run()` ends with `AgentSession.Removed`; see `removedFromSwarm`.
        case .assignments(let assignments):
            await runtime?.supervisor.apply(assignments)
        case .logSubscription(let subscription):
            runtime?.logs.start(subscription)
        case .logSubscriptionEnded(let id):
            runtime?.logs.end(id)
        }
    }

    // MARK: Membership changes

    /// `swarm init`.
    func initialize(_ request: SwarmInitRequest) async throws -> String {
        guard runtime == nil else { throw Self.alreadyInSwarm }
        let listen = effectiveListenAddress(request.listenAddr)
        let advertise = try NetworkAddress.advertise(
            explicit: nonEmpty(request.advertiseAddr) ?? configuration.advertiseAddress, listen: listen)
        let now = Timestamp.now()
        let ca = try RootCA.create(now: now.date)
        let clusterID = Identifier.make()
        let nodeID = Identifier.make()
        let bootstrap = try BootstrapIdentity.make(now: now.date)
        let certificate = try ca.issue(
            signingRequest: try bootstrap.signingRequest(), nodeID: nodeID, role: .manager, clusterID: clusterID,
            ipAddresses: [try NetworkAddress.split(advertise, defaultPort: 4242).host], now: now.date)
        let identity = try bootstrap.nodeIdentity(certificate: certificate, caCertificate: ca.certificate)

        var spec = request.spec ?? SwarmSpec()
        if spec.dispatcher?.heartbeatPeriod == nil || request.spec == nil {
            spec.dispatcher = SwarmSpec.Dispatcher(heartbeatPeriod: policy.basePeriod.nanosecondsValue)
        }
        let directory = stateDirectory + "/manager"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try SQLiteKeyValueStore(path: directory + "/store.db", logger: logger)
        try await SwarmManager.bootstrap(
            store: store, ca: ca, clusterID: clusterID, nodeID: nodeID, advertiseAddress: advertise,
            description: HostProbe.describe(
                hostname: configuration.effectiveHostname, engineLabels: configuration.engineLabels),
            spec: spec, now: now)
        let membership = SwarmMembership(
            clusterID: clusterID, nodeID: nodeID, role: .manager, holdsStore: true, listenAddress: listen,
            advertiseAddress: advertise, managers: [.init(nodeID: nodeID, addr: advertise)])
        try identity.save(in: stateDirectory)
        try membership.save(to: stateDirectory)
        let runtime = try await makeRuntime(membership: membership, identity: identity)
        await replaceRuntime(with: runtime)
        await runtime.waitUntilListening()
        logger.info(
            "swarm initialized",
            metadata: ["node": "\(nodeID)", "cluster": "\(clusterID)", "advertise": "\(advertise)"])
        return nodeID
    }

    /// `swarm join`.
    func join(_ request: SwarmJoinRequest) async throws {
        guard runtime == nil else { throw Self.alreadyInSwarm }
        guard let remote = request.remoteAddrs.first(where: { !$0.isEmpty }) else {
            throw StarlingError.invalidArgument("at least 1 RemoteAddr is required to join")
        }
        let token: JoinToken
        do {
            token = try JoinToken(parsing: request.joinToken)
        } catch {
            throw StarlingError.invalidArgument(error.description)
        }
        let listen = effectiveListenAddress(request.listenAddr)
        let advertise = try NetworkAddress.advertise(
            explicit: nonEmpty(request.advertiseAddr) ?? configuration.advertiseAddress, listen: listen, toward: remote)
        let target = try ControlPlaneAddress(parsing: remote, defaultPort: 4242)
        let bootstrap = try BootstrapIdentity.make(now: Date())
        let ca = try await withGRPCClient(
            transport: try ControlPlaneTransport.bootstrapClient(to: target, identity: bootstrap)
        ) { grpc in
            try await CAService.Client(wrapping: grpc).fetchRootCA(checking: token)
        }
        let signingRequest = try SigningRequest.pem(try bootstrap.signingRequest())
        let response = try await withGRPCClient(
            transport: try ControlPlaneTransport.client(
                to: target, certificatePEM: bootstrap.certificatePEM, privateKeyPEM: bootstrap.privateKeyPEM,
                trusting: .certificateAuthority(pem: ca.certificatePEM))
        ) { grpc in
            try await CAService.Client(wrapping: grpc).join(
                JoinRequest(
                    token: request.joinToken, csrPEM: signingRequest, hostname: configuration.effectiveHostname,
                    advertiseAddr: advertise, listenAddr: listen))
        }
        let identity = try bootstrap.nodeIdentity(
            certificate: try PEM.certificate(response.certificatePEM), caCertificate: ca.certificate)
        var managers = response.managers.map { SwarmMembership.ManagerAddress(nodeID: $0.nodeID, addr: $0.addr) }
        if managers.isEmpty { managers = [.init(nodeID: "", addr: target.description)] }
        let membership = SwarmMembership(
            clusterID: response.clusterID, nodeID: response.nodeID, role: response.role, holdsStore: false,
            listenAddress: listen, advertiseAddress: advertise, managers: managers)
        try identity.save(in: stateDirectory)
        try membership.save(to: stateDirectory)
        let runtime = try await makeRuntime(membership: membership, identity: identity)
        await replaceRuntime(with: runtime)
        logger.info("joined the swarm", metadata: ["node": "\(response.nodeID)", "role": "\(response.role.rawValue)"])
        await runtime.agent.waitUntilConnected()
    }

    /// `swarm leave`.
    func leave(force: Bool) async throws {
        guard let runtime else {
            throw StarlingError.invalidState("This node is not part of a swarm")
        }
        if runtime.membership.role == .manager, !force {
            throw StarlingError.invalidState(
                "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message."
            )
        }
        try await leaveLocally()
    }

    private func leaveLocally() async throws {
        await replaceRuntime(with: nil)
        try forgetMembership()
        logger.info("left the swarm")
    }

    /// Removes the membership, the certificates and the manager's store from the state directory.
    private func forgetMembership() throws {
        try SwarmMembership.remove(from: stateDirectory)
        let fileManager = FileManager.default
        for directory in [NodeIdentity.directoryName, "manager"] {
            let path = stateDirectory + "/" + directory
            if fileManager.fileExists(atPath: path) { try fileManager.removeItem(atPath: path) }
        }
    }

    // MARK: Helpers

    static let alreadyInSwarm = StarlingError.invalidState(
        "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.")

    /// The docker CLI always sends its own default listen address (0.0.0.0:2377); the daemon's `--listen-addr`
    /// wins over that default.
    private func effectiveListenAddress(_ requested: String?) -> String {
        guard let requested = nonEmpty(requested), requested != "0.0.0.0:2377" else {
            return configuration.listenAddress
        }
        return requested
    }

    private func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import StarlingAgent
import StarlingClient
import StarlingControlPlane
import StarlingManager
import StarlingModel
import StarlingPKI
import StarlingStore
import Synchronization

/// What runs on a node for its role in the swarm: every node runs an agent session; the manager that holds the
/// cluster store also runs the store's view, the dispatcher's health loop and the control-plane server.
final class RoleRuntime: Sendable {
    /// The manager's parts, on the node that holds the store.
    struct ManagerParts: Sendable {
        let store: SQLiteKeyValueStore
        let view: ObjectView
        let manager: SwarmManager
        let dispatcher: Dispatcher
        let listenAddress: ControlPlaneAddress
    }

    let membership: SwarmMembership
    let identity: NodeIdentity
    let manager: ManagerParts?
    let agent: AgentSession
    /// Runs the tasks the managers assign to this node.
    let supervisor: TaskSupervisor<ContinuousClock>
    /// Sends the output of this node's tasks to the managers that ask for it.
    let logs: LogPublishing
    /// This daemon's own Engine API, where calls forwarded by other managers are answered.
    let apiAddress: EngineAddress
    let logger: Logger
    private let listening = Readiness()

    init(
        membership: SwarmMembership, identity: NodeIdentity, manager: ManagerParts?, agent: AgentSession,
        supervisor: TaskSupervisor<ContinuousClock>, logs: LogPublishing, apiAddress: EngineAddress, logger: Logger
    ) {
        self.supervisor = supervisor
        self.logs = logs
        self.apiAddress = apiAddress
        self.membership = membership
        self.identity = identity
        self.manager = manager
        self.agent = agent
        self.logger = logger
    }

    /// Opens the manager's parts from the state directory (the store must already hold the cluster).
    static func openManager(
        membership: SwarmMembership, identity: NodeIdentity, stateDirectory: String, policy: HeartbeatPolicy,
        logger: Logger
    ) async throws -> ManagerParts {
        let directory = stateDirectory + "/manager"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try SQLiteKeyValueStore(path: directory + "/store.db", logger: logger)
        let view = ObjectView(
            store: store, kinds: [Node.self, Swarm.self, SwarmService.self, SwarmTask.self], logger: logger)
        let manager = try await SwarmManager.open(
            store: store, view: view, nodeID: membership.nodeID, advertiseAddress: membership.advertiseAddress,
            logger: logger)
        let swarmPolicy = try await Self.policy(from: store, base: policy)
        return ManagerParts(
            store: store, view: view, manager: manager, dispatcher: Dispatcher(manager: manager, policy: swarmPolicy),
            listenAddress: try ControlPlaneAddress(parsing: membership.listenAddress, defaultPort: 4242))
    }

    /// The heartbeat policy with the period the swarm spec asks for.
    static func policy(from store: any KeyValueStore, base: HeartbeatPolicy) async throws -> HeartbeatPolicy {
        var policy = base
        if let swarm = try await ObjectStore(store: store).get(Swarm.self, id: Swarm.storeID),
            let nanos = swarm.spec.dispatcher?.heartbeatPeriod, nanos > 0
        {
            policy.basePeriod = .nanoseconds(nanos)
        }
        return policy
    }

    /// Waits until the control-plane server accepts connections (at once on a worker).
    func waitUntilListening() async { await listening.wait() }

    /// Runs the role's parts until cancelled.
    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            if let manager {
                group.addTask { try await manager.view.run() }
                group.addTask { try await manager.dispatcher.run() }
                group.addTask { try await OrchestrationLoop(manager: manager.manager).run() }
                let server = GRPCServer(
                    transport: ControlPlaneTransport.server(address: manager.listenAddress, identity: identity),
                    services: [
                        CAService.Server(CAHandler(manager: manager.manager)),
                        DispatcherService.Server(manager.dispatcher),
                        ControlService.Server(ControlHandler(manager: manager.manager, apiAddress: apiAddress)),
                    ])
                // Cancelling the task that runs `serve()` stops the server.
                group.addTask { try await server.serve() }
                group.addTask {
                    _ = try await server.listeningAddress
                    self.listening.signal()
                }
            } else {
                listening.signal()
            }
            group.addTask { try await self.agent.run() }
            group.addTask { try await self.supervisor.run() }
            group.addTask { await self.logs.run() }
        }
    }
}

/// A one-shot signal that any number of tasks can wait for.
final class Readiness: Sendable {
    private let state = Mutex<(ready: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.ready = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.ready { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

import Foundation
import GRPCCore
import Logging
import StarlingControlPlane
import StarlingModel
import StarlingPKI
import Synchronization

/// A node's long-lived session with the managers: it registers the node's description, heartbeats at the period
/// the manager asks for, follows updates about itself, and reconnects (trying each known manager) when the session
/// breaks. `run()` returns when its task is cancelled.
public final class AgentSession: Sendable {
    /// What the session learned that its owner must act on.
    public enum Event: Sendable {
        /// A session is established; the managers' addresses, leader first.
        case connected(managers: [ManagerAddress])
        /// The manager says this node's role changed.
        case roleChanged(NodeSpec.Role)
        /// The manager removed this node from the swarm; `run()` then throws `Removed`.
        case removed
        /// The complete set of tasks this node must run or stop now.
        case assignments(Assignments)
        /// Send these tasks' logs (with `publishLogs`).
        case logSubscription(LogSubscription)
        /// Stop sending the logs of this subscription.
        case logSubscriptionEnded(id: String)
    }

    /// Thrown by `run()` when the managers removed this node from the swarm: the session does not reconnect.
    public struct Removed: Error, Sendable {}

    let identity: NodeIdentity
    let advertiseAddress: String
    let describe: @Sendable () -> NodeDescription
    let onEvent: @Sendable (Event) async -> Void
    let logger: Logger
    let clock = ContinuousClock()
    private let state: Mutex<State>

    struct State {
        var managers: [String]
        var connected = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var epoch: UInt64 = 0
        var removed = false
        var outbound: SessionOutbound?
        /// Sends a log batch to the manager of the current session.
        var publish: (@Sendable (LogBatch) async throws -> LogBatchAck)?
    }

    /// Sends task states to the manager on the current session; false when there is none (the caller keeps the
    /// report and sends the latest states again once connected).
    @discardableResult
    public func report(_ report: TaskStatusReport) -> Bool {
        guard let outbound = state.withLock({ $0.outbound }) else { return false }
        return outbound.send(.taskStatus(report))
    }

    /// Sends a batch of task output to the manager of the current session; the answer says whether to go on.
    /// Throws when there is no session.
    public func publishLogs(_ batch: LogBatch) async throws -> Bool {
        guard let publish = state.withLock({ $0.publish }) else {
            throw StarlingError.unavailable("no session with a manager")
        }
        return try await publish(batch).proceed
    }

    public init(
        identity: NodeIdentity, managers: [String], advertiseAddress: String,
        describe: @escaping @Sendable () -> NodeDescription,
        onEvent: @escaping @Sendable (Event) async -> Void = { _ in },
        logger: Logger = Logger(label: "starling.agent")
    ) {
        self.identity = identity
        self.advertiseAddress = advertiseAddress
        self.describe = describe
        self.onEvent = onEvent
        self.logger = logger
        self.state = Mutex(State(managers: managers))
    }

    /// Waits until a session is established (returns at once if one is).
    public func waitUntilConnected() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.connected { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Runs sessions until cancelled, moving on to the next manager when one fails.
    public func run() async throws {
        var backoff = Duration.milliseconds(100)
        var index = 0
        while !Task.isCancelled {
            let managers = state.withLock { $0.managers }
            guard !managers.isEmpty else { throw StarlingError.invalidState("no manager to connect to") }
            let address = managers[index % managers.count]
            do {
                try await runSession(with: address)
                backoff = .milliseconds(100)
            } catch is CancellationError {
                return
            } catch let error as StarlingError where error.code == .permissionDenied {
                // The managers no longer know this node (removed while its session was down).
                logger.warning("the managers refused this node", metadata: ["error": "\(error)"])
                throw Removed()
            } catch {
                if state.withLock({ $0.removed }) { throw Removed() }
                if Task.isCancelled { return }
                logger.info("session with manager ended", metadata: ["manager": "\(address)", "error": "\(error)"])
            }
            setConnected(false)
            index += 1
            try? await clock.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(2))
        }
    }

    private func runSession(with address: String) async throws {
        let target = try ControlPlaneAddress(parsing: address)
        let transport = try ControlPlaneTransport.pinnedClient(to: target, identity: identity)
        let epoch = state.withLock { state -> UInt64 in
            state.epoch += 1
            return state.epoch
        }
        try await withGRPCClient(transport: transport) { grpc in
            let client = DispatcherService.Client(wrapping: grpc)
            try await client.session { outbound, inbound in
                self.state.withLock {
                    $0.outbound = outbound
                    $0.publish = { batch in try await client.publishLogs(batch) }
                }
                defer {
                    self.state.withLock {
                        $0.outbound = nil
                        $0.publish = nil
                    }
                }
                outbound.send(
                    .register(
                        RegisterRequest(description: self.describe(), addr: self.advertiseAddress, sessionEpoch: epoch))
                )
                let period = SharedPeriod(.milliseconds(500))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var sequence: UInt64 = 0
                        while !Task.isCancelled {
                            try await self.clock.sleep(for: period.value)
                            sequence += 1
                            guard outbound.send(.heartbeat(Heartbeat(sequence: sequence))) else { return }
                        }
                    }
                    for try await message in inbound {
                        switch message {
                        case .sessionEstablished(let info):
                            period.value = info.heartbeatPeriod
                            self.remember(managers: info.managers)
                            self.setConnected(true)
                            await self.onEvent(.connected(managers: info.managers))
                        case .heartbeatAck(let ack):
                            period.value = ack.heartbeatPeriod
                        case .nodeUpdate(let update):
                            if update.removed {
                                self.state.withLock { $0.removed = true }
                                await self.onEvent(.removed)
                                throw Removed()
                            }
                            if let role = update.role { await self.onEvent(.roleChanged(role)) }
                        case .assignments(let assignments):
                            await self.onEvent(.assignments(assignments))
                        case .logSubscription(let subscription):
                            await self.onEvent(.logSubscription(subscription))
                        case .logSubscriptionEnded(let id):
                            await self.onEvent(.logSubscriptionEnded(id: id))
                        case .unknown:
                            break
                        }
                    }
                    group.cancelAll()
                }
            }
        }
    }

    private func remember(managers: [ManagerAddress]) {
        guard !managers.isEmpty else { return }
        state.withLock { $0.managers = managers.map(\.addr) }
    }

    private func setConnected(_ connected: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.connected = connected
            guard connected else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// The heartbeat period, shared between the session's reader (which learns it) and its heartbeat sender.
private final class SharedPeriod: Sendable {
    private let storage: Mutex<Duration>

    init(_ initial: Duration) { storage = Mutex(initial) }

    var value: Duration {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

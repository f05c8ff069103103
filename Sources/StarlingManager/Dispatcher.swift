import Foundation
import GRPCCore
import Logging
import StarlingControlPlane
import StarlingModel
import StarlingPKI
import StarlingStore
import Synchronization

/// Serves agent sessions (`starling.Dispatcher/Session`) and decides when nodes are down.
///
/// Heartbeats only touch the in-memory `NodeHealth`; the store is written when a node becomes ready or down, or
/// when its description changes. `run()` is the health loop: it marks silent nodes down.
public final class Dispatcher: DispatcherServiceHandler, Sendable {
    let manager: SwarmManager
    let clock = ContinuousClock()
    let tick: Duration
    private let state: Mutex<State>
    private let sessions: SessionTable
    /// Gathers task output from the nodes for the logs routes.
    public let logs: LogBroker

    struct State {
        var health: NodeHealth<ContinuousClock.Instant>
        var nextSession: UInt64 = 0
    }

    public init(manager: SwarmManager, policy: HeartbeatPolicy, tick: Duration = .milliseconds(50)) {
        self.manager = manager
        self.tick = tick
        self.state = Mutex(State(health: NodeHealth(policy: policy)))
        let sessions = SessionTable()
        self.sessions = sessions
        self.logs = LogBroker(prefix: Identifier.make().prefix(12).description) { node, message in
            sessions.push(message, to: node)
        }
    }

    /// The number of nodes with a live session.
    public var connectedNodes: Int { sessions.count }

    public func setPolicy(_ policy: HeartbeatPolicy) {
        state.withLock { $0.health.setPolicy(policy) }
    }

    // MARK: Sessions

    public func session(
        inbound: RPCAsyncSequence<AgentMessage, any Error>, outbound: RPCWriter<ManagerMessage>, context: ServerContext
    ) async throws {
        let peer = try requireAuthenticatedPeer(
            context: context, ca: manager.ca, now: manager.now().date, clusterID: manager.clusterID)
        guard try await manager.objects.get(Node.self, id: peer.nodeID) != nil else {
            throw RPCError(
                code: .permissionDenied,
                message: "node \(peer.nodeID) is not a member of this swarm: it was removed")
        }
        var messages = inbound.makeAsyncIterator()
        guard case .register(let registration)? = try await messages.next() else {
            throw RPCError(code: .invalidArgument, message: "a session must start with a register message")
        }
        let (pushes, push) = AsyncStream<ManagerMessage>.makeStream()
        let (session, period) = state.withLock { state -> (UInt64, Duration) in
            state.nextSession += 1
            let id = state.nextSession
            sessions.replace(peer.nodeID, session: id, push: push)
            state.health.sessionStarted(peer.nodeID, session: id, at: clock.now)
            return (id, state.health.period)
        }
        defer {
            let wasCurrent = state.withLock { state in
                state.health.sessionEnded(peer.nodeID, session: session, at: clock.now)
                return sessions.remove(peer.nodeID, session: session)
            }
            push.finish()
            // Subscriptions pushed on this session get nothing more (a newer session of the node keeps its own).
            if wasCurrent { logs.nodeGone(peer.nodeID) }
        }
        try await markReady(peer.nodeID, registration: registration)
        try await outbound.write(
            .sessionEstablished(
                SessionInfo(
                    nodeID: peer.nodeID, sessionID: String(session), heartbeatPeriod: period,
                    managers: try await manager.managerAddresses())))
        manager.logger.debug("session established", metadata: ["node": "\(peer.nodeID)", "session": "\(session)"])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The single writer of this stream: acknowledgements and pushed updates, in order.
                for await message in pushes {
                    try await outbound.write(message)
                }
            }
            group.addTask {
                // The node's assignments: the whole set again whenever it changes.
                try await self.followAssignments(of: peer.nodeID, push: push)
            }
            // The session lasts as long as the agent's side of the stream.
            while let message = try await messages.next() {
                switch message {
                case .heartbeat(let heartbeat):
                    let (revived, period) = state.withLock { state in
                        (state.health.heartbeat(peer.nodeID, session: session, at: clock.now), state.health.period)
                    }
                    if revived { try await markReady(peer.nodeID, registration: registration) }
                    push.yield(.heartbeatAck(HeartbeatAck(sequence: heartbeat.sequence, heartbeatPeriod: period)))
                case .taskStatus(let report):
                    try await record(report, from: peer.nodeID)
                case .register, .unknown:
                    continue
                }
            }
            group.cancelAll()
        }
    }

    /// The tasks a node must know about: every task placed on it that the managers still keep, including those that
    /// ended (the node keeps their logs until the task history lets go of them, as Docker keeps a task's container).
    static func assignments(of nodeID: String, in snapshot: ClusterSnapshot) -> [SwarmTask] {
        snapshot.objects(SwarmTask.self, matching: ObjectIndexKey(SwarmTask.Index.node, nodeID)).filter { task in
            task.status.state >= .assigned
        }
    }

    /// Sends the node its assignments now and after every change to them, until the session ends.
    private func followAssignments(
        of nodeID: String, push: AsyncStream<ManagerMessage>.Continuation
    ) async throws {
        var snapshot = try await manager.currentSnapshot()
        var sent: [SwarmTask]?
        var sequence: UInt64 = 0
        while !Task.isCancelled {
            let tasks = Self.assignments(of: nodeID, in: snapshot)
            if tasks != sent {
                sequence += 1
                push.yield(.assignments(Assignments(sequence: sequence, tasks: tasks)))
                sent = tasks
            }
            snapshot = try await manager.view.changes(after: snapshot.revision)
        }
    }

    /// Writes the task states a node reported, each only if it moves its task forward and the task is the
    /// node's (observed state is the node's to write, and it never goes back).
    private func record(_ report: TaskStatusReport, from nodeID: String) async throws {
        for update in report.updates {
            do {
                _ = try await manager.objects.update(SwarmTask.self, id: update.taskID) { task in
                    guard task.nodeID == nodeID, update.status.state >= task.status.state else { return }
                    task.status = update.status
                    task.updatedAt = manager.now()
                }
            } catch let error as StarlingError where error.code == .notFound {
                continue  // Reaped meanwhile: nothing to record.
            }
        }
    }

    /// Takes a batch of a node's task output for the log broker.
    public func publishLogs(_ batch: LogBatch, context: ServerContext) async throws -> LogBatchAck {
        let peer = try requireAuthenticatedPeer(
            context: context, ca: manager.ca, now: manager.now().date, clusterID: manager.clusterID)
        return LogBatchAck(proceed: logs.publish(batch, from: peer.nodeID))
    }

    /// Tells a connected node about a change to itself (role, removal).
    public func notify(_ nodeID: String, _ update: NodeUpdate) {
        state.withLock { state in
            sessions.push(.nodeUpdate(update), to: nodeID)
            if update.removed { state.health.forget(nodeID) }
        }
    }

    private func markReady(_ nodeID: String, registration: RegisterRequest) async throws {
        let host = (try? ControlPlaneHost.host(of: registration.addr)) ?? registration.addr
        do {
            let updated = try await manager.objects.update(Node.self, id: nodeID) { node in
                node.description = registration.description
                node.status = NodeStatus(state: .ready, addr: host)
                node.updatedAt = manager.now()
            }
            _ = try await manager.view.snapshot(atLeast: Revision(updated.version.index))
        } catch let error as StarlingError where error.code == .notFound {
            throw RPCError(code: .permissionDenied, message: "node \(nodeID) was removed from the swarm")
        }
    }

    // MARK: Health loop

    /// Marks nodes down when their heartbeats stop, until cancelled. Nodes known from the store that never
    /// connect after a restart are marked down too.
    public func run() async throws {
        let start = clock.now
        for node in try await manager.nodes() where node.status.state != .down {
            state.withLock { $0.health.expect(node.id, at: start) }
        }
        while !Task.isCancelled {
            try await clock.sleep(for: tick)
            let expired = state.withLock { $0.health.expire(at: clock.now) }
            for nodeID in expired {
                await markDown(nodeID)
            }
        }
    }

    private func markDown(_ nodeID: String) async {
        do {
            try await manager.objects.update(Node.self, id: nodeID) { node in
                node.status.state = .down
                node.status.message = "heartbeat failure"
                node.updatedAt = manager.now()
            }
            manager.logger.info("node down", metadata: ["node": "\(nodeID)", "reason": "heartbeat failure"])
        } catch let error as StarlingError where error.code == .notFound {
            state.withLock { $0.health.forget(nodeID) }
        } catch {
            manager.logger.error("cannot mark node down", metadata: ["node": "\(nodeID)", "error": "\(error)"])
        }
    }
}

/// Where to push messages to each connected node's session; the newest session of a node replaces the older one.
final class SessionTable: Sendable {
    private let sessions = Mutex<[String: (id: UInt64, push: AsyncStream<ManagerMessage>.Continuation)]>([:])

    var count: Int { sessions.withLock { $0.count } }

    func replace(_ nodeID: String, session: UInt64, push: AsyncStream<ManagerMessage>.Continuation) {
        let previous = sessions.withLock { $0.updateValue((session, push), forKey: nodeID) }
        previous?.push.finish()
    }

    /// Forgets the node's session if it is still `session`; true when it was.
    func remove(_ nodeID: String, session: UInt64) -> Bool {
        sessions.withLock { sessions in
            guard sessions[nodeID]?.id == session else { return false }
            sessions[nodeID] = nil
            return true
        }
    }

    /// Queues `message` on the node's session; false when it has none.
    @discardableResult
    func push(_ message: ManagerMessage, to nodeID: String) -> Bool {
        guard let push = sessions.withLock({ $0[nodeID]?.push }) else { return false }
        if case .enqueued = push.yield(message) { return true }
        return false
    }
}

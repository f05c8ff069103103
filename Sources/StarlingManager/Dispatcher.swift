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
        let reports = ReportQueue()
        defer { reports.finish() }
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

        try await withThrowingTaskGroup(of: Void.self) { recorder in
            recorder.addTask {
                // Task states, in the order the node sent them; what piled up meanwhile is written together. Apart
                // from the session's reader, so that heartbeats never wait behind writes; it writes what is left
                // after the session ends, so no state the node sent is lost.
                try await reports.drain { updates in
                    try await self.record(TaskStatusReport(updates: updates), from: peer.nodeID)
                }
            }
            let ended: Result<Void, any Error>
            do {
                try await serve(
                    session, of: peer.nodeID, registration: registration, messages: &messages, outbound: outbound,
                    pushes: pushes, push: push, reports: reports)
                ended = .success(())
            } catch {
                ended = .failure(error)
            }
            reports.finish()
            try await recorder.waitForAll()
            try ended.get()
        }
    }

    /// Reads the agent's messages until its side of the stream ends, while writing acknowledgements and pushes and
    /// following the node's assignments.
    private func serve(
        _ session: UInt64, of nodeID: String, registration: RegisterRequest,
        messages: inout RPCAsyncSequence<AgentMessage, any Error>.AsyncIterator, outbound: RPCWriter<ManagerMessage>,
        pushes: AsyncStream<ManagerMessage>, push: AsyncStream<ManagerMessage>.Continuation, reports: ReportQueue
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The single writer of this stream: acknowledgements and pushed updates, in order.
                for await message in pushes {
                    try await outbound.write(message)
                }
            }
            group.addTask {
                // The node's assignments: the whole set again whenever it changes.
                try await self.followAssignments(of: nodeID, push: push)
            }
            // The session lasts as long as the agent's side of the stream.
            while let message = try await messages.next() {
                switch message {
                case .heartbeat(let heartbeat):
                    let (revived, period) = state.withLock { state in
                        (state.health.heartbeat(nodeID, session: session, at: clock.now), state.health.period)
                    }
                    if revived { try await markReady(nodeID, registration: registration) }
                    push.yield(.heartbeatAck(HeartbeatAck(sequence: heartbeat.sequence, heartbeatPeriod: period)))
                case .taskStatus(let report):
                    reports.yield(report)
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

    /// Sends the node its assignments now and after every change to what it must act on, until the session ends.
    /// A change of a task's observed state alone is not sent back: the node reported it, so it knows it (sending the
    /// whole set again for every state a task passes through made a busy manager's work grow with the square of its
    /// tasks).
    private func followAssignments(
        of nodeID: String, push: AsyncStream<ManagerMessage>.Continuation
    ) async throws {
        var snapshot = try await manager.currentSnapshot()
        var sent: [SwarmTask]?
        var sequence: UInt64 = 0
        while !Task.isCancelled {
            let tasks = Self.assignments(of: nodeID, in: snapshot).map(Self.assignmentView)
            if tasks != sent {
                sequence += 1
                push.yield(.assignments(Assignments(sequence: sequence, tasks: tasks)))
                sent = tasks
            }
            snapshot = try await manager.view.changes(after: snapshot.revision)
        }
    }

    /// The task as an assignment compares it: without what changes when the node reports (observed state, update
    /// time, version). The state kept is `assigned`, or the terminal state when the task already ended — all a node
    /// needs of a task it does not know yet (`TaskSupervisor` admits only tasks that have not progressed).
    static func assignmentView(_ task: SwarmTask) -> SwarmTask {
        var view = task
        view.version = ObjectVersion(index: 0)
        view.updatedAt = task.createdAt
        let state: TaskState =
            task.status.state.isTerminal ? task.status.state : task.status.state > .assigned ? .accepted : .assigned
        view.status = TaskStatus(timestamp: task.createdAt, state: state, message: "")
        return view
    }

    /// Writes the task states a node reported, each only if it moves its task forward and the task is the
    /// node's (observed state is the node's to write, and it never goes back): in one transaction over the view's
    /// latest snapshot, or, if a task changed meanwhile, one task at a time.
    private func record(_ report: TaskStatusReport, from nodeID: String) async throws {
        let snapshot = manager.view.snapshot
        var compares: [Compare] = []
        var operations: [StarlingStore.Operation] = []
        // One write per task (a transaction may not write a key twice): its latest state.
        var latest: [String: TaskStatusReport.Update] = [:]
        for update in report.updates { latest[update.taskID] = update }
        for update in report.updates where latest[update.taskID] == update {
            latest[update.taskID] = nil
            guard var task = snapshot.object(SwarmTask.self, id: update.taskID), task.nodeID == nodeID,
                update.status.state >= task.status.state
            else { continue }
            compares.append(ObjectStore.unchanged(SwarmTask.self, id: task.id, since: task.version))
            task.status = update.status
            task.updatedAt = manager.now()
            operations.append(try ObjectStore.putOperation(task))
        }
        if !operations.isEmpty,
            try await manager.objects.store.txn(Transaction(compares: compares, success: operations)).succeeded
        {
            return
        }
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

/// Task status reports of one session waiting to be written: the session's reader adds them without waiting, the
/// recorder takes everything that piled up as one batch.
final class ReportQueue: Sendable {
    private let pending = Mutex<[TaskStatusReport.Update]>([])
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation

    init() {
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func yield(_ report: TaskStatusReport) {
        pending.withLock { $0 += report.updates }
        ring.yield()
    }

    func finish() { ring.finish() }

    /// Calls `record` with everything that piled up, each time there is something, until `finish`.
    func drain(_ record: ([TaskStatusReport.Update]) async throws -> Void) async throws {
        for await _ in doorbell {
            let updates = pending.withLock { pending in
                defer { pending = [] }
                return pending
            }
            if !updates.isEmpty { try await record(updates) }
        }
    }
}

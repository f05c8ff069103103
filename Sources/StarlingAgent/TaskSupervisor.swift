import Logging
import StarlingControlPlane
import StarlingExecutor
import StarlingModel
import Synchronization

/// Runs the tasks the managers assign to this node, as SwarmKit's agent does with its task controllers, and reports
/// every state each task reaches.
///
/// `apply` takes the whole assignment set each time. A task new to this node that should run (desired `running`, or
/// `complete` for a job's task) is `accepted`, then its lifecycle (a child task of `run()`) takes it through
/// `preparing`, `ready`, `starting` and `running` (after the first healthy probe when it has a health check) to
/// `complete`, `failed` or, when the managers ask for it or stop assigning it, `shutdown`. A task whose runtime this node lacks, or whose spec cannot run, is `rejected`.
/// Observed state only moves forward. State changes go to the managers in batches through `report`; while there
/// is no session the latest state of each task is kept and sent again on the next `apply`, `sessionStarted()` or
/// resend tick.
///
/// When `run()` is cancelled (the daemon stops), every task is stopped with its stop signal and grace period and
/// removed before `run()` returns. (Keeping tasks running across a daemon restart needs adoption, which is not
/// here yet.)
public final class TaskSupervisor<C: Clock>: Sendable where C.Duration == Duration, C.Instant: Sendable {
    let executors: [String: any TaskExecutor]
    let report: @Sendable (TaskStatusReport) -> Bool
    let clock: C
    let now: @Sendable () -> Timestamp
    let logger: Logger
    let resendInterval: Duration
    let state = Mutex(SupervisorState())
    /// Held while a report is taken from the outbox and sent, so that reports leave in the order they were taken.
    private let sending = Mutex(())
    private let launches: AsyncStream<TaskLaunch>
    private let launchSink: AsyncStream<TaskLaunch>.Continuation
    /// Rung on every state change; the report loop sends what has accumulated since it last ran.
    private let doorbell: AsyncStream<Void>
    private let doorbellSink: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - executors: The executors of this node, by the `TaskSpec.Runtime` they serve (`"process"`).
    ///   - report: Sends a report on the current session; false when there is none (`AgentSession.report`).
    ///   - clock: Paces health checks and the resend tick.
    ///   - now: Stamps task states.
    ///   - resendInterval: How often states that could not be sent are tried again.
    public init(
        executors: [String: any TaskExecutor], report: @escaping @Sendable (TaskStatusReport) -> Bool, clock: C,
        logger: Logger, now: @escaping @Sendable () -> Timestamp = { Timestamp.now() },
        resendInterval: Duration = .seconds(1)
    ) {
        self.executors = executors
        self.report = report
        self.clock = clock
        self.now = now
        self.logger = logger
        self.resendInterval = resendInterval
        (launches, launchSink) = AsyncStream.makeStream(of: TaskLaunch.self)
        (doorbell, doorbellSink) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The runtimes this node can run tasks with, for its node description.
    public var supportedRuntimes: [String] { executors.keys.sorted() }

    /// Takes a new assignment set: starts the tasks that are new and should run, stops those whose desired state is
    /// now `shutdown` or later (`remove` included) and those no longer assigned. A set older than the last one applied (a lower
    /// `sequence`) is ignored; applying the same set again changes nothing. Sends the states this produced, and any
    /// that could not be sent before.
    public func apply(_ assignments: Assignments) async {
        state.withLock { state in
            guard !state.stopping else { return }
            if let last = state.lastSequence, assignments.sequence < last {
                logger.debug(
                    "ignoring an older assignment set",
                    metadata: ["sequence": "\(assignments.sequence)", "last": "\(last)"])
                return
            }
            state.lastSequence = assignments.sequence
            // Under the lock, so that stopping (which finishes the stream) cannot come between.
            for launch in reconcile(assignments.tasks, in: &state) { launchSink.yield(launch) }
        }
        flush()
    }

    /// Tells the supervisor that a new session began (`AgentSession.Event.connected`): sequence numbers start again,
    /// and states that could not be sent go out now.
    public func sessionStarted() {
        state.withLock { $0.lastSequence = nil }
        flush()
    }

    /// Runs the tasks' lifecycles until cancelled; then stops every task (stop signal, grace period), removes it,
    /// and returns. Call once.
    public func run() async throws {
        try state.withLock { state in
            guard !state.started else { throw StarlingError.invalidState("the task supervisor is already running") }
            state.started = true
        }
        // Cancellation must not reach the lifecycles: a cancelled task cannot wait out a grace period (its sleeps end
        // at once), so every task would be killed outright. The lifecycles run in a task of their own, which this
        // one awaits to the end; cancelling `run()` asks them to stop their tasks cleanly.
        let supervision = Task { await self.supervise() }
        await withTaskCancellationHandler {
            await supervision.value
        } onCancel: {
            self.beginStopping()
        }
    }

    private func supervise() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sendReports() }
            group.addTask { await self.resendPeriodically() }
            await withDiscardingTaskGroup { lifecycles in
                for await launch in launches {
                    lifecycles.addTask { await self.runLifecycle(launch) }
                }
            }
            group.cancelAll()
        }
        flush()
    }

    private func beginStopping() {
        let lifecycles = state.withLock { state in
            state.stopping = true
            return state.tasks.values.compactMap(\.lifecycle)
        }
        launchSink.finish()
        for lifecycle in lifecycles { lifecycle.end(.supervisorStopping) }
    }

    // MARK: Assignments

    /// Stops what is no longer assigned or no longer wanted, and admits new tasks. Returns the lifecycles to start.
    private func reconcile(_ tasks: [SwarmTask], in state: inout SupervisorState) -> [TaskLaunch] {
        let assigned = Set(tasks.map(\.id))
        for (id, task) in state.tasks where !assigned.contains(id) {
            if let lifecycle = task.lifecycle {
                state.tasks[id]?.isAssigned = false
                lifecycle.end(.unassigned)
            } else {
                state.tasks[id] = nil
            }
        }
        var launches: [TaskLaunch] = []
        var seen = Set<String>()
        for task in tasks where seen.insert(task.id).inserted {
            if var known = state.tasks[task.id] {
                known.isAssigned = true
                state.tasks[task.id] = known
                // A task the managers already consider over (e.g. orphaned) must not keep running beside its
                // replacement.
                if task.desiredState >= .shutdown || task.status.state.isTerminal {
                    known.lifecycle?.stop.fire(.desiredState)
                }
            } else if let launch = admit(task, in: &state) {
                launches.append(launch)
            }
        }
        return launches
    }

    /// A task this node has not seen (or has forgotten): SwarmKit's `Resolve`, then the first step of `Do`.
    private func admit(_ task: SwarmTask, in state: inout SupervisorState) -> TaskLaunch? {
        if task.status.state.isTerminal { return nil }
        if task.desiredState >= .shutdown {
            // Never ran here, so there is nothing to stop.
            record(task.id, TaskStatus(timestamp: now(), state: .shutdown, message: "shutdown"), in: &state)
            return nil
        }
        // Replicated and global tasks are desired `running`; jobs' tasks are desired `complete` (they run until they
        // exit). SwarmKit holds a task back at an earlier desired state; Starling's managers never ask for one.
        guard task.desiredState == .running || task.desiredState == .complete else { return nil }
        if task.status.state > .assigned {
            // The managers saw it progress here, but this agent does not run it: it was lost when the agent
            // restarted.
            let status = TaskStatus(
                timestamp: now(), state: .failed, message: task.status.message,
                err: "task is no longer running on this node: its agent restarted")
            record(task.id, status, in: &state)
            return nil
        }
        let plan: TaskRunPlan
        let executor: any TaskExecutor
        do {
            plan = try TaskRunPlan.make(for: task)
            guard let found = executors[plan.runtime] else {
                throw StarlingError.invalidArgument("unsupported runtime type: \"\(plan.runtime)\"")
            }
            executor = found
        } catch {
            logger.info("rejecting task", metadata: ["task": "\(task.id)", "error": "\(error)"])
            let status = TaskStatus(
                timestamp: now(), state: .rejected, message: "resolving controller failed", err: "\(error)")
            record(task.id, status, in: &state)
            return nil
        }
        let lifecycle = LifecycleControl()
        record(
            task.id, TaskStatus(timestamp: now(), state: .accepted, message: "accepted"), lifecycle: lifecycle,
            in: &state)
        return TaskLaunch(
            taskID: task.id, plan: plan, executor: executor, stop: lifecycle.stop, release: lifecycle.release)
    }

    private func record(
        _ id: String, _ status: TaskStatus, lifecycle: LifecycleControl? = nil, in state: inout SupervisorState
    ) {
        state.tasks[id] = SupervisedTask(status: status, lifecycle: lifecycle)
        state.outbox.append(TaskStatusReport.Update(taskID: id, status: status))
    }

    // MARK: States and reports

    /// Moves a task forward to `next` and queues the report; ignored unless it is a later state than the task's and
    /// the task has not ended (a terminal state is final). A `nil` message keeps the current one (SwarmKit keeps it
    /// when a task fails).
    func transition(
        _ id: String, to next: TaskState, message: String? = nil, err: String? = nil,
        containerStatus: ContainerStatus? = nil
    ) {
        let moved = state.withLock { state -> Bool in
            guard var task = state.tasks[id], !task.status.state.isTerminal, next > task.status.state else {
                return false
            }
            task.status = TaskStatus(
                timestamp: now(), state: next, message: message ?? task.status.message, err: err,
                containerStatus: containerStatus)
            state.tasks[id] = task
            state.outbox.append(TaskStatusReport.Update(taskID: id, status: task.status))
            return true
        }
        guard moved else { return }
        logger.debug("task state changed", metadata: ["task": "\(id)", "state": "\(next.rawValue)"])
        doorbellSink.yield()
    }

    /// The lifecycle of `id` has ended and its handle is removed: forget the task unless it is still assigned (then
    /// it is forgotten once it leaves the assignment set).
    func lifecycleEnded(_ id: String) {
        state.withLock { state in
            guard var task = state.tasks[id] else { return }
            if task.isAssigned {
                task.lifecycle = nil
                task.handle = nil
                state.tasks[id] = task
            } else {
                state.tasks[id] = nil
            }
        }
    }

    /// Keeps the handle `prepare` made for `id`, so that its logs can be read until it is removed.
    func keep(_ handle: any TaskHandle, for id: String) {
        state.withLock { $0.tasks[id]?.handle = handle }
    }

    /// The handles of those of `ids` this node holds (running, or ended but not yet let go), for their logs.
    public func handles(_ ids: [String]) -> [String: any TaskHandle] {
        state.withLock { state in
            var found: [String: any TaskHandle] = [:]
            for id in ids {
                if let handle = state.tasks[id]?.handle { found[id] = handle }
            }
            return found
        }
    }

    /// Sends everything pending as one report; keeps it (the latest state per task) when there is no session.
    func flush() {
        sending.withLock { _ in
            guard let pending = state.withLock({ $0.outbox.take() }) else { return }
            if !report(pending) {
                state.withLock { $0.outbox.putBack(pending) }
            }
        }
    }

    private func sendReports() async {
        for await _ in doorbell { flush() }
    }

    private func resendPeriodically() async {
        while true {
            do {
                try await clock.sleep(for: resendInterval)
            } catch {
                return
            }
            flush()
        }
    }
}

/// Why a task is being stopped.
enum TaskStopReason: Sendable {
    /// Its desired state is `shutdown` or later, or the managers consider it over.
    case desiredState
    /// It is no longer in the assignment set.
    case unassigned
    /// The supervisor is stopping (the daemon shuts down).
    case supervisorStopping
}

/// A task handed from `apply` to `run()`, which starts its lifecycle.
struct TaskLaunch: Sendable {
    let taskID: String
    let plan: TaskRunPlan
    let executor: any TaskExecutor
    /// Fires when the task must stop.
    let stop: Latch<TaskStopReason>
    /// Fires when the task's handle may be removed (with its logs): the task left the assignment set, or the
    /// supervisor stops. A task that ended keeps its handle until then, as Docker keeps a task's container.
    let release: Latch<Void>
}

/// The two signals that end a task's lifecycle: stop it, then let its handle go.
struct LifecycleControl: Sendable {
    let stop = Latch<TaskStopReason>()
    let release = Latch<Void>()

    /// Stops the task and lets its handle go.
    func end(_ reason: TaskStopReason) {
        stop.fire(reason)
        release.fire(())
    }
}

/// What the supervisor knows of one task.
struct SupervisedTask {
    /// The latest state this node observed.
    var status: TaskStatus
    /// In the latest assignment set.
    var isAssigned = true
    /// Set while a lifecycle owns the task (until its handle is removed).
    var lifecycle: LifecycleControl?
    /// The task's prepared handle, while the lifecycle holds it: its logs can be read.
    var handle: (any TaskHandle)?
}

/// The supervisor's mutable state.
struct SupervisorState {
    var tasks: [String: SupervisedTask] = [:]
    var lastSequence: UInt64?
    var outbox = TaskStatusOutbox()
    var started = false
    var stopping = false
}

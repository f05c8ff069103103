import Logging
import StarlingControlPlane
import StarlingExecutor
import StarlingModel
import StarlingTestSupport
import Synchronization
import Testing

@testable import StarlingAgent

/// A value that tests can wait on: `wait(until:)` returns once an update makes the predicate true.
final class Watched<Value: Sendable>: Sendable {
    private struct Waiter {
        let predicate: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Value, Never>
    }

    private let state: Mutex<(value: Value, waiters: [Waiter])>

    init(_ value: Value) { state = Mutex((value, [])) }

    var value: Value { state.withLock { $0.value } }

    func update(_ body: (inout Value) -> Void) {
        let (value, ready) = state.withLock { state -> (Value, [CheckedContinuation<Value, Never>]) in
            body(&state.value)
            let value = state.value
            let ready = state.waiters.filter { $0.predicate(value) }.map(\.continuation)
            state.waiters.removeAll { $0.predicate(value) }
            return (value, ready)
        }
        for continuation in ready { continuation.resume(returning: value) }
    }

    @discardableResult
    func wait(until predicate: @escaping @Sendable (Value) -> Bool) async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                if predicate(state.value) { return state.value }
                state.waiters.append(Waiter(predicate: predicate, continuation: continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// A task handle whose process is a script: it exits when the test says so, or when stopped (with the stop signal,
/// or SIGKILL when it ignores it); its health probes answer from a list.
final class FakeHandle: TaskHandle {
    struct Script: Sendable {
        var startError: StarlingError?
        /// Probe results in order; once used up, probes pass.
        var probes: [ExecResult] = []
        /// Like busybox `sleep` as PID 1: only the SIGKILL after the grace period ends it.
        var ignoresStopSignal = false
    }

    struct Calls: Sendable, Equatable {
        var started = false
        var stops: [Stop] = []
        var removed = false
        var probes = 0
    }

    struct Stop: Sendable, Equatable {
        var signal: Int32
        var gracePeriod: Duration
    }

    let taskID: String
    let executable: ExecutableTask
    let calls = Watched(Calls())
    private let script: Mutex<Script>
    private let exitStatus = Latch<StarlingExecutor.ExitStatus>()

    init(_ executable: ExecutableTask, script: Script) {
        taskID = executable.id
        self.executable = executable
        self.script = Mutex(script)
    }

    var pid: Int32? { calls.value.started ? 4242 : nil }

    func start() async throws {
        if let error = script.withLock({ $0.startError }) { throw error }
        calls.update { $0.started = true }
    }

    func wait() async throws -> StarlingExecutor.ExitStatus {
        guard let status = await exitStatus.wait() else { throw CancellationError() }
        return status
    }

    func stop(signal: Int32, gracePeriod: Duration) async throws {
        calls.update { $0.stops.append(Stop(signal: signal, gracePeriod: gracePeriod)) }
        let ignores = script.withLock { $0.ignoresStopSignal }
        exitStatus.fire(StarlingExecutor.ExitStatus(.signaled(signal: ignores ? 9 : signal)))
    }

    func remove() async throws {
        exitStatus.fire(StarlingExecutor.ExitStatus(.signaled(signal: 9)))
        calls.update { $0.removed = true }
    }

    func logs(follow: Bool, tail: Int?) -> AsyncThrowingStream<LogEntry, any Error> { AsyncThrowingStream { nil } }

    func exec(_ command: [String], timeout: Duration) async throws -> ExecResult {
        calls.update { $0.probes += 1 }
        return script.withLock { $0.probes.isEmpty ? ExecResult(exitCode: 0, output: "ok") : $0.probes.removeFirst() }
    }

    /// The task's process ends.
    func exit(_ status: StarlingExecutor.ExitStatus) { exitStatus.fire(status) }
    func exit(code: Int32) { exit(StarlingExecutor.ExitStatus(.exited(code: code))) }
}

/// The `process` runtime, scripted: each task gets a `FakeHandle` with the script set for its ID.
final class FakeExecutor: TaskExecutor {
    let runtime = "process"
    private let scripts = Mutex<[String: FakeHandle.Script]>([:])
    private let refusals = Mutex<[String: StarlingError]>([:])
    private let gates = Mutex<[String: Latch<Void>]>([:])
    let handles = Watched([String: FakeHandle]())
    let prepared = Watched([String]())

    func script(_ id: String, _ script: FakeHandle.Script) { scripts.withLock { $0[id] = script } }
    func refuse(_ id: String, with error: StarlingError) { refusals.withLock { $0[id] = error } }

    /// Makes `prepare` of `id` wait until `open` is called.
    func gate(_ id: String) { gates.withLock { $0[id] = Latch() } }
    func open(_ id: String) { gates.withLock { $0[id] }?.fire(()) }

    func prepare(_ task: ExecutableTask) async throws -> any TaskHandle {
        prepared.update { $0.append(task.id) }
        if let gate = gates.withLock({ $0[task.id] }) { _ = await gate.wait() }
        if let refusal = refusals.withLock({ $0[task.id] }) { throw refusal }
        let handle = FakeHandle(task, script: scripts.withLock { $0[task.id] } ?? FakeHandle.Script())
        handles.update { $0[task.id] = handle }
        return handle
    }

    func handle(_ id: String) async -> FakeHandle {
        await handles.wait { $0[id] != nil }[id]!
    }
}

/// Records the reports the supervisor sends; while `connected` is false they fail, as without a session.
final class ReportRecorder: Sendable {
    struct Attempt: Sendable {
        var report: TaskStatusReport
        var delivered: Bool
    }

    let attempts = Watched([Attempt]())
    private let connectedState = Mutex(true)

    var connected: Bool {
        get { connectedState.withLock { $0 } }
        set { connectedState.withLock { $0 = newValue } }
    }

    func send(_ report: TaskStatusReport) -> Bool {
        let delivered = connected
        attempts.update { $0.append(Attempt(report: report, delivered: delivered)) }
        return delivered
    }

    var delivered: [TaskStatusReport] { attempts.value.filter(\.delivered).map(\.report) }

    /// Every status delivered for `id`, in order.
    func statuses(_ id: String) -> [TaskStatus] {
        delivered.flatMap(\.updates).filter { $0.taskID == id }.map(\.status)
    }

    func states(_ id: String) -> [TaskState] { statuses(id).map(\.state) }

    /// Waits until a delivered report (or, with `delivered: false`, any attempt) carries `state` for `id`.
    @discardableResult
    func waitFor(_ id: String, _ state: TaskState, delivered: Bool = true) async -> TaskStatus {
        let attempts = await attempts.wait { attempts in
            attempts.contains { attempt in
                (attempt.delivered || !delivered)
                    && attempt.report.updates.contains { $0.taskID == id && $0.status.state == state }
            }
        }
        return attempts.flatMap(\.report.updates).last { $0.taskID == id && $0.status.state == state }!.status
    }
}

/// A supervisor over a fake executor, a manual clock and a report recorder; time stamps count up by a second.
struct SupervisorHarness {
    let executor = FakeExecutor()
    let recorder = ReportRecorder()
    let clock = ManualClock()
    let supervisor: TaskSupervisor<ManualClock>
    /// Longer than any test advances the clock, unless it means to resend.
    static let resendInterval = Duration.seconds(3600)

    init() {
        let recorder = recorder
        let tick = Mutex<Int64>(1_000)
        var logger = Logger(label: "supervisor-tests")
        logger.logLevel = .critical
        supervisor = TaskSupervisor(
            executors: ["process": executor], report: { recorder.send($0) }, clock: clock, logger: logger,
            now: {
                tick.withLock {
                    $0 += 1
                    return Timestamp(seconds: $0)
                }
            },
            resendInterval: Self.resendInterval)
    }

    /// Runs `body` while the supervisor runs, then cancels it and waits until it has stopped every task.
    func running(_ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await supervisor.run() }
            try await body()
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    func apply(_ sequence: UInt64, _ tasks: [SwarmTask]) async {
        await supervisor.apply(Assignments(sequence: sequence, tasks: tasks))
    }
}

/// An assigned process task.
func processTask(
    _ id: String, desired: TaskState = .running, state: TaskState = .assigned, command: [String]? = ["server"],
    args: [String]? = nil, runtime: TaskRuntime? = .process, healthcheck: HealthConfig? = nil,
    stopSignal: String? = nil, stopGracePeriod: Duration? = nil
) -> SwarmTask {
    var container = ContainerSpec(
        command: command, args: args, stopGracePeriod: stopGracePeriod.map(nanoseconds), healthcheck: healthcheck)
    container.stopSignal = stopSignal
    return SwarmTask(
        id: id, createdAt: Timestamp(seconds: 1), updatedAt: Timestamp(seconds: 1),
        spec: TaskSpec(containerSpec: container, runtime: runtime), serviceID: "service", slot: 1, nodeID: "node",
        status: TaskStatus(timestamp: Timestamp(seconds: 1), state: state), desiredState: desired)
}

func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}

extension SwarmTask {
    func with(desired: TaskState) -> SwarmTask {
        var task = self
        task.desiredState = desired
        return task
    }
}

import Foundation
import Logging
import StarlingModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A `process` task: its main process, the relay that logs its output, and its cgroup.
final class ProcessTaskHandle: TaskHandle {
    /// Where the task is in its life. Each case carries what that step needs.
    private enum Phase {
        case prepared
        case starting
        case running(WatchedChild, OutputRelay)
        case failed(StarlingError)
        case removed
    }

    private struct State {
        var phase = Phase.prepared
        /// The main process's last pid, kept after it ends.
        var pid: Int32?
        /// Set on the waiting thread when the main process ends, before waiters resume.
        var oomKilled = false
    }

    let taskID: String
    private let spec: LaunchSpec
    private let directory: String
    private let log: TaskLog
    private let cgroup: TaskCgroup?
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let state = Mutex(State())

    init(
        taskID: String, spec: LaunchSpec, directory: String, log: TaskLog, cgroup: TaskCgroup?,
        clock: any Clock<Duration>, logger: Logger
    ) {
        self.taskID = taskID
        self.spec = spec
        self.directory = directory
        self.log = log
        self.cgroup = cgroup
        self.clock = clock
        self.logger = logger
    }

    var pid: Int32? { state.withLock { $0.pid } }

    func start() async throws {
        try state.withLock { state in
            guard case .prepared = state.phase else { throw invalidState("start", state.phase) }
            state.phase = .starting
        }
        do {
            let (child, relay) = try launch()
            state.withLock { state in
                state.phase = .running(child, relay)
                state.pid = child.pid
            }
        } catch {
            let failure = error as? StarlingError ?? StarlingError.internal("\(error)")
            state.withLock { $0.phase = .failed(failure) }
            throw failure
        }
    }

    /// Spawns the main process at its gate, puts it in the cgroup, records it, and opens the gate.
    private func launch() throws -> (WatchedChild, OutputRelay) {
        let stdout = try Descriptors.pipe()
        let stderr: (read: Int32, write: Int32)
        let relay: OutputRelay
        do {
            stderr = try Descriptors.pipe()
        } catch {
            [stdout.read, stdout.write].forEach { _ = close($0) }
            throw error
        }
        do {
            relay = try OutputRelay(sources: [(stdout.read, .stdout), (stderr.read, .stderr)], sink: log)
        } catch {
            [stdout.read, stdout.write, stderr.read, stderr.write].forEach { _ = close($0) }
            throw error
        }
        let gated: ChildLauncher.Gated
        do {
            defer { [stdout.write, stderr.write].forEach { _ = close($0) } }
            gated = try ChildLauncher.spawn(spec, stdout: stdout.write, stderr: stderr.write)
        } catch {
            relay.discard()
            throw error
        }
        relay.start(name: "starling-log-\(gated.pid)")
        let child = WatchedChild.watch(gated.pid) { [self] child in mainProcessExited(child, relay: relay) }

        do {
            try cgroup?.add(pid: gated.pid)
        } catch {
            gated.abandon()
            throw StarlingError.internal("cannot start task \(taskID): cannot join its cgroup: \(error)")
        }
        let record = ProcessTaskRecord(
            taskID: taskID, pid: gated.pid,
            startTime: ProcessTaskRecord.processStat(pid: gated.pid)?.startTime ?? 0, startedAt: Timestamp.now(),
            cgroups: cgroup?.plan.directories.map(\.path) ?? [])
        do {
            try record.write(directory: directory)
        } catch {
            logger.error("cannot record the task's process", metadata: ["task": "\(taskID)", "error": "\(error)"])
        }
        gated.open()
        return (child, relay)
    }

    /// On the waiting thread, the main process a zombie: ends what is left of the task (its group and cgroup, as a
    /// container's processes end with its init), drains the output, and notes an OOM kill.
    private func mainProcessExited(_ child: WatchedChild, relay: OutputRelay) {
        child.signalGroup(SIGKILL)
        killCgroupMembers()
        relay.drain()
        let oomKilled = (cgroup?.oomKillCount() ?? 0) > 0
        state.withLock { $0.oomKilled = oomKilled }
    }

    private func killCgroupMembers() {
        guard let cgroup, !cgroup.killAll() else { return }
        for member in cgroup.members() { kill(member, SIGKILL) }
    }

    func wait() async throws -> ExitStatus {
        let child = try state.withLock { state -> WatchedChild in
            switch state.phase {
            case .running(let child, _): return child
            case .failed(let error): throw error
            case .prepared, .starting, .removed: throw invalidState("wait for", state.phase)
            }
        }
        let raw = try await child.wait()
        let oomKilled = state.withLock { $0.oomKilled }
        guard let raw else {
            logger.error(
                "the task's process was reaped elsewhere: exit status unknown", metadata: ["task": "\(taskID)"])
            return ExitStatus(.exited(code: 255), oomKilled: oomKilled)
        }
        return ExitStatus(waitStatus: raw, oomKilled: oomKilled)
    }

    func stop(signal: Int32, gracePeriod: Duration) async throws {
        let child = state.withLock { state -> WatchedChild? in
            guard case .running(let child, _) = state.phase else { return nil }
            return child
        }
        guard let child, child.signalGroup(signal) else { return }
        if signal != SIGKILL, gracePeriod > .zero, await child.exits(within: gracePeriod, clock: clock) { return }
        if child.signalGroup(SIGKILL) { killCgroupMembers() }
        _ = try await child.wait()
    }

    func remove() async throws {
        let relay = try state.withLock { state -> OutputRelay?? in
            switch state.phase {
            case .removed: return .none
            case .starting: throw invalidState("remove", state.phase)
            case .running(_, let relay): return .some(relay)
            case .prepared, .failed: return .some(nil)
            }
        }
        guard let relay else { return }
        try await stop(signal: SIGKILL, gracePeriod: .zero)
        relay?.close()
        log.finish()
        try await removeCgroup()
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            throw StarlingError.internal("cannot remove the task directory \(directory): \(error)")
        }
        state.withLock { $0.phase = .removed }
    }

    /// Removes the cgroup, killing stragglers: processes killed a moment ago may not have left it yet.
    private func removeCgroup() async throws {
        guard let cgroup else { return }
        var attempt = 0
        while true {
            do {
                try cgroup.remove()
                return
            } catch {
                attempt += 1
                guard attempt < 100 else { throw error }
                killCgroupMembers()
                try await clock.sleep(for: .milliseconds(10))
            }
        }
    }

    func logs(follow: Bool, tail: Int?) -> AsyncThrowingStream<LogEntry, any Error> {
        log.entries(follow: follow, tail: tail)
    }

    func exec(_ command: [String], timeout: Duration) async throws -> ExecResult {
        try state.withLock { state in
            guard case .running(let child, _) = state.phase, !child.isReaped else {
                throw invalidState("exec in", state.phase)
            }
        }
        guard let name = command.first else { throw StarlingError.invalidArgument("no command specified") }
        var spec = spec
        spec.executable = try CommandResolution.executable(
            name, environment: spec.environment, workingDirectory: spec.workingDirectory)
        spec.arguments = Array(command.dropFirst())
        return try await ProcessExec(spec: spec, cgroup: cgroup, clock: clock).run(timeout: timeout)
    }

    private func invalidState(_ operation: String, _ phase: Phase) -> StarlingError {
        let description =
            switch phase {
            case .prepared: "it has not been started"
            case .starting: "it is starting"
            case .running(let child, _): child.isReaped ? "it has ended" : "it is running"
            case .failed: "it failed to start"
            case .removed: "it has been removed"
            }
        return StarlingError.invalidState("cannot \(operation) task \(taskID): \(description)")
    }
}

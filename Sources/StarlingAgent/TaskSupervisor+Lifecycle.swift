import Logging
import StarlingExecutor
import StarlingModel

/// What happens to a running task, in the order the lifecycle learns of it.
private enum LifecycleEvent: Sendable {
    case exited(Result<ExitStatus, any Error>)
    case health(HealthStatus)
    case stopRequested(TaskStopReason)
}

/// Why the supervisor itself stopped a running task.
private enum StopCause {
    case requested
    case unhealthy
}

/// Docker's cause for a task stopped because its health check failed (`ErrContainerUnhealthy`).
let unhealthyCause = "dockerexec: unhealthy container"

extension TaskSupervisor {
    /// One task's life on this node, from `accepted` to a terminal state, then (once the task is no longer assigned,
    /// or the supervisor stops) the removal of what its executor created. In between, the ended task's logs stay.
    func runLifecycle(_ launch: TaskLaunch) async {
        let handle = await prepare(launch)
        if let handle {
            keep(handle, for: launch.taskID)
            if await start(handle, launch) { await superviseRunning(handle, launch) }
        }
        _ = await launch.release.wait()
        if let handle {
            do {
                try await handle.remove()
            } catch {
                logger.warning(
                    "cannot remove the task's resources", metadata: ["task": "\(launch.taskID)", "error": "\(error)"])
            }
        }
        lifecycleEnded(launch.taskID)
    }

    /// `preparing`, then `ready`; `rejected` when the executor refuses the task. Returns the prepared handle.
    private func prepare(_ launch: TaskLaunch) async -> (any TaskHandle)? {
        let id = launch.taskID
        if shutDownIfAsked(launch) { return nil }
        transition(id, to: .preparing, message: "preparing")
        let handle: any TaskHandle
        do {
            handle = try await launch.executor.prepare(launch.plan.executable)
        } catch {
            logger.info("task rejected by its executor", metadata: ["task": "\(id)", "error": "\(error)"])
            transition(id, to: .rejected, err: "\(error)")
            return nil
        }
        if shutDownIfAsked(launch) { return handle }
        transition(id, to: .ready, message: "prepared")
        return handle
    }

    /// `starting`, then the executor starts the task; `failed` when it cannot. True when the task runs.
    private func start(_ handle: any TaskHandle, _ launch: TaskLaunch) async -> Bool {
        let id = launch.taskID
        if shutDownIfAsked(launch) { return false }
        transition(id, to: .starting, message: "starting")
        do {
            try await handle.start()
            logger.info("task started", metadata: ["task": "\(id)", "pid": "\(handle.pid.map(String.init) ?? "-")"])
            return true
        } catch {
            logger.info("task could not start", metadata: ["task": "\(id)", "error": "\(error)"])
            transition(id, to: .failed, err: "starting task failed: \(error)", containerStatus: containerStatus(handle))
            return false
        }
    }

    /// A task asked to stop before it started is simply `shutdown`.
    private func shutDownIfAsked(_ launch: TaskLaunch) -> Bool {
        guard launch.stop.value != nil else { return false }
        transition(launch.taskID, to: .shutdown, message: "shutdown")
        return true
    }

    /// From `starting` until the task's process ends: `running` at once, or after the first healthy probe; stops
    /// the task when asked to or when it turns unhealthy; then the terminal state.
    private func superviseRunning(_ handle: any TaskHandle, _ launch: TaskLaunch) async {
        let id = launch.taskID
        let plan = launch.plan
        let running = containerStatus(handle)
        if plan.healthCheck == nil { transition(id, to: .running, message: "started", containerStatus: running) }
        let startedAt = clock.now
        let (events, sink) = AsyncStream.makeStream(of: LifecycleEvent.self)
        let (exit, cause) = await withTaskGroup(of: Void.self) { group in
            group.addTask { sink.yield(.exited(await Self.exitStatus(of: handle))) }
            group.addTask {
                if let reason = await launch.stop.wait() { sink.yield(.stopRequested(reason)) }
            }
            if let check = plan.healthCheck {
                let loop = HealthCheckLoop(check: check, clock: clock, wallClock: now)
                group.addTask {
                    try? await loop.run(handle: handle, startedAt: startedAt) { health, changed in
                        if changed { sink.yield(.health(health.status)) }
                    }
                }
            }
            var cause: StopCause?
            for await event in events {
                switch event {
                case .exited(let exit):
                    group.cancelAll()
                    return (exit, cause)
                case .health(.healthy):
                    if cause == nil { transition(id, to: .running, message: "started", containerStatus: running) }
                case .health(.unhealthy):
                    guard cause == nil else { continue }
                    logger.info("task unhealthy: stopping it", metadata: ["task": "\(id)"])
                    cause = .unhealthy
                    group.addTask { await self.stop(handle, plan) }
                case .health(.starting):
                    continue
                case .stopRequested(let reason):
                    guard cause == nil else { continue }
                    logger.info("stopping task", metadata: ["task": "\(id)", "reason": "\(reason)"])
                    cause = .requested
                    group.addTask { await self.stop(handle, plan) }
                }
            }
            // Not reached: the stream ends only after the exit, which returns above.
            group.cancelAll()
            return (.failure(CancellationError()), cause)
        }
        ended(id, exit: exit, cause: cause, containerStatus: running)
    }

    /// The terminal state for how the task ended and why.
    private func ended(
        _ id: String, exit: Result<ExitStatus, any Error>, cause: StopCause?, containerStatus: ContainerStatus
    ) {
        var containerStatus = containerStatus
        switch exit {
        case .success(let status):
            containerStatus.exitCode = Int(status.exitCode)
            logger.info("task ended", metadata: ["task": "\(id)", "exitCode": "\(status.exitCode)"])
            switch cause {
            case .requested:
                transition(id, to: .shutdown, message: "shutdown", containerStatus: containerStatus)
            case .unhealthy:
                let err =
                    status.exitCode == 0
                    ? unhealthyCause : "task: non-zero exit (\(status.exitCode)): \(unhealthyCause)"
                transition(id, to: .failed, err: err, containerStatus: containerStatus)
            case nil:
                if let err = status.errorMessage {
                    transition(id, to: .failed, err: err, containerStatus: containerStatus)
                } else {
                    transition(id, to: .complete, message: "finished", containerStatus: containerStatus)
                }
            }
        case .failure(let error):
            logger.warning("lost track of the task", metadata: ["task": "\(id)", "error": "\(error)"])
            if cause == .requested {
                transition(id, to: .shutdown, message: "shutdown", containerStatus: containerStatus)
            } else {
                transition(id, to: .failed, err: "\(error)", containerStatus: containerStatus)
            }
        }
    }

    /// Stops the task with its stop signal, then SIGKILL after its grace period.
    private func stop(_ handle: any TaskHandle, _ plan: TaskRunPlan) async {
        do {
            try await handle.stop(signal: plan.stopSignal, gracePeriod: plan.stopGracePeriod)
        } catch {
            logger.warning("cannot stop the task", metadata: ["task": "\(handle.taskID)", "error": "\(error)"])
        }
    }

    private func containerStatus(_ handle: any TaskHandle) -> ContainerStatus {
        ContainerStatus(containerID: handle.taskID, pid: handle.pid.map(Int.init))
    }

    private static func exitStatus(of handle: any TaskHandle) async -> Result<ExitStatus, any Error> {
        do {
            return .success(try await handle.wait())
        } catch {
            return .failure(error)
        }
    }
}

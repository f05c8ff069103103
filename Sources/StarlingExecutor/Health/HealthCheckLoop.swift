import StarlingModel

/// Runs a `HealthMonitor` against a task: sleeps on the injected clock, runs each probe with the handle's `exec`,
/// and reports the health after every probe. Runs until cancelled, or returns at once when the check is disabled.
public struct HealthCheckLoop<C: Clock>: Sendable where C.Duration == Duration, C.Instant: Sendable {
    private let check: HealthCheck
    private let clock: C
    private let shell: [String]
    private let wallClock: @Sendable () -> Timestamp

    /// `clock` paces the probes; `wallClock` stamps the probe log that Docker shows.
    public init(
        check: HealthCheck, clock: C, shell: [String] = ["/bin/sh", "-c"],
        wallClock: @escaping @Sendable () -> Timestamp = { Timestamp.now() }
    ) {
        self.check = check
        self.clock = clock
        self.shell = shell
        self.wallClock = wallClock
    }

    /// Probes `handle`, whose task started at `startedAt`. `update` gets the health after each probe, and whether
    /// its status changed with that probe.
    public func run(
        handle: any TaskHandle, startedAt: C.Instant,
        update: @Sendable (HealthState, _ statusChanged: Bool) async -> Void
    ) async throws {
        var monitor = HealthMonitor(check: check, startedAt: startedAt, shell: shell)
        while true {
            try Task.checkCancellation()
            switch monitor.next(now: clock.now) {
            case .none:
                return
            case .sleep(let deadline):
                try await clock.sleep(until: deadline, tolerance: nil)
            case .probe(let command, let timeout):
                let began = clock.now
                let result = try await probe(handle, command: command, timeout: timeout)
                let changed = monitor.probeFinished(result, began: began, now: clock.now)
                await update(monitor.state, changed != nil)
            }
        }
    }

    /// One probe, with Docker's wording for one that timed out or could not run (exit code -1 for both).
    private func probe(
        _ handle: any TaskHandle, command: [String], timeout: Duration
    ) async throws
        -> HealthProbeResult
    {
        let start = wallClock()
        let exitCode: Int32
        let output: String
        do {
            let result = try await handle.exec(command, timeout: timeout)
            if result.timedOut {
                exitCode = -1
                output = "Health check exceeded timeout (\(goDurationText(timeout)))"
            } else {
                exitCode = result.exitCode
                output = result.output
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            exitCode = -1
            output = "\(error)"
        }
        return HealthProbeResult(start: start, end: wallClock(), exitCode: exitCode, output: output)
    }
}

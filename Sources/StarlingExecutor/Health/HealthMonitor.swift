/// Docker's health-check rules as a state machine: no clock, no I/O. The caller asks `next(now:)` what to do, runs
/// the probe it is told to, and reports it with `probeFinished`.
///
/// Rules (moby `daemon/health.go`): the first probe runs one interval after the start, each next one an interval
/// after the previous ended. A probe that exits 0 makes the task healthy and resets the failing streak; any other
/// result adds to the streak, and `retries` failures in a row make it unhealthy. While the task is still
/// `starting`, failures of probes that began within the start period do not count.
public struct HealthMonitor<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// What the caller should do next.
    public enum Action: Sendable, Equatable {
        /// The check is disabled: nothing to do, ever.
        case none
        /// Nothing until `until`, then ask again.
        case sleep(until: Instant)
        /// Run `command` in the task, killing it after `timeout`, then report with `probeFinished`.
        case probe(command: [String], timeout: Duration)
    }

    /// Status, failing streak and the last probes.
    public private(set) var state = HealthState()

    private let command: [String]?
    private let interval: Duration
    private let timeout: Duration
    private let retries: Int
    private let startPeriod: Duration
    private let startedAt: Instant
    private var nextProbe: Instant
    private var probing = false

    /// `startedAt` is when the task started; `shell` runs `CMD-SHELL` tests.
    public init(check: HealthCheck, startedAt: Instant, shell: [String] = ["/bin/sh", "-c"]) {
        command = check.probeCommand(shell: shell)
        interval = check.effectiveInterval
        timeout = check.effectiveTimeout
        retries = check.effectiveRetries
        startPeriod = check.effectiveStartPeriod
        self.startedAt = startedAt
        nextProbe = startedAt.advanced(by: interval)
    }

    /// Whether the check does anything at all.
    public var isEnabled: Bool { command != nil }

    /// The next step at `now`. Asking again while a probe runs says to run it again: report the first one first.
    public mutating func next(now: Instant) -> Action {
        guard let command else { return .none }
        if !probing && now < nextProbe { return .sleep(until: nextProbe) }
        probing = true
        return .probe(command: command, timeout: timeout)
    }

    /// Records a finished probe that began at `began` and ended at `now`. Returns the new status when it changed.
    @discardableResult
    public mutating func probeFinished(_ result: HealthProbeResult, began: Instant, now: Instant) -> HealthStatus? {
        probing = false
        nextProbe = now.advanced(by: interval)
        var result = result
        result.output = truncated(result.output)
        state.log.append(result)
        if state.log.count > HealthState.maximumLogEntries {
            state.log.removeFirst(state.log.count - HealthState.maximumLogEntries)
        }

        let before = state.status
        if result.exitCode == 0 {
            state.failingStreak = 0
            state.status = .healthy
        } else if !(state.status == .starting && startedAt.duration(to: began) < startPeriod) {
            state.failingStreak += 1
            if state.failingStreak >= retries { state.status = .unhealthy }
        }
        return state.status == before ? nil : state.status
    }

    /// At most `ExecResult.maximumOutput` bytes, cut on a character boundary.
    private func truncated(_ output: String) -> String {
        truncatedUTF8(output, limit: ExecResult.maximumOutput)
    }
}

/// The longest prefix of `text` whose UTF-8 form fits in `limit` bytes, cut between Unicode scalars.
func truncatedUTF8(_ text: String, limit: Int) -> String {
    guard text.utf8.count > limit else { return text }
    var scalars = String.UnicodeScalarView()
    var bytes = 0
    for scalar in text.unicodeScalars {
        bytes += UTF8.width(scalar)
        if bytes > limit { break }
        scalars.append(scalar)
    }
    return String(scalars)
}

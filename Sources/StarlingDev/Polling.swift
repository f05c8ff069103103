import StarlingModel

/// How long the dev cluster waits for things, and how often it looks.
public struct DevTimeouts: Hashable, Sendable {
    /// From starting a daemon to its API answering.
    public var apiReady: Duration
    /// From the last join to every node being `ready`.
    public var nodesReady: Duration
    /// From SIGTERM to SIGKILL in `dev down`, and from SIGKILL to giving up.
    public var stop: Duration
    public var pollInterval: Duration

    public init(
        apiReady: Duration = .seconds(30), nodesReady: Duration = .seconds(60), stop: Duration = .seconds(10),
        pollInterval: Duration = .milliseconds(100)
    ) {
        self.apiReady = apiReady
        self.nodesReady = nodesReady
        self.stop = stop
        self.pollInterval = pollInterval
    }
}

/// Calls `attempt` every `interval` until it returns a value, and returns that value; throws `unavailable` with
/// `what` (and the last reason given) once `timeout` has passed on `clock`.
///
/// `attempt` returns `.done(value)`, or `.waiting(reason)` to try again; it throws to give up at once.
func poll<T>(
    clock: any Clock<Duration>, timeout: Duration, interval: Duration, _ what: String,
    _ attempt: () async throws -> PollResult<T>
) async throws -> T {
    try await poll(opened: clock, timeout: timeout, interval: interval, what, attempt)
}

private func poll<C: Clock<Duration>, T>(
    opened clock: C, timeout: Duration, interval: Duration, _ what: String,
    _ attempt: () async throws -> PollResult<T>
) async throws -> T {
    let deadline = clock.now.advanced(by: timeout)
    var reason = ""
    while true {
        switch try await attempt() {
        case .done(let value): return value
        case .waiting(let why): reason = why
        }
        let now = clock.now
        guard now < deadline else {
            throw StarlingError.unavailable(
                "timed out after \(timeout) waiting for \(what)" + (reason.isEmpty ? "" : ": \(reason)"))
        }
        let next = now.advanced(by: interval)
        try await clock.sleep(until: next < deadline ? next : deadline, tolerance: nil)
    }
}

/// One look at a condition being polled for.
enum PollResult<T> {
    case done(T)
    case waiting(String)
}

import StarlingModel

/// A task's health check, as in `ContainerSpec.Healthcheck` (Docker's `HealthConfig`). Zero or `nil` durations and
/// retries mean Docker's defaults.
public struct HealthCheck: Sendable, Equatable {
    /// `["CMD", executable, args...]`, `["CMD-SHELL", "command line"]` or `["NONE"]`. Empty means none.
    public var test: [String]
    /// Time between the end of one probe and the start of the next, and before the first. Default 30 s.
    public var interval: Duration?
    /// How long a probe may run before it counts as failed. Default 30 s.
    public var timeout: Duration?
    /// Consecutive failures that make the task unhealthy. Default 3.
    public var retries: Int?
    /// Time after the start during which failures do not count (a success still makes the task healthy).
    public var startPeriod: Duration?

    public static let defaultInterval = Duration.seconds(30)
    public static let defaultTimeout = Duration.seconds(30)
    public static let defaultRetries = 3

    public init(
        test: [String], interval: Duration? = nil, timeout: Duration? = nil, retries: Int? = nil,
        startPeriod: Duration? = nil
    ) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
    }

    /// The command a probe runs, or `nil` when the check is disabled: `NONE`, an empty test, or a test type Docker
    /// does not know (which Docker ignores with a warning). `CMD-SHELL` runs its arguments through `shell`.
    public func probeCommand(shell: [String] = ["/bin/sh", "-c"]) -> [String]? {
        guard let kind = test.first else { return nil }
        let rest = Array(test.dropFirst())
        switch kind {
        case "CMD": return rest.isEmpty ? nil : rest
        case "CMD-SHELL": return rest.isEmpty ? nil : shell + rest
        default: return nil
        }
    }

    var effectiveInterval: Duration { Self.positive(interval) ?? Self.defaultInterval }
    var effectiveTimeout: Duration { Self.positive(timeout) ?? Self.defaultTimeout }
    var effectiveRetries: Int {
        guard let retries, retries > 0 else { return Self.defaultRetries }
        return retries
    }
    var effectiveStartPeriod: Duration { Self.positive(startPeriod) ?? .zero }

    private static func positive(_ duration: Duration?) -> Duration? {
        guard let duration, duration > .zero else { return nil }
        return duration
    }
}

/// A task's health, as Docker's `State.Health.Status` spells it.
public enum HealthStatus: String, Sendable, Equatable, Codable {
    case starting
    case healthy
    case unhealthy
}

/// One probe's outcome, as in Docker's `State.Health.Log`.
public struct HealthProbeResult: Sendable, Equatable, Codable {
    public var start: Timestamp
    public var end: Timestamp
    /// 0 healthy, anything else a failure; -1 when the probe could not run or timed out.
    public var exitCode: Int32
    public var output: String

    public init(start: Timestamp, end: Timestamp, exitCode: Int32, output: String) {
        self.start = start
        self.end = end
        self.exitCode = exitCode
        self.output = output
    }
}

/// What Docker reports as `State.Health`: the status, the current run of failures and the last few probes.
public struct HealthState: Sendable, Equatable, Codable {
    /// Docker keeps the last five probes.
    public static let maximumLogEntries = 5

    public var status: HealthStatus
    public var failingStreak: Int
    public var log: [HealthProbeResult]

    public init(status: HealthStatus = .starting, failingStreak: Int = 0, log: [HealthProbeResult] = []) {
        self.status = status
        self.failingStreak = failingStreak
        self.log = log
    }
}

/// Go's `time.Duration` text (`30s`, `1m30s`, `1.5s`, `200ms`), which Docker's messages embed.
func goDurationText(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    if nanoseconds == 0 { return "0s" }
    let sign = nanoseconds < 0 ? "-" : ""
    let value = nanoseconds.magnitude
    if value < 1_000 { return "\(sign)\(value)ns" }
    if value < 1_000_000 { return sign + decimal(value, unit: 1_000) + "µs" }
    if value < 1_000_000_000 { return sign + decimal(value, unit: 1_000_000) + "ms" }
    let hours = value / 3_600_000_000_000
    let minutes = (value / 60_000_000_000) % 60
    let rest = value % 60_000_000_000
    var text = sign
    if hours > 0 { text += "\(hours)h" }
    if hours > 0 || minutes > 0 { text += "\(minutes)m" }
    return text + decimal(rest, unit: 1_000_000_000) + "s"
}

/// `value / unit` with the fraction's trailing zeros dropped.
private func decimal(_ value: UInt64, unit: UInt64) -> String {
    let whole = value / unit
    let fraction = value % unit
    guard fraction > 0 else { return "\(whole)" }
    var digits = String(fraction)
    digits = String(repeating: "0", count: String(unit).count - 1 - digits.count) + digits
    while digits.hasSuffix("0") { digits.removeLast() }
    return "\(whole).\(digits)"
}

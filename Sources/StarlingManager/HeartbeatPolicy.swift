/// How often agents heartbeat and when a silent node counts as down.
///
/// The period handed to agents grows with the size of the cluster so that one manager's heartbeat load stays bounded
/// (`maxHeartbeatsPerSecond`), while small clusters keep the short base period that detects a dead node in about
/// a second and a half. A node is down once `missedPeriods` periods pass without a heartbeat; a node whose session
/// closed (its process died, so the kernel closed its connection) gets one period of grace to reconnect.
public struct HeartbeatPolicy: Hashable, Sendable {
    /// The period for a small cluster (Docker's default is 5 s; Starling's is 500 ms).
    public var basePeriod: Duration
    /// Heartbeats per second one manager accepts at most, across all its nodes.
    public var maxHeartbeatsPerSecond: Int
    /// Missed periods before a node is marked down.
    public var missedPeriods: Int

    public init(basePeriod: Duration = .milliseconds(500), maxHeartbeatsPerSecond: Int = 1000, missedPeriods: Int = 3) {
        precondition(maxHeartbeatsPerSecond > 0 && missedPeriods > 0)
        self.basePeriod = basePeriod
        self.maxHeartbeatsPerSecond = maxHeartbeatsPerSecond
        self.missedPeriods = missedPeriods
    }

    /// The period agents are told to use when the manager carries `nodeCount` sessions.
    public func period(nodeCount: Int) -> Duration {
        let spread = Duration.seconds(1) * Double(max(nodeCount, 1)) / Double(maxHeartbeatsPerSecond)
        return max(basePeriod, spread)
    }

    /// How long a node may stay silent before it is down.
    public func grace(nodeCount: Int) -> Duration {
        period(nodeCount: nodeCount) * missedPeriods
    }
}

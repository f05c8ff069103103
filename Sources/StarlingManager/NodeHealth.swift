/// The liveness of nodes as the dispatcher sees it: when each node's session must next be heard from.
///
/// A pure value: the dispatcher records heartbeats and session ends with the time they happened, and the health
/// loop asks which nodes expired at a given instant. Heartbeats touch only this structure; the store is written
/// only when a node changes between ready and down, so heartbeat load does not become write load.
public struct NodeHealth<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public enum Liveness: Hashable, Sendable {
        case alive
        case down
    }

    struct Entry: Sendable {
        var deadline: Instant
        var liveness: Liveness
        var session: UInt64
    }

    public private(set) var policy: HeartbeatPolicy
    private var entries: [String: Entry] = [:]

    public init(policy: HeartbeatPolicy) { self.policy = policy }

    public var nodeCount: Int { entries.count }

    /// The period agents should use now.
    public var period: Duration { policy.period(nodeCount: entries.count) }

    public mutating func setPolicy(_ policy: HeartbeatPolicy) { self.policy = policy }

    /// A session opened (or reopened) for `nodeID`. Returns true when the node was down or unknown before, so the
    /// caller marks it ready.
    @discardableResult
    public mutating func sessionStarted(_ nodeID: String, session: UInt64, at now: Instant) -> Bool {
        let wasAlive = entries[nodeID]?.liveness == .alive
        entries[nodeID] = Entry(
            deadline: now.advanced(by: graceNow(adding: wasAlive ? 0 : 1)), liveness: .alive, session: session)
        return !wasAlive
    }

    /// A heartbeat arrived on `session`. Heartbeats of a replaced session are ignored.
    /// Returns true when the node had been marked down and is alive again.
    @discardableResult
    public mutating func heartbeat(_ nodeID: String, session: UInt64, at now: Instant) -> Bool {
        guard var entry = entries[nodeID], entry.session == session else { return false }
        let revived = entry.liveness == .down
        entry.deadline = now.advanced(by: policy.grace(nodeCount: entries.count))
        entry.liveness = .alive
        entries[nodeID] = entry
        return revived
    }

    /// The session's stream ended without the node leaving: give it one period to come back.
    public mutating func sessionEnded(_ nodeID: String, session: UInt64, at now: Instant) {
        guard var entry = entries[nodeID], entry.session == session, entry.liveness == .alive else { return }
        let soon = now.advanced(by: period)
        if soon < entry.deadline { entry.deadline = soon }
        entries[nodeID] = entry
    }

    /// The node left or was removed: forget it.
    public mutating func forget(_ nodeID: String) { entries[nodeID] = nil }

    /// Tracks a node known from the store (e.g. after a manager restart) that has not connected yet: it is down
    /// unless it connects within one grace period.
    public mutating func expect(_ nodeID: String, at now: Instant) {
        guard entries[nodeID] == nil else { return }
        entries[nodeID] = Entry(deadline: now.advanced(by: graceNow(adding: 1)), liveness: .alive, session: 0)
    }

    /// Nodes whose deadline passed at `now`; they are marked down here and reported once.
    public mutating func expire(at now: Instant) -> [String] {
        var expired: [String] = []
        for (id, entry) in entries where entry.liveness == .alive && entry.deadline <= now {
            expired.append(id)
        }
        for id in expired { entries[id]?.liveness = .down }
        return expired.sorted()
    }

    public func liveness(of nodeID: String) -> Liveness? { entries[nodeID]?.liveness }

    /// The earliest deadline of a live node, for a loop that sleeps until something can expire.
    public var nextDeadline: Instant? {
        entries.values.lazy.filter { $0.liveness == .alive }.map(\.deadline).min()
    }

    private func graceNow(adding extra: Int) -> Duration {
        policy.grace(nodeCount: entries.count + extra)
    }
}

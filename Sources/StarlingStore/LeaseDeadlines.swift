import StarlingModel
import Synchronization

/// Elapsed time on an injected clock, measured from when the store opened.
///
/// Lease deadlines only need durations, so the store keeps them as offsets from an origin and any `Clock` with
/// `Duration` can drive it (a manual clock in tests).
struct ElapsedTime: Sendable {
    let now: @Sendable () -> Duration

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        now = { origin.duration(to: clock.now) }
    }
}

/// When each granted lease expires. Not persisted: like etcd after a restart, a reopened store gives every lease its
/// full TTL again, so a restart never expires a lease its holder was keeping alive.
final class LeaseDeadlines: Sendable {
    private struct Entry {
        var ttl: Duration
        var deadline: Duration
    }

    private let time: ElapsedTime
    private let entries = Mutex<[LeaseID: Entry]>([:])

    init(time: ElapsedTime, leases: [Lease] = []) {
        self.time = time
        let now = time.now()
        entries.withLock { entries in
            for lease in leases { entries[lease.id] = Entry(ttl: lease.ttl, deadline: now + lease.ttl) }
        }
    }

    func granted(_ lease: Lease) {
        let deadline = time.now() + lease.ttl
        entries.withLock { $0[lease.id] = Entry(ttl: lease.ttl, deadline: deadline) }
    }

    func revoked(_ id: LeaseID) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    /// Restarts the lease's TTL; throws `notFound` for a lease that expired or was revoked.
    func keepAlive(_ id: LeaseID) throws -> Lease {
        let now = time.now()
        return try entries.withLock { entries in
            guard var entry = entries[id] else { throw StarlingError.leaseNotFound(id) }
            entry.deadline = now + entry.ttl
            entries[id] = entry
            return Lease(id: id, ttl: entry.ttl)
        }
    }

    /// Removes and returns the leases whose deadline has passed: from now on `keepAlive` refuses them.
    func takeExpired() -> [Lease] {
        let now = time.now()
        return entries.withLock { entries in
            let expired = entries.filter { $0.value.deadline <= now }.map { Lease(id: $0.key, ttl: $0.value.ttl) }
            for lease in expired { entries[lease.id] = nil }
            return expired.sorted { $0.id < $1.id }
        }
    }

    /// Puts back leases taken by `takeExpired` whose revocation failed, still expired, so the next tick retries.
    func reinstateExpired(_ leases: [Lease]) {
        entries.withLock { entries in
            for lease in leases where entries[lease.id] == nil {
                entries[lease.id] = Entry(ttl: lease.ttl, deadline: .zero)
            }
        }
    }
}

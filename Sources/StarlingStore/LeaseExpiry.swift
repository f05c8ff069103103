import Logging

/// The loop that expires leases: every `interval` on `clock`, it asks the store to revoke the leases whose TTL ran
/// out. Run it as a service (`run()` returns when its task is cancelled); a lease lives at most `interval` past its
/// TTL.
public struct LeaseExpiry<C: Clock>: Sendable where C.Duration == Duration {
    public let store: any KeyValueStore
    public let clock: C
    public let interval: Duration
    let logger: Logger

    public init(
        store: any KeyValueStore, clock: C, interval: Duration = .milliseconds(500),
        logger: Logger = Logger(label: "starling.store.leases")
    ) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: interval)
            } catch is CancellationError {
                return
            }
            do {
                let expired = try await store.expireLeases()
                if !expired.isEmpty {
                    logger.debug("leases expired", metadata: ["leases": "\(expired.map(\.rawValue))"])
                }
            } catch is CancellationError {
                return
            } catch {
                // A failed revocation is retried on the next tick: the lease is still past its deadline.
                logger.error("expiring leases failed: \(error)")
            }
        }
    }
}

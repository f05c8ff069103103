import Logging

/// The loop that bounds the store's history: every `interval` on `clock`, it compacts away all but the last
/// `retainedRevisions` revisions. A watcher further behind than that gets `RevisionCompacted` and reloads (as
/// `ObjectView` does). Run it as a service; `run()` returns when its task is cancelled.
public struct HistoryCompaction<C: Clock>: Sendable where C.Duration == Duration {
    public let store: any KeyValueStore
    public let clock: C
    public let interval: Duration
    public let retainedRevisions: Revision
    let logger: Logger

    public init(
        store: any KeyValueStore, clock: C, interval: Duration = .seconds(60), retainedRevisions: Revision = 10_000,
        logger: Logger = Logger(label: "starling.store.compaction")
    ) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.retainedRevisions = max(1, retainedRevisions)
        self.logger = logger
    }

    public func run() async throws {
        var compacted: Revision = 0
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: interval)
                let target = try await store.currentRevision - retainedRevisions + 1
                guard target > compacted else { continue }
                try await store.compact(upTo: target)
                compacted = target
            } catch is CancellationError {
                return
            } catch let error as RevisionCompacted {
                // Someone else compacted further; start from there.
                compacted = error.oldestAvailable
            } catch {
                logger.error("compacting the store's history failed: \(error)")
            }
        }
    }
}

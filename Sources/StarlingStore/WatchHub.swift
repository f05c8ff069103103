import Synchronization

/// Hands each committed batch to the live watchers whose prefix it touches.
///
/// The backend publishes batches in revision order, after they are durable. A watcher registers before reading
/// history, and `register` returns the last revision published: the watcher reads history up to that revision and
/// takes everything after it from its live stream, so nothing is missed or seen twice.
final class WatchHub: Sendable {
    private struct Watcher {
        let prefix: String
        let continuation: AsyncStream<WatchBatch>.Continuation
    }

    private struct State {
        var revision: Revision
        var nextID = 0
        var watchers: [Int: Watcher] = [:]
        var closed = false
    }

    private let state: Mutex<State>

    init(revision: Revision) { state = Mutex(State(revision: revision)) }

    /// The number of live watchers (for tests and metrics).
    var watcherCount: Int { state.withLock { $0.watchers.count } }

    /// Registers a watcher of `prefix`; its stream receives every batch published from now on.
    func register(
        prefix: String
    ) -> (registration: WatchRegistration, live: AsyncStream<WatchBatch>, revision: Revision) {
        let (stream, continuation) = AsyncStream.makeStream(of: WatchBatch.self, bufferingPolicy: .unbounded)
        let (id, revision, closed) = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            if !state.closed { state.watchers[id] = Watcher(prefix: prefix, continuation: continuation) }
            return (id, state.revision, state.closed)
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        if closed { continuation.finish() }
        return (WatchRegistration(hub: self, id: id), stream, revision)
    }

    /// Publishes the batch of the next revision. Callers serialize their calls.
    func publish(_ batch: WatchBatch) {
        let watchers = state.withLock { state in
            state.revision = max(state.revision, batch.revision)
            return Array(state.watchers.values)
        }
        for watcher in watchers {
            if let filtered = batch.filtered(prefix: watcher.prefix) { watcher.continuation.yield(filtered) }
        }
    }

    func remove(_ id: Int) {
        let watcher = state.withLock { $0.watchers.removeValue(forKey: id) }
        watcher?.continuation.finish()
    }

    /// Ends every watch; later registrations end at once.
    func close() {
        let watchers = state.withLock { state in
            state.closed = true
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.continuation.finish() }
    }
}

/// Keeps a watcher registered while its stream or iterator is alive.
final class WatchRegistration: Sendable {
    private let hub: WatchHub
    private let id: Int

    init(hub: WatchHub, id: Int) {
        self.hub = hub
        self.id = id
    }

    deinit { hub.remove(id) }
}

import Logging
import StarlingModel
import Synchronization

/// An in-memory, indexed copy of the swarm objects of some kinds, kept up to date from the store's watch.
///
/// `run()` loads the objects with one range read, then follows the watch from that revision + 1, applying each
/// revision's changes atomically; if it falls behind compaction it loads again. Readers take `snapshot` (a value
/// that never changes) or wait for a newer one with `snapshot(atLeast:)` / `changes(after:)`. Run it as a service:
/// `run()` returns when its task is cancelled, and waiting readers then get `unavailable`.
public final class ObjectView: Sendable {
    /// How to decode one kind.
    struct Kind: Sendable {
        let prefix: String
        let decode: @Sendable (KeyValue) throws -> any StoredObject
    }

    private struct Waiter {
        let revision: Revision
        let continuation: CheckedContinuation<ClusterSnapshot, any Error>
    }

    private struct State {
        var snapshot = ClusterSnapshot(revision: 0)
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        var stopped = false
    }

    public let store: any KeyValueStore
    let kinds: [Kind]
    /// The common prefix of the kinds' prefixes: the view watches it and ignores keys of other kinds.
    let watchPrefix: String
    private let logger: Logger
    private let state = Mutex(State())

    /// A view of the objects of `kinds` (for example `[Node.self, Swarm.self]`) in `store`.
    public init(
        store: any KeyValueStore, kinds: [any StoredObject.Type],
        logger: Logger = Logger(label: "starling.store.view")
    ) {
        self.store = store
        self.kinds = kinds.map { Self.kind($0) }
        self.logger = logger
        var common = kinds.first.map { Array($0.keyPrefix.utf8) } ?? []
        for kind in kinds.dropFirst() {
            common = Array(zip(common, kind.keyPrefix.utf8).prefix { $0.0 == $0.1 }.map(\.0))
        }
        // A prefix cut inside a multi-byte character would not decode; back up to a character boundary.
        while String(validating: common, as: UTF8.self) == nil { common.removeLast() }
        watchPrefix = String(decoding: common, as: UTF8.self)
    }

    private static func kind<T: StoredObject>(_ type: T.Type) -> Kind {
        Kind(prefix: T.keyPrefix, decode: { try ObjectStore.decode(type, from: $0) })
    }

    /// The latest snapshot (revision 0 until the view has loaded).
    public var snapshot: ClusterSnapshot { state.withLock { $0.snapshot } }

    /// The first snapshot at `revision` or later: after writing an object at revision W, `snapshot(atLeast: W)`
    /// shows that write. Throws `CancellationError` if the caller is cancelled, `unavailable` if the view stopped.
    public func snapshot(atLeast revision: Revision) async throws -> ClusterSnapshot {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<ClusterSnapshot, any Error>? = state.withLock { state in
                    if state.snapshot.revision >= revision { return .success(state.snapshot) }
                    if state.stopped { return .failure(Self.stoppedError) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = Waiter(revision: revision, continuation: continuation)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// The first snapshot that includes a change made after `revision`.
    public func changes(after revision: Revision) async throws -> ClusterSnapshot {
        try await snapshot(atLeast: revision + 1)
    }

    /// Loads and follows the store until cancelled.
    public func run() async throws {
        defer { stop() }
        while !Task.isCancelled {
            do {
                let loaded = try await store.range(prefix: watchPrefix)
                install(loaded)
                let stream = try await store.watch(prefix: watchPrefix, fromRevision: loaded.revision + 1)
                for try await batch in stream { apply(batch) }
                return
            } catch let error as RevisionCompacted {
                logger.warning("the object view fell behind compaction; loading again", metadata: ["error": "\(error)"])
            } catch is CancellationError {
                return
            }
        }
    }

    // MARK: Applying changes

    private static let stoppedError = StarlingError.unavailable("the cluster object view has stopped")

    private func kind(of key: String) -> (kind: Kind, id: String)? {
        for kind in kinds where keyHasPrefix(key, kind.prefix) {
            return (kind, String(decoding: key.utf8.dropFirst(kind.prefix.utf8.count), as: UTF8.self))
        }
        return nil
    }

    private func install(_ loaded: RangeResult) {
        var snapshot = ClusterSnapshot(revision: loaded.revision)
        for prefix in kinds.map(\.prefix) { snapshot.tables[prefix] = KindTable() }
        for kv in loaded.kvs { put(kv, into: &snapshot) }
        publish { $0 = snapshot }
    }

    private func apply(_ batch: WatchBatch) {
        publish { snapshot in
            for event in batch.events {
                switch event.kind {
                case .put:
                    put(event.kv, into: &snapshot)
                case .delete:
                    if let (kind, id) = kind(of: event.kv.key) { snapshot.remove(id: id, prefix: kind.prefix) }
                }
            }
            snapshot.revision = batch.revision
        }
    }

    private func put(_ kv: KeyValue, into snapshot: inout ClusterSnapshot) {
        guard let (kind, id) = kind(of: kv.key) else { return }
        do {
            snapshot.put(try kind.decode(kv), id: id, prefix: kind.prefix)
        } catch {
            // A value this version cannot read is left out rather than stopping the view for every reader.
            logger.error(
                "skipping an object that cannot be decoded", metadata: ["key": "\(kv.key)", "error": "\(error)"])
            snapshot.remove(id: id, prefix: kind.prefix)
        }
    }

    /// Changes the snapshot and wakes the readers waiting for its new revision.
    private func publish(_ change: (inout ClusterSnapshot) -> Void) {
        let (snapshot, ready) = state.withLock { state in
            change(&state.snapshot)
            let revision = state.snapshot.revision
            let ready = state.waiters.filter { $0.value.revision <= revision }
            for id in ready.keys { state.waiters[id] = nil }
            return (state.snapshot, Array(ready.values))
        }
        for waiter in ready { waiter.continuation.resume(returning: snapshot) }
    }

    private func stop() {
        let waiters = state.withLock { state in
            state.stopped = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.stoppedError) }
    }
}

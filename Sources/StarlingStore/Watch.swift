/// One change to one key.
public struct WatchEvent: Hashable, Sendable {
    /// Whether the key was written or deleted.
    public enum Kind: Hashable, Sendable {
        case put
        case delete
    }

    public var kind: Kind
    /// For a put, the key as written. For a delete, etcd's tombstone: the key, an empty value, `modRevision` = the
    /// revision of the deletion, and zero `createRevision` and `version`.
    public var kv: KeyValue
    /// For a delete, the key as it was before; `nil` for a put (keeping it would double the history's size).
    public var prevKV: KeyValue?

    public init(kind: Kind, kv: KeyValue, prevKV: KeyValue? = nil) {
        self.kind = kind
        self.kv = kv
        self.prevKV = prevKV
    }

    /// The delete event of `previous` at `revision`.
    static func deletion(of previous: KeyValue, at revision: Revision) -> WatchEvent {
        WatchEvent(
            kind: .delete,
            kv: KeyValue(key: previous.key, value: [], createRevision: 0, modRevision: revision, version: 0),
            prevKV: previous)
    }
}

/// The changes one revision made under a watched prefix, in the order the transaction made them.
public struct WatchBatch: Hashable, Sendable {
    public var revision: Revision
    public var events: [WatchEvent]

    public init(revision: Revision, events: [WatchEvent]) {
        self.revision = revision
        self.events = events
    }

    /// The events of this batch under `prefix`, or `nil` when none is.
    func filtered(prefix: String) -> WatchBatch? {
        if prefix.isEmpty { return self }
        let matching = events.filter { keyHasPrefix($0.kv.key, prefix) }
        return matching.isEmpty ? nil : WatchBatch(revision: revision, events: matching)
    }
}

/// The changes under a prefix from a revision on, one batch per revision, in revision order: first the history
/// kept by the store, then live changes, with no gap and no duplicate.
///
/// Iterate it once, from one task. It ends (returns `nil`) when the iterating task is cancelled or the store is
/// closed, and then frees what the store kept for it. It throws `RevisionCompacted` if compaction removes history it
/// has not replayed yet.
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchBatch

    enum Source: Sendable {
        case local(LocalWatch)
        case stream(AsyncThrowingStream<WatchBatch, any Error>)
    }

    let source: Source

    /// A watch fed by another backend (a remote store's watch stream, for example).
    public init(_ stream: AsyncThrowingStream<WatchBatch, any Error>) { source = .stream(stream) }

    init(local: LocalWatch) { source = .local(local) }

    public func makeAsyncIterator() -> Iterator {
        switch source {
        case .local(let watch): Iterator(state: .local(LocalIterator(watch: watch)))
        case .stream(let stream): Iterator(state: .stream(stream.makeAsyncIterator()))
        }
    }

    /// Iterates a `WatchStream`.
    public struct Iterator: AsyncIteratorProtocol {
        enum State {
            case local(LocalIterator)
            case stream(AsyncThrowingStream<WatchBatch, any Error>.Iterator)
        }

        var state: State

        public mutating func next() async throws -> WatchBatch? {
            switch state {
            case .local(var iterator):
                defer { state = .local(iterator) }
                return try await iterator.next()
            case .stream(var iterator):
                defer { state = .stream(iterator) }
                return try await iterator.next()
            }
        }
    }
}

/// Reads a page of history: the batches under a prefix in `from...through`, and the first revision not read yet.
typealias HistoryReader =
    @Sendable (_ prefix: String, _ from: Revision, _ through: Revision) async throws -> (
        batches: [WatchBatch], next: Revision
    )

/// A watch of a local backend: history up to `historyEnd` read in pages, then the live batches published after it.
struct LocalWatch: Sendable {
    let prefix: String
    let from: Revision
    /// The last revision published to watchers when the watch registered; later ones arrive live.
    let historyEnd: Revision
    let registration: WatchRegistration
    let live: AsyncStream<WatchBatch>
    let readHistory: HistoryReader
}

struct LocalIterator {
    let watch: LocalWatch
    var nextHistory: Revision
    var buffered: [WatchBatch] = []
    var index = 0
    var live: AsyncStream<WatchBatch>.Iterator

    init(watch: LocalWatch) {
        self.watch = watch
        nextHistory = watch.from
        live = watch.live.makeAsyncIterator()
    }

    mutating func next() async throws -> WatchBatch? {
        if Task.isCancelled { return nil }
        while index == buffered.count, nextHistory <= watch.historyEnd {
            do {
                let page = try await watch.readHistory(watch.prefix, nextHistory, watch.historyEnd)
                precondition(page.next > nextHistory, "a history page must make progress")
                (buffered, index, nextHistory) = (page.batches, 0, page.next)
            } catch is CancellationError {
                return nil
            }
        }
        if index < buffered.count {
            defer { index += 1 }
            return buffered[index]
        }
        while let batch = await live.next() {
            if batch.revision > watch.historyEnd, batch.revision >= watch.from { return batch }
        }
        return nil
    }
}

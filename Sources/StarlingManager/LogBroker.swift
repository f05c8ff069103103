import StarlingControlPlane
import StarlingModel
import Synchronization

/// Gathers task output from the nodes that ran the tasks, for the Engine API's logs routes (SwarmKit's log broker).
///
/// A reader (one `GET /services/{id}/logs`) subscribes tasks; each node that holds some of them gets one
/// `LogSubscription` on its session and answers with `LogBatch`es through `publish`. Once the reader is sealed (no
/// more tasks will be subscribed), its stream ends when every node has sent its last batch, or has gone away (then
/// with Docker's "incomplete log stream" warning). A reader that follows a service is never sealed: it lasts until
/// it goes, and the service's new tasks are subscribed as they appear. When a reader goes, its nodes are told to
/// stop.
public final class LogBroker: Sendable {
    /// One entry and the node it came from.
    public struct Entry: Sendable, Hashable {
        public var nodeID: String
        public var record: LogRecord
    }

    /// A reader's handle: subscribe more tasks with it (`subscribe`).
    public struct Reader: Sendable, Hashable {
        let id: UInt64
    }

    private struct ReaderState {
        let continuation: AsyncThrowingStream<Entry, any Error>.Continuation
        let options: TaskLogOptions
        /// Subscriptions that have not sent their last batch.
        var pending: Set<String> = []
        var subscribedTasks: Set<String> = []
        /// Nodes whose logs could not be had, for the warning at the end.
        var unavailable: Set<String> = []
        var nextSubscription = 0
        /// No more tasks will be subscribed (a reader that does not follow ends once nothing is pending).
        var sealed = false
    }

    private struct State {
        var nextReader: UInt64 = 0
        var readers: [UInt64: ReaderState] = [:]
        var subscriptions: [String: (reader: UInt64, node: String)] = [:]
    }

    private let state = Mutex(State())
    /// Pushes a message on a node's session; false when the node has none.
    private let push: @Sendable (_ nodeID: String, _ message: ManagerMessage) -> Bool
    /// Distinguishes this broker's subscription IDs from an earlier manager's.
    private let prefix: String

    public init(prefix: String, push: @escaping @Sendable (_ nodeID: String, _ message: ManagerMessage) -> Bool) {
        self.prefix = prefix
        self.push = push
    }

    /// The number of subscriptions awaiting batches (for tests and metrics).
    public var openSubscriptions: Int { state.withLock { $0.subscriptions.count } }

    /// A new reader and the stream of its entries. Subscribe tasks with `subscribe`, then `seal` when no more will
    /// come. When the reader goes away (its stream is cancelled), its nodes are told.
    public func open(_ options: TaskLogOptions) -> (Reader, AsyncThrowingStream<Entry, any Error>) {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Entry.self)
        let id = state.withLock { state in
            state.nextReader += 1
            state.readers[state.nextReader] = ReaderState(continuation: continuation, options: options)
            return state.nextReader
        }
        continuation.onTermination = { [weak self] _ in self?.close(id) }
        return (Reader(id: id), stream)
    }

    /// Asks the nodes that hold `tasks` for their output (tasks already subscribed, or not placed on a node, are
    /// skipped).
    public func subscribe(_ reader: Reader, tasks: [SwarmTask]) {
        let requests = state.withLock { state -> [(node: String, subscription: LogSubscription)] in
            guard var readerState = state.readers[reader.id] else { return [] }
            var byNode: [String: [String]] = [:]
            for task in tasks where !readerState.subscribedTasks.contains(task.id) {
                guard let node = task.nodeID, task.status.state >= .assigned else { continue }
                readerState.subscribedTasks.insert(task.id)
                byNode[node, default: []].append(task.id)
            }
            var requests: [(node: String, subscription: LogSubscription)] = []
            for (node, taskIDs) in byNode.sorted(by: { $0.key < $1.key }) {
                readerState.nextSubscription += 1
                let id = "\(prefix)-\(reader.id)-\(readerState.nextSubscription)"
                let options = readerState.options
                readerState.pending.insert(id)
                state.subscriptions[id] = (reader.id, node)
                requests.append(
                    (
                        node,
                        LogSubscription(
                            id: id, taskIDs: taskIDs, follow: options.follow, stdout: options.stdout,
                            stderr: options.stderr, since: options.since, tail: options.tail)
                    ))
            }
            state.readers[reader.id] = readerState
            return requests
        }
        for request in requests where !push(request.node, .logSubscription(request.subscription)) {
            ended(request.subscription.id, unavailable: true)
        }
    }

    /// No more tasks will be subscribed: the reader's stream ends once its nodes are done.
    public func seal(_ reader: Reader) {
        let finish = state.withLock { state -> Finish? in
            state.readers[reader.id]?.sealed = true
            return Self.finishIfDone(reader.id, &state)
        }
        finish?.run()
    }

    /// Takes a node's batch. False when nobody reads the subscription any more (the node stops sending).
    public func publish(_ batch: LogBatch, from nodeID: String) -> Bool {
        let continuation = state.withLock { state -> AsyncThrowingStream<Entry, any Error>.Continuation? in
            guard let owner = state.subscriptions[batch.subscriptionID], owner.node == nodeID else { return nil }
            return state.readers[owner.reader]?.continuation
        }
        guard let continuation else { return false }
        for record in batch.records {
            continuation.yield(Entry(nodeID: nodeID, record: record))
        }
        if batch.done {
            ended(batch.subscriptionID, unavailable: false)
            return false
        }
        return true
    }

    /// A node's session ended: its subscriptions will send nothing more.
    public func nodeGone(_ nodeID: String) {
        let ids = state.withLock { state in state.subscriptions.filter { $0.value.node == nodeID }.map(\.key) }
        for id in ids { ended(id, unavailable: true) }
    }

    private func ended(_ subscriptionID: String, unavailable: Bool) {
        let finish = state.withLock { state -> Finish? in
            guard let owner = state.subscriptions.removeValue(forKey: subscriptionID) else { return nil }
            state.readers[owner.reader]?.pending.remove(subscriptionID)
            if unavailable { state.readers[owner.reader]?.unavailable.insert(owner.node) }
            return Self.finishIfDone(owner.reader, &state)
        }
        finish?.run()
    }

    /// A reader's stream ended (it finished, or its client went away): tell its nodes to stop.
    private func close(_ readerID: UInt64) {
        let stops = state.withLock { state -> [(node: String, id: String)] in
            guard let reader = state.readers.removeValue(forKey: readerID) else { return [] }
            return reader.pending.compactMap { id in
                state.subscriptions.removeValue(forKey: id).map { ($0.node, id) }
            }
        }
        for stop in stops { _ = push(stop.node, .logSubscriptionEnded(id: stop.id)) }
    }

    /// How a finished reader's stream ends, run outside the lock (finishing calls `onTermination`, which takes it).
    private struct Finish {
        let continuation: AsyncThrowingStream<Entry, any Error>.Continuation
        let error: StarlingError?

        func run() {
            if let error { continuation.finish(throwing: error) } else { continuation.finish() }
        }
    }

    private static func finishIfDone(_ readerID: UInt64, _ state: inout State) -> Finish? {
        guard let reader = state.readers[readerID], reader.sealed, reader.pending.isEmpty
        else { return nil }
        state.readers[readerID] = nil
        return Finish(continuation: reader.continuation, error: incompleteWarning(reader.unavailable))
    }

    /// SwarmKit's words when some nodes' logs could not be had.
    static func incompleteWarning(_ nodes: Set<String>) -> StarlingError? {
        guard !nodes.isEmpty else { return nil }
        let reasons = nodes.sorted().map { "node \($0) is not available" }.joined(separator: ", ")
        return StarlingError.unavailable(
            "warning: incomplete log stream. some logs could not be retrieved for the following reasons: \(reasons)")
    }
}

import Logging
import StarlingControlPlane
import StarlingExecutor
import StarlingModel
import Synchronization

/// Answers the managers' log subscriptions: reads the subscribed tasks' output from their handles and sends it in
/// batches (`LogBatch`), the last one `done`, until the output ends (or, when following, until the managers end
/// the subscription or stop acknowledging it).
///
/// Batches form by themselves: whatever accumulated while the previous batch was on its way goes in the next one,
/// up to `maximumRecords` entries. Readers of the task logs wait while that many are waiting to be sent, so a task
/// that writes fast cannot make the agent hold its whole output in memory.
public final class LogPublishing: Sendable {
    /// The most entries one batch carries (an entry is at most 16 KiB; the control plane's message limit is larger).
    public static let maximumRecords = 256

    let handles: @Sendable ([String]) -> [String: any TaskHandle]
    let send: @Sendable (LogBatch) async throws -> Bool
    let logger: Logger
    private let requests: AsyncStream<LogSubscription>
    private let requestSink: AsyncStream<LogSubscription>.Continuation
    private let running = Mutex<[String: Latch<Void>]>([:])

    /// - Parameters:
    ///   - handles: The handles this node holds for the given task IDs (`TaskSupervisor.handles`).
    ///   - send: Sends a batch to the managers; the answer says whether to go on (`LogBatchAck.proceed`).
    public init(
        handles: @escaping @Sendable ([String]) -> [String: any TaskHandle],
        send: @escaping @Sendable (LogBatch) async throws -> Bool, logger: Logger
    ) {
        self.handles = handles
        self.send = send
        self.logger = logger
        (requests, requestSink) = AsyncStream.makeStream(of: LogSubscription.self)
    }

    /// Starts answering `subscription` (in `run()`).
    public func start(_ subscription: LogSubscription) {
        running.withLock { $0[subscription.id] = Latch<Void>() }
        requestSink.yield(subscription)
    }

    /// The managers no longer want `id`: stop sending it.
    public func end(_ id: String) {
        running.withLock { $0[id] }?.fire(())
    }

    /// Answers subscriptions until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await subscription in requests {
                group.addTask { await self.answer(subscription) }
            }
        }
    }

    private func answer(_ subscription: LogSubscription) async {
        guard let ended = running.withLock({ $0[subscription.id] }) else { return }
        defer { _ = running.withLock { $0.removeValue(forKey: subscription.id) } }
        guard ended.value == nil else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.publish(subscription) }
            group.addTask { _ = await ended.wait() }
            _ = await group.next()
            group.cancelAll()
        }
    }

    /// Reads every subscribed task's output into a buffer and sends the buffer in batches until all is read.
    func publish(_ subscription: LogSubscription) async {
        let found = handles(subscription.taskIDs)
        let buffer = RecordBuffer(capacity: Self.maximumRecords)
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { readers in
                    for (taskID, handle) in found {
                        readers.addTask { await Self.read(taskID, handle, subscription, into: buffer) }
                    }
                }
                buffer.close()
                return false
            }
            group.addTask {
                do {
                    while let records = await buffer.take(upTo: Self.maximumRecords) {
                        guard try await self.send(LogBatch(subscriptionID: subscription.id, records: records)) else {
                            return true
                        }
                    }
                    // An ended subscription (cancelled) has no one to tell.
                    guard !Task.isCancelled else { return true }
                    _ = try await self.send(LogBatch(subscriptionID: subscription.id, records: [], done: true))
                } catch {
                    self.logger.debug(
                        "cannot send task logs", metadata: ["subscription": "\(subscription.id)", "error": "\(error)"])
                }
                return true
            }
            // When the sender stops (done, refused, failed), the readers have no one to read for; when the readers
            // are done, the sender still sends what they read.
            while let finished = await group.next() {
                if finished { group.cancelAll() }
            }
        }
    }

    /// One task's entries that the subscription wants, as Docker filters them: the last `tail` kept entries, then
    /// those not before `since`, of the chosen streams.
    static func read(
        _ taskID: String, _ handle: any TaskHandle, _ subscription: LogSubscription, into buffer: RecordBuffer
    ) async {
        do {
            for try await entry in handle.logs(follow: subscription.follow, tail: subscription.tail) {
                if let since = subscription.since, entry.time < since { continue }
                switch entry.stream {
                case .stdout where !subscription.stdout: continue
                case .stderr where !subscription.stderr: continue
                default: break
                }
                let stream: LogRecord.Stream = entry.stream == .stdout ? .stdout : .stderr
                let record = LogRecord(taskID: taskID, stream: stream, time: entry.time, message: entry.message)
                guard await buffer.put(record) else { return }
            }
        } catch {
            // The task's log could not be read (removed meanwhile): there is nothing more of it.
        }
    }
}

/// Entries waiting to be sent: readers `put` (waiting while it is full), the sender `take`s all there is (waiting
/// while it is empty). `close` ends it once the readers are done; cancellation of either side returns at once.
final class RecordBuffer: Sendable {
    private struct State {
        var records: [LogRecord] = []
        var closed = false
        var taker: CheckedContinuation<Void, Never>?
        var putters: [CheckedContinuation<Void, Never>] = []
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    /// Adds a record, waiting for room. False when the task was cancelled (stop reading).
    func put(_ record: LogRecord) async -> Bool {
        while true {
            if Task.isCancelled { return false }
            let added = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                guard state.records.count < capacity else { return (false, nil) }
                state.records.append(record)
                defer { state.taker = nil }
                return (true, state.taker)
            }
            if added.0 {
                added.1?.resume()
                return true
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let immediately = state.withLock { state -> Bool in
                        if state.records.count < capacity || Task.isCancelled { return true }
                        state.putters.append(continuation)
                        return false
                    }
                    if immediately { continuation.resume() }
                }
            } onCancel: {
                let putters = state.withLock { state in
                    defer { state.putters = [] }
                    return state.putters
                }
                putters.forEach { $0.resume() }
            }
        }
    }

    /// No more records will come.
    func close() {
        let taker = state.withLock { state in
            state.closed = true
            defer { state.taker = nil }
            return state.taker
        }
        taker?.resume()
    }

    /// Up to `limit` records, oldest first, waiting while there are none; nil once closed and empty (or cancelled).
    func take(upTo limit: Int) async -> [LogRecord]? {
        while true {
            if Task.isCancelled { return nil }
            let taken = state.withLock {
                state -> (records: [LogRecord], putters: [CheckedContinuation<Void, Never>])? in
                guard !state.records.isEmpty else { return nil }
                let records = Array(state.records.prefix(limit))
                state.records.removeFirst(records.count)
                defer { state.putters = [] }
                return (records, state.putters)
            }
            if let taken {
                taken.putters.forEach { $0.resume() }
                return taken.records
            }
            if state.withLock({ $0.closed && $0.records.isEmpty }) { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let immediately = state.withLock { state -> Bool in
                        if !state.records.isEmpty || state.closed || Task.isCancelled { return true }
                        state.taker = continuation
                        return false
                    }
                    if immediately { continuation.resume() }
                }
            } onCancel: {
                let taker = state.withLock { state in
                    defer { state.taker = nil }
                    return state.taker
                }
                taker?.resume()
            }
        }
    }
}

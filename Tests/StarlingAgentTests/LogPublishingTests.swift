import Logging
import StarlingControlPlane
import StarlingExecutor
import StarlingModel
import Synchronization
import Testing

@testable import StarlingAgent

/// Answering log subscriptions: filters as Docker's, batches that end with `done`, a refusal or an end from the
/// managers stops the sending, and a full buffer holds the readers back.
@Suite struct LogPublishingTests {
    /// A handle with only a log: its kept entries, then (following) what the test writes until it finishes.
    final class LogHandle: TaskHandle {
        let taskID: String
        let kept: [LogEntry]
        let live = Mutex<AsyncThrowingStream<LogEntry, any Error>.Continuation?>(nil)
        /// Yields when a follower of the log goes away.
        let released: AsyncStream<Void>
        private let release: AsyncStream<Void>.Continuation

        init(_ id: String, kept: [LogEntry]) {
            taskID = id
            self.kept = kept
            (released, release) = AsyncStream.makeStream(of: Void.self)
        }

        var pid: Int32? { nil }
        func start() async throws {}
        func wait() async throws -> StarlingExecutor.ExitStatus { throw CancellationError() }
        func stop(signal: Int32, gracePeriod: Duration) async throws {}
        func remove() async throws {}
        func exec(_ command: [String], timeout: Duration) async throws -> ExecResult {
            ExecResult(exitCode: 0, output: "")
        }

        func logs(follow: Bool, tail: Int?) -> AsyncThrowingStream<LogEntry, any Error> {
            let (stream, continuation) = AsyncThrowingStream.makeStream(of: LogEntry.self)
            for entry in kept.suffix(tail ?? .max) { continuation.yield(entry) }
            guard follow else {
                continuation.finish()
                return stream
            }
            let release = self.release
            continuation.onTermination = { _ in release.yield() }
            live.withLock { $0 = continuation }
            return stream
        }

        func write(_ entry: LogEntry) { _ = live.withLock { $0 }?.yield(entry) }
        func finish() { live.withLock { $0 }?.finish() }
    }

    /// Collects the batches sent, answering with `proceed` (false after `refuseAfter` batches).
    final class Sink: Sendable {
        let batches = Mutex<[LogBatch]>([])
        let refuseAfter: Int
        let arrived: AsyncStream<Void>
        let arrival: AsyncStream<Void>.Continuation

        init(refuseAfter: Int = .max) {
            self.refuseAfter = refuseAfter
            (arrived, arrival) = AsyncStream.makeStream(of: Void.self)
        }

        func send(_ batch: LogBatch) async throws -> Bool {
            // Like a real call: a send that is cancelled midway fails.
            await Task.yield()
            try Task.checkCancellation()
            let count = batches.withLock { batches in
                batches.append(batch)
                return batches.count
            }
            arrival.yield()
            return count < refuseAfter
        }

        var messages: [String] { batches.withLock { $0.flatMap { $0.records.map { "\($0.taskID):\($0.message)" } } } }
        var done: Bool { batches.withLock { $0.last?.done ?? false } }

        func waitFor(_ condition: @Sendable () -> Bool) async {
            var iterator = arrived.makeAsyncIterator()
            while !condition() { _ = await iterator.next() }
        }
    }

    static func entry(_ text: String, _ stream: LogEntry.Stream = .stdout, at second: Int64 = 100) -> LogEntry {
        LogEntry(stream: stream, time: Timestamp(seconds: second), message: text + "\n")
    }

    static func publishing(_ handles: [LogHandle], sink: Sink) -> LogPublishing {
        let byID = Dictionary(uniqueKeysWithValues: handles.map { ($0.taskID, $0 as any TaskHandle) })
        return LogPublishing(
            handles: { ids in byID.filter { ids.contains($0.key) } }, send: { try await sink.send($0) },
            logger: Logger(label: "test"))
    }

    @Test func keptEntriesAreFilteredAsDockerDoesThenDone() async throws {
        let handle = LogHandle(
            "t1",
            kept: [
                Self.entry("old", at: 10), Self.entry("err", .stderr, at: 20), Self.entry("out", at: 30),
                Self.entry("last", at: 40),
            ])
        let sink = Sink()
        let subscription = LogSubscription(
            id: "s1", taskIDs: ["t1", "elsewhere"], follow: false, stdout: true, stderr: false,
            since: Timestamp(seconds: 25), tail: 3)
        await Self.publishing([handle], sink: sink).publish(subscription)
        // tail 3 keeps err, out, last; stderr is not wanted; since drops nothing more.
        #expect(sink.messages == ["t1:out\n", "t1:last\n"])
        #expect(sink.done)
        #expect(sink.batches.withLock { $0.allSatisfy { $0.subscriptionID == "s1" } })
    }

    @Test func followingSendsNewEntriesUntilTheManagersEndTheSubscription() async {
        let handle = LogHandle("t1", kept: [Self.entry("kept")])
        let sink = Sink()
        let publishing = Self.publishing([handle], sink: sink)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await publishing.run() }
            publishing.start(LogSubscription(id: "s1", taskIDs: ["t1"], follow: true))
            await sink.waitFor { sink.messages == ["t1:kept\n"] }
            handle.write(Self.entry("new"))
            await sink.waitFor { sink.messages == ["t1:kept\n", "t1:new\n"] }
            publishing.end("s1")
            // The reader of the task's log is let go: the handle's follow stream is cancelled.
            var released = handle.released.makeAsyncIterator()
            _ = await released.next()
            group.cancelAll()
        }
        #expect(!sink.done, "an ended subscription sends nothing more")
    }

    @Test func aRefusedBatchStopsTheReaders() async throws {
        let handle = LogHandle("t1", kept: [Self.entry("one")])
        let sink = Sink(refuseAfter: 1)
        await Self.publishing([handle], sink: sink).publish(
            LogSubscription(id: "s1", taskIDs: ["t1"], follow: true))
        #expect(sink.messages == ["t1:one\n"])
        #expect(sink.batches.withLock { $0.count } == 1)
    }

    @Test func aFullBufferHoldsTheReadersBackAndLosesNothing() async throws {
        let count = LogPublishing.maximumRecords * 3 + 7
        let handle = LogHandle("t1", kept: (0..<count).map { Self.entry("line \($0)") })
        let sink = Sink()
        await Self.publishing([handle], sink: sink).publish(LogSubscription(id: "s1", taskIDs: ["t1"], follow: false))
        #expect(sink.messages == (0..<count).map { "t1:line \($0)\n" })
        #expect(sink.batches.withLock { $0.allSatisfy { $0.records.count <= LogPublishing.maximumRecords } })
        #expect(sink.done)
    }
}

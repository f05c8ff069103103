import StarlingModel
import StarlingTestSupport
import Synchronization
import Testing

@testable import StarlingExecutor

/// A task handle whose `exec` answers from a script; everything else is unused by the loop.
final class ScriptedHandle: TaskHandle {
    enum Reply: Sendable {
        case result(ExecResult)
        case failure(StarlingError)
    }

    let taskID = "scripted"
    let pid: Int32? = 1
    private let replies: Mutex<[Reply]>
    let calls = Mutex<[(command: [String], timeout: Duration)]>([])

    init(_ replies: [Reply]) { self.replies = Mutex(replies) }

    func start() async throws {}
    func wait() async throws -> StarlingExecutor.ExitStatus { StarlingExecutor.ExitStatus(.exited(code: 0)) }
    func stop(signal: Int32, gracePeriod: Duration) async throws {}
    func remove() async throws {}
    func logs(follow: Bool, tail: Int?) -> AsyncThrowingStream<LogEntry, any Error> { AsyncThrowingStream { nil } }

    func exec(_ command: [String], timeout: Duration) async throws -> ExecResult {
        calls.withLock { $0.append((command, timeout)) }
        let reply = replies.withLock { $0.isEmpty ? .result(ExecResult(exitCode: 0, output: "")) : $0.removeFirst() }
        switch reply {
        case .result(let result): return result
        case .failure(let error): throw error
        }
    }
}

@Suite struct HealthCheckLoopTests {
    /// Runs the loop until it has reported `count` probes, advancing the clock by `interval` whenever it sleeps.
    static func updates(
        _ check: HealthCheck, handle: ScriptedHandle, count: Int, interval: Duration
    ) async throws -> [(HealthState, Bool)] {
        let clock = ManualClock()
        let loop = HealthCheckLoop(check: check, clock: clock, wallClock: { Timestamp(seconds: 1) })
        let (stream, continuation) = AsyncStream.makeStream(of: (HealthState, Bool).self)
        let task = Task {
            try await loop.run(handle: handle, startedAt: clock.now) { state, changed in
                continuation.yield((state, changed))
            }
        }
        var collected: [(HealthState, Bool)] = []
        var iterator = stream.makeAsyncIterator()
        while collected.count < count {
            await clock.waitForSleepers()
            clock.advance(by: interval)
            if let update = await iterator.next() { collected.append(update) }
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        return collected
    }

    @Test func probesThroughExecAndReportsEachResult() async throws {
        let handle = ScriptedHandle([
            .result(ExecResult(exitCode: 1, output: "down")),
            .result(ExecResult(exitCode: 0, output: "up")),
        ])
        let check = HealthCheck(test: ["CMD-SHELL", "check"], interval: .seconds(2), timeout: .seconds(1))
        let updates = try await Self.updates(check, handle: handle, count: 2, interval: .seconds(2))
        #expect(updates.map(\.0.status) == [.starting, .healthy])
        #expect(updates.map(\.1) == [false, true])
        #expect(updates[1].0.log.map(\.output) == ["down", "up"])
        let calls = handle.calls.withLock { $0 }
        #expect(calls.map(\.command) == [["/bin/sh", "-c", "check"], ["/bin/sh", "-c", "check"]])
        #expect(calls.map(\.timeout) == [.seconds(1), .seconds(1)])
    }

    @Test func aTimeoutOrAnExecErrorIsAFailureWithDockersWording() async throws {
        let handle = ScriptedHandle([
            .result(ExecResult(exitCode: 137, output: "partial", timedOut: true)),
            .failure(StarlingError.invalidState("cannot exec in task x: it has ended")),
        ])
        let check = HealthCheck(test: ["CMD", "check"], interval: .seconds(1), timeout: .seconds(2), retries: 2)
        let updates = try await Self.updates(check, handle: handle, count: 2, interval: .seconds(1))
        let log = updates[1].0.log
        #expect(log.map(\.exitCode) == [-1, -1])
        #expect(log.map(\.output) == ["Health check exceeded timeout (2s)", "cannot exec in task x: it has ended"])
        #expect(updates[1].0.status == .unhealthy)
    }

    @Test func aDisabledCheckReturnsAtOnce() async throws {
        let handle = ScriptedHandle([])
        let loop = HealthCheckLoop(check: HealthCheck(test: ["NONE"]), clock: ManualClock())
        try await loop.run(handle: handle, startedAt: ManualClock.Instant(offset: .zero)) { _, _ in }
        #expect(handle.calls.withLock { $0.isEmpty })
    }
}

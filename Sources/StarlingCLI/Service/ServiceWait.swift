import Dispatch
import Foundation
import StarlingClient
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for a service to converge, showing the docker CLI's progress bars (`WaitOnService`): polls every 200 ms,
/// and on Ctrl-C stops waiting, says the operation continues in the background, and succeeds.
enum ServiceWait {
    static func wait(client: EngineClient, serviceID: String, quiet: Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await Interrupt.next() }
            group.addTask { try await follow(client: client, serviceID: serviceID, quiet: quiet) }
            // Whichever ends first (convergence, an error, or Ctrl-C) ends the other.
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private static func follow(client: EngineClient, serviceID: String, quiet: Bool) async throws {
        var display = ProgressDisplay.standardOutput()
        var progress = ServiceProgress(serviceID: serviceID)
        func show(_ events: [ProgressEvent]) {
            for event in events {
                let text = display.render(event)
                if !quiet { Output.write(text) }
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            while true {
                let service = try await client.service(serviceID)
                let events: [ProgressEvent]
                let outcome: ServiceProgress.Outcome
                do {
                    (events, outcome) = try progress.inspect(service, now: clock.now - start)
                } catch let error as StarlingError {
                    // "service update paused: ..." is the CLI's own conclusion, not an answer of the daemon.
                    throw CommandFailure(error.message)
                }
                show(events)
                if outcome == .finished { return }
                let tasks = try await client.tasks(
                    filters: Filters(["service": [service.id], "_up-to-date": ["true"]]))
                let active = Set(try await client.nodes().filter { $0.status.state != .down }.map(\.id))
                let (more, next) = progress.update(service, tasks: tasks, activeNodes: active, now: clock.now - start)
                show(more)
                if next == .finished { return }
                try await Task.sleep(for: .milliseconds(200))
            }
        } catch  where Task.isCancelled {
            show(progress.interruptedMessages(command: "starling"))
        }
    }
}

/// Ctrl-C, seen as an event instead of ending the process.
enum Interrupt {
    /// Returns at the first SIGINT after the call (or when the task is cancelled); SIGINT is ignored meanwhile and
    /// restored afterwards.
    static func next() async {
        let (signals, sink) = AsyncStream.makeStream(of: Void.self)
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { sink.yield() }
        source.resume()
        await withTaskCancellationHandler {
            var iterator = signals.makeAsyncIterator()
            _ = await iterator.next()
        } onCancel: {
            sink.finish()
        }
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

import StarlingModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One command run in a process task's environment (its user, directory, variables and cgroup), as a health
/// check runs: output captured, killed with its whole process group after the timeout.
struct ProcessExec: Sendable {
    let spec: LaunchSpec
    let cgroup: TaskCgroup?
    let clock: any Clock<Duration>

    func run(timeout: Duration) async throws -> ExecResult {
        let output = try Descriptors.pipe()
        let capture = OutputCapture(limit: ExecResult.maximumOutput)
        let relay: OutputRelay
        do {
            relay = try OutputRelay(sources: [(output.read, .stdout)], sink: capture)
        } catch {
            close(output.read)
            close(output.write)
            throw error
        }
        let gated: ChildLauncher.Gated
        do {
            defer { close(output.write) }
            gated = try ChildLauncher.spawn(spec, stdout: output.write, stderr: output.write)
        } catch {
            relay.discard()
            throw error
        }
        relay.start(name: "starling-exec-\(gated.pid)")
        let child = WatchedChild.watch(gated.pid) { child in
            child.signalGroup(SIGKILL)
            relay.drain()
        }
        do {
            try cgroup?.add(pid: gated.pid)
        } catch {
            gated.abandon()
            _ = try? await child.wait()
            throw StarlingError.internal("cannot join the task's cgroup: \(error)")
        }
        gated.open()

        let finished = await child.exits(within: timeout, clock: clock)
        if !finished { child.signalGroup(SIGKILL) }
        let raw = try? await child.wait()
        relay.close()
        try Task.checkCancellation()
        let exitCode = raw.flatMap { $0 }.map { ExitStatus(waitStatus: $0).exitCode } ?? -1
        return ExecResult(exitCode: exitCode, output: capture.text, timedOut: !finished)
    }
}

/// Keeps the first `limit` bytes of an exec's output.
final class OutputCapture: OutputSink {
    private let limit: Int
    private let bytes = Mutex<[UInt8]>([])

    init(limit: Int) { self.limit = limit }

    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }

    func write(_ chunk: ArraySlice<UInt8>, from stream: LogEntry.Stream) {
        bytes.withLock { bytes in
            let room = limit - bytes.count
            if room > 0 { bytes += chunk.prefix(room) }
        }
    }

    func flush() {}
    func finish() {}
}

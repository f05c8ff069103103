import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where an `OutputRelay` delivers what it reads.
protocol OutputSink: Sendable {
    func write(_ bytes: ArraySlice<UInt8>, from stream: LogEntry.Stream)
    /// Everything the process wrote so far has been delivered: emit any partial line.
    func flush()
    /// No more output will come.
    func finish()
}

/// Reads a child's stdout and stderr pipes on a thread of its own and hands the bytes to a sink. It runs until both
/// pipes reach end of file (every process holding them is gone) or `close` is called.
///
/// `drain` is how a task's exit becomes deterministic for its log: once the main process has exited, everything
/// it wrote is already in the pipe buffers, so after one pass that reads until the pipes would block, the log
/// holds all of it.
final class OutputRelay: Sendable {
    private struct State {
        var finished = false
        var pendingDrains: [DispatchSemaphore] = []
    }

    private let sources: [(fd: Int32, stream: LogEntry.Stream)]
    private let sink: any OutputSink
    /// Wakes the relay's `poll`: "d" for a drain, "c" to close.
    private let wake: (read: Int32, write: Int32)
    private let state = Mutex(State())

    /// Takes ownership of the read ends in `sources`.
    init(sources: [(fd: Int32, stream: LogEntry.Stream)], sink: any OutputSink) throws {
        self.sources = sources
        self.sink = sink
        wake = try Descriptors.pipe()
        for source in sources { Descriptors.setNonBlocking(source.fd) }
        Descriptors.setNonBlocking(wake.read)
    }

    /// Closes every descriptor of a relay that was never started.
    func discard() {
        for source in sources { Glibc.close(source.fd) }
        state.withLock { state in
            state.finished = true
            Glibc.close(wake.read)
            Glibc.close(wake.write)
        }
    }

    func start(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Blocks until everything already in the pipes has reached the sink (returns at once once the relay ended).
    func drain() {
        let semaphore = DispatchSemaphore(value: 0)
        // The wake pipe is written under the lock: once `finished` is set it is closed, and its number may be reused.
        let accepted = state.withLock { state in
            guard !state.finished else { return false }
            state.pendingDrains.append(semaphore)
            Descriptors.writeAll(wake.write, Array("d".utf8))
            return true
        }
        if accepted { semaphore.wait() }
    }

    /// Reads what is left and stops, even if some process still holds a pipe open.
    func close() {
        state.withLock { state in
            if !state.finished { Descriptors.writeAll(wake.write, Array("c".utf8)) }
        }
    }

    private func run() {
        var open = sources
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var closing = false
        while !open.isEmpty && !closing {
            var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 { if errno == EINTR { continue } else { break } }
            var drains = false
            if fds[fds.count - 1].revents != 0 {
                for byte in readAvailable(wake.read, &buffer) {
                    if byte == UInt8(ascii: "c") { closing = true } else { drains = true }
                }
            }
            // Taken before reading: whoever asked wrote its request after what it wants drained was in the pipes.
            let requested = drains || closing ? takePendingDrains() : []
            let readable = zip(open, fds).filter { $0.1.revents != 0 || drains || closing }.map(\.0)
            // A drain reads until the pipes are empty; otherwise a bounded amount, so that one chatty stream
            // cannot starve the other or the wake pipe.
            let chunks = drains || closing ? Int.max : 16
            for source in readable where !readAll(source, &buffer, chunks: chunks) {
                Glibc.close(source.fd)
                open.removeAll { $0.fd == source.fd }
            }
            if drains || closing {
                sink.flush()
                requested.forEach { $0.signal() }
            }
        }
        for source in open { Glibc.close(source.fd) }
        sink.flush()
        state.withLock { state in
            state.finished = true
            Glibc.close(wake.read)
            Glibc.close(wake.write)
        }
        takePendingDrains().forEach { $0.signal() }
        sink.finish()
    }

    /// Reads `source` until it would block or `chunks` buffers were read (true), or it reaches end of file (false).
    private func readAll(
        _ source: (fd: Int32, stream: LogEntry.Stream), _ buffer: inout [UInt8], chunks: Int
    ) -> Bool {
        var remaining = chunks
        while remaining > 0 {
            let count = buffer.withUnsafeMutableBytes { read(source.fd, $0.baseAddress, $0.count) }
            if count > 0 {
                sink.write(buffer[0..<count], from: source.stream)
                remaining -= 1
                continue
            }
            if count < 0 && errno == EINTR { continue }
            return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
        return true
    }

    private func readAvailable(_ fd: Int32, _ buffer: inout [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 { bytes += buffer[0..<count] } else if count < 0 && errno == EINTR { continue } else { break }
        }
        return bytes
    }

    private func takePendingDrains() -> [DispatchSemaphore] {
        state.withLock { state in
            defer { state.pendingDrains = [] }
            return state.pendingDrains
        }
    }
}

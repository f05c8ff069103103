import Foundation
import StarlingModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A task's output on disk in Docker's json-file format (one `{"log":…,"stream":…,"time":…}` per line), rotated
/// at `LogRotation.maxSize` with at most `maxFiles` files kept (`output.log`, `output.log.1`, … oldest last), and
/// fanned out to followers as it is written.
///
/// Lines are split as Docker's driver splits them: at each newline, and every 16 KiB of a longer line.
final class TaskLog: OutputSink {
    static let fileName = "output.log"
    /// Docker's maximum entry: a longer line is stored as several.
    static let maximumEntry = 16 << 10

    private struct State {
        var fd: Int32
        var size: Int
        var partial: [LogEntry.Stream: [UInt8]] = [:]
        var followers: [Int: AsyncThrowingStream<LogEntry, any Error>.Continuation] = [:]
        var nextFollower = 0
        var finished = false
    }

    let directory: String
    let rotation: LogRotation
    private let state: Mutex<State>

    var path: String { directory + "/" + Self.fileName }

    /// Opens (or creates) the log in `directory`, appending to what is there.
    init(directory: String, rotation: LogRotation) throws {
        self.directory = directory
        self.rotation = rotation
        let path = directory + "/" + Self.fileName
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw HostCgroupFileSystem.failure("cannot open \(path)") }
        var info = stat()
        fstat(fd, &info)
        state = Mutex(State(fd: fd, size: Int(info.st_size)))
    }

    deinit {
        state.withLock { state in
            if state.fd >= 0 { close(state.fd) }
        }
    }

    func write(_ bytes: ArraySlice<UInt8>, from stream: LogEntry.Stream) {
        state.withLock { state in
            var pending = state.partial[stream, default: []]
            pending += bytes
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                while newline + 1 - start > Self.maximumEntry {
                    emit(pending[start..<(start + Self.maximumEntry)], stream, &state)
                    start += Self.maximumEntry
                }
                emit(pending[start...newline], stream, &state)
                start = newline + 1
            }
            while pending.count - start >= Self.maximumEntry {
                emit(pending[start..<(start + Self.maximumEntry)], stream, &state)
                start += Self.maximumEntry
            }
            state.partial[stream] = Array(pending[start...])
        }
    }

    func flush() {
        state.withLock { state in
            for stream in [LogEntry.Stream.stdout, .stderr] {
                guard let pending = state.partial[stream], !pending.isEmpty else { continue }
                emit(pending[...], stream, &state)
                state.partial[stream] = []
            }
        }
    }

    /// Ends every follower; later entries are dropped.
    func finish() {
        let followers = state.withLock { state in
            state.finished = true
            if state.fd >= 0 { close(state.fd) }
            state.fd = -1
            defer { state.followers = [:] }
            return Array(state.followers.values)
        }
        // Outside the lock: finishing runs the streams' termination handlers, which take it.
        followers.forEach { $0.finish() }
    }

    /// What is on disk, oldest first (the last `tail` entries when set); with `follow`, then every new entry until
    /// `finish`.
    func entries(follow: Bool, tail: Int? = nil) -> AsyncThrowingStream<LogEntry, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: LogEntry.self)
        let registered = state.withLock { state -> Int? in
            // Read and registered under one lock: nothing is missed or seen twice between the two.
            for entry in storedEntries().suffix(max(0, tail ?? .max)) { continuation.yield(entry) }
            guard follow, !state.finished else { return nil }
            let id = state.nextFollower
            state.nextFollower += 1
            state.followers[id] = continuation
            return id
        }
        guard let id = registered else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.followers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Deletes every file of the log.
    func removeFiles() {
        for index in 0..<rotation.maxFiles { unlink(fileName(index)) }
    }

    /// `output.log` for 0, `output.log.N` for the N-th rotated file.
    private func fileName(_ index: Int) -> String { index == 0 ? path : path + ".\(index)" }

    private func storedEntries() -> [LogEntry] {
        let decoder = StarlingJSON.decoder()
        var entries: [LogEntry] = []
        for index in (0..<rotation.maxFiles).reversed() {
            guard let data = FileManager.default.contents(atPath: fileName(index)) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let stored = try? decoder.decode(StoredLine.self, from: Data(line)),
                    let stream = LogEntry.Stream(rawValue: stored.stream)
                else { continue }
                entries.append(LogEntry(stream: stream, time: stored.time, message: stored.log))
            }
        }
        return entries
    }

    /// Appends one entry to the file and to the followers. Called with the lock held.
    private func emit(_ bytes: ArraySlice<UInt8>, _ stream: LogEntry.Stream, _ state: inout State) {
        guard !state.finished else { return }
        let entry = LogEntry(stream: stream, time: Timestamp.now(), message: String(decoding: bytes, as: UTF8.self))
        let line = Array(Self.jsonLine(entry).utf8)
        if state.size > 0 && state.size + line.count > rotation.maxSize { rotate(&state) }
        if state.fd >= 0 && Descriptors.writeAll(state.fd, line) { state.size += line.count }
        for follower in state.followers.values { follower.yield(entry) }
    }

    /// Shifts the files by one, dropping the oldest, and starts an empty current file.
    private func rotate(_ state: inout State) {
        state.size = 0
        guard rotation.maxFiles > 1 else {
            _ = ftruncate(state.fd, 0)
            return
        }
        close(state.fd)
        for index in (1..<rotation.maxFiles).reversed() { rename(fileName(index - 1), fileName(index)) }
        state.fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
    }

    /// `{"log":"…","stream":"…","time":"…"}` and a newline, in the field order Docker's json-file driver writes.
    static func jsonLine(_ entry: LogEntry) -> String {
        var text = #"{"log":""#
        for scalar in entry.message.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + #"","stream":""# + entry.stream.rawValue + #"","time":""# + RFC3339.format(entry.time)
            + "\"}\n"
    }

    /// One line of the file, as Docker's json-file driver writes it.
    private struct StoredLine: Codable {
        var log: String
        var stream: String
        var time: Timestamp
    }
}

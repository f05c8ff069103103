import Foundation
import StarlingModel
import Synchronization
import Testing

@testable import StarlingStore

/// kill -9 of a process writing to the store, at random moments, over and over: the file stays sound and every
/// acknowledged write is there.
@Suite struct CrashTests {
    /// One line of `starling-store-crash-writer`: a write that returned to its caller.
    struct Acknowledgement: CustomStringConvertible {
        var kind: String
        var revision: Revision
        var key: String
        var value: String

        init?(_ line: String) {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 4, let revision = Revision(fields[1]) else { return nil }
            (kind, self.revision, key, value) = (fields[0], revision, fields[2], fields[3])
        }

        var description: String { "\(kind) \(revision) \(key) \(value)" }
    }

    static let writerName = "starling-store-crash-writer"

    /// The writer next to the test binary, or in a `.build/debug` above this source file.
    static func crashWriter() -> URL? {
        var candidates: [URL] = []
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent(writerName))
            directory.deleteLastPathComponent()
        }
        var source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while source.path != "/" {
            candidates.append(source.appendingPathComponent(".build/debug/\(writerName)"))
            source.deleteLastPathComponent()
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    @Test(.timeLimit(.minutes(5)))
    func killNineLosesNoAcknowledgedWrite() async throws {
        let writer = try #require(
            Self.crashWriter(), "build the writer first: swift build --product \(Self.writerName)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("crash.db")
        let seed: UInt64 = 0x5_7A7_1196
        var generator = SeededGenerator(seed: seed)
        var acknowledged: [Acknowledgement] = []
        for round in 0..<6 {
            let target = Int.random(in: 150...450, using: &generator)
            let acknowledgements = try await runAndKill(writer, path: path, run: "r\(round)", after: target)
            #expect(acknowledgements.count >= target, "round \(round) (seed \(seed)) ended early")
            acknowledged += acknowledgements
        }

        let store = try SQLiteKeyValueStore(path: path)
        #expect(try await store.integrityCheck() == ["ok"])
        #expect(Set(acknowledged.map(\.revision)).count == acknowledged.count, "no revision acknowledged twice")
        var missing: [String] = []
        for acknowledgement in acknowledged {
            let kv = try await store.get(acknowledgement.key)
            if kv?.text != acknowledgement.value || kv?.modRevision != acknowledgement.revision {
                missing.append(acknowledgement.description)
            }
        }
        #expect(missing.count == 0, "acknowledged writes lost (first 10): \(missing.prefix(10))")

        // Each transaction wrote its key and incremented the counter atomically, whether acknowledged or not.
        let keys = try await store.range(prefix: "/crash/r").kvs
        let transactionKeys = keys.filter { kv in
            kv.key.split(separator: "/").last.flatMap { Int($0) }.map { $0 % 2 == 1 } ?? false
        }
        let counter = try #require(try await store.get("/crash/counter"))
        #expect(Int(counter.text) == transactionKeys.count)
        #expect(transactionKeys.count >= acknowledged.filter { $0.kind == "txn" }.count)
        print("crash test: checked \(acknowledged.count) acknowledged writes over 6 kills (seed \(seed))")
    }

    /// Starts the writer, SIGKILLs it once it has acknowledged `target` writes, and returns every acknowledgement
    /// it printed before dying.
    func runAndKill(_ writer: URL, path: String, run: String, after target: Int) async throws -> [Acknowledgement] {
        let process = Process()
        process.executableURL = writer
        process.arguments = [path, run]
        let output = Pipe()
        process.standardOutput = output
        let reader = LineReader(output.fileHandleForReading)
        try process.run()
        var acknowledgements: [Acknowledgement] = []
        var killed = false
        for await line in reader.lines {
            guard let acknowledgement = Acknowledgement(line) else {
                Issue.record("unexpected output from the writer: \(line)")
                continue
            }
            acknowledgements.append(acknowledgement)
            if !killed, acknowledgements.count >= target {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        if !killed { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        return acknowledgements
    }
}

/// The lines a pipe delivers, as they arrive; the stream ends at end of file.
final class LineReader: Sendable {
    let lines: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    private let pending = Mutex<[UInt8]>([])

    init(_ handle: FileHandle) {
        (lines, continuation) = AsyncStream.makeStream(of: String.self)
        handle.readabilityHandler = { [self] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            for line in complete(data) { continuation.yield(line) }
        }
    }

    private func complete(_ data: Data) -> [String] {
        pending.withLock { pending in
            pending += data
            guard let end = pending.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
            let lines = pending[..<end].split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
            pending.removeSubrange(...end)
            return lines
        }
    }
}

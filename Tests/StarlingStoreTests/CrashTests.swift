import Foundation
import StarlingModel
import StarlingTestSupport
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
    ///
    /// The writer prints to a file, not a pipe: a pipe's write end can be inherited by a process another test
    /// spawns at the same moment, and then end of file never comes. A line in the file was written after its
    /// store call returned, so it is an acknowledged write even if the kill follows at once.
    func runAndKill(_ writer: URL, path: String, run: String, after target: Int) async throws -> [Acknowledgement] {
        let log = path + ".\(run).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let executable = writer.path(percentEncoded: false)
        let words: [String] = [executable, path, run]
        let argv = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        func acknowledgements() -> [Acknowledgement] {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            // The last line may be cut short by the kill; it is only counted once complete.
            return text.split(separator: "\n", omittingEmptySubsequences: true)
                .dropLast(text.hasSuffix("\n") ? 0 : 1)
                .compactMap { Acknowledgement(String($0)) }
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(60))
        var status: Int32 = 0
        var exited = false
        while acknowledgements().count < target, clock.now < deadline, !exited {
            exited = waitpid(pid, &status, WNOHANG) == pid
            if !exited { try await Task.sleep(for: .milliseconds(2)) }
        }
        #expect(!exited, "the writer exited by itself with status \(status)")
        if !exited {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            #expect(status & 0x7f == SIGKILL)
        }
        let lines = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        for line in lines.split(separator: "\n") where Acknowledgement(String(line)) == nil && lines.hasSuffix("\n") {
            Issue.record("unexpected output from the writer: \(line)")
        }
        return acknowledgements()
    }
}

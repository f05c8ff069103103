import Foundation
import StarlingTestSupport
import Testing

@testable import StarlingExecutor

/// A fresh directory under the system's temporary directory, removed by `remove`.
struct TemporaryDirectory {
    let path: String

    init(_ name: String = "starling-executor") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct TaskLogTests {
    static func collect(_ stream: AsyncThrowingStream<LogEntry, any Error>) async throws -> [LogEntry] {
        var entries: [LogEntry] = []
        for try await entry in stream { entries.append(entry) }
        return entries
    }

    @Test func splitsLinesPerStreamAndKeepsPartialOnesUntilAFlush() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try TaskLog(directory: directory.path, rotation: LogRotation())
        log.write(Array("one\ntw".utf8)[...], from: .stdout)
        log.write(Array("err\n".utf8)[...], from: .stderr)
        log.write(Array("o\nthree".utf8)[...], from: .stdout)
        log.flush()
        log.finish()
        let entries = try await Self.collect(log.entries(follow: false))
        #expect(entries.map(\.message) == ["one\n", "err\n", "two\n", "three"])
        #expect(entries.map(\.stream) == [.stdout, .stderr, .stdout, .stdout])
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        #expect(text.hasPrefix(#"{"log":"one\n","stream":"stdout","time":""#))
    }

    @Test func awkwardTextSurvivesTheFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try TaskLog(directory: directory.path, rotation: LogRotation())
        let message = "\"quoted\" back\\slash\ttab \u{1}bell é ✓\r\n"
        log.write(Array(message.utf8)[...], from: .stderr)
        log.write([0xff, 0x41, 0x0a][...], from: .stdout)
        let entries = try await Self.collect(log.entries(follow: false))
        #expect(entries.map(\.message) == [message, "\u{FFFD}A\n"])
    }

    @Test func longLinesAreStoredIn16KiBPieces() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try TaskLog(directory: directory.path, rotation: LogRotation())
        log.write(Array(String(repeating: "x", count: 40_000).utf8 + [10])[...], from: .stdout)
        let entries = try await Self.collect(log.entries(follow: false))
        #expect(entries.map(\.message.utf8.count) == [16_384, 16_384, 7_233])
    }

    @Test func rotatesAtTheSizeLimitAndKeepsAtMostMaxFiles() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try TaskLog(directory: directory.path, rotation: LogRotation(maxSize: 300, maxFiles: 3))
        for index in 0..<40 { log.write(Array("line \(index)\n".utf8)[...], from: .stdout) }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files == ["output.log", "output.log.1", "output.log.2"])
        for file in files {
            let size = try FileManager.default.attributesOfItem(atPath: directory.path + "/" + file)[.size] as? Int
            #expect((size ?? 0) <= 300)
        }
        let messages = try await Self.collect(log.entries(follow: false)).map(\.message)
        // The oldest lines are gone, the newest are all there, in order.
        #expect(messages.last == "line 39\n")
        #expect(!messages.contains("line 0\n"))
        let numbers = messages.compactMap { Int($0.dropFirst(5).dropLast()) }
        #expect(numbers == Array((40 - numbers.count)..<40))
    }

    @Test func followersGetTheHistoryThenNewEntriesUntilTheEnd() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try TaskLog(directory: directory.path, rotation: LogRotation())
        log.write(Array("before\n".utf8)[...], from: .stdout)
        var iterator = log.entries(follow: true).makeAsyncIterator()
        #expect(try await iterator.next()?.message == "before\n")
        log.write(Array("after\n".utf8)[...], from: .stderr)
        let after = try await iterator.next()
        #expect(after?.message == "after\n")
        #expect(after?.stream == .stderr)
        log.finish()
        #expect(try await iterator.next() == nil)
    }

    @Test func tailKeepsTheLastEntriesThenFollowsWithoutGapOrRepeat() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try TaskLog(directory: directory.path, rotation: LogRotation())
        log.write(Array("1\n2\n3\n".utf8)[...], from: .stdout)
        #expect(try await Self.collect(log.entries(follow: false, tail: 2)).map(\.message) == ["2\n", "3\n"])
        #expect(try await Self.collect(log.entries(follow: false, tail: 0)).isEmpty)
        #expect(try await Self.collect(log.entries(follow: false, tail: 10)).count == 3)
        var iterator = log.entries(follow: true, tail: 1).makeAsyncIterator()
        #expect(try await iterator.next()?.message == "3\n")
        log.write(Array("4\n".utf8)[...], from: .stdout)
        #expect(try await iterator.next()?.message == "4\n")
        log.finish()
        #expect(try await iterator.next() == nil)
    }
}

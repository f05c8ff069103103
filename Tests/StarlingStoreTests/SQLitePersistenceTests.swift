import Foundation
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingStore

/// What the SQLite file keeps across a reopen, and how it is configured.
@Suite struct SQLitePersistenceTests {
    @Test func reopeningTheFileKeepsEverything() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("store.db")
        let clock = ManualClock()
        let lease: Lease
        do {
            let store = try SQLiteKeyValueStore(path: path, clock: clock)
            _ = try await store.put("/a", value: "1".bytes)  // 2
            _ = try await store.put("/a", value: "2".bytes)  // 3
            _ = try await store.put("/b", value: "x".bytes)  // 4
            lease = try await store.grantLease(ttl: .seconds(10))
            _ = try await store.put("/leased", value: [], lease: lease.id)  // 5
            _ = try await store.delete("/b")  // 6
            try await store.compact(upTo: 3)
            store.close()
        }
        let store = try SQLiteKeyValueStore(path: path, clock: clock)
        #expect(try await store.currentRevision == 6)
        #expect(
            try await store.get("/a")
                == KeyValue(key: "/a", value: "2".bytes, createRevision: 2, modRevision: 3, version: 2))
        #expect(try await store.get("/b") == nil)
        #expect(try await store.get("/leased")?.lease == lease.id)
        #expect(try await store.range(prefix: "/").kvs.map(\.key) == ["/a", "/leased"])

        await #expect(throws: RevisionCompacted.self) { try await store.watch(prefix: "/", fromRevision: 2) }
        let batches = try await collect(try await store.watch(prefix: "/", fromRevision: 3), through: 6)
        #expect(batches.map(\.revision) == [3, 4, 5, 6])
        #expect(batches.last?.events.first?.prevKV?.text == "x")

        // Leases get their full TTL again after a reopen, as etcd's do after a restart.
        clock.advance(by: .seconds(9))
        #expect(try await store.expireLeases().isEmpty)
        #expect(try await store.keepAlive(lease.id) == lease)
        let next = try await store.grantLease(ttl: .seconds(1))
        #expect(next.id > lease.id, "lease IDs are never reused")
        #expect(try await store.put("/c", value: []) == 7)
    }

    @Test func theFileIsInWALModeAndCommitsAreFullySynchronous() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteKeyValueStore(path: directory.path("store.db"))
        #expect(try store.writerSynchronousLevel() == 2)
        #expect(try await store.integrityCheck() == ["ok"])
        #expect(FileManager.default.fileExists(atPath: directory.path("store.db-wal")))
    }

    @Test func anUnopenableFileIsUnavailable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: StarlingError.self) {
            try SQLiteKeyValueStore(path: directory.path("missing/dir/store.db"))
        }
    }

    @Test func prefixEndsAreByteWise() {
        #expect(SQLiteTable.prefixEnd("") == nil)
        #expect(SQLiteTable.prefixEnd("/a") == Data("/b".utf8))
        #expect(SQLiteTable.prefixEnd("a\u{7F}") == Data([0x61, 0x80]))
        #expect(SQLiteTable.prefixEnd("é") == Data([0xC3, 0xAA]))
    }
}

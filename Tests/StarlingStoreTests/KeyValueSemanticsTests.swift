import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingStore

/// etcd's key-value semantics, against every backend.
@Suite struct KeyValueSemanticsTests {
    @Test(arguments: Backend.allCases)
    func revisionsAndVersions(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        #expect(try await store.currentRevision == 1)

        #expect(try await store.put("/a", value: "1".bytes) == 2)
        var kv = try #require(try await store.get("/a"))
        #expect(kv == KeyValue(key: "/a", value: "1".bytes, createRevision: 2, modRevision: 2, version: 1))

        #expect(try await store.put("/b", value: "x".bytes) == 3)
        #expect(try await store.put("/a", value: "2".bytes) == 4)
        kv = try #require(try await store.get("/a"))
        #expect((kv.createRevision, kv.modRevision, kv.version, kv.text) == (2, 4, 2, "2"))

        #expect(try await store.delete("/a") == 5)
        #expect(try await store.get("/a") == nil)
        #expect(try await store.delete("/a") == nil, "deleting an absent key changes nothing")
        #expect(try await store.currentRevision == 5)

        #expect(try await store.put("/a", value: "3".bytes) == 6)
        kv = try #require(try await store.get("/a"))
        #expect((kv.createRevision, kv.modRevision, kv.version) == (6, 6, 1), "a re-created key starts over")
    }

    @Test(arguments: Backend.allCases)
    func rangeIsSortedByteWiseAndReadsAtOneRevision(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        for key in ["/n/b", "/n/a", "/n/é", "/n/Z", "/n0", "/m", "/n/a/deeper"] {
            _ = try await store.put(key, value: key.bytes)
        }
        let range = try await store.range(prefix: "/n/")
        #expect(range.kvs.map(\.key) == ["/n/Z", "/n/a", "/n/a/deeper", "/n/b", "/n/é"])
        #expect(range.revision == 8)
        #expect(try await store.range(prefix: "").kvs.count == 7)
        #expect(try await store.range(prefix: "/x").kvs.isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func deletePrefixTakesOneRevision(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        for key in ["/t/1", "/t/2", "/t/3", "/u"] { _ = try await store.put(key, value: []) }
        #expect(try await store.deletePrefix("/t/") == 6)
        #expect(try await store.range(prefix: "/t/").kvs.isEmpty)
        #expect(try await store.get("/u") != nil)
        #expect(try await store.deletePrefix("/t/") == nil)
        #expect(try await store.currentRevision == 6)
    }

    @Test(arguments: Backend.allCases)
    func transactionWritesShareOneRevision(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        _ = try await store.put("/gone", value: "x".bytes)
        let result = try await store.txn(
            Transaction(success: [
                .put(key: "/one", value: "1".bytes), .get(key: "/one"), .put(key: "/two", value: "2".bytes),
                .delete(key: "/gone"), .get(key: "/gone"),
            ]))
        #expect(result.succeeded)
        #expect(result.revision == 3)
        #expect(result.results.count == 5)
        #expect(result.gets.count == 2)
        #expect(result.gets[0]?.modRevision == 3, "a get sees the branch's earlier writes")
        #expect(result.gets[1] == nil)
        #expect(try await store.get("/two")?.modRevision == 3)
        #expect(try await store.currentRevision == 3)
    }

    @Test(arguments: Backend.allCases)
    func readOnlyAndNoOpTransactionsDoNotBumpTheRevision(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        _ = try await store.put("/k", value: "v".bytes)
        let read = try await store.txn(Transaction(compares: [.exists("/k")], success: [.get(key: "/k")]))
        #expect(read.succeeded && read.revision == 2 && read.gets.first??.text == "v")
        let noop = try await store.txn(Transaction(success: [.delete(key: "/absent")]))
        #expect(noop.revision == 2 && noop.results == [.delete(count: 0)])
        #expect(try await store.currentRevision == 2)
    }

    @Test(arguments: Backend.allCases)
    func everyCompareTarget(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        _ = try await store.put("/k", value: "b".bytes)  // rev 2
        _ = try await store.put("/k", value: "b".bytes)  // rev 3, version 2
        func holds(_ compare: Compare) async throws -> Bool {
            try await store.txn(Transaction(compares: [compare])).succeeded
        }
        #expect(try await holds(.modRevision("/k", .equal, 3)))
        #expect(try await !holds(.modRevision("/k", .equal, 2)))
        #expect(try await holds(.modRevision("/k", .notEqual, 2)))
        #expect(try await holds(.modRevision("/k", .less, 4)))
        #expect(try await !holds(.modRevision("/k", .less, 3)))
        #expect(try await holds(.modRevision("/k", .greater, 2)))
        #expect(try await holds(Compare(key: "/k", .equal, .createRevision(2))))
        #expect(try await holds(.exists("/k")))
        #expect(try await !holds(.absent("/k")))
        #expect(try await holds(.absent("/nope")))
        #expect(try await holds(.modRevision("/nope", .equal, 0)), "an absent key has revision 0")
        #expect(try await holds(Compare(key: "/k", .equal, .version(2))))
        #expect(try await holds(Compare(key: "/k", .greater, .version(1))))
        #expect(try await holds(Compare(key: "/nope", .equal, .version(0))))
        #expect(try await holds(.value("/k", equals: "b".bytes)))
        #expect(try await !holds(.value("/k", equals: "c".bytes)))
        #expect(try await holds(Compare(key: "/k", .less, .value("c".bytes))))
        #expect(try await holds(Compare(key: "/k", .greater, .value("a".bytes))))
        #expect(try await !holds(.value("/nope", equals: [])), "a value compare on an absent key fails")
        #expect(try await !holds(Compare(key: "/nope", .notEqual, .value("x".bytes))))
        #expect(try await holds(Compare(key: "/k", .equal, .lease(nil))))

        let both = try await store.txn(
            Transaction(
                compares: [.exists("/k"), .absent("/k")], success: [.put(key: "/s", value: [])],
                failure: [.put(key: "/f", value: []), .get(key: "/k")]))
        #expect(!both.succeeded, "every compare must hold")
        #expect(both.revision == 4)
        #expect(both.gets.first??.version == 2)
        #expect(try await store.get("/s") == nil)
        #expect(try await store.get("/f") != nil)
    }

    @Test(arguments: Backend.allCases)
    func createIfAbsent(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        let create = Transaction(compares: [.absent("/x")], success: [.put(key: "/x", value: "first".bytes)])
        #expect(try await store.txn(create).succeeded)
        #expect(try await !store.txn(create).succeeded)
        #expect(try await store.get("/x")?.text == "first")
    }

    @Test(arguments: Backend.allCases)
    func branchesMayNotWriteAKeyTwice(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        await #expect(throws: StarlingError.self) {
            try await store.txn(Transaction(success: [.put(key: "/a", value: []), .delete(key: "/a")]))
        }
        await #expect(throws: StarlingError.self) {
            try await store.txn(Transaction(success: [.deletePrefix("/a"), .put(key: "/a/b", value: [])]))
        }
        #expect(try await store.currentRevision == 1)
    }

    @Test(arguments: Backend.allCases)
    func concurrentCompareAndSwapIncrementsLoseNothing(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        let (writers, increments) = (8, 25)
        let retries = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    var retries = 0
                    for _ in 0..<increments {
                        while true {
                            let current = try await store.get("/counter")
                            let count = current.flatMap { Int($0.text) } ?? 0
                            let result = try await store.txn(
                                Transaction(
                                    compares: [.modRevision("/counter", .equal, current?.modRevision ?? 0)],
                                    success: [.put(key: "/counter", value: String(count + 1).bytes)]))
                            if result.succeeded { break }
                            retries += 1
                        }
                    }
                    return retries
                }
            }
            return try await group.reduce(0, +)
        }
        let counter = try #require(try await store.get("/counter"))
        #expect(counter.text == String(writers * increments))
        #expect(counter.version == Int64(writers * increments))
        #expect(try await store.currentRevision == Revision(1 + writers * increments))
        print("[\(backend)] \(writers * increments) CAS increments by \(writers) tasks: \(retries) retries")
    }

    @Test(arguments: Backend.allCases)
    func compactRefusesFutureAndAlreadyCompactedRevisions(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        for index in 0..<4 { _ = try await store.put("/k", value: [UInt8(index)]) }
        await #expect(throws: StarlingError.self) { try await store.compact(upTo: 9) }
        try await store.compact(upTo: 4)
        await #expect(throws: RevisionCompacted(requested: 3, oldestAvailable: 4)) {
            try await store.compact(upTo: 3)
        }
        #expect(try await store.get("/k")?.version == 4, "compaction keeps the current keys")
    }

    @Test(arguments: Backend.allCases)
    func aFailingWriteDoesNotFailTheWritesCommittedWithIt(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        // Concurrent writes share SQLite transactions; one refused write must not take the others down.
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        let lease = index % 4 == 0 ? LeaseID(999) : nil
                        _ = try await store.put("/batch/\(index)", value: [], lease: lease)
                        return true
                    } catch let error as StarlingError where error.code == .notFound {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 30)
        #expect(try await store.range(prefix: "/batch/").kvs.count == 30)
        #expect(try await store.currentRevision == 31)
    }
}

import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingStore

/// Watches replay history, then follow live changes, with no gap and no duplicate.
@Suite struct WatchTests {
    @Test(arguments: Backend.allCases)
    func replaysHistoryThenFollowsLiveChanges(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        for index in 1...5 { _ = try await store.put("/w/\(index)", value: [UInt8(index)]) }  // revisions 2...6
        _ = try await store.put("/elsewhere", value: [])  // 7
        _ = try await store.delete("/w/1")  // 8
        let stream = try await store.watch(prefix: "/w/", fromRevision: 4)
        var iterator = stream.makeAsyncIterator()
        var seen: [Revision] = []
        for _ in 0..<4 { seen.append(try #require(try await iterator.next()).revision) }
        #expect(seen == [4, 5, 6, 8], "history from revision 4, only under the prefix")

        _ = try await store.put("/w/6", value: [6])  // 9
        _ = try await store.put("/elsewhere", value: [])  // 10
        _ = try await store.txn(
            Transaction(success: [.put(key: "/w/7", value: [7]), .put(key: "/elsewhere/too", value: [])]))  // 11
        let live1 = try #require(try await iterator.next())
        let live2 = try #require(try await iterator.next())
        #expect(live1.revision == 9 && live1.events.map(\.kv.key) == ["/w/6"])
        #expect(live2.revision == 11 && live2.events.map(\.kv.key) == ["/w/7"])
    }

    @Test(arguments: Backend.allCases)
    func eventsCarryRevisionsAndDeletesCarryTheDeletedKey(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        _ = try await store.put("/e", value: "a".bytes)
        _ = try await store.put("/e", value: "b".bytes)
        _ = try await store.delete("/e")
        let batches = try await collect(try await store.watch(prefix: "/e", fromRevision: 2), through: 4)
        #expect(batches.map(\.revision) == [2, 3, 4])
        let put = batches[1].events[0]
        #expect(put.kind == .put)
        #expect(put.kv == KeyValue(key: "/e", value: "b".bytes, createRevision: 2, modRevision: 3, version: 2))
        let delete = batches[2].events[0]
        #expect(delete.kind == .delete)
        #expect(delete.kv == KeyValue(key: "/e", value: [], createRevision: 0, modRevision: 4, version: 0))
        #expect(delete.prevKV == put.kv)
    }

    @Test(arguments: Backend.allCases)
    func noGapAndNoDuplicateWhileWritersRun(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        for index in 0..<20 { _ = try await store.put("/c/pre\(index)", value: []) }  // revisions 2...21
        let total = 200
        let written = try await withThrowingTaskGroup(of: [Revision].self) { group in
            for writer in 0..<4 {
                group.addTask {
                    var revisions: [Revision] = []
                    for index in 0..<(total / 4) {
                        revisions.append(try await store.put("/c/\(writer)/\(index)", value: []))
                    }
                    return revisions
                }
            }
            // Registers while the writers run: the boundary between history and live changes falls anywhere.
            let stream = try await store.watch(prefix: "/c/", fromRevision: 2)
            var all: [Revision] = []
            for try await revisions in group { all += revisions }
            let last = try #require(all.max())
            let seen = try await collect(stream, through: last).map(\.revision)
            return (all, seen)
        }
        let expected = Array(Revision(2)...Revision(21 + total))
        #expect(written.0.sorted() == Array(expected.suffix(total)))
        #expect(written.1 == expected)
    }

    @Test(arguments: Backend.allCases)
    func watchingACompactedRevisionFails(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        for index in 0..<6 { _ = try await store.put("/k\(index % 2)", value: [UInt8(index)]) }  // revisions 2...7
        try await store.compact(upTo: 5)
        await #expect(throws: RevisionCompacted(requested: 3, oldestAvailable: 5)) {
            try await store.watch(prefix: "/", fromRevision: 3)
        }
        let error = RevisionCompacted(requested: 3, oldestAvailable: 5)
        #expect(error.description == "revision 3 has been compacted; the oldest available revision is 5")
        let batches = try await collect(try await store.watch(prefix: "/", fromRevision: 5), through: 7)
        #expect(batches.map(\.revision) == [5, 6, 7])
    }

    @Test(arguments: Backend.allCases)
    func watchFromZeroStartsWithTheNextRevision(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        _ = try await store.put("/a", value: [])
        let stream = try await store.watch(prefix: "/")
        _ = try await store.put("/b", value: [])
        let batches = try await collect(stream, through: 3)
        #expect(batches.map(\.revision) == [3])
    }

    @Test(arguments: Backend.allCases)
    func cancellingTheConsumerEndsTheWatchAndFreesIt(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        let stream = try await store.watch(prefix: "/", fromRevision: 0)
        #expect(fixture.watcherCount == 1)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let consumer = Task {
            var count = 0
            for try await _ in stream {
                count += 1
                startedContinuation.yield()
            }
            return count
        }
        _ = try await store.put("/x", value: [])
        var startedIterator = started.makeAsyncIterator()
        await startedIterator.next()
        consumer.cancel()
        #expect(try await consumer.value == 1, "the stream ends quietly when its task is cancelled")
        #expect(fixture.watcherCount == 0)
    }

    @Test(arguments: Backend.allCases)
    func droppingAnUnusedWatchFreesIt(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        do {
            let stream = try await fixture.store.watch(prefix: "/", fromRevision: 0)
            _ = stream
            #expect(fixture.watcherCount == 1)
        }
        #expect(fixture.watcherCount == 0)
    }

    @Test func longHistoryIsReplayedInPagesAndBigRevisionsWhole() async throws {
        let fixture = try StoreFixture(.sqlite)
        defer { fixture.finish() }
        let store = fixture.store
        var big = Transaction()
        for index in 0..<1500 { big.success.append(.put(key: "/big/\(index)", value: [])) }
        #expect(try await store.txn(big).revision == 2)
        for index in 0..<1200 { _ = try await store.put("/small/\(index % 7)", value: []) }  // 3...1202
        let batches = try await collect(try await store.watch(prefix: "/", fromRevision: 1), through: 1202)
        #expect(batches.map(\.revision) == Array(2...1202))
        #expect(batches[0].events.count == 1500)
        #expect(batches.dropFirst().allSatisfy { $0.events.count == 1 })
    }

    @Test func compactionDuringAReplayEndsTheWatchWithAnError() async throws {
        let fixture = try StoreFixture(.sqlite)
        defer { fixture.finish() }
        let store = fixture.store
        for index in 0..<1500 { _ = try await store.put("/r/\(index % 3)", value: []) }  // 2...1501
        var iterator = try await store.watch(prefix: "/r/", fromRevision: 2).makeAsyncIterator()
        #expect(try await iterator.next()?.revision == 2)
        try await store.compact(upTo: 1501)
        await #expect(throws: RevisionCompacted.self) {
            while try await iterator.next() != nil {}
        }
    }

    @Test func historyCompactionKeepsTheLastRevisions() async throws {
        let fixture = try StoreFixture(.memory)
        defer { fixture.finish() }
        let store = fixture.store
        for index in 0..<20 { _ = try await store.put("/h/\(index)", value: []) }  // 2...21
        let compaction = HistoryCompaction(
            store: store, clock: fixture.clock, interval: .seconds(60), retainedRevisions: 5)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await compaction.run() }
            await fixture.clock.waitForSleepers()
            fixture.clock.advance(by: .seconds(60))
            await fixture.clock.waitForSleepers()
            group.cancelAll()
            try await group.waitForAll()
        }
        await #expect(throws: RevisionCompacted(requested: 16, oldestAvailable: 17)) {
            try await store.watch(prefix: "/", fromRevision: 16)
        }
        let batches = try await collect(try await store.watch(prefix: "/", fromRevision: 17), through: 21)
        #expect(batches.map(\.revision) == [17, 18, 19, 20, 21])
    }
}

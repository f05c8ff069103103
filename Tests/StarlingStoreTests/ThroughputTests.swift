import StarlingTestSupport
import Testing

@testable import StarlingStore

/// Prints how fast the SQLite store writes on this machine. It asserts only the outcome, never the time.
@Suite struct ThroughputTests {
    @Test func sqliteWriteThroughput() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteKeyValueStore(path: directory.path("throughput.db"))
        let value = [UInt8](repeating: 0x61, count: 256)
        let clock = ContinuousClock()
        let (sequential, writers, perWriter) = (400, 16, 100)

        let sequentialPuts = try await clock.measure {
            for index in 0..<sequential { _ = try await store.put("/perf/seq/\(index % 50)", value: value) }
        }
        let concurrentPuts = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<perWriter {
                            _ = try await store.put("/perf/c/\(writer)/\(index)", value: value)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let sequentialTransactions = try await clock.measure {
            for index in 0..<sequential {
                try await compareAndSwap(store, key: "/perf/cas", value: [UInt8(index % 256)])
            }
        }
        let concurrentTransactions = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<perWriter {
                            try await compareAndSwap(store, key: "/perf/cas/\(writer)", value: [UInt8(index % 256)])
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(try await store.currentRevision == Revision(1 + 2 * (sequential + writers * perWriter)))

        func rate(_ count: Int, _ duration: Duration) -> Int {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return Int(Double(count) / seconds)
        }
        print(
            """
            SQLite store throughput: \
            sequential puts \(rate(sequential, sequentialPuts))/s, \
            concurrent puts (\(writers) writers) \(rate(writers * perWriter, concurrentPuts))/s, \
            sequential CAS txns \(rate(sequential, sequentialTransactions))/s, \
            concurrent CAS txns (\(writers) writers, own keys) \(rate(writers * perWriter, concurrentTransactions))/s
            """)
    }
}

/// Reads a key and replaces its value if nobody wrote it in between (one get and one transaction).
func compareAndSwap(_ store: any KeyValueStore, key: String, value: [UInt8]) async throws {
    let current = try await store.get(key)
    let result = try await store.txn(
        Transaction(
            compares: [.modRevision(key, .equal, current?.modRevision ?? 0)],
            success: [.put(key: key, value: value)]))
    #expect(result.succeeded)
}

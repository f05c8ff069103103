import Foundation
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingStore

/// The backends the shared semantics tests run against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case sqlite

    var testDescription: String { rawValue }
}

/// A scratch directory; the test removes it when done (`defer { directory.remove() }`, which also keeps it alive
/// until then).
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("starling-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A store of one backend, with the clock its leases expire on.
struct StoreFixture: Sendable {
    let store: any KeyValueStore
    let clock: ManualClock
    let directory: TemporaryDirectory?

    init(_ backend: Backend) throws {
        clock = ManualClock()
        switch backend {
        case .memory:
            store = MemoryKeyValueStore(clock: clock)
            directory = nil
        case .sqlite:
            let directory = try TemporaryDirectory()
            store = try SQLiteKeyValueStore(path: directory.path("store.db"), clock: clock)
            self.directory = directory
        }
    }

    /// Ends the store's watches and removes its files; `defer { fixture.finish() }` also keeps the fixture alive.
    func finish() {
        switch store {
        case let store as MemoryKeyValueStore: store.close()
        case let store as SQLiteKeyValueStore: store.close()
        default: break
        }
        directory?.remove()
    }

    /// The number of live watches of the store.
    var watcherCount: Int {
        switch store {
        case let store as MemoryKeyValueStore: store.watcherCount
        case let store as SQLiteKeyValueStore: store.watcherCount
        default: -1
        }
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

extension KeyValue {
    var text: String { String(decoding: value, as: UTF8.self) }
}

/// Collects batches from a watch until one at `revision` or later has arrived.
func collect(_ stream: WatchStream, through revision: Revision) async throws -> [WatchBatch] {
    var batches: [WatchBatch] = []
    for try await batch in stream {
        batches.append(batch)
        if batch.revision >= revision { break }
    }
    return batches
}

/// A small seeded generator (SplitMix64), so that random choices in tests can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

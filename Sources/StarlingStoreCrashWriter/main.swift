// starling-store-crash-writer PATH RUN
//
// Writes to the SQLite cluster store at PATH until killed, for the kill -9 test in StarlingStoreTests. Four tasks
// write concurrently; each write's key is unique (`/crash/RUN/WRITER/N`), and every second one is a transaction that
// also increments `/crash/counter` with a compare-and-swap. After each write returns, one line goes to stdout with
// a single write(2): `put|txn REVISION KEY VALUE`. A line is printed only for an acknowledged (durable) write.
import Foundation
import StarlingStore

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: starling-store-crash-writer PATH RUN\n".utf8))
    exit(2)
}
let store = try SQLiteKeyValueStore(path: arguments[1])
let run = arguments[2]
let counterKey = "/crash/counter"

func acknowledge(_ kind: String, _ revision: Revision, _ key: String, _ value: String) {
    FileHandle.standardOutput.write(Data("\(kind) \(revision) \(key) \(value)\n".utf8))
}

func incrementCounter(alongWith key: String, value: String) async throws -> Revision {
    while true {
        let counter = try await store.get(counterKey)
        let count = counter.flatMap { Int(String(decoding: $0.value, as: UTF8.self)) } ?? 0
        let result = try await store.txn(
            Transaction(
                compares: [.modRevision(counterKey, .equal, counter?.modRevision ?? 0)],
                success: [
                    .put(key: counterKey, value: Array(String(count + 1).utf8)),
                    .put(key: key, value: Array(value.utf8)),
                ]))
        if result.succeeded { return result.revision }
    }
}

func write(as writer: Int) async throws {
    var sequence = 0
    while true {
        sequence += 1
        let key = "/crash/\(run)/\(writer)/\(sequence)"
        let value = "value-\(run)-\(writer)-\(sequence)"
        if sequence % 2 == 0 {
            acknowledge("put", try await store.put(key, value: Array(value.utf8)), key, value)
        } else {
            acknowledge("txn", try await incrementCounter(alongWith: key, value: value), key, value)
        }
    }
}

try await withThrowingTaskGroup(of: Void.self) { group in
    for writer in 0..<4 { group.addTask { try await write(as: writer) } }
    try await group.waitForAll()
}

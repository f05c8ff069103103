import Foundation
import Logging
import ServiceLifecycle
import StarlingAPI
import StarlingClient
import StarlingModel
import Testing

/// Runs the API server for `backend` on a fresh unix socket in a `ServiceGroup` for the duration of `body`, then shuts
/// it down gracefully (as the daemon does).
func withEngineServer<Result: Sendable>(
    _ backend: any EngineBackend, _ body: @Sendable (String) async throws -> Result
) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "starling-svc-\(UUID().uuidString.prefix(8))"
    ).path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let socket = directory + "/api.sock"
    let (listening, signal) = AsyncStream.makeStream(of: EngineAddress.self)
    let logger = Logger(label: "test")
    let server = EngineAPIServer(
        address: .unix(path: socket), backend: backend, logger: logger, onListening: { signal.yield($0) })
    let group = ServiceGroup(services: [server], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            defer { signal.finish() }
            try await group.run()
        }
        var events = listening.makeAsyncIterator()
        let bound = try #require(await events.next(), "the server stopped before listening")
        #expect(bound == .unix(path: socket))
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body(socket))
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket is removed on shutdown")
        return try outcome.get()
    }
}

/// `EngineClient`'s service, task and log calls against the real server and a fake backend.
@Suite struct ServiceClientTests {
    private func withClient(
        _ backend: FakeServiceEngine, _ body: @Sendable (EngineClient) async throws -> Void
    ) async throws {
        try await withEngineServer(backend) { socket in
            try await EngineClient.withClient(address: .unix(path: socket)) { try await body($0) }
        }
    }

    @Test func serviceLifecycle() async throws {
        let backend = FakeServiceEngine()
        try await withClient(backend) { client in
            let created = try await client.createService(serviceSpec("web", labels: ["tier": "front"]))
            #expect(created.warnings == nil)

            let listed = try await client.services(filters: Filters(["label": ["tier=front"]]), status: true)
            #expect(listed.map(\.id) == [created.id])
            #expect(listed.first?.serviceStatus?.runningTasks == 2)
            #expect(try await client.services(filters: Filters(["name": ["nope"]])).isEmpty)

            let (service, raw) = try await client.serviceWithRaw("web", insertDefaults: true)
            #expect(service.spec.updateConfig == ServiceDefaults.updateConfig)
            #expect(try StarlingJSON.decode(SwarmService.self, from: raw) == service)

            var spec = try await client.service("web").spec
            spec.mode = .replicated(replicas: 3)
            let answer = try await client.updateService(service.id, version: service.version.index, spec: spec)
            #expect(answer.warnings == nil)
            let stale = await #expect(throws: StarlingError.self) {
                try await client.updateService(service.id, version: service.version.index, spec: spec)
            }
            #expect(stale == .outOfSequence)

            let tasks = try await client.tasks(filters: Filters(["service": ["web"], "desired-state": ["running"]]))
            #expect(tasks.count == 3)
            let task = try await client.task(tasks[0].id)
            #expect(task == tasks[0])

            try await client.removeService("web")
            let missing = await #expect(throws: StarlingError.self) { try await client.removeService("web") }
            #expect(missing == StarlingError.notFound("service web not found"))

            let image = await #expect(throws: StarlingError.self) { try await client.distributionInspect("busybox") }
            #expect(image?.code == .notFound)
        }
    }

    @Test func logsAreDemultiplexed() async throws {
        let backend = FakeServiceEngine()
        try await withClient(backend) { client in
            let created = try await client.createService(serviceSpec("web", replicas: 1))
            let taskID = try #require(await backend.taskList.first?.id)
            for (stream, text) in [(TaskLogEntry.Stream.stdout, "out\n"), (.stderr, "err\n")] {
                await backend.appendLog(
                    TaskLogEntry(
                        time: .now(), stream: stream, nodeID: "n1", serviceID: created.id, taskID: taskID,
                        line: Array(text.utf8)))
            }
            var frames: [LogFrame] = []
            for try await frame in try await client.serviceLogs("web", options: .init(details: false)) {
                frames.append(frame)
            }
            #expect(
                frames == [
                    LogFrame(stream: .stdout, bytes: Array("out\n".utf8)),
                    LogFrame(stream: .stderr, bytes: Array("err\n".utf8)),
                ])

            var detailed: [String] = []
            for try await frame in try await client.taskLogs(taskID, options: .init(stderr: false, tail: 5)) {
                detailed.append(String(decoding: frame.bytes, as: UTF8.self))
            }
            #expect(
                detailed == [
                    "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=\(created.id),com.docker.swarm.task.id=\(taskID) out\n"
                ])
            #expect(await backend.lastLogRequest?.options == TaskLogOptions(stdout: true, stderr: false, tail: 5))

            let missing = await #expect(throws: StarlingError.self) { try await client.serviceLogs("nope") }
            #expect(missing == StarlingError.notFound("service nope not found"))
        }
    }

    /// A follower that goes away (its task cancelled, its connection closed) ends the backend's stream, even when
    /// no new entry comes to reveal the closed connection.
    @Test func aFollowerThatGoesAwayEndsTheBackendsStream() async throws {
        let backend = FakeServiceEngine()
        try await withClient(backend) { client in
            let created = try await client.createService(serviceSpec("web", replicas: 1))
            let taskID = try #require(await backend.taskList.first?.id)
            let entry = TaskLogEntry(
                time: .now(), stream: .stdout, nodeID: "n1", serviceID: created.id, taskID: taskID,
                line: Array("first\n".utf8))
            await backend.appendLog(entry)
            let (received, sink) = AsyncStream.makeStream(of: String.self)
            let reader = Task {
                for try await frame in try await client.serviceLogs(
                    "web", options: .init(follow: true, details: false))
                {
                    sink.yield(String(decoding: frame.bytes, as: UTF8.self))
                }
            }
            var lines = received.makeAsyncIterator()
            #expect(await lines.next() == "first\n")
            var second = entry
            second.line = Array("second\n".utf8)
            await backend.appendLog(second)
            #expect(await lines.next() == "second\n")
            #expect(await backend.followerCount == 1)

            reader.cancel()
            try await waitUntil { await backend.cancelledFollowers == 1 }
            #expect(await backend.followerCount == 0)
        }
    }
}

@Suite struct LogDemultiplexerTests {
    @Test func framesSplitAcrossChunksComeOutWhole() throws {
        let stream: [UInt8] =
            [1, 0, 0, 0, 0, 0, 0, 3] + Array("abc".utf8) + [2, 0, 0, 0, 0, 0, 0, 0]
            + [2, 0, 0, 0, 0, 0, 1, 0] + Array(repeating: 120, count: 256)
        for chunkSize in [1, 3, 7, 11, stream.count] {
            var demultiplexer = LogDemultiplexer()
            var frames: [LogFrame] = []
            var offset = 0
            while offset < stream.count {
                demultiplexer.append(stream[offset..<min(offset + chunkSize, stream.count)])
                offset += chunkSize
                while let frame = try demultiplexer.next() { frames.append(frame) }
            }
            #expect(frames.map(\.stream) == [.stdout, .stderr, .stderr])
            #expect(frames.map(\.bytes.count) == [3, 0, 256])
            #expect(!demultiplexer.hasPartialFrame)
        }
    }

    @Test func anUnknownStreamByteIsAnError() {
        var demultiplexer = LogDemultiplexer()
        demultiplexer.append([9, 0, 0, 0, 0, 0, 0, 1, 65])
        #expect(throws: StarlingError.self) { try demultiplexer.next() }
    }
}

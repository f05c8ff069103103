import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StarlingAPI
import StarlingClient
import StarlingModel
import Testing

@Suite struct LogRouteTests {
    static let time = Timestamp(seconds: 1_700_000_123, nanoseconds: 4_500_000)

    /// A service `web` with one task, and two stdout lines and one stderr line in its log.
    private func populated(
        _ backend: FakeServiceEngine, client: some TestClientProtocol, tty: Bool = false
    )
        async throws -> (service: String, task: String)
    {
        var spec = serviceSpec("web", replicas: 1)
        spec.taskTemplate.containerSpec?.tty = tty
        let serviceID = try await client.createService(spec)
        let taskID = try #require(await backend.taskList.first?.id)
        for (offset, (stream, text)) in [
            (TaskLogEntry.Stream.stdout, "one\n"), (.stderr, "oops\n"), (.stdout, "two\n"),
        ]
        .enumerated() {
            await backend.appendLog(
                TaskLogEntry(
                    time: Timestamp(seconds: Self.time.seconds + Int64(offset), nanoseconds: Self.time.nanoseconds),
                    stream: stream, nodeID: FakeServiceEngine.nodeIDs[0], serviceID: serviceID, taskID: taskID,
                    line: Array(text.utf8)))
        }
        return (serviceID, taskID)
    }

    private func frames(_ response: TestResponse) throws -> [LogFrame] {
        var demultiplexer = LogDemultiplexer()
        demultiplexer.append(response.body.readableBytesView)
        var frames: [LogFrame] = []
        while let frame = try demultiplexer.next() { frames.append(frame) }
        #expect(!demultiplexer.hasPartialFrame)
        return frames
    }

    private func text(_ frame: LogFrame) -> String { String(decoding: frame.bytes, as: UTF8.self) }

    @Test func framesAreMultiplexedWithoutContentType() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            _ = try await populated(backend, client: client)
            let response = try await client.execute(uri: "/v1.41/services/web/logs?stdout=1&stderr=1", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == nil)
            let bytes = Array(response.body.readableBytesView)
            #expect(Array(bytes.prefix(12)) == [1, 0, 0, 0, 0, 0, 0, 4] + Array("one\n".utf8))
            let frames = try frames(response)
            #expect(frames.map(\.stream) == [.stdout, .stderr, .stdout])
            #expect(frames.map(text) == ["one\n", "oops\n", "two\n"])
        }
    }

    @Test func detailsAndTimestampsPrefixEachLine() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let (serviceID, taskID) = try await populated(backend, client: client)
            let response = try await client.execute(
                uri: "/v1.41/services/\(serviceID)/logs?details=1&stderr=1&stdout=1&tail=all&timestamps=1",
                method: .get)
            let first = try #require(try frames(response).first)
            #expect(
                text(first)
                    == "2023-11-14T22:15:23.004500000Z com.docker.swarm.node.id=\(FakeServiceEngine.nodeIDs[0]),"
                    + "com.docker.swarm.service.id=\(serviceID),com.docker.swarm.task.id=\(taskID) one\n")
            let detailsOnly = try await client.execute(
                uri: "/v1.41/services/web/logs?details=true&stdout=true&stderr=false", method: .get)
            #expect(
                try frames(detailsOnly).map(text) == [
                    "com.docker.swarm.node.id=\(FakeServiceEngine.nodeIDs[0]),com.docker.swarm.service.id=\(serviceID),"
                        + "com.docker.swarm.task.id=\(taskID) one\n",
                    "com.docker.swarm.node.id=\(FakeServiceEngine.nodeIDs[0]),com.docker.swarm.service.id=\(serviceID),"
                        + "com.docker.swarm.task.id=\(taskID) two\n",
                ])
        }
    }

    @Test func extraAttributesAreSortedAndEscaped() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let (serviceID, taskID) = try await populated(backend, client: client)
            await backend.appendLog(
                TaskLogEntry(
                    time: Self.time, stream: .stdout, nodeID: "n", serviceID: serviceID, taskID: taskID,
                    line: Array("x\n".utf8), attributes: ["zone": "a b", "env": "x=y,z"]))
            let response = try await client.execute(uri: "/v1.41/services/web/logs?stdout=1&details=1", method: .get)
            #expect(
                try frames(response).last.map(text)
                    == "com.docker.swarm.node.id=n,com.docker.swarm.service.id=\(serviceID),"
                    + "com.docker.swarm.task.id=\(taskID),env=x%3Dy%2Cz,zone=a+b x\n")
        }
    }

    /// The python SDK's query: booleans as `True`/`False`, `since=0`, a numeric tail.
    @Test func theQueryBecomesTheBackendsOptions() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let (serviceID, _) = try await populated(backend, client: client)
            let response = try await client.execute(
                uri:
                    "/v1.41/services/\(serviceID)/logs?details=False&follow=False&stdout=True&stderr=True&since=0&timestamps=False&tail=1",
                method: .get)
            #expect(try frames(response).map(text) == ["two\n"])
            let request = try #require(await backend.lastLogRequest)
            #expect(request.selector == .service(id: serviceID))
            #expect(request.options == TaskLogOptions(follow: false, stdout: true, stderr: true, since: nil, tail: 1))

            let since = try await client.execute(
                uri: "/v1.41/services/web/logs?stdout=1&since=1700000124.5", method: .get)
            #expect(try frames(since).map(text) == ["two\n"])
            #expect(
                await backend.lastLogRequest?.options.since
                    == Timestamp(seconds: 1_700_000_124, nanoseconds: 500_000_000))
        }
    }

    @Test func badRequestsFailBeforeTheStream() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            _ = try await populated(backend, client: client)
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("/v1.41/services/web/logs", .badRequest, "Bad parameters: you must choose at least one stream"),
                ("/v1.41/services/web/logs?stdout=1&tail=-1", .badRequest, "negative tail values not supported"),
                (
                    "/v1.41/services/web/logs?stdout=1&tail=x", .badRequest,
                    "tail value must be a positive integer or \"all\""
                ),
                ("/v1.41/services/nope/logs?stdout=1", .notFound, "service nope not found"),
                ("/v1.41/tasks/nope/logs?stdout=1", .notFound, "task nope not found"),
            ]
            for (uri, status, message) in cases {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == status, "\(uri)")
                #expect(response.errorMessage == message, "\(uri)")
            }
        }
    }

    @Test func taskLogsAndTTYLogsAreRaw() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let (_, taskID) = try await populated(backend, client: client, tty: true)
            let response = try await client.execute(uri: "/v1.41/tasks/\(taskID)/logs?stdout=1&stderr=1", method: .get)
            #expect(response.status == .ok)
            #expect(response.text == "one\noops\ntwo\n")
            #expect(await backend.lastLogRequest?.selector == .task(id: taskID))
        }
    }

    /// A stream that fails after its entries ends with dockerd's error frame on the system stream.
    @Test func aFailingStreamEndsWithAnErrorFrame() async throws {
        let backend = FakeServiceEngine()
        await backend.setLogFailure(StarlingError.unavailable("node beta is down"))
        try await engineApplication(backend).test(.router) { client in
            _ = try await populated(backend, client: client)
            let response = try await client.execute(uri: "/v1.41/services/web/logs?stdout=1&stderr=1", method: .get)
            let frames = try frames(response)
            #expect(frames.count == 4)
            #expect(
                frames.last
                    == LogFrame(stream: .systemError, bytes: Array("Error grabbing logs: node beta is down\n".utf8)))
        }
    }

    /// `follow=1` keeps the response open for new entries until the backend's stream ends.
    @Test func followStreamsNewEntriesUntilTheStreamEnds() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.live) { client in
            let (serviceID, taskID) = try await populated(backend, client: client)
            async let response = client.execute(uri: "/v1.41/services/web/logs?stdout=1&follow=1", method: .get)
            try await waitUntil { await backend.followerCount == 1 }
            await backend.appendLog(
                TaskLogEntry(
                    time: .now(), stream: .stdout, nodeID: FakeServiceEngine.nodeIDs[1], serviceID: serviceID,
                    taskID: taskID, line: Array("three\n".utf8)))
            await backend.finishLogs()
            #expect(try frames(try await response).map(text) == ["one\n", "two\n", "three\n"])
        }
    }
}

/// Polls `condition` until it holds, failing after `seconds`.
func waitUntil(seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(seconds) s")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

extension FakeServiceEngine {
    func setLogFailure(_ error: StarlingError) { logFailure = error }
}

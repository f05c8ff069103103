import Foundation
import Logging
import ServiceLifecycle
import StarlingAPI
import StarlingClient
import StarlingModel
import Testing

/// The real server on a temporary unix socket, driven through `EngineClient`.
@Suite struct ClientRoundTripTests {
    /// Runs the API server for `backend` (`withEngineServer`) and calls `body` with a client for it and its socket.
    private func withServer<Result: Sendable>(
        _ backend: FakeEngine, _ body: @Sendable (EngineClient, String) async throws -> Result
    ) async throws -> Result {
        try await withEngineServer(backend) { socket in
            try await EngineClient.withClient(address: .unix(path: socket)) { client in try await body(client, socket) }
        }
    }

    @Test func systemCalls() async throws {
        try await withServer(FakeEngine()) { client, socket in
            #expect(try await client.ping() == "1.41")
            #expect(try await client.version().apiVersion == "1.41")
            let info = try await client.info()
            #expect(info.swarm.localNodeState == .active)
            #expect(info.swarm.nodeID == "m1abcdefghijklmnopqrstuvw")
            let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
            #expect(mode == 0o660)
        }
    }

    @Test func swarmCalls() async throws {
        let backend = FakeEngine(inSwarm: false)
        try await withServer(backend) { client, _ in
            let error = await #expect(throws: StarlingError.self) { try await client.swarmInspect() }
            #expect(error?.code == .unavailable)
            #expect(error?.message == StarlingError.notInSwarm.message)

            let nodeID = try await client.swarmInit(SwarmInitRequest(listenAddr: "0.0.0.0:2377"))
            #expect(nodeID == "m1abcdefghijklmnopqrstuvw")
            let swarm = try await client.swarmInspect()
            #expect(swarm.joinTokens?.worker == "SWMTKN-1-worker")

            var spec = swarm.spec
            spec.labels = ["team": "ops"]
            try await client.swarmUpdate(spec: spec, version: swarm.version.index, rotateWorkerToken: true)
            let stale = await #expect(throws: StarlingError.self) {
                try await client.swarmUpdate(spec: spec, version: swarm.version.index)
            }
            #expect(stale == .outOfSequence)

            try await client.swarmJoin(SwarmJoinRequest(remoteAddrs: ["10.0.0.9:2377"], joinToken: "SWMTKN-1-x"))
            try await client.swarmLeave(force: true)
        }
        #expect(await backend.lastSwarmUpdate?.spec.labels == ["team": "ops"])
        #expect(await backend.lastSwarmUpdate?.rotateWorker == true)
        #expect(await backend.lastJoin?.remoteAddrs == ["10.0.0.9:2377"])
        #expect(await backend.lastLeaveForce == true)
    }

    @Test func nodeCalls() async throws {
        let backend = FakeEngine()
        try await withServer(backend) { client, _ in
            #expect(try await client.nodes().count == 2)
            let managers = try await client.nodes(filters: Filters(["role": ["manager"]]))
            #expect(managers.map(\.id) == ["m1abcdefghijklmnopqrstuvw"])

            let beta = try await client.node("beta")
            var spec = beta.spec
            spec.availability = .drain
            try await client.updateNode(beta.id, version: beta.version.index, spec: spec)
            #expect(try await client.node("w2a").spec.availability == .drain)

            let missing = await #expect(throws: StarlingError.self) { try await client.node("nope") }
            #expect(missing == StarlingError.notFound("node nope not found"))

            let badFilter = await #expect(throws: StarlingError.self) {
                try await client.nodes(filters: Filters(["colour": ["red"]]))
            }
            #expect(badFilter == StarlingError.invalidArgument("invalid filter 'colour'"))

            let refused = await #expect(throws: StarlingError.self) { try await client.removeNode("beta") }
            #expect(refused?.code == .conflict)
            try await client.removeNode("beta", force: true)
            #expect(try await client.nodes().count == 1)
        }
    }

    @Test func aSecondServerOnALiveSocketIsRefused() async throws {
        try await withServer(FakeEngine()) { _, socket in
            let second = EngineAPIServer(
                address: .unix(path: socket), backend: FakeEngine(), logger: Logger(label: "t"))
            let error = await #expect(throws: StarlingError.self) { try await second.run() }
            #expect(error?.code == .conflict)
        }
    }

    /// A socket file nobody listens on (left by a daemon that crashed) gives the same answer.
    @Test func aDeadSocketIsReportedClearly() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("starling-dead-\(UUID().uuidString)")
            .path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try await EngineClient.withClient(address: .unix(path: path)) { client in
            await #expect(throws: StarlingError.self) { try await client.version() }
        }
        #expect(error?.message.hasPrefix("Cannot connect to the Starling daemon at unix://") == true)
    }

    @Test func anAbsentDaemonIsReportedClearly() async throws {
        let address = EngineAddress.unix(path: "/tmp/starling-no-such-dir-\(UUID().uuidString)/api.sock")
        let error = try await EngineClient.withClient(address: address) { client in
            await #expect(throws: StarlingError.self) { try await client.info() }
        }
        #expect(error?.code == .unavailable)
        #expect(
            error?.message == "Cannot connect to the Starling daemon at \(address). Is the starling daemon running?")
    }
}

@Suite struct AddressTests {
    @Test func resolutionOrder() throws {
        let env = ["STARLING_HOST": "unix:///a.sock", "DOCKER_HOST": "unix:///b.sock"]
        #expect(
            try EngineAddress.resolve(explicit: "tcp://10.0.0.1:2376", environment: env)
                == .tcp(host: "10.0.0.1", port: 2376))
        #expect(try EngineAddress.resolve(explicit: nil, environment: env) == .unix(path: "/a.sock"))
        #expect(
            try EngineAddress.resolve(explicit: nil, environment: ["DOCKER_HOST": "unix:///b.sock"])
                == .unix(path: "/b.sock"))
        #expect(
            try EngineAddress.resolve(explicit: nil, environment: ["DOCKER_HOST": "tcp://1.2.3.4:2375"])
                == .defaultSocket)
        #expect(
            try EngineAddress.resolve(explicit: nil, environment: [:]).description
                == "unix:///run/starling/starling.sock")
    }

    @Test func parsing() throws {
        #expect(try EngineAddress(parsing: "tcp://[::1]:9000") == .tcp(host: "::1", port: 9000))
        #expect(try EngineAddress(parsing: "tcp://example") == .tcp(host: "example", port: 2375))
        #expect(throws: StarlingError.self) { try EngineAddress(parsing: "ftp://x") }
        #expect(try EngineAddress(parsing: "tcp://:0") == .tcp(host: "127.0.0.1", port: 0))
        #expect(try EngineAddress(parsing: "unix:///run/s.sock") == .unix(path: "/run/s.sock"))
        #expect(throws: StarlingError.self) { try EngineAddress(parsing: "unix://relative.sock") }
    }
}

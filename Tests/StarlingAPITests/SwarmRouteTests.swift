import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import StarlingAPI
import StarlingModel
import Testing

@Suite struct SwarmRouteTests {
    @Test func inspectOutsideASwarmIs503() async throws {
        try await engineApplication(FakeEngine(inSwarm: false)).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/swarm", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(response.errorMessage == StarlingError.notInSwarm.message)
        }
    }

    @Test func inspectShowsJoinTokens() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/swarm", method: .get)
            #expect(response.status == .ok)
            let swarm = try response.decode(Swarm.self)
            #expect(swarm.joinTokens == JoinTokens(worker: "SWMTKN-1-worker", manager: "SWMTKN-1-manager"))
            #expect(swarm.version.index == 5)
        }
    }

    @Test func initReturnsTheNodeIDAsAJSONString() async throws {
        let backend = FakeEngine(inSwarm: false)
        try await engineApplication(backend).test(.router) { client in
            let body = try jsonBody(SwarmInitRequest(listenAddr: "0.0.0.0:2377", advertiseAddr: "10.0.0.1"))
            let response = try await client.execute(uri: "/v1.41/swarm/init", method: .post, body: body)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.text == #""m1abcdefghijklmnopqrstuvw""#)

            let again = try await client.execute(uri: "/v1.41/swarm/init", method: .post, body: body)
            #expect(again.status == .serviceUnavailable)
            #expect(again.errorMessage?.hasPrefix("This node is already part of a swarm") == true)
        }
        #expect(await backend.lastInit?.advertiseAddr == "10.0.0.1")
    }

    @Test func joinPassesTheRequestAndAnswersEmpty() async throws {
        let backend = FakeEngine(inSwarm: false)
        try await engineApplication(backend).test(.router) { client in
            let body = ByteBuffer(
                string:
                    #"{"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"","DataPathAddr":"","RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"SWMTKN-1-x","Availability":"active"}"#
            )
            let response = try await client.execute(uri: "/v1.41/swarm/join", method: .post, body: body)
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)
        }
        let join = try #require(await backend.lastJoin)
        #expect(join.remoteAddrs == ["10.0.0.1:2377"])
        #expect(join.joinToken == "SWMTKN-1-x")
    }

    @Test(arguments: [("1", true), ("true", true), ("True", true), ("0", false), ("false", false), ("False", false)])
    func leaveAcceptsEveryBooleanSpelling(raw: String, expected: Bool) async throws {
        let backend = FakeEngine()
        try await engineApplication(backend).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/swarm/leave?force=\(raw)", method: .post)
            #expect(response.status == .ok)
        }
        #expect(await backend.lastLeaveForce == expected)
    }

    @Test func leaveWithoutForceMeansFalse() async throws {
        let backend = FakeEngine()
        try await engineApplication(backend).test(.router) { client in
            _ = try await client.execute(uri: "/swarm/leave", method: .post)
        }
        #expect(await backend.lastLeaveForce == false)
    }

    @Test func malformedBooleanIs400NamingTheParameter() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/swarm/leave?force=perhaps", method: .post)
            #expect(response.status == .badRequest)
            #expect(response.errorMessage?.contains("'force'") == true)
        }
    }

    @Test func updateChecksTheVersionAndPassesTheRotations() async throws {
        let backend = FakeEngine()
        try await engineApplication(backend).test(.router) { client in
            let spec = try jsonBody(SwarmSpec(name: "default", labels: ["team": "ops"]))
            let stale = try await client.execute(
                uri: "/v1.41/swarm/update?version=4", method: .post, body: spec)
            #expect(stale.status == .internalServerError)
            #expect(stale.errorMessage == "rpc error: code = Unknown desc = update out of sequence")

            let response = try await client.execute(
                uri: "/v1.41/swarm/update?version=5&rotateWorkerToken=true&rotateManagerToken=0", method: .post,
                body: spec)
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)

            let missing = try await client.execute(uri: "/v1.41/swarm/update", method: .post, body: spec)
            #expect(missing.status == .badRequest)
            #expect(missing.errorMessage?.hasPrefix("invalid swarm version ''") == true)
        }
        let update = try #require(await backend.lastSwarmUpdate)
        #expect(update.spec.labels == ["team": "ops"])
        #expect(update.rotateWorker == true)
        #expect(update.rotateManager == false)
    }

    @Test func malformedJSONIs400() async throws {
        try await engineApplication(FakeEngine(inSwarm: false)).test(.router) { client in
            let broken = try await client.execute(
                uri: "/v1.41/swarm/init", method: .post, body: ByteBuffer(string: "{\"ListenAddr\":"))
            #expect(broken.status == .badRequest)
            #expect(broken.headers[.contentType] == "application/json")
            #expect(broken.errorMessage?.hasPrefix("invalid JSON in request body: the body is not valid JSON") == true)

            let wrongType = try await client.execute(
                uri: "/v1.41/swarm/init", method: .post, body: ByteBuffer(string: #"{"Spec":{"Name":5}}"#))
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.errorMessage == #"invalid JSON in request body: field "Spec.Name" must be a string"#)

            let empty = try await client.execute(uri: "/v1.41/swarm/init", method: .post)
            #expect(empty.status == .badRequest)
            #expect(empty.errorMessage == "invalid JSON in request body: the body is empty")
        }
    }
}

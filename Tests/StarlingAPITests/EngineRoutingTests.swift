import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StarlingAPI
import StarlingModel
import Testing

/// Ping, version negotiation, daemon headers and unknown routes.
@Suite struct EngineRoutingTests {
    private func expectDaemonHeaders(_ response: TestResponse) {
        #expect(response.headers[.apiVersion] == "1.41")
        #expect(response.headers[.ostype] == "linux")
        #expect(response.headers[.dockerExperimental] == "false")
        #expect(response.headers[.cacheControl] == "no-cache, no-store, must-revalidate")
        #expect(response.headers[.pragma] == "no-cache")
        #expect(response.headers[.server] == "Starling/\(StarlingVersion.version) (linux)")
    }

    @Test(arguments: [TestingSetup.router, .live])
    func headPingHasHeadersAndNoBody(setup: TestingSetup) async throws {
        try await engineApplication(FakeEngine()).test(setup) { client in
            for path in ["/_ping", "/v1.41/_ping"] {
                let response = try await client.execute(uri: path, method: .head)
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                expectDaemonHeaders(response)
            }
        }
    }

    @Test func getPingAnswersOK() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/_ping", method: .get)
            #expect(response.status == .ok)
            #expect(response.text == "OK")
            #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
            expectDaemonHeaders(response)
        }
    }

    @Test(arguments: ["/version", "/v1.41/version", "/v1.24/version", "/v1.30/version"])
    func versionIsServedWithAndWithoutPrefix(path: String) async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let object = try #require(response.jsonObject)
            #expect(object["ApiVersion"] as? String == "1.41")
            #expect(object["MinAPIVersion"] as? String == "1.24")
            #expect(object["Version"] as? String == StarlingVersion.version)
            expectDaemonHeaders(response)
        }
    }

    @Test func tooNewVersionIsRefusedWithDockersMessage() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.45/nodes", method: .get)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.errorMessage == "client version 1.45 is too new. Maximum supported API version is 1.41")
            expectDaemonHeaders(response)
        }
    }

    @Test func tooOldVersionIsRefusedWithDockersMessage() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.12/info", method: .get)
            #expect(response.status == .badRequest)
            #expect(
                response.errorMessage
                    == "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
            )
        }
    }

    @Test func tooNewVersionOnHeadHasNoBody() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v2.0/_ping", method: .head)
            #expect(response.status == .badRequest)
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test(arguments: ["/nothing", "/v1.41/nothing", "/nodes/a/b/c"])
    func unknownRouteIsPageNotFound(path: String) async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.text == #"{"message":"page not found"}"#)
            expectDaemonHeaders(response)
        }
    }

    @Test func infoHasTheSwarmSection() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/info", method: .get)
            #expect(response.status == .ok)
            let object = try #require(response.jsonObject)
            let swarm = try #require(object["Swarm"] as? [String: Any])
            #expect(swarm["LocalNodeState"] as? String == "active")
            #expect(swarm["ControlAvailable"] as? Bool == true)
            #expect(swarm["NodeID"] as? String == "m1abcdefghijklmnopqrstuvw")
            let cluster = try #require(swarm["Cluster"] as? [String: Any])
            #expect(cluster["JoinTokens"] == nil)
        }
    }

    /// The body of a request that ignores it is still read, so the next request on the keep-alive connection works.
    @Test func ignoredBodyIsDrainedOnKeepAliveConnection() async throws {
        let backend = FakeEngine()
        try await engineApplication(backend).test(.live) { client in
            let leave = try await client.execute(
                uri: "/v1.41/swarm/leave?force=1", method: .post,
                body: ByteBuffer(string: String(repeating: "x", count: 100_000)))
            #expect(leave.status == .ok)
            let ping = try await client.execute(uri: "/_ping", method: .get)
            #expect(ping.text == "OK")
        }
        #expect(await backend.lastLeaveForce == true)
    }
}

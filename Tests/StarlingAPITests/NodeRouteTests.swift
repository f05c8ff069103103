import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import StarlingAPI
import StarlingModel
import Testing

@Suite struct NodeRouteTests {
    @Test func listReturnsEveryNode() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/nodes", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let nodes = try response.decode([Node].self)
            #expect(nodes.map(\.id) == ["m1abcdefghijklmnopqrstuvw", "w2abcdefghijklmnopqrstuvw"])
            let array = try #require(
                try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
            let first = try #require(array.first)
            #expect((first["Version"] as? [String: Any])?["Index"] as? Int == 10)
            #expect((first["Description"] as? [String: Any])?["Hostname"] as? String == "alpha")
            #expect((first["ManagerStatus"] as? [String: Any])?["Leader"] as? Bool == true)
        }
    }

    /// Go's `{"role":{"manager":true}}` and python's `{"role": ["manager"]}` (form-encoded, spaces as `+`).
    @Test(arguments: [#"{"role":{"manager":true}}"#, #"{"role": ["manager"]}"#])
    func filtersInBothShapes(filters: String) async throws {
        let backend = FakeEngine()
        try await engineApplication(backend).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1.41/nodes?filters=\(formEscape(filters))", method: .get)
            #expect(response.status == .ok)
            #expect(try response.decode([Node].self).map(\.id) == ["m1abcdefghijklmnopqrstuvw"])
        }
        #expect(await backend.lastNodeFilters == Filters(["role": ["manager"]]))
    }

    @Test func unknownFilterKeyIs400() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1.41/nodes?filters=\(formEscape(#"{"colour":{"red":true}}"#))", method: .get)
            #expect(response.status == .badRequest)
            #expect(response.errorMessage == "invalid filter 'colour'")
        }
    }

    @Test(arguments: ["m1abcdefghijklmnopqrstuvw", "alpha", "m1a"])
    func inspectResolvesIDNameOrPrefix(reference: String) async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/nodes/\(reference)", method: .get)
            #expect(response.status == .ok)
            #expect(try response.decode(Node.self).id == "m1abcdefghijklmnopqrstuvw")
        }
    }

    @Test func inspectOfAMissingNodeIs404() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/nodes/nope", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.text == #"{"message":"node nope not found"}"#)
        }
    }

    @Test func updateStoresTheSpecAndAnswersAnEmpty200() async throws {
        let backend = FakeEngine()
        try await engineApplication(backend).test(.router) { client in
            let body = ByteBuffer(string: #"{"Labels":{"zone":"b"},"Role":"manager","Availability":"drain"}"#)
            let response = try await client.execute(
                uri: "/v1.41/nodes/beta/update?version=10", method: .post, body: body)
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)

            let stale = try await client.execute(
                uri: "/v1.41/nodes/beta/update?version=10", method: .post, body: body)
            #expect(stale.status == .internalServerError)
            #expect(stale.errorMessage == StarlingError.outOfSequence.message)
        }
        let node = try await backend.node("beta")
        #expect(node.spec == NodeSpec(labels: ["zone": "b"], role: .manager, availability: .drain))
        #expect(node.version.index == 11)
    }

    @Test func updateNeedsAVersionAndAValidSpec() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let body = ByteBuffer(string: #"{"Role":"manager"}"#)
            let missing = try await client.execute(uri: "/v1.41/nodes/beta/update", method: .post, body: body)
            #expect(missing.status == .badRequest)
            #expect(missing.errorMessage?.hasPrefix("invalid node version ''") == true)

            let noRole = try await client.execute(
                uri: "/v1.41/nodes/beta/update?version=10", method: .post, body: ByteBuffer(string: #"{"Labels":{}}"#))
            #expect(noRole.status == .badRequest)
            #expect(noRole.errorMessage == #"invalid JSON in request body: missing field "Role""#)

            let badRole = try await client.execute(
                uri: "/v1.41/nodes/beta/update?version=10", method: .post, body: ByteBuffer(string: #"{"Role":"boss"}"#)
            )
            #expect(badRole.status == .badRequest)
            #expect(badRole.errorMessage?.contains(#"field "Role""#) == true)
        }
    }

    @Test func removePassesForce() async throws {
        let backend = FakeEngine()
        try await engineApplication(backend).test(.router) { client in
            let refused = try await client.execute(uri: "/v1.41/nodes/beta", method: .delete)
            #expect(refused.status == .conflict)

            let response = try await client.execute(uri: "/v1.41/nodes/beta?force=True", method: .delete)
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)
        }
        let removal = try #require(await backend.lastRemoval)
        #expect(removal.reference == "beta")
        #expect(removal.force)
    }
}

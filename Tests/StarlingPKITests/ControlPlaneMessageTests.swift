import Foundation
import GRPCCore
import StarlingControlPlane
import StarlingModel
import StarlingPKI
import Testing

@Suite("Control-plane messages")
struct ControlPlaneMessageTests {
    func roundTrip<Message: Codable & Equatable>(_ message: Message) throws -> Message {
        let bytes: [UInt8] = try JSONSerializer<Message>().serialize(message)
        return try JSONDeserializer<Message>().deserialize(bytes)
    }

    func decode<Message: Decodable>(_ type: Message.Type, _ json: String) throws -> Message {
        try JSONDeserializer<Message>().deserialize(Array(json.utf8))
    }

    @Test func sessionMessagesRoundTrip() throws {
        let agent: [AgentMessage] = [
            .register(
                RegisterRequest(
                    description: NodeDescription(hostname: "h1", platform: nil), addr: "10.0.0.2", sessionEpoch: 3)),
            .heartbeat(Heartbeat(sequence: 9)),
        ]
        for message in agent { #expect(try roundTrip(message) == message) }
        let manager: [ManagerMessage] = [
            .sessionEstablished(
                SessionInfo(
                    nodeID: "n1", sessionID: "s1", heartbeatPeriod: .milliseconds(500),
                    managers: [ManagerAddress(nodeID: "m1", addr: "10.0.0.1:2377")])),
            .heartbeatAck(HeartbeatAck(sequence: 9, heartbeatPeriod: .seconds(1))),
            .nodeUpdate(NodeUpdate(role: .manager)),
            .nodeUpdate(NodeUpdate(removed: true)),
        ]
        for message in manager { #expect(try roundTrip(message) == message) }
    }

    @Test func wireFormatIsATaggedObject() throws {
        let bytes: [UInt8] = try JSONSerializer<AgentMessage>().serialize(.heartbeat(Heartbeat(sequence: 4)))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["type"] as? String == "heartbeat")
        #expect((object["payload"] as? [String: Any])?["sequence"] as? Int == 4)
    }

    @Test func unknownMessageTypesDecodeInsteadOfFailing() throws {
        // A newer manager may send message types (and fields) this agent does not know.
        let future = try decode(ManagerMessage.self, #"{"type":"volumeAssignments","payload":{"volumes":[]}}"#)
        #expect(future == .unknown(type: "volumeAssignments"))
        let futureAgent = try decode(AgentMessage.self, #"{"type":"logChunk","payload":{}}"#)
        #expect(futureAgent == .unknown(type: "logChunk"))
        let extraFields = try decode(
            ManagerMessage.self,
            #"{"type":"heartbeatAck","payload":{"sequence":2,"heartbeatPeriodNanos":5,"jitter":1}}"#)
        #expect(extraFields == .heartbeatAck(HeartbeatAck(sequence: 2, heartbeatPeriod: .nanoseconds(5))))
        let sparse = try decode(ManagerMessage.self, #"{"type":"nodeUpdate","payload":{}}"#)
        #expect(sparse == .nodeUpdate(NodeUpdate()))
    }

    @Test func malformedMessagesAreInvalidArguments() throws {
        let error = #expect(throws: RPCError.self) { try decode(AgentMessage.self, #"{"type":"heartbeat"}"#) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func apiMessagesCarryBodiesAsBase64() throws {
        let request = APIRequest(
            method: "POST", path: "/v1.41/services/create?x=1",
            headers: [HeaderField(name: "Content-Type", value: "application/json")], body: Data("{\"a\":1}".utf8))
        #expect(try roundTrip(request) == request)
        let bytes: [UInt8] = try JSONSerializer<APIRequest>().serialize(request)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""body":"eyJhIjoxfQ==""#))
        let response = APIResponse(status: 201, body: Data([0, 1, 2]))
        #expect(try roundTrip(response) == response)
    }

    @Test func caMessagesRoundTrip() throws {
        let join = JoinRequest(
            token: "SWMTKN-1-x-y", csrPEM: "pem", hostname: "h", advertiseAddr: "10.0.0.3", availability: .drain)
        #expect(try roundTrip(join) == join)
        let response = JoinResponse(
            nodeID: "n", role: .manager, clusterID: "c", certificatePEM: "a", caCertificatePEM: "b",
            managers: [ManagerAddress(nodeID: "m", addr: "10.0.0.1:2377")])
        #expect(try roundTrip(response) == response)
        #expect(NodeRole(.manager) == .manager && NodeRole.worker.specRole == .worker)
    }

    @Test func starlingErrorsSurviveTheWire() {
        for error in [
            StarlingError.invalidArgument("A valid join token is necessary to join this cluster"),
            .notFound("node x not found"), StarlingError.notAManager, .outOfSequence,
        ] {
            #expect(StarlingError(RPCError(error)) == error)
        }
        let plain = RPCError(code: .unavailable, message: "connection refused")
        #expect(StarlingError(plain) == .unavailable("rpc error: code = Unavailable desc = connection refused"))
        #expect(StarlingError(RPCError(code: .unauthenticated, message: "no")).code == .permissionDenied)
    }

    @Test func addressesParse() throws {
        #expect(try ControlPlaneAddress(parsing: "10.0.0.1:2377") == ControlPlaneAddress(host: "10.0.0.1", port: 2377))
        #expect(try ControlPlaneAddress(parsing: "manager1") == ControlPlaneAddress(host: "manager1", port: 2377))
        #expect(try ControlPlaneAddress(parsing: "[fd00::1]:4000") == ControlPlaneAddress(host: "fd00::1", port: 4000))
        #expect(try ControlPlaneAddress(parsing: "fd00::1") == ControlPlaneAddress(host: "fd00::1", port: 2377))
        #expect(ControlPlaneAddress(host: "fd00::1", port: 1).description == "[fd00::1]:1")
        #expect(throws: StarlingError.self) { try ControlPlaneAddress(parsing: "10.0.0.1:99999") }
        #expect(throws: StarlingError.self) { try ControlPlaneAddress(parsing: ":2377") }
        #expect(throws: StarlingError.self) { try ControlPlaneAddress(parsing: "[fd00::1") }
    }
}

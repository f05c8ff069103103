import Foundation
import GRPCCore
import StarlingControlPlane
import StarlingModel
import StarlingPKI
import Synchronization
import X509

/// A trivial manager for loopback tests: issues certificates to token holders, answers sessions, and records who
/// it saw on each call.
final class TestManager: CAServiceHandler, DispatcherServiceHandler, ControlServiceHandler {
    let ca: RootCA
    let clusterID = "test-cluster"
    let workerToken: JoinToken
    let managerAddress: ManagerAddress
    private let state = Mutex(State())

    struct State {
        var joined = 0
        /// `authenticatedPeer` on each `GetRootCA` call (nil: the caller was not authenticated).
        var rootCACallers: [PeerIdentity?] = []
        var sessionPeers: [PeerIdentity] = []
        var registrations: [RegisterRequest] = []
        /// Sessions whose stream ended or failed, by node ID.
        var sessionsEnded: [String] = []
    }

    init(ca: RootCA) {
        self.ca = ca
        workerToken = JoinToken.generate(for: ca)
        managerAddress = ManagerAddress(nodeID: "manager-1", addr: "127.0.0.1:2377")
    }

    var snapshot: State { state.withLock { $0 } }

    /// The manager's own identity, as `swarm init` would make it.
    func managerIdentity() throws -> NodeIdentity {
        let bootstrap = try BootstrapIdentity.make(now: Date())
        let certificate = try ca.issue(
            signingRequest: bootstrap.signingRequest(), nodeID: managerAddress.nodeID, role: .manager,
            clusterID: clusterID, ipAddresses: ["127.0.0.1"], now: Date())
        return try bootstrap.nodeIdentity(certificate: certificate, caCertificate: ca.certificate)
    }

    func getRootCA(context: ServerContext) async throws -> RootCAResponse {
        let caller = authenticatedPeer(context: context, ca: ca, now: Date())
        state.withLock { $0.rootCACallers.append(caller) }
        return RootCAResponse(caCertificatePEM: ca.certificatePEM)
    }

    func join(_ request: JoinRequest, context: ServerContext) async throws -> JoinResponse {
        guard let token = try? JoinToken(parsing: request.token), token == workerToken else {
            throw StarlingError.invalidArgument("A valid join token is necessary to join this cluster")
        }
        let csr = try SigningRequest.parse(pem: request.csrPEM)
        let nodeID = state.withLock { state in
            state.joined += 1
            return "worker-\(state.joined)"
        }
        let certificate = try ca.issue(
            signingRequest: csr, nodeID: nodeID, role: .worker, clusterID: clusterID, now: Date())
        return try response(nodeID: nodeID, role: .worker, certificate: certificate)
    }

    func renewCertificate(_ request: RenewRequest, context: ServerContext) async throws -> JoinResponse {
        let peer = try requireAuthenticatedPeer(context: context, ca: ca, now: Date(), clusterID: clusterID)
        let csr = try SigningRequest.parse(pem: request.csrPEM)
        let certificate = try ca.issue(
            signingRequest: csr, nodeID: peer.nodeID, role: peer.role, clusterID: clusterID, now: Date())
        return try response(nodeID: peer.nodeID, role: peer.role.specRole, certificate: certificate)
    }

    func publishLogs(_ batch: LogBatch, context: ServerContext) async throws -> LogBatchAck {
        LogBatchAck(proceed: false)
    }

    func session(
        inbound: RPCAsyncSequence<AgentMessage, any Error>, outbound: RPCWriter<ManagerMessage>, context: ServerContext
    ) async throws {
        let peer = try requireAuthenticatedPeer(context: context, ca: ca, now: Date(), clusterID: clusterID)
        state.withLock { $0.sessionPeers.append(peer) }
        defer { state.withLock { $0.sessionsEnded.append(peer.nodeID) } }
        for try await message in inbound {
            switch message {
            case .register(let registration):
                state.withLock { $0.registrations.append(registration) }
                try await outbound.write(
                    .sessionEstablished(
                        SessionInfo(
                            nodeID: peer.nodeID, sessionID: "session-\(registration.sessionEpoch)",
                            heartbeatPeriod: .milliseconds(500), managers: [managerAddress])))
            case .heartbeat(let heartbeat):
                try await outbound.write(
                    .heartbeatAck(HeartbeatAck(sequence: heartbeat.sequence, heartbeatPeriod: .milliseconds(500))))
            case .taskStatus, .unknown:
                continue
            }
        }
    }

    func forwardAPI(_ request: APIRequest, context: ServerContext) async throws -> APIResponse {
        let peer = try requireAuthenticatedPeer(context: context, ca: ca, now: Date(), roles: [.manager])
        if request.path == "/echo" { return APIResponse(status: 200, body: request.body) }
        return APIResponse(status: 200, body: Data("\(request.method) \(request.path) from \(peer.nodeID)".utf8))
    }

    private func response(nodeID: String, role: NodeSpec.Role, certificate: Certificate) throws -> JoinResponse {
        JoinResponse(
            nodeID: nodeID, role: role, clusterID: clusterID,
            certificatePEM: try PEM.encode(certificate), caCertificatePEM: ca.certificatePEM,
            managers: [managerAddress])
    }
}

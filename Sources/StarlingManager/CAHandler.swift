import Foundation
import GRPCCore
import Logging
import StarlingControlPlane
import StarlingModel
import StarlingPKI
import StarlingStore

/// Serves `starling.CA`: hands out the root CA, admits nodes that present a valid join token, and renews the
/// certificates of members.
public struct CAHandler: CAServiceHandler {
    let manager: SwarmManager

    public init(manager: SwarmManager) { self.manager = manager }

    public func getRootCA(context: ServerContext) async throws -> RootCAResponse {
        RootCAResponse(caCertificatePEM: manager.ca.certificatePEM)
    }

    public func join(_ request: JoinRequest, context: ServerContext) async throws -> JoinResponse {
        let role = try await manager.role(forToken: request.token)
        let signingRequest = try SigningRequest.parse(pem: request.csrPEM)
        let nodeID = Identifier.make()
        let now = manager.now()
        let host = (try? ControlPlaneHost.host(of: request.advertiseAddr)) ?? request.advertiseAddr
        let certificate = try manager.ca.issue(
            signingRequest: signingRequest, nodeID: nodeID, role: role.certificateRole, clusterID: manager.clusterID,
            ipAddresses: IPAddressText.isIP(host) ? [host] : [], now: now.date)
        let node = Node(
            id: nodeID, createdAt: now, updatedAt: now,
            spec: NodeSpec(role: role, availability: request.availability ?? .active),
            description: NodeDescription(hostname: request.hostname),
            status: NodeStatus(state: .unknown, addr: host),
            managerStatus: role == .manager
                ? ManagerStatus(leader: false, reachability: .reachable, addr: request.advertiseAddr) : nil)
        let created = try await manager.objects.create(node)
        _ = try await manager.view.snapshot(atLeast: Revision(created.version.index))
        manager.logger.info(
            "node joined",
            metadata: ["node": "\(nodeID)", "role": "\(role.rawValue)", "hostname": "\(request.hostname)"])
        return JoinResponse(
            nodeID: nodeID, role: role, clusterID: manager.clusterID,
            certificatePEM: try PEM.encode(certificate), caCertificatePEM: manager.ca.certificatePEM,
            managers: try await manager.managerAddresses())
    }

    public func renewCertificate(_ request: RenewRequest, context: ServerContext) async throws -> JoinResponse {
        let peer = try requireAuthenticatedPeer(
            context: context, ca: manager.ca, now: manager.now().date, clusterID: manager.clusterID)
        guard let node = try await manager.objects.get(Node.self, id: peer.nodeID) else {
            throw RPCError(code: .permissionDenied, message: "node \(peer.nodeID) is not a member of this swarm")
        }
        let signingRequest = try SigningRequest.parse(pem: request.csrPEM)
        let certificate = try manager.ca.issue(
            signingRequest: signingRequest, nodeID: node.id, role: node.spec.role.certificateRole,
            clusterID: manager.clusterID, now: manager.now().date)
        return JoinResponse(
            nodeID: node.id, role: node.spec.role, clusterID: manager.clusterID,
            certificatePEM: try PEM.encode(certificate), caCertificatePEM: manager.ca.certificatePEM,
            managers: try await manager.managerAddresses())
    }
}

extension SwarmManager {
    /// The control-plane addresses of the managers, the leader first.
    public func managerAddresses() async throws -> [ManagerAddress] {
        try await currentSnapshot().all(Node.self)
            .compactMap { node in node.managerStatus.map { (node.id, $0) } }
            .sorted { ($0.1.leader == true ? 0 : 1, $0.0) < ($1.1.leader == true ? 0 : 1, $1.0) }
            .map { ManagerAddress(nodeID: $0.0, addr: $0.1.addr) }
    }
}

/// Textual checks on addresses.
enum IPAddressText {
    static func isIP(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

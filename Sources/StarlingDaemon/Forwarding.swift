import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import StarlingAPI
import StarlingClient
import StarlingControlPlane
import StarlingManager
import StarlingModel
import StarlingPKI
import StarlingStore

/// On the manager that holds the store: answers Engine API calls forwarded by other managers by sending them to
/// this daemon's own API, so they take exactly the path a local call takes.
struct ControlHandler: ControlServiceHandler {
    let manager: SwarmManager
    let apiAddress: EngineAddress

    func forwardAPI(_ request: APIRequest, context: ServerContext) async throws -> APIResponse {
        let peer = try requireAuthenticatedPeer(
            context: context, ca: manager.ca, now: manager.now().date, clusterID: manager.clusterID,
            roles: Set(NodeRole.allCases))
        // The store, not the certificate, says who is a manager now: a demoted node loses access at once.
        guard try await manager.objects.get(Node.self, id: peer.nodeID)?.spec.role == .manager else {
            throw RPCError(code: .permissionDenied, message: "node \(peer.nodeID) is not a manager")
        }
        let answer = try await EngineClient.withClient(address: apiAddress) { client in
            try await client.raw(
                method: request.method, path: request.path,
                headers: request.headers.map { (name: $0.name, value: $0.value) }, body: request.body)
        }
        return APIResponse(
            status: answer.status, headers: answer.headers.map { HeaderField(name: $0.name, value: $0.value) },
            body: answer.body)
    }
}

/// On a manager that does not hold the store: sends cluster calls to the manager that does. Calls about this
/// daemon itself (`/_ping`, `/version`, `/info`, `swarm init/join/leave`) are answered here.
struct ManagerForwarder: RequestForwarder {
    let node: SwarmNode

    static let local: Set<String> = ["/_ping", "/version", "/info", "/swarm/init", "/swarm/join", "/swarm/leave"]

    func shouldForward(method: String, route: String) async -> Bool {
        guard !Self.local.contains(route), let runtime = await node.runtime,
            let membership = await node.membership
        else { return false }
        return membership.role == .manager && runtime.manager == nil
    }

    func forward(_ request: ForwardedRequest) async throws -> ForwardedResponse {
        guard let runtime = await node.runtime, let membership = await node.membership else {
            throw StarlingError.notInSwarm
        }
        let leaders = membership.managers.filter { $0.nodeID != membership.nodeID }
        guard let leader = leaders.first else {
            throw StarlingError.unavailable("no manager that holds the cluster store is known")
        }
        if Self.followsLogs(request) {
            // Forwarding is one request, one answer: a stream that never ends would never be answered.
            throw StarlingError(
                .notImplemented,
                "following logs through a manager that does not hold the cluster store is not supported yet: "
                    + "ask the manager at \(leader.addr), or leave out --follow")
        }
        let target = try ControlPlaneAddress(parsing: leader.addr, defaultPort: 4242)
        let transport = try ControlPlaneTransport.pinnedClient(to: target, identity: runtime.identity)
        let answer = try await withGRPCClient(transport: transport) { grpc in
            try await ControlService.Client(wrapping: grpc).forwardAPI(
                APIRequest(
                    method: request.method, path: request.path,
                    headers: request.headers.map { HeaderField(name: $0.name, value: $0.value) }, body: request.body))
        }
        return ForwardedResponse(
            status: answer.status, headers: answer.headers.map { HTTPHeaderField(name: $0.name, value: $0.value) },
            body: answer.body)
    }
}

extension ManagerForwarder {
    /// `GET .../logs?follow=1` (any of Go's true spellings).
    static func followsLogs(_ request: ForwardedRequest) -> Bool {
        guard request.method == "GET", request.route.hasSuffix("/logs"),
            let query = URLComponents(string: request.path)?.queryItems
        else { return false }
        return query.contains {
            $0.name == "follow" && ["1", "t", "T", "true", "TRUE", "True"].contains($0.value ?? "")
        }
    }

    /// A GET answered by the manager that holds the store, decoded.
    func get<T: Decodable>(_ type: T.Type, _ route: String) async throws -> T {
        let answer = try await forward(
            ForwardedRequest(
                method: "GET", path: "/v\(StarlingVersion.apiVersion)\(route)", route: route, headers: [], body: Data())
        )
        guard (200..<300).contains(answer.status) else {
            throw StarlingError.unavailable("the manager holding the store answered \(answer.status)")
        }
        return try StarlingJSON.decode(type, from: answer.body)
    }
}

import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import StarlingModel
import StarlingPKI
import X509

// The server transport admits any client certificate (so that a joining node can use its bootstrap one); these
// functions decide, per call, who the caller is. They read the certificate the peer presented in the TLS
// handshake and verify it against the swarm CA.

/// The certificate the caller presented in the TLS handshake, if the call came over the Posix HTTP/2 transport
/// with TLS.
public func peerCertificate(context: ServerContext) -> Certificate? {
    (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate
}

/// The caller's node identity if it presented a certificate issued by `ca` and valid at `now`; nil for callers
/// with a bootstrap certificate, a certificate from another CA, an expired one, or none.
public func authenticatedPeer(context: ServerContext, ca: RootCA, now: Date) -> PeerIdentity? {
    guard let certificate = peerCertificate(context: context) else { return nil }
    return try? ca.verify(leaf: certificate, now: now)
}

/// The caller's node identity, or an error saying why it has none: `unauthenticated` without a valid swarm
/// certificate, `permissionDenied` when its role is not in `roles` or it belongs to another cluster.
public func requireAuthenticatedPeer(
    context: ServerContext, ca: RootCA, now: Date, clusterID: String? = nil,
    roles: Set<NodeRole> = Set(NodeRole.allCases)
) throws(RPCError) -> PeerIdentity {
    guard let certificate = peerCertificate(context: context) else {
        throw RPCError(
            code: .unauthenticated, message: "no client certificate: this call needs a swarm node certificate")
    }
    let peer: PeerIdentity
    do {
        peer = try ca.verify(leaf: certificate, now: now)
    } catch {
        throw RPCError(code: .unauthenticated, message: "\(error)")
    }
    if let clusterID, peer.clusterID != clusterID {
        throw RPCError(code: .permissionDenied, message: "node \(peer.nodeID) belongs to another cluster")
    }
    guard roles.contains(peer.role) else {
        let allowed = roles.map(\.rawValue).sorted().joined(separator: ", ")
        throw RPCError(
            code: .permissionDenied,
            message: "Permission denied: remote certificate not part of organizational unit \(allowed)")
    }
    return peer
}

import SwiftASN1
import X509

/// The role a node certificate grants, written in the certificate's OU as SwarmKit writes it.
public enum NodeRole: String, Hashable, Sendable, CaseIterable, Codable {
    case manager = "swarm-manager"
    case worker = "swarm-worker"

    /// The organizational unit (and SAN) that carries the role.
    public var organizationalUnit: String { rawValue }
}

/// Who a node certificate names: CN = node ID, OU = role, O = cluster ID.
public struct PeerIdentity: Hashable, Sendable, CustomStringConvertible {
    public var nodeID: String
    public var role: NodeRole
    public var clusterID: String

    public init(nodeID: String, role: NodeRole, clusterID: String) {
        self.nodeID = nodeID
        self.role = role
        self.clusterID = clusterID
    }

    /// Reads the identity from a certificate's subject without checking who signed it. Use `RootCA.verify` for
    /// anything that authorizes.
    public init(certificate: Certificate) throws {
        func only(_ oid: ASN1ObjectIdentifier, _ name: String) throws -> String {
            let values = certificate.subject.flatMap { $0 }.filter { $0.type == oid }.compactMap { String($0.value) }
            guard values.count == 1, let value = values.first, !value.isEmpty else {
                throw PKIError.invalidCertificate(reason: "the subject must carry exactly one \(name)")
            }
            return value
        }
        let nodeID = try only(.RDNAttributeType.commonName, "common name (node ID)")
        let unit = try only(.RDNAttributeType.organizationalUnitName, "organizational unit (role)")
        let clusterID = try only(.RDNAttributeType.organizationName, "organization (cluster ID)")
        guard let role = NodeRole(rawValue: unit) else {
            throw PKIError.invalidCertificate(reason: "unknown role '\(unit)' in the organizational unit")
        }
        self.init(nodeID: nodeID, role: role, clusterID: clusterID)
    }

    public var description: String { "\(nodeID) (\(role.rawValue), cluster \(clusterID))" }
}

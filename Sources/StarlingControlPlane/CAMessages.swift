import StarlingModel
import StarlingPKI

/// A message with no fields (the request of `GetRootCA`).
public struct Empty: Codable, Hashable, Sendable {
    public init() {}
}

/// The swarm's root CA certificate. A joining node checks it against its join token's digest before trusting it.
public struct RootCAResponse: Codable, Hashable, Sendable {
    public var caCertificatePEM: String

    public init(caCertificatePEM: String) {
        self.caCertificatePEM = caCertificatePEM
    }
}

/// A manager's control-plane address, as given to agents so they can fail over.
public struct ManagerAddress: Codable, Hashable, Sendable {
    public var nodeID: String
    /// `host:port`.
    public var addr: String

    public init(nodeID: String, addr: String) {
        self.nodeID = nodeID
        self.addr = addr
    }
}

/// A node's request to join: the token decides the role, the CSR carries the key to certify.
public struct JoinRequest: Codable, Hashable, Sendable {
    /// The join token (`SWMTKN-1-...`), worker or manager.
    public var token: String
    /// A PEM certificate signing request, signed by the key to certify (proof of possession).
    public var csrPEM: String
    public var hostname: String
    /// The address other nodes reach this node at (`host` or `host:port`).
    public var advertiseAddr: String
    /// Where a joining manager will listen for the control plane; nil for workers.
    public var listenAddr: String?
    /// The availability the node asks for (`docker swarm join --availability`); nil means active.
    public var availability: NodeSpec.Availability?

    public init(
        token: String, csrPEM: String, hostname: String, advertiseAddr: String, listenAddr: String? = nil,
        availability: NodeSpec.Availability? = nil
    ) {
        self.token = token
        self.csrPEM = csrPEM
        self.hostname = hostname
        self.advertiseAddr = advertiseAddr
        self.listenAddr = listenAddr
        self.availability = availability
    }
}

/// A renewal request from an authenticated node: a CSR for the (possibly new) key to certify.
public struct RenewRequest: Codable, Hashable, Sendable {
    public var csrPEM: String

    public init(csrPEM: String) {
        self.csrPEM = csrPEM
    }
}

/// The certificate issued at join or renewal, with what the node needs to start talking to the swarm. On renewal
/// the role is the node's current desired role, which may have changed since it joined.
public struct JoinResponse: Codable, Hashable, Sendable {
    public var nodeID: String
    public var role: NodeSpec.Role
    public var clusterID: String
    public var certificatePEM: String
    public var caCertificatePEM: String
    public var managers: [ManagerAddress]

    public init(
        nodeID: String, role: NodeSpec.Role, clusterID: String, certificatePEM: String, caCertificatePEM: String,
        managers: [ManagerAddress]
    ) {
        self.nodeID = nodeID
        self.role = role
        self.clusterID = clusterID
        self.certificatePEM = certificatePEM
        self.caCertificatePEM = caCertificatePEM
        self.managers = managers
    }
}

extension NodeRole {
    /// The certificate role for a node spec role.
    public init(_ role: NodeSpec.Role) {
        switch role {
        case .manager: self = .manager
        case .worker: self = .worker
        }
    }

    /// The node spec role this certificate role grants.
    public var specRole: NodeSpec.Role {
        switch self {
        case .manager: .manager
        case .worker: .worker
        }
    }
}

import Foundation
import X509

/// A node's credentials: its private key, the certificate the swarm CA issued for it, and the CA certificate.
/// Kept in `<state-dir>/certificates/` as `node.key` (0600), `node.crt` and `ca.crt`.
public struct NodeIdentity: Sendable {
    public let privateKey: Certificate.PrivateKey
    /// The key as PKCS #8 PEM.
    public let privateKeyPEM: String
    public let certificate: Certificate
    public let caCertificate: Certificate
    /// Node ID, role and cluster as the certificate names them.
    public let peer: PeerIdentity
    public let certificatePEM: String
    public let caCertificatePEM: String

    /// The directory under the state directory that holds the files.
    public static let directoryName = "certificates"
    public static let keyFileName = "node.key"
    public static let certificateFileName = "node.crt"
    public static let caCertificateFileName = "ca.crt"

    /// Combines the parts, checking that the key belongs to the certificate and that the CA signed it (but not
    /// the validity period: an expired identity still loads, so that the node can say why it cannot connect).
    public init(privateKey: Certificate.PrivateKey, certificate: Certificate, caCertificate: Certificate) throws {
        guard privateKey.publicKey == certificate.publicKey else {
            throw PKIError.invalidArgument("the node key does not match the node certificate")
        }
        guard certificate.issuer == caCertificate.subject,
            caCertificate.publicKey.isValidSignature(certificate.signature, for: certificate)
        else {
            throw PKIError.untrusted(reason: "the node certificate was not issued by the CA stored with it")
        }
        self.privateKey = privateKey
        self.privateKeyPEM = try PEMFiles.pem(privateKey)
        self.certificate = certificate
        self.caCertificate = caCertificate
        self.peer = try PeerIdentity(certificate: certificate)
        self.certificatePEM = try PEMFiles.pem(certificate)
        self.caCertificatePEM = try PEMFiles.pem(caCertificate)
    }

    /// Parses the three PEM documents.
    public init(privateKeyPEM: String, certificatePEM: String, caCertificatePEM: String) throws {
        try self.init(
            privateKey: PEMFiles.privateKey(pem: privateKeyPEM, what: "node key"),
            certificate: PEMFiles.certificate(pem: certificatePEM, what: "node certificate"),
            caCertificate: PEMFiles.certificate(pem: caCertificatePEM, what: "CA certificate"))
    }

    /// The CA this identity trusts, without its key: enough to verify peers.
    public func rootCA() throws -> RootCA {
        try RootCA(certificate: caCertificate)
    }

    /// A signing request for this node's key, for certificate renewal.
    public func signingRequest() throws -> CertificateSigningRequest {
        try SigningRequest.make(privateKey: privateKey, commonName: peer.nodeID)
    }

    /// The same key with a newly issued certificate (after a renewal or a role change).
    public func renewed(certificate: Certificate, caCertificate: Certificate? = nil) throws -> NodeIdentity {
        try NodeIdentity(
            privateKey: privateKey, certificate: certificate, caCertificate: caCertificate ?? self.caCertificate)
    }

    /// Whether `directory` holds a saved identity.
    public static func exists(in directory: String) -> Bool {
        [keyFileName, certificateFileName, caCertificateFileName].allSatisfy {
            FileManager.default.fileExists(atPath: directory + "/" + $0)
        }
    }

    /// Writes the three files into `directory` (created with mode 0700), each atomically. The certificate is
    /// written last: `load` refuses a key and certificate that do not belong together, so an interrupted save is
    /// detected rather than half-used.
    public func save(in directory: String) throws {
        try PEMFiles.createDirectory(directory)
        try PEMFiles.writeAtomically(caCertificatePEM, to: directory + "/" + Self.caCertificateFileName, mode: 0o644)
        try PEMFiles.writeAtomically(privateKeyPEM, to: directory + "/" + Self.keyFileName, mode: 0o600)
        try PEMFiles.writeAtomically(certificatePEM, to: directory + "/" + Self.certificateFileName, mode: 0o644)
    }

    /// Reads an identity saved by `save(in:)`.
    public static func load(from directory: String) throws -> NodeIdentity {
        try NodeIdentity(
            privateKeyPEM: PEMFiles.read(directory + "/" + keyFileName),
            certificatePEM: PEMFiles.read(directory + "/" + certificateFileName),
            caCertificatePEM: PEMFiles.read(directory + "/" + caCertificateFileName))
    }
}

/// The throwaway credentials a node presents before it has joined: a fresh key and a self-signed certificate.
/// Mutual TLS needs some client certificate at the TLS level; the manager accepts this one only for the
/// unauthenticated RPCs (`GetRootCA`, `Join`). The same key then goes into the join CSR, so after joining the
/// node keeps it with the issued certificate (`nodeIdentity(certificate:caCertificate:)`).
public struct BootstrapIdentity: Sendable {
    public let privateKey: Certificate.PrivateKey
    /// The key as PKCS #8 PEM.
    public let privateKeyPEM: String
    public let certificate: Certificate
    public let certificatePEM: String

    /// The common name of bootstrap certificates.
    public static let commonName = "swarm-bootstrap"

    /// A new key and a self-signed certificate valid from `now` (backdated) for `validity`.
    public static func make(now: Date, validity: Duration = .seconds(24 * 3600)) throws -> BootstrapIdentity {
        let key = PEMFiles.newKey()
        let publicKey = key.publicKey
        let name = PEMFiles.name([(.RDNAttributeType.commonName, commonName)])
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.clientAuth])
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-RootCA.backdate),
            notValidAfter: now.addingTimeInterval(validity.seconds), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key)
        return try BootstrapIdentity(privateKey: key, certificate: certificate)
    }

    private init(privateKey: Certificate.PrivateKey, certificate: Certificate) throws {
        self.privateKey = privateKey
        self.privateKeyPEM = try PEMFiles.pem(privateKey)
        self.certificate = certificate
        self.certificatePEM = try PEMFiles.pem(certificate)
    }

    /// The CSR a joining node sends with its token.
    public func signingRequest() throws -> CertificateSigningRequest {
        try SigningRequest.make(privateKey: privateKey)
    }

    /// This key with the certificate the CA issued at join.
    public func nodeIdentity(certificate: Certificate, caCertificate: Certificate) throws -> NodeIdentity {
        try NodeIdentity(privateKey: privateKey, certificate: certificate, caCertificate: caCertificate)
    }
}

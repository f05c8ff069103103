import Crypto
import Foundation
import SwiftASN1
import X509

/// The swarm's root certificate authority: a P-256 key and a self-signed CA certificate (CN `swarm-ca`). Every
/// node certificate is issued by it, and every control-plane connection is authenticated against it.
///
/// A `RootCA` built from the certificate alone can verify but not issue (`canSign` is false); managers hold the key.
public struct RootCA: Sendable {
    /// The CA certificate.
    public let certificate: Certificate
    /// The CA certificate, PEM-encoded (what `GetRootCA` serves and `ca.crt` holds).
    public let certificatePEM: String
    /// The CA certificate, DER-encoded.
    public let certificateDER: [UInt8]
    /// SHA-256 of `certificateDER`: what a join token carries so a joining node can check the CA it was given.
    public let digest: [UInt8]
    /// The CA subject, DER-encoded (Docker's `TLSInfo.CertIssuerSubject`, base64 on the wire).
    public let subjectDER: [UInt8]
    /// The CA's SubjectPublicKeyInfo, DER-encoded (Docker's `TLSInfo.CertIssuerPublicKey`, base64 on the wire).
    public let subjectPublicKeyInfoDER: [UInt8]
    private let signingKey: Certificate.PrivateKey?
    /// The CA key as PKCS #8 PEM, when held.
    public let privateKeyPEM: String?

    /// The common name of every swarm CA, as in SwarmKit.
    public static let commonName = "swarm-ca"
    /// About twenty years, as Docker's default root CA.
    public static let defaultValidity: Duration = .seconds(20 * 365 * 24 * 3600)
    /// Ninety days, as Docker's default node certificate expiry.
    public static let defaultNodeCertificateValidity: Duration = .seconds(90 * 24 * 3600)
    /// Certificates start this long before the `now` they are issued at, so that a node whose clock runs a little
    /// behind the issuer's accepts them at once (SwarmKit's `CertBackdate`).
    public static let backdate: TimeInterval = 3600
    /// File names used by `save(in:)` and `load(from:)`, as in SwarmKit.
    public static let certificateFileName = "swarm-root-ca.crt"
    public static let keyFileName = "swarm-root-ca.key"

    /// Creates a new CA valid from `now` (backdated) for `validity`.
    public static func create(now: Date, validity: Duration = defaultValidity) throws -> RootCA {
        let key = PEMFiles.newKey()
        let publicKey = key.publicKey
        let name = PEMFiles.name([(.RDNAttributeType.commonName, commonName)])
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-backdate), notValidAfter: now.addingTimeInterval(validity.seconds),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: key)
        return try RootCA(certificate: certificate, privateKey: key)
    }

    /// Wraps an existing CA certificate and, optionally, its key. Throws if the certificate is not a CA or the key
    /// does not belong to it.
    public init(certificate: Certificate, privateKey: Certificate.PrivateKey? = nil) throws {
        guard Self.isCA(certificate) else {
            throw PKIError.invalidCertificate(reason: "the root certificate is not a certificate authority")
        }
        if let privateKey, privateKey.publicKey != certificate.publicKey {
            throw PKIError.invalidArgument("the CA private key does not match the CA certificate")
        }
        self.certificate = certificate
        self.signingKey = privateKey
        self.privateKeyPEM = try privateKey.map { try PEMFiles.pem($0) }
        self.certificatePEM = try PEMFiles.pem(certificate)
        self.certificateDER = try PEMFiles.der(certificate)
        self.digest = Array(SHA256.hash(data: certificateDER))
        self.subjectDER = try PEMFiles.der(certificate.subject)
        self.subjectPublicKeyInfoDER = try PEMFiles.der(certificate.publicKey)
    }

    /// Parses a CA from PEM text (the key is optional: without it the CA can only verify).
    public init(certificatePEM: String, privateKeyPEM: String? = nil) throws {
        let certificate = try PEMFiles.certificate(pem: certificatePEM, what: "CA certificate")
        let key = try privateKeyPEM.map { try PEMFiles.privateKey(pem: $0, what: "CA private key") }
        try self.init(certificate: certificate, privateKey: key)
    }

    /// Loads `swarm-root-ca.crt` and, when present, `swarm-root-ca.key` from `directory`.
    public static func load(from directory: String) throws -> RootCA {
        let keyPath = directory + "/" + keyFileName
        let keyPEM = FileManager.default.fileExists(atPath: keyPath) ? try PEMFiles.read(keyPath) : nil
        return try RootCA(
            certificatePEM: PEMFiles.read(directory + "/" + certificateFileName), privateKeyPEM: keyPEM)
    }

    /// Writes the certificate (mode 0644) and, when held, the key (mode 0600) into `directory`, creating it.
    public func save(in directory: String) throws {
        try PEMFiles.createDirectory(directory)
        if let privateKeyPEM {
            try PEMFiles.writeAtomically(privateKeyPEM, to: directory + "/" + Self.keyFileName, mode: 0o600)
        }
        try PEMFiles.writeAtomically(certificatePEM, to: directory + "/" + Self.certificateFileName, mode: 0o644)
    }

    /// Whether this CA holds its private key and can issue certificates.
    public var canSign: Bool { signingKey != nil }

    /// `digest` in lowercase hex (`sha256:` not included).
    public var digestHex: String { digest.map { String(format: "%02x", $0) }.joined() }

    /// Issues a node certificate for `publicKey`: CN = node ID, OU = role, O = cluster ID; DNS SANs for the node
    /// ID and the role, plus `ipAddresses`; server and client authentication; valid from `now` (backdated) for
    /// `validity`.
    public func issue(
        publicKey: Certificate.PublicKey, nodeID: String, role: NodeRole, clusterID: String,
        ipAddresses: [String] = [], now: Date, validity: Duration = defaultNodeCertificateValidity
    ) throws -> Certificate {
        guard let signingKey else { throw PKIError.noSigningKey }
        guard !nodeID.isEmpty, !clusterID.isEmpty else {
            throw PKIError.invalidArgument("a node certificate needs a node ID and a cluster ID")
        }
        guard validity > .zero else { throw PKIError.invalidArgument("certificate validity must be positive") }
        let subject = PEMFiles.name([
            (.RDNAttributeType.organizationName, clusterID),
            (.RDNAttributeType.organizationalUnitName, role.organizationalUnit),
            (.RDNAttributeType.commonName, nodeID),
        ])
        let names: [GeneralName] =
            [.dnsName(nodeID), .dnsName(role.organizationalUnit)]
            + (try ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: try IPAddress.bytes($0)[...])) })
        let caKeyIdentifier = (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            SubjectAlternativeNames(names)
            SubjectKeyIdentifier(hash: publicKey)
            if let caKeyIdentifier {
                AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
            }
        }
        // A leaf must not outlive its issuer.
        let notValidAfter = min(now.addingTimeInterval(validity.seconds), certificate.notValidAfter)
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-Self.backdate), notValidAfter: notValidAfter,
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: signingKey)
    }

    /// Issues a node certificate for the key in `signingRequest`, after checking that the request is signed by
    /// that key (proof of possession). Only the key is taken from the request: the subject comes from the caller.
    public func issue(
        signingRequest: CertificateSigningRequest, nodeID: String, role: NodeRole, clusterID: String,
        ipAddresses: [String] = [], now: Date, validity: Duration = defaultNodeCertificateValidity
    ) throws -> Certificate {
        try SigningRequest.checkProofOfPossession(signingRequest)
        return try issue(
            publicKey: signingRequest.publicKey, nodeID: nodeID, role: role, clusterID: clusterID,
            ipAddresses: ipAddresses, now: now, validity: validity)
    }

    /// Checks that `leaf` was signed by this CA and is valid at `now`, and returns the identity it names.
    public func verify(leaf: Certificate, now: Date) throws -> PeerIdentity {
        guard leaf.issuer == certificate.subject else {
            throw PKIError.untrusted(reason: "issued by '\(leaf.issuer)', not by this swarm's CA")
        }
        guard certificate.publicKey.isValidSignature(leaf.signature, for: leaf) else {
            throw PKIError.untrusted(reason: "the signature does not verify with this swarm's CA key")
        }
        guard now >= leaf.notValidBefore else {
            throw PKIError.notYetValid(notValidBefore: leaf.notValidBefore, now: now)
        }
        guard now <= leaf.notValidAfter else { throw PKIError.expired(notValidAfter: leaf.notValidAfter, now: now) }
        guard now <= certificate.notValidAfter else {
            throw PKIError.expired(notValidAfter: certificate.notValidAfter, now: now)
        }
        if let constraints = try? leaf.extensions.basicConstraints, constraints != .notCertificateAuthority {
            throw PKIError.invalidCertificate(reason: "a node certificate must not be a certificate authority")
        }
        return try PeerIdentity(certificate: leaf)
    }

    private static func isCA(_ certificate: Certificate) -> Bool {
        if case .isCertificateAuthority = try? certificate.extensions.basicConstraints { return true }
        return false
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var seconds: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

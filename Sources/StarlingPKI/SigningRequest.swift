import Foundation
import SwiftASN1
import X509

/// Certificate signing requests: how a node proves it holds the key it wants certified. The node signs a CSR
/// with its key; the CA checks that signature and certifies only the key (the subject is the CA's choice).
public enum SigningRequest {
    /// A CSR for `privateKey`. The subject is informational (the CA ignores it); `commonName` defaults to a
    /// placeholder a joining node uses before it knows its ID.
    public static func make(
        privateKey: Certificate.PrivateKey, commonName: String = "swarm-node"
    ) throws
        -> CertificateSigningRequest
    {
        try CertificateSigningRequest(
            version: .v1, subject: PEMFiles.name([(.RDNAttributeType.commonName, commonName)]),
            privateKey: privateKey, attributes: CertificateSigningRequest.Attributes(),
            signatureAlgorithm: .ecdsaWithSHA256)
    }

    /// PEM text of a CSR (`-----BEGIN CERTIFICATE REQUEST-----`).
    public static func pem(_ request: CertificateSigningRequest) throws -> String {
        try request.serializeAsPEM().pemString
    }

    /// Parses a CSR from PEM and checks its proof of possession.
    public static func parse(pem: String) throws -> CertificateSigningRequest {
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: pem)
        } catch {
            throw PKIError.invalidSigningRequest(reason: "not a PEM certificate request (\(error))")
        }
        try checkProofOfPossession(request)
        return request
    }

    /// Throws unless the CSR is signed by the key it carries.
    public static func checkProofOfPossession(_ request: CertificateSigningRequest) throws {
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError.invalidSigningRequest(reason: "its signature does not match its public key")
        }
    }
}

/// Textual IP addresses to the bytes an X.509 `iPAddress` SAN holds.
enum IPAddress {
    static func bytes(_ text: String) throws -> [UInt8] {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        throw PKIError.invalidArgument("'\(text)' is not an IP address")
    }
}

import Crypto
import Foundation
import StarlingPKI
import SwiftASN1
import Testing
import X509

@Suite("Root CA")
struct RootCATests {
    @Test func createdCAIsASelfSignedSwarmCA() throws {
        let ca = try RootCA.create(now: fixedNow)
        let certificate = ca.certificate
        #expect(certificate.subject == certificate.issuer)
        #expect(certificate.subject.description == "CN=swarm-ca")
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        let usage = try #require(try certificate.extensions.keyUsage)
        #expect(usage.keyCertSign && usage.cRLSign)
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        // About twenty years, starting an hour early for clock skew.
        #expect(certificate.notValidBefore == fixedNow.addingTimeInterval(-3600))
        let years = certificate.notValidAfter.timeIntervalSince(fixedNow) / (365 * 24 * 3600)
        #expect(years > 19.9 && years < 20.1)
        #expect(P256.Signing.PublicKey(certificate.publicKey) != nil)
        #expect(ca.canSign)
    }

    @Test func digestIsSHA256OfTheDERCertificate() throws {
        let ca = try RootCA.create(now: fixedNow)
        #expect(ca.digest == Array(SHA256.hash(data: ca.certificateDER)))
        #expect(ca.digest.count == 32)
        #expect(ca.digestHex.count == 64)
        let reparsed = try RootCA(certificatePEM: ca.certificatePEM)
        #expect(reparsed.digest == ca.digest)
    }

    @Test func saveAndLoadRoundTripWithAPrivateKeyFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = try RootCA.create(now: fixedNow)
        try ca.save(in: directory + "/certificates")

        #expect(try fileMode(directory + "/certificates/" + RootCA.keyFileName) == 0o600)
        #expect(try fileMode(directory + "/certificates/" + RootCA.certificateFileName) == 0o644)
        let loaded = try RootCA.load(from: directory + "/certificates")
        #expect(loaded.certificate == ca.certificate)
        #expect(loaded.digest == ca.digest)
        #expect(loaded.canSign)
        #expect(loaded.privateKeyPEM == ca.privateKeyPEM)

        // What the loaded CA issues, the original verifies: it is the same key.
        let node = try IssuedNode(ca: loaded, nodeID: "n1")
        #expect(try ca.verify(leaf: node.identity.certificate, now: fixedNow).nodeID == "n1")
    }

    @Test func aCAWithoutItsKeyVerifiesButCannotIssue() throws {
        let ca = try RootCA.create(now: fixedNow)
        let verifier = try RootCA(certificatePEM: ca.certificatePEM)
        #expect(!verifier.canSign)
        #expect(verifier.privateKeyPEM == nil)
        let node = try IssuedNode(ca: ca, nodeID: "n1")
        #expect(try verifier.verify(leaf: node.identity.certificate, now: fixedNow).nodeID == "n1")
        #expect(throws: PKIError.noSigningKey) {
            try verifier.issue(
                publicKey: node.identity.certificate.publicKey, nodeID: "n2", role: .worker, clusterID: "c",
                now: fixedNow)
        }
    }

    @Test func aKeyThatIsNotTheCAsIsRefused() throws {
        let ca = try RootCA.create(now: fixedNow)
        let other = try RootCA.create(now: fixedNow)
        #expect(throws: PKIError.self) {
            try RootCA(certificatePEM: ca.certificatePEM, privateKeyPEM: other.privateKeyPEM)
        }
    }

    @Test func issuedCertificateNamesNodeRoleAndCluster() throws {
        let ca = try RootCA.create(now: fixedNow)
        let node = try IssuedNode(
            ca: ca, nodeID: "abc123", role: .manager, clusterID: "cluster-9", ipAddresses: ["10.0.0.7", "fd00::7"])
        let certificate = node.identity.certificate

        // RFC 4514 order: last RDN first.
        #expect(certificate.subject.description == "CN=abc123,OU=swarm-manager,O=cluster-9")
        #expect(certificate.issuer == ca.certificate.subject)
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(names.contains(.dnsName("abc123")))
        #expect(names.contains(.dnsName("swarm-manager")))
        #expect(names.contains(.ipAddress(ASN1OctetString(contentBytes: [10, 0, 0, 7]))))
        #expect(
            names.contains(
                .ipAddress(ASN1OctetString(contentBytes: [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]))))
        let usages = try #require(try certificate.extensions.extendedKeyUsage)
        #expect(usages.contains(.serverAuth) && usages.contains(.clientAuth))
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(certificate.notValidBefore == fixedNow.addingTimeInterval(-3600))
        #expect(certificate.notValidAfter == fixedNow.addingTimeInterval(90 * 24 * 3600))

        let identity = try ca.verify(leaf: certificate, now: fixedNow)
        #expect(identity == PeerIdentity(nodeID: "abc123", role: .manager, clusterID: "cluster-9"))
        #expect(node.identity.peer == identity)
    }

    @Test func anInvalidIPAddressIsRefused() throws {
        let ca = try RootCA.create(now: fixedNow)
        #expect(throws: PKIError.invalidArgument("'10.0.0.300' is not an IP address")) {
            try IssuedNode(ca: ca, nodeID: "n1", ipAddresses: ["10.0.0.300"])
        }
    }

    @Test func verifyRefusesACertificateFromAnotherCA() throws {
        let ca = try RootCA.create(now: fixedNow)
        let other = try RootCA.create(now: fixedNow)
        let foreign = try IssuedNode(ca: other, nodeID: "n1")
        // Same subject name ("swarm-ca"), different key: the signature check is what refuses it.
        #expect(other.certificate.subject == ca.certificate.subject)
        let error = #expect(throws: PKIError.self) {
            try ca.verify(leaf: foreign.identity.certificate, now: fixedNow)
        }
        #expect(error == .untrusted(reason: "the signature does not verify with this swarm's CA key"))
    }

    @Test func verifyRefusesExpiredAndNotYetValidCertificates() throws {
        let ca = try RootCA.create(now: fixedNow)
        let node = try IssuedNode(ca: ca, nodeID: "n1", validity: .seconds(600))
        let certificate = node.identity.certificate
        let later = fixedNow.addingTimeInterval(601)
        #expect(throws: PKIError.expired(notValidAfter: certificate.notValidAfter, now: later)) {
            try ca.verify(leaf: certificate, now: later)
        }
        let earlier = fixedNow.addingTimeInterval(-3601)
        #expect(throws: PKIError.notYetValid(notValidBefore: certificate.notValidBefore, now: earlier)) {
            try ca.verify(leaf: certificate, now: earlier)
        }
        #expect(try ca.verify(leaf: certificate, now: fixedNow.addingTimeInterval(599)).nodeID == "n1")
    }

    @Test func verifyRefusesATamperedCertificate() throws {
        let ca = try RootCA.create(now: fixedNow)
        let node = try IssuedNode(ca: ca, nodeID: "node-aaaa")
        var der = try PEMDocument(pemString: node.identity.certificatePEM).derBytes
        // Rename the node inside the signed part: the certificate still parses but the signature no longer fits.
        let original = Array("node-aaaa".utf8)
        let start = try #require(der.indices.first { der[$0...].starts(with: original) })
        der[start + 5] = UInt8(ascii: "b")
        let tampered = try Certificate(derEncoded: der)
        #expect(tampered.subject.description.contains("node-baaa"))
        #expect(throws: PKIError.untrusted(reason: "the signature does not verify with this swarm's CA key")) {
            try ca.verify(leaf: tampered, now: fixedNow)
        }
    }

    @Test func verifyRefusesASelfSignedBootstrapCertificate() throws {
        let ca = try RootCA.create(now: fixedNow)
        let bootstrap = try BootstrapIdentity.make(now: fixedNow)
        #expect(throws: PKIError.self) { try ca.verify(leaf: bootstrap.certificate, now: fixedNow) }
    }

    @Test func signingRequestWithoutProofOfPossessionIsRefused() throws {
        let ca = try RootCA.create(now: fixedNow)
        let honest = try BootstrapIdentity.make(now: fixedNow).signingRequest()
        let attacker = try BootstrapIdentity.make(now: fixedNow).signingRequest()
        // Someone else's public key with a signature the holder of that key never made.
        let forged = try CertificateSigningRequest(
            version: .v1, subject: honest.subject, publicKey: honest.publicKey, attributes: honest.attributes,
            signatureAlgorithm: honest.signatureAlgorithm, signature: attacker.signature)
        #expect(throws: PKIError.invalidSigningRequest(reason: "its signature does not match its public key")) {
            try ca.issue(signingRequest: forged, nodeID: "n1", role: .worker, clusterID: "c", now: fixedNow)
        }
        #expect(throws: PKIError.self) { try SigningRequest.parse(pem: SigningRequest.pem(forged)) }
        #expect(try SigningRequest.parse(pem: SigningRequest.pem(honest)) == honest)
        #expect(throws: PKIError.self) { try SigningRequest.parse(pem: "not a CSR") }
    }

    @Test func tlsInfoAccessorsAreTheDEREncodedSubjectAndKey() throws {
        let ca = try RootCA.create(now: fixedNow)
        let subject = try DistinguishedName(derEncoded: DER.parse(ca.subjectDER))
        #expect(subject == ca.certificate.subject)
        let publicKey = try Certificate.PublicKey(derEncoded: ca.subjectPublicKeyInfoDER)
        #expect(publicKey == ca.certificate.publicKey)
        // Docker shows these base64-encoded in `TLSInfo`.
        #expect(Data(ca.subjectDER).base64EncodedString().hasPrefix("MBMxETAPBgNVBAMTCHN3YXJtLWNh"))
        #expect(ca.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
    }
}

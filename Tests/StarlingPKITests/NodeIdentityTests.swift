import Foundation
import StarlingPKI
import Testing
import X509

@Suite("Node identity")
struct NodeIdentityTests {
    @Test func saveAndLoadRoundTrip() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificates = directory + "/" + NodeIdentity.directoryName
        let ca = try RootCA.create(now: fixedNow)
        let node = try IssuedNode(ca: ca, nodeID: "node-1", role: .manager, clusterID: "cluster-1")

        #expect(!NodeIdentity.exists(in: certificates))
        try node.identity.save(in: certificates)
        #expect(NodeIdentity.exists(in: certificates))
        #expect(try fileMode(certificates + "/node.key") == 0o600)
        #expect(try fileMode(certificates + "/node.crt") == 0o644)
        #expect(try fileMode(certificates + "/ca.crt") == 0o644)
        #expect(try fileMode(certificates) == 0o700)
        // Nothing is left behind by the write-then-rename.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: certificates).sorted() == [
                "ca.crt", "node.crt", "node.key",
            ])

        let loaded = try NodeIdentity.load(from: certificates)
        #expect(loaded.certificate == node.identity.certificate)
        #expect(loaded.caCertificate == ca.certificate)
        #expect(loaded.privateKeyPEM == node.identity.privateKeyPEM)
        #expect(loaded.peer == PeerIdentity(nodeID: "node-1", role: .manager, clusterID: "cluster-1"))
        #expect(try loaded.rootCA().digest == ca.digest)

        // Saving again replaces the files in place.
        let renewed = try loaded.renewed(
            certificate: ca.issue(
                publicKey: loaded.certificate.publicKey, nodeID: "node-1", role: .worker, clusterID: "cluster-1",
                now: fixedNow))
        try renewed.save(in: certificates)
        #expect(try NodeIdentity.load(from: certificates).peer.role == .worker)
    }

    @Test func loadRefusesAKeyThatDoesNotMatchTheCertificate() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = try RootCA.create(now: fixedNow)
        let first = try IssuedNode(ca: ca, nodeID: "n1")
        let second = try IssuedNode(ca: ca, nodeID: "n2")
        try first.identity.save(in: directory)
        try second.identity.privateKeyPEM.write(toFile: directory + "/node.key", atomically: true, encoding: .utf8)
        #expect(throws: PKIError.invalidArgument("the node key does not match the node certificate")) {
            try NodeIdentity.load(from: directory)
        }
    }

    @Test func aCertificateFromAnotherCAIsNotAnIdentity() throws {
        let ca = try RootCA.create(now: fixedNow)
        let other = try RootCA.create(now: fixedNow)
        let node = try IssuedNode(ca: ca, nodeID: "n1")
        #expect(throws: PKIError.self) {
            try NodeIdentity(
                privateKey: node.identity.privateKey, certificate: node.identity.certificate,
                caCertificate: other.certificate)
        }
    }

    @Test func missingFilesAndGarbageAreReportedWithThePath() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = #expect(throws: PKIError.self) { try NodeIdentity.load(from: directory) }
        guard case .io(let path, _) = error else {
            Issue.record("expected an I/O error, got \(String(describing: error))")
            return
        }
        #expect(path.hasSuffix("node.key"))
        #expect(throws: PKIError.self) {
            try NodeIdentity(privateKeyPEM: "garbage", certificatePEM: "garbage", caCertificatePEM: "garbage")
        }
    }

    @Test func bootstrapIdentityIsSelfSignedAndItsKeyCarriesOverAfterJoin() throws {
        let bootstrap = try BootstrapIdentity.make(now: fixedNow)
        let certificate = bootstrap.certificate
        #expect(certificate.subject == certificate.issuer)
        #expect(certificate.subject.description == "CN=swarm-bootstrap")
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(bootstrap.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))

        let ca = try RootCA.create(now: fixedNow)
        let request = try bootstrap.signingRequest()
        #expect(request.publicKey == certificate.publicKey)
        let issued = try ca.issue(signingRequest: request, nodeID: "n1", role: .worker, clusterID: "c", now: fixedNow)
        let identity = try bootstrap.nodeIdentity(certificate: issued, caCertificate: ca.certificate)
        #expect(identity.privateKeyPEM == bootstrap.privateKeyPEM)
        #expect(identity.peer.nodeID == "n1")
        // A renewal CSR is for the same key.
        #expect(try identity.signingRequest().publicKey == certificate.publicKey)
    }

    @Test func peerIdentityNeedsAllThreeSubjectFields() throws {
        let bootstrap = try BootstrapIdentity.make(now: fixedNow)
        #expect(
            throws: PKIError.invalidCertificate(reason: "the subject must carry exactly one organizational unit (role)")
        ) {
            try PeerIdentity(certificate: bootstrap.certificate)
        }
    }
}

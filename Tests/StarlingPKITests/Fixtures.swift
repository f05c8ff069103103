import Foundation
import StarlingPKI

/// A deterministic generator (SplitMix64) so that token tests can pin exact values.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fixed instant for certificate tests: 2025-01-01T00:00:00Z.
let fixedNow = Date(timeIntervalSince1970: 1_735_689_600)

/// A fresh, empty directory under the system's temporary directory.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "starling-pki-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func fileMode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// A CA and a node identity it issued, for tests that need credentials.
struct IssuedNode {
    let ca: RootCA
    let identity: NodeIdentity

    init(
        ca: RootCA, nodeID: String, role: NodeRole = .worker, clusterID: String = "cluster-1",
        ipAddresses: [String] = [], now: Date = fixedNow, validity: Duration = RootCA.defaultNodeCertificateValidity
    ) throws {
        let bootstrap = try BootstrapIdentity.make(now: now)
        let certificate = try ca.issue(
            signingRequest: bootstrap.signingRequest(), nodeID: nodeID, role: role, clusterID: clusterID,
            ipAddresses: ipAddresses, now: now, validity: validity)
        self.ca = ca
        self.identity = try bootstrap.nodeIdentity(certificate: certificate, caCertificate: ca.certificate)
    }
}

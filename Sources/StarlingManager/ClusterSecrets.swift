import Foundation
import StarlingModel
import StarlingPKI
import StarlingStore

/// The swarm's root CA, with its signing key, as kept in the cluster store (`/ca/root`), so that every manager
/// that reads the store can sign certificates.
struct StoredRootCA: Codable, Sendable {
    static let key = "/ca/root"

    var certificatePEM: String
    var privateKeyPEM: String

    static func load(from store: any KeyValueStore) async throws -> RootCA {
        guard let kv = try await store.get(key) else {
            throw StarlingError.internal("the cluster store has no root CA at \(key)")
        }
        let stored = try JSONDecoder().decode(StoredRootCA.self, from: Data(kv.value))
        return try RootCA(certificatePEM: stored.certificatePEM, privateKeyPEM: stored.privateKeyPEM)
    }

    static func put(_ ca: RootCA) throws -> StarlingStore.Operation {
        guard let privateKeyPEM = ca.privateKeyPEM else {
            throw StarlingError.internal("the root CA to store has no signing key")
        }
        let value = try JSONEncoder().encode(
            StoredRootCA(certificatePEM: ca.certificatePEM, privateKeyPEM: privateKeyPEM))
        return .put(key: key, value: [UInt8](value), lease: nil)
    }
}

extension RootCA {
    /// The swarm's `TLSInfo` as Docker reports it.
    var tlsInfo: TLSInfo {
        TLSInfo(
            trustRoot: certificatePEM,
            certIssuerSubject: Data(subjectDER).base64EncodedString(),
            certIssuerPublicKey: Data(subjectPublicKeyInfoDER).base64EncodedString())
    }
}

extension NodeSpec.Role {
    /// The certificate role for a node role.
    var certificateRole: NodeRole { self == .manager ? .manager : .worker }
}

import Foundation

/// Why a certificate, key or signing request was refused. The description is a sentence a user can act on; the
/// manager maps these to `StarlingError` at the module boundary.
public enum PKIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Text that should have held a PEM document (`what` names it: "CA certificate", "node key"...) did not parse.
    case invalidPEM(what: String, reason: String)
    /// A certificate parsed but is not one the swarm CA issues (missing subject fields, unknown role...).
    case invalidCertificate(reason: String)
    /// The certificate was not signed by this swarm's CA.
    case untrusted(reason: String)
    /// The certificate's validity period has ended.
    case expired(notValidAfter: Date, now: Date)
    /// The certificate's validity period has not started.
    case notYetValid(notValidBefore: Date, now: Date)
    /// The signing request is malformed or its signature does not prove possession of the key.
    case invalidSigningRequest(reason: String)
    /// An argument to issue or create was out of range (an IP address that does not parse, a zero validity...).
    case invalidArgument(String)
    /// This `RootCA` holds only the certificate and cannot sign.
    case noSigningKey
    /// Reading or writing a file failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidPEM(let what, let reason): "invalid \(what): \(reason)"
        case .invalidCertificate(let reason): "invalid node certificate: \(reason)"
        case .untrusted(let reason): "certificate not trusted by the swarm CA: \(reason)"
        case .expired(let notValidAfter, let now):
            "certificate expired at \(iso(notValidAfter)) (now \(iso(now)))"
        case .notYetValid(let notValidBefore, let now):
            "certificate not valid before \(iso(notValidBefore)) (now \(iso(now)))"
        case .invalidSigningRequest(let reason): "invalid certificate signing request: \(reason)"
        case .invalidArgument(let reason): reason
        case .noSigningKey: "the swarm CA's private key is not available on this node"
        case .io(let path, let reason): "\(path): \(reason)"
        }
    }
}

private func iso(_ date: Date) -> String {
    date.formatted(.iso8601)
}

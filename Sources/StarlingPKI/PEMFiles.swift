import Crypto
import Foundation
import SwiftASN1
import X509

/// Encoding and file helpers shared by `RootCA`, `NodeIdentity` and `BootstrapIdentity`.
enum PEMFiles {
    /// Writes `contents` to `path` so that readers see either the old file or the whole new one: the bytes go to a
    /// temporary file in the same directory, created with `mode` (so a key is never briefly world-readable), which
    /// is flushed and then renamed over `path`.
    static func writeAtomically(_ contents: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw PKIError.io(path: temporary, reason: errnoDescription()) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        // `open` applies the umask; make the mode exact.
        guard fchmod(fd, mode) == 0 else { throw PKIError.io(path: temporary, reason: errnoDescription()) }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = errnoDescription()
                unlink(temporary)
                throw PKIError.io(path: temporary, reason: reason)
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            let reason = errnoDescription()
            unlink(temporary)
            throw PKIError.io(path: temporary, reason: reason)
        }
        close(fd)
        closed = true
        guard rename(temporary, path) == 0 else {
            let reason = errnoDescription()
            unlink(temporary)
            throw PKIError.io(path: path, reason: reason)
        }
    }

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PKIError.io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
    }

    static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PKIError.io(path: path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    static func certificate(pem: String, what: String) throws -> Certificate {
        do {
            return try Certificate(pemEncoded: pem)
        } catch {
            throw PKIError.invalidPEM(what: what, reason: "\(error)")
        }
    }

    /// Parses a P-256 private key (PKCS #8 or SEC 1 PEM); other algorithms are refused.
    static func privateKey(pem: String, what: String) throws -> Certificate.PrivateKey {
        do {
            return Certificate.PrivateKey(try P256.Signing.PrivateKey(pemRepresentation: pem))
        } catch {
            throw PKIError.invalidPEM(what: what, reason: "not a P-256 private key (\(error))")
        }
    }

    static func pem(_ certificate: Certificate) throws -> String {
        try certificate.serializeAsPEM().pemString
    }

    static func pem(_ key: Certificate.PrivateKey) throws -> String {
        try key.serializeAsPEM().pemString
    }

    /// A new P-256 key.
    static func newKey() -> Certificate.PrivateKey {
        Certificate.PrivateKey(P256.Signing.PrivateKey())
    }

    static func der(_ value: some DERSerializable) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(value)
        return serializer.serializedBytes
    }

    /// A distinguished name with one attribute per RDN, in order, encoded as PrintableString where the value
    /// allows (as Go's crypto/x509 does, so the CA subject's DER matches Docker's) and UTF8String otherwise.
    static func name(_ attributes: [(ASN1ObjectIdentifier, String)]) -> DistinguishedName {
        DistinguishedName(
            attributes.map { type, value in
                let attribute =
                    (try? RelativeDistinguishedName.Attribute(type: type, printableString: value))
                    ?? RelativeDistinguishedName.Attribute(type: type, utf8String: value)
                return RelativeDistinguishedName(attribute)
            })
    }

    private static func errnoDescription() -> String {
        String(cString: strerror(errno))
    }
}

/// PEM text for the certificates this module makes, so callers need not import SwiftASN1.
public enum PEM {
    /// `-----BEGIN CERTIFICATE-----` text of `certificate`.
    public static func encode(_ certificate: Certificate) throws -> String {
        try PEMFiles.pem(certificate)
    }

    /// Parses one certificate; `what` names it in the error ("node certificate", "CA certificate"...).
    public static func certificate(_ text: String, what: String = "certificate") throws -> Certificate {
        try PEMFiles.certificate(pem: text, what: what)
    }
}

import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import SwiftASN1
import X509

/// Issues registry bearer tokens the way Docker's token servers do (distribution's token authentication): a JWT
/// signed with ES256, naming the key by its libtrust ID, whose certificate the registry trusts. Users with the
/// right password get what they ask for; anonymous callers get a token without access.
final class TokenIssuer: Sendable {
    let certificatePEM: String
    let keyID: String
    let users: [String: String]
    let requests = Shared(0)
    /// The signing key's raw bytes (the key type itself is not `Sendable`).
    private let keyBytes: Data

    init(users: [String: String]) throws {
        let key = P256.Signing.PrivateKey()
        keyBytes = key.rawRepresentation
        self.users = users
        let name = try DistinguishedName { CommonName("starling test token issuer") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(3600), issuer: name,
            subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        certificatePEM = try certificate.serializeAsPEM().pemString
        keyID = Self.libtrustKeyID(key.publicKey.derRepresentation)
    }

    /// libtrust's key ID: the first 240 bits of the SHA-256 of the key's DER, base32 in groups of four.
    static func libtrustKeyID(_ der: Data) -> String {
        let bytes = Array(SHA256.hash(data: der).prefix(30))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var characters: [Character] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                characters.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        return stride(from: 0, to: characters.count, by: 4).map {
            String(characters[$0..<min($0 + 4, characters.count)])
        }
        .joined(separator: ":")
    }

    /// A token for `subject` with the repository actions each scope asks for.
    func token(subject: String, scopes: [String]) throws -> String {
        let access: [[String: Any]] = scopes.compactMap { scope in
            let parts = scope.split(separator: ":")
            guard parts.count == 3, !subject.isEmpty else { return nil }
            return [
                "type": String(parts[0]), "name": String(parts[1]),
                "actions": parts[2].split(separator: ",").map(String.init),
            ]
        }
        let now = Int(Date().timeIntervalSince1970)
        let header: [String: Any] = ["alg": "ES256", "typ": "JWT", "kid": keyID]
        let claims: [String: Any] = [
            "iss": RegistryProcess.issuer, "sub": subject, "aud": RegistryProcess.service, "exp": now + 600,
            "nbf": now - 60, "iat": now, "jti": UUID().uuidString, "access": access,
        ]
        let input =
            Self.base64URL(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) + "."
            + Self.base64URL(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signature = try P256.Signing.PrivateKey(rawRepresentation: keyBytes).signature(for: Data(input.utf8))
        return input + "." + Self.base64URL(signature.rawRepresentation)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Answers `GET /token?service=...&scope=...`, checking basic credentials when they are sent.
    func answer(_ request: Request) throws -> Response {
        requests.update { $0 += 1 }
        var subject = ""
        if let authorization = request.headers[.authorization] {
            guard authorization.hasPrefix("Basic "),
                let decoded = Data(base64Encoded: String(authorization.dropFirst(6))),
                let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":"),
                users[String(pair[..<colon])] == String(pair[pair.index(after: colon)...])
            else {
                return Response(
                    status: .unauthorized, headers: [.contentType: "application/json"],
                    body: ResponseBody(
                        byteBuffer: ByteBuffer(
                            string: #"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#)))
            }
            subject = String(pair[..<colon])
        }
        let token = try token(subject: subject, scopes: request.uri.queryParameters.getAll("scope").map { String($0) })
        let body = #"{"token":"\#(token)","access_token":"\#(token)","expires_in":600}"#
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Runs the token server on a loopback port for the duration of `body`, which gets the realm's URL.
    func serve<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/token") { request, _ in try self.answer(request) }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "token-server") { _ in SwiftLogNoOpLogHandler() })
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.run()
                return nil
            }
            var port = 0
            for await announced in ports {
                port = announced
                break
            }
            let result = try await body("http://127.0.0.1:\(port)/token")
            group.cancelAll()
            return result
        }
    }
}

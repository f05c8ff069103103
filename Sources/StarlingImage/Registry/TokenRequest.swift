import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import StarlingModel

/// Asks a bearer-token realm for a pull token (Docker's token authentication): `GET realm?service=...&scope=
/// repository:<path>:pull` with basic auth when there are credentials, or the OAuth refresh-token grant (`POST`)
/// when there is an identity token.
struct TokenRequest {
    var challenge: AuthenticationChallenge
    var repository: String
    var credentials: RegistryCredentials?

    private struct Answer: Decodable {
        var token: String?
        var accessToken: String?

        enum CodingKeys: String, CodingKey {
            case token
            case accessToken = "access_token"
        }
    }

    func fetch(with client: HTTPClient, skipsVerification: Bool) async throws -> String {
        guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else {
            throw StarlingError.unavailable("the registry's bearer challenge names no realm")
        }
        let scope = "repository:\(repository):pull"
        let service = challenge.parameters["service"]
        var request: HTTPClientRequest
        if let refreshToken = credentials?.identityToken {
            request = HTTPClientRequest(url: realm)
            request.method = .POST
            var form = URLComponents()
            form.queryItems =
                [
                    URLQueryItem(name: "grant_type", value: "refresh_token"),
                    URLQueryItem(name: "refresh_token", value: refreshToken),
                    URLQueryItem(name: "scope", value: scope), URLQueryItem(name: "client_id", value: "starling"),
                ] + (service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form.percentEncodedQuery ?? ""))
        } else {
            var items = components.queryItems ?? []
            if let service { items.append(URLQueryItem(name: "service", value: service)) }
            items.append(URLQueryItem(name: "scope", value: scope))
            if let username = credentials?.username { items.append(URLQueryItem(name: "account", value: username)) }
            components.queryItems = items
            request = HTTPClientRequest(url: components.string ?? realm)
            if let basic = credentials?.basicAuthorization { request.headers.add(name: "Authorization", value: basic) }
        }
        if skipsVerification, request.url.hasPrefix("https:") {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            request.tlsConfiguration = tls
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .ok else {
            let entry = (try? JSONDecoder().decode(RegistryErrorBody.self, from: Data(body)))?.errors.first
            let reason =
                entry.map(RegistryErrorBody.describe) ?? "\(response.status.code) \(response.status.reasonPhrase)"
            throw StarlingError(.permissionDenied, "Get \"\(realm)\": unauthorized: \(reason)")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body)),
            let token = answer.token ?? answer.accessToken, !token.isEmpty
        else { throw StarlingError.unavailable("the token realm \(realm) answered without a token") }
        return token
    }
}

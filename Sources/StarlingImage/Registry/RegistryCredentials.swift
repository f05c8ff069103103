import Foundation
import StarlingModel

/// Credentials for one registry, as Docker's `AuthConfig` carries them: a user name and password, or an identity
/// token (an OAuth refresh token from `docker login`), or a ready bearer token for the registry.
public struct RegistryCredentials: Hashable, Sendable {
    public var username: String?
    public var password: String?
    /// Optional: the registry these are for (`https://index.docker.io/v1/`, `localhost:5000`).
    public var serverAddress: String?
    /// Optional: an OAuth refresh token, exchanged at the token realm.
    public var identityToken: String?
    /// Optional: a bearer token sent to the registry as is.
    public var registryToken: String?

    public init(
        username: String? = nil, password: String? = nil, serverAddress: String? = nil, identityToken: String? = nil,
        registryToken: String? = nil
    ) {
        self.username = username
        self.password = password
        self.serverAddress = serverAddress
        self.identityToken = identityToken
        self.registryToken = registryToken
    }

    /// Decodes an `X-Registry-Auth` header: base64url (the docker CLI's encoding; standard base64 and missing
    /// padding are accepted too) of the JSON `{"username", "password", "auth", "serveraddress", "identitytoken",
    /// "registrytoken"}`, keys in any case as Go reads them. An empty header or `{}` means no credentials (nil).
    /// Anything else malformed is dockerd's `invalid X-Registry-Auth header` (invalidArgument).
    public init?(xRegistryAuth header: String) throws(StarlingError) {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        guard let data = Self.decodeBase64(text),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw .invalidArgument("invalid X-Registry-Auth header: malformed base64 JSON") }
        var fields: [String: String] = [:]
        for (key, value) in object {
            if let value = value as? String, !value.isEmpty { fields[key.lowercased()] = value }
        }
        if let auth = fields["auth"], let decoded = Self.decodeBase64(auth),
            let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            fields["username"] = fields["username"] ?? String(pair[..<colon])
            fields["password"] = fields["password"] ?? String(pair[pair.index(after: colon)...])
        }
        let credentials = RegistryCredentials(
            username: fields["username"], password: fields["password"], serverAddress: fields["serveraddress"],
            identityToken: fields["identitytoken"], registryToken: fields["registrytoken"])
        guard !credentials.isEmpty else { return nil }
        self = credentials
    }

    /// True when there is nothing to authenticate with.
    public var isEmpty: Bool {
        username == nil && password == nil && identityToken == nil && registryToken == nil
    }

    /// The `Authorization: Basic` value, when there is a user name.
    var basicAuthorization: String? {
        guard let username else { return nil }
        return "Basic " + Data("\(username):\(password ?? "")".utf8).base64EncodedString()
    }

    /// The header value the docker CLI sends for these credentials (base64url JSON).
    public var xRegistryAuth: String {
        var object: [String: String] = [:]
        object["username"] = username
        object["password"] = password
        object["serveraddress"] = serverAddress
        object["identitytoken"] = identityToken
        object["registrytoken"] = registryToken
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }

    static func decodeBase64(_ text: String) -> Data? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard)
    }
}

/// One `WWW-Authenticate` challenge: `Bearer realm="https://auth.example/token",service="registry",scope="..."`
/// or `Basic realm="Registry"`.
public struct AuthenticationChallenge: Hashable, Sendable {
    /// Lower case: `bearer`, `basic`.
    public var scheme: String
    /// Lower-case parameter names to values (`realm`, `service`, `scope`).
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses one header value; nil when it has no scheme.
    public init?(header: String) {
        let text = header.trimmingCharacters(in: .whitespaces)
        let schemeEnd = text.firstIndex(of: " ") ?? text.endIndex
        guard schemeEnd != text.startIndex else { return nil }
        scheme = text[..<schemeEnd].lowercased()
        parameters = Self.parameters(text[schemeEnd...])
    }

    /// `key=value` or `key="quoted \"value\""` pairs separated by commas.
    private static func parameters(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var index = text.startIndex
        func skip(_ characters: Set<Character>) {
            while index < text.endIndex, characters.contains(text[index]) { index = text.index(after: index) }
        }
        while index < text.endIndex {
            skip([" ", ","])
            let keyStart = index
            while index < text.endIndex, text[index] != "=", text[index] != "," { index = text.index(after: index) }
            let key = text[keyStart..<index].trimmingCharacters(in: .whitespaces).lowercased()
            guard index < text.endIndex, text[index] == "=" else { continue }
            index = text.index(after: index)
            var value = ""
            if index < text.endIndex, text[index] == "\"" {
                index = text.index(after: index)
                while index < text.endIndex, text[index] != "\"" {
                    if text[index] == "\\", text.index(after: index) < text.endIndex {
                        index = text.index(after: index)
                    }
                    value.append(text[index])
                    index = text.index(after: index)
                }
                if index < text.endIndex { index = text.index(after: index) }
            } else {
                while index < text.endIndex, text[index] != "," {
                    value.append(text[index])
                    index = text.index(after: index)
                }
                value = value.trimmingCharacters(in: .whitespaces)
            }
            if !key.isEmpty { result[key] = value }
        }
        return result
    }
}

/// What a `RegistryClient` remembers between requests: each registry's endpoint and the bearer tokens it was
/// given, per repository and user (a token obtained with credentials is never used for an anonymous pull).
actor RegistrySessions {
    struct TokenKey: Hashable {
        var domain: String
        var repository: String
        var username: String
    }

    private var endpoints: [String: RegistryEndpoint] = [:]
    private var tokens: [TokenKey: String] = [:]

    func endpoint(for domain: String) -> RegistryEndpoint? { endpoints[domain] }

    /// Records an endpoint; a refused token is forgotten so that the next request asks for a new one.
    func update(_ endpoint: RegistryEndpoint, for domain: String, droppingTokensOf repository: String?) {
        endpoints[domain] = endpoint
        if let repository {
            tokens = tokens.filter { !($0.key.domain == domain && $0.key.repository == repository) }
        }
    }

    func token(for key: TokenKey) -> String? { tokens[key] }

    func store(_ token: String, for key: TokenKey) { tokens[key] = token }
}

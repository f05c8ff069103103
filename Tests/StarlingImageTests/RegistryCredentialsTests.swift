import Foundation
import StarlingImage
import StarlingModel
import Testing

@Suite("Registry credentials, challenges and configuration")
struct RegistryCredentialsTests {
    static func base64URL(_ json: String, padded: Bool = true) -> String {
        var text = Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        if !padded { text = text.replacingOccurrences(of: "=", with: "") }
        return text
    }

    @Test func decodesTheDockerCLIsHeader() throws {
        // The docker CLI sends base64url JSON; a password with `?>` exercises the URL alphabet.
        let header = Self.base64URL(#"{"username":"alice","password":"s3cr?t>>","serveraddress":"localhost:5000"}"#)
        let credentials = try #require(try RegistryCredentials(xRegistryAuth: header))
        #expect(credentials.username == "alice")
        #expect(credentials.password == "s3cr?t>>")
        #expect(credentials.serverAddress == "localhost:5000")
        let unpadded = try RegistryCredentials(
            xRegistryAuth: Self.base64URL(#"{"Username":"bob","Password":"pw"}"#, padded: false))
        #expect(unpadded?.username == "bob" && unpadded?.password == "pw")
        // The round trip through our own encoding.
        #expect(try RegistryCredentials(xRegistryAuth: credentials.xRegistryAuth) == credentials)
    }

    @Test func readsTheAuthFieldAndTokens() throws {
        let auth = Data("carol:pa:ss".utf8).base64EncodedString()
        let fromAuth = try RegistryCredentials(xRegistryAuth: Self.base64URL(#"{"auth":"\#(auth)"}"#))
        #expect(fromAuth?.username == "carol" && fromAuth?.password == "pa:ss")
        let tokens = try RegistryCredentials(
            xRegistryAuth: Self.base64URL(#"{"identitytoken":"refresh","registrytoken":"bearer"}"#))
        #expect(tokens?.identityToken == "refresh" && tokens?.registryToken == "bearer")
    }

    @Test func emptyHeadersMeanAnonymous() throws {
        #expect(try RegistryCredentials(xRegistryAuth: "") == nil)
        #expect(try RegistryCredentials(xRegistryAuth: Self.base64URL("{}")) == nil)
        #expect(try RegistryCredentials(xRegistryAuth: Self.base64URL(#"{"username":"","password":""}"#)) == nil)
        #expect(throws: StarlingError.invalidArgument("invalid X-Registry-Auth header: malformed base64 JSON")) {
            try RegistryCredentials(xRegistryAuth: "not base64 at all!")
        }
        #expect(throws: StarlingError.self) { try RegistryCredentials(xRegistryAuth: Self.base64URL("[1,2]")) }
    }

    @Test func parsesChallenges() throws {
        let bearer = try #require(
            AuthenticationChallenge(
                header:
                    #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#
            ))
        #expect(bearer.scheme == "bearer")
        #expect(bearer.parameters["realm"] == "https://auth.docker.io/token")
        #expect(bearer.parameters["service"] == "registry.docker.io")
        #expect(bearer.parameters["scope"] == "repository:library/busybox:pull")
        let basic = try #require(AuthenticationChallenge(header: #"Basic realm="Registry Realm""#))
        #expect(basic.scheme == "basic" && basic.parameters["realm"] == "Registry Realm")
        let loose = try #require(
            AuthenticationChallenge(header: #"Bearer realm=http://x/token, service = reg ,error="a\"b""#))
        #expect(loose.parameters["realm"] == "http://x/token")
        #expect(loose.parameters["service"] == "reg")
        #expect(loose.parameters["error"] == #"a"b"#)
        #expect(AuthenticationChallenge(header: "") == nil)
    }

    @Test func insecureRegistriesAreLoopbackAndListedOnes() {
        let defaults = RegistryConfiguration()
        #expect(defaults.isInsecure("localhost:5000"))
        #expect(defaults.isInsecure("127.0.0.1:5000"))
        #expect(defaults.isInsecure("127.8.9.10"))
        #expect(defaults.isInsecure("[::1]:5000"))
        #expect(!defaults.isInsecure("docker.io"))
        #expect(!defaults.isInsecure("10.0.0.5:5000"))
        let configured = RegistryConfiguration(insecureRegistries: ["registry.lan:5000", "10.0.0.0/8", "plain.example"])
        #expect(configured.isInsecure("registry.lan:5000"))
        #expect(!configured.isInsecure("registry.lan:6000"))
        #expect(configured.isInsecure("10.1.2.3:5000"))
        #expect(!configured.isInsecure("11.1.2.3:5000"))
        #expect(configured.isInsecure("plain.example:443"))
        #expect(RegistryConfiguration.apiHost(for: "docker.io") == "registry-1.docker.io")
        #expect(RegistryConfiguration.apiHost(for: "ghcr.io") == "ghcr.io")
    }
}

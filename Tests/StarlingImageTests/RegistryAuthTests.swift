import Foundation
import StarlingImage
import StarlingModel
import Testing

/// Pulls from registries that want credentials: basic auth (htpasswd) and bearer tokens from a realm.
@Suite(
    "Registry authentication",
    .enabled(
        if: RegistryProcess.canRunIntegration,
        "needs root and the Debian packages docker-registry, skopeo and busybox-static (see scripts/test.sh)"),
    .timeLimit(.minutes(3)))
struct RegistryAuthTests {
    static let user = "starling"
    static let password = "registry-secret"
    /// bcrypt of `registry-secret` (cost 4), as `htpasswd -B` writes it.
    static let htpasswd = "starling:$2b$04$H28RwgI61I6PENIOAXUQue0HZWf/KJ8donAQe9LDR4U5NNI4ZcHV6"

    /// Credentials as the docker CLI sends them to the daemon.
    static func header(user: String, password: String, server: String) -> String {
        RegistryCredentials(username: user, password: password, serverAddress: server).xRegistryAuth
    }

    @Test func basicAuthWithCredentialsFromTheDockerHeader() async throws {
        let world = try RegistryPullTests.World()
        let registry = try await RegistryProcess(
            scratch: world.scratch, name: "basic", auth: .htpasswd(Self.htpasswd), client: world.client)
        try registry.push(
            "docker-archive:" + world.busyboxArchive(), to: "private/busybox:1",
            credentials: "\(Self.user):\(Self.password)")
        let reference = "\(registry.host)/private/busybox:1"
        let denied =
            "pull access denied for \(registry.host)/private/busybox, repository does not exist or may require "
            + "'docker login': unauthorized: authentication required"
        await #expect(throws: StarlingError(.permissionDenied, denied)) { try await world.puller().pull(reference) }
        let wrong = try RegistryCredentials(
            xRegistryAuth: Self.header(user: Self.user, password: "wrong", server: registry.host))
        await #expect(throws: StarlingError(.permissionDenied, denied)) {
            try await world.puller().pull(reference, credentials: wrong)
        }
        let right = try RegistryCredentials(
            xRegistryAuth: Self.header(user: Self.user, password: Self.password, server: registry.host))
        let result = try await world.puller().pull(reference, credentials: right)
        #expect(result.record.layers.count == 2)
        #expect(try await RegistryPullTests.run(result.record, in: world, ["/bin/busybox", "true"]) == "")
        try await world.shutdown()
    }

    @Test func bearerTokensFromTheRegistrysRealm() async throws {
        let world = try RegistryPullTests.World()
        let issuer = try TokenIssuer(users: [Self.user: Self.password])
        try await issuer.serve { realm in
            let registry = try await RegistryProcess(
                scratch: world.scratch, name: "token",
                auth: .token(realm: realm, certificatePEM: issuer.certificatePEM),
                client: world.client)
            try registry.push(
                "docker-archive:" + world.busyboxArchive(), to: "team/busybox:1",
                credentials: "\(Self.user):\(Self.password)")
            let reference = "\(registry.host)/team/busybox:1"
            // Anonymous: the realm hands out a token without access, and the registry refuses it.
            let anonymous = world.puller()
            await #expect(throws: StarlingError.self) { try await anonymous.pull(reference) }
            do {
                _ = try await anonymous.pull(reference)
            } catch let error as StarlingError {
                #expect(error.code == .permissionDenied)
                #expect(error.message.hasPrefix("pull access denied for \(registry.host)/team/busybox"))
            }
            // Bad credentials: the realm itself refuses.
            let wrong = RegistryCredentials(username: Self.user, password: "nope")
            await #expect(throws: StarlingError.self) { try await world.puller().pull(reference, credentials: wrong) }
            // Good credentials: one token per repository, reused for the manifest, config and layers.
            let before = issuer.requests.value
            let right = RegistryCredentials(username: Self.user, password: Self.password)
            let puller = world.puller()
            let result = try await puller.pull(reference, credentials: right)
            #expect(issuer.requests.value - before == 1)
            #expect(try await RegistryPullTests.run(result.record, in: world, ["/bin/busybox", "true"]) == "")
            _ = try await puller.pull(reference, credentials: right)
            #expect(issuer.requests.value - before == 1)
        }
        try await world.shutdown()
    }
}

import StarlingModel
import Testing

@Suite("Image references: Docker's grammar and normalisation")
struct ImageNameTests {
    static let sha = "sha256:" + String(repeating: "ab", count: 32)

    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("prom/prometheus", "docker.io/prom/prometheus:latest", "prom/prometheus:latest"),
        ("docker.io/library/redis:7-alpine", "docker.io/library/redis:7-alpine", "redis:7-alpine"),
        ("index.docker.io/library/redis", "docker.io/library/redis:latest", "redis:latest"),
        ("docker.io/redis", "docker.io/library/redis:latest", "redis:latest"),
        ("localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x:latest"),
        ("localhost/x:v1", "localhost/x:v1", "localhost/x:v1"),
        ("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.0"),
        ("ghcr.io/a/b/c:latest", "ghcr.io/a/b/c:latest", "ghcr.io/a/b/c:latest"),
        ("[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest"),
        (
            "my-registry.example.com:443/a__b/c.d-e", "my-registry.example.com:443/a__b/c.d-e:latest",
            "my-registry.example.com:443/a__b/c.d-e:latest"
        ),
    ])
    func normalises(_ input: String, _ full: String, _ familiar: String) throws {
        let name = try ImageName.parseDockerReference(input)
        #expect(name.description == full)
        #expect(name.familiarString == familiar)
    }

    @Test func digestsWinOverTags() throws {
        let pinned = try ImageName.parseDockerReference("localhost:5000/x:1@\(Self.sha)")
        #expect(pinned.tag == nil)
        #expect(pinned.digest?.description == Self.sha)
        #expect(pinned.description == "localhost:5000/x@\(Self.sha)")
        let parsed = try ImageName(parsing: "busybox:1@\(Self.sha)")
        #expect(parsed.tag == "1")
        #expect(parsed.familiarString == "busybox:1@\(Self.sha)")
        #expect(parsed.familiarName == "busybox")
        #expect(parsed.repository == "docker.io/library/busybox")
    }

    @Test func bareNamesStayBare() throws {
        let name = try ImageName(parsing: "busybox")
        #expect(name.tag == nil && name.digest == nil)
        #expect(name.description == "docker.io/library/busybox")
        #expect(try ImageName(parsing: "library/busybox").familiarName == "busybox")
        #expect(try ImageName(parsing: "library/a/b").familiarName == "library/a/b")
    }

    @Test(arguments: [
        ("", "invalid reference format"),
        ("Busybox", "invalid reference format: repository name must be lowercase"),
        ("localhost:5000/Foo", "invalid reference format: repository name must be lowercase"),
        ("busybox:", "invalid reference format"),
        ("busybox:-tag", "invalid reference format"),
        ("busy box", "invalid reference format"),
        ("a//b", "invalid reference format"),
        ("-a/b", "invalid reference format"),
        ("a..b", "invalid reference format"),
        ("host:port/x", "invalid reference format"),
        ("busybox@sha256:abc", "invalid reference format"),
        ("busybox@sha256:" + String(repeating: "a", count: 63), "invalid checksum digest length"),
        ("busybox@md5:" + String(repeating: "a", count: 64), "unsupported digest algorithm"),
        ("busybox@sha256:" + String(repeating: "A", count: 64), "invalid checksum digest format"),
        (
            String(repeating: "ab", count: 32),
            "invalid repository name (\(String(repeating: "ab", count: 32))), cannot specify 64-byte hexadecimal strings"
        ),
        ("a/" + String(repeating: "b", count: 250), "repository name must not be more than 255 characters"),
        ("busybox:" + String(repeating: "t", count: 129), "invalid reference format"),
    ])
    func refusesWithDockersWords(_ input: String, _ message: String) {
        #expect(throws: StarlingError.invalidArgument(message)) { try ImageName(parsing: input) }
    }

    @Test func contentDigests() throws {
        let digest = try ContentDigest(parsing: Self.sha)
        #expect(digest.algorithm == "sha256")
        #expect(digest.encoded == String(repeating: "ab", count: 32))
        #expect(throws: StarlingError.invalidArgument("invalid checksum digest format")) {
            try ContentDigest(parsing: "sha256")
        }
        #expect(throws: StarlingError.invalidArgument("invalid checksum digest format")) {
            try ContentDigest(parsing: ":abc")
        }
    }
}

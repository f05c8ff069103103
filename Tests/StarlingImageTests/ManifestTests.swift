import StarlingImage
import StarlingModel
import Testing

@Suite("Manifests, indexes, image configs and platform choice")
struct ManifestTests {
    static func digest(_ seed: String) -> String { ContentDigest.sha256(of: Array(seed.utf8)).description }

    static let dockerManifest = """
        {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
                    "digest": "\(digest("config"))"},
         "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2592,
                     "digest": "\(digest("layer"))"}]}
        """

    static let manifestList = """
        {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
         "manifests": [
          {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
           "digest": "\(digest("arm"))", "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
          {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
           "digest": "\(digest("amd64"))", "platform": {"architecture": "amd64", "os": "linux"}},
          {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
           "digest": "\(digest("arm64"))", "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]}
        """

    /// OCI makes `mediaType` optional: the shape decides.
    static let ociIndexWithoutMediaType = """
        {"schemaVersion": 2, "manifests": [
          {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1, "digest": "\(digest("a"))",
           "platform": {"architecture": "amd64", "os": "linux"},
           "annotations": {"org.opencontainers.image.ref.name": "1.0"}},
          {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1, "digest": "\(digest("att"))",
           "platform": {"architecture": "unknown", "os": "unknown"}}]}
        """

    @Test func decodesDockerManifest() throws {
        let document = try ManifestDocument(decoding: Array(Self.dockerManifest.utf8))
        guard case .manifest(let manifest) = document else {
            Issue.record("expected a manifest")
            return
        }
        #expect(manifest.config.digest.description == Self.digest("config"))
        #expect(manifest.layers.map(\.mediaType) == [MediaType.dockerLayerGzip])
        #expect(manifest.layers[0].size == 2592)
    }

    @Test func decodesIndexesByMediaTypeOrShape() throws {
        guard case .index(let list) = try ManifestDocument(decoding: Array(Self.manifestList.utf8)) else {
            Issue.record("expected a manifest list")
            return
        }
        #expect(list.manifests.count == 3)
        let oci = try ManifestDocument(
            decoding: Array(Self.ociIndexWithoutMediaType.utf8), contentType: "application/json; charset=utf-8")
        guard case .index(let index) = oci else {
            Issue.record("expected an index")
            return
        }
        #expect(index.manifests[0].annotations?["org.opencontainers.image.ref.name"] == "1.0")
        // The Content-Type wins over the shape when it names a known type.
        let typed = try ManifestDocument(
            decoding: Array(Self.dockerManifest.utf8), contentType: MediaType.dockerManifest)
        if case .index = typed { Issue.record("a manifest decoded as an index") }
    }

    @Test func refusesSchema1AndGarbage() {
        let schema1 = #"{"schemaVersion": 1, "name": "x", "tag": "latest", "fsLayers": []}"#
        #expect(
            throws: StarlingError.invalidArgument(
                "unsupported manifest format: Docker Image manifest version 2, schema 1 is no longer supported")
        ) { try ManifestDocument(decoding: Array(schema1.utf8)) }
        #expect(throws: StarlingError.self) { try ManifestDocument(decoding: Array("not json".utf8)) }
    }

    @Test func choosesThisPlatformFromAList() throws {
        guard case .index(let list) = try ManifestDocument(decoding: Array(Self.manifestList.utf8)) else { return }
        let amd64 = PlatformMatcher(ImagePlatform(os: "linux", architecture: "x86_64"))
        #expect(amd64.select(from: list.manifests)?.digest.description == Self.digest("amd64"))
        // arm64 matches `arm64/v8` (v8 is arm64's default variant).
        let arm64 = PlatformMatcher(ImagePlatform(os: "linux", architecture: "aarch64"))
        #expect(arm64.select(from: list.manifests)?.digest.description == Self.digest("arm64"))
        let windows = PlatformMatcher(ImagePlatform(os: "windows", architecture: "amd64"))
        #expect(windows.select(from: list.manifests) == nil)
    }

    @Test func fallsBackToCompatiblePlatformsInContainerdsOrder() throws {
        func descriptor(_ platform: String) throws -> Descriptor {
            Descriptor(
                mediaType: MediaType.ociManifest, digest: try ContentDigest(parsing: Self.digest(platform)), size: 1,
                platform: try ImagePlatform(parsing: platform))
        }
        let only386AndArm = try ["linux/386", "linux/arm/v5", "linux/arm/v6"].map(descriptor)
        let amd64 = PlatformMatcher(ImagePlatform(os: "linux", architecture: "amd64"))
        #expect(amd64.select(from: only386AndArm)?.platform?.architecture == "386")
        let arm64 = PlatformMatcher(ImagePlatform(os: "linux", architecture: "arm64"))
        #expect(arm64.select(from: only386AndArm)?.platform?.variant == "v6")
        let armV7 = PlatformMatcher(ImagePlatform(os: "linux", architecture: "arm"))
        #expect(armV7.candidates.map(\.description) == ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"])
        #expect(armV7.select(from: only386AndArm)?.platform?.variant == "v6")
        let armV5 = PlatformMatcher(ImagePlatform(os: "linux", architecture: "arm", variant: "v5"))
        #expect(armV5.matches(ImagePlatform(os: "linux", architecture: "arm", variant: "v6")) == false)
        let amd64v3 = PlatformMatcher(ImagePlatform(os: "linux", architecture: "amd64", variant: "v3"))
        #expect(
            amd64v3.candidates.map(\.description) == ["linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"])
    }

    @Test func normalisesPlatformNames() throws {
        #expect(ImagePlatform(os: "Linux", architecture: "x86_64").normalized.description == "linux/amd64")
        #expect(
            ImagePlatform(os: "linux", architecture: "aarch64", variant: "v8").normalized.description == "linux/arm64")
        #expect(ImagePlatform(os: "linux", architecture: "armhf").normalized.description == "linux/arm/v7")
        #expect(ImagePlatform(os: "linux", architecture: "armel").normalized.description == "linux/arm/v6")
        #expect(ImagePlatform(os: "linux", architecture: "i386").normalized.description == "linux/386")
        #expect(try ImagePlatform(parsing: "linux/arm64/v8").description == "linux/arm64")
        #expect(throws: StarlingError.self) { try ImagePlatform(parsing: "linux") }
        #expect(ImagePlatform.host().os == "linux")
    }

    @Test func decodesImageConfig() throws {
        let json = """
            {"architecture": "amd64", "os": "linux", "created": "2023-05-19T20:19:23.1Z",
             "config": {"User": "nobody", "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
                        "Env": ["PATH=/usr/bin", "A=b"], "Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx"],
                        "WorkingDir": "/srv", "Labels": {"maintainer": "x"}, "StopSignal": "SIGQUIT",
                        "Volumes": {"/data": {}},
                        "Healthcheck": {"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 5000000000,
                                        "Timeout": 3000000000, "StartPeriod": 1000000000, "Retries": 4},
                        "OnBuild": null},
             "rootfs": {"type": "layers", "diff_ids": ["\(Self.digest("d1"))", "\(Self.digest("d2"))"]},
             "history": [{"created_by": "ADD rootfs", "empty_layer": false}, {"created_by": "CMD", "empty_layer": true}]}
            """
        let config = try ImageConfig.decode(Array(json.utf8))
        let defaults = try #require(config.config)
        #expect(defaults.user == "nobody")
        #expect(defaults.exposedPorts == ["53/udp", "80/tcp"])
        #expect(defaults.env == ["PATH=/usr/bin", "A=b"])
        #expect(defaults.entrypoint == ["/docker-entrypoint.sh"])
        #expect(defaults.cmd == ["nginx"])
        #expect(defaults.workingDir == "/srv")
        #expect(defaults.labels == ["maintainer": "x"])
        #expect(defaults.stopSignal == "SIGQUIT")
        #expect(defaults.volumes == ["/data"])
        #expect(defaults.healthcheck?.test == ["CMD-SHELL", "curl -f localhost"])
        #expect(defaults.healthcheck?.interval == 5_000_000_000)
        #expect(defaults.healthcheck?.retries == 4)
        #expect(config.rootfs.diffIDs.map(\.description) == [Self.digest("d1"), Self.digest("d2")])
        #expect(config.history?.last?.emptyLayer == true)
        #expect(config.platform.description == "linux/amd64")
        // Encoding gives Docker's shapes back ({"80/tcp": {}}).
        let again = try ImageConfig.decode(TestImages.encode(config))
        #expect(again == config)
    }

    @Test func decodesMinimalConfig() throws {
        let config = try ImageConfig.decode(
            Array(#"{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8))
        #expect(config.config == nil)
        #expect(config.rootfs.diffIDs.isEmpty)
    }
}

import AsyncHTTPClient
import Foundation
import StarlingImage
import StarlingModel
import Testing

/// Pulls from a real registry (Debian's `docker-registry`) that the test fills with skopeo from archives it built,
/// then unpacks the image and runs busybox in it.
@Suite(
    "Pulling from a real registry",
    .enabled(
        if: RegistryProcess.canRunIntegration,
        "needs root and the Debian packages docker-registry, skopeo and busybox-static (see scripts/test.sh)"),
    .timeLimit(.minutes(3)))
struct RegistryPullTests {
    /// One test's world: a scratch directory, an HTTP client, an image store.
    final class World: Sendable {
        let scratch: Scratch
        let client: HTTPClient
        let store: ImageStore

        init() throws {
            scratch = try Scratch()
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: RegistryClient.httpConfiguration)
            store = try ImageStore(root: scratch.path + "/store")
        }

        func puller(_ configuration: RegistryConfiguration = .init()) -> ImagePuller {
            ImagePuller(store: store, registry: RegistryClient(httpClient: client, configuration: configuration))
        }

        /// The busybox image as a `docker save` archive on disk.
        func busyboxArchive() throws -> String {
            try scratch.file(
                "busybox.tar",
                try TestImages.dockerSaveArchive(
                    layers: [try TestImages.busyboxLayer(), TestImages.changeLayer()], tags: ["busybox:test"]))
        }

        func shutdown() async throws { try await client.shutdown() }
    }

    /// Mounts the image's root file system and runs `command` in it with chroot.
    static func run(_ record: ImageRecord, in world: World, _ command: [String]) async throws -> String {
        let layers = try await world.store.layerDirectories(for: record)
        let mount = OverlayMount(
            layers: layers, containerDirectory: world.scratch.path + "/container-" + UUID().uuidString)
        try mount.mount()
        defer { try? mount.unmount() }
        let chroot = try #require(Scratch.which("chroot"))
        return String(decoding: try Scratch.run(chroot, [mount.target] + command), as: UTF8.self)
    }

    @Test func pullsUnpacksAndRunsBusybox() async throws {
        let world = try World()
        let registry = try await RegistryProcess(scratch: world.scratch, name: "registry", client: world.client)
        try registry.push("docker-archive:" + world.busyboxArchive(), to: "starling/busybox:1")

        let events = Shared<[PullEvent]>([])
        let result = try await world.puller().pull("\(registry.host)/starling/busybox:1") { event in
            events.update { $0.append(event) }
        }
        #expect(result.isNew)
        #expect(result.name.description == "\(registry.host)/starling/busybox:1")
        // skopeo compressed the layers on the way in; the diff IDs are those of the tars we built.
        #expect(result.record.layers.map(\.mediaType) == [MediaType.dockerLayerGzip, MediaType.dockerLayerGzip])
        #expect(
            result.record.diffIDs == [try TestImages.busyboxLayer(), TestImages.changeLayer()].map { .sha256(of: $0) })
        let log = events.value
        #expect(log.first == .resolving(result.name))
        #expect(log.contains(.digest(result.record.target.digest)))
        #expect(log.last == .status("Downloaded newer image for \(registry.host)/starling/busybox:1"))
        #expect(log.filter { if case .layerDownloaded = $0 { true } else { false } }.count == 2)

        // Found by its name and by the digest the registry served.
        let byDigest = "\(registry.host)/starling/busybox@\(result.record.target.digest)"
        #expect(try await world.store.image(byDigest).id == result.record.id)
        #expect(await world.store.images().first?.repoDigests == [byDigest])
        let config = try world.store.config(of: result.record)
        #expect(config.config?.env == ["PATH=/bin", "GREETING=hello"])
        #expect(config.config?.healthcheck?.test == ["CMD", "true"])

        // Run it: busybox true, the second layer's file, and its whiteout.
        #expect(try await Self.run(result.record, in: world, ["/bin/busybox", "true"]) == "")
        #expect(try await Self.run(result.record, in: world, ["/bin/cat", "/etc/motd"]) == "hello from layer two\n")
        #expect(
            try await Self.run(result.record, in: world, ["/bin/sh", "-c", "test ! -e /etc/hostname && ls /tmp"])
                == "fresh\n")

        // A second pull changes nothing.
        let again = try await world.puller().pull("\(registry.host)/starling/busybox:1")
        #expect(!again.isNew)
        try await world.shutdown()
    }

    @Test func concurrentPullsDownloadEachBlobOnce() async throws {
        let world = try World()
        let registry = try await RegistryProcess(scratch: world.scratch, name: "registry", client: world.client)
        try registry.push("docker-archive:" + world.busyboxArchive(), to: "starling/busybox:1")
        let puller = world.puller(RegistryConfiguration(maxConcurrentDownloads: 1))
        let reference = "\(registry.host)/starling/busybox:1"
        async let first = puller.pull(reference)
        async let second = puller.pull(reference)
        async let third = puller.pull(reference)
        let results = try await [first, second, third]
        #expect(Set(results.map(\.record.id)).count == 1)
        for layer in results[0].record.layers + [results[0].record.config] {
            #expect(registry.blobResponses(layer.digest.description) == [200])
        }
        try await world.shutdown()
    }

    @Test func continuesAnInterruptedLayerWithRange() async throws {
        let world = try World()
        let registry = try await RegistryProcess(scratch: world.scratch, name: "registry", client: world.client)
        try registry.push("docker-archive:" + world.busyboxArchive(), to: "starling/busybox:1")
        let reference = "\(registry.host)/starling/busybox:1"
        // A first store gets the blobs; the second one starts with half of the big layer, as if a pull had broken.
        let complete = try await world.puller().pull(reference).record
        let big = try #require(complete.layers.max { $0.size < $1.size })
        let bytes = try world.store.readBlob(big.digest)
        let second = try ImageStore(root: world.scratch.path + "/second")
        let partial = world.scratch.path + "/second/ingest/\(big.digest.encoded).partial"
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: partial))
        let registryClient = RegistryClient(httpClient: world.client)
        let resumed = try await ImagePuller(store: second, registry: registryClient).pull(reference)
        #expect(resumed.record == complete)
        #expect(try second.readBlob(big.digest) == bytes)
        #expect(registry.blobResponses(big.digest.description) == [200, 206])

        // A partial file that is not a prefix of the blob fails the digest check and the blob is fetched whole.
        let third = try ImageStore(root: world.scratch.path + "/third")
        try Data(repeating: 0x5A, count: bytes.count / 3).write(
            to: URL(fileURLWithPath: world.scratch.path + "/third/ingest/\(big.digest.encoded).partial"))
        let retried = try await ImagePuller(store: third, registry: registryClient).pull(reference)
        #expect(try third.readBlob(big.digest) == bytes && retried.record == complete)
        #expect(registry.blobResponses(big.digest.description) == [200, 206, 206, 200])
        try await world.shutdown()
    }

    @Test func reportsMissingTagsAndRepositoriesInDockersWords() async throws {
        let world = try World()
        let registry = try await RegistryProcess(scratch: world.scratch, name: "registry", client: world.client)
        try registry.push("docker-archive:" + world.busyboxArchive(), to: "starling/busybox:1")
        let puller = world.puller()
        await #expect(
            throws: StarlingError.notFound(
                "manifest for \(registry.host)/starling/busybox:nope not found: manifest unknown: manifest unknown")
        ) { try await puller.pull("\(registry.host)/starling/busybox:nope") }
        // distribution 2.8 answers MANIFEST_UNKNOWN for a repository it does not have, and dockerd says so.
        await #expect(
            throws: StarlingError.notFound(
                "manifest for \(registry.host)/nothing/here:latest not found: manifest unknown: manifest unknown")
        ) { try await puller.pull("\(registry.host)/nothing/here") }
        let unreachable = RegistryProcess.freePort()
        await #expect(throws: StarlingError.self) { try await puller.pull("127.0.0.1:\(unreachable)/x") }
        // Registries that are not loopback or listed are never asked over plain HTTP.
        let strict = RegistryConfiguration()
        #expect(!strict.isInsecure("registry.example:5000"))
        try await world.shutdown()
    }

    @Test func pullsThisPlatformFromAnIndexByTagAndByDigest() async throws {
        let world = try World()
        let registry = try await RegistryProcess(scratch: world.scratch, name: "registry", client: world.client)
        let layers = [try TestImages.busyboxLayer()]
        let archive = try world.scratch.file("oci.tar", try TestImages.ociArchive(layers: layers, refName: "1.0"))
        try registry.push("oci-archive:\(archive):1.0", to: "starling/oci:1.0", all: true)
        let result = try await world.puller().pull("\(registry.host)/starling/oci:1.0")
        #expect(result.record.target.mediaType == MediaType.ociIndex)
        #expect(result.record.manifest.digest != result.record.target.digest)
        #expect(result.record.platform.normalized == ImagePlatform.host())
        #expect(result.record.diffIDs == layers.map { .sha256(of: $0) })
        #expect(try await Self.run(result.record, in: world, ["/bin/busybox", "echo", "oci"]) == "oci\n")

        // By the index's digest, into another store: the same image, named by digest only.
        let second = try ImageStore(root: world.scratch.path + "/second")
        let pinned = "\(registry.host)/starling/oci@\(result.record.target.digest)"
        let byDigest = try await ImagePuller(store: second, registry: RegistryClient(httpClient: world.client))
            .pull(pinned)
        #expect(byDigest.record == result.record)
        #expect(await second.images().map(\.repoDigests) == [[pinned]])
        #expect(await second.images().map(\.repoTags) == [[]])
        // Another platform's node picks the other manifest.
        guard case .index(let index) = try ManifestDocument(decoding: second.readBlob(result.record.target.digest))
        else {
            Issue.record("the pulled target is not an index")
            return
        }
        let other = try #require(
            index.manifests.first { $0.platform?.architecture != ImagePlatform.host().architecture })
        let foreign = try await ImagePuller(
            store: second, registry: RegistryClient(httpClient: world.client), platform: try #require(other.platform)
        ).pull(pinned)
        #expect(foreign.record.manifest.digest == other.digest)
        #expect(foreign.record.platform.architecture == other.platform?.architecture)
        try await world.shutdown()
    }

    @Test func loadsAndRunsADockerSaveArchive() async throws {
        let world = try World()
        let loaded = try await ArchiveLoader(store: world.store).load(archive: world.busyboxArchive())
        #expect(loaded.flatMap(\.messages) == ["Loaded image: busybox:test"])
        let record = try await world.store.image("busybox:test")
        #expect(try await Self.run(record, in: world, ["/bin/busybox", "true"]) == "")
        try await world.shutdown()
    }
}

import Foundation
import StarlingImage
import StarlingModel
import Testing

@Suite("Loading docker save and OCI layout archives")
struct ArchiveLoaderTests {
    static func smallLayers() -> [[UInt8]] {
        var base = TarWriter()
        base.directory("etc/")
        base.file("etc/hostname", "base\n")
        base.file("etc/os-release", "NAME=test\n")
        return [base.finished(), TestImages.changeLayer()]
    }

    @Test func loadsADockerSaveArchiveWithASharedLayer() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path + "/store")
        let layers = Self.smallLayers()
        let archive = try scratch.file(
            "save.tar",
            try TestImages.dockerSaveArchive(
                layers: layers, tags: ["busybox:test", "localhost:5000/bb:1"], secondImageTags: ["second:1"]))
        let loaded = try await ArchiveLoader(store: store).load(archive: archive)
        #expect(loaded.count == 2)
        #expect(loaded[0].messages == ["Loaded image: busybox:test", "Loaded image: localhost:5000/bb:1"])
        #expect(loaded[1].messages == ["Loaded image: second:1"])
        let record = try await store.image("busybox:test")
        #expect(record.layers.map(\.mediaType) == [MediaType.dockerLayer, MediaType.dockerLayer])
        #expect(record.diffIDs == layers.map { ContentDigest.sha256(of: $0) })
        // Uncompressed layers: the blob is the diff.
        #expect(record.layers.map(\.digest) == record.diffIDs)
        #expect(try await store.image("second:1").layers == record.layers)
        #expect(record.manifest.mediaType == MediaType.dockerManifest)
        guard case .manifest(let manifest) = try ManifestDocument(decoding: store.readBlob(record.manifest.digest))
        else {
            Issue.record("the synthesised manifest does not decode")
            return
        }
        #expect(manifest.config == record.config)
        #expect(try store.config(of: record).config?.env == ["PATH=/bin", "GREETING=hello"])
        // The work directory is gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/store/ingest").isEmpty)
    }

    @Test func loadsAGzipCompressedArchiveWithoutTags() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path + "/store")
        let archive = try scratch.file(
            "save.tar.gz", try TestImages.gzip(try TestImages.dockerSaveArchive(layers: Self.smallLayers(), tags: [])))
        let loaded = try await ArchiveLoader(store: store).load(archive: archive)
        #expect(loaded.map(\.messages) == [["Loaded image ID: \(loaded[0].record.id)"]])
        #expect(await store.images().first?.repoTags == [])
    }

    @Test(
        arguments: [
            (nil, "docker.io/library/app:v2", "app:v2"), ("localhost:5000/oci:1", nil, "localhost:5000/oci:1"),
            ("1.0", nil, nil),
        ] as [(String?, String?, String?)])
    func loadsAnOCILayout(_ refName: String?, _ imageName: String?, _ expected: String?) async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path + "/store")
        let layers = Self.smallLayers()
        let archive = try scratch.file(
            "oci.tar", try TestImages.ociArchive(layers: layers, refName: refName, imageName: imageName))
        let loaded = try await ArchiveLoader(store: store).load(archive: archive)
        #expect(loaded.count == 1)
        let record = try #require(loaded.first?.record)
        #expect(loaded[0].names.map(\.familiarString) == (expected.map { [$0] } ?? []))
        #expect(record.layers.map(\.mediaType) == [MediaType.ociLayerGzip, MediaType.ociLayerGzip])
        #expect(record.diffIDs == layers.map { ContentDigest.sha256(of: $0) })
        #expect(record.target.mediaType == MediaType.ociIndex)
        #expect(record.platform.os == "linux")
        if let expected { #expect(try await store.image(expected).id == record.id) }
    }

    @Test(.enabled(if: Scratch.isRoot, "unpacking whiteouts needs root"))
    func unpacksWhatItLoaded() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path + "/store")
        let archive = try scratch.file(
            "oci.tar", try TestImages.ociArchive(layers: Self.smallLayers(), refName: "localhost/x:1"))
        let record = try #require(try await ArchiveLoader(store: store).load(archive: archive).first?.record)
        let directories = try await store.layerDirectories(for: record)
        #expect(directories.count == 2)
        #expect(FileManager.default.contents(atPath: directories[0] + "/etc/hostname") == Data("base\n".utf8))
        #expect(FileManager.default.fileExists(atPath: directories[1] + "/etc/motd"))
    }

    @Test func refusesArchivesThatAreNotImages() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path + "/store")
        var tar = TarWriter()
        tar.file("hello.txt", "not an image")
        let archive = try scratch.file("other.tar", tar.finished())
        await #expect(
            throws: StarlingError.invalidArgument(
                "invalid archive: neither manifest.json (docker save) nor index.json (OCI layout) found")
        ) { try await ArchiveLoader(store: store).load(archive: archive) }
        var escaping = TarWriter()
        escaping.file("manifest.json", #"[{"Config":"../../etc/passwd","RepoTags":[],"Layers":[]}]"#)
        let evil = try scratch.file("evil.tar", escaping.finished())
        await #expect(throws: ArchiveError.unsafePath("../../etc/passwd")) {
            try await ArchiveLoader(store: store).load(archive: evil)
        }
    }
}

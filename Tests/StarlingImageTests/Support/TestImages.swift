import Foundation
import StarlingImage
import StarlingModel

/// Images built by the tests themselves: a busybox-static root file system, packed as layers, a `docker save`
/// archive and an OCI layout archive.
enum TestImages {
    static let busyboxPath = "/bin/busybox"

    /// Whether Debian's busybox-static is installed (a static binary runs in any root).
    static var hasStaticBusybox: Bool {
        guard let data = FileManager.default.contents(atPath: busyboxPath), data.count > 4 else { return false }
        // A static binary has no program interpreter; checking for the ld.so path is enough here.
        return data.range(of: Data("/lib64/ld-linux".utf8)) == nil && data.range(of: Data("/lib/ld-linux".utf8)) == nil
    }

    /// A layer with `/bin/busybox`, applet links and the usual directories.
    static func busyboxLayer() throws -> [UInt8] {
        let busybox = [UInt8](try Data(contentsOf: URL(fileURLWithPath: busyboxPath)))
        var tar = TarWriter()
        for directory in ["bin/", "etc/", "tmp/", "root/"] { tar.directory(directory) }
        tar.file("bin/busybox", busybox, mode: 0o755)
        for applet in ["sh", "true", "false", "ls", "cat", "echo", "env", "id", "test"] {
            tar.symlink("bin/" + applet, to: "busybox")
        }
        tar.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        tar.file("etc/hostname", "busybox-layer\n")
        return tar.finished()
    }

    /// A second layer that changes the first: a new file, a whiteout and an opaque directory.
    static func changeLayer() -> [UInt8] {
        var tar = TarWriter()
        tar.directory("etc/")
        tar.file("etc/motd", "hello from layer two\n")
        tar.file("etc/.wh.hostname", [])
        tar.directory("tmp/")
        tar.file("tmp/.wh..wh..opq", [])
        tar.file("tmp/fresh", "only this\n")
        return tar.finished()
    }

    /// gzip through the system tool (tests may use it; the product code does not).
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        try Scratch.run("/bin/gzip", ["-c", "-n"], input: bytes)
    }

    static func config(diffIDs: [ContentDigest], platform: ImagePlatform = .host()) throws -> [UInt8] {
        let defaults = ContainerDefaults(
            user: "0:0", exposedPorts: ["8080/tcp"], env: ["PATH=/bin", "GREETING=hello"], cmd: ["sh"],
            workingDir: "/", labels: ["org.example.test": "yes"], stopSignal: "SIGTERM",
            healthcheck: HealthConfig(test: ["CMD", "true"], interval: 1_000_000_000, retries: 2))
        let config = ImageConfig(
            platform: platform, config: defaults, diffIDs: diffIDs, created: "2024-01-02T03:04:05.123456789Z")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8](try encoder.encode(config))
    }

    /// A `docker save` archive in the legacy layout (`<id>/layer.tar`, `<id>/json`, `VERSION`, `repositories`,
    /// `manifest.json`); layers uncompressed as docker writes them. `shareLayer` adds a second image whose layer
    /// is a symbolic link to the first one's, as docker writes a shared layer.
    static func dockerSaveArchive(layers: [[UInt8]], tags: [String], secondImageTags: [String]? = nil) throws -> [UInt8]
    {
        let diffIDs = layers.map { ContentDigest.sha256(of: $0) }
        let config = try config(diffIDs: diffIDs)
        let configName = ContentDigest.sha256(of: config).encoded + ".json"
        var tar = TarWriter()
        var layerPaths: [String] = []
        for (index, layer) in layers.enumerated() {
            let id = ContentDigest.sha256(of: Array("layer\(index)".utf8)).encoded
            tar.directory(id + "/")
            tar.file(id + "/VERSION", "1.0")
            tar.file(id + "/json", "{\"id\":\"\(id)\"}")
            tar.file(id + "/layer.tar", layer)
            layerPaths.append(id + "/layer.tar")
        }
        tar.file(configName, config)
        var manifest: [[String: Any]] = [["Config": configName, "RepoTags": tags, "Layers": layerPaths]]
        if let secondImageTags {
            // The same layers under other v1 IDs, linked rather than copied; a different config (another Cmd).
            var secondConfig = try JSONSerialization.jsonObject(with: Data(config)) as? [String: Any] ?? [:]
            secondConfig["author"] = "second"
            let second = [UInt8](try JSONSerialization.data(withJSONObject: secondConfig, options: [.sortedKeys]))
            let secondName = ContentDigest.sha256(of: second).encoded + ".json"
            tar.file(secondName, second)
            var secondPaths: [String] = []
            for (index, path) in layerPaths.enumerated() {
                let id = ContentDigest.sha256(of: Array("second\(index)".utf8)).encoded
                tar.directory(id + "/")
                tar.symlink(id + "/layer.tar", to: "../" + path)
                secondPaths.append(id + "/layer.tar")
            }
            manifest.append(["Config": secondName, "RepoTags": secondImageTags, "Layers": secondPaths])
        }
        tar.file("manifest.json", [UInt8](try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])))
        tar.file("repositories", "{}")
        return tar.finished()
    }

    /// An OCI image layout archive: an index with this platform's manifest and another platform's, gzip layers.
    static func ociArchive(layers: [[UInt8]], refName: String?, imageName: String? = nil) throws -> [UInt8] {
        var blobs: [ContentDigest: [UInt8]] = [:]
        let diffIDs = layers.map { ContentDigest.sha256(of: $0) }
        var layerDescriptors: [Descriptor] = []
        for layer in layers {
            let compressed = try gzip(layer)
            let digest = ContentDigest.sha256(of: compressed)
            blobs[digest] = compressed
            layerDescriptors.append(
                Descriptor(mediaType: MediaType.ociLayerGzip, digest: digest, size: Int64(compressed.count)))
        }
        let config = try config(diffIDs: diffIDs)
        let configDescriptor = Descriptor(
            mediaType: MediaType.ociConfig, digest: .sha256(of: config), size: Int64(config.count))
        blobs[configDescriptor.digest] = config
        let manifest = try encode(ImageManifest(config: configDescriptor, layers: layerDescriptors))
        let manifestDigest = ContentDigest.sha256(of: manifest)
        blobs[manifestDigest] = manifest
        // A second platform's image with the same layers, so that the index offers a real choice.
        let host = ImagePlatform.host()
        let other = ImagePlatform(os: "linux", architecture: host.architecture == "s390x" ? "ppc64le" : "s390x")
        let otherConfig = try Self.config(diffIDs: diffIDs, platform: other)
        let otherConfigDescriptor = Descriptor(
            mediaType: MediaType.ociConfig, digest: .sha256(of: otherConfig), size: Int64(otherConfig.count))
        blobs[otherConfigDescriptor.digest] = otherConfig
        let otherManifest = try encode(ImageManifest(config: otherConfigDescriptor, layers: layerDescriptors))
        blobs[.sha256(of: otherManifest)] = otherManifest
        let index = try encode(
            ImageIndex(manifests: [
                Descriptor(
                    mediaType: MediaType.ociManifest, digest: .sha256(of: otherManifest),
                    size: Int64(otherManifest.count), platform: other),
                Descriptor(
                    mediaType: MediaType.ociManifest, digest: manifestDigest, size: Int64(manifest.count),
                    platform: host),
            ]))
        let indexDigest = ContentDigest.sha256(of: index)
        blobs[indexDigest] = index
        var annotations: [String: String] = [:]
        annotations["org.opencontainers.image.ref.name"] = refName
        annotations["io.containerd.image.name"] = imageName
        let layout = try encode(
            ImageIndex(manifests: [
                Descriptor(
                    mediaType: MediaType.ociIndex, digest: indexDigest, size: Int64(index.count),
                    annotations: annotations.isEmpty ? nil : annotations)
            ]))
        var tar = TarWriter()
        tar.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}")
        tar.file("index.json", layout)
        tar.directory("blobs/")
        tar.directory("blobs/sha256/")
        for (digest, bytes) in blobs.sorted(by: { $0.key < $1.key }) {
            tar.file("blobs/sha256/" + digest.encoded, bytes)
        }
        return tar.finished()
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value))
    }
}

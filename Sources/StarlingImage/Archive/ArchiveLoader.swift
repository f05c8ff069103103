import Foundation
import NIOPosix
import StarlingModel

/// An image that an archive brought in.
public struct LoadedImage: Hashable, Sendable {
    public var record: ImageRecord
    /// The names it was recorded under; empty for an untagged image (`Loaded image ID: sha256:...`).
    public var names: [ImageName]

    /// What `docker load` prints for it.
    public var messages: [String] {
        names.isEmpty ? ["Loaded image ID: \(record.id)"] : names.map { "Loaded image: \($0.familiarString)" }
    }
}

/// Loads image archives into a store, as `docker load` does: `docker save` archives (`manifest.json` with
/// `RepoTags`, `Config` and `Layers` paths, legacy `<id>/layer.tar` layouts and the newer `blobs/sha256` ones) and
/// OCI image layouts (`oci-layout`, `index.json`, `blobs/`), the archive itself plain or gzip-compressed, layers
/// plain or gzip-compressed. Names in an OCI layout come from `io.containerd.image.name`, or from
/// `org.opencontainers.image.ref.name` when that is a whole reference (a bare tag names nothing).
public struct ArchiveLoader: Sendable {
    public let store: ImageStore
    public let platform: ImagePlatform

    public init(store: ImageStore, platform: ImagePlatform = .host()) {
        self.store = store
        self.platform = platform.normalized
    }

    /// Loads the archive at `path`; the work on files runs on `threadPool`.
    public func load(archive path: String, threadPool: NIOThreadPool = .singleton) async throws -> [LoadedImage] {
        let workspace = store.root + "/ingest/load-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        try await threadPool.runIfActive { try ArchiveExtractor.extract(path, into: workspace) }
        let lease = await store.lease([])
        do {
            let images: [LoadedImage]
            if FileManager.default.fileExists(atPath: workspace + "/manifest.json") {
                images = try await loadDockerArchive(workspace, lease: lease, threadPool: threadPool)
            } else if FileManager.default.fileExists(atPath: workspace + "/index.json") {
                images = try await loadOCILayout(workspace, lease: lease, threadPool: threadPool)
            } else {
                throw StarlingError.invalidArgument(
                    "invalid archive: neither manifest.json (docker save) nor index.json (OCI layout) found")
            }
            await store.release(lease)
            return images
        } catch {
            await store.release(lease)
            throw error
        }
    }

    private struct DockerManifestEntry: Decodable {
        var config: String
        var repoTags: [String]?
        var layers: [String]

        enum CodingKeys: String, CodingKey {
            case config = "Config"
            case repoTags = "RepoTags"
            case layers = "Layers"
        }
    }

    private func loadDockerArchive(
        _ workspace: String, lease: Int, threadPool: NIOThreadPool
    ) async throws
        -> [LoadedImage]
    {
        let data = try Data(contentsOf: URL(fileURLWithPath: workspace + "/manifest.json"))
        let entries = try JSONDecoder().decode([DockerManifestEntry].self, from: data)
        var imported: [String: Descriptor] = [:]
        var loaded: [LoadedImage] = []
        for entry in entries {
            let configBytes = try readFile(workspace, entry.config)
            let config = try ImageConfig.decode(configBytes)
            let configDescriptor = try await store.writeBlob(configBytes, mediaType: MediaType.dockerConfig)
            var layers: [Descriptor] = []
            for layerPath in entry.layers {
                if let known = imported[layerPath] {
                    layers.append(known)
                    continue
                }
                let file = try ArchiveExtractor.resolve(layerPath, in: workspace)
                let descriptor = try await importFile(file, lease: lease, threadPool: threadPool) { magic in
                    magic.starts(with: GzipReader.magic) ? MediaType.dockerLayerGzip : MediaType.dockerLayer
                }
                imported[layerPath] = descriptor
                layers.append(descriptor)
            }
            guard layers.count == config.rootfs.diffIDs.count else {
                throw StarlingError.invalidArgument(
                    "invalid archive: \(entry.config) lists \(config.rootfs.diffIDs.count) layers, the manifest \(layers.count)"
                )
            }
            let manifest = ImageManifest(mediaType: MediaType.dockerManifest, config: configDescriptor, layers: layers)
            let manifestDescriptor = try await store.writeBlob(
                try Self.encode(manifest), mediaType: MediaType.dockerManifest)
            let names = try (entry.repoTags ?? []).map { try ImageName.parseDockerReference($0) }
            let record = ImageRecord(
                target: manifestDescriptor, manifest: manifestDescriptor, config: configDescriptor, layers: layers,
                diffIDs: config.rootfs.diffIDs, platform: config.platform, created: config.created)
            try await store.add(record, names: names)
            loaded.append(LoadedImage(record: record, names: names))
        }
        return loaded
    }

    private func loadOCILayout(
        _ workspace: String, lease: Int, threadPool: NIOThreadPool
    ) async throws
        -> [LoadedImage]
    {
        let index = try ImageIndex.decodeLayout(try readFile(workspace, "index.json"))
        // Every blob of the layout goes into the store, checked against its file name.
        let blobDirectory = workspace + "/blobs/sha256"
        for hex in (try? FileManager.default.contentsOfDirectory(atPath: blobDirectory)) ?? [] {
            let expected = try ContentDigest(parsing: "sha256:" + hex)
            let descriptor = try await importFile(blobDirectory + "/" + hex, lease: lease, threadPool: threadPool) {
                _ in
                "application/octet-stream"
            }
            guard descriptor.digest == expected else {
                throw StarlingError.invalidArgument("invalid archive: blob \(hex) has digest \(descriptor.digest)")
            }
        }
        var loaded: [LoadedImage] = []
        for descriptor in index.manifests {
            guard let record = try await record(for: descriptor, target: descriptor) else { continue }
            let names = Self.names(descriptor.annotations ?? [:])
            try await store.add(record, names: names)
            loaded.append(LoadedImage(record: record, names: names))
        }
        return loaded
    }

    /// The record for a manifest, or for this platform's manifest of an index; nil when the layout does not hold
    /// one for this platform.
    private func record(for descriptor: Descriptor, target: Descriptor) async throws -> ImageRecord? {
        guard store.hasBlob(descriptor.digest) else { return nil }
        switch try ManifestDocument(decoding: try store.readBlob(descriptor.digest), contentType: descriptor.mediaType)
        {
        case .index(let index):
            let present = index.manifests.filter { store.hasBlob($0.digest) }
            guard let chosen = PlatformMatcher(platform).select(from: present) else { return nil }
            return try await record(for: chosen, target: target)
        case .manifest(let manifest):
            let config = try ImageConfig.decode(try store.readBlob(manifest.config.digest))
            for layer in manifest.layers where !store.hasBlob(layer.digest) {
                throw StarlingError.invalidArgument("invalid archive: layer \(layer.digest) is missing")
            }
            return ImageRecord(
                target: target, manifest: descriptor, config: manifest.config, layers: manifest.layers,
                diffIDs: config.rootfs.diffIDs, platform: config.platform, created: config.created)
        }
    }

    /// `io.containerd.image.name`, else a whole reference in `org.opencontainers.image.ref.name`.
    static func names(_ annotations: [String: String]) -> [ImageName] {
        if let name = annotations["io.containerd.image.name"], let parsed = try? ImageName.parseDockerReference(name) {
            return [parsed]
        }
        if let reference = annotations["org.opencontainers.image.ref.name"],
            reference.contains("/") || reference.contains(":"),
            let parsed = try? ImageName.parseDockerReference(reference)
        {
            return [parsed]
        }
        return []
    }

    /// Hashes a file, leases its digest, then moves it into the store.
    private func importFile(
        _ path: String, lease: Int, threadPool: NIOThreadPool, mediaType: @escaping @Sendable ([UInt8]) -> String
    ) async throws -> Descriptor {
        let (digest, type) = try await threadPool.runIfActive {
            let magic = try FileByteReader(path: path).read(exactly: 4)
            return (try ContentDigest.sha256(ofFile: path), mediaType(magic))
        }
        await store.extend(lease, with: [digest])
        return try store.importBlob(file: path, digest: digest, mediaType: type)
    }

    private func readFile(_ workspace: String, _ relative: String) throws -> [UInt8] {
        let path = try ArchiveExtractor.resolve(relative, in: workspace)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StarlingError.invalidArgument("invalid archive: \(relative) is missing")
        }
        return [UInt8](data)
    }

    static func encode(_ manifest: ImageManifest) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(manifest))
    }
}

extension ImageIndex {
    /// Decodes an OCI layout's `index.json`.
    static func decodeLayout(_ bytes: [UInt8]) throws -> ImageIndex {
        do {
            return try JSONDecoder().decode(ImageIndex.self, from: Data(bytes))
        } catch {
            throw StarlingError.invalidArgument("invalid archive: index.json: \(error)")
        }
    }
}

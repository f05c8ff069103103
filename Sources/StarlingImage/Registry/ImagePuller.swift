import StarlingModel

/// What a pull reports as it goes, in the order `docker pull` prints it.
public enum PullEvent: Hashable, Sendable {
    /// `Pulling from library/busybox` (with the tag or digest asked for).
    case resolving(ImageName)
    /// `Pulling fs layer`.
    case layerWaiting(ContentDigest)
    /// `Already exists`.
    case layerExists(ContentDigest)
    /// `Downloading`, with bytes held and the layer's size.
    case layerDownloading(ContentDigest, current: Int64, total: Int64)
    /// `Download complete` (verified).
    case layerDownloaded(ContentDigest)
    /// `Digest: sha256:...`: what the name resolved to.
    case digest(ContentDigest)
    /// `Status: Downloaded newer image for busybox:latest` or `Status: Image is up to date for busybox:latest`.
    case status(String)
}

/// The outcome of a pull.
public struct PullResult: Hashable, Sendable {
    public var record: ImageRecord
    /// The normalised name that was pulled (`docker.io/library/busybox:latest`).
    public var name: ImageName
    /// False when the name already pointed at this image.
    public var isNew: Bool
}

/// Pulls images from registries into a store, for one platform: resolves the name to a manifest (choosing from
/// an index as containerd does), then fetches the config and the layers (a bounded number at once, each blob
/// downloaded once even when several pulls want it) and records the image under its name and its digest.
public struct ImagePuller: Sendable {
    public let store: ImageStore
    public let registry: RegistryClient
    public let platform: ImagePlatform

    public init(store: ImageStore, registry: RegistryClient, platform: ImagePlatform = .host()) {
        self.store = store
        self.registry = registry
        self.platform = platform.normalized
    }

    /// Pulls `reference` (`busybox`, `localhost:5000/app:1`, `app@sha256:...`; `:latest` when untagged).
    /// Registry refusals come back in dockerd's words (`manifest for busybox:nope not found: manifest unknown:
    /// manifest unknown`).
    public func pull(
        _ reference: String, credentials: RegistryCredentials? = nil,
        progress: @escaping @Sendable (PullEvent) -> Void = { _ in }
    ) async throws -> PullResult {
        let name = try ImageName.parseDockerReference(reference)
        progress(.resolving(name))
        let target = try await registry.fetchManifest(
            name, reference: name.digest?.description ?? name.tag ?? "latest", credentials: credentials)
        let lease = await store.lease([target.descriptor.digest])
        do {
            let result = try await pull(
                name, target: target, lease: lease, credentials: credentials, progress: progress)
            await store.release(lease)
            return result
        } catch {
            await store.release(lease)
            throw error
        }
    }

    private func pull(
        _ name: ImageName, target: FetchedManifest, lease: Int, credentials: RegistryCredentials?,
        progress: @escaping @Sendable (PullEvent) -> Void
    ) async throws -> PullResult {
        try await store.writeBlob(target.bytes, mediaType: target.descriptor.mediaType)
        var manifest: ImageManifest
        var manifestDescriptor = target.descriptor
        switch target.document {
        case .manifest(let single):
            manifest = single
        case .index(let index):
            guard let chosen = PlatformMatcher(platform).select(from: index.manifests) else {
                throw StarlingError.notFound(
                    "no matching manifest for \(platform) in the manifest list entries")
            }
            let fetched = try await registry.fetchManifest(
                name, reference: chosen.digest.description, credentials: credentials)
            guard case .manifest(let single) = fetched.document else {
                throw StarlingError.invalidArgument("manifest \(chosen.digest) of \(name) is an index, not a manifest")
            }
            await store.extend(lease, with: [chosen.digest])
            try await store.writeBlob(fetched.bytes, mediaType: fetched.descriptor.mediaType)
            manifest = single
            manifestDescriptor = fetched.descriptor
        }
        await store.extend(lease, with: Set([manifest.config.digest] + manifest.layers.map(\.digest)))
        let config = try await fetchConfig(manifest.config, of: name, credentials: credentials)
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw StarlingError.invalidArgument(
                "image \(name.familiarString): \(manifest.layers.count) layers but \(config.rootfs.diffIDs.count) diff IDs"
            )
        }
        guard config.os.lowercased() == platform.os else {
            throw StarlingError.invalidArgument(
                "image operating system \"\(config.os)\" cannot be used on this platform")
        }
        try await fetchLayers(manifest.layers, of: name, credentials: credentials, progress: progress)
        let record = ImageRecord(
            target: target.descriptor, manifest: manifestDescriptor, config: manifest.config, layers: manifest.layers,
            diffIDs: config.rootfs.diffIDs, platform: config.platform, created: config.created)
        let previous = try? await store.image(name.description)
        var byDigest = name
        byDigest.tag = nil
        byDigest.digest = target.descriptor.digest
        try await store.add(record, names: name.digest == nil ? [name, byDigest] : [name])
        let isNew = previous?.id != record.id
        progress(.digest(target.descriptor.digest))
        progress(
            .status(
                isNew
                    ? "Downloaded newer image for \(name.familiarString)"
                    : "Image is up to date for \(name.familiarString)"))
        return PullResult(record: record, name: name, isNew: isNew)
    }

    private func fetchConfig(
        _ descriptor: Descriptor, of name: ImageName, credentials: RegistryCredentials?
    ) async throws -> ImageConfig {
        let registry = registry
        try await store.ingest(descriptor) { writer in
            try await registry.fetchBlob(name, into: writer, credentials: credentials)
        }
        return try ImageConfig.decode(try store.readBlob(descriptor.digest))
    }

    /// Fetches the layers, at most `maxConcurrentDownloads` at once.
    private func fetchLayers(
        _ layers: [Descriptor], of name: ImageName, credentials: RegistryCredentials?,
        progress: @escaping @Sendable (PullEvent) -> Void
    ) async throws {
        let store = store
        let registry = registry
        let limit = registry.configuration.maxConcurrentDownloads
        for layer in layers where !store.hasBlob(layer.digest) { progress(.layerWaiting(layer.digest)) }
        var seen = Set<ContentDigest>()
        let unique = layers.filter { seen.insert($0.digest).inserted }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for layer in unique {
                if running == limit {
                    try await group.next()
                    running -= 1
                }
                group.addTask {
                    let outcome = try await store.ingest(layer) { writer in
                        try await registry.fetchBlob(name, into: writer, credentials: credentials) { current in
                            progress(.layerDownloading(layer.digest, current: current, total: layer.size))
                        }
                    }
                    progress(outcome == .present ? .layerExists(layer.digest) : .layerDownloaded(layer.digest))
                }
                running += 1
            }
            try await group.waitForAll()
        }
    }
}

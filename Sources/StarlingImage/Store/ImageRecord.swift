import StarlingModel

/// An image in the store, as pulled or loaded for this node's platform. Its ID is the digest of its config, as in
/// Docker; names (tags and digest references) point to IDs separately, so one image can have many names.
public struct ImageRecord: Codable, Hashable, Sendable {
    /// The config digest: `docker image ls` IMAGE ID.
    public var id: ContentDigest
    /// What the name resolved to in the registry or archive: an index, or the manifest itself.
    public var target: Descriptor
    /// The manifest for this node's platform.
    public var manifest: Descriptor
    public var config: Descriptor
    /// The layer blobs, bottom first, as the manifest lists them (compressed or not).
    public var layers: [Descriptor]
    /// The uncompressed layer digests from the config, bottom first; unpacked layers are kept under these.
    public var diffIDs: [ContentDigest]
    public var platform: ImagePlatform
    /// Optional: when the image was built (the config's `created`).
    public var created: String?

    public init(
        target: Descriptor, manifest: Descriptor, config: Descriptor, layers: [Descriptor], diffIDs: [ContentDigest],
        platform: ImagePlatform, created: String?
    ) {
        self.id = config.digest
        self.target = target
        self.manifest = manifest
        self.config = config
        self.layers = layers
        self.diffIDs = diffIDs
        self.platform = platform
        self.created = created
    }

    /// Every blob the image holds on to.
    var blobs: Set<ContentDigest> {
        Set([target.digest, manifest.digest, config.digest] + layers.map(\.digest))
    }

    /// The content size: config, manifest and layer blobs as stored.
    public var size: Int64 { manifest.size + config.size + layers.reduce(0) { $0 + $1.size } }
}

/// One row of `docker image ls` / `GET /images/json`.
public struct ImageSummary: Hashable, Sendable {
    public var id: ContentDigest
    /// Familiar `name:tag` forms, sorted.
    public var repoTags: [String]
    /// Familiar `name@digest` forms, sorted.
    public var repoDigests: [String]
    /// Optional: when the image was built, as the config says.
    public var created: String?
    public var size: Int64
    public var labels: [String: String]
}

/// One line of an image removal's answer (`{"Untagged": ...}` or `{"Deleted": ...}`).
public enum ImageDeleteItem: Hashable, Sendable {
    case untagged(String)
    case deleted(ContentDigest)
}

/// What `prune` removed.
public struct ImagePruneReport: Hashable, Sendable {
    public var deleted: [ImageDeleteItem]
    /// Bytes of blobs and unpacked layers removed.
    public var spaceReclaimed: Int64
}

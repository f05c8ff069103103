import Foundation
import StarlingModel

/// A node's image store on disk, content-addressed as containerd's:
///
///     <root>/blobs/sha256/<hex>      verified blobs (manifests, configs, layers), immutable
///     <root>/ingest/<hex>.partial    downloads in progress, continued after an interruption
///     <root>/images/<id hex>.json    image records (`ImageRecord`)
///     <root>/references.json         names → image IDs (`docker.io/library/busybox:latest` → `sha256:...`)
///     <root>/layers/sha256/<hex>     unpacked layers by uncompressed digest, overlayfs lower directories
///
/// Blobs are reference-counted through the records: removing an image deletes only the blobs and layers that no
/// other image uses. Concurrent fetches of one blob share a single download, and concurrent requests for one
/// unpacked layer share a single unpack. One process owns a store directory.
public actor ImageStore {
    public nonisolated let root: String
    private var records: [ContentDigest: ImageRecord] = [:]
    /// Full names (`ImageName.description`) to image IDs.
    private var references: [String: ContentDigest] = [:]
    var downloads: [ContentDigest: Task<Void, any Error>] = [:]
    private var waiters: [ContentDigest: Int] = [:]
    var unpacks: [ContentDigest: Task<String, any Error>] = [:]
    var leases: [Int: Set<ContentDigest>] = [:]
    var nextLease = 0

    /// How `ingest` obtained a blob.
    public enum IngestOutcome: Hashable, Sendable {
        /// The store already had it.
        case present
        /// This call fetched it.
        case fetched
        /// Another caller was fetching it; this one waited for that download.
        case shared
    }

    /// Opens (creating if needed) the store under `root`, dropping unpacks that a crash interrupted. Downloads in
    /// `ingest/` are kept: the next fetch of the same blob continues them.
    public init(root: String) throws {
        self.root = root
        let manager = FileManager.default
        for directory in ["blobs/sha256", "ingest", "images", "layers/sha256"] {
            try manager.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        for name in try manager.contentsOfDirectory(atPath: root + "/layers/sha256") where name.contains(".") {
            try? LayerDirectory.remove(root + "/layers/sha256/" + name)
        }
        // Work directories of archive loads that a crash interrupted.
        for name in try manager.contentsOfDirectory(atPath: root + "/ingest") where name.hasPrefix("load-") {
            try? manager.removeItem(atPath: root + "/ingest/" + name)
        }
        for name in try manager.contentsOfDirectory(atPath: root + "/images") where name.hasSuffix(".json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: root + "/images/" + name))
            let record = try JSONDecoder().decode(ImageRecord.self, from: data)
            records[record.id] = record
        }
        if let data = manager.contents(atPath: root + "/references.json") {
            references = try JSONDecoder().decode([String: ContentDigest].self, from: data)
        }
    }

    // MARK: Blobs

    /// Where the blob with `digest` lives once it is stored.
    public nonisolated func blobPath(_ digest: ContentDigest) -> String {
        "\(root)/blobs/\(digest.algorithm)/\(digest.encoded)"
    }

    public nonisolated func hasBlob(_ digest: ContentDigest) -> Bool {
        FileManager.default.fileExists(atPath: blobPath(digest))
    }

    /// A stored blob's bytes (for manifests and configs: small).
    public nonisolated func readBlob(_ digest: ContentDigest) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: blobPath(digest)) else {
            throw StarlingError.notFound("content \(digest): not found")
        }
        return [UInt8](data)
    }

    /// Makes sure the blob is stored: returns at once if it is, waits for a download already running, or runs
    /// `fetch` with a writer positioned after any partial content from an earlier attempt. The writer's content
    /// is verified against the descriptor before it becomes visible.
    @discardableResult
    public func ingest(
        _ descriptor: Descriptor, fetch: @escaping @Sendable (BlobWriter) async throws -> Void
    ) async throws -> IngestOutcome {
        let digest = descriptor.digest
        if hasBlob(digest) { return .present }
        if let running = downloads[digest] {
            waiters[digest, default: 0] += 1
            defer { waiters[digest, default: 1] -= 1 }
            try await running.value
            return .shared
        }
        guard digest.algorithm == "sha256" else {
            throw StarlingError.invalidArgument("unsupported digest algorithm: \(digest)")
        }
        let partialPath = "\(root)/ingest/\(digest.encoded).partial"
        let finalPath = blobPath(digest)
        let download = Task.detached {
            let writer = try BlobWriter(expected: descriptor, partialPath: partialPath, finalPath: finalPath)
            let resumed = writer.offset > 0
            try await fetch(writer)
            do {
                try writer.commit()
            } catch  where resumed {
                // What an earlier attempt left was not the start of this blob (commit dropped it): fetch it whole.
                let fresh = try BlobWriter(expected: descriptor, partialPath: partialPath, finalPath: finalPath)
                try await fetch(fresh)
                try fresh.commit()
            }
        }
        downloads[digest] = download
        defer { downloads[digest] = nil }
        try await download.value
        return .fetched
    }

    /// Stores bytes already in memory (manifests and configs from an archive or built locally).
    @discardableResult
    public func writeBlob(_ bytes: [UInt8], mediaType: String) async throws -> Descriptor {
        let descriptor = Descriptor(mediaType: mediaType, digest: .sha256(of: bytes), size: Int64(bytes.count))
        try await ingest(descriptor) { writer in
            try writer.restart()
            try writer.write(bytes)
        }
        return descriptor
    }

    /// Moves a file into the store as a blob (archive loading); the file is gone afterwards. `digest` is the
    /// file's SHA-256 when the caller computed it already (it is computed otherwise).
    @discardableResult
    public nonisolated func importBlob(
        file path: String, digest: ContentDigest? = nil, mediaType: String
    ) throws -> Descriptor {
        let digest = try digest ?? ContentDigest.sha256(ofFile: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        if hasBlob(digest) {
            try FileManager.default.removeItem(atPath: path)
        } else {
            guard rename(path, blobPath(digest)) == 0 else { throw FileSystemError.last("rename", path) }
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: size)
    }

    // MARK: Images

    /// Records an image and points `names` at it (moving a name from another image, as `docker tag` does).
    public func add(_ record: ImageRecord, names: [ImageName]) throws {
        for digest in record.blobs where !hasBlob(digest) {
            throw StarlingError.internal("image \(record.id) refers to missing content \(digest)")
        }
        let data = try JSONEncoder().encode(record)
        try data.write(to: URL(fileURLWithPath: "\(root)/images/\(record.id.encoded).json"), options: .atomic)
        records[record.id] = record
        for name in names { references[name.description] = record.id }
        try saveReferences()
    }

    /// Adds a name to an image (`docker tag`).
    public func tag(_ id: ContentDigest, as name: ImageName) throws {
        guard records[id] != nil else { throw StarlingError.notFound("No such image: \(id)") }
        references[name.description] = id
        try saveReferences()
    }

    /// Finds an image as dockerd does: a full ID, else a name (`:latest` implied), else a unique ID prefix
    /// (`sha256:` optional). Throws `notFound("No such image: busybox:latest")`.
    public func image(_ reference: String) throws(StarlingError) -> ImageRecord {
        let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        let isHex =
            !hex.isEmpty && hex.count <= 64 && hex.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
        if isHex, hex.count == 64 {
            if let record = records[ContentDigest(sha256: hex)] { return record }
            throw .notFound("No such image: \(reference)")
        }
        let name = try? ImageName.parseDockerReference(reference)
        if let name, let id = references[name.description], let record = records[id] { return record }
        if let digest = name?.digest, let repository = name?.repository,
            let record = records.values.first(where: { record in
                (record.target.digest == digest || record.manifest.digest == digest)
                    && names(of: record.id).contains { $0.repository == repository }
            })
        {
            // A digest reference also finds an image pulled by tag whose content has that digest.
            return record
        }
        if isHex {
            let matches = records.keys.filter { $0.encoded.hasPrefix(hex) }
            if matches.count == 1, let record = records[matches[0]] { return record }
        }
        throw .notFound("No such image: \(name?.familiarString ?? reference)")
    }

    /// The parsed config of a stored image.
    public nonisolated func config(of record: ImageRecord) throws -> ImageConfig {
        try ImageConfig.decode(try readBlob(record.config.digest))
    }

    /// Every image with its names, newest build first.
    public func images() -> [ImageSummary] {
        records.values.map { record in
            let names = names(of: record.id)
            let labels = (try? config(of: record))?.config?.labels ?? [:]
            return ImageSummary(
                id: record.id, repoTags: names.filter { $0.digest == nil }.map(\.familiarString).sorted(),
                repoDigests: names.filter { $0.digest != nil }.map(\.familiarString).sorted(), created: record.created,
                size: record.size, labels: labels)
        }.sorted { ($0.created ?? "", $0.id) > ($1.created ?? "", $1.id) }
    }

    /// The names that point at `id`.
    func names(of id: ContentDigest) -> [ImageName] {
        references.compactMap { text, target in target == id ? try? ImageName(parsing: text) : nil }
    }

    /// How many callers wait for the running download of `digest` (for tests).
    func waiterCount(_ digest: ContentDigest) -> Int { waiters[digest] ?? 0 }

    var allRecords: [ContentDigest: ImageRecord] { records }

    func dropReference(_ name: String) { references[name] = nil }

    func dropRecord(_ id: ContentDigest) throws {
        records[id] = nil
        try? FileManager.default.removeItem(atPath: "\(root)/images/\(id.encoded).json")
    }

    var allReferences: [String: ContentDigest] { references }

    func saveReferences() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(references).write(to: URL(fileURLWithPath: root + "/references.json"), options: .atomic)
    }
}

import Foundation
import StarlingModel

extension ImageStore {
    /// Removes a name, or an image, as `docker rmi` does: removing a tag only untags while the image keeps another
    /// tag; removing the last tag (or the image by ID) also drops its digest references and deletes the image and
    /// the blobs and layers no other image uses. `inUse` are the IDs of images that containers use; those are
    /// refused unless `force` (and their layers stay while they are in use).
    public func remove(
        _ reference: String, force: Bool = false, inUse: Set<ContentDigest> = []
    ) throws(StarlingError) -> [ImageDeleteItem] {
        let record = try image(reference)
        let id = record.id
        let short = String(id.encoded.prefix(12))
        let name = try? ImageName.parseDockerReference(reference)
        var items: [ImageDeleteItem] = []
        if let name, allReferences[name.description] == id {
            let others = names(of: id).filter { $0 != name }
            if others.contains(where: { $0.digest == nil }) {
                dropReference(name.description)
                try save()
                return [.untagged(name.familiarString)]
            }
            if inUse.contains(id), !force {
                throw .conflict(
                    "conflict: unable to remove repository reference \"\(reference)\" (must force) - container is "
                        + "using its referenced image \(short)")
            }
            dropReference(name.description)
            items.append(.untagged(name.familiarString))
        } else {
            let repositories = Set(names(of: id).map(\.repository))
            if repositories.count > 1, !force {
                throw .conflict(
                    "conflict: unable to delete \(short) (must be forced) - image is referenced in multiple repositories"
                )
            }
            if inUse.contains(id), !force {
                throw .conflict(
                    "conflict: unable to delete \(short) (must be forced) - image is being used by a container")
            }
        }
        for other in names(of: id).sorted(by: { $0.description < $1.description }) {
            dropReference(other.description)
            items.append(.untagged(other.familiarString))
        }
        do {
            try dropRecord(id)
            try saveReferences()
            _ = try collectGarbage(keepingLayers: inUse.contains(id) ? Set(record.diffIDs) : [])
        } catch {
            throw .internal("removing image \(short): \(error)")
        }
        items.append(.deleted(id))
        return items
    }

    /// Removes images nobody names (`docker image prune`), or, with `all`, every image not in `inUse`
    /// (`docker image prune -a`); then deletes the blobs, unpacked layers and interrupted downloads that no image
    /// and no running pull holds.
    public func prune(all: Bool = false, inUse: Set<ContentDigest> = []) throws(StarlingError) -> ImagePruneReport {
        var items: [ImageDeleteItem] = []
        do {
            for id in allRecords.keys.sorted() where !inUse.contains(id) {
                let names = names(of: id).sorted { $0.description < $1.description }
                guard all || names.isEmpty else { continue }
                for name in names {
                    dropReference(name.description)
                    items.append(.untagged(name.familiarString))
                }
                try dropRecord(id)
                items.append(.deleted(id))
            }
            try saveReferences()
            let reclaimed = try collectGarbage(keepingLayers: [])
            return ImagePruneReport(deleted: items, spaceReclaimed: reclaimed)
        } catch {
            throw .internal("pruning images: \(error)")
        }
    }

    /// Holds blobs (for a pull or load that has not recorded its image yet) or unpacked layers (for containers
    /// that use them) by digest, so that a concurrent prune or removal does not delete them. Returns a token for
    /// `release`.
    public func lease(_ digests: Set<ContentDigest>) -> Int {
        nextLease += 1
        leases[nextLease] = digests
        return nextLease
    }

    public func release(_ lease: Int) { leases[lease] = nil }

    /// Adds digests to a lease (layers learnt after the manifest was fetched).
    public func extend(_ lease: Int, with digests: Set<ContentDigest>) {
        leases[lease, default: []].formUnion(digests)
    }

    /// Deletes what nothing holds; returns the bytes freed.
    private func collectGarbage(keepingLayers: Set<ContentDigest>) throws -> Int64 {
        let leased = Set(leases.values.joined())
        let held = allRecords.values.reduce(into: leased) { $0.formUnion($1.blobs) }
        let heldLayers = allRecords.values.reduce(into: leased.union(keepingLayers)) { $0.formUnion($1.diffIDs) }
        let manager = FileManager.default
        var reclaimed: Int64 = 0
        for hex in try manager.contentsOfDirectory(atPath: root + "/blobs/sha256") {
            let digest = ContentDigest(sha256: hex)
            guard !held.contains(digest) else { continue }
            reclaimed += fileSize(blobPath(digest))
            try manager.removeItem(atPath: blobPath(digest))
        }
        for name in try manager.contentsOfDirectory(atPath: root + "/ingest") where name.hasSuffix(".partial") {
            let digest = ContentDigest(sha256: String(name.dropLast(".partial".count)))
            guard !held.contains(digest), downloads[digest] == nil else { continue }
            reclaimed += fileSize(root + "/ingest/" + name)
            try manager.removeItem(atPath: root + "/ingest/" + name)
        }
        for hex in try manager.contentsOfDirectory(atPath: root + "/layers/sha256") where !hex.contains(".") {
            let diffID = ContentDigest(sha256: hex)
            guard !heldLayers.contains(diffID), unpacks[diffID] == nil else { continue }
            let path = layerPath(diffID)
            reclaimed += LayerDirectory.size(path)
            try LayerDirectory.remove(path)
        }
        return reclaimed
    }

    private func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    private func save() throws(StarlingError) {
        do { try saveReferences() } catch { throw .internal("saving image references: \(error)") }
    }
}

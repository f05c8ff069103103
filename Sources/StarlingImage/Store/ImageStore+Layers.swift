import Foundation
import NIOPosix
import StarlingModel

extension ImageStore {
    /// Where the layer with uncompressed digest `diffID` is unpacked (an overlayfs lower directory).
    public nonisolated func layerPath(_ diffID: ContentDigest) -> String {
        "\(root)/layers/\(diffID.algorithm)/\(diffID.encoded)"
    }

    /// The image's unpacked layer directories, bottom first, unpacking the missing ones. Layers are shared by
    /// every image and container that has them; concurrent callers share one unpack per layer. Unpacking runs on
    /// `threadPool`, not on the caller's executor.
    public func layerDirectories(
        for record: ImageRecord, threadPool: NIOThreadPool = .singleton
    ) async throws -> [String] {
        guard record.layers.count == record.diffIDs.count else {
            throw StarlingError.internal(
                "image \(record.id): \(record.layers.count) layers but \(record.diffIDs.count) diff IDs")
        }
        var paths: [String] = []
        for (blob, diffID) in zip(record.layers, record.diffIDs) {
            paths.append(try await unpackedLayer(diffID: diffID, blob: blob, threadPool: threadPool))
        }
        return paths
    }

    private func unpackedLayer(
        diffID: ContentDigest, blob: Descriptor, threadPool: NIOThreadPool
    ) async throws -> String {
        let path = layerPath(diffID)
        if FileManager.default.fileExists(atPath: path) { return path }
        if let running = unpacks[diffID] { return try await running.value }
        let blobPath = blobPath(blob.digest)
        let unpack = Task.detached {
            try await threadPool.runIfActive {
                let partial = path + ".unpacking"
                if FileManager.default.fileExists(atPath: partial) { try LayerDirectory.remove(partial) }
                do {
                    try LayerUnpacker().unpack(blobPath: blobPath, into: partial, diffID: diffID)
                } catch {
                    try? LayerDirectory.remove(partial)
                    throw error
                }
                guard rename(partial, path) == 0 else { throw FileSystemError.last("rename", partial) }
                return path
            }
        }
        unpacks[diffID] = unpack
        defer { unpacks[diffID] = nil }
        return try await unpack.value
    }
}

import Foundation
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// Unpacks an image archive's files (not a layer: no owners, devices or whiteouts) into a work directory.
/// Symbolic links between files of the archive (`docker save` links a layer shared by two images) become hard
/// links; links that leave the archive are refused.
enum ArchiveExtractor {
    static func extract(_ archive: String, into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let magic = try FileByteReader(path: archive).read(exactly: 2)
        let file = try FileByteReader(path: archive)
        let tar = TarReader(magic == GzipReader.magic ? try GzipReader(file) : file)
        var links: [(path: [String], target: String)] = []
        while let entry = try tar.next() {
            guard let components = try LayerUnpacker.clean(entry.name) else { continue }
            let path = directory + "/" + components.joined(separator: "/")
            switch entry.kind {
            case .directory:
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            case .regular:
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try write(tar, to: path)
            case .symbolicLink, .hardLink:
                links.append((components, entry.kind == .hardLink ? "/" + entry.linkName : entry.linkName))
            default:
                continue
            }
        }
        // Links may point at links: resolve in rounds.
        for _ in 0..<8 where !links.isEmpty {
            links = try links.filter { link in
                let base = link.target.hasPrefix("/") ? [] : Array(link.path.dropLast())
                guard let target = try LayerUnpacker.clean((base + [link.target]).joined(separator: "/")) else {
                    throw ArchiveError.unsafePath(link.target)
                }
                let targetPath = directory + "/" + target.joined(separator: "/")
                guard FileManager.default.fileExists(atPath: targetPath) else { return true }
                let path = directory + "/" + link.path.joined(separator: "/")
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                guard Glibc.link(targetPath, path) == 0 else { throw FileSystemError.last("link", path) }
                return false
            }
        }
    }

    /// The path of an archive member named by a manifest, refusing names that leave the archive.
    static func resolve(_ relative: String, in directory: String) throws -> String {
        guard let components = try LayerUnpacker.clean(relative) else { throw ArchiveError.unsafePath(relative) }
        return directory + "/" + components.joined(separator: "/")
    }

    private static func write(_ tar: TarReader, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileSystemError.last("open", path) }
        defer { close(descriptor) }
        while true {
            let chunk = try tar.read(maxLength: 1 << 17)
            if chunk.isEmpty { return }
            var written = 0
            while written < chunk.count {
                let count = chunk.withUnsafeBytes {
                    posixWrite(descriptor, $0.baseAddress! + written, chunk.count - written)
                }
                if count < 0, errno != EINTR { throw FileSystemError.last("write", path) }
                written += max(count, 0)
            }
        }
    }
}

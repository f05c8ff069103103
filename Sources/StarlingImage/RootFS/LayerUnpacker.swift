import Crypto
import Foundation
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// Unpacks one layer (a tar stream, gzip-compressed or not) into its own directory in the form overlayfs reads as
/// a lower layer: whiteouts `.wh.<name>` become character devices 0/0 and `.wh..wh..opq` becomes the
/// `trusted.overlay.opaque=y` attribute of its directory, as containerd's overlay snapshotter stores them.
/// Regular files, directories, symbolic and hard links, devices and FIFOs keep their modes, owners (as root),
/// modification times and extended attributes. Entries that would land outside the directory, directly or
/// through a symbolic link, are refused.
public struct LayerUnpacker: Sendable {
    /// Whether owners are applied and device nodes created: root only.
    public var isPrivileged: Bool

    public init(isPrivileged: Bool = geteuid() == 0) {
        self.isPrivileged = isPrivileged
    }

    /// Unpacks the blob at `blobPath` into `directory` (created if missing) and checks the uncompressed digest
    /// against `diffID` when given. Returns the uncompressed digest and size.
    @discardableResult
    public func unpack(
        blobPath: String, into directory: String, diffID: ContentDigest? = nil
    ) throws -> (diffID: ContentDigest, size: Int64) {
        let magic = try FileByteReader(path: blobPath).read(exactly: 4)
        if magic.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) {
            throw StarlingError.invalidArgument("zstd-compressed layers are not supported")
        }
        let file = try FileByteReader(path: blobPath)
        let plain: any ByteReader = magic.starts(with: GzipReader.magic) ? try GzipReader(file) : file
        let hashing = HashingReader(plain)
        try apply(TarReader(hashing), into: directory)
        try hashing.skip(Int.max)
        let digest = hashing.digest
        if let diffID, digest != diffID {
            throw StarlingError.internal("layer \(blobPath): uncompressed digest \(digest) does not match \(diffID)")
        }
        return (digest, hashing.count)
    }

    /// Applies the entries of `tar` to `directory`.
    public func apply(_ tar: TarReader, into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var tree = LayerTree(root: directory)
        var directoryTimes: [(path: String, entry: TarEntry)] = []
        while let entry = try tar.next() {
            guard let components = try Self.clean(entry.name) else {
                // The layer's root directory itself.
                if entry.kind == .directory {
                    try applyMetadata(entry, at: directory)
                    directoryTimes.append((directory, entry))
                }
                continue
            }
            let base = components[components.count - 1]
            let parent = Array(components.dropLast())
            let parentPath = try tree.directory(parent)
            if base.hasPrefix(".wh.") {
                try whiteout(base, entry: entry, in: parentPath, parent: parent, tree: &tree)
                continue
            }
            let path = parentPath + "/" + base
            let isExistingDirectory = tree.prepare(components, forDirectory: entry.kind == .directory)
            try create(entry, at: path, existingDirectory: isExistingDirectory, from: tar, tree: tree)
            if entry.kind == .directory {
                tree.markDirectory(components)
                directoryTimes.append((path, entry))
            }
        }
        // Directory times last: creating their children changed them.
        for (path, entry) in directoryTimes.reversed() { try setTimes(entry, at: path) }
    }

    private func whiteout(
        _ base: String, entry: TarEntry, in parentPath: String, parent: [String], tree: inout LayerTree
    ) throws {
        if base == ".wh..wh..opq" {
            guard posixSetExtendedAttribute(parentPath, "trusted.overlay.opaque", [UInt8(ascii: "y")]) == 0 else {
                throw FileSystemError.last("setxattr trusted.overlay.opaque", parentPath)
            }
            return
        }
        // Other `.wh..wh.` names are aufs bookkeeping (hard link directories): not part of the image.
        if base.hasPrefix(".wh..wh.") { return }
        let name = String(base.dropFirst(4))
        guard !name.isEmpty, name != ".", name != ".." else { throw ArchiveError.unsafePath(entry.name) }
        let path = parentPath + "/" + name
        _ = tree.prepare(parent + [name], forDirectory: false)
        guard mknod(path, S_IFCHR, 0) == 0 else { throw FileSystemError.last("mknod (whiteout)", path) }
        if isPrivileged, lchown(path, uid_t(entry.uid), gid_t(entry.gid)) != 0 {
            throw FileSystemError.last("lchown", path)
        }
    }

    private func create(
        _ entry: TarEntry, at path: String, existingDirectory: Bool, from tar: TarReader, tree: LayerTree
    ) throws {
        switch entry.kind {
        case .directory:
            if !existingDirectory, mkdir(path, 0o700) != 0 { throw FileSystemError.last("mkdir", path) }
        case .regular:
            try writeFile(path, mode: entry.mode, from: tar)
        case .symbolicLink:
            guard symlink(entry.linkName, path) == 0 else { throw FileSystemError.last("symlink", path) }
        case .hardLink:
            guard let target = try Self.clean(entry.linkName) else { throw ArchiveError.unsafePath(entry.linkName) }
            let targetPath = try tree.existingPath(target)
            guard link(targetPath, path) == 0 else { throw FileSystemError.last("link", path) }
            return  // A hard link shares its target's metadata.
        case .characterDevice, .blockDevice:
            // Unprivileged unpacking skips devices, as rootless Docker does.
            guard isPrivileged else { return }
            let type = entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
            let device = Self.device(major: entry.deviceMajor, minor: entry.deviceMinor)
            guard mknod(path, type | mode_t(entry.mode & 0o7777), device) == 0 else {
                throw FileSystemError.last("mknod", path)
            }
        case .fifo:
            guard mkfifo(path, mode_t(entry.mode & 0o7777)) == 0 else { throw FileSystemError.last("mkfifo", path) }
        }
        try applyMetadata(entry, at: path)
        if entry.kind != .directory { try setTimes(entry, at: path) }
    }

    private func writeFile(_ path: String, mode: UInt32, from tar: TarReader) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
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

    /// Owner, then mode (chown clears set-user-ID bits), then extended attributes.
    private func applyMetadata(_ entry: TarEntry, at path: String) throws {
        if isPrivileged, lchown(path, uid_t(entry.uid), gid_t(entry.gid)) != 0 {
            throw FileSystemError.last("lchown", path)
        }
        if entry.kind != .symbolicLink, chmod(path, mode_t(entry.mode & 0o7777)) != 0 {
            throw FileSystemError.last("chmod", path)
        }
        for (name, value) in entry.extendedAttributes.sorted(by: { $0.key < $1.key }) {
            // Like Docker, attributes the file system or the caller cannot set (trusted.*, security.* without
            // privileges) are skipped rather than failing the layer.
            _ = posixSetExtendedAttribute(path, name, value)
        }
    }

    private func setTimes(_ entry: TarEntry, at path: String) throws {
        let time = timespec(tv_sec: Int(entry.modifiedSeconds), tv_nsec: Int(entry.modifiedNanoseconds))
        let times = [time, time]
        guard utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw FileSystemError.last("utimensat", path)
        }
    }

    /// Linux's `makedev`.
    static func device(major: UInt32, minor: UInt32) -> dev_t {
        let major = UInt64(major)
        let minor = UInt64(minor)
        return dev_t(
            ((major & 0xFFFF_F000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0xFF))
    }

    /// The path's components after `filepath.Clean` (`./a//b/../c` → `a/c`); nil for the root itself. A path that
    /// climbs out of the root is refused.
    static func clean(_ name: String) throws -> [String]? {
        var components: [String] = []
        for component in name.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                guard !components.isEmpty else { throw ArchiveError.unsafePath(name) }
                components.removeLast()
            default: components.append(String(component))
            }
        }
        return components.isEmpty ? nil : components
    }
}

/// What the unpacker knows about the directory it writes: which paths are real directories it checked (so that
/// no entry is written through a symbolic link).
struct LayerTree {
    let root: String
    private var directories: Set<[String]> = [[]]

    init(root: String) { self.root = root }

    func path(_ components: [String]) -> String { ([root] + components).joined(separator: "/") }

    /// The path of a parent directory, creating missing ones (0755, as Docker) and refusing symbolic links.
    mutating func directory(_ components: [String]) throws -> String {
        for depth in stride(from: 1, through: components.count, by: 1) {
            let prefix = Array(components[..<depth])
            if directories.contains(prefix) { continue }
            let path = path(prefix)
            var status = stat()
            if lstat(path, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    throw ArchiveError.unsafePath(prefix.joined(separator: "/"))
                }
            } else if mkdir(path, 0o755) != 0 {
                throw FileSystemError.last("mkdir", path)
            }
            directories.insert(prefix)
        }
        return path(components)
    }

    /// The path of an existing entry for a hard link, reached through real directories only.
    func existingPath(_ components: [String]) throws -> String {
        var copy = self
        _ = try copy.directory(Array(components.dropLast()))
        let path = path(components)
        var status = stat()
        guard lstat(path, &status) == 0 else { throw FileSystemError.last("link target", path) }
        return path
    }

    /// Clears the way for a new entry: an existing directory stays when a directory replaces it; anything else is
    /// removed. Returns whether a directory was kept.
    mutating func prepare(_ components: [String], forDirectory: Bool) -> Bool {
        let path = path(components)
        var status = stat()
        guard lstat(path, &status) == 0 else { return false }
        if forDirectory, status.st_mode & S_IFMT == S_IFDIR { return true }
        try? LayerDirectory.remove(path)
        directories = directories.filter { !$0.starts(with: components) }
        return false
    }

    mutating func markDirectory(_ components: [String]) { directories.insert(components) }
}

/// A reader that hashes (SHA-256) and counts what passes through it.
final class HashingReader: ByteReader {
    private let source: any ByteReader
    private var hasher = SHA256()
    private(set) var count: Int64 = 0

    init(_ source: any ByteReader) { self.source = source }

    func read(maxLength: Int) throws -> [UInt8] {
        let chunk = try source.read(maxLength: maxLength)
        hasher.update(data: chunk)
        count += Int64(chunk.count)
        return chunk
    }

    var digest: ContentDigest { ContentDigest(sha256: hasher.finalize().hexString) }
}

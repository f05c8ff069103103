import Foundation
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// A container's root file system: the image's unpacked layers as overlayfs lower directories, and a writable
/// upper directory (with its work directory) that belongs to the container alone.
public struct OverlayMount: Hashable, Sendable {
    /// The image's layer directories, bottom first.
    public var layers: [String]
    public var upper: String
    public var work: String
    /// Where the merged tree is mounted.
    public var target: String

    public init(layers: [String], upper: String, work: String, target: String) {
        self.layers = layers
        self.upper = upper
        self.work = work
        self.target = target
    }

    /// The container's directories under `directory` (`upper`, `work`, `rootfs`), for `layers`.
    public init(layers: [String], containerDirectory directory: String) {
        self.init(
            layers: layers, upper: directory + "/upper", work: directory + "/work", target: directory + "/rootfs")
    }

    /// The `mount -t overlay` options: overlayfs wants the top layer first in `lowerdir`.
    public var options: String {
        "lowerdir=" + layers.reversed().joined(separator: ":") + ",upperdir=\(upper),workdir=\(work)"
    }

    /// Creates the container's directories and mounts the overlay (root only). An image without layers gets an
    /// empty lower directory next to the upper one.
    public func mount() throws {
        let manager = FileManager.default
        var lower = layers
        if lower.isEmpty {
            let empty = (upper as NSString).deletingLastPathComponent + "/empty"
            try manager.createDirectory(atPath: empty, withIntermediateDirectories: true)
            lower = [empty]
        }
        for path in [upper, work, target] {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        let mount = OverlayMount(layers: lower, upper: upper, work: work, target: target)
        let options = mount.options
        // The kernel takes one page of mount options.
        guard options.utf8.count < 4096 else {
            throw StarlingError.internal("overlay mount options are too long (\(layers.count) layers)")
        }
        guard Glibc.mount("overlay", target, "overlay", 0, options) == 0 else {
            throw FileSystemError.last("mount overlay", target).starlingError
        }
    }

    /// Unmounts the merged tree (lazily when it is busy, so that a stuck process does not keep the task).
    public func unmount() throws {
        if umount2(target, 0) == 0 || errno == EINVAL { return }
        guard errno == EBUSY, umount2(target, Int32(MNT_DETACH)) == 0 else {
            throw FileSystemError.last("umount", target).starlingError
        }
    }
}

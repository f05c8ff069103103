import Foundation
import StarlingImage
import StarlingModel
import Testing

@Suite("Overlay root file systems")
struct OverlayMountTests {
    @Test(.enabled(if: Scratch.isRoot, "mounting overlayfs needs root"))
    func mergesLayersWithWhiteoutsAndOpaqueDirectories() throws {
        let scratch = try Scratch()
        var lower = TarWriter()
        lower.directory("etc/")
        lower.file("etc/hostname", "lower\n")
        lower.file("etc/keep", "kept\n")
        lower.directory("tmp/")
        lower.file("tmp/old", "hidden by the opaque directory\n")
        var upper = TarWriter()
        upper.directory("etc/")
        upper.file("etc/.wh.hostname", [])
        upper.file("etc/motd", "added\n")
        upper.directory("tmp/")
        upper.file("tmp/.wh..wh..opq", [])
        upper.file("tmp/fresh", "new\n")
        let layers = [scratch.path + "/layers/0", scratch.path + "/layers/1"]
        try LayerUnpacker().apply(TarReader(MemoryByteReader(lower.finished())), into: layers[0])
        try LayerUnpacker().apply(TarReader(MemoryByteReader(upper.finished())), into: layers[1])

        let mount = OverlayMount(layers: layers, containerDirectory: scratch.path + "/container")
        #expect(mount.options.hasPrefix("lowerdir=\(layers[1]):\(layers[0]),upperdir="))
        try mount.mount()
        defer { try? mount.unmount() }
        let root = mount.target
        let manager = FileManager.default
        #expect(!manager.fileExists(atPath: root + "/etc/hostname"))
        #expect(manager.fileExists(atPath: root + "/etc/keep"))
        #expect(manager.fileExists(atPath: root + "/etc/motd"))
        #expect(try manager.contentsOfDirectory(atPath: root + "/tmp") == ["fresh"])
        // Writes land in the container's upper directory; the shared layers do not change.
        try Data("written".utf8).write(to: URL(fileURLWithPath: root + "/etc/keep"))
        #expect(manager.contents(atPath: layers[0] + "/etc/keep") == Data("kept\n".utf8))
        #expect(manager.contents(atPath: scratch.path + "/container/upper/etc/keep") == Data("written".utf8))
        try mount.unmount()
        #expect(!manager.fileExists(atPath: root + "/etc/keep"))
    }
}

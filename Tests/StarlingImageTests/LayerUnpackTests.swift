import Foundation
import StarlingModel
import Testing

@testable import StarlingImage

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Unpacking layers for overlayfs")
struct LayerUnpackTests {
    static func unpack(_ tar: [UInt8], into directory: String, privileged: Bool = Scratch.isRoot) throws {
        try LayerUnpacker(isPrivileged: privileged).apply(TarReader(MemoryByteReader(tar)), into: directory)
    }

    static func status(_ path: String) -> stat? {
        var result = stat()
        return lstat(path, &result) == 0 ? result : nil
    }

    @Test func keepsFilesLinksModesAndTimes() throws {
        let scratch = try Scratch()
        var tar = TarWriter()
        tar.directory("./")
        tar.directory("usr/", mode: 0o755)
        tar.directory("usr/bin/", mode: 0o711, mtime: 1_600_000_000)
        tar.file("usr/bin/tool", Array("#!/bin/sh\n".utf8), mode: 0o4755, mtime: 1_500_000_000)
        tar.symlink("usr/bin/alias", to: "tool")
        tar.hardLink("usr/bin/same", to: "usr/bin/tool")
        tar.file("implicit/parent/file", "parents are made")
        tar.file("a/../b", "cleaned")
        tar.fifo("run.pipe")
        let root = scratch.path + "/layer"
        try Self.unpack(tar.finished(), into: root)

        let tool = try #require(Self.status(root + "/usr/bin/tool"))
        #expect(tool.st_mode & 0o7777 == 0o4755)
        #expect(tool.st_mtim.tv_sec == 1_500_000_000)
        #expect(
            String(decoding: FileManager.default.contents(atPath: root + "/usr/bin/tool") ?? Data(), as: UTF8.self)
                == "#!/bin/sh\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/usr/bin/alias") == "tool")
        #expect(Self.status(root + "/usr/bin/same")?.st_ino == tool.st_ino)
        let bin = try #require(Self.status(root + "/usr/bin"))
        #expect(bin.st_mode & 0o7777 == 0o711)
        #expect(bin.st_mtim.tv_sec == 1_600_000_000)
        #expect((Self.status(root + "/implicit/parent")?.st_mode ?? 0) == S_IFDIR | 0o755)
        #expect(FileManager.default.fileExists(atPath: root + "/b"))
        #expect((Self.status(root + "/run.pipe")?.st_mode ?? 0) & S_IFMT == S_IFIFO)
    }

    @Test(.enabled(if: Scratch.isRoot, "owners, device nodes and whiteouts need root"))
    func appliesOwnersDevicesAndWhiteouts() throws {
        let scratch = try Scratch()
        var tar = TarWriter()
        tar.file("owned", Array("x".utf8), uid: 1234, gid: 5678)
        tar.device("dev/null", character: true, major: 1, minor: 3)
        tar.device("dev/loop9", character: false, major: 7, minor: 9)
        tar.directory("etc/")
        tar.file("etc/.wh.hostname", [])
        tar.directory("var/cache/")
        tar.file("var/cache/.wh..wh..opq", [])
        tar.file("var/cache/kept", "kept")
        tar.file(".wh..wh.plnk", [])
        tar.file("attrs", Array("x".utf8), xattrs: ["user.starling": Array("yes".utf8)])
        let root = scratch.path + "/layer"
        try Self.unpack(tar.finished(), into: root)

        #expect(Self.status(root + "/owned")?.st_uid == 1234)
        #expect(Self.status(root + "/owned")?.st_gid == 5678)
        let null = try #require(Self.status(root + "/dev/null"))
        #expect(null.st_mode & S_IFMT == S_IFCHR)
        #expect(null.st_rdev == LayerUnpacker.device(major: 1, minor: 3))
        #expect((Self.status(root + "/dev/loop9")?.st_mode ?? 0) & S_IFMT == S_IFBLK)
        // `.wh.hostname` → a 0/0 character device named `hostname`, the whiteout file itself gone.
        let whiteout = try #require(Self.status(root + "/etc/hostname"))
        #expect(whiteout.st_mode & S_IFMT == S_IFCHR)
        #expect(whiteout.st_rdev == 0)
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/.wh.hostname"))
        // `.wh..wh..opq` → trusted.overlay.opaque=y on its directory.
        #expect(ExtendedAttributes.get(root + "/var/cache", "trusted.overlay.opaque") == Array("y".utf8))
        #expect(!FileManager.default.fileExists(atPath: root + "/var/cache/.wh..wh..opq"))
        #expect(FileManager.default.fileExists(atPath: root + "/var/cache/kept"))
        #expect(!FileManager.default.fileExists(atPath: root + "/.wh..wh.plnk"))
        #expect(ExtendedAttributes.get(root + "/attrs", "user.starling") == Array("yes".utf8))
    }

    @Test func refusesEntriesThatLeaveTheRoot() throws {
        let scratch = try Scratch()
        var climbing = TarWriter()
        climbing.file("../escaped", "no")
        #expect(throws: ArchiveError.unsafePath("../escaped")) {
            try Self.unpack(climbing.finished(), into: scratch.path + "/one")
        }
        // Through a symbolic link planted by an earlier entry.
        var planted = TarWriter()
        planted.symlink("etc", to: scratch.path + "/outside")
        planted.file("etc/passwd", "owned")
        try FileManager.default.createDirectory(atPath: scratch.path + "/outside", withIntermediateDirectories: true)
        #expect(throws: ArchiveError.unsafePath("etc")) {
            try Self.unpack(planted.finished(), into: scratch.path + "/two")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/outside/passwd"))
        var hardLink = TarWriter()
        hardLink.hardLink("x", to: "../../etc/shadow")
        #expect(throws: ArchiveError.self) { try Self.unpack(hardLink.finished(), into: scratch.path + "/three") }
    }

    @Test func laterEntriesReplaceEarlierOnes() throws {
        let scratch = try Scratch()
        var tar = TarWriter()
        tar.file("thing", "file first")
        tar.directory("thing/")
        tar.file("thing/inside", "now a directory")
        tar.directory("dir/")
        tar.file("dir/old", "old")
        tar.directory("dir/", mode: 0o700)
        tar.symlink("dir", to: "elsewhere")
        let root = scratch.path + "/layer"
        try Self.unpack(tar.finished(), into: root)
        #expect(FileManager.default.fileExists(atPath: root + "/thing/inside"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/dir") == "elsewhere")
    }

    @Test func checksTheUncompressedDigest() throws {
        let scratch = try Scratch()
        var tar = TarWriter()
        tar.file("hello", "world")
        let layer = tar.finished()
        let plain = try scratch.file("plain.tar", layer)
        let compressed = try scratch.file("layer.tar.gz", try TestImages.gzip(layer))
        let expected = ContentDigest.sha256(of: layer)
        let result = try LayerUnpacker().unpack(blobPath: compressed, into: scratch.path + "/a", diffID: expected)
        #expect(result.diffID == expected && result.size == Int64(layer.count))
        try LayerUnpacker().unpack(blobPath: plain, into: scratch.path + "/b", diffID: expected)
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/b/hello"))
        let wrong = ContentDigest.sha256(of: Array("other".utf8))
        #expect(throws: StarlingError.self) {
            try LayerUnpacker().unpack(blobPath: plain, into: scratch.path + "/c", diffID: wrong)
        }
    }
}

/// `lgetxattr(2)`, looked up at run time as the product code does for `lsetxattr`.
enum ExtendedAttributes {
    static func get(_ path: String, _ name: String) -> [UInt8]? {
        typealias Function =
            @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lgetxattr") else { return nil }
        let function = unsafeBitCast(symbol, to: Function.self)
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { function(path, name, $0.baseAddress, 256) }
        return count < 0 ? nil : Array(buffer.prefix(count))
    }
}

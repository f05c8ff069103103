import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingImage

@Suite("Tar and gzip readers")
struct ArchiveReaderTests {
    static func entries(_ bytes: [UInt8]) throws -> [(TarEntry, [UInt8])] {
        let reader = TarReader(MemoryByteReader(bytes))
        var result: [(TarEntry, [UInt8])] = []
        while let entry = try reader.next() { result.append((entry, try reader.readAll())) }
        return result
    }

    @Test func readsUstarEntriesOfEveryKind() throws {
        var tar = TarWriter()
        tar.directory("etc/", mode: 0o750, uid: 12, gid: 34)
        tar.file("etc/passwd", "root:x:0:0\n", mode: 0o600)
        tar.symlink("etc/link", to: "passwd")
        tar.hardLink("etc/hard", to: "etc/passwd")
        tar.device("dev/null", character: true, major: 1, minor: 3)
        tar.device("dev/sda", character: false, major: 8, minor: 0)
        tar.fifo("run/pipe")
        let entries = try Self.entries(tar.finished())
        #expect(
            entries.map(\.0.name) == ["etc/", "etc/passwd", "etc/link", "etc/hard", "dev/null", "dev/sda", "run/pipe"])
        #expect(
            entries.map(\.0.kind) == [
                .directory, .regular, .symbolicLink, .hardLink, .characterDevice, .blockDevice, .fifo,
            ])
        #expect(entries[0].0.mode == 0o750 && entries[0].0.uid == 12 && entries[0].0.gid == 34)
        #expect(entries[1].1 == Array("root:x:0:0\n".utf8))
        #expect(entries[1].0.mode == 0o600)
        #expect(entries[1].0.modifiedSeconds == 1_700_000_000)
        #expect(entries[2].0.linkName == "passwd")
        #expect(entries[3].0.linkName == "etc/passwd")
        #expect(entries[4].0.deviceMajor == 1 && entries[4].0.deviceMinor == 3)
    }

    @Test(arguments: [TarWriter.LongNames.pax, .gnu])
    func readsLongNamesAndLinks(_ style: TarWriter.LongNames) throws {
        let deep = (0..<12).map { "directory-\($0)" }.joined(separator: "/") + "/file-with-a-long-name.txt"
        let unsplittable = String(repeating: "n", count: 180)
        let longTarget = "/" + String(repeating: "t", count: 150)
        var tar = TarWriter(longNames: style)
        tar.file(deep, "deep")
        tar.file(unsplittable, "flat")
        tar.symlink("short", to: longTarget)
        let entries = try Self.entries(tar.finished())
        #expect(entries.map(\.0.name) == [deep, unsplittable, "short"])
        #expect(entries.map(\.1) == [Array("deep".utf8), Array("flat".utf8), []])
        #expect(entries[2].0.linkName == longTarget)
    }

    @Test func readsPaxAttributesAndTimes() throws {
        var tar = TarWriter()
        tar.file(
            "bin/ping", [1, 2, 3], xattrs: ["security.capability": [0x01, 0x02], "user.note": Array("hi".utf8)],
            nanoseconds: 5)
        let entries = try Self.entries(tar.finished())
        let entry = try #require(entries.first?.0)
        #expect(entry.extendedAttributes["user.note"] == Array("hi".utf8))
        #expect(entry.extendedAttributes["security.capability"] == [0x01, 0x02])
        #expect(entry.modifiedSeconds == 1_700_000_000 && entry.modifiedNanoseconds == 5)
        #expect(entries.first?.1 == [1, 2, 3])
    }

    @Test func skipsUnreadContentAndStopsAtTheEnd() throws {
        var tar = TarWriter()
        tar.file("a", [UInt8](repeating: 7, count: 1500))
        tar.file("b", "second")
        let reader = TarReader(MemoryByteReader(tar.finished()))
        #expect(try reader.next()?.name == "a")
        #expect(try reader.read(maxLength: 10).count == 10)
        #expect(try reader.next()?.name == "b")
        #expect(try reader.readAll() == Array("second".utf8))
        #expect(try reader.next() == nil)
        // Without the two zero blocks the input simply ends.
        var open = TarWriter()
        open.file("only", "x")
        #expect(try Self.entries(open.bytes).count == 1)
    }

    @Test func refusesCorruptHeaders() throws {
        var tar = TarWriter()
        tar.file("a", "content")
        var bytes = tar.finished()
        bytes[3] ^= 0xFF
        #expect(throws: ArchiveError.corrupt("tar: bad header checksum")) { try Self.entries(bytes) }
        var truncated = TarWriter()
        truncated.file("a", [UInt8](repeating: 1, count: 2000))
        #expect(throws: ArchiveError.self) { try Self.entries(Array(truncated.bytes.prefix(1024))) }
    }

    @Test func parsesPaxTimesAndNumbers() throws {
        #expect(TarReader.paxTime("1700000000.5")! == (1_700_000_000, 500_000_000))
        #expect(TarReader.paxTime("-1.25")! == (-2, 750_000_000))
        #expect(TarReader.paxTime("12")! == (12, 0))
        // GNU base-256 for values that do not fit in octal.
        let big: [UInt8] = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0]
        #expect(try TarReader.number(big[...]) == 131_072)
    }

    @Test(arguments: ["-1", "-6", "-9"])
    func inflatesWhatGzipWrites(_ level: String) throws {
        // Text (fixed and dynamic Huffman blocks, long matches) and noise (stored blocks).
        var generator = SplitMix64(seed: 42)
        var input = Array(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 3000).utf8)
        input += (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        input += Array(repeating: 0, count: 100_000)
        let compressed = try Scratch.run("/bin/gzip", ["-c", level], input: input)
        let reader = try GzipReader(MemoryByteReader(compressed))
        var output: [UInt8] = []
        while true {
            let chunk = try reader.read(maxLength: 7919)
            if chunk.isEmpty { break }
            output += chunk
        }
        #expect(output.count == input.count)
        #expect(output == input)
    }

    @Test func inflatesConcatenatedMembersAndEmptyInput() throws {
        let first = try Scratch.run("/bin/gzip", ["-c"], input: Array("one ".utf8))
        let second = try Scratch.run("/bin/gzip", ["-c"], input: Array("two".utf8))
        #expect(try GzipReader(MemoryByteReader(first + second)).readAll() == Array("one two".utf8))
        let empty = try Scratch.run("/bin/gzip", ["-c"], input: [])
        #expect(try GzipReader(MemoryByteReader(empty)).readAll() == [])
    }

    @Test func detectsCorruptGzip() throws {
        var compressed = try Scratch.run("/bin/gzip", ["-c"], input: Array(String(repeating: "abc", count: 100).utf8))
        compressed[compressed.count - 6] ^= 0x55
        #expect(throws: ArchiveError.corrupt("gzip: checksum mismatch")) {
            try GzipReader(MemoryByteReader(compressed)).readAll()
        }
        #expect(throws: ArchiveError.self) { try GzipReader(MemoryByteReader(Array("plain".utf8))).readAll() }
        let truncated = Array(compressed.prefix(compressed.count / 2))
        #expect(throws: ArchiveError.self) { try GzipReader(MemoryByteReader(truncated)).readAll() }
    }
}

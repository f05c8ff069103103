/// One member of a tar archive, with pax and GNU extensions already applied (long names, long link names, sizes,
/// sub-second times, extended attributes).
public struct TarEntry: Hashable, Sendable {
    /// What the member is.
    public enum Kind: Hashable, Sendable {
        case regular, hardLink, symbolicLink, characterDevice, blockDevice, directory, fifo
    }

    public var name: String
    public var kind: Kind
    /// Permission bits with setuid/setgid/sticky (`0o7777`).
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    /// Content length (regular files only).
    public var size: Int64
    /// Modification time: seconds since the epoch ...
    public var modifiedSeconds: Int64
    /// ... and nanoseconds (from pax `mtime`).
    public var modifiedNanoseconds: Int32
    /// The target of a link.
    public var linkName: String
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// Extended attributes from pax `SCHILY.xattr.*` records.
    public var extendedAttributes: [String: [UInt8]]

    public init(
        name: String, kind: Kind, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0, size: Int64 = 0,
        modifiedSeconds: Int64 = 0, modifiedNanoseconds: Int32 = 0, linkName: String = "",
        deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0, extendedAttributes: [String: [UInt8]] = [:]
    ) {
        self.name = name
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.modifiedSeconds = modifiedSeconds
        self.modifiedNanoseconds = modifiedNanoseconds
        self.linkName = linkName
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.extendedAttributes = extendedAttributes
    }
}

/// Reads a tar stream (ustar, pax, GNU long names) entry by entry. After `next()` returns an entry, the reader
/// itself reads that entry's content; whatever is left unread is skipped by the following `next()`.
public final class TarReader: ByteReader {
    private let source: any ByteReader
    private var remaining: Int64 = 0
    private var padding = 0
    private var globalRecords: [String: String] = [:]
    private var pending: [UInt8] = []

    public init(_ source: any ByteReader) { self.source = source }

    /// The next entry, or nil at the end of the archive (two zero blocks, or the end of the input).
    public func next() throws -> TarEntry? {
        try skip(Int(remaining) + padding)
        remaining = 0
        padding = 0
        var records: [String: String] = [:]
        var longName: String?
        var longLink: String?
        while true {
            let header = try readBlock()
            guard let header else { return nil }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try verifyChecksum(header)
            let type = header[156]
            let size = try Self.number(header[124..<136])
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let parsed = try Self.paxRecords(try readMetadata(size: size))
                if type == UInt8(ascii: "g") {
                    globalRecords.merge(parsed) { $1 }
                } else {
                    records.merge(parsed) { $1 }
                }
            case UInt8(ascii: "L"):
                longName = Self.string(try readMetadata(size: size)[...])
            case UInt8(ascii: "K"):
                longLink = Self.string(try readMetadata(size: size)[...])
            default:
                var entry = try entry(from: header, type: type, size: size)
                if let longName { entry.name = longName }
                if let longLink { entry.linkName = longLink }
                try apply(globalRecords.merging(records) { $1 }, to: &entry)
                remaining = entry.kind == .regular ? entry.size : 0
                padding = Int((512 - remaining % 512) % 512)
                return entry
            }
        }
    }

    /// Reads the current entry's content.
    public func read(maxLength: Int) throws -> [UInt8] {
        guard remaining > 0 else { return [] }
        let chunk = try source.read(maxLength: Int(min(Int64(maxLength), remaining)))
        guard !chunk.isEmpty else { throw ArchiveError.corrupt("tar: unexpected end of archive") }
        remaining -= Int64(chunk.count)
        return chunk
    }

    private func readBlock() throws -> [UInt8]? {
        let block = try source.read(exactly: 512)
        if block.isEmpty { return nil }
        guard block.count == 512 else { throw ArchiveError.corrupt("tar: truncated header") }
        return block
    }

    private func readMetadata(size: Int64) throws -> [UInt8] {
        guard size < 1 << 24 else { throw ArchiveError.corrupt("tar: extended header too large") }
        let bytes = try source.read(exactly: Int(size))
        guard bytes.count == Int(size) else { throw ArchiveError.corrupt("tar: truncated extended header") }
        try source.skip(Int((512 - size % 512) % 512))
        return bytes
    }

    private func skip(_ count: Int) throws {
        guard count > 0 else { return }
        guard try source.skip(count) == count else { throw ArchiveError.corrupt("tar: unexpected end of archive") }
    }

    private func verifyChecksum(_ header: [UInt8]) throws {
        let recorded = try Self.number(header[148..<156])
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (index, byte) in header.enumerated() {
            let value = (148..<156).contains(index) ? 32 : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        guard recorded == unsigned || recorded == signed else { throw ArchiveError.corrupt("tar: bad header checksum") }
    }

    private func entry(from header: [UInt8], type: UInt8, size: Int64) throws -> TarEntry {
        let kind: TarEntry.Kind
        switch type {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .regular
        case UInt8(ascii: "1"): kind = .hardLink
        case UInt8(ascii: "2"): kind = .symbolicLink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        default: throw ArchiveError.corrupt("tar: unsupported entry type '\(Character(Unicode.Scalar(type)))'")
        }
        var name = Self.string(header[0..<100])
        let magic = Array(header[257..<263])
        // ustar ("ustar\0") has a name prefix; GNU ("ustar ") uses that space for other fields.
        if magic == Array("ustar\0".utf8) {
            let prefix = Self.string(header[345..<500])
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        if kind == .regular, name.hasSuffix("/"), type == 0 { return try directory(header, name: name) }
        return TarEntry(
            name: name, kind: kind, mode: UInt32(truncatingIfNeeded: try Self.number(header[100..<108])) & 0o7777,
            uid: Int(try Self.number(header[108..<116])), gid: Int(try Self.number(header[116..<124])),
            size: kind == .regular ? size : 0, modifiedSeconds: try Self.number(header[136..<148]),
            linkName: Self.string(header[157..<257]),
            deviceMajor: UInt32(truncatingIfNeeded: try Self.number(header[329..<337])),
            deviceMinor: UInt32(truncatingIfNeeded: try Self.number(header[337..<345])))
    }

    /// Old (pre-POSIX) archives mark directories with a trailing slash on a regular entry.
    private func directory(_ header: [UInt8], name: String) throws -> TarEntry {
        TarEntry(
            name: name, kind: .directory, mode: UInt32(truncatingIfNeeded: try Self.number(header[100..<108])) & 0o7777,
            uid: Int(try Self.number(header[108..<116])), gid: Int(try Self.number(header[116..<124])),
            modifiedSeconds: try Self.number(header[136..<148]))
    }

    private func apply(_ records: [String: String], to entry: inout TarEntry) throws {
        for (key, value) in records {
            switch key {
            case "path": entry.name = value
            case "linkpath": entry.linkName = value
            case "uid": entry.uid = Int(value) ?? entry.uid
            case "gid": entry.gid = Int(value) ?? entry.gid
            case "size":
                guard entry.kind == .regular, let size = Int64(value), size >= 0 else { continue }
                entry.size = size
            case "mtime":
                if let time = Self.paxTime(value) {
                    (entry.modifiedSeconds, entry.modifiedNanoseconds) = time
                }
            default:
                if key.hasPrefix("SCHILY.xattr.") {
                    entry.extendedAttributes[String(key.dropFirst("SCHILY.xattr.".count))] = Array(value.utf8)
                } else if key.hasPrefix("GNU.sparse.") {
                    throw ArchiveError.corrupt("tar: sparse files are not supported")
                }
            }
        }
    }

    /// `seconds[.fraction]`, possibly negative.
    static func paxTime(_ text: String) -> (seconds: Int64, nanoseconds: Int32)? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { return nil }
        guard parts.count == 2 else { return (seconds, 0) }
        let fraction = String(parts[1].prefix(9))
        let digits = fraction + String(repeating: "0", count: 9 - fraction.count)
        guard let nanoseconds = Int32(digits), digits.allSatisfy(\.isNumber) else { return nil }
        if text.hasPrefix("-"), nanoseconds > 0 { return (seconds - 1, 1_000_000_000 - nanoseconds) }
        return (seconds, nanoseconds)
    }

    /// pax records: `"<length> <key>=<value>\n"`, where the length counts the whole record.
    static func paxRecords(_ bytes: [UInt8]) throws -> [String: String] {
        var records: [String: String] = [:]
        var offset = 0
        while offset < bytes.count {
            guard let space = bytes[offset...].firstIndex(of: 32),
                let length = Int(String(decoding: bytes[offset..<space], as: UTF8.self)),
                length > space - offset, offset + length <= bytes.count, bytes[offset + length - 1] == 10
            else { throw ArchiveError.corrupt("tar: malformed pax record") }
            let record = bytes[(space + 1)..<(offset + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw ArchiveError.corrupt("tar: malformed pax record")
            }
            records[String(decoding: record[..<equals], as: UTF8.self)] = String(
                decoding: record[(equals + 1)...], as: UTF8.self)
            offset += length
        }
        return records
    }

    /// A NUL-terminated field.
    static func string(_ field: ArraySlice<UInt8>) -> String {
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[..<end], as: UTF8.self)
    }

    /// An octal field (space or NUL padded), or GNU base-256 when the high bit of the first byte is set.
    static func number(_ field: ArraySlice<UInt8>) throws -> Int64 {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            var value = Int64(first & 0x3F)
            if first & 0x40 != 0 { value -= 0x40 }
            for byte in field.dropFirst() {
                guard value.magnitude < 1 << 55 else { throw ArchiveError.corrupt("tar: number too large") }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                value = value * 8 + Int64(byte - UInt8(ascii: "0"))
                seenDigit = true
            case 0, 32:
                if seenDigit { return value }
            default:
                throw ArchiveError.corrupt("tar: invalid number field")
            }
        }
        return value
    }
}

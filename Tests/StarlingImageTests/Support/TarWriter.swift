import StarlingImage

/// Writes tar archives in memory for tests: ustar headers, with pax records or GNU `L`/`K` entries for names that
/// do not fit, pax `SCHILY.xattr.*` attributes and sub-second times.
struct TarWriter {
    enum LongNames { case pax, gnu }

    private(set) var bytes: [UInt8] = []
    var longNames: LongNames = .pax

    mutating func directory(
        _ name: String, mode: UInt32 = 0o755, uid: Int = 0, gid: Int = 0, mtime: Int64 = 1_700_000_000
    ) {
        append(TarEntry(name: name, kind: .directory, mode: mode, uid: uid, gid: gid, modifiedSeconds: mtime))
    }

    mutating func file(
        _ name: String, _ content: [UInt8], mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0,
        mtime: Int64 = 1_700_000_000, xattrs: [String: [UInt8]] = [:], nanoseconds: Int32 = 0
    ) {
        append(
            TarEntry(
                name: name, kind: .regular, mode: mode, uid: uid, gid: gid, size: Int64(content.count),
                modifiedSeconds: mtime, modifiedNanoseconds: nanoseconds, extendedAttributes: xattrs), content: content)
    }

    mutating func file(_ name: String, _ text: String, mode: UInt32 = 0o644) {
        file(name, Array(text.utf8), mode: mode)
    }

    mutating func symlink(_ name: String, to target: String) {
        append(TarEntry(name: name, kind: .symbolicLink, mode: 0o777, modifiedSeconds: 1_700_000_000, linkName: target))
    }

    mutating func hardLink(_ name: String, to target: String) {
        append(TarEntry(name: name, kind: .hardLink, mode: 0o644, linkName: target))
    }

    mutating func device(_ name: String, character: Bool, major: UInt32, minor: UInt32, mode: UInt32 = 0o666) {
        append(
            TarEntry(
                name: name, kind: character ? .characterDevice : .blockDevice, mode: mode, deviceMajor: major,
                deviceMinor: minor))
    }

    mutating func fifo(_ name: String) { append(TarEntry(name: name, kind: .fifo, mode: 0o600)) }

    /// Two zero blocks.
    mutating func finish() { bytes += [UInt8](repeating: 0, count: 1024) }

    func finished() -> [UInt8] {
        var copy = self
        copy.finish()
        return copy.bytes
    }

    mutating func append(_ entry: TarEntry, content: [UInt8] = []) {
        var name = entry.name
        var link = entry.linkName
        var records: [(String, String)] = []
        var prefix = ""
        if name.utf8.count > 100 {
            // ustar's prefix field first, when the name splits at a slash into ≤155 + ≤100 bytes.
            if let split = Self.ustarSplit(name), longNames == .pax, entry.extendedAttributes.isEmpty {
                (prefix, name) = split
            } else if longNames == .gnu {
                appendLong(type: "L", value: name)
                name = String(name.utf8.prefix(99))!
            } else {
                records.append(("path", name))
                name = String(name.utf8.prefix(99))!
            }
        }
        if link.utf8.count > 100 {
            if longNames == .gnu {
                appendLong(type: "K", value: link)
            } else {
                records.append(("linkpath", link))
            }
            link = String(link.utf8.prefix(99))!
        }
        for (key, value) in entry.extendedAttributes.sorted(by: { $0.key < $1.key }) {
            records.append(("SCHILY.xattr." + key, String(decoding: value, as: UTF8.self)))
        }
        if entry.modifiedNanoseconds != 0 {
            let fraction = String(entry.modifiedNanoseconds)
            records.append(
                ("mtime", "\(entry.modifiedSeconds).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"))
        }
        if !records.isEmpty {
            var data: [UInt8] = []
            for (key, value) in records { data += Self.paxRecord(key, value) }
            appendHeader(name: "PaxHeaders/" + String(name.prefix(80)), type: "x", size: data.count, entry: nil)
            appendContent(data)
        }
        let type: Character =
            switch entry.kind {
            case .regular: "0"
            case .hardLink: "1"
            case .symbolicLink: "2"
            case .characterDevice: "3"
            case .blockDevice: "4"
            case .directory: "5"
            case .fifo: "6"
            }
        appendHeader(name: name, type: type, size: content.count, entry: entry, link: link, prefix: prefix)
        appendContent(content)
    }

    private mutating func appendLong(type: Character, value: String) {
        let data = Array(value.utf8) + [0]
        appendHeader(name: "././@LongLink", type: type, size: data.count, entry: nil, gnu: true)
        appendContent(data)
    }

    private mutating func appendHeader(
        name: String, type: Character, size: Int, entry: TarEntry?, link: String = "", prefix: String = "",
        gnu: Bool = false
    ) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let text = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - text.count)) + text, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(entry?.mode ?? 0o644), at: 100, width: 8)
        octal(Int64(entry?.uid ?? 0), at: 108, width: 8)
        octal(Int64(entry?.gid ?? 0), at: 116, width: 8)
        octal(Int64(size), at: 124, width: 12)
        octal(entry?.modifiedSeconds ?? 0, at: 136, width: 12)
        header[156] = UInt8(ascii: type.unicodeScalars.first!)
        put(link, at: 157, width: 100)
        put(gnu || longNames == .gnu ? "ustar  " : "ustar\u{0}00", at: 257, width: 8)
        octal(Int64(entry?.deviceMajor ?? 0), at: 329, width: 8)
        octal(Int64(entry?.deviceMinor ?? 0), at: 337, width: 8)
        if !gnu, longNames != .gnu { put(prefix, at: 345, width: 155) }
        for index in 148..<156 { header[index] = 32 }
        let sum = header.reduce(0) { $0 + Int64($1) }
        octal(sum, at: 148, width: 7)
        header[155] = 32
        bytes += header
    }

    private mutating func appendContent(_ data: [UInt8]) {
        bytes += data
        bytes += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Array((String(length) + body).utf8)
    }

    static func ustarSplit(_ name: String) -> (String, String)? {
        let bytes = Array(name.utf8)
        for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/")
        {
            let prefix = bytes[..<index]
            let rest = bytes[(index + 1)...]
            if rest.count <= 100, !rest.isEmpty {
                return (String(decoding: prefix, as: UTF8.self), String(decoding: rest, as: UTF8.self))
            }
        }
        return nil
    }
}

/// Decompresses a gzip stream (RFC 1952), one or more members, checking each member's CRC-32 and length.
public final class GzipReader: ByteReader {
    private let bits: BitReader
    private var inflater: Inflater?
    private var crc = CRC32()
    private var memberLength: UInt32 = 0
    private var finished = false

    /// The gzip magic number: a stream that starts with it is compressed.
    public static let magic: [UInt8] = [0x1F, 0x8B]

    public init(_ source: any ByteReader) throws {
        bits = BitReader(source)
        guard try startMember() else { throw ArchiveError.corrupt("gzip: empty input") }
    }

    public func read(maxLength: Int) throws -> [UInt8] {
        while !finished {
            guard let inflater else { break }
            let chunk = try inflater.read(maxLength: maxLength)
            if !chunk.isEmpty {
                crc.update(chunk)
                memberLength &+= UInt32(truncatingIfNeeded: chunk.count)
                return chunk
            }
            try finishMember()
            if try !startMember() { finished = true }
        }
        return []
    }

    /// Reads a member header; false at the end of the input.
    private func startMember() throws -> Bool {
        guard let id1 = try bits.readAlignedByte() else { return false }
        let header = [id1] + (try bytes(9))
        guard header.count == 10, header[0] == 0x1F, header[1] == 0x8B else {
            throw ArchiveError.corrupt("gzip: bad magic number")
        }
        guard header[2] == 8 else { throw ArchiveError.corrupt("gzip: unknown compression method") }
        let flags = header[3]
        if flags & 4 != 0 {
            let length = try bytes(2)
            try skip(Int(length[0]) | Int(length[1]) << 8)
        }
        if flags & 8 != 0 { try skipZeroTerminated() }
        if flags & 16 != 0 { try skipZeroTerminated() }
        if flags & 2 != 0 { try skip(2) }
        inflater = Inflater(bits: bits)
        crc = CRC32()
        memberLength = 0
        return true
    }

    private func finishMember() throws {
        bits.alignToByte()
        let trailer = try bytes(8)
        let expectedCRC = trailer[0..<4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let expectedLength = trailer[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard expectedCRC == crc.value else { throw ArchiveError.corrupt("gzip: checksum mismatch") }
        guard expectedLength == memberLength else { throw ArchiveError.corrupt("gzip: length mismatch") }
        inflater = nil
    }

    private func bytes(_ count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        while result.count < count { result += try bits.readAlignedBytes(count - result.count) }
        return result
    }

    private func skip(_ count: Int) throws { _ = try bytes(count) }

    private func skipZeroTerminated() throws {
        while let byte = try bits.readAlignedByte() {
            if byte == 0 { return }
        }
        throw ArchiveError.corrupt("gzip: truncated header")
    }
}

/// CRC-32 as gzip computes it (polynomial 0xEDB88320, reflected).
struct CRC32 {
    private(set) var value: UInt32 = 0

    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        return crc
    }

    mutating func update(_ bytes: [UInt8]) {
        var crc = ~value
        Self.table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        value = ~crc
    }
}

/// A malformed archive, compressed stream or image layout.
public enum ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    case corrupt(String)
    case unsafePath(String)

    public var description: String {
        switch self {
        case .corrupt(let message): message
        case .unsafePath(let path): "archive entry escapes its root: \(path)"
        }
    }
}

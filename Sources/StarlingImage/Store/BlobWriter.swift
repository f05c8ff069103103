import Crypto
import Foundation
import NIOCore
import StarlingModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ContentDigest {
    /// The SHA-256 digest of `bytes`.
    public static func sha256<Bytes: DataProtocol>(of bytes: Bytes) -> ContentDigest {
        ContentDigest(sha256: SHA256.hash(data: bytes).hexString)
    }

    /// The SHA-256 digest of a file's content, read in chunks.
    public static func sha256(ofFile path: String) throws -> ContentDigest {
        let reader = try FileByteReader(path: path)
        var hasher = SHA256()
        while true {
            let chunk = try reader.read(maxLength: 1 << 20)
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return ContentDigest(sha256: hasher.finalize().hexString)
    }
}

extension Sequence<UInt8> {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 15)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Writes one blob into the store's ingest area, hashing as it goes. A partial file left by an interrupted
/// download is kept and continued (`offset` says how much is there), so a fetch can ask for the rest with `Range`.
/// `commit()` checks size and digest, then renames the file into `blobs/`: a blob under its digest is always whole.
public final class BlobWriter {
    /// What the blob must be.
    public let expected: Descriptor
    /// Bytes already written (including those found from an earlier attempt).
    public private(set) var offset: Int64 = 0
    private let partialPath: String
    private let finalPath: String
    private var descriptor: Int32
    private var hasher = SHA256()

    init(expected: Descriptor, partialPath: String, finalPath: String) throws {
        self.expected = expected
        self.partialPath = partialPath
        self.finalPath = finalPath
        descriptor = open(partialPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError.last("open", partialPath) }
        // Re-hash what an earlier attempt left; a partial file longer than the blob is garbage.
        let reader = try FileByteReader(path: partialPath)
        while true {
            let chunk = try reader.read(maxLength: 1 << 20)
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            offset += Int64(chunk.count)
        }
        if offset > expected.size { try restart() }
        guard lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else { throw FileSystemError.last("lseek", partialPath) }
    }

    deinit { close(descriptor) }

    /// Appends bytes; more than the descriptor's size is an error (the server sent something else).
    public func write<Bytes: DataProtocol>(_ bytes: Bytes) throws {
        for region in bytes.regions { try region.withUnsafeBytes { try write($0) } }
    }

    /// Appends a buffer's readable bytes.
    public func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try write($0) }
    }

    private func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard offset + Int64(buffer.count) <= expected.size else {
            throw StarlingError.internal(
                "blob \(expected.digest) is larger than its descriptor's size \(expected.size)")
        }
        var written = 0
        while written < buffer.count {
            let count = posixWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.last("write", partialPath)
            }
            written += count
        }
        hasher.update(bufferPointer: buffer)
        offset += Int64(buffer.count)
    }

    /// Starts over from an empty file (the server did not honour `Range`, or the partial content was bad).
    public func restart() throws {
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw FileSystemError.last("truncate", partialPath)
        }
        hasher = SHA256()
        offset = 0
    }

    /// Verifies size and digest and moves the blob into place; a mismatch discards the partial file.
    func commit() throws {
        let digest = ContentDigest(sha256: hasher.finalize().hexString)
        guard offset == expected.size, digest == expected.digest else {
            unlink(partialPath)
            if offset != expected.size {
                throw StarlingError.internal(
                    "blob \(expected.digest): got \(offset) bytes, expected \(expected.size)")
            }
            throw StarlingError.internal("digest mismatch: blob \(expected.digest) has digest \(digest)")
        }
        guard fsync(descriptor) == 0 else { throw FileSystemError.last("fsync", partialPath) }
        guard rename(partialPath, finalPath) == 0 else { throw FileSystemError.last("rename", partialPath) }
    }
}

import StarlingModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A synchronous source of bytes that the archive readers pull from (a file, a decompressor, a slice of memory).
/// Readers are used by one thread at a time; they are classes so that layered readers can share one source.
public protocol ByteReader: AnyObject {
    /// Up to `maxLength` bytes; an empty array only at the end of the input.
    func read(maxLength: Int) throws -> [UInt8]
}

extension ByteReader {
    /// Reads until `count` bytes or the end; fewer bytes only at the end.
    public func read(exactly count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let chunk = try read(maxLength: count - bytes.count)
            if chunk.isEmpty { break }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }

    /// Reads and drops `count` bytes; returns how many were there.
    @discardableResult
    public func skip(_ count: Int) throws -> Int {
        var skipped = 0
        while skipped < count {
            let chunk = try read(maxLength: min(count - skipped, 1 << 16))
            if chunk.isEmpty { break }
            skipped += chunk.count
        }
        return skipped
    }

    /// Everything up to the end.
    public func readAll() throws -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let chunk = try read(maxLength: 1 << 16)
            if chunk.isEmpty { return bytes }
            bytes.append(contentsOf: chunk)
        }
    }
}

/// Bytes held in memory.
public final class MemoryByteReader: ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(maxLength: Int) throws -> [UInt8] {
        let end = min(bytes.count, offset + maxLength)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// A file read through its descriptor, closed when the reader goes away.
public final class FileByteReader: ByteReader {
    private let descriptor: Int32
    public let path: String

    public init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError.last("open", path) }
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    public func read(maxLength: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: maxLength)
        while true {
            let count = bytes.withUnsafeMutableBytes { posixRead(descriptor, $0.baseAddress!, maxLength) }
            if count >= 0 {
                bytes.removeSubrange(count...)
                return bytes
            }
            if errno != EINTR { throw FileSystemError.last("read", path) }
        }
    }
}

/// A failed system call on a path, with the C library's description of `errno`.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var code: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }

    static func last(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(operation: operation, path: path, code: errno)
    }

    /// The same failure as the error type that crosses module boundaries.
    public var starlingError: StarlingError { .internal(description) }
}

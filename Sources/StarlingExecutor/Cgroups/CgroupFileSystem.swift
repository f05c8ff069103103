import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// The file operations cgroup management needs, so that the logic above them runs in tests without root or a real
/// cgroup file system.
public protocol CgroupFileSystem: Sendable {
    /// The whole file.
    func read(_ path: String) throws -> String
    /// Writes `value` with a single `write(2)`, as cgroup files require (no temporary file, no rename).
    func write(_ path: String, _ value: String) throws
    /// Creates the directory and any missing parents; succeeds if it exists.
    func createDirectory(_ path: String) throws
    /// Removes an empty directory (`rmdir(2)`; a cgroup with processes in it is "busy"); succeeds if it is gone.
    func removeDirectory(_ path: String) throws
    func fileExists(_ path: String) -> Bool
}

/// `CgroupFileSystem` on the real machine, with plain system calls.
public struct HostCgroupFileSystem: CgroupFileSystem {
    public init() {}

    public func read(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("cannot open \(path)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Self.failure("cannot read \(path)") }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func write(_ path: String, _ value: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("cannot open \(path)") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        var written = -1
        repeat {
            written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        } while written < 0 && errno == EINTR
        guard written == bytes.count else { throw Self.failure("cannot write '\(value)' to \(path)") }
    }

    public func createDirectory(_ path: String) throws {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw Self.failure("cannot create \(current)")
            }
        }
    }

    public func removeDirectory(_ path: String) throws {
        if rmdir(path) != 0 && errno != ENOENT { throw Self.failure("cannot remove \(path)") }
    }

    public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// An error that ends with the current `errno`'s text.
    static func failure(_ what: String) -> StarlingError {
        StarlingError.internal("\(what): \(String(cString: strerror(errno)))")
    }
}

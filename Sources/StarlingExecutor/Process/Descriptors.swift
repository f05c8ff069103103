import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// File descriptors that never leak into another process: every one made here is close-on-exec from the moment it
/// exists, and numbered above the standard streams so that `dup2` into 0–3 in a child never collides with them.
enum Descriptors {
    /// glibc's `pipe2` and `posix_spawn_file_actions_addclosefrom_np` are GNU extensions that Swift does not import;
    /// they are looked up at run time and used when present.
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    private static func lookUp<T>(_ name: String, as type: T.Type) -> T? {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    private static let pipe2 = lookUp("pipe2", as: Pipe2.self)
    private static let addCloseFrom = lookUp("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)

    /// A pipe whose ends are both close-on-exec.
    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if let pipe2 {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { throw HostCgroupFileSystem.failure("cannot create a pipe") }
        } else {
            // Without pipe2 a child spawned by another thread between pipe and fcntl could inherit the pipe.
            guard Glibc.pipe(&fds) == 0 else { throw HostCgroupFileSystem.failure("cannot create a pipe") }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        return (try aboveStandard(fds[0]), try aboveStandard(fds[1]))
    }

    /// `fd` itself if it is 4 or more, else a close-on-exec duplicate that is (and `fd` is closed).
    private static func aboveStandard(_ fd: Int32) throws -> Int32 {
        guard fd < 4 else { return fd }
        let duplicate = fcntl(fd, F_DUPFD_CLOEXEC, 4)
        close(fd)
        guard duplicate >= 0 else { throw HostCgroupFileSystem.failure("cannot duplicate a descriptor") }
        return duplicate
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Makes the child close every descriptor from 4 on, whatever the rest of the process left open without
    /// close-on-exec; a no-op where glibc lacks it (before 2.34).
    static func closeFrom4(_ actions: inout posix_spawn_file_actions_t) {
        _ = addCloseFrom?(&actions, 4)
    }

    /// Writes all of `bytes`, retrying after interruptions. Returns false on any other failure.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }
}

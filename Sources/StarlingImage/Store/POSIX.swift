#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `write(2)` under a name that methods called `write` do not shadow.
func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// `read(2)` under a name that methods called `read` do not shadow.
func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// `lsetxattr(2)`. Glibc's module map leaves out `<sys/xattr.h>`, so the C library's symbol is looked up at run
/// time. Returns -1 with `errno` set on failure, as the system call does.
func posixSetExtendedAttribute(_ path: String, _ name: String, _ value: [UInt8]) -> Int32 {
    typealias Function =
        @convention(c) (
            UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32
        ) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lsetxattr") else {
        errno = ENOSYS
        return -1
    }
    let function = unsafeBitCast(symbol, to: Function.self)
    return value.withUnsafeBytes { function(path, name, $0.baseAddress, value.count, 0) }
}

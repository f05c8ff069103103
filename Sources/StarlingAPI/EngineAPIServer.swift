import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StarlingModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Engine API served on one address, as a `Service` for the daemon's `ServiceGroup`.
///
/// For a unix socket it creates the parent directory, refuses to start if another daemon answers on the socket,
/// replaces a stale socket file, makes the socket mode 0660 and removes it on shutdown.
public struct EngineAPIServer: Service, CustomStringConvertible {
    public let address: EngineAddress
    private let backend: any EngineBackend
    private let forwarder: (any RequestForwarder)?
    private let logger: Logger
    private let onListening: @Sendable (EngineAddress) async -> Void

    /// - Parameter onListening: called once the server accepts connections, with the bound address (the real
    ///   port when `tcp://host:0` was asked for).
    public init(
        address: EngineAddress, backend: any EngineBackend, forwarder: (any RequestForwarder)? = nil, logger: Logger,
        onListening: @escaping @Sendable (EngineAddress) async -> Void = { _ in }
    ) {
        self.address = address
        self.backend = backend
        self.forwarder = forwarder
        self.logger = logger
        self.onListening = onListening
    }

    public var description: String { "EngineAPIServer(\(address))" }

    public func run() async throws {
        let bound = Mutex(false)
        if case .unix(let path) = address {
            try Self.prepareSocketPath(path)
        }
        defer {
            if case .unix(let path) = address, bound.withLock({ $0 }) {
                unlink(path)
            }
        }
        let address = address
        let logger = logger
        let onListening = onListening
        let application = Application(
            responder: EngineResponder(backend: backend, forwarder: forwarder),
            configuration: ApplicationConfiguration(address: Self.bindAddress(address)),
            onServerRunning: { channel in
                bound.withLock { $0 = true }
                var actual = address
                switch address {
                case .unix(let path):
                    if chmod(path, 0o660) != 0 {
                        logger.warning("could not set mode 0660 on \(path): errno \(errno)")
                    }
                case .tcp(let host, _):
                    actual = .tcp(host: host, port: channel.localAddress?.port ?? 0)
                }
                logger.info("Engine API listening on \(actual)")
                await onListening(actual)
            },
            logger: logger
        )
        try await application.run()
    }

    private static func bindAddress(_ address: EngineAddress) -> BindAddress {
        switch address {
        case .unix(let path): .unixDomainSocket(path: path)
        case .tcp(let host, let port): .hostname(host, port: port)
        }
    }

    /// Makes sure the socket can be bound: its directory exists, and whatever socket file is there is stale
    /// (NIO removes a stale socket file when it binds; a live one would be stolen from another daemon).
    static func prepareSocketPath(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw StarlingError.conflict("\(path) exists and is not a socket")
        }
        if Self.socketAnswers(path) {
            throw StarlingError.conflict("another daemon is already listening on unix://\(path)")
        }
    }

    /// True when something accepts connections on the unix socket at `path`.
    private static func socketAnswers(_ path: String) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}

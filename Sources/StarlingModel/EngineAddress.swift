/// Where a daemon's Engine API is: a unix socket (`unix:///run/starling/starling.sock`) or a TCP address
/// (`tcp://host:port`), as given to `-H` (the daemon's, where it listens; a command's, where it connects) or in
/// `STARLING_HOST` / `DOCKER_HOST`. `tcp://:2375` means 127.0.0.1; port 0 lets a listener pick one.
public enum EngineAddress: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// The socket a daemon listens on when not told otherwise.
    public static let defaultSocket = EngineAddress.unix(path: "/run/starling/starling.sock")

    /// Parses `unix:///path`, a bare absolute path, `tcp://host[:port]` or `http://host[:port]` (the port defaults
    /// to Docker's 2375).
    public init(parsing text: String) throws {
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/") else {
                throw StarlingError.invalidArgument(
                    "invalid daemon address '\(text)': the socket path must be absolute")
            }
            self = .unix(path: path)
        } else if text.hasPrefix("/") {
            self = .unix(path: text)
        } else if let scheme = ["tcp://", "http://"].first(where: text.hasPrefix) {
            let authority = text.dropFirst(scheme.count).split(separator: "/", maxSplits: 1).first ?? ""
            var host = Substring(authority)
            var port = 2375
            if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
                host = authority[..<colon]
                guard let number = Int(authority[authority.index(after: colon)...]), (0...65535).contains(number)
                else {
                    throw StarlingError.invalidArgument("invalid daemon address '\(text)': bad port")
                }
                port = number
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            self = .tcp(host: host.isEmpty ? "127.0.0.1" : String(host), port: port)
        } else {
            throw StarlingError.invalidArgument(
                "invalid daemon address '\(text)': expected unix:///path/to/socket or tcp://host:port")
        }
    }

    /// The address a command talks to: the explicit `-H` value, else `STARLING_HOST`, else `DOCKER_HOST` when it
    /// names a unix socket (a TCP `DOCKER_HOST` is most likely a real Docker engine), else the default socket.
    public static func resolve(explicit: String?, environment: [String: String]) throws -> EngineAddress {
        if let explicit, !explicit.isEmpty { return try EngineAddress(parsing: explicit) }
        if let starling = environment["STARLING_HOST"], !starling.isEmpty {
            return try EngineAddress(parsing: starling)
        }
        if let docker = environment["DOCKER_HOST"], docker.hasPrefix("unix://") {
            return try EngineAddress(parsing: docker)
        }
        return .defaultSocket
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix://\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }
}

import StarlingModel

/// Where the Engine API listens, parsed from a `-H` style string: `unix:///run/starling/starling.sock` or
/// `tcp://host:port` (`tcp://:2375` means 127.0.0.1; the port defaults to Docker's 2375).
public enum ListenAddress: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// The default daemon socket.
    public static let defaultSocket = ListenAddress.unix(path: "/run/starling/starling.sock")

    public init(parsing text: String) throws {
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/") else {
                throw StarlingError.invalidArgument(
                    "invalid listen address '\(text)': the socket path must be absolute")
            }
            self = .unix(path: path)
        } else if text.hasPrefix("/") {
            self = .unix(path: text)
        } else if text.hasPrefix("tcp://") {
            let hostPort = text.dropFirst("tcp://".count).split(separator: "/", maxSplits: 1).first ?? ""
            var host = Substring(hostPort)
            var port = 2375
            if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
                host = hostPort[..<colon]
                guard let number = Int(hostPort[hostPort.index(after: colon)...]), (0...65535).contains(number) else {
                    throw StarlingError.invalidArgument("invalid listen address '\(text)': bad port")
                }
                port = number
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            self = .tcp(host: host.isEmpty ? "127.0.0.1" : String(host), port: port)
        } else {
            throw StarlingError.invalidArgument(
                "invalid listen address '\(text)': expected unix:///path/to/socket or tcp://host:port")
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix://\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }
}

import GRPCCore
import GRPCNIOTransportHTTP2
import StarlingModel

/// A control-plane endpoint, `host:port` (`[v6]:port` for IPv6), as managers advertise it.
public struct ControlPlaneAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IP address or a DNS name (no brackets).
    public var host: String
    public var port: Int

    /// Docker's default swarm port.
    public static let defaultPort = 2377

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port`, or a bare host (which gets `defaultPort`).
    public init(parsing text: String, defaultPort: Int = ControlPlaneAddress.defaultPort) throws(StarlingError) {
        func port(_ text: Substring) throws(StarlingError) -> Int {
            guard let value = Int(text), (1...65535).contains(value) else {
                throw StarlingError.invalidArgument("invalid port in address '\(text)'")
            }
            return value
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw StarlingError.invalidArgument("invalid address '\(text)': missing ']'")
            }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                self.init(host: host, port: defaultPort)
            } else if rest.hasPrefix(":") {
                self.init(host: host, port: try port(rest.dropFirst()))
            } else {
                throw StarlingError.invalidArgument("invalid address '\(text)'")
            }
            return
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.lastIndex(of: ":") {
            self.init(host: String(text[..<colon]), port: try port(text[text.index(after: colon)...]))
        } else {
            // No port, or a bare IPv6 address.
            self.init(host: text, port: defaultPort)
        }
        guard !host.isEmpty else { throw StarlingError.invalidArgument("invalid address '\(text)': no host") }
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private var isIPv6: Bool { host.contains(":") }
    private var isIPv4: Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Where a server binds.
    var socketAddress: GRPCNIOTransportCore.SocketAddress {
        isIPv6 ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
    }

    /// What a client resolves.
    var target: any ResolvableTarget {
        if isIPv6 { return .ipv6(address: host, port: port) }
        if isIPv4 { return .ipv4(address: host, port: port) }
        return .dns(host: host, port: port)
    }
}

extension ControlPlaneAddress {
    /// The address a server transport is bound to, once it listens (useful with port 0).
    public init(listeningOn transport: HTTP2ServerTransport.Posix) async throws(StarlingError) {
        let address: GRPCNIOTransportCore.SocketAddress
        do {
            address = try await transport.listeningAddress
        } catch {
            throw StarlingError.unavailable("the control-plane server is not listening: \(error)")
        }
        if let ipv4 = address.ipv4 {
            self.init(host: ipv4.host, port: ipv4.port)
        } else if let ipv6 = address.ipv6 {
            self.init(host: ipv6.host, port: ipv6.port)
        } else {
            throw StarlingError.internal("the control-plane server listens on a non-IP address (\(address))")
        }
    }
}

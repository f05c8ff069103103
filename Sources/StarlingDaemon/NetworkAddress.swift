import Foundation
import StarlingModel

/// `host:port` parsing and the choice of an address to advertise.
enum NetworkAddress {
    /// Splits `host:port` (IPv6 in brackets); a missing port takes `defaultPort`.
    static func split(_ address: String, defaultPort: Int) throws -> (host: String, port: Int) {
        var host = address
        var port = defaultPort
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else {
                throw StarlingError.invalidArgument("invalid address \(address)")
            }
            host = String(address[address.index(after: address.startIndex)..<close])
            let rest = address[address.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let p = Int(rest.dropFirst()) else {
                    throw StarlingError.invalidArgument("invalid port in \(address)")
                }
                port = p
            }
        } else if let colon = address.lastIndex(of: ":"), address.firstIndex(of: ":") == colon {
            host = String(address[..<colon])
            guard let p = Int(address[address.index(after: colon)...]), (0...65535).contains(p) else {
                throw StarlingError.invalidArgument("invalid port in \(address)")
            }
            port = p
        }
        return (host, port)
    }

    /// The IPv4 addresses of this network namespace's interfaces, loopback excluded.
    static func interfaceAddresses() -> [String] {
        var result: [String] = []
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let flags = Int32(bitPattern: entry.pointee.ifa_flags)
            guard flags & Int32(IFF_LOOPBACK) == 0, flags & Int32(IFF_UP) != 0 else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var a = sin.pointee.sin_addr
                _ = inet_ntop(AF_INET, &a, &text, socklen_t(INET_ADDRSTRLEN))
            }
            result.append(
                String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return result
    }

    /// The local address the kernel would use to reach `host` (a UDP "connect", which sends nothing).
    static func localAddress(toward host: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(9).bigEndian)
        guard inet_pton(AF_INET, host, &remote.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        _ = inet_ntop(AF_INET, &local.sin_addr, &text, socklen_t(INET_ADDRSTRLEN))
        return String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address to advertise for a node that listens on `listen`: the explicit one if given; otherwise the
    /// listen host if it is specific; otherwise the only interface address, or loopback on a machine without one.
    static func advertise(explicit: String?, listen: String, toward remote: String? = nil) throws -> String {
        let (listenHost, listenPort) = try split(listen, defaultPort: 4242)
        if let explicit, !explicit.isEmpty {
            let (host, port) = try split(explicit, defaultPort: listenPort)
            return "\(host):\(port)"
        }
        if listenHost != "0.0.0.0", listenHost != "::", !listenHost.isEmpty {
            return "\(listenHost):\(listenPort)"
        }
        if let remote, let (remoteHost, _) = try? split(remote, defaultPort: 4242),
            let local = localAddress(toward: remoteHost)
        {
            return "\(local):\(listenPort)"
        }
        let candidates = interfaceAddresses()
        if candidates.count == 1 { return "\(candidates[0]):\(listenPort)" }
        if candidates.isEmpty { return "127.0.0.1:\(listenPort)" }
        throw StarlingError.invalidArgument(
            "could not choose an IP address to advertise since this system has multiple addresses (\(candidates.joined(separator: ", "))) - specify one with --advertise-addr"
        )
    }
}

import Foundation
import StarlingModel

/// How a node talks to registries: which ones may be reached over plain HTTP, and how many layers download at
/// once (dockerd's `insecure-registries` and `max-concurrent-downloads`).
public struct RegistryConfiguration: Hashable, Sendable {
    /// `host`, `host:port` or IPv4 CIDRs (`10.0.0.0/8`). Loopback (`localhost`, `127.0.0.0/8`, `::1`) is always
    /// insecure, as in Docker.
    public var insecureRegistries: [String]
    /// Layers fetched concurrently per pull (dockerd's default: 3).
    public var maxConcurrentDownloads: Int
    /// Attempts per blob when the connection breaks; each continues where the last one stopped when the
    /// registry honours `Range`.
    public var blobAttempts: Int

    public init(insecureRegistries: [String] = [], maxConcurrentDownloads: Int = 3, blobAttempts: Int = 5) {
        self.insecureRegistries = insecureRegistries
        self.maxConcurrentDownloads = max(1, maxConcurrentDownloads)
        self.blobAttempts = max(1, blobAttempts)
    }

    /// Whether `domain` (an image name's registry, `host[:port]`) may be reached over plain HTTP. Host names other
    /// than `localhost` are not resolved: list them by name.
    public func isInsecure(_ domain: String) -> Bool {
        let host = Self.host(of: domain)
        if host == "localhost" || host == "::1" { return true }
        if let address = Self.ipv4(host), address >> 24 == 127 { return true }
        for entry in insecureRegistries {
            if entry == domain || entry == host { return true }
            if let slash = entry.firstIndex(of: "/"), let network = Self.ipv4(String(entry[..<slash])),
                let bits = Int(entry[entry.index(after: slash)...]), (0...32).contains(bits),
                let address = Self.ipv4(host)
            {
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
                if address & mask == network & mask { return true }
            }
        }
        return false
    }

    /// The host the distribution API lives on: Docker Hub's images are served by `registry-1.docker.io`.
    public static func apiHost(for domain: String) -> String {
        domain == ImageName.defaultDomain ? "registry-1.docker.io" : domain
    }

    static func host(of domain: String) -> String {
        if domain.hasPrefix("["), let close = domain.firstIndex(of: "]") {
            return String(domain[domain.index(after: domain.startIndex)..<close])
        }
        return String(domain.prefix { $0 != ":" })
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}

/// An error answer of the distribution API (`{"errors": [{"code": "MANIFEST_UNKNOWN", "message": ...}]}`).
public struct RegistryErrorBody: Hashable, Sendable, Decodable {
    /// One entry.
    public struct Entry: Hashable, Sendable, Decodable {
        public var code: String
        public var message: String?
    }

    public var errors: [Entry]

    /// How Docker's errcode prints: `manifest unknown: manifest unknown`.
    static func describe(_ entry: Entry) -> String {
        let code = entry.code.lowercased().replacingOccurrences(of: "_", with: " ")
        return code + ": " + (entry.message ?? code)
    }
}

import Foundation

/// The version of a stored object (`Version.Index` on the wire).
///
/// Every change to an object gives it a higher index; clients send the index they read back with an update
/// (`?version=`), and the update is refused if the object changed since (optimistic concurrency, as in Docker).
public struct ObjectVersion: Codable, Hashable, Sendable, Comparable {
    public var index: UInt64

    public init(index: UInt64) { self.index = index }

    public static func < (lhs: ObjectVersion, rhs: ObjectVersion) -> Bool { lhs.index < rhs.index }

    enum CodingKeys: String, CodingKey { case index = "Index" }
}

/// The hardware architecture and operating system of a node or an image.
public struct Platform: Codable, Hashable, Sendable {
    /// For example `x86_64` (nodes report Go-style names through `NodeDescription`, as Docker does).
    public var architecture: String?
    /// For example `linux`.
    public var os: String?

    public init(architecture: String? = nil, os: String? = nil) {
        self.architecture = architecture
        self.os = os
    }

    enum CodingKeys: String, CodingKey {
        case architecture = "Architecture"
        case os = "OS"
    }
}

/// A user-defined resource a node advertises or a task requests: a count (`SSD=3`) or a named unit (`GPU=UUID1`).
public enum GenericResource: Codable, Hashable, Sendable {
    case discrete(kind: String, value: Int64)
    case named(kind: String, value: String)

    private struct Named: Codable, Hashable {
        var Kind: String
        var Value: String
    }

    private struct Discrete: Codable, Hashable {
        var Kind: String
        var Value: Int64
    }

    private enum CodingKeys: String, CodingKey {
        case named = "NamedResourceSpec"
        case discrete = "DiscreteResourceSpec"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let discrete = try container.decodeIfPresent(Discrete.self, forKey: .discrete) {
            self = .discrete(kind: discrete.Kind, value: discrete.Value)
        } else if let named = try container.decodeIfPresent(Named.self, forKey: .named) {
            self = .named(kind: named.Kind, value: named.Value)
        } else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "a generic resource needs NamedResourceSpec or DiscreteResourceSpec"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .discrete(let kind, let value):
            try container.encode(Discrete(Kind: kind, Value: value), forKey: .discrete)
        case .named(let kind, let value):
            try container.encode(Named(Kind: kind, Value: value), forKey: .named)
        }
    }
}

/// Resources a node advertises or a task reserves or is limited to.
public struct Resources: Codable, Hashable, Sendable {
    /// CPU in units of 10⁻⁹ CPUs.
    public var nanoCPUs: Int64?
    public var memoryBytes: Int64?
    public var genericResources: [GenericResource]?

    public init(nanoCPUs: Int64? = nil, memoryBytes: Int64? = nil, genericResources: [GenericResource]? = nil) {
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
        self.genericResources = genericResources
    }

    enum CodingKeys: String, CodingKey {
        case nanoCPUs = "NanoCPUs"
        case memoryBytes = "MemoryBytes"
        case genericResources = "GenericResources"
    }
}

/// Information about the issuer of leaf certificates and the trusted root CA certificate.
public struct TLSInfo: Codable, Hashable, Sendable {
    /// The root CA certificate, PEM.
    public var trustRoot: String?
    /// Base64 (URL-safe alphabet, padded) of the issuer's raw subject bytes.
    public var certIssuerSubject: String?
    /// Base64 of the issuer's raw SubjectPublicKeyInfo bytes.
    public var certIssuerPublicKey: String?

    public init(trustRoot: String? = nil, certIssuerSubject: String? = nil, certIssuerPublicKey: String? = nil) {
        self.trustRoot = trustRoot
        self.certIssuerSubject = certIssuerSubject
        self.certIssuerPublicKey = certIssuerPublicKey
    }

    enum CodingKeys: String, CodingKey {
        case trustRoot = "TrustRoot"
        case certIssuerSubject = "CertIssuerSubject"
        case certIssuerPublicKey = "CertIssuerPublicKey"
    }
}

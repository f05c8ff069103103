import Foundation
import StarlingModel

/// A reference to content by digest (OCI content descriptor): what it is, where it is, how big it is.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: ContentDigest
    public var size: Int64
    /// Optional: the platform of a manifest in an index or manifest list.
    public var platform: ImagePlatform?
    /// Optional: annotations (`org.opencontainers.image.ref.name`, `io.containerd.image.name`).
    public var annotations: [String: String]?
    /// Optional: other places the content may be fetched from (foreign layers).
    public var urls: [String]?

    public init(
        mediaType: String, digest: ContentDigest, size: Int64, platform: ImagePlatform? = nil,
        annotations: [String: String]? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// A platform as OCI images record it: `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`.
public struct ImagePlatform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    /// Optional: the CPU variant (`v7`, `v8`).
    public var variant: String?
    /// Optional: the OS version (Windows).
    public var osVersion: String?

    public init(os: String, architecture: String, variant: String? = nil, osVersion: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
    }

    /// Parses `os/arch[/variant]` (`docker pull --platform`), normalised.
    public init(parsing text: String) throws(StarlingError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw .invalidArgument("\"\(text)\": unknown operating system or architecture: invalid argument")
        }
        self =
            ImagePlatform(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
            .normalized
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    enum CodingKeys: String, CodingKey {
        case os
        case architecture
        case variant
        case osVersion = "os.version"
    }
}

/// The fields of a manifest or index that tell which of the four kinds a document is.
struct ManifestKindProbe: Decodable {
    var schemaVersion: Int?
    var mediaType: String?
    var manifests: [Descriptor]?
    var layers: [Descriptor]?
    var config: Descriptor?
}

/// An image manifest: a config and the layers, bottom first (Docker v2 schema 2 or OCI).
public struct ImageManifest: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    /// Optional in OCI, required in Docker's format.
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String? = MediaType.ociManifest, config: Descriptor, layers: [Descriptor]) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
    }
}

/// A manifest list (Docker) or image index (OCI): one manifest per platform.
public struct ImageIndex: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String? = MediaType.ociIndex, manifests: [Descriptor]) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
    }
}

/// A document fetched by a manifest reference: either a single-platform manifest or an index.
public enum ManifestDocument: Hashable, Sendable {
    case manifest(ImageManifest)
    case index(ImageIndex)

    /// Decodes `bytes` using the media type the registry sent (`Content-Type`) or, when it is missing or generic,
    /// the document's own `mediaType` field or shape (OCI makes `mediaType` optional).
    public init(decoding bytes: [UInt8], contentType: String? = nil) throws(StarlingError) {
        let data = Data(bytes)
        let probe: ManifestKindProbe
        do {
            probe = try StarlingJSON.decoder().decode(ManifestKindProbe.self, from: data)
        } catch {
            throw .invalidArgument("invalid manifest: \(error)")
        }
        let declared = [contentType.map(Self.bareMediaType), probe.mediaType].compactMap { $0 }
            .first { Self.knownTypes.contains($0) }
        let isIndex: Bool
        switch declared {
        case MediaType.dockerManifestList, MediaType.ociIndex: isIndex = true
        case MediaType.dockerManifest, MediaType.ociManifest: isIndex = false
        default:
            if probe.schemaVersion == 1 {
                throw .invalidArgument(
                    "unsupported manifest format: Docker Image manifest version 2, schema 1 is no longer supported")
            }
            guard probe.manifests != nil || probe.config != nil else {
                throw .invalidArgument("unsupported manifest media type \(contentType ?? probe.mediaType ?? "")")
            }
            isIndex = probe.manifests != nil
        }
        do {
            if isIndex {
                self = .index(try StarlingJSON.decoder().decode(ImageIndex.self, from: data))
            } else {
                self = .manifest(try StarlingJSON.decoder().decode(ImageManifest.self, from: data))
            }
        } catch {
            throw .invalidArgument("invalid manifest: \(error)")
        }
    }

    /// The media types a client accepts for a manifest request, most specific first.
    public static let acceptedTypes = [
        MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest,
    ]
    private static let knownTypes = Set(acceptedTypes)

    /// `application/json; charset=utf-8` → `application/json`.
    static func bareMediaType(_ value: String) -> String {
        value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace() } ?? value
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

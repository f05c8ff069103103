import StarlingModel

/// The query of `POST /services/{id}/update` besides `version`, checked at the edge.
public struct ServiceUpdateOptions: Hashable, Sendable {
    /// Where the registry credentials of the updated spec come from (`?registryAuthFrom=`).
    public enum RegistryAuthSource: String, Hashable, Sendable {
        case spec
        case previousSpec = "previous-spec"
    }

    /// `?rollback=previous`: go back to `PreviousSpec` instead of applying the body.
    public enum Rollback: String, Hashable, Sendable {
        case none
        case previous
    }

    public var registryAuthFrom: RegistryAuthSource
    public var rollback: Rollback
    /// The `X-Registry-Auth` header, if any.
    public var registryAuth: String?

    public init(
        registryAuthFrom: RegistryAuthSource = .spec, rollback: Rollback = .none, registryAuth: String? = nil
    ) {
        self.registryAuthFrom = registryAuthFrom
        self.rollback = rollback
        self.registryAuth = registryAuth
    }
}

/// Whose logs `EngineBackend.logs` reads: every task of a service, or one task. The ID is resolved.
public enum TaskLogSelector: Hashable, Sendable {
    case service(id: String)
    case task(id: String)
}

/// One entry of a task's log, as a node recorded it: usually one line with its newline.
public struct TaskLogEntry: Hashable, Sendable {
    /// Which output stream of the task wrote it.
    public enum Stream: String, Hashable, Sendable {
        case stdout
        case stderr
    }

    public var time: Timestamp
    public var stream: Stream
    public var nodeID: String
    public var serviceID: String
    public var taskID: String
    /// The bytes as the task wrote them.
    public var line: [UInt8]
    /// Further details the log driver recorded, shown with `details=1` beside the swarm context.
    public var attributes: [String: String]

    public init(
        time: Timestamp, stream: Stream, nodeID: String, serviceID: String, taskID: String, line: [UInt8],
        attributes: [String: String] = [:]
    ) {
        self.time = time
        self.stream = stream
        self.nodeID = nodeID
        self.serviceID = serviceID
        self.taskID = taskID
        self.line = line
        self.attributes = attributes
    }
}

/// The answer of `GET /distribution/{name}/json`: the manifest the image's tag points to and the platforms it
/// serves. The docker CLI pins `Image` to `name:tag@<Digest>` and sets `Placement.Platforms` from it.
public struct DistributionInspect: Codable, Hashable, Sendable {
    /// The manifest (or index) of the image.
    public struct Descriptor: Codable, Hashable, Sendable {
        public var mediaType: String
        public var digest: String
        public var size: Int64

        public init(mediaType: String, digest: String, size: Int64) {
            self.mediaType = mediaType
            self.digest = digest
            self.size = size
        }
    }

    /// An OCI platform: lower-case keys, as dockerd writes them.
    public struct ImagePlatform: Codable, Hashable, Sendable {
        public var architecture: String
        public var os: String

        public init(architecture: String, os: String) {
            self.architecture = architecture
            self.os = os
        }
    }

    public var descriptor: Descriptor
    public var platforms: [ImagePlatform]

    public init(descriptor: Descriptor, platforms: [ImagePlatform]) {
        self.descriptor = descriptor
        self.platforms = platforms
    }

    enum CodingKeys: String, CodingKey {
        case descriptor = "Descriptor"
        case platforms = "Platforms"
    }
}

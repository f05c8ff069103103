import Foundation
import StarlingModel

/// An image's configuration blob (Docker's image JSON, the OCI image config): the platform, the defaults for
/// containers (`config`), and the uncompressed layer digests (`rootfs.diff_ids`), bottom first.
public struct ImageConfig: Codable, Hashable, Sendable {
    public var architecture: String
    public var os: String
    /// Optional: `v7`, `v8`.
    public var variant: String?
    /// Optional: RFC 3339 time the image was built, as written.
    public var created: String?
    public var author: String?
    /// Optional: the container defaults. Absent in some minimal images.
    public var config: ContainerDefaults?
    public var rootfs: RootFS
    public var history: [History]?

    public init(
        platform: ImagePlatform, config: ContainerDefaults? = nil, diffIDs: [ContentDigest], created: String? = nil,
        history: [History]? = nil
    ) {
        self.architecture = platform.architecture
        self.os = platform.os
        self.variant = platform.variant
        self.config = config
        self.rootfs = RootFS(diffIDs: diffIDs)
        self.created = created
        self.history = history
    }

    public var platform: ImagePlatform { ImagePlatform(os: os, architecture: architecture, variant: variant) }

    /// The layers' uncompressed digests.
    public struct RootFS: Codable, Hashable, Sendable {
        /// Always `layers`.
        public var type: String
        public var diffIDs: [ContentDigest]

        public init(diffIDs: [ContentDigest]) {
            self.type = "layers"
            self.diffIDs = diffIDs
        }

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    /// One build step; `emptyLayer` steps (ENV, CMD...) added no layer.
    public struct History: Codable, Hashable, Sendable {
        public var created: String?
        public var createdBy: String?
        public var comment: String?
        public var emptyLayer: Bool?

        public init(created: String? = nil, createdBy: String? = nil, comment: String? = nil, emptyLayer: Bool? = nil) {
            self.created = created
            self.createdBy = createdBy
            self.comment = comment
            self.emptyLayer = emptyLayer
        }

        enum CodingKeys: String, CodingKey {
            case created
            case createdBy = "created_by"
            case comment
            case emptyLayer = "empty_layer"
        }
    }

    /// Decodes a config blob.
    public static func decode(_ bytes: [UInt8]) throws(StarlingError) -> ImageConfig {
        do {
            return try JSONDecoder().decode(ImageConfig.self, from: Data(bytes))
        } catch {
            throw .invalidArgument("invalid image config: \(error)")
        }
    }
}

/// What an image says about the containers made from it (the `config` object of an image config, Docker's
/// capitalised keys). Every field is optional.
public struct ContainerDefaults: Codable, Hashable, Sendable {
    /// `user`, `user:group`, `uid:gid`.
    public var user: String?
    /// `80/tcp`, `53/udp`, sorted.
    public var exposedPorts: [String]?
    /// `KEY=value`.
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var workingDir: String?
    public var labels: [String: String]?
    /// `SIGTERM`, `15`.
    public var stopSignal: String?
    public var healthcheck: HealthConfig?
    /// Paths declared with `VOLUME`, sorted.
    public var volumes: [String]?
    public var shell: [String]?
    public var argsEscaped: Bool?
    public var onBuild: [String]?

    public init(
        user: String? = nil, exposedPorts: [String]? = nil, env: [String]? = nil, entrypoint: [String]? = nil,
        cmd: [String]? = nil, workingDir: String? = nil, labels: [String: String]? = nil, stopSignal: String? = nil,
        healthcheck: HealthConfig? = nil, volumes: [String]? = nil
    ) {
        self.user = user
        self.exposedPorts = exposedPorts
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.workingDir = workingDir
        self.labels = labels
        self.stopSignal = stopSignal
        self.healthcheck = healthcheck
        self.volumes = volumes
    }

    enum CodingKeys: String, CodingKey {
        case user = "User"
        case exposedPorts = "ExposedPorts"
        case env = "Env"
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case workingDir = "WorkingDir"
        case labels = "Labels"
        case stopSignal = "StopSignal"
        case healthcheck = "Healthcheck"
        case volumes = "Volumes"
        case shell = "Shell"
        case argsEscaped = "ArgsEscaped"
        case onBuild = "OnBuild"
    }

    /// `{}`: the value in Docker's sets (`ExposedPorts`, `Volumes`).
    private struct Empty: Codable, Hashable {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        exposedPorts = try container.decodeIfPresent([String: Empty].self, forKey: .exposedPorts)?.keys.sorted()
        env = try container.decodeIfPresent([String].self, forKey: .env)
        entrypoint = try container.decodeIfPresent([String].self, forKey: .entrypoint)
        cmd = try container.decodeIfPresent([String].self, forKey: .cmd)
        workingDir = try container.decodeIfPresent(String.self, forKey: .workingDir)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels)
        stopSignal = try container.decodeIfPresent(String.self, forKey: .stopSignal)
        healthcheck = try container.decodeIfPresent(HealthConfig.self, forKey: .healthcheck)
        volumes = try container.decodeIfPresent([String: Empty].self, forKey: .volumes)?.keys.sorted()
        shell = try container.decodeIfPresent([String].self, forKey: .shell)
        argsEscaped = try container.decodeIfPresent(Bool.self, forKey: .argsEscaped)
        onBuild = try container.decodeIfPresent([String].self, forKey: .onBuild)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(user, forKey: .user)
        try container.encodeIfPresent(
            exposedPorts.map { Dictionary(uniqueKeysWithValues: $0.map { ($0, Empty()) }) }, forKey: .exposedPorts)
        try container.encodeIfPresent(env, forKey: .env)
        try container.encodeIfPresent(entrypoint, forKey: .entrypoint)
        try container.encodeIfPresent(cmd, forKey: .cmd)
        try container.encodeIfPresent(workingDir, forKey: .workingDir)
        try container.encodeIfPresent(labels, forKey: .labels)
        try container.encodeIfPresent(stopSignal, forKey: .stopSignal)
        try container.encodeIfPresent(healthcheck, forKey: .healthcheck)
        try container.encodeIfPresent(
            volumes.map { Dictionary(uniqueKeysWithValues: $0.map { ($0, Empty()) }) }, forKey: .volumes)
        try container.encodeIfPresent(shell, forKey: .shell)
        try container.encodeIfPresent(argsEscaped, forKey: .argsEscaped)
        try container.encodeIfPresent(onBuild, forKey: .onBuild)
    }
}

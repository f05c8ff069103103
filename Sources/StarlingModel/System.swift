import Foundation

/// This node's view of the swarm, in `GET /info`'s `Swarm` field.
public struct SwarmInfo: Codable, Hashable, Sendable {
    public enum LocalNodeState: String, Codable, Hashable, Sendable {
        case inactive
        case pending
        case active
        case error
        case locked
    }

    public struct PeerNode: Codable, Hashable, Sendable {
        public var nodeID: String
        public var addr: String

        public init(nodeID: String, addr: String) {
            self.nodeID = nodeID
            self.addr = addr
        }

        enum CodingKeys: String, CodingKey {
            case nodeID = "NodeID"
            case addr = "Addr"
        }
    }

    public var nodeID: String
    public var nodeAddr: String
    public var localNodeState: LocalNodeState
    /// True on managers: the docker CLI's `stack deploy` requires it.
    public var controlAvailable: Bool
    public var error: String
    public var remoteManagers: [PeerNode]?
    public var nodes: Int?
    public var managers: Int?
    public var cluster: Swarm?

    public init(
        nodeID: String = "", nodeAddr: String = "", localNodeState: LocalNodeState = .inactive,
        controlAvailable: Bool = false, error: String = "", remoteManagers: [PeerNode]? = nil, nodes: Int? = nil,
        managers: Int? = nil, cluster: Swarm? = nil
    ) {
        self.nodeID = nodeID
        self.nodeAddr = nodeAddr
        self.localNodeState = localNodeState
        self.controlAvailable = controlAvailable
        self.error = error
        self.remoteManagers = remoteManagers
        self.nodes = nodes
        self.managers = managers
        self.cluster = cluster
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "NodeID"
        case nodeAddr = "NodeAddr"
        case localNodeState = "LocalNodeState"
        case controlAvailable = "ControlAvailable"
        case error = "Error"
        case remoteManagers = "RemoteManagers"
        case nodes = "Nodes"
        case managers = "Managers"
        case cluster = "Cluster"
    }
}

/// `GET /info`: the subset of Docker's `SystemInfo` that Starling fills in. Fields a client reads but Starling has
/// no value for are sent as zero values, as Docker does when they are unset.
public struct SystemInfo: Codable, Hashable, Sendable {
    public var id: String
    public var containers: Int
    public var containersRunning: Int
    public var containersPaused: Int
    public var containersStopped: Int
    public var images: Int
    public var driver: String
    public var name: String
    public var serverVersion: String
    public var operatingSystem: String
    public var osType: String
    public var osVersion: String
    public var architecture: String
    public var kernelVersion: String
    public var ncpu: Int
    public var memTotal: Int64
    public var dockerRootDir: String
    public var labels: [String]
    public var experimentalBuild: Bool
    public var cgroupDriver: String
    public var cgroupVersion: String
    public var defaultRuntime: String
    public var swarm: SwarmInfo
    public var warnings: [String]?

    public init(
        id: String, containers: Int = 0, containersRunning: Int = 0, containersPaused: Int = 0,
        containersStopped: Int = 0, images: Int = 0, driver: String = "overlay2", name: String,
        serverVersion: String, operatingSystem: String, osType: String = "linux", osVersion: String = "",
        architecture: String, kernelVersion: String, ncpu: Int, memTotal: Int64, dockerRootDir: String,
        labels: [String], experimentalBuild: Bool = false, cgroupDriver: String = "cgroupfs",
        cgroupVersion: String = "1", defaultRuntime: String = "process", swarm: SwarmInfo, warnings: [String]? = nil
    ) {
        self.id = id
        self.containers = containers
        self.containersRunning = containersRunning
        self.containersPaused = containersPaused
        self.containersStopped = containersStopped
        self.images = images
        self.driver = driver
        self.name = name
        self.serverVersion = serverVersion
        self.operatingSystem = operatingSystem
        self.osType = osType
        self.osVersion = osVersion
        self.architecture = architecture
        self.kernelVersion = kernelVersion
        self.ncpu = ncpu
        self.memTotal = memTotal
        self.dockerRootDir = dockerRootDir
        self.labels = labels
        self.experimentalBuild = experimentalBuild
        self.cgroupDriver = cgroupDriver
        self.cgroupVersion = cgroupVersion
        self.defaultRuntime = defaultRuntime
        self.swarm = swarm
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case containers = "Containers"
        case containersRunning = "ContainersRunning"
        case containersPaused = "ContainersPaused"
        case containersStopped = "ContainersStopped"
        case images = "Images"
        case driver = "Driver"
        case name = "Name"
        case serverVersion = "ServerVersion"
        case operatingSystem = "OperatingSystem"
        case osType = "OSType"
        case osVersion = "OSVersion"
        case architecture = "Architecture"
        case kernelVersion = "KernelVersion"
        case ncpu = "NCPU"
        case memTotal = "MemTotal"
        case dockerRootDir = "DockerRootDir"
        case labels = "Labels"
        case experimentalBuild = "ExperimentalBuild"
        case cgroupDriver = "CgroupDriver"
        case cgroupVersion = "CgroupVersion"
        case defaultRuntime = "DefaultRuntime"
        case swarm = "Swarm"
        case warnings = "Warnings"
    }
}

/// `GET /version`.
public struct SystemVersion: Codable, Hashable, Sendable {
    public struct PlatformName: Codable, Hashable, Sendable {
        public var name: String
        public init(name: String) { self.name = name }
        enum CodingKeys: String, CodingKey { case name = "Name" }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        }
    }

    public struct Component: Codable, Hashable, Sendable {
        public var name: String
        public var version: String
        public var details: [String: String]?

        public init(name: String, version: String, details: [String: String]? = nil) {
            self.name = name
            self.version = version
            self.details = details
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case version = "Version"
            case details = "Details"
        }
    }

    public var platform: PlatformName
    public var components: [Component]
    public var version: String
    public var apiVersion: String
    public var minAPIVersion: String
    public var gitCommit: String
    public var goVersion: String
    public var os: String
    public var arch: String
    public var kernelVersion: String
    public var experimental: Bool?
    public var buildTime: String

    public init(
        platform: PlatformName, components: [Component], version: String, apiVersion: String,
        minAPIVersion: String, gitCommit: String, goVersion: String, os: String, arch: String,
        kernelVersion: String, experimental: Bool? = nil, buildTime: String
    ) {
        self.platform = platform
        self.components = components
        self.version = version
        self.apiVersion = apiVersion
        self.minAPIVersion = minAPIVersion
        self.gitCommit = gitCommit
        self.goVersion = goVersion
        self.os = os
        self.arch = arch
        self.kernelVersion = kernelVersion
        self.experimental = experimental
        self.buildTime = buildTime
    }

    enum CodingKeys: String, CodingKey {
        case platform = "Platform"
        case components = "Components"
        case version = "Version"
        case apiVersion = "ApiVersion"
        case minAPIVersion = "MinAPIVersion"
        case gitCommit = "GitCommit"
        case goVersion = "GoVersion"
        case os = "Os"
        case arch = "Arch"
        case kernelVersion = "KernelVersion"
        case experimental = "Experimental"
        case buildTime = "BuildTime"
    }
}

/// Versions Starling speaks.
public enum StarlingVersion {
    /// The version of the Starling binaries.
    public static let version = "0.1.0"
    /// The highest Engine API version served. The docker CLI negotiates `min(its own, this)`; never advertise a
    /// version that is not served (see docker-api-surface.md, x04).
    public static let apiVersion = "1.41"
    /// The lowest Engine API version accepted in a `/vX.Y/` prefix.
    public static let minAPIVersion = "1.24"
}

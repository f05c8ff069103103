import Foundation

/// The cluster object (`GET /swarm`): the swarm's identity, its settings and, for managers, the join tokens.
/// `GET /info` shows the same object without `JoinTokens` (`ClusterInfo` in the Engine API).
public struct Swarm: Codable, Hashable, Sendable {
    public var id: String
    public var version: ObjectVersion
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var spec: SwarmSpec
    public var tlsInfo: TLSInfo?
    public var rootRotationInProgress: Bool
    public var dataPathPort: UInt32
    public var defaultAddrPool: [String]
    public var subnetSize: UInt32
    /// Present in `GET /swarm` only; `nil` in `/info`'s `Cluster`.
    public var joinTokens: JoinTokens?

    public init(
        id: String, version: ObjectVersion, createdAt: Timestamp, updatedAt: Timestamp, spec: SwarmSpec,
        tlsInfo: TLSInfo? = nil, rootRotationInProgress: Bool = false, dataPathPort: UInt32 = 4789,
        defaultAddrPool: [String] = ["10.0.0.0/8"], subnetSize: UInt32 = 24, joinTokens: JoinTokens? = nil
    ) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
        self.tlsInfo = tlsInfo
        self.rootRotationInProgress = rootRotationInProgress
        self.dataPathPort = dataPathPort
        self.defaultAddrPool = defaultAddrPool
        self.subnetSize = subnetSize
        self.joinTokens = joinTokens
    }

    /// The same object without the join tokens, as `/info` shows it.
    public var withoutJoinTokens: Swarm {
        var copy = self
        copy.joinTokens = nil
        return copy
    }

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case version = "Version"
        case createdAt = "CreatedAt"
        case updatedAt = "UpdatedAt"
        case spec = "Spec"
        case tlsInfo = "TLSInfo"
        case rootRotationInProgress = "RootRotationInProgress"
        case dataPathPort = "DataPathPort"
        case defaultAddrPool = "DefaultAddrPool"
        case subnetSize = "SubnetSize"
        case joinTokens = "JoinTokens"
    }
}

/// The tokens a new node presents to join as a worker or as a manager.
public struct JoinTokens: Codable, Hashable, Sendable {
    public var worker: String
    public var manager: String

    public init(worker: String, manager: String) {
        self.worker = worker
        self.manager = manager
    }

    enum CodingKeys: String, CodingKey {
        case worker = "Worker"
        case manager = "Manager"
    }
}

/// User-modifiable swarm settings. Only the parts Starling acts on are typed in detail; the Raft and CA sections
/// are kept so the docker CLI's `swarm update` round-trips them.
public struct SwarmSpec: Codable, Hashable, Sendable {
    public struct Orchestration: Codable, Hashable, Sendable {
        /// Tasks kept per slot (or per node for global services); Docker's default is 5.
        public var taskHistoryRetentionLimit: Int64?
        public init(taskHistoryRetentionLimit: Int64? = 5) {
            self.taskHistoryRetentionLimit = taskHistoryRetentionLimit
        }
        enum CodingKeys: String, CodingKey { case taskHistoryRetentionLimit = "TaskHistoryRetentionLimit" }
    }

    public struct Raft: Codable, Hashable, Sendable {
        public var snapshotInterval: UInt64?
        public var keepOldSnapshots: UInt64?
        public var logEntriesForSlowFollowers: UInt64?
        public var electionTick: Int?
        public var heartbeatTick: Int?

        public init(
            snapshotInterval: UInt64? = 10000, keepOldSnapshots: UInt64? = 0,
            logEntriesForSlowFollowers: UInt64? = 500, electionTick: Int? = 10, heartbeatTick: Int? = 1
        ) {
            self.snapshotInterval = snapshotInterval
            self.keepOldSnapshots = keepOldSnapshots
            self.logEntriesForSlowFollowers = logEntriesForSlowFollowers
            self.electionTick = electionTick
            self.heartbeatTick = heartbeatTick
        }

        enum CodingKeys: String, CodingKey {
            case snapshotInterval = "SnapshotInterval"
            case keepOldSnapshots = "KeepOldSnapshots"
            case logEntriesForSlowFollowers = "LogEntriesForSlowFollowers"
            case electionTick = "ElectionTick"
            case heartbeatTick = "HeartbeatTick"
        }
    }

    public struct Dispatcher: Codable, Hashable, Sendable {
        /// The base heartbeat period in nanoseconds. Starling's default is 500 ms (Docker's is 5 s): a node is down
        /// after three missed periods. The period actually handed to agents grows with the number of nodes.
        public var heartbeatPeriod: Int64?
        public init(heartbeatPeriod: Int64? = 500_000_000) { self.heartbeatPeriod = heartbeatPeriod }
        enum CodingKeys: String, CodingKey { case heartbeatPeriod = "HeartbeatPeriod" }
    }

    public struct CAConfig: Codable, Hashable, Sendable {
        /// An external CA that signs node certificates (kept so `swarm update` round-trips it; Starling signs itself).
        public struct ExternalCA: Codable, Hashable, Sendable {
            public var `protocol`: String?
            public var url: String?
            public var options: [String: String]?
            public var caCert: String?

            enum CodingKeys: String, CodingKey {
                case `protocol` = "Protocol"
                case url = "URL"
                case options = "Options"
                case caCert = "CACert"
            }
        }

        /// Validity of node certificates in nanoseconds (Docker's default: 90 days).
        public var nodeCertExpiry: Int64?
        public var externalCAs: [ExternalCA]?
        public var signingCACert: String?
        public var signingCAKey: String?
        public var forceRotate: UInt64?

        public init(nodeCertExpiry: Int64? = 7_776_000_000_000_000, forceRotate: UInt64? = nil) {
            self.nodeCertExpiry = nodeCertExpiry
            self.forceRotate = forceRotate
        }

        enum CodingKeys: String, CodingKey {
            case nodeCertExpiry = "NodeCertExpiry"
            case externalCAs = "ExternalCAs"
            case signingCACert = "SigningCACert"
            case signingCAKey = "SigningCAKey"
            case forceRotate = "ForceRotate"
        }
    }

    public struct EncryptionConfig: Codable, Hashable, Sendable {
        public var autoLockManagers: Bool
        public init(autoLockManagers: Bool = false) { self.autoLockManagers = autoLockManagers }
        enum CodingKeys: String, CodingKey { case autoLockManagers = "AutoLockManagers" }
    }

    public struct TaskDefaults: Codable, Hashable, Sendable {
        /// The log driver new tasks use when their service names none.
        public struct LogDriver: Codable, Hashable, Sendable {
            public var name: String?
            public var options: [String: String]?

            enum CodingKeys: String, CodingKey {
                case name = "Name"
                case options = "Options"
            }
        }

        public var logDriver: LogDriver?

        public init(logDriver: LogDriver? = nil) { self.logDriver = logDriver }

        enum CodingKeys: String, CodingKey { case logDriver = "LogDriver" }
    }

    public var name: String
    public var labels: [String: String]
    public var orchestration: Orchestration?
    public var raft: Raft
    public var dispatcher: Dispatcher?
    public var caConfig: CAConfig?
    public var encryptionConfig: EncryptionConfig
    public var taskDefaults: TaskDefaults

    public init(
        name: String = "default", labels: [String: String] = [:], orchestration: Orchestration? = .init(),
        raft: Raft = .init(), dispatcher: Dispatcher? = .init(), caConfig: CAConfig? = .init(),
        encryptionConfig: EncryptionConfig = .init(), taskDefaults: TaskDefaults = .init()
    ) {
        self.name = name
        self.labels = labels
        self.orchestration = orchestration
        self.raft = raft
        self.dispatcher = dispatcher
        self.caConfig = caConfig
        self.encryptionConfig = encryptionConfig
        self.taskDefaults = taskDefaults
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case labels = "Labels"
        case orchestration = "Orchestration"
        case raft = "Raft"
        case dispatcher = "Dispatcher"
        case caConfig = "CAConfig"
        case encryptionConfig = "EncryptionConfig"
        case taskDefaults = "TaskDefaults"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "default"
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        orchestration = try c.decodeIfPresent(Orchestration.self, forKey: .orchestration)
        raft = try c.decodeIfPresent(Raft.self, forKey: .raft) ?? .init()
        dispatcher = try c.decodeIfPresent(Dispatcher.self, forKey: .dispatcher)
        caConfig = try c.decodeIfPresent(CAConfig.self, forKey: .caConfig)
        encryptionConfig = try c.decodeIfPresent(EncryptionConfig.self, forKey: .encryptionConfig) ?? .init()
        taskDefaults = try c.decodeIfPresent(TaskDefaults.self, forKey: .taskDefaults) ?? .init()
    }
}

/// `POST /swarm/init`.
public struct SwarmInitRequest: Codable, Hashable, Sendable {
    public var listenAddr: String?
    public var advertiseAddr: String?
    public var dataPathAddr: String?
    public var dataPathPort: UInt32?
    public var defaultAddrPool: [String]?
    public var forceNewCluster: Bool?
    public var subnetSize: UInt32?
    public var spec: SwarmSpec?

    public init(listenAddr: String? = nil, advertiseAddr: String? = nil, spec: SwarmSpec? = nil) {
        self.listenAddr = listenAddr
        self.advertiseAddr = advertiseAddr
        self.spec = spec
    }

    enum CodingKeys: String, CodingKey {
        case listenAddr = "ListenAddr"
        case advertiseAddr = "AdvertiseAddr"
        case dataPathAddr = "DataPathAddr"
        case dataPathPort = "DataPathPort"
        case defaultAddrPool = "DefaultAddrPool"
        case forceNewCluster = "ForceNewCluster"
        case subnetSize = "SubnetSize"
        case spec = "Spec"
    }
}

/// `POST /swarm/join`.
public struct SwarmJoinRequest: Codable, Hashable, Sendable {
    public var listenAddr: String?
    public var advertiseAddr: String?
    public var dataPathAddr: String?
    public var remoteAddrs: [String]
    public var joinToken: String

    public init(listenAddr: String? = nil, advertiseAddr: String? = nil, remoteAddrs: [String], joinToken: String) {
        self.listenAddr = listenAddr
        self.advertiseAddr = advertiseAddr
        self.remoteAddrs = remoteAddrs
        self.joinToken = joinToken
    }

    enum CodingKeys: String, CodingKey {
        case listenAddr = "ListenAddr"
        case advertiseAddr = "AdvertiseAddr"
        case dataPathAddr = "DataPathAddr"
        case remoteAddrs = "RemoteAddrs"
        case joinToken = "JoinToken"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listenAddr = try c.decodeIfPresent(String.self, forKey: .listenAddr)
        advertiseAddr = try c.decodeIfPresent(String.self, forKey: .advertiseAddr)
        dataPathAddr = try c.decodeIfPresent(String.self, forKey: .dataPathAddr)
        remoteAddrs = try c.decodeIfPresent([String].self, forKey: .remoteAddrs) ?? []
        joinToken = try c.decodeIfPresent(String.self, forKey: .joinToken) ?? ""
    }
}

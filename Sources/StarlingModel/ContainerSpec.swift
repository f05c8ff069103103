import Foundation

/// What a task runs: the image or executable, its arguments, environment, mounts and security settings. Encodes
/// exactly as the Engine API's `ContainerSpec`; every field is optional, as on the wire.
///
/// Durations are integer nanoseconds. The docker CLI puts the command in `Args` (`--entrypoint` goes to `Command`);
/// the python SDK puts it in `Command`.
public struct ContainerSpec: Codable, Hashable, Sendable {
    /// The image reference, possibly pinned to a digest (`busybox:latest@sha256:...`). Process tasks may leave it out.
    public var image: String?
    public var labels: [String: String]?
    /// Replaces the image's entrypoint.
    public var command: [String]?
    /// Replaces the image's command.
    public var args: [String]?
    public var hostname: String?
    /// `NAME=value` entries.
    public var env: [String]?
    /// The working directory.
    public var dir: String?
    public var user: String?
    /// Additional groups of the user.
    public var groups: [String]?
    public var privileges: Privileges?
    /// Run an init process (`--init`) that forwards signals and reaps zombies.
    public var useInit: Bool?
    public var stopSignal: String?
    public var tty: Bool?
    public var openStdin: Bool?
    /// Mount the root file system read-only.
    public var readOnly: Bool?
    public var mounts: [Mount]?
    /// Nanoseconds between the stop signal and SIGKILL.
    public var stopGracePeriod: Int64?
    public var healthcheck: HealthConfig?
    /// Extra `/etc/hosts` entries, `IP hostname [alias...]`.
    public var hosts: [String]?
    public var dnsConfig: DNSConfig?
    public var secrets: [SecretReference]?
    public var configs: [ConfigReference]?
    /// `default`, `process` or `hyperv` (Windows); dockerd reports `default`.
    public var isolation: String?
    public var sysctls: [String: String]?
    public var capabilityAdd: [String]?
    public var capabilityDrop: [String]?
    public var ulimits: [Ulimit]?

    public init(
        image: String? = nil, labels: [String: String]? = nil, command: [String]? = nil, args: [String]? = nil,
        env: [String]? = nil, dir: String? = nil, user: String? = nil, mounts: [Mount]? = nil,
        stopGracePeriod: Int64? = nil, healthcheck: HealthConfig? = nil
    ) {
        self.image = image
        self.labels = labels
        self.command = command
        self.args = args
        self.env = env
        self.dir = dir
        self.user = user
        self.mounts = mounts
        self.stopGracePeriod = stopGracePeriod
        self.healthcheck = healthcheck
    }

    enum CodingKeys: String, CodingKey {
        case image = "Image"
        case labels = "Labels"
        case command = "Command"
        case args = "Args"
        case hostname = "Hostname"
        case env = "Env"
        case dir = "Dir"
        case user = "User"
        case groups = "Groups"
        case privileges = "Privileges"
        case useInit = "Init"
        case stopSignal = "StopSignal"
        case tty = "TTY"
        case openStdin = "OpenStdin"
        case readOnly = "ReadOnly"
        case mounts = "Mounts"
        case stopGracePeriod = "StopGracePeriod"
        /// dockerd and its clients spell it `Healthcheck`; the v1.41 document says `HealthCheck`. Keys are matched
        /// case-insensitively under a `ServiceSpec`, so both decode.
        case healthcheck = "Healthcheck"
        case hosts = "Hosts"
        case dnsConfig = "DNSConfig"
        case secrets = "Secrets"
        case configs = "Configs"
        case isolation = "Isolation"
        case sysctls = "Sysctls"
        case capabilityAdd = "CapabilityAdd"
        case capabilityDrop = "CapabilityDrop"
        case ulimits = "Ulimits"
    }

    /// Security options of the task's processes.
    public struct Privileges: Codable, Hashable, Sendable {
        /// Windows credential specs; kept so a spec round-trips.
        public struct CredentialSpec: Codable, Hashable, Sendable {
            public var config: String?
            public var file: String?
            public var registry: String?

            public init(config: String? = nil, file: String? = nil, registry: String? = nil) {
                self.config = config
                self.file = file
                self.registry = registry
            }

            enum CodingKeys: String, CodingKey {
                case config = "Config"
                case file = "File"
                case registry = "Registry"
            }
        }

        /// SELinux labels of the task's processes.
        public struct SELinuxContext: Codable, Hashable, Sendable {
            public var disable: Bool?
            public var user: String?
            public var role: String?
            public var type: String?
            public var level: String?

            public init(
                disable: Bool? = nil, user: String? = nil, role: String? = nil, type: String? = nil,
                level: String? = nil
            ) {
                self.disable = disable
                self.user = user
                self.role = role
                self.type = type
                self.level = level
            }

            enum CodingKeys: String, CodingKey {
                case disable = "Disable"
                case user = "User"
                case role = "Role"
                case type = "Type"
                case level = "Level"
            }
        }

        /// API 1.46; the docker CLI may send it. `Mode` is `default`, `unconfined` or `custom` (with `Profile`).
        public struct Seccomp: Codable, Hashable, Sendable {
            public var mode: String?
            /// The custom profile's JSON, base64 on the wire.
            public var profile: String?

            public init(mode: String? = nil, profile: String? = nil) {
                self.mode = mode
                self.profile = profile
            }

            enum CodingKeys: String, CodingKey {
                case mode = "Mode"
                case profile = "Profile"
            }
        }

        /// API 1.46; the docker CLI may send it. `Mode` is `default` or `disabled`.
        public struct AppArmor: Codable, Hashable, Sendable {
            public var mode: String?

            public init(mode: String? = nil) { self.mode = mode }

            enum CodingKeys: String, CodingKey { case mode = "Mode" }
        }

        public var credentialSpec: CredentialSpec?
        public var seLinuxContext: SELinuxContext?
        /// Not in v1.41, but stack deploy with the docker CLI 28 sends it (`"NoNewPrivileges":false`).
        public var noNewPrivileges: Bool?
        public var seccomp: Seccomp?
        public var appArmor: AppArmor?

        public init(
            credentialSpec: CredentialSpec? = nil, seLinuxContext: SELinuxContext? = nil,
            noNewPrivileges: Bool? = nil, seccomp: Seccomp? = nil, appArmor: AppArmor? = nil
        ) {
            self.credentialSpec = credentialSpec
            self.seLinuxContext = seLinuxContext
            self.noNewPrivileges = noNewPrivileges
            self.seccomp = seccomp
            self.appArmor = appArmor
        }

        enum CodingKeys: String, CodingKey {
            case credentialSpec = "CredentialSpec"
            case seLinuxContext = "SELinuxContext"
            case noNewPrivileges = "NoNewPrivileges"
            case seccomp = "Seccomp"
            case appArmor = "AppArmor"
        }
    }

    /// The task's resolver configuration (`/etc/resolv.conf`).
    public struct DNSConfig: Codable, Hashable, Sendable {
        public var nameservers: [String]?
        public var search: [String]?
        public var options: [String]?

        public init(nameservers: [String]? = nil, search: [String]? = nil, options: [String]? = nil) {
            self.nameservers = nameservers
            self.search = search
            self.options = options
        }

        enum CodingKeys: String, CodingKey {
            case nameservers = "Nameservers"
            case search = "Search"
            case options = "Options"
        }
    }

    /// Where a secret or config appears in the task's file system.
    public struct FileTarget: Codable, Hashable, Sendable {
        /// The file name, relative to `/run/secrets/` for secrets; configs may give an absolute path.
        public var name: String?
        public var uid: String?
        public var gid: String?
        /// Permission bits, for example 292 (0444).
        public var mode: UInt32?

        public init(name: String? = nil, uid: String? = nil, gid: String? = nil, mode: UInt32? = nil) {
            self.name = name
            self.uid = uid
            self.gid = gid
            self.mode = mode
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case uid = "UID"
            case gid = "GID"
            case mode = "Mode"
        }
    }

    /// A secret the task may read.
    public struct SecretReference: Codable, Hashable, Sendable {
        public var file: FileTarget?
        public var secretID: String?
        public var secretName: String?

        public init(file: FileTarget? = nil, secretID: String? = nil, secretName: String? = nil) {
            self.file = file
            self.secretID = secretID
            self.secretName = secretName
        }

        enum CodingKeys: String, CodingKey {
            case file = "File"
            case secretID = "SecretID"
            case secretName = "SecretName"
        }
    }

    /// A config the task may read: as a file, or (`Runtime`, for Windows credential specs) handed to the runtime.
    public struct ConfigReference: Codable, Hashable, Sendable {
        /// An empty object on the wire.
        public struct RuntimeTarget: Codable, Hashable, Sendable {
            public init() {}
        }

        public var file: FileTarget?
        public var runtime: RuntimeTarget?
        public var configID: String?
        public var configName: String?

        public init(
            file: FileTarget? = nil, runtime: RuntimeTarget? = nil, configID: String? = nil, configName: String? = nil
        ) {
            self.file = file
            self.runtime = runtime
            self.configID = configID
            self.configName = configName
        }

        enum CodingKeys: String, CodingKey {
            case file = "File"
            case runtime = "Runtime"
            case configID = "ConfigID"
            case configName = "ConfigName"
        }
    }

    /// A resource limit of the task's processes (`setrlimit`), for example `nofile`.
    public struct Ulimit: Codable, Hashable, Sendable {
        public var name: String?
        public var soft: Int64?
        public var hard: Int64?

        public init(name: String? = nil, soft: Int64? = nil, hard: Int64? = nil) {
            self.name = name
            self.soft = soft
            self.hard = hard
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case soft = "Soft"
            case hard = "Hard"
        }
    }
}

/// A task's health check. Durations are nanoseconds; absent or 0 means the default (30 s interval, 30 s timeout,
/// 3 retries, no start period).
public struct HealthConfig: Codable, Hashable, Sendable {
    /// `[]` inherits the image's check, `["NONE"]` disables it, `["CMD", args...]` runs a command,
    /// `["CMD-SHELL", command]` runs it with the shell.
    public var test: [String]?
    public var interval: Int64?
    public var timeout: Int64?
    /// Consecutive failures before the task counts as unhealthy.
    public var retries: Int?
    /// Failures during this period after start do not count.
    public var startPeriod: Int64?
    /// API 1.44: the interval during the start period.
    public var startInterval: Int64?

    public init(
        test: [String]? = nil, interval: Int64? = nil, timeout: Int64? = nil, retries: Int? = nil,
        startPeriod: Int64? = nil, startInterval: Int64? = nil
    ) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
        self.startInterval = startInterval
    }

    enum CodingKeys: String, CodingKey {
        case test = "Test"
        case interval = "Interval"
        case timeout = "Timeout"
        case retries = "Retries"
        case startPeriod = "StartPeriod"
        case startInterval = "StartInterval"
    }
}

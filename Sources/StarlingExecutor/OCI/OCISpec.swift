/// The part of an OCI runtime spec (`config.json`, runtime-spec 1.0.2) that Starling writes into a container's
/// bundle. Field names and omissions follow the spec's Go types (`specs-go`): optional fields are left out when
/// unset. Only what Starling sets is modelled; runc and crun fill in the rest with their defaults.
public struct OCISpec: Codable, Sendable, Equatable {
    /// The spec version the bundle complies with.
    public static let version = "1.0.2"

    public var ociVersion: String
    public var process: Process
    public var root: Root
    /// Optional: absent when the container shares the host's UTS namespace.
    public var hostname: String?
    /// In mount order.
    public var mounts: [Mount]
    public var linux: Linux

    public init(process: Process, root: Root, hostname: String?, mounts: [Mount], linux: Linux) {
        self.ociVersion = Self.version
        self.process = process
        self.root = root
        self.hostname = hostname
        self.mounts = mounts
        self.linux = linux
    }

    /// The container's main process.
    public struct Process: Codable, Sendable, Equatable {
        /// Whether the process gets a pseudo-terminal (`ContainerSpec.TTY`).
        public var terminal: Bool
        public var user: User
        public var args: [String]
        public var env: [String]
        public var cwd: String
        public var capabilities: Capabilities
        /// Optional.
        public var rlimits: [Rlimit]?
        public var noNewPrivileges: Bool

        public init(
            terminal: Bool, user: User, args: [String], env: [String], cwd: String, capabilities: Capabilities,
            rlimits: [Rlimit]?, noNewPrivileges: Bool
        ) {
            self.terminal = terminal
            self.user = user
            self.args = args
            self.env = env
            self.cwd = cwd
            self.capabilities = capabilities
            self.rlimits = rlimits
            self.noNewPrivileges = noNewPrivileges
        }
    }

    /// Who the process runs as, numerically (names are resolved in the root file system beforehand).
    public struct User: Codable, Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        /// Optional: the supplementary groups.
        public var additionalGids: [UInt32]?

        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32]? = nil) {
            self.uid = uid
            self.gid = gid
            self.additionalGids = additionalGids
        }
    }

    /// The process's capability sets. Docker leaves the inheritable set empty (since 20.10.14, CVE-2022-24769) and
    /// sets no ambient capabilities; a process that does not run as root gets only the bounding set, as after an
    /// `execve` by a non-root user.
    public struct Capabilities: Codable, Sendable, Equatable {
        public var bounding: [String]
        /// Optional: absent for a non-root user.
        public var effective: [String]?
        /// Optional: absent for a non-root user.
        public var permitted: [String]?

        public init(_ capabilities: [String], root: Bool = true) {
            bounding = capabilities
            effective = root ? capabilities : nil
            permitted = root ? capabilities : nil
        }
    }

    /// One `setrlimit` of the process.
    public struct Rlimit: Codable, Sendable, Equatable {
        /// `RLIMIT_NOFILE`.
        public var type: String
        public var hard: UInt64
        public var soft: UInt64

        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }

    /// The root file system.
    public struct Root: Codable, Sendable, Equatable {
        /// The host path of the (already mounted) root file system.
        public var path: String
        /// Optional: left out unless true.
        public var readonly: Bool?

        public init(path: String, readonly: Bool?) {
            self.path = path
            self.readonly = readonly
        }
    }

    /// One mount, applied in order after the root file system.
    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String
        public var type: String
        public var source: String
        /// Optional: mount(8) options, plus `bind`/`rbind` and the propagation for bind mounts.
        public var options: [String]?

        public init(destination: String, type: String, source: String, options: [String]?) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    /// Linux-specific configuration.
    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace]
        public var maskedPaths: [String]
        public var readonlyPaths: [String]
        public var resources: Resources
        /// Optional: the cgroup, relative to each hierarchy's root (`/starling/<task>`).
        public var cgroupsPath: String?
        /// Optional: namespaced kernel parameters.
        public var sysctl: [String: String]?
        /// Optional: `shared` or `rslave` when a bind mount needs it, as Docker sets it.
        public var rootfsPropagation: String?

        public init(
            namespaces: [Namespace], maskedPaths: [String], readonlyPaths: [String], resources: Resources,
            cgroupsPath: String?, sysctl: [String: String]?, rootfsPropagation: String?
        ) {
            self.namespaces = namespaces
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
            self.resources = resources
            self.cgroupsPath = cgroupsPath
            self.sysctl = sysctl
            self.rootfsPropagation = rootfsPropagation
        }
    }

    /// A namespace the container gets: a new one, or the one at `path`.
    public struct Namespace: Codable, Sendable, Equatable {
        /// `pid`, `network`, `mount`, `ipc`, `uts`, `user`, `cgroup`.
        public var type: String
        /// Optional: join this namespace instead of creating one.
        public var path: String?

        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// cgroup settings.
    public struct Resources: Codable, Sendable, Equatable {
        /// The device cgroup rules, in order (the first denies everything).
        public var devices: [DeviceRule]
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?

        public init(devices: [DeviceRule], memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil) {
            self.devices = devices
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
        }
    }

    /// One device cgroup rule.
    public struct DeviceRule: Codable, Sendable, Equatable {
        public var allow: Bool
        /// Optional: `c`, `b` or `a`; every type when absent.
        public var type: String?
        /// Optional: every major number when absent.
        public var major: Int64?
        /// Optional: every minor number when absent.
        public var minor: Int64?
        /// `r`, `w`, `m` in any combination.
        public var access: String

        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    /// Memory limits in bytes.
    public struct Memory: Codable, Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        /// Memory plus swap.
        public var swap: Int64?

        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
        }
    }

    /// CPU weight and CFS bandwidth.
    public struct CPU: Codable, Sendable, Equatable {
        public var shares: UInt64?
        /// Microseconds per period.
        public var quota: Int64?
        /// Microseconds.
        public var period: UInt64?

        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
        }
    }

    /// The process count limit.
    public struct Pids: Codable, Sendable, Equatable {
        public var limit: Int64

        public init(limit: Int64) { self.limit = limit }
    }
}

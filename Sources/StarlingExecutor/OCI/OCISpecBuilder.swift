import StarlingImage
import StarlingModel

/// A task to run as a container: its `ContainerSpec`, its resources and its image's defaults.
public struct ContainerTask: Sendable, Equatable {
    /// The task's ID; the container is named after it. Required.
    public var id: String
    public var spec: ContainerSpec
    public var resources: TaskResources
    /// Optional: the image config's `config`; `nil` for an image without one.
    public var image: ContainerDefaults?

    public init(id: String, spec: ContainerSpec, resources: TaskResources = TaskResources(), image: ContainerDefaults?)
    {
        self.id = id
        self.spec = spec
        self.resources = resources
        self.image = image
    }
}

/// The files dockerd writes for each container and binds over the image's: the resolver configuration, the
/// hostname and the hosts table. Each is an optional host path; an absent one is not mounted.
public struct NetworkFiles: Sendable, Equatable {
    public var resolvConf: String?
    public var hostname: String?
    public var hosts: String?

    public init(resolvConf: String? = nil, hostname: String? = nil, hosts: String? = nil) {
        self.resolvConf = resolvConf
        self.hostname = hostname
        self.hosts = hosts
    }
}

/// Makes a container's `config.json` from a task, as dockerd makes it for a Swarm task's container. Pure: the node's
/// facts (root file system path, network, init binary, volumes) come in as values and closures.
public struct OCISpecBuilder: Sendable {
    /// Where the container's network comes from.
    public enum Network: Sendable, Equatable {
        /// The node's network namespace (`--network host`): no network namespace; the hostname defaults to the
        /// node's, as dockerd does for host-mode containers.
        case host(hostname: String)
        /// A network namespace of its own, or the one at `path`; the hostname defaults to the task's short ID.
        case namespace(path: String?)
    }

    /// The host path of the mounted root file system. Required.
    public var rootFileSystem: String
    /// Optional: the container's cgroup (`/starling/<task>`); the runtime picks one when absent.
    public var cgroupsPath: String?
    public var network: Network
    /// Optional: a static init (tini, `docker-init`) on the node, for `Init`. Without one, `Init` fails.
    public var initBinary: String?
    /// Whether the memory cgroup accounts swap (`memory.memsw.*` exists): Docker then caps memory plus swap at
    /// twice the memory limit, and otherwise leaves swap alone.
    public var swapAccounting: Bool
    /// The open-files limit of a task that sets no `nofile` ulimit: Docker's unless the node cannot grant it
    /// (`OCIDefaults.openFiles(grantableBy:)`).
    public var openFiles: OCISpec.Rlimit
    /// Whether the container gets a cgroup namespace of its own: dockerd's default on a cgroup v2 host (on v1 and
    /// hybrid hosts, like this one, it shares the host's).
    public var cgroupNamespace: Bool
    /// Bound into the container after the task's mounts, unless the task mounts the same path.
    public var networkFiles: NetworkFiles
    /// The host directory of a `volume` mount (created on the node if missing, kept after the task). Throws if
    /// the volume cannot be provided.
    public var volumePath: @Sendable (Mount) throws -> String

    public init(
        rootFileSystem: String, cgroupsPath: String? = nil, network: Network, initBinary: String? = nil,
        swapAccounting: Bool = false, openFiles: OCISpec.Rlimit = OCIDefaults.openFiles,
        networkFiles: NetworkFiles = NetworkFiles(), cgroupNamespace: Bool = false,
        volumePath: @escaping @Sendable (Mount) throws -> String
    ) {
        self.cgroupNamespace = cgroupNamespace
        self.networkFiles = networkFiles
        self.openFiles = openFiles
        self.rootFileSystem = rootFileSystem
        self.cgroupsPath = cgroupsPath
        self.network = network
        self.initBinary = initBinary
        self.swapAccounting = swapAccounting
        self.volumePath = volumePath
    }

    /// Docker's default hostname for a container: the first 12 characters of its ID. A Starling container is named
    /// by its task, so the task ID's.
    public static func shortID(_ id: String) -> String { String(id.prefix(12)) }

    /// The spec for `task`, whose root file system has `accounts` as its user database. Throws
    /// `StarlingError.invalidArgument` in Docker's words for what Docker refuses (no command, unknown user,
    /// relative paths, bad ulimits, unknown capabilities, sysctls outside the container's namespaces, `Init` without
    /// an init binary).
    public func build(_ task: ContainerTask, accounts: ContainerAccounts) throws -> OCISpec {
        let spec = task.spec
        let hostname = hostname(for: task)
        let command = try ContainerCommand.resolve(spec, image: task.image, hostname: hostname)
        var args = command.args
        let taskMounts = try OCIMounts.taskMounts(spec.mounts ?? [], volumePath: volumePath)
        var extraMounts = OCIMounts.networkFileMounts(
            networkFiles, readOnlyRoot: spec.readOnly == true, taskMounts: taskMounts.mounts)
        if spec.useInit == true {
            guard let initBinary else {
                throw StarlingError.invalidArgument(
                    "Init is set but this node has no init binary (tini or docker-init); install one or unset Init")
            }
            args = [OCIDefaults.initPath, "--"] + args
            extraMounts.append(
                .init(destination: OCIDefaults.initPath, type: "bind", source: initBinary, options: ["bind", "ro"]))
        }

        let user = try accounts.resolve(command.user, extraGroups: spec.groups ?? [])
        let capabilities = try OCICapabilities.tweak(adds: spec.capabilityAdd ?? [], drops: spec.capabilityDrop ?? [])
        let process = OCISpec.Process(
            terminal: spec.tty == true, user: user, args: args, env: command.environment,
            cwd: command.workingDirectory,
            capabilities: OCISpec.Capabilities(capabilities, root: user.uid == 0),
            rlimits: try Self.rlimits(spec.ulimits ?? [], openFiles: openFiles),
            noNewPrivileges: spec.privileges?.noNewPrivileges == true)

        let linux = OCISpec.Linux(
            namespaces: namespaces(),
            maskedPaths: OCIDefaults.maskedPaths,
            readonlyPaths: OCIDefaults.readonlyPaths,
            resources: resources(task.resources),
            cgroupsPath: cgroupsPath,
            sysctl: try sysctls(spec.sysctls),
            rootfsPropagation: taskMounts.rootfsPropagation)
        return OCISpec(
            process: process,
            root: OCISpec.Root(path: rootFileSystem, readonly: spec.readOnly == true ? true : nil),
            hostname: hostname,
            mounts: OCIMounts.merge(defaults: OCIDefaults.mounts, task: taskMounts.mounts + extraMounts),
            linux: linux)
    }

    func hostname(for task: ContainerTask) -> String {
        if let name = task.spec.hostname, !name.isEmpty { return name }
        switch network {
        case .host(let hostname): return hostname
        case .namespace: return Self.shortID(task.id)
        }
    }

    /// Docker's order: mount, network, uts, pid, ipc, then cgroup.
    func namespaces() -> [OCISpec.Namespace] {
        var result = [OCISpec.Namespace(type: "mount")]
        if case .namespace(let path) = network { result.append(OCISpec.Namespace(type: "network", path: path)) }
        result += [OCISpec.Namespace(type: "uts"), OCISpec.Namespace(type: "pid"), OCISpec.Namespace(type: "ipc")]
        if cgroupNamespace { result.append(OCISpec.Namespace(type: "cgroup")) }
        return result
    }

    /// dockerd's `getMemoryResources`, `getCPUResources` and pids limit: NanoCPUs become a CFS quota over a 100 ms
    /// period; memory plus swap is twice the limit when swap is accounted.
    func resources(_ resources: TaskResources) -> OCISpec.Resources {
        var result = OCISpec.Resources(devices: OCIDefaults.deviceRules)
        let limit = positive(resources.memoryBytes)
        let reservation = positive(resources.memoryReservationBytes)
        if limit != nil || reservation != nil {
            result.memory = OCISpec.Memory(
                limit: limit, reservation: reservation, swap: swapAccounting ? limit.map { $0 * 2 } : nil)
        }
        let shares = positive(resources.cpuShares).map { UInt64($0) }
        let nanoCPUs = positive(resources.nanoCPUs)
        if shares != nil || nanoCPUs != nil {
            let period = UInt64(CgroupPlan.cpuPeriod)
            result.cpu = OCISpec.CPU(
                shares: shares, quota: nanoCPUs.map { $0 * Int64(period) / 1_000_000_000 },
                period: nanoCPUs == nil ? nil : period)
        }
        if let pids = positive(resources.pidsLimit) { result.pids = OCISpec.Pids(limit: pids) }
        return result
    }

    /// `ContainerSpec.Ulimits` as rlimits (dockerd's `WithRlimits`), with Docker's open-files default unless the
    /// task sets `nofile`. -1 is unlimited.
    static func rlimits(
        _ ulimits: [ContainerSpec.Ulimit], openFiles: OCISpec.Rlimit
    ) throws(StarlingError) -> [OCISpec.Rlimit] {
        var result: [OCISpec.Rlimit] = []
        for ulimit in ulimits {
            let name = ulimit.name ?? ""
            guard OCIDefaults.ulimitNames.contains(name) else { throw .invalidArgument("invalid ulimit type: \(name)") }
            let soft = ulimit.soft ?? 0
            let hard = ulimit.hard ?? 0
            if soft >= 0, hard >= 0, soft > hard {
                throw .invalidArgument(
                    "ulimit soft limit must be less than or equal to hard limit: \(soft) > \(hard)")
            }
            let type = "RLIMIT_" + name.uppercased()
            result.removeAll { $0.type == type }
            result.append(OCISpec.Rlimit(type: type, hard: unlimitedIfNegative(hard), soft: unlimitedIfNegative(soft)))
        }
        if !result.contains(where: { $0.type == openFiles.type }) { result.insert(openFiles, at: 0) }
        return result
    }

    private static func unlimitedIfNegative(_ value: Int64) -> UInt64 { value < 0 ? UInt64.max : UInt64(value) }

    /// Sysctls the container may set: those of its IPC namespace (`kernel.msg*`, `kernel.sem`, `kernel.shm*`,
    /// `fs.mqueue.*`) and, with a network namespace of its own, `net.*`; others are refused in runc's words.
    func sysctls(_ sysctls: [String: String]?) throws(StarlingError) -> [String: String]? {
        guard let sysctls, !sysctls.isEmpty else { return nil }
        let ipc: Set<String> = [
            "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
            "kernel.shmmni", "kernel.shm_rmid_forced",
        ]
        for name in sysctls.keys.sorted() {
            if ipc.contains(name) || name.hasPrefix("fs.mqueue.") { continue }
            if name.hasPrefix("net.") {
                if case .namespace = network { continue }
                throw .invalidArgument("sysctl \"\(name)\" is not allowed in the hosts network namespace")
            }
            if name == "kernel.domainname" { continue }
            if name == "kernel.hostname" {
                throw .invalidArgument(
                    "sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" field")
            }
            throw .invalidArgument("sysctl \"\(name)\" is not in a separate kernel namespace")
        }
        return sysctls
    }

    private func positive(_ value: Int64?) -> Int64? {
        guard let value, value > 0 else { return nil }
        return value
    }
}

/// The cgroup directories of one task and the values written into them, computed from the mounts and the task's
/// resources without touching anything, so the computation is tested on its own.
///
/// Each controller Starling uses (memory, cpu, pids) goes where the machine has it: its v1 hierarchy if mounted,
/// else the cgroup2 tree if that offers it. A cgroup2 directory is made whenever cgroup2 is mounted, even without
/// controllers (the hybrid layout): it tracks every process of the task and can kill them all at once
/// (`cgroup.kill`). Values follow Docker (runc): NanoCPUs become a CFS quota over a 100 ms period, and memory
/// plus swap may be twice the memory limit.
public struct CgroupPlan: Sendable, Equatable {
    /// One file write.
    public struct Setting: Sendable, Equatable {
        public var file: String
        public var value: String
        /// Skipped without error when the file does not exist (swap accounting is often off).
        public var optional: Bool

        public init(file: String, value: String, optional: Bool = false) {
            self.file = file
            self.value = value
            self.optional = optional
        }
    }

    /// One directory of the task's cgroup, in one hierarchy.
    public struct Directory: Sendable, Equatable {
        /// `memory`, `cpu`, `pids`, or `unified` for the cgroup2 directory.
        public var hierarchy: String
        public var path: String
        /// Written in order once the directory exists.
        public var settings: [Setting]
    }

    /// A counter in a flat-keyed cgroup file (`oom_kill 1`).
    public struct Counter: Sendable, Equatable {
        public var file: String
        public var key: String
    }

    /// Written before the directories are made: cgroup2 controllers enabled for the children of each ancestor
    /// (`cgroup.subtree_control`), root first.
    public var enableControllers: [Setting]
    public var directories: [Directory]
    /// Where OOM kills are counted, when the memory controller is available.
    public var oomKills: Counter?
    /// cgroup2's `cgroup.kill`, when there is a cgroup2 directory.
    public var killFile: String?

    /// The directory whose `cgroup.procs` lists the task's processes (cgroup2 if present: it sees all of them).
    public var membershipDirectory: String? {
        (directories.first { $0.hierarchy == "unified" } ?? directories.first)?.path
    }

    /// The default CFS period, as Docker sets it.
    public static let cpuPeriod: Int64 = 100_000

    public init(mounts: CgroupMounts, parent: String, taskID: String, resources: TaskResources) {
        let relative = Self.clean(parent) + "/" + taskID
        var directories: [Directory] = []
        var unifiedSettings: [Setting] = []
        var unifiedControllers: [String] = []
        var oomKills: Counter?

        for controller in CgroupMounts.controllers {
            if let mountPoint = mounts.v1[controller] {
                let path = mountPoint + "/" + relative
                directories.append(
                    Directory(
                        hierarchy: controller, path: path,
                        settings: Self.v1Settings(controller, resources)))
                if controller == "memory" { oomKills = Counter(file: path + "/memory.oom_control", key: "oom_kill") }
            } else if mounts.unified != nil, mounts.unifiedControllers.contains(controller) {
                unifiedControllers.append(controller)
                unifiedSettings += Self.v2Settings(controller, resources)
            }
        }

        enableControllers = []
        killFile = nil
        if let unified = mounts.unified {
            let path = unified + "/" + relative
            directories.append(Directory(hierarchy: "unified", path: path, settings: unifiedSettings))
            killFile = path + "/cgroup.kill"
            if unifiedControllers.contains("memory") {
                oomKills = Counter(file: path + "/memory.events", key: "oom_kill")
            }
            if !unifiedControllers.isEmpty {
                let value = unifiedControllers.map { "+" + $0 }.joined(separator: " ")
                var ancestor = unified
                enableControllers.append(Setting(file: ancestor + "/cgroup.subtree_control", value: value))
                for component in Self.clean(parent).split(separator: "/") {
                    ancestor += "/" + component
                    enableControllers.append(Setting(file: ancestor + "/cgroup.subtree_control", value: value))
                }
            }
        }
        self.directories = directories
        self.oomKills = oomKills
    }

    static func v1Settings(_ controller: String, _ resources: TaskResources) -> [Setting] {
        switch controller {
        case "memory":
            var settings: [Setting] = []
            if let limit = positive(resources.memoryBytes) {
                settings.append(Setting(file: "memory.limit_in_bytes", value: "\(limit)"))
                settings.append(Setting(file: "memory.memsw.limit_in_bytes", value: "\(limit * 2)", optional: true))
            }
            if let reservation = positive(resources.memoryReservationBytes) {
                settings.append(Setting(file: "memory.soft_limit_in_bytes", value: "\(reservation)"))
            }
            return settings
        case "cpu":
            var settings: [Setting] = []
            if let quota = cpuQuota(resources.nanoCPUs) {
                settings.append(Setting(file: "cpu.cfs_period_us", value: "\(cpuPeriod)"))
                settings.append(Setting(file: "cpu.cfs_quota_us", value: "\(quota)"))
            }
            if let shares = positive(resources.cpuShares) {
                settings.append(Setting(file: "cpu.shares", value: "\(min(max(shares, 2), 262_144))"))
            }
            return settings
        case "pids":
            return positive(resources.pidsLimit).map { [Setting(file: "pids.max", value: "\($0)")] } ?? []
        default:
            return []
        }
    }

    static func v2Settings(_ controller: String, _ resources: TaskResources) -> [Setting] {
        switch controller {
        case "memory":
            var settings: [Setting] = []
            if let limit = positive(resources.memoryBytes) {
                settings.append(Setting(file: "memory.max", value: "\(limit)"))
                settings.append(Setting(file: "memory.swap.max", value: "\(limit)", optional: true))
            }
            if let reservation = positive(resources.memoryReservationBytes) {
                settings.append(Setting(file: "memory.low", value: "\(reservation)"))
            }
            return settings
        case "cpu":
            var settings: [Setting] = []
            if let quota = cpuQuota(resources.nanoCPUs) {
                settings.append(Setting(file: "cpu.max", value: "\(quota) \(cpuPeriod)"))
            }
            if let shares = positive(resources.cpuShares) {
                settings.append(Setting(file: "cpu.weight", value: "\(cpuWeight(shares: shares))"))
            }
            return settings
        case "pids":
            return positive(resources.pidsLimit).map { [Setting(file: "pids.max", value: "\($0)")] } ?? []
        default:
            return []
        }
    }

    /// The CFS quota in microseconds per `cpuPeriod` for `nanoCPUs` (1e9 = one CPU), at least the kernel's 1 ms.
    static func cpuQuota(_ nanoCPUs: Int64?) -> Int64? {
        guard let nanoCPUs = positive(nanoCPUs) else { return nil }
        return max(1_000, nanoCPUs * cpuPeriod / 1_000_000_000)
    }

    /// runc's mapping of v1 shares (2...262144) onto v2 weights (1...10000).
    static func cpuWeight(shares: Int64) -> Int64 {
        let shares = min(max(shares, 2), 262_144)
        return 1 + ((shares - 2) * 9_999) / 262_142
    }

    private static func positive(_ value: Int64?) -> Int64? {
        guard let value, value > 0 else { return nil }
        return value
    }

    /// The parent without leading or trailing slashes.
    private static func clean(_ parent: String) -> String {
        parent.split(separator: "/").joined(separator: "/")
    }
}

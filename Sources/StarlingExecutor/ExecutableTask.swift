/// What an executor needs to run one task: the command line, its environment, who runs it, and the limits it runs
/// under. The agent maps a task's `TaskSpec.ContainerSpec` and `TaskSpec.Resources` onto this; each executor reads
/// the fields that apply to its runtime.
public struct ExecutableTask: Sendable, Equatable, Codable {
    /// The task's ID. Required, immutable. Names the task's directory and its cgroup (`starling/<id>`), so it must
    /// be a plain file name.
    public var id: String
    /// `ContainerSpec.Command` (Docker's entrypoint). Optional: when empty, `args` is the whole command line.
    public var command: [String]
    /// `ContainerSpec.Args`, appended to `command`.
    public var args: [String]
    /// `KEY=value` entries, as in `ContainerSpec.Env`. An entry without `=` is passed through as given.
    public var environment: [String]
    /// `ContainerSpec.Dir`. Optional: the process runtime uses `/` when empty, as Docker does for an image without
    /// a working directory.
    public var workingDirectory: String?
    /// `ContainerSpec.User`: `name`, `uid`, `name:group` or `uid:gid`. Optional: the executor's own user when empty.
    public var user: String?
    /// Optional: the image, for runtimes that have one. The process runtime ignores it.
    public var image: String?
    /// Limits and reservations, applied through the task's cgroup.
    public var resources: TaskResources
    /// How much of the task's output is kept on disk.
    public var logRotation: LogRotation

    public init(
        id: String, command: [String] = [], args: [String] = [], environment: [String] = [],
        workingDirectory: String? = nil, user: String? = nil, image: String? = nil,
        resources: TaskResources = TaskResources(), logRotation: LogRotation = LogRotation()
    ) {
        self.id = id
        self.command = command
        self.args = args
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.user = user
        self.image = image
        self.resources = resources
        self.logRotation = logRotation
    }

    /// `command + args`: the argument vector the task runs.
    public var commandLine: [String] { command + args }
}

/// A task's resource limits and reservations, in the Engine API's units. `nil` (or zero) means "not set".
public struct TaskResources: Sendable, Equatable, Codable {
    /// `Limits.MemoryBytes`: the hard memory limit; exceeding it gets the task OOM-killed.
    public var memoryBytes: Int64?
    /// `Reservations.MemoryBytes`: a soft limit the kernel reclaims down to under pressure.
    public var memoryReservationBytes: Int64?
    /// `Limits.NanoCPUs`: CPU time as a CFS quota (1e9 = one whole CPU).
    public var nanoCPUs: Int64?
    /// A relative CPU weight (Docker's `CpuShares`, 2...262144; 1024 is the default weight).
    public var cpuShares: Int64?
    /// `Limits.Pids`: the most processes and threads the task may have at once.
    public var pidsLimit: Int64?

    public init(
        memoryBytes: Int64? = nil, memoryReservationBytes: Int64? = nil, nanoCPUs: Int64? = nil,
        cpuShares: Int64? = nil, pidsLimit: Int64? = nil
    ) {
        self.memoryBytes = memoryBytes
        self.memoryReservationBytes = memoryReservationBytes
        self.nanoCPUs = nanoCPUs
        self.cpuShares = cpuShares
        self.pidsLimit = pidsLimit
    }

    /// Whether any limit or reservation is set.
    public var isEmpty: Bool {
        [memoryBytes, memoryReservationBytes, nanoCPUs, cpuShares, pidsLimit].allSatisfy { ($0 ?? 0) <= 0 }
    }
}

/// Docker's json-file rotation options (`max-size`, `max-file`): the current file is rotated once it reaches
/// `maxSize` bytes, and at most `maxFiles` files (the current one included) are kept.
public struct LogRotation: Sendable, Equatable, Codable {
    public var maxSize: Int
    public var maxFiles: Int

    /// 10 MiB × 3 files unless told otherwise: Docker keeps everything by default, but an orchestrator whose tasks
    /// restart forever must not fill the disk.
    public init(maxSize: Int = 10 << 20, maxFiles: Int = 3) {
        self.maxSize = max(1, maxSize)
        self.maxFiles = max(1, maxFiles)
    }
}

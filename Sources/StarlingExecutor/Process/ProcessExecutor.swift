import Foundation
import Logging
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// The `process` runtime (Nomad's exec driver): a task is its command run as a host process, in a session of its
/// own, under a cgroup of its own (`<hierarchy>/<cgroupParent>/<task-id>`, v1, v2 or both) that carries its
/// limits, with its output kept in `<stateDirectory>/<task-id>/output.log`.
///
/// Without root there are no cgroups: the task runs without limits, and `prepare` logs a warning.
public struct ProcessExecutor: TaskExecutor {
    /// Where tasks live and how their cgroups are named.
    public struct Configuration: Sendable {
        /// Each task gets the directory `<stateDirectory>/<task-id>` (its log and `state.json`).
        public var stateDirectory: String
        /// The cgroup, in each hierarchy, under which task cgroups are made.
        public var cgroupParent: String
        /// Whether to use cgroups at all (they are also skipped when not root).
        public var useCgroups: Bool

        public init(stateDirectory: String, cgroupParent: String = "starling", useCgroups: Bool = true) {
            self.stateDirectory = stateDirectory
            self.cgroupParent = cgroupParent
            self.useCgroups = useCgroups
        }
    }

    public var runtime: String { "process" }

    let configuration: Configuration
    let logger: Logger
    private let clock: any Clock<Duration>
    let cgroupFileSystem: any CgroupFileSystem
    private let accounts: any AccountDatabase

    /// `clock` times grace periods and exec timeouts.
    public init(
        configuration: Configuration, logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        cgroupFileSystem: any CgroupFileSystem = HostCgroupFileSystem(),
        accounts: any AccountDatabase = SystemAccountDatabase()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.cgroupFileSystem = cgroupFileSystem
        self.accounts = accounts
    }

    public func prepare(_ task: ExecutableTask) async throws -> any TaskHandle {
        try Self.validate(taskID: task.id)
        guard let name = task.commandLine.first else {
            throw StarlingError.invalidArgument("no command specified")
        }
        let credentials = try credentials(for: task)
        let workingDirectory = task.workingDirectory.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        var isDirectory: ObjCBool = false
        guard workingDirectory.hasPrefix("/"),
            FileManager.default.fileExists(atPath: workingDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw StarlingError.invalidArgument(
                "working directory \(workingDirectory) does not exist or is not an absolute path")
        }
        let environment = CommandResolution.environment(task.environment, home: credentials?.home)
        let spec = LaunchSpec(
            executable: try CommandResolution.executable(
                name, environment: environment, workingDirectory: workingDirectory),
            arguments: Array(task.commandLine.dropFirst()), environment: environment,
            workingDirectory: workingDirectory, credentials: credentials,
            setpriv: credentials == nil ? nil : try Self.setprivPath())

        let directory = configuration.stateDirectory + "/" + task.id
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StarlingError.internal("cannot create the task directory \(directory): \(error)")
        }
        do {
            let log = try TaskLog(directory: directory, rotation: task.logRotation)
            let cgroup = try makeCgroup(for: task)
            return ProcessTaskHandle(
                taskID: task.id, spec: spec, directory: directory, log: log, cgroup: cgroup, clock: clock,
                logger: logger)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// The credentials to switch to, `nil` when the task runs as the executor's own user.
    private func credentials(for task: ExecutableTask) throws -> Credentials? {
        guard let user = task.user, !user.isEmpty else { return nil }
        let credentials = try Credentials.resolve(user, in: accounts)
        if geteuid() != 0 {
            guard credentials.uid == geteuid() && credentials.gid == getegid() else {
                throw StarlingError(
                    .permissionDenied, "cannot run task \(task.id) as user \(user): the daemon does not run as root")
            }
            return nil
        }
        return credentials
    }

    /// The task's cgroup, created with its limits; `nil` when cgroups are off, not available, or not ours to make.
    private func makeCgroup(for task: ExecutableTask) throws -> TaskCgroup? {
        guard configuration.useCgroups else { return nil }
        guard geteuid() == 0 else {
            logger.warning(
                "running task without a cgroup: the daemon is not root, so no resource limits apply",
                metadata: ["task": "\(task.id)"])
            return nil
        }
        guard let mounts = try? CgroupMounts.detect(fileSystem: cgroupFileSystem) else {
            logger.warning(
                "running task without a cgroup: no cgroup file system is mounted", metadata: ["task": "\(task.id)"])
            return nil
        }
        let plan = CgroupPlan(
            mounts: mounts, parent: configuration.cgroupParent, taskID: task.id, resources: task.resources)
        let cgroup = TaskCgroup(plan: plan, fileSystem: cgroupFileSystem)
        try cgroup.create()
        return cgroup
    }

    /// A task ID names a directory and a cgroup: it must be one plain path component.
    static func validate(taskID: String) throws {
        guard !taskID.isEmpty, taskID != ".", taskID != "..", !taskID.contains("/"), !taskID.contains("\0") else {
            throw StarlingError.invalidArgument("invalid task ID \"\(taskID)\"")
        }
    }

    /// util-linux's `setpriv`, which switches user and groups before exec (`posix_spawn` cannot).
    static func setprivPath() throws -> String {
        for directory in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] where access(directory + "/setpriv", X_OK) == 0 {
            return directory + "/setpriv"
        }
        throw StarlingError.unavailable("cannot run a task as another user: setpriv (util-linux) is not installed")
    }
}

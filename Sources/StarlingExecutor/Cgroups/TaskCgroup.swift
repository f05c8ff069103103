import StarlingModel

/// A task's cgroup on the machine: created from a `CgroupPlan` before the task runs, joined by its first process,
/// asked for OOM kills and members when the task ends, removed with the task.
public struct TaskCgroup: Sendable {
    public let plan: CgroupPlan
    private let fileSystem: any CgroupFileSystem

    public init(plan: CgroupPlan, fileSystem: any CgroupFileSystem) {
        self.plan = plan
        self.fileSystem = fileSystem
    }

    /// Enables the cgroup2 controllers, makes the directories and writes the limits. On failure removes what it
    /// made and throws.
    public func create() throws {
        do {
            for setting in plan.enableControllers { try fileSystem.write(setting.file, setting.value) }
            for directory in plan.directories {
                try fileSystem.createDirectory(directory.path)
                for setting in directory.settings {
                    let file = directory.path + "/" + setting.file
                    if setting.optional && !fileSystem.fileExists(file) { continue }
                    try fileSystem.write(file, setting.value)
                }
            }
        } catch {
            try? remove()
            throw error
        }
    }

    /// Moves `pid` into every directory of the cgroup. Its children are born inside.
    public func add(pid: Int32) throws {
        for directory in plan.directories {
            try fileSystem.write(directory.path + "/cgroup.procs", "\(pid)")
        }
    }

    /// How many times the kernel's OOM killer killed a process of the task (0 without a memory controller).
    public func oomKillCount() -> Int {
        guard let counter = plan.oomKills, let text = try? fileSystem.read(counter.file) else { return 0 }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == counter.key, let value = Int(fields[1]) { return value }
        }
        return 0
    }

    /// The processes in the cgroup now.
    public func members() -> [Int32] {
        guard let directory = plan.membershipDirectory,
            let text = try? fileSystem.read(directory + "/cgroup.procs")
        else { return [] }
        return text.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
    }

    /// Kills every process in the cgroup with cgroup2's `cgroup.kill`. Returns false when that is not available
    /// (no cgroup2, or a kernel before 5.14): the caller then signals `members()` one by one.
    public func killAll() -> Bool {
        guard let file = plan.killFile, fileSystem.fileExists(file) else { return false }
        return (try? fileSystem.write(file, "1")) != nil
    }

    /// Removes the directories (the task's, not the shared parent). Throws while processes remain in any.
    public func remove() throws {
        var failure: (any Error)?
        for directory in plan.directories.reversed() {
            do {
                try fileSystem.removeDirectory(directory.path)
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }
}

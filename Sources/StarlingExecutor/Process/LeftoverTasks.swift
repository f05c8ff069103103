import Foundation
import Logging
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// What a killed daemon leaves of its process tasks. A daemon killed while its tasks ran (kill -9, a crash) leaves
/// their processes running, re-parented to init, and their cgroups and directories in place; the managers meanwhile
/// replace those tasks, so the old processes must not keep running beside the new ones. The node reclaims them when
/// it starts again (`ProcessExecutor.reclaimLeftovers`); tests and benchmarks that SIGKILL daemons sweep their state
/// directories with `reclaim(under:)`.
///
/// A recorded process is only signalled if it still has the recorded start time, so a recycled pid is left alone.
public enum LeftoverTasks {
    /// Kills the processes and removes the cgroups the task records in `stateDirectory` (the process executor's:
    /// one directory per task) still name; with `removingDirectories`, removes the task directories too. Returns the
    /// IDs of the tasks found.
    @discardableResult
    public static func reclaim(
        stateDirectory: String, removingDirectories: Bool = true,
        fileSystem: any CgroupFileSystem = HostCgroupFileSystem()
    ) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? []
        for id in entries {
            let directory = stateDirectory + "/" + id
            guard let record = try? ProcessTaskRecord.read(directory: directory) else { continue }
            // The main process leads its own process group; the cgroup also holds anything that left the group.
            if record.isRunning { kill(-record.pid, SIGKILL) }
            for cgroup in record.cgroups { emptyAndRemove(cgroup: cgroup, fileSystem: fileSystem) }
        }
        if removingDirectories {
            for id in entries { try? FileManager.default.removeItem(atPath: stateDirectory + "/" + id) }
        }
        return entries.sorted()
    }

    /// Reclaims every `tasks` directory up to three levels under `directory` (the state directories of the daemons a
    /// test or benchmark started), keeping the task directories (their logs). Returns the IDs of the tasks found.
    @discardableResult
    public static func reclaim(under directory: String) -> [String] {
        var found: [String] = []
        var level = [directory]
        for _ in 0..<3 {
            var next: [String] = []
            for parent in level {
                for child in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
                    let path = parent + "/" + child
                    if child == "tasks" {
                        found += reclaim(stateDirectory: path, removingDirectories: false)
                    } else {
                        next.append(path)
                    }
                }
            }
            level = next
        }
        return found
    }

    /// Kills every process still in `cgroup` and removes it once it is empty (giving them up to two seconds).
    private static func emptyAndRemove(cgroup: String, fileSystem: any CgroupFileSystem) {
        guard fileSystem.fileExists(cgroup) else { return }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(2))
        while true {
            if fileSystem.fileExists(cgroup + "/cgroup.kill") {
                try? fileSystem.write(cgroup + "/cgroup.kill", "1")
            }
            let members = ((try? fileSystem.read(cgroup + "/cgroup.procs")) ?? "")
                .split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
            for pid in members { kill(pid, SIGKILL) }
            if (try? fileSystem.removeDirectory(cgroup)) != nil || clock.now >= deadline { return }
            usleep(10_000)
        }
    }
}

extension ProcessExecutor {
    /// Stops what an earlier run of this daemon left of its tasks (see `LeftoverTasks`) and removes their cgroups and
    /// directories. Call it once, before the node takes assignments. Returns the IDs of the tasks removed.
    public func reclaimLeftovers() -> [String] {
        let reclaimed = LeftoverTasks.reclaim(
            stateDirectory: configuration.stateDirectory, fileSystem: cgroupFileSystem)
        for id in reclaimed {
            logger.warning("removed what an earlier run left of a task", metadata: ["task": "\(id)"])
        }
        return reclaimed
    }
}

import Foundation
import Logging
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessExecutor {
    /// Stops what an earlier run of this daemon left behind. A daemon killed while its tasks ran (kill -9, a crash)
    /// leaves their processes running, re-parented to init, and their cgroups and directories in place; the managers
    /// meanwhile replace those tasks, so the old processes must not keep running beside the new ones. Call it before
    /// the node takes assignments. Returns the IDs of the tasks whose leftovers were removed.
    public func reclaimLeftovers() async -> [String] {
        let root = configuration.stateDirectory
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var reclaimed: [String] = []
        for id in entries.sorted() {
            let directory = root + "/" + id
            let record = try? ProcessTaskRecord.read(directory: directory)
            if let record {
                if record.isRunning { kill(-record.pid, SIGKILL) }
                for cgroup in record.cgroups { await emptyAndRemove(cgroup: cgroup) }
            }
            try? FileManager.default.removeItem(atPath: directory)
            reclaimed.append(id)
            logger.warning(
                "removed what an earlier run left of a task",
                metadata: ["task": "\(id)", "pid": "\(record.map { String($0.pid) } ?? "-")"])
        }
        return reclaimed
    }

    /// Kills every process still in `cgroup` and removes it once it is empty (giving them up to two seconds).
    private func emptyAndRemove(cgroup: String) async {
        let fileSystem = cgroupFileSystem
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
            try? await clock.sleep(for: .milliseconds(10))
        }
    }
}

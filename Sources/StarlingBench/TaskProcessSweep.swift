import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the task processes that daemons under a directory left behind and kills them. A daemon stopped with SIGTERM
/// stops its tasks itself; one killed with SIGKILL (as the benchmark stops every daemon, and as it kills a worker)
/// leaves them running, re-parented to init. (The integration tests keep a copy of this sweep: the two targets share
/// no library.)
///
/// It reads the records the process executor keeps for each task (`<state dir>/tasks/<task ID>/state.json`: the pid,
/// the process's start time, its cgroups). A recorded process is only signalled if it still started at the recorded
/// time, so a recycled pid is left alone.
enum TaskProcessSweep {
    /// The part of the executor's record this needs.
    private struct Record: Decodable {
        var pid: Int32
        var startTime: UInt64
        var cgroups: [String]?
    }

    /// Kills what the task records under `directory` (`tasks` directories up to three levels down) still name,
    /// and removes their cgroups. Returns how many task processes were still running.
    @discardableResult
    static func sweep(under directory: String) -> Int {
        let records = taskDirectories(under: directory).compactMap { path -> Record? in
            guard let data = FileManager.default.contents(atPath: path + "/state.json") else { return nil }
            return try? JSONDecoder().decode(Record.self, from: data)
        }
        var killed = 0
        for record in records where startTime(of: record.pid) == record.startTime {
            killed += 1
            // The main process leads its own process group; the cgroup also holds anything that left the group.
            kill(-record.pid, SIGKILL)
            for cgroup in record.cgroups ?? [] {
                for pid in members(of: cgroup) { kill(pid, SIGKILL) }
            }
        }
        for record in records {
            for cgroup in record.cgroups ?? [] { removeCgroup(cgroup) }
        }
        return killed
    }

    /// The task directories: `<directory>/tasks/*`, `<directory>/*/tasks/*` and `<directory>/*/*/tasks/*`.
    private static func taskDirectories(under directory: String) -> [String] {
        let files = FileManager.default
        var found: [String] = []
        var level = [directory]
        for _ in 0..<3 {
            var next: [String] = []
            for parent in level {
                for child in (try? files.contentsOfDirectory(atPath: parent)) ?? [] {
                    let path = parent + "/" + child
                    if child == "tasks" {
                        found += ((try? files.contentsOfDirectory(atPath: path)) ?? []).map { path + "/" + $0 }
                    } else {
                        next.append(path)
                    }
                }
            }
            level = next
        }
        return found
    }

    /// Field 22 of `/proc/<pid>/stat`, or nil when there is no such process (or it is a zombie).
    private static func startTime(of pid: Int32) -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z" else { return nil }
        return UInt64(fields[19])
    }

    private static func members(of cgroup: String) -> [Int32] {
        guard let text = try? String(contentsOfFile: cgroup + "/cgroup.procs", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Removes the cgroup once its processes are gone (they may take a moment to exit after SIGKILL).
    private static func removeCgroup(_ path: String) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while rmdir(path) != 0, errno == EBUSY, ContinuousClock.now < deadline {
            usleep(10_000)
        }
    }
}

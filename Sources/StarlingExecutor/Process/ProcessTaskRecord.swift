import Foundation
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// What a task's directory records about its running process (`state.json`), so that a daemon restarted while the
/// task runs can find the process again and tell it from an unrelated one that reuses its pid: the pid together
/// with the process's start time (field 22 of `/proc/<pid>/stat`, clock ticks since boot) names one process for
/// the life of the machine.
public struct ProcessTaskRecord: Codable, Sendable, Equatable {
    public static let fileName = "state.json"

    public var taskID: String
    /// The main process; it leads its own session and process group, so its pid is also the group's ID.
    public var pid: Int32
    /// Field 22 of `/proc/<pid>/stat` when the process was started.
    public var startTime: UInt64
    /// When the task started (wall clock).
    public var startedAt: Timestamp
    /// The task's cgroup directories, one per hierarchy.
    public var cgroups: [String]

    public init(taskID: String, pid: Int32, startTime: UInt64, startedAt: Timestamp, cgroups: [String]) {
        self.taskID = taskID
        self.pid = pid
        self.startTime = startTime
        self.startedAt = startedAt
        self.cgroups = cgroups
    }

    /// The record in `directory`, or `nil` if there is none.
    public static func read(directory: String) throws -> ProcessTaskRecord? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { return nil }
        return try StarlingJSON.decode(ProcessTaskRecord.self, from: data)
    }

    /// Writes the record to `directory` atomically (a temporary file renamed over the old one).
    public func write(directory: String) throws {
        let data = try StarlingJSON.encoder(pretty: true).encode(self)
        try data.write(to: URL(fileURLWithPath: directory + "/" + Self.fileName), options: .atomic)
    }

    /// Whether the recorded process still runs: the pid exists, is not a zombie, and started when recorded.
    public var isRunning: Bool {
        guard let stat = Self.processStat(pid: pid) else { return false }
        return stat.startTime == startTime && stat.state != "Z" && stat.state != "X"
    }

    /// State letter and start time of `pid` from `/proc/<pid>/stat`, `nil` if there is no such process.
    public static func processStat(pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        return parseStat(String(decoding: data, as: UTF8.self))
    }

    /// Parses a `/proc/<pid>/stat` line. The command name, in parentheses, may hold spaces and parentheses, so the
    /// fields resume after the last `)`: there, index 0 is field 3 (state) and index 19 is field 22 (start time).
    static func parseStat(_ text: String) -> (state: Character, startTime: UInt64)? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }
}

import Foundation
import Logging
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingExecutor

#if canImport(Glibc)
    import Glibc
#endif

/// A process executor with a state directory and a cgroup parent of its own, both removed by `cleanup`.
struct ProcessFixture {
    static let isRoot = geteuid() == 0
    static let cgroupRoots = ["memory", "cpu", "pids", "unified"].map { "/sys/fs/cgroup/" + $0 }

    let directory: TemporaryDirectory
    let cgroupParent: String
    let executor: ProcessExecutor

    init(useCgroups: Bool = true) throws {
        directory = try TemporaryDirectory("starling-tasks")
        cgroupParent = "starling-test-" + UUID().uuidString.prefix(8).lowercased()
        var logger = Logger(label: "executor-tests")
        logger.logLevel = .error
        executor = ProcessExecutor(
            configuration: .init(stateDirectory: directory.path, cgroupParent: cgroupParent, useCgroups: useCgroups),
            logger: logger)
    }

    func prepare(
        _ command: [String], id: String = "task-" + UUID().uuidString.prefix(8).lowercased(),
        environment: [String] = [], workingDirectory: String? = nil, user: String? = nil,
        resources: TaskResources = TaskResources()
    ) async throws -> any TaskHandle {
        try await executor.prepare(
            ExecutableTask(
                id: id, command: command, environment: environment, workingDirectory: workingDirectory, user: user,
                resources: resources))
    }

    /// The task's cgroup directory in `hierarchy` (`memory`, `cpu`, `pids`, `unified`).
    func cgroup(_ hierarchy: String, _ taskID: String) -> String {
        "/sys/fs/cgroup/\(hierarchy)/\(cgroupParent)/\(taskID)"
    }

    func cleanup() {
        for root in Self.cgroupRoots { rmdir(root + "/" + cgroupParent) }
        directory.remove()
    }

    /// Reads the task's log until an entry contains `text`.
    static func waitForOutput(_ handle: any TaskHandle, containing text: String) async throws {
        for try await entry in handle.logs(follow: true, tail: nil) where entry.message.contains(text) { return }
        Issue.record("the log ended without \"\(text)\"")
    }

    static func allLogs(_ handle: any TaskHandle) async throws -> [LogEntry] {
        var entries: [LogEntry] = []
        for try await entry in handle.logs(follow: false, tail: nil) { entries.append(entry) }
        return entries
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether `pid` is gone (or a zombie about to be reaped by someone else), polled until `deadline`.
    static func processEnds(_ pid: Int32, within deadline: Duration = .seconds(10)) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        while clock.now < end {
            let state = ProcessTaskRecord.processStat(pid: pid)?.state
            if state == nil || state == "Z" { return true }
            try await clock.sleep(for: .milliseconds(10))
        }
        return false
    }
}

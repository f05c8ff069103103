import Foundation
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingExecutor

#if canImport(Glibc)
    import Glibc
#endif

/// Real cgroups, as root, on this machine's layout (v1 controllers under /sys/fs/cgroup/<controller>, an empty
/// cgroup2 tree at /sys/fs/cgroup/unified).
@Suite(
    .enabled(if: ProcessFixture.isRoot && FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory")),
    .timeLimit(.minutes(1)))
struct CgroupProcessTests {
    @Test func limitsAreWrittenAndTheTaskRunsInsideItsCgroup() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(
            ["sh", "-c", "echo ready; exec sleep 3600"],
            resources: TaskResources(memoryBytes: 32 << 20, nanoCPUs: 500_000_000, cpuShares: 512, pidsLimit: 50))
        let id = handle.taskID
        // The cgroup exists from `prepare` on.
        #expect(ProcessFixture.read(fixture.cgroup("memory", id) + "/memory.limit_in_bytes") == "\(32 << 20)")
        #expect(ProcessFixture.read(fixture.cgroup("pids", id) + "/pids.max") == "50")
        #expect(ProcessFixture.read(fixture.cgroup("cpu", id) + "/cpu.cfs_quota_us") == "50000")
        #expect(ProcessFixture.read(fixture.cgroup("cpu", id) + "/cpu.cfs_period_us") == "100000")
        #expect(ProcessFixture.read(fixture.cgroup("cpu", id) + "/cpu.shares") == "512")

        try await handle.start()
        try await ProcessFixture.waitForOutput(handle, containing: "ready")
        let pid = try #require(handle.pid)
        let membership = ProcessFixture.read("/proc/\(pid)/cgroup") ?? ""
        for hierarchy in ["memory", "pids", "cpu"] {
            #expect(membership.contains(":\(hierarchy):/\(fixture.cgroupParent)/\(id)"))
        }
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified") {
            #expect(membership.contains("0::/\(fixture.cgroupParent)/\(id)"))
        }
        // A health check joins the task's cgroup too.
        let probe = try await handle.exec(["cat", "/proc/self/cgroup"], timeout: .seconds(30))
        #expect(probe.output.contains(":memory:/\(fixture.cgroupParent)/\(id)"))
        let record = try #require(try ProcessTaskRecord.read(directory: fixture.directory.path + "/" + id))
        #expect(record.cgroups.contains(fixture.cgroup("memory", id)))

        try await handle.remove()
        for hierarchy in ["memory", "cpu", "pids", "unified"] {
            #expect(!FileManager.default.fileExists(atPath: fixture.cgroup(hierarchy, id)))
        }
    }

    @Test func anOOMKillIsReported() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(
            ["sh", "-c", #"x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived"#],
            resources: TaskResources(memoryBytes: 32 << 20))
        try await handle.start()
        let status = try await handle.wait()
        #expect(status.oomKilled)
        #expect(status.termination == .signaled(signal: SIGKILL))
        #expect(status.errorMessage == "task: non-zero exit (137): OOM killed")
        #expect(try await ProcessFixture.allLogs(handle).allSatisfy { !$0.message.contains("survived") })
        try await handle.remove()
    }

    @Test func thePidsLimitIsEnforced() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(
            ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo started"],
            resources: TaskResources(pidsLimit: 4))
        try await handle.start()
        let status = try await handle.wait()
        // The shell gives up when a fork fails.
        #expect(status.exitCode != 0)
        let output = try await ProcessFixture.allLogs(handle).map(\.message).joined()
        #expect(output.lowercased().contains("fork"))
        #expect(!output.contains("started"))
        try await handle.remove()
    }

    /// A task that leaves behind a `sleep` in a session (so a process group) of its own; returns its pid.
    static func runEscapingTask(_ fixture: ProcessFixture) async throws -> Int32 {
        // Waits until the sleep's session ID (field 6 of its stat) is its own pid before exiting.
        let script = #"setsid sleep 3600 & until [ "$(cut -d' ' -f6 /proc/$!/stat)" = "$!" ]; do :; done; echo $!"#
        let handle = try await fixture.prepare(["sh", "-c", script])
        try await handle.start()
        _ = try await handle.wait()
        let pid = try #require(Int32(try await ProcessFixture.allLogs(handle).last?.message.dropLast() ?? ""))
        try await handle.remove()
        return pid
    }

    @Test func processesThatLeftTheGroupAreKilledThroughTheCgroup() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        #expect(try await ProcessFixture.processEnds(try await Self.runEscapingTask(fixture)))
    }

    @Test func withoutACgroupTheyEscape() async throws {
        let fixture = try ProcessFixture(useCgroups: false)
        defer { fixture.cleanup() }
        let pid = try await Self.runEscapingTask(fixture)
        #expect(ProcessTaskRecord.processStat(pid: pid) != nil)
        kill(pid, SIGKILL)
    }
}

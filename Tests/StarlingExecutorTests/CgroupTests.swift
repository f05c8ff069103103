import StarlingModel
import StarlingTestSupport
import Synchronization
import Testing

@testable import StarlingExecutor

/// An in-memory cgroup file system: files, directories, a log of writes, and failures on demand.
final class FakeCgroupFileSystem: CgroupFileSystem {
    struct State {
        var files: [String: String] = [:]
        var directories: Set<String> = []
        var writes: [(path: String, value: String)] = []
        var failingWrites: Set<String> = []
        var busyDirectories: Set<String> = []
    }

    let state = Mutex(State())

    init(files: [String: String] = [:]) { state.withLock { $0.files = files } }

    func read(_ path: String) throws -> String {
        guard let text = state.withLock({ $0.files[path] }) else { throw StarlingError.notFound(path) }
        return text
    }

    func write(_ path: String, _ value: String) throws {
        try state.withLock { state in
            guard !state.failingWrites.contains(path) else { throw StarlingError.internal("cannot write \(path)") }
            state.writes.append((path, value))
            state.files[path] = value
        }
    }

    func createDirectory(_ path: String) throws { _ = state.withLock { $0.directories.insert(path) } }

    func removeDirectory(_ path: String) throws {
        try state.withLock { state in
            guard !state.busyDirectories.contains(path) else { throw StarlingError.internal("\(path) is busy") }
            state.directories.remove(path)
        }
    }

    func fileExists(_ path: String) -> Bool { state.withLock { $0.files[path] != nil } }

    var writes: [String] { state.withLock { $0.writes.map { "\($0.path)=\($0.value)" } } }
    var directories: Set<String> { state.withLock { $0.directories } }
}

@Suite struct CgroupMountTests {
    static let hybrid = """
        24 31 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        30 24 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw
        32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
        35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:16 - cgroup cgroup rw,cpu,cpuacct
        36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid shared:17 - cgroup cgroup rw,memory
        37 30 0:33 / /sys/fs/cgroup/pids rw,nosuid shared:18 - cgroup cgroup rw,pids
        """

    @Test func findsV1ControllersAndTheUnifiedMount() {
        let mounts = CgroupMounts.parse(mountinfo: Self.hybrid)
        #expect(
            mounts.v1 == [
                "cpu": "/sys/fs/cgroup/cpu,cpuacct", "memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids",
            ])
        #expect(mounts.unified == "/sys/fs/cgroup/unified")
    }

    @Test func pureV2AndEscapedMountPoints() throws {
        let fileSystem = FakeCgroupFileSystem(files: [
            "/proc/self/mountinfo": "29 23 0:26 / /sys/fs/cgroup\\040x rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
            "/sys/fs/cgroup x/cgroup.controllers": "cpuset cpu io memory pids\n",
        ])
        let mounts = try #require(try CgroupMounts.detect(fileSystem: fileSystem))
        #expect(mounts.v1.isEmpty)
        #expect(mounts.unified == "/sys/fs/cgroup x")
        #expect(mounts.unifiedControllers == ["cpuset", "cpu", "io", "memory", "pids"])
    }

    @Test func noCgroupFileSystemMeansNone() throws {
        let fileSystem = FakeCgroupFileSystem(files: ["/proc/self/mountinfo": "24 31 0:22 / /sys rw - sysfs sysfs rw\n"]
        )
        #expect(try CgroupMounts.detect(fileSystem: fileSystem) == nil)
    }
}

@Suite struct CgroupPlanTests {
    static let resources = TaskResources(
        memoryBytes: 64 << 20, memoryReservationBytes: 32 << 20, nanoCPUs: 1_500_000_000, cpuShares: 512,
        pidsLimit: 100)

    static let hybrid = CgroupMounts(
        v1: ["memory": "/cg/memory", "cpu": "/cg/cpu", "pids": "/cg/pids"], unified: "/cg/unified")

    @Test func hybridPutsLimitsOnV1AndTracksOnV2() {
        let plan = CgroupPlan(mounts: Self.hybrid, parent: "/starling/", taskID: "t1", resources: Self.resources)
        #expect(
            plan.directories.map(\.path) == [
                "/cg/memory/starling/t1", "/cg/cpu/starling/t1", "/cg/pids/starling/t1", "/cg/unified/starling/t1",
            ])
        let settings = plan.directories.map { $0.settings.map { "\($0.file)=\($0.value)" } }
        #expect(
            settings == [
                [
                    "memory.limit_in_bytes=67108864", "memory.memsw.limit_in_bytes=134217728",
                    "memory.soft_limit_in_bytes=33554432",
                ],
                ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=150000", "cpu.shares=512"],
                ["pids.max=100"],
                [],
            ])
        #expect(plan.oomKills == CgroupPlan.Counter(file: "/cg/memory/starling/t1/memory.oom_control", key: "oom_kill"))
        #expect(plan.killFile == "/cg/unified/starling/t1/cgroup.kill")
        #expect(plan.membershipDirectory == "/cg/unified/starling/t1")
        #expect(plan.enableControllers.isEmpty)
    }

    @Test func pureV2EnablesControllersDownTheParentsAndWritesV2Files() {
        let mounts = CgroupMounts(unified: "/cg", unifiedControllers: ["memory", "cpu", "pids", "io"])
        let plan = CgroupPlan(mounts: mounts, parent: "a/b", taskID: "t2", resources: Self.resources)
        #expect(plan.directories.count == 1)
        #expect(plan.directories[0].path == "/cg/a/b/t2")
        #expect(
            plan.directories[0].settings.map { "\($0.file)=\($0.value)" } == [
                "memory.max=67108864", "memory.swap.max=67108864", "memory.low=33554432", "cpu.max=150000 100000",
                "cpu.weight=20", "pids.max=100",
            ])
        #expect(
            plan.enableControllers.map { "\($0.file)=\($0.value)" } == [
                "/cg/cgroup.subtree_control=+memory +cpu +pids", "/cg/a/cgroup.subtree_control=+memory +cpu +pids",
                "/cg/a/b/cgroup.subtree_control=+memory +cpu +pids",
            ])
        #expect(plan.oomKills == CgroupPlan.Counter(file: "/cg/a/b/t2/memory.events", key: "oom_kill"))
    }

    @Test func noResourcesMeansDirectoriesWithoutSettings() {
        let plan = CgroupPlan(mounts: Self.hybrid, parent: "starling", taskID: "t3", resources: TaskResources())
        #expect(plan.directories.count == 4)
        #expect(plan.directories.allSatisfy { $0.settings.isEmpty })
    }

    @Test func cpuValuesFollowDocker() {
        #expect(CgroupPlan.cpuQuota(1_000_000_000) == 100_000)
        #expect(CgroupPlan.cpuQuota(250_000_000) == 25_000)
        // Below the kernel's 1 ms minimum.
        #expect(CgroupPlan.cpuQuota(1_000) == 1_000)
        #expect(CgroupPlan.cpuQuota(nil) == nil)
        #expect(CgroupPlan.cpuWeight(shares: 1024) == 39)
        #expect(CgroupPlan.cpuWeight(shares: 2) == 1)
        #expect(CgroupPlan.cpuWeight(shares: 262_144) == 10_000)
    }
}

@Suite struct TaskCgroupTests {
    static func cgroup(_ fileSystem: FakeCgroupFileSystem) -> TaskCgroup {
        let plan = CgroupPlan(
            mounts: CgroupPlanTests.hybrid, parent: "starling", taskID: "t1",
            resources: TaskResources(memoryBytes: 1000, pidsLimit: 5))
        return TaskCgroup(plan: plan, fileSystem: fileSystem)
    }

    @Test func createWritesLimitsAndSkipsOptionalFilesThatDoNotExist() throws {
        let fileSystem = FakeCgroupFileSystem()
        try Self.cgroup(fileSystem).create()
        #expect(fileSystem.directories.count == 4)
        #expect(
            fileSystem.writes == [
                "/cg/memory/starling/t1/memory.limit_in_bytes=1000", "/cg/pids/starling/t1/pids.max=5",
            ])
    }

    @Test func aFailedWriteUndoesTheDirectories() {
        let fileSystem = FakeCgroupFileSystem()
        fileSystem.state.withLock { _ = $0.failingWrites.insert("/cg/pids/starling/t1/pids.max") }
        #expect(throws: StarlingError.self) { try Self.cgroup(fileSystem).create() }
        #expect(fileSystem.directories.isEmpty)
    }

    @Test func addJoinsEveryHierarchy() throws {
        let fileSystem = FakeCgroupFileSystem()
        try Self.cgroup(fileSystem).add(pid: 42)
        #expect(
            fileSystem.writes == [
                "/cg/memory/starling/t1/cgroup.procs=42", "/cg/cpu/starling/t1/cgroup.procs=42",
                "/cg/pids/starling/t1/cgroup.procs=42", "/cg/unified/starling/t1/cgroup.procs=42",
            ])
    }

    @Test func readsOOMKillsMembersAndKillsThroughCgroupKill() throws {
        let fileSystem = FakeCgroupFileSystem(files: [
            "/cg/memory/starling/t1/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
            "/cg/unified/starling/t1/cgroup.procs": "12\n13\n",
            "/cg/unified/starling/t1/cgroup.kill": "",
        ])
        let cgroup = Self.cgroup(fileSystem)
        #expect(cgroup.oomKillCount() == 2)
        #expect(cgroup.members() == [12, 13])
        #expect(cgroup.killAll())
        #expect(fileSystem.writes == ["/cg/unified/starling/t1/cgroup.kill=1"])
    }

    @Test func withoutCgroupKillTheCallerSignalsMembers() {
        #expect(!Self.cgroup(FakeCgroupFileSystem()).killAll())
        #expect(Self.cgroup(FakeCgroupFileSystem()).oomKillCount() == 0)
    }

    @Test func removeRemovesAllItCanAndReportsABusyOne() throws {
        let fileSystem = FakeCgroupFileSystem()
        let cgroup = Self.cgroup(fileSystem)
        try cgroup.create()
        fileSystem.state.withLock { _ = $0.busyDirectories.insert("/cg/memory/starling/t1") }
        #expect(throws: StarlingError.self) { try cgroup.remove() }
        #expect(fileSystem.directories == ["/cg/memory/starling/t1"])
        fileSystem.state.withLock { $0.busyDirectories = [] }
        try cgroup.remove()
        #expect(fileSystem.directories.isEmpty)
    }
}

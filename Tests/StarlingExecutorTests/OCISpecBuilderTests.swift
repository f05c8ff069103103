import StarlingImage
import StarlingModel
import Testing

@testable import StarlingExecutor

/// What the spec builder refuses, in Docker's (or runc's) words, and the choices that depend on the node.
@Suite struct OCISpecBuilderTests {
    let accounts = ContainerAccounts(passwd: "root:x:0:0:root:/root:/bin/sh\n", group: "root:x:0:\n")

    func builder(
        network: OCISpecBuilder.Network = .host(hostname: "node-1"), initBinary: String? = nil
    )
        -> OCISpecBuilder
    {
        OCISpecBuilder(
            rootFileSystem: "/rootfs", network: network, initBinary: initBinary,
            volumePath: { "/volumes/\($0.source ?? "")" })
    }

    func build(_ spec: ContainerSpec, builder: OCISpecBuilder? = nil) throws -> OCISpec {
        try (builder ?? self.builder()).build(
            ContainerTask(id: "abcdefghijklmnopqrstuvwxy", spec: spec, image: ContainerDefaults(cmd: ["sh"])),
            accounts: accounts)
    }

    @Test func theHostnameIsTheTasksElseTheNodesOnTheHostNetworkElseTheShortID() throws {
        var spec = ContainerSpec()
        #expect(try build(spec).hostname == "node-1")
        #expect(try build(spec, builder: builder(network: .namespace(path: nil))).hostname == "abcdefghijkl")
        spec.hostname = "web"
        #expect(try build(spec).hostname == "web")
    }

    @Test func namespacesFollowTheNetworkAndTheCgroupVersion() throws {
        #expect(try build(ContainerSpec()).linux.namespaces.map(\.type) == ["mount", "uts", "pid", "ipc"])
        var joined = builder(network: .namespace(path: "/run/netns/n1"))
        joined.cgroupNamespace = true
        #expect(
            try build(ContainerSpec(), builder: joined).linux.namespaces == [
                .init(type: "mount"), .init(type: "network", path: "/run/netns/n1"), .init(type: "uts"),
                .init(type: "pid"), .init(type: "ipc"), .init(type: "cgroup"),
            ])
    }

    @Test func initNeedsAnInitBinary() throws {
        var spec = ContainerSpec()
        spec.useInit = true
        #expect(throws: StarlingError.self) { try build(spec) }
        let built = try build(spec, builder: builder(initBinary: "/usr/bin/tini"))
        #expect(built.process.args == ["/sbin/docker-init", "--", "sh"])
        #expect(built.mounts.last?.source == "/usr/bin/tini")
    }

    @Test func sysctlsOutsideTheContainersNamespacesAreRefused() throws {
        var spec = ContainerSpec()
        spec.sysctls = ["net.core.somaxconn": "1024"]
        #expect(
            throws: StarlingError.invalidArgument(
                "sysctl \"net.core.somaxconn\" is not allowed in the hosts network namespace")
        ) { try build(spec) }
        #expect(try build(spec, builder: builder(network: .namespace(path: nil))).linux.sysctl == spec.sysctls)
        spec.sysctls = ["vm.swappiness": "0"]
        #expect(
            throws: StarlingError.invalidArgument("sysctl \"vm.swappiness\" is not in a separate kernel namespace")
        ) { try build(spec) }
        spec.sysctls = ["fs.mqueue.msg_max": "20", "kernel.sem": "250 32000 32 128"]
        #expect(try build(spec).linux.sysctl == spec.sysctls)
    }

    @Test func badUlimitsAreRefused() throws {
        var spec = ContainerSpec()
        spec.ulimits = [.init(name: "files", soft: 1, hard: 1)]
        #expect(throws: StarlingError.invalidArgument("invalid ulimit type: files")) { try build(spec) }
        spec.ulimits = [.init(name: "nofile", soft: 10, hard: 5)]
        #expect(
            throws: StarlingError.invalidArgument(
                "ulimit soft limit must be less than or equal to hard limit: 10 > 5")
        ) { try build(spec) }
    }

    @Test func badMountsAreRefused() throws {
        let relativeSource = ContainerSpec(mounts: [Mount(type: .bind, source: "data", target: "/data")])
        #expect(
            throws: StarlingError.invalidArgument(
                "invalid mount config for type \"bind\": invalid mount path: 'data' mount path must be absolute")
        ) { try build(relativeSource) }
        let relativeTarget = ContainerSpec(mounts: [Mount(type: .tmpfs, target: "tmp")])
        #expect(throws: StarlingError.self) { try build(relativeTarget) }
        let root = ContainerSpec(mounts: [Mount(type: .volume, source: "v", target: "/")])
        #expect(throws: StarlingError.self) { try build(root) }
    }

    @Test func aTaskMountOfDevReplacesTheDefaultsBelowIt() throws {
        let spec = ContainerSpec(mounts: [Mount(type: .tmpfs, target: "/dev")])
        let destinations = try build(spec).mounts.map(\.destination)
        #expect(destinations == ["/proc", "/sys", "/sys/fs/cgroup", "/dev"])
    }

    @Test func theOpenFilesDefaultIsDockersUnlessTheNodeCannotGrantIt() {
        #expect(OCIDefaults.openFiles(grantableBy: nil) == OCIDefaults.openFiles)
        let lowered = OCIDefaults.openFiles(grantableBy: (soft: 1024, hard: 4096))
        #expect(
            lowered
                == (OCIDefaults.canRaiseLimits()
                    ? OCIDefaults.openFiles : OCISpec.Rlimit(type: "RLIMIT_NOFILE", hard: 4096, soft: 4096)))
    }

    @Test func tmpfsSizesTakeDockersSuffixes() {
        #expect(OCIMounts.tmpfsSize(2 << 30) == "2g")
        #expect(OCIMounts.tmpfsSize(3 << 20) == "3m")
        #expect(OCIMounts.tmpfsSize(1536) == "1536")
        #expect(OCIMounts.tmpfsSize(3072) == "3k")
        #expect(OCIMounts.tmpfsSize(1000) == "1000")
    }

    @Test func sharedPropagationMakesTheRootShared() throws {
        let spec = ContainerSpec(mounts: [
            Mount(type: .bind, source: "/a", target: "/a", bindOptions: .init(propagation: .rslave)),
            Mount(type: .bind, source: "/b", target: "/b", bindOptions: .init(propagation: .rshared)),
        ])
        #expect(try build(spec).linux.rootfsPropagation == "shared")
    }
}

/// Docker's capability tweaks.
@Suite struct OCICapabilityTests {
    @Test func addsAndDropsAdjustTheDefaults() throws {
        #expect(try OCICapabilities.tweak(adds: [], drops: []) == OCIDefaults.capabilities)
        let tweaked = try OCICapabilities.tweak(adds: ["sys_ptrace", "CAP_CHOWN"], drops: ["net_raw"])
        #expect(tweaked == OCIDefaults.capabilities.filter { $0 != "CAP_NET_RAW" } + ["CAP_SYS_PTRACE"])
    }

    @Test func allMeansEveryCapability() throws {
        #expect(try OCICapabilities.tweak(adds: ["ALL"], drops: ["SYS_ADMIN"]).count == 40)
        #expect(try OCICapabilities.tweak(adds: ["kill"], drops: ["all"]) == ["CAP_KILL"])
    }

    @Test func unknownNamesAreRefused() throws {
        #expect(throws: StarlingError.invalidArgument("unknown capability: \"CAP_FLY\"")) {
            try OCICapabilities.tweak(adds: ["fly"], drops: [])
        }
    }
}

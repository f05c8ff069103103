import StarlingModel
import Testing

@testable import StarlingScheduler

/// Each filter alone: it keeps the task off the nodes it should, and explains itself in SwarmKit's words.
@Suite struct FilterTests {
    @Test(arguments: [
        (NodeSpec.Availability.active, NodeStatus.State.down),
        (.active, .disconnected),
        (.active, .unknown),
        (.pause, .ready),
        (.drain, .ready),
    ])
    func readyFilterNeedsReadyAndActive(availability: NodeSpec.Availability, state: NodeStatus.State) {
        var harness = Harness([Fixture.node("n1", availability: availability, state: state), Fixture.node("n2")])
        harness.place(Fixture.request(count: 2))
        #expect(harness.placements == ["n2", "n2"])

        var alone = Harness([Fixture.node("n1", availability: availability, state: state)])
        alone.place(Fixture.request())
        #expect(alone.explanation == "no suitable node (1 node not available for new tasks)")
    }

    @Test func runtimeFilter() {
        var harness = Harness([
            Fixture.node("n1", runtimes: ["process"]), Fixture.node("n2", runtimes: ["process", "container"]),
            Fixture.node("n3", runtimes: []),
        ])
        harness.place(Fixture.request("a", count: 3, runtime: "container"))
        #expect(harness.placements == ["n2", "n2", "n2"])
        harness.place(Fixture.request("b", runtime: "wasm"))
        #expect(harness.explanation == "no suitable node (unsupported runtime on 3 nodes)")
        harness.place(Fixture.request("c", count: 3))
        #expect(Set(harness.placements.suffix(3)) == ["n1", "n2", "n3"], "no runtime asked: any node")
    }

    @Test func resourceFilterCPUAndMemory() {
        var harness = Harness([Fixture.node("n1", cpus: 2, memoryGiB: 8), Fixture.node("n2", cpus: 8, memoryGiB: 2)])
        harness.place(Fixture.request("cpu", cpus: 4))
        harness.place(Fixture.request("mem", memoryGiB: 4))
        #expect(harness.placements == ["n2", "n1"])
        harness.place(Fixture.request("both", cpus: 4, memoryGiB: 4))
        #expect(harness.explanation == "no suitable node (insufficient resources on 2 nodes)")
    }

    @Test func resourcesAreUsedUpByEarlierTasksAndCommittedOnes() {
        var committed = CommittedLoad()
        committed.add(serviceID: "old", holding: ResourceAmounts(nanoCPUs: 3 * Fixture.cpu, memoryBytes: Fixture.gib))
        var harness = Harness([Fixture.node("n1", cpus: 4, committed: committed)])
        harness.place(Fixture.request(count: 3, cpus: 0.5))
        #expect(harness.placements == ["n1", "n1"])
        #expect(harness.plan.unplacedCount == 1)
        #expect(harness.explanation == "no suitable node (insufficient resources on 1 node)")
    }

    @Test func constraintFilter() {
        var harness = Harness(
            Fixture.nodes(4) { number, node in node.labels["zone"] = number <= 2 ? "a" : "b" })
        harness.place(Fixture.request(count: 4, constraints: ["node.labels.zone==b"]))
        #expect(Set(harness.placements) == ["n3", "n4"])
        harness.place(Fixture.request("x", constraints: ["node.labels.zone==c"]))
        #expect(harness.explanation == "no suitable node (scheduling constraints not satisfied on 4 nodes)")
    }

    @Test func invalidConstraintLeavesTasksPendingWithTheParseError() {
        var harness = Harness(Fixture.nodes(2))
        harness.place(Fixture.request(count: 2, constraints: ["node.zone==a"]))
        #expect(harness.plan.assignments.isEmpty)
        #expect(harness.plan.unplaced.first?.taskIDs == ["svc.1", "svc.2"])
        #expect(harness.explanation?.hasPrefix("invalid constraint \"node.zone==a\": unknown key") == true)
    }

    @Test func platformFilter() {
        var harness = Harness([
            Fixture.node("amd", os: "linux", arch: "x86_64"), Fixture.node("arm", os: "linux", arch: "aarch64"),
            Fixture.node("win", os: "windows", arch: "amd64"),
        ])
        harness.place(Fixture.request("a", count: 2, platforms: [TargetPlatform(os: "linux", architecture: "arm64")]))
        #expect(harness.placements == ["arm", "arm"])
        harness.place(Fixture.request("b", count: 2, platforms: [TargetPlatform(os: "linux", architecture: "amd64")]))
        #expect(harness.placements.suffix(2) == ["amd", "amd"])
        harness.place(Fixture.request("c", platforms: [TargetPlatform(os: "linux", architecture: "s390x")]))
        #expect(harness.explanation == "no suitable node (unsupported platform on 3 nodes)")
    }

    @Test func platformAliasesAndWildcards() {
        let amd64 = TargetPlatform(os: "linux", architecture: "amd64")
        #expect(amd64.accepts(TargetPlatform(os: "linux", architecture: "x86_64")))
        #expect(
            TargetPlatform(os: "linux", architecture: "x86_64").accepts(
                TargetPlatform(os: "linux", architecture: "amd64")))
        #expect(TargetPlatform(architecture: "aarch64").accepts(TargetPlatform(os: "linux", architecture: "arm64")))
        #expect(TargetPlatform(os: "linux").accepts(TargetPlatform(os: "linux", architecture: "riscv64")))
        #expect(TargetPlatform().accepts(TargetPlatform(os: "windows", architecture: "arm64")))
        #expect(!amd64.accepts(TargetPlatform(os: "windows", architecture: "x86_64")))
        #expect(!amd64.accepts(TargetPlatform(os: "Linux", architecture: "x86_64")), "exact, as SwarmKit")
        #expect(!amd64.accepts(TargetPlatform(os: "linux", architecture: "arm64")))
    }

    @Test func anyOfSeveralPlatforms() {
        var harness = Harness([Fixture.node("arm", arch: "arm64"), Fixture.node("ppc", arch: "ppc64le")])
        harness.place(
            Fixture.request(
                count: 4,
                platforms: [
                    TargetPlatform(os: "linux", architecture: "aarch64"),
                    TargetPlatform(os: "linux", architecture: "ppc64le"),
                ]))
        #expect(harness.counts == ["arm": 2, "ppc": 2])
    }

    @Test func hostPortFilter() {
        let committed = CommittedLoad(taskCount: 1, hostPorts: [HostPort(.tcp, 80)])
        var harness = Harness([Fixture.node("n1", committed: committed), Fixture.node("n2")])
        harness.place(Fixture.request("web", ports: [HostPort(.tcp, 80)]))
        #expect(harness.placements == ["n2"])
        harness.place(Fixture.request("dns", count: 2, ports: [HostPort(.udp, 80)]))
        #expect(Set(harness.placements.suffix(2)) == ["n1", "n2"], "udp/80 is another port than tcp/80")
        harness.place(Fixture.request("web2", ports: [HostPort(.tcp, 8080), HostPort(.tcp, 80)]))
        #expect(harness.explanation == "no suitable node (host-mode port already in use on 2 nodes)")
    }

    /// Two tasks of one batch cannot share a host port either.
    @Test func hostPortsTakenWithinTheSameBatch() {
        var harness = Harness(Fixture.nodes(3))
        harness.place(Fixture.request(count: 5, ports: [HostPort(.tcp, 443)]))
        #expect(harness.counts == ["n1": 1, "n2": 1, "n3": 1])
        #expect(harness.plan.unplaced.first?.taskIDs == ["svc.4", "svc.5"])
        #expect(harness.explanation == "no suitable node (host-mode port already in use on 3 nodes)")
    }

    @Test func maxReplicasPerNode() {
        var harness = Harness(Fixture.nodes(3))
        harness.place(Fixture.request(count: 8, maxReplicas: 2))
        #expect(harness.counts == ["n1": 2, "n2": 2, "n3": 2])
        #expect(harness.plan.unplacedCount == 2)
        #expect(harness.explanation == "no suitable node (max replicas per node limit exceed)")
    }

    @Test func maxReplicasCountsCommittedTasksOfTheServiceOnly() {
        var harness = Harness([
            Fixture.node("n1", committed: Fixture.load("svc", 1)),
            Fixture.node("n2", committed: Fixture.load("other", 5)),
        ])
        harness.place(Fixture.request(count: 3, maxReplicas: 1))
        #expect(harness.placements == ["n2"])
        #expect(harness.plan.unplacedCount == 2)
    }

    @Test func preassignedNodeRunsTheFiltersOnThatNodeOnly() {
        var harness = Harness([Fixture.node("n1"), Fixture.node("n2", availability: .drain), Fixture.node("n3")])
        harness.place(Fixture.request("global", node: "n3"))
        #expect(harness.placements == ["n3"])
        harness.place(Fixture.request("global", node: "n2"))
        #expect(harness.explanation == "no suitable node (1 node not available for new tasks)")
        harness.place(Fixture.request("global", node: "gone"))
        #expect(harness.explanation == "node gone not found")
    }

    @Test func noNodesAtAll() {
        var harness = Harness([])
        harness.place(Fixture.request(count: 2))
        #expect(harness.explanation == "no suitable node")
        #expect(
            harness.plan.unplaced == [
                UnplacedTasks(serviceID: "svc", taskIDs: ["svc.1", "svc.2"], explanation: "no suitable node")
            ])
    }

    @Test func emptyRequestDoesNothing() {
        var harness = Harness(Fixture.nodes(1))
        harness.place(Fixture.request(count: 0))
        #expect(harness.plan == SchedulingPlan(seed: 42))
    }
}

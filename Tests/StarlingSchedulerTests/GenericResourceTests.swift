import StarlingModel
import Testing

@testable import StarlingScheduler

@Suite struct GenericResourceTests {
    @Test func discreteUnitsAreCountedDown() {
        var harness = Harness([Fixture.node("ssd", discrete: ["ssd": 3]), Fixture.node("plain")])
        harness.place(Fixture.request(count: 3, generic: ["ssd": 1]))
        #expect(harness.counts == ["ssd": 3, "plain": 0])
        #expect(harness.plan.assignments.allSatisfy { $0.namedResources.isEmpty })
        harness.place(Fixture.request("more", generic: ["ssd": 1]))
        #expect(harness.explanation == "no suitable node (insufficient resources on 2 nodes)")
    }

    @Test func namedUnitsAreHandedOutLowestFirst() {
        var harness = Harness([Fixture.node("gpu", named: ["gpu": ["GPU-2", "GPU-0", "GPU-1"]])])
        harness.place(Fixture.request("train", generic: ["gpu": 2]))
        harness.place(Fixture.request("infer", generic: ["gpu": 1]))
        #expect(harness.plan.assignments.map(\.namedResources) == [["gpu": ["GPU-0", "GPU-1"]], ["gpu": ["GPU-2"]]])
        harness.place(Fixture.request("late", generic: ["gpu": 1]))
        #expect(harness.explanation == "no suitable node (insufficient resources on 1 node)")
    }

    @Test func namedUnitsHeldByCommittedTasksAreNotHandedOut() {
        var committed = CommittedLoad()
        committed.add(serviceID: "old", holding: ResourceAmounts(named: ["gpu": ["GPU-0"]]))
        var harness = Harness([Fixture.node("gpu", named: ["gpu": ["GPU-0", "GPU-1"]], committed: committed)])
        harness.place(Fixture.request(count: 2, generic: ["gpu": 1]))
        #expect(harness.plan.assignments.map(\.namedResources) == [["gpu": ["GPU-1"]]])
        #expect(harness.plan.unplacedCount == 1)
    }

    @Test func discreteUnitsHeldByCommittedTasksAreNotCounted() {
        var committed = CommittedLoad()
        committed.add(serviceID: "old", holding: ResourceAmounts(discrete: ["fpga": 2]))
        var harness = Harness([Fixture.node("n1", discrete: ["fpga": 3], committed: committed)])
        harness.place(Fixture.request(count: 2, generic: ["fpga": 1]))
        #expect(harness.plan.assignments.count == 1)
    }

    @Test func aKindNoNodeHasFitsNowhere() {
        var harness = Harness(Fixture.nodes(2) { _, node in node.resources.discrete["ssd"] = 4 })
        harness.place(Fixture.request(generic: ["tpu": 1]))
        #expect(harness.explanation == "no suitable node (insufficient resources on 2 nodes)")
        harness.place(Fixture.request("zero", generic: ["tpu": 0]))
        #expect(harness.plan.assignments.count == 1, "asking for zero units asks for nothing")
    }

    @Test func genericResourcesSpreadLikeTheRest() {
        var harness = Harness(Fixture.nodes(3) { number, node in node.resources.discrete["gpu"] = Int64(number) })
        harness.place(Fixture.request(count: 6, generic: ["gpu": 1]))
        #expect(harness.counts == ["n1": 1, "n2": 2, "n3": 3])
    }

    @Test func mappedFromAStoredNode() {
        let node = Node(
            id: "abc", createdAt: Timestamp(seconds: 0), updatedAt: Timestamp(seconds: 0),
            spec: NodeSpec(labels: ["zone": "a"], role: .manager, availability: .pause),
            description: NodeDescription(
                hostname: "host-1", platform: Platform(architecture: "x86_64", os: "linux"),
                resources: Resources(
                    nanoCPUs: 2_000_000_000, memoryBytes: 1 << 30,
                    genericResources: [
                        .discrete(kind: "ssd", value: 2), .named(kind: "gpu", value: "GPU-0"),
                        .named(kind: "gpu", value: "GPU-1"),
                    ]),
                engine: EngineDescription(labels: ["disk": "nvme"])),
            status: NodeStatus(state: .ready))
        let schedulable = SchedulableNode(node, runtimes: ["process"])
        #expect(
            schedulable
                == SchedulableNode(
                    id: "abc", hostname: "host-1", role: .manager, availability: .pause, state: .ready,
                    platform: TargetPlatform(os: "linux", architecture: "x86_64"), labels: ["zone": "a"],
                    engineLabels: ["disk": "nvme"],
                    resources: ResourceAmounts(
                        nanoCPUs: 2_000_000_000, memoryBytes: 1 << 30, discrete: ["ssd": 2],
                        named: ["gpu": ["GPU-0", "GPU-1"]]),
                    runtimes: ["process"]))
    }
}

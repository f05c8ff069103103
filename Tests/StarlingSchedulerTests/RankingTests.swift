import StarlingModel
import Testing

@testable import StarlingScheduler

/// Ranking: spread preferences, then fewest tasks of the service, then fewest tasks in all, then the seeded order.
@Suite struct RankingTests {
    @Test func batchOfThirtyOnThreeNodes() {
        var harness = Harness(Fixture.nodes(3))
        harness.place(Fixture.request(count: 30))
        #expect(harness.counts == ["n1": 10, "n2": 10, "n3": 10])
        #expect(harness.plan.unplaced.isEmpty)
    }

    /// Consecutive tasks of a batch go to different nodes while the counts are even, not 10 in a row to one.
    @Test func aBatchInterleaves() {
        var harness = Harness(Fixture.nodes(3))
        harness.place(Fixture.request(count: 6))
        let placements = harness.placements
        #expect(Set(placements.prefix(3)).count == 3)
        #expect(Set(placements.suffix(3)).count == 3)
    }

    @Test func fewestTasksOfTheServiceFirst() {
        var harness = Harness([
            Fixture.node("n1", committed: Fixture.load("svc", 2)),
            Fixture.node("n2", committed: Fixture.load("svc", 0, otherTasks: 9)),
            Fixture.node("n3", committed: Fixture.load("svc", 1)),
        ])
        harness.place(Fixture.request(count: 3))
        // n2 (0 of svc) first, then n2 and n3 tie at 1: n3 has fewer tasks in all; then every node has 2.
        #expect(harness.placements == ["n2", "n3", "n2"])
    }

    @Test func thenFewestTasksInAll() {
        var harness = Harness([
            Fixture.node("n1", committed: Fixture.load("other", 3)),
            Fixture.node("n2", committed: Fixture.load("other", 1)),
            Fixture.node("n3", committed: Fixture.load("other", 2)),
        ])
        harness.place(Fixture.request("a"), Fixture.request("b"), Fixture.request("c"))
        #expect(harness.placements.first == "n2")
        #expect(harness.counts == ["n1": 0, "n2": 2, "n3": 1], "three tasks even the nodes out at 3")
    }

    /// Equal nodes are taken in the seeded order: the same seed gives the same order, other seeds other orders.
    @Test func tiesFollowTheSeededOrder() {
        let nodes = Fixture.nodes(8)
        func firstChoices(seed: UInt64) -> [String] {
            var harness = Harness(nodes, seed: seed)
            for service in 0..<8 { harness.place(Fixture.request("s\(service)")) }
            return harness.placements
        }
        #expect(Set(firstChoices(seed: 1)).count == 8, "one-off tasks of different services spread by total load")
        #expect(firstChoices(seed: 1) == firstChoices(seed: 1))
        let orders = Set((1...10).map { firstChoices(seed: $0) })
        #expect(orders.count > 5)
    }

    @Test func sameSeedSamePlanWhateverTheNodeOrder() {
        let nodes = Fixture.nodes(20) { number, node in node.labels["zone"] = "z\(number % 3)" }
        let requests = [
            Fixture.request("a", count: 17, spread: ["node.labels.zone"]), Fixture.request("b", count: 5),
            Fixture.request("c", count: 9, cpus: 1),
        ]
        let plan = Scheduler.plan(for: requests, on: nodes, seed: 7)
        #expect(plan.seed == 7)
        #expect(Scheduler.plan(for: requests, on: nodes.reversed(), seed: 7) == plan)
        #expect(Scheduler.plan(for: requests, on: nodes.shuffled(), seed: 7) == plan)
        #expect(Scheduler.plan(for: requests, on: nodes, seed: 8) != plan)
    }

    @Test func spreadOverOneLevel() {
        // Zone a has 4 nodes, zone b 2, zone c 1: a spread gives each zone the same share, not each node.
        var harness = Harness(
            Fixture.nodes(7) { number, node in node.labels["zone"] = ["a", "a", "a", "a", "b", "b", "c"][number - 1] })
        harness.place(Fixture.request(count: 9, spread: ["node.labels.zone"]))
        #expect(harness.counts(byLabel: "zone") == ["a": 3, "b": 3, "c": 3])
        #expect(harness.counts["n7"] == 3)
        #expect(harness.counts["n5"] == 2 || harness.counts["n6"] == 2)
    }

    @Test func nodesWithoutTheLabelFormTheirOwnGroup() {
        var harness = Harness(
            Fixture.nodes(4) { number, node in
                if number <= 2 { node.labels["zone"] = number == 1 ? "a" : "b" }
            })
        harness.place(Fixture.request(count: 6, spread: ["node.labels.zone"]))
        #expect(harness.counts(byLabel: "zone") == ["a": 2, "b": 2, "": 2])
        #expect(harness.counts == ["n1": 2, "n2": 2, "n3": 1, "n4": 1])
    }

    @Test func spreadOverTwoLevels() {
        // zone a: racks r1 (2 nodes), r2 (1 node); zone b: rack r1 (1 node).
        let layout = [("a", "r1"), ("a", "r1"), ("a", "r2"), ("b", "r1")]
        var harness = Harness(
            Fixture.nodes(4) { number, node in
                node.labels["zone"] = layout[number - 1].0
                node.labels["rack"] = layout[number - 1].1
            })
        harness.place(Fixture.request(count: 8, spread: ["node.labels.zone", "node.labels.rack"]))
        #expect(harness.counts(byLabel: "zone") == ["a": 4, "b": 4])
        #expect(harness.counts == ["n1": 1, "n2": 1, "n3": 2, "n4": 4])
    }

    @Test func spreadOverEngineLabels() {
        var harness = Harness(Fixture.nodes(3) { number, node in node.engineLabels["dc"] = number == 1 ? "x" : "y" })
        harness.place(Fixture.request(count: 4, spread: ["engine.labels.dc"]))
        #expect(harness.counts["n1"] == 2)
    }

    /// Existing tasks count: the zone that has fewer gets the new ones until the zones are even.
    @Test func spreadEvensOutExistingTasks() {
        var harness = Harness([
            Fixture.node("a1", labels: ["zone": "a"], committed: Fixture.load("svc", 4)),
            Fixture.node("b1", labels: ["zone": "b"]),
        ])
        harness.place(Fixture.request(count: 6, spread: ["node.labels.zone"]))
        #expect(harness.counts == ["a1": 1, "b1": 5])
    }

    /// A zone that runs out of room is skipped; the rest still spread evenly.
    @Test func aFullZoneIsSkipped() {
        var harness = Harness([
            Fixture.node("a1", cpus: 1, labels: ["zone": "a"]),
            Fixture.node("b1", labels: ["zone": "b"]), Fixture.node("c1", labels: ["zone": "c"]),
        ])
        harness.place(Fixture.request(count: 7, cpus: 1, spread: ["node.labels.zone"]))
        #expect(harness.counts == ["a1": 1, "b1": 3, "c1": 3])
        #expect(harness.plan.unplaced.isEmpty)
    }

    /// Spread groups tasks on nodes the constraints exclude too (SwarmKit's tree counts every node).
    @Test func spreadCountsTasksOnExcludedNodes() {
        var harness = Harness([
            Fixture.node("a-manager", role: .manager, labels: ["zone": "a"], committed: Fixture.load("svc", 2)),
            Fixture.node("a1", labels: ["zone": "a"]), Fixture.node("b1", labels: ["zone": "b"]),
        ])
        harness.place(Fixture.request(count: 2, constraints: ["node.role==worker"], spread: ["node.labels.zone"]))
        #expect(harness.counts == ["a-manager": 0, "a1": 0, "b1": 2])
    }

    @Test func unsupportedDescriptorsAreIgnored() {
        var harness = Harness(Fixture.nodes(3))
        harness.place(Fixture.request(count: 3, spread: ["node.hostname"]))
        #expect(harness.counts == ["n1": 1, "n2": 1, "n3": 1])
    }

    /// Later requests of the same service see what earlier ones placed.
    @Test func batchesOfOneServiceAddUp() {
        var harness = Harness(Fixture.nodes(3))
        for _ in 0..<3 { harness.place(Fixture.request(count: 2, maxReplicas: 2)) }
        #expect(harness.counts == ["n1": 2, "n2": 2, "n3": 2])
        harness.place(Fixture.request(count: 1, maxReplicas: 2))
        #expect(harness.explanation == "no suitable node (max replicas per node limit exceed)")
    }
}

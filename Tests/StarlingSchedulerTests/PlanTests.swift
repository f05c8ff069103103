import Testing

@testable import StarlingScheduler

@Suite struct PlanTests {
    @Test func readingAPlan() {
        var scheduler = Scheduler(nodes: [Fixture.node("n1", cpus: 1)], seed: 3)
        #expect(scheduler.schedule(Fixture.request("a", count: 3, cpus: 0.5)) == 2)
        let plan = scheduler.plan
        #expect(plan.seed == 3)
        #expect(plan.nodeID(of: "a.1") == "n1")
        #expect(plan.nodeID(of: "a.3") == nil)
        #expect(plan.explanation(of: "a.3") == "no suitable node (insufficient resources on 1 node)")
        #expect(plan.explanation(of: "a.1") == nil)
        #expect(plan.tasksPerNode == ["n1": 2])
        #expect(plan.unplacedCount == 1)
        #expect(plan.assignments.first == TaskAssignment(taskID: "a.1", serviceID: "a", nodeID: "n1"))
    }

    @Test func requestsNameTheirTasks() {
        #expect(TaskRequest(serviceID: "web", count: 3).taskIDs == ["web.1", "web.2", "web.3"])
        #expect(TaskRequest(serviceID: "web", count: -1).taskIDs.isEmpty)
        #expect(ResourceRequest().isEmpty)
        #expect(ResourceRequest(generic: ["gpu": 0]).isEmpty)
        #expect(!ResourceRequest(generic: ["gpu": 1]).isEmpty)
    }

    /// SplitMix64's published sequence: a recorded seed must keep meaning the same node order.
    @Test func seededRandomIsSplitMix64() {
        var random = SeededRandom(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        var bounded = SeededRandom(seed: 9)
        #expect((0..<1000).allSatisfy { _ in bounded.next(below: 7) < 7 })
        var shuffler = SeededRandom(seed: 5)
        let permutation = shuffler.permutation(of: 50)
        #expect(permutation.sorted() == Array(0..<50))
        var again = SeededRandom(seed: 5)
        #expect(again.permutation(of: 50) == permutation)
        var empty = SeededRandom(seed: 1)
        #expect(empty.permutation(of: 0).isEmpty)
    }
}

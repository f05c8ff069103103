import Foundation
import StarlingClient
import StarlingModel
import Testing

/// Node availability and replicated services on real daemons: a drained node's tasks move to the other nodes, and
/// tasks spread back once it is active again, never with fewer running than the service asks for.
@Suite(.serialized) struct ServiceDrainTests {
    /// 6 replicas run 2/2/2; after `node update --availability drain w2` they run 3/3 on m1 and w1, and w2 runs none.
    @Test(.timeLimit(.minutes(3)))
    func drainingANodeMovesItsTasksOff() async throws {
        try await ServiceScenario.run { scenario in
            let names = try await scenario.nodeIDs()
            let service = try await runSix(scenario, names: names)
            try await drain(scenario, service: service, names: names)
        }
    }

    /// After a drain, making the node active again spreads the tasks back to 2/2/2; at every poll at least 6 tasks
    /// run.
    @Test(.timeLimit(.minutes(3)))
    func aNodeBackFromDrainGetsTasksBack() async throws {
        try await ServiceScenario.run { scenario in
            let names = try await scenario.nodeIDs()
            let service = try await runSix(scenario, names: names)
            try await drain(scenario, service: service, names: names)

            try await scenario.updateNode("w2") { $0.availability = .active }
            var fewest = Int.max
            let tasks = try await scenario.waitForTasks(of: service, "the tasks spread back to w2") { tasks in
                // Observed state only: a task being replaced still counts while its process runs.
                fewest = min(fewest, tasks.filter { $0.status.state == .running }.count)
                let running = ServiceScenario.running(tasks)
                return running.count == 6
                    && ServiceScenario.perNode(running, names: names) == ["m1": 2, "w1": 2, "w2": 2]
            }
            #expect(fewest >= 6, "never fewer than 6 running (seen: \(fewest))")
            #expect(tasks.filter { $0.desiredState == .running }.count == 6)
        }
    }

    /// Creates a 6-replica service and waits until it runs 2/2/2.
    private func runSix(_ scenario: ServiceScenario, names: [String: String]) async throws -> String {
        let service = try await scenario.create(ServiceScenario.processService("six", mode: .replicated(replicas: 6)))
        let tasks = try await scenario.waitForTasks(of: service, "6 tasks run") {
            ServiceScenario.running($0).count == 6
        }
        #expect(ServiceScenario.perNode(ServiceScenario.running(tasks), names: names) == ["m1": 2, "w1": 2, "w2": 2])
        return service
    }

    /// Drains w2 and waits until its tasks have stopped and 6 run on the other two nodes.
    private func drain(_ scenario: ServiceScenario, service: String, names: [String: String]) async throws {
        let w2 = try #require(names["w2"])
        try await scenario.updateNode("w2") { $0.availability = .drain }
        let tasks = try await scenario.waitForTasks(of: service, "6 tasks run off the drained node") { tasks in
            ServiceScenario.running(tasks).count == 6
                && tasks.filter { $0.nodeID == w2 }.allSatisfy { $0.status.state.isTerminal }
        }
        #expect(ServiceScenario.perNode(ServiceScenario.running(tasks), names: names) == ["m1": 3, "w1": 3])
        #expect(tasks.filter { $0.nodeID == w2 }.allSatisfy { $0.desiredState >= .shutdown })
    }
}

import Foundation
import StarlingClient
import StarlingDev
import StarlingModel
import Testing

/// Where a service's tasks go on real daemons: even spread, constraints and spread over node labels, the scheduler's
/// explanation when no node fits, and global services on every node, a late one included.
@Suite(.serialized) struct ServicePlacementTests {
    /// The issue's own scenario: a 3-node cluster in network namespaces (`starling dev up`) runs 30 replicas
    /// 10/10/10; scaled down to 9 it keeps 3/3/3; removed, every task stops.
    @Test(
        .enabled(if: DevClusterTests.isRoot && DevClusterTests.starlingBinary != nil), .timeLimit(.minutes(4)))
    func thirtyReplicasSpreadTenTenTenInNamespaces() async throws {
        let binary = try #require(DevClusterTests.starlingBinary)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stl-svc-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: base) }
        let layout = DevLayout(stateRoot: base.path + "/state", socketRoot: base.path + "/run")
        let name = "svc\(getpid() % 100_000)"
        let cluster = DevCluster()
        let status = try await cluster.up(
            DevClusterRequest(name: name, nodeCount: 3, binary: binary, isolated: true), layout: layout)
        do {
            let manager = EngineClient(address: .unix(path: status.record.nodes[0].plan.socketPath))
            do {
                try await thirtyReplicas(manager, record: status.record)
                try await manager.shutdown()
            } catch {
                try? await manager.shutdown()
                throw error
            }
            let report = try await cluster.down(name: name, layout: layout, keepState: false)
            #expect(report.killed.isEmpty, "every daemon stops on SIGTERM, with its tasks")
        } catch {
            _ = try? await cluster.down(name: name, layout: layout, keepState: false)
            throw error
        }
    }

    private func thirtyReplicas(_ manager: EngineClient, record: DevClusterRecord) async throws {
        let names = Dictionary(
            try await manager.nodes().map { ($0.description?.hostname ?? $0.id, $0.id) },
            uniquingKeysWith: { first, _ in first })
        #expect(names.count == 3)
        let spec = ServiceScenario.processService("thirty", mode: .replicated(replicas: 30))
        let service = try await manager.createService(spec).id
        func tasks() async throws -> [SwarmTask] { try await manager.tasks(filters: Filters(["service": [service]])) }

        try await waitUntil("30 replicas run", timeout: .seconds(90), interval: .milliseconds(50)) {
            ServiceScenario.running(try await tasks()).count == 30
        }
        let running = ServiceScenario.running(try await tasks())
        #expect(ServiceScenario.perNode(running, names: names) == ["node1": 10, "node2": 10, "node3": 10])
        // Each task's process runs in the network namespace of the daemon that runs it, not in the host's.
        let daemons = Dictionary(
            record.nodes.compactMap { node in node.nodeID.map { ($0, node.process?.pid ?? 0) } },
            uniquingKeysWith: { first, _ in first })
        let host = Self.networkNamespace(of: getpid())
        for task in running {
            let pid = try #require(task.status.containerStatus?.pid)
            let daemon = try #require(daemons[task.nodeID ?? ""])
            let namespace = Self.networkNamespace(of: Int32(pid))
            #expect(namespace != nil && namespace == Self.networkNamespace(of: daemon) && namespace != host)
        }

        var scaled = try await manager.service(service)
        scaled.spec.mode = .replicated(replicas: 9)
        _ = try await manager.updateService(service, version: scaled.version.index, spec: scaled.spec)
        try await waitUntil("9 replicas run and the rest stopped", timeout: .seconds(60), interval: .milliseconds(50)) {
            let all = try await tasks()
            return ServiceScenario.running(all).count == 9
                && all.filter { $0.desiredState != .running }.allSatisfy { $0.status.state.isTerminal }
        }
        #expect(
            ServiceScenario.perNode(ServiceScenario.running(try await tasks()), names: names)
                == ["node1": 3, "node2": 3, "node3": 3], "scaling down keeps the spread")

        try await manager.removeService(service)
        try await waitUntil("every task has stopped", timeout: .seconds(60), interval: .milliseconds(50)) {
            try await tasks().allSatisfy { $0.status.state.isTerminal }
        }
    }

    /// The network namespace a process is in (`net:[4026531840]`), or nil if it is gone.
    static func networkNamespace(of pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
    }

    /// `node update --label-add` through the API, then: a constraint keeps a service on the labelled nodes, a spread
    /// preference splits it evenly between zones of different sizes, and an impossible constraint leaves tasks
    /// pending with the scheduler's explanation until a label makes it possible.
    @Test(.timeLimit(.minutes(3)))
    func constraintsAndSpreadFollowNodeLabels() async throws {
        try await ServiceScenario.run { scenario in
            try await scenario.updateNode("m1") { $0.labels = ["role": "cache", "zone": "a"] }
            try await scenario.updateNode("w1") { $0.labels = ["role": "cache", "zone": "b"] }
            try await scenario.updateNode("w2") { $0.labels = ["zone": "b"] }
            let names = try await scenario.nodeIDs()

            let cache = try await scenario.create(
                ServiceScenario.processService(
                    "cache", mode: .replicated(replicas: 4),
                    placement: Placement(constraints: ["node.labels.role==cache"])))
            // Without the preference, 6 tasks would go 2/2/2: zone a would get 2 and zone b 4.
            let zoned = try await scenario.create(
                ServiceScenario.processService(
                    "zoned", mode: .replicated(replicas: 6),
                    placement: Placement(preferences: [.spread("node.labels.zone")])))
            let nowhere = try await scenario.create(
                ServiceScenario.processService(
                    "nowhere", mode: .replicated(replicas: 2),
                    placement: Placement(constraints: ["node.labels.role==gpu"])))

            let cacheTasks = try await scenario.waitForTasks(of: cache, "the cache service's 4 tasks run") {
                ServiceScenario.running($0).count == 4
            }
            #expect(ServiceScenario.perNode(ServiceScenario.running(cacheTasks), names: names) == ["m1": 2, "w1": 2])

            let zonedTasks = try await scenario.waitForTasks(of: zoned, "the zoned service's 6 tasks run") {
                ServiceScenario.running($0).count == 6
            }
            let perNode = ServiceScenario.perNode(ServiceScenario.running(zonedTasks), names: names)
            #expect(perNode["m1"] == 3, "zone a (one node) takes half: \(perNode)")
            #expect((perNode["w1"] ?? 0) + (perNode["w2"] ?? 0) == 3, "zone b (two nodes) the other half: \(perNode)")

            let explanation = "no suitable node (scheduling constraints not satisfied on 3 nodes)"
            let pending = try await scenario.waitForTasks(of: nowhere, "the impossible tasks wait, explained") {
                $0.count == 2 && $0.allSatisfy { $0.status.state == .pending && $0.status.err == explanation }
            }
            #expect(pending.allSatisfy { $0.nodeID == nil })

            // A label that satisfies the constraint lets them run, on that node only.
            try await scenario.updateNode("w2") { $0.labels["role"] = "gpu" }
            let placed = try await scenario.waitForTasks(of: nowhere, "the once impossible tasks run on w2") {
                ServiceScenario.running($0).count == 2
            }
            #expect(ServiceScenario.perNode(ServiceScenario.running(placed), names: names) == ["w2": 2])
            #expect(placed.allSatisfy { $0.status.err == nil })
        }
    }

    /// A global service runs one task on every node, and one on a node that joins later.
    @Test(.timeLimit(.minutes(3)))
    func aGlobalServiceRunsOnEveryNodeAndOnANewOne() async throws {
        try await ServiceScenario.run { scenario in
            let service = try await scenario.create(ServiceScenario.processService("everywhere", mode: .global))
            let first = try await scenario.waitForTasks(of: service, "one task runs on each of the 3 nodes") {
                ServiceScenario.running($0).count == 3
            }
            let names = try await scenario.nodeIDs()
            #expect(
                ServiceScenario.perNode(ServiceScenario.running(first), names: names) == ["m1": 1, "w1": 1, "w2": 1])
            #expect(first.allSatisfy { $0.slot == nil })

            let harness = scenario.harness
            try await harness.start("w3")
            let token = try await scenario.manager.swarmInspect().joinTokens?.worker ?? ""
            try await harness.client("w3") {
                try await $0.swarmJoin(
                    SwarmJoinRequest(remoteAddrs: ["127.0.0.1:\(harness.daemon("m1").port)"], joinToken: token))
            }
            let all = try await scenario.waitForTasks(of: service, "a task runs on the node that joined") {
                ServiceScenario.running($0).count == 4
            }
            let after = try await scenario.nodeIDs()
            #expect(
                ServiceScenario.perNode(ServiceScenario.running(all), names: after)
                    == ["m1": 1, "w1": 1, "w2": 1, "w3": 1])
            #expect(
                Set(ServiceScenario.running(first).map(\.id)).isSubset(of: Set(ServiceScenario.running(all).map(\.id))),
                "the first three tasks kept running")
        }
    }
}

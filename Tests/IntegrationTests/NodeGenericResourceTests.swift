import Foundation
import StarlingClient
import StarlingModel
import Testing

/// A node started with `--node-generic-resource` offers it; a service that reserves it runs only there, and what
/// does not fit waits with the scheduler's reason.
@Suite(.serialized) struct NodeGenericResourceTests {
    @Test(.timeLimit(.minutes(3)))
    func tasksReservingAGenericResourceRunWhereItIsOffered() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        try await harness.start("m1", extra: ["--node-generic-resource", "gpu=GPU-0"])
        try await harness.start("w1")
        let address = "127.0.0.1:\(harness.daemon("m1").port)"
        _ = try await harness.client("m1") { try await $0.swarmInit(SwarmInitRequest()) }
        let token = try await harness.client("m1") { try await $0.swarmInspect().joinTokens?.worker ?? "" }
        try await harness.client("w1") {
            try await $0.swarmJoin(SwarmJoinRequest(remoteAddrs: [address], joinToken: token))
        }
        try await waitUntil("two nodes are ready", timeout: .seconds(15)) {
            let nodes = try await harness.client("m1") { try await $0.nodes() }
            return nodes.count == 2 && nodes.allSatisfy { $0.status.state == .ready }
        }
        let nodes = try await harness.client("m1") { try await $0.nodes() }
        let m1 = try #require(nodes.first { $0.description?.hostname == "m1" })
        #expect(m1.description?.resources?.genericResources == [.named(kind: "gpu", value: "GPU-0")])

        let spec = ServiceSpec(
            name: "trainer", labels: ["io.starling.runtime": "process"],
            taskTemplate: TaskSpec(
                containerSpec: ContainerSpec(args: [
                    "sh", "-c", "echo \"gpu $DOCKER_RESOURCE_GPU\"; trap 'exit 0' TERM; sleep 3600 & wait",
                ]),
                resources: ResourceRequirements(
                    reservations: Resources(genericResources: [.discrete(kind: "gpu", value: 1)]))),
            mode: .replicated(replicas: 2))
        let created = try await ServiceTests.call(
            harness, "POST", "/services/create", body: spec, as: ServiceCreateResponse.self)
        try await waitUntil("one task runs on m1 and the other waits", timeout: .seconds(30)) {
            let tasks = try await ServiceTests.tasks(harness, service: created.id)
            return tasks.filter { $0.status.state == .running }.map(\.nodeID) == [m1.id]
                && tasks.filter { $0.status.state == .pending }.count == 1
        }
        let running = try #require(
            try await ServiceTests.tasks(harness, service: created.id).first { $0.status.state == .running })
        #expect(running.genericResources == [.named(kind: "gpu", value: "GPU-0")])
        // The task learns which unit it got, as Docker tells it.
        try await waitUntil("the task printed its GPU", timeout: .seconds(20)) {
            try await ServiceLogTests.lines(harness, service: created.id).map(\.text) == ["gpu GPU-0\n"]
        }
        let pending = try #require(
            try await ServiceTests.tasks(harness, service: created.id).first { $0.status.state == .pending })
        #expect(pending.status.err == "no suitable node (insufficient resources on 2 nodes)")
    }
}

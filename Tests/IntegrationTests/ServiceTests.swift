import Foundation
import StarlingClient
import StarlingModel
import Testing

/// Process services on three real daemons: tasks are placed, run, fail over when a node dies, and stop when the
/// service goes.
@Suite(.serialized) struct ServiceTests {
    /// Sends an Engine API request and decodes the answer (tests use raw requests so they see the wire).
    static func call<T: Decodable>(
        _ harness: DaemonHarness, _ method: String, _ path: String, body: some Encodable = Optional<String>.none,
        as type: T.Type
    ) async throws -> T {
        let data = try StarlingJSON.encode(body)
        let answer = try await harness.client("m1") { client in
            try await client.raw(
                method: method, path: "/v1.41" + path, headers: [("Content-Type", "application/json")],
                body: method == "GET" ? Data() : data)
        }
        try #require(
            (200..<300).contains(answer.status), "\(method) \(path): \(String(decoding: answer.body, as: UTF8.self))")
        return try StarlingJSON.decode(type, from: answer.body)
    }

    static func tasks(_ harness: DaemonHarness, service: String) async throws -> [SwarmTask] {
        let filters = Filters(["service": [service], "desired-state": ["running"]]).json
        let query = filters.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try await call(harness, "GET", "/tasks?filters=\(query)", as: [SwarmTask].self)
    }

    @Test(.timeLimit(.minutes(3)))
    func processServiceRunsAndFailsOver() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)

        let spec = ServiceSpec(
            name: "sleeper", labels: ["io.starling.runtime": "process"],
            taskTemplate: TaskSpec(
                containerSpec: ContainerSpec(args: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]),
                restartPolicy: RestartPolicy(condition: .any, delay: 0)),
            mode: .replicated(replicas: 6))
        let created = try await Self.call(
            harness, "POST", "/services/create", body: spec, as: ServiceCreateResponse.self)

        let clock = ContinuousClock()
        try await waitUntil("6 tasks run", timeout: .seconds(30)) {
            let tasks = try await Self.tasks(harness, service: created.id)
            return tasks.count == 6 && tasks.allSatisfy { $0.status.state == .running }
        }
        let tasks = try await Self.tasks(harness, service: created.id)
        let nodes = try await harness.client("m1") { try await $0.nodes() }
        let w1 = try #require(nodes.first { $0.description?.hostname == "w1" })
        #expect(Set(tasks.compactMap(\.nodeID)).count == 3, "spread over the three nodes")

        // kill -9 of a worker: its tasks run elsewhere soon after it is down.
        let killed = clock.now
        harness.kill9("w1")
        try await waitUntil("6 tasks run again, none on the dead node", timeout: .seconds(30)) {
            let tasks = try await Self.tasks(harness, service: created.id)
            return tasks.count == 6 && tasks.allSatisfy { $0.status.state == .running && $0.nodeID != w1.id }
        }
        print("kill -9 of a worker → all 6 replicas running again: \(clock.now - killed)")

        // Removing the service stops every task that a live node runs.
        let removed = try await harness.client("m1") { client in
            try await client.raw(method: "DELETE", path: "/v1.41/services/\(created.id)", headers: [], body: Data())
        }
        #expect(removed.status == 200)
        try await waitUntil("the service's tasks are gone or stopped", timeout: .seconds(30)) {
            let all: [SwarmTask] = try await Self.call(harness, "GET", "/tasks", as: [SwarmTask].self)
            // The dead node's tasks cannot report; every other task must have stopped.
            return all.filter { $0.serviceID == created.id && $0.nodeID != w1.id }.allSatisfy {
                $0.status.state.isTerminal
            }
        }
    }
}

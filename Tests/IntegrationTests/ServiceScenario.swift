import Foundation
import StarlingClient
import StarlingModel
import Testing

/// A swarm of real daemons on loopback (the manager `m1`, the workers `w1` and `w2`) and the Engine API calls that
/// the service scenarios make through the manager, with one client kept for the whole scenario so that polling at a
/// fine interval stays cheap.
struct ServiceScenario {
    let harness: DaemonHarness
    let manager: EngineClient

    /// Forms the swarm, runs `body`, then stops every daemon and every task process they started (those of a killed
    /// daemon too), whatever happens.
    static func run(_ body: (ServiceScenario) async throws -> Void) async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let manager = EngineClient(address: harness.daemon("m1").address)
        do {
            try await body(ServiceScenario(harness: harness, manager: manager))
        } catch {
            try? await manager.shutdown()
            throw error
        }
        try await manager.shutdown()
    }

    // MARK: Specs

    /// Runs until stopped and exits 0 on SIGTERM (busybox `sleep` as the main process would ignore it).
    static let sleeper = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]

    /// A service whose tasks run `args` as plain processes on the nodes.
    static func processService(
        _ name: String, mode: ServiceMode, args: [String] = sleeper, restart: RestartPolicy? = nil,
        placement: Placement? = nil, healthcheck: HealthConfig? = nil
    ) -> ServiceSpec {
        ServiceSpec(
            name: name, labels: ["io.starling.runtime": "process"],
            taskTemplate: TaskSpec(
                containerSpec: ContainerSpec(args: args, healthcheck: healthcheck),
                restartPolicy: restart ?? RestartPolicy(condition: .any, delay: 0), placement: placement),
            mode: mode)
    }

    // MARK: Calls

    /// `POST /services/create`; returns the service's ID.
    func create(_ spec: ServiceSpec) async throws -> String {
        try await manager.createService(spec).id
    }

    /// Every task of the service the manager knows, whatever its desired state.
    func tasks(of service: String) async throws -> [SwarmTask] {
        try await manager.tasks(filters: Filters(["service": [service]]))
    }

    /// Node IDs by hostname.
    func nodeIDs() async throws -> [String: String] {
        let nodes = try await manager.nodes()
        return Dictionary(
            nodes.map { ($0.description?.hostname ?? $0.id, $0.id) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads the node's spec, changes it and writes it back at the version it was read at.
    func updateNode(_ hostname: String, _ change: (inout NodeSpec) -> Void) async throws {
        let node = try await manager.node(hostname)
        var spec = node.spec
        change(&spec)
        try await manager.updateNode(node.id, version: node.version.index, spec: spec)
    }

    /// Polls the service's tasks every `interval` until `condition` holds for them, and returns them. On timeout the
    /// failure lists the tasks as they were last seen.
    @discardableResult
    func waitForTasks(
        of service: String, _ what: String, timeout: Duration = .seconds(60), interval: Duration = .milliseconds(20),
        _ condition: ([SwarmTask]) throws -> Bool
    ) async throws -> [SwarmTask] {
        var last: [SwarmTask] = []
        do {
            try await waitUntil(what, timeout: timeout, interval: interval) {
                last = try await tasks(of: service)
                return try condition(last)
            }
        } catch {
            Issue.record("the tasks as last seen:\n\(Self.describe(last))")
            throw error
        }
        return last
    }

    // MARK: Reading tasks

    /// The tasks the orchestrator still wants (desired state `running`) that also run.
    static func running(_ tasks: [SwarmTask]) -> [SwarmTask] {
        tasks.filter { $0.desiredState == .running && $0.status.state == .running }
    }

    /// How many of `tasks` each node carries, by hostname (nodes without any are left out).
    static func perNode(_ tasks: [SwarmTask], names: [String: String]) -> [String: Int] {
        let hostnames = Dictionary(names.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        var counts: [String: Int] = [:]
        for task in tasks { counts[task.nodeID.flatMap { hostnames[$0] } ?? "unassigned", default: 0] += 1 }
        return counts
    }

    /// One line per task, for failure messages.
    static func describe(_ tasks: [SwarmTask]) -> String {
        tasks.sorted { ($0.slot ?? 0, $0.createdAt) < ($1.slot ?? 0, $1.createdAt) }.map { task in
            let place = task.slot.map { "slot \($0)" } ?? "node \(task.nodeID ?? "-")"
            return "  \(task.id) \(place) on \(task.nodeID ?? "-"): desired \(task.desiredState.rawValue), "
                + "state \(task.status.state.rawValue)\(task.status.err.map { " (\($0))" } ?? "")"
        }.joined(separator: "\n")
    }
}

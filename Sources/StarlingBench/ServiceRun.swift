import Foundation
import StarlingClient
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// The figures of one run of the services benchmark. A figure is missing, with the reason, when its condition did not
/// come about within the step's time limit.
struct ServiceSample: Sendable {
    /// From `POST /services/create` until every replica runs.
    var create30: Outcome
    var create90: Outcome
    /// From `node update --availability drain` of a node with 10 tasks until all 30 replicas run on the other nodes.
    var drain: Outcome
    /// From SIGKILL of a worker with 10 tasks until the manager lists it Down, and until all 30 replicas run again.
    var killToDown: Outcome
    var killToRecovered: Outcome

    /// A figure, or why there is none.
    enum Outcome: Sendable {
        case measured(Duration)
        case notMeasured(String)

        var duration: Duration? {
            if case .measured(let duration) = self { return duration }
            return nil
        }

        var reason: String? {
            if case .notMeasured(let reason) = self { return reason }
            return nil
        }
    }
}

/// One run of the services benchmark on a fresh 3-node swarm on loopback (a manager and two workers): create 30
/// replicas, drain a worker, create 90 replicas, create 30 again and kill a worker. Every replica is a process task
/// that exits on SIGTERM, as the Swarm baseline's containers did; the services keep Docker's default restart policy.
///
/// Each figure runs from the API call to the condition observed through the manager's API, polled every `interval`.
/// A step whose condition does not come about within `stepTimeout` gives no figure but the state it ended in (and
/// how often the manager marked a node Down meanwhile, from its log); its service is removed and the run goes on
/// once the nodes are idle again.
struct ServiceRun: Sendable {
    let workspace: BenchWorkspace
    let interval: Duration
    /// How long the drained node's tasks get to move before the drain figure is given up as not measurable.
    let drainTimeout: Duration
    /// How long any other timed step may take.
    let stepTimeout: Duration
    /// The longest forming the swarm may take before the run fails.
    var timeout: Duration = .seconds(300)

    /// Runs until stopped, and exits at once on SIGTERM.
    static let workload = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]

    func run(number: Int) async throws -> ServiceSample {
        var daemons: [BenchDaemon] = []
        do {
            for name in ["m", "w1", "w2"] {
                daemons.append(try await workspace.startDaemon("svc\(number)-\(name)"))
            }
            let sample = try await withEngineClients([daemons[0].api]) { clients in
                let cluster = try await ServiceCluster.form(
                    api: clients[0], manager: daemons[0], workers: Array(daemons.dropFirst()), timeout: timeout)
                return try await measure(cluster, victim: daemons[1])
            }
            workspace.stop(daemons)
            return sample
        } catch {
            if !daemons.isEmpty {
                let logs = daemons.map { "--- \($0.name) (\($0.process.logFile)):\n\($0.process.logTail())" }
                progress("run \(number) failed; the end of the daemons' logs:\n" + logs.joined(separator: "\n"))
            }
            workspace.stop(daemons)
            throw error
        }
    }

    private func measure(_ cluster: ServiceCluster, victim: BenchDaemon) async throws -> ServiceSample {
        var sample = ServiceSample(
            create30: .notMeasured("not reached"), create90: .notMeasured("not reached"),
            drain: .notMeasured("not reached"), killToDown: .notMeasured("not reached"),
            killToRecovered: .notMeasured("not reached"))
        // Once a removed service's tasks do not stop, the nodes are not idle, and the rest of the run would not
        // measure what it says: the remaining figures give the reason instead.
        func skipRest(_ reason: String) -> ServiceSample {
            var skipped = sample
            for figure in [\ServiceSample.create90, \.drain, \.killToDown, \.killToRecovered]
            where skipped[keyPath: figure].reason == "not reached" {
                skipped[keyPath: figure] = .notMeasured(reason)
            }
            return skipped
        }

        let first: String
        (first, sample.create30) = try await timeCreate(cluster, "bench-30", replicas: 30)
        sample.drain =
            sample.create30.duration != nil
            ? try await timeDrain(cluster, service: first, node: "w2")
            : .notMeasured("the 30 replicas never all ran")
        if let reason = try await remove(cluster, service: first) { return skipRest(reason) }

        let ninety: String
        (ninety, sample.create90) = try await timeCreate(cluster, "bench-90", replicas: 90)
        if let reason = try await remove(cluster, service: ninety) { return skipRest(reason) }

        let (second, ready) = try await timeCreate(cluster, "bench-kill", replicas: 30)
        guard ready.duration != nil else {
            return skipRest("the 30 replicas to kill a node under never all ran")
        }
        (sample.killToDown, sample.killToRecovered) = try await timeKill(cluster, service: second, victim: victim)
        return sample
    }

    private static func spec(_ name: String, replicas: Int) -> ServiceSpec {
        ServiceSpec(
            name: name, labels: ["io.starling.runtime": "process"],
            taskTemplate: TaskSpec(containerSpec: ContainerSpec(args: workload)),
            mode: .replicated(replicas: UInt64(replicas)))
    }

    /// Creates the service and times it until `replicas` tasks run.
    private func timeCreate(
        _ cluster: ServiceCluster, _ name: String, replicas: Int
    ) async throws -> (service: String, outcome: ServiceSample.Outcome) {
        let clock = ContinuousClock()
        let downs = cluster.downsLogged()
        let start = clock.now
        let id = try await cluster.api.createService(Self.spec(name, replicas: replicas)).id
        do {
            _ = try await waitFor("\(replicas) replicas of \(name) to run", timeout: stepTimeout, interval: interval) {
                () async throws -> Bool? in
                try await cluster.running(id).count == replicas ? true : nil
            }
            return (id, .measured(clock.now - start))
        } catch let error as StarlingError where error.code == .unavailable {
            let running = try await cluster.running(id).count
            return (
                id,
                .notMeasured(
                    "\(running) of \(replicas) running after \(stepTimeout)\(cluster.downsText(since: downs))")
            )
        }
    }

    /// Drains `node` and times it until every replica runs elsewhere; then makes the node active again.
    private func timeDrain(
        _ cluster: ServiceCluster, service: String, node: String
    ) async throws -> ServiceSample.Outcome {
        let nodeID = try cluster.nodeID(node)
        let replicas = try await cluster.running(service).count
        let onNode = try await cluster.running(service).filter { $0.nodeID == nodeID }.count
        if onNode != replicas / 3 { progress("\(node) runs \(onNode) of the \(replicas) tasks before the drain") }
        let clock = ContinuousClock()
        let downs = cluster.downsLogged()
        let start = clock.now
        try await cluster.setAvailability(node, .drain)
        let outcome: ServiceSample.Outcome
        do {
            _ = try await waitFor("the tasks to leave \(node)", timeout: drainTimeout, interval: interval) {
                () async throws -> Bool? in
                let running = try await cluster.running(service)
                return running.count == replicas && !running.contains { $0.nodeID == nodeID } ? true : nil
            }
            outcome = .measured(clock.now - start)
        } catch let error as StarlingError where error.code == .unavailable {
            let running = try await cluster.running(service)
            let left = running.filter { $0.nodeID == nodeID }.count
            outcome = .notMeasured(
                "after \(drainTimeout), \(left) of its \(onNode) tasks still ran on the drained node and "
                    + "\(running.count - left) of \(replicas) elsewhere\(cluster.downsText(since: downs))")
        }
        try await cluster.setAvailability(node, .active)
        return outcome
    }

    /// Kills `victim` with SIGKILL and times it until the manager lists it Down and until every replica runs on the
    /// other nodes.
    private func timeKill(
        _ cluster: ServiceCluster, service: String, victim: BenchDaemon
    ) async throws -> (down: ServiceSample.Outcome, recovered: ServiceSample.Outcome) {
        let nodeID = try cluster.nodeID(victim.name)
        let before = try await cluster.running(service)
        let replicas = before.count
        let onVictim = before.filter { $0.nodeID == nodeID }.count
        if onVictim != replicas / 3 {
            progress("\(victim.name) runs \(onVictim) of the \(replicas) tasks when it is killed")
        }
        let clock = ContinuousClock()
        let start = clock.now
        victim.process.send(SIGKILL)
        var down: Duration?
        var recovered: Duration?
        do {
            _ = try await waitFor(
                "\(victim.name) to be Down and every replica to run again", timeout: stepTimeout, interval: interval
            ) { () async throws -> Bool? in
                if down == nil, try await cluster.api.node(nodeID).status.state == .down { down = clock.now - start }
                if recovered == nil {
                    let running = try await cluster.running(service)
                    if running.count == replicas, !running.contains(where: { $0.nodeID == nodeID }) {
                        recovered = clock.now - start
                    }
                }
                return down != nil && recovered != nil ? true : nil
            }
        } catch let error as StarlingError where error.code == .unavailable {
            // Reported below, figure by figure.
        }
        let running = try await cluster.running(service).filter { $0.nodeID != nodeID }.count
        return (
            down.map { .measured($0) } ?? .notMeasured("\(victim.name) was not Down after \(stepTimeout)"),
            recovered.map { .measured($0) }
                ?? .notMeasured("\(running) of \(replicas) running on the other nodes after \(stepTimeout)")
        )
    }

    /// Removes the service and waits until each of its tasks has stopped, so the next step starts on idle nodes.
    /// Returns why the rest of the run cannot go on when they did not stop within `stepTimeout`.
    private func remove(_ cluster: ServiceCluster, service: String) async throws -> String? {
        try await cluster.api.removeService(service)
        let downs = cluster.downsLogged()
        do {
            _ = try await waitFor("the tasks of a removed service to stop", timeout: stepTimeout, interval: interval) {
                () async throws -> Bool? in
                try await cluster.api.tasks().allSatisfy { $0.serviceID != service || $0.status.state.isTerminal }
                    ? true : nil
            }
            return nil
        } catch let error as StarlingError where error.code == .unavailable {
            let left = try await cluster.api.tasks().filter { $0.serviceID == service && !$0.status.state.isTerminal }
            return "skipped: \(left.count) tasks of a removed service had not stopped after \(stepTimeout)"
                + cluster.downsText(since: downs)
        }
    }
}

/// A formed swarm as the services benchmark uses it: the manager's API and the node IDs by hostname.
struct ServiceCluster: Sendable {
    let api: EngineClient
    let nodeIDs: [String: String]
    /// The manager's log, where it notes each node it marks Down.
    let managerLog: String

    /// `swarm init` on the manager and `swarm join` of each worker, until all are Ready. The manager is named `m`
    /// in `nodeIDs`, each worker by the suffix after its last `-` (`w1`, `w2`), as well as by its full name.
    static func form(
        api: EngineClient, manager: BenchDaemon, workers: [BenchDaemon], timeout: Duration
    ) async throws -> ServiceCluster {
        _ = try await api.swarmInit(
            SwarmInitRequest(listenAddr: manager.controlAddress, advertiseAddr: manager.controlAddress))
        guard let token = try await api.swarmInspect().joinTokens?.worker, !token.isEmpty else {
            throw StarlingError.internal("the manager returned no worker join token")
        }
        try await withEngineClients(workers.map(\.api)) { clients in
            for (worker, client) in zip(workers, clients) {
                try await client.swarmJoin(
                    SwarmJoinRequest(
                        listenAddr: worker.controlAddress, advertiseAddr: worker.controlAddress,
                        remoteAddrs: [manager.controlAddress], joinToken: token))
            }
        }
        let count = workers.count + 1
        let nodes = try await waitFor("\(count) nodes Ready", timeout: timeout) { () async throws -> [Node]? in
            let nodes = try await api.nodes()
            return nodes.count == count && nodes.allSatisfy { $0.status.state == .ready } ? nodes : nil
        }
        var ids: [String: String] = [:]
        for node in nodes {
            guard let hostname = node.description?.hostname else { continue }
            ids[hostname] = node.id
            ids[String(hostname.split(separator: "-").last ?? Substring(hostname))] = node.id
        }
        return ServiceCluster(api: api, nodeIDs: ids, managerLog: manager.process.logFile)
    }

    func nodeID(_ name: String) throws -> String {
        guard let id = nodeIDs[name] else { throw StarlingError.notFound("the manager does not list \(name)") }
        return id
    }

    /// How many times the manager has logged that it marked a node Down (`node down`), for explaining a step that
    /// did not complete: a manager too busy to take heartbeats in time marks live nodes Down.
    func downsLogged() -> Int {
        guard let text = try? String(contentsOfFile: managerLog, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").filter { $0.contains("node down") }.count
    }

    /// `; the manager marked nodes Down 12 times meanwhile`, or nothing when it did not.
    func downsText(since count: Int) -> String {
        let downs = downsLogged() - count
        return downs > 0 ? "; the manager marked nodes Down \(downs) times meanwhile" : ""
    }

    /// The service's tasks that run and are meant to.
    func running(_ service: String) async throws -> [SwarmTask] {
        try await api.tasks(filters: Filters(["service": [service]])).filter {
            $0.desiredState == .running && $0.status.state == .running
        }
    }

    /// `node update --availability`, at the version just read.
    func setAvailability(_ name: String, _ availability: NodeSpec.Availability) async throws {
        let node = try await api.node(try nodeID(name))
        var spec = node.spec
        spec.availability = availability
        try await api.updateNode(node.id, version: node.version.index, spec: spec)
    }
}

import Foundation
import StarlingClient
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// The figures of one formation run.
struct FormationSample: Sendable {
    /// Each daemon's start, until its API answered (manager, then the workers).
    var daemonStarts: [Duration]
    /// From `swarm init` through both joins until the manager lists 3 nodes Ready.
    var formation: Duration
    /// The manager's and a worker's resident memory after the cluster has been idle.
    var managerIdleRSS: Double
    var workerIdleRSS: Double
    /// From SIGKILL of a worker until the manager lists it Down.
    var killToDown: Duration
}

/// One run of the small-cluster benchmark on fresh daemons: a manager and two workers on loopback are started
/// (timed one by one), the swarm is formed through the Engine API as `swarm init`, `swarm join-token -q worker` and
/// two `swarm join`s would, the cluster idles, then a worker is killed with SIGKILL.
struct SwarmFormation: Sendable {
    let workspace: BenchWorkspace
    /// How long the cluster idles before its memory is read.
    let idle: Duration
    /// The longest any one step may take before the run fails.
    var timeout: Duration = .seconds(120)

    func run(number: Int) async throws -> FormationSample {
        var daemons: [BenchDaemon] = []
        do {
            for name in ["m", "w1", "w2"] {
                daemons.append(try await workspace.startDaemon("run\(number)-\(name)"))
            }
            let sample = try await measure(manager: daemons[0], workers: [daemons[1], daemons[2]])
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

    private func measure(manager: BenchDaemon, workers: [BenchDaemon]) async throws -> FormationSample {
        let clock = ContinuousClock()
        return try await withEngineClients([manager.api] + workers.map(\.api)) { clients in
            let api = clients[0]
            let start = clock.now
            _ = try await api.swarmInit(
                SwarmInitRequest(listenAddr: manager.controlAddress, advertiseAddr: manager.controlAddress))
            guard let token = try await api.swarmInspect().joinTokens?.worker, !token.isEmpty else {
                throw StarlingError.internal("the manager returned no worker join token")
            }
            for (worker, client) in zip(workers, clients.dropFirst()) {
                try await client.swarmJoin(
                    SwarmJoinRequest(
                        listenAddr: worker.controlAddress, advertiseAddr: worker.controlAddress,
                        remoteAddrs: [manager.controlAddress], joinToken: token))
            }
            let nodes = try await waitFor("3 nodes Ready", timeout: timeout) { () async throws -> [Node]? in
                let nodes = try await api.nodes()
                return nodes.count == 3 && nodes.allSatisfy { $0.status.state == .ready } ? nodes : nil
            }
            let formation = clock.now - start

            try await Task.sleep(for: idle)
            let managerRSS = try ProcessSample.residentBytes(pid: manager.process.pid)
            let workerRSS = try ProcessSample.residentBytes(pid: workers[0].process.pid)

            let victim = workers[1]
            guard let victimID = nodes.first(where: { $0.description?.hostname == victim.name })?.id else {
                throw StarlingError.internal("the manager does not list \(victim.name)")
            }
            let killed = clock.now
            victim.process.send(SIGKILL)
            _ = try await waitFor("\(victim.name) to be Down", timeout: timeout) { () async throws -> Bool? in
                try await api.node(victimID).status.state == .down ? true : nil
            }
            let down = clock.now - killed
            return FormationSample(
                daemonStarts: ([manager] + workers).map(\.startup), formation: formation, managerIdleRSS: managerRSS,
                workerIdleRSS: workerRSS, killToDown: down)
        }
    }
}

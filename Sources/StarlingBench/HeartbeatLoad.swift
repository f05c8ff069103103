import Foundation
import GRPCCore
import StarlingClient
import StarlingControlPlane
import StarlingModel
import StarlingPKI

#if canImport(Glibc)
    import Glibc
#endif

/// The figures of the heartbeat-load benchmark.
struct HeartbeatLoadResult: Sendable {
    var agents: Int
    var joinConcurrency: Int
    /// From the first join request to the last certificate.
    var joins: Duration
    /// From opening the first session to all of them established.
    var sessions: Duration
    /// The period the manager handed out once every agent was connected.
    var period: Duration?
    var window: Duration
    var acknowledgements: Int
    /// CPU seconds over the window.
    var managerCPU: Double
    var benchmarkCPU: Double
    var managerRSS: Double
    /// Nodes the manager lists, and how many of them are Ready.
    var nodes: Int
    var readyNodes: Int
    var sessionFailures: Int
    var lastFailure: String?

    var heartbeatsPerSecond: Double { Double(acknowledgements) / window.seconds }
}

/// One manager daemon and `agents` simulated nodes in this process: each joins through the CA service with the
/// worker token, then keeps a dispatcher session and heartbeats. Measures the joins, then the steady state over
/// `window`: acknowledged heartbeats per second and the manager's CPU and memory.
struct HeartbeatLoad: Sendable {
    let workspace: BenchWorkspace
    let agents: Int
    /// Join requests in flight at once (over one connection), and sessions being opened at once.
    let concurrency: Int
    let window: Duration
    var timeout: Duration = .seconds(300)

    func run() async throws -> HeartbeatLoadResult {
        let manager = try await workspace.startDaemon("load-m")
        do {
            let result = try await measure(manager)
            workspace.stop([manager])
            return result
        } catch {
            progress("the heartbeat load failed; the end of the manager's log:\n\(manager.process.logTail())")
            workspace.stop([manager])
            throw error
        }
    }

    private func measure(_ manager: BenchDaemon) async throws -> HeartbeatLoadResult {
        let clock = ContinuousClock()
        return try await withEngineClients([manager.api]) { clients in
            let api = clients[0]
            _ = try await api.swarmInit(
                SwarmInitRequest(listenAddr: manager.controlAddress, advertiseAddr: manager.controlAddress))
            guard let token = try await api.swarmInspect().joinTokens?.worker, !token.isEmpty else {
                throw StarlingError.internal("the manager returned no worker join token")
            }
            let address = try ControlPlaneAddress(parsing: manager.controlAddress)

            progress("making \(agents) keys, bootstrap certificates and CSRs")
            let candidates = try (0..<agents).map { try AgentCandidate(index: $0 + 1) }
            let rootCA = try await fetchRootCA(address: address, token: token, bootstrap: candidates[0].bootstrap)

            progress("joining \(agents) simulated agents, \(concurrency) at a time")
            let joinStart = clock.now
            let joined = try await join(candidates, address: address, token: token, rootCA: rootCA)
            let joins = clock.now - joinStart

            let tally = SessionTally()
            return try await withThrowingDiscardingTaskGroup { group in
                progress("opening \(agents) dispatcher sessions, \(concurrency) at a time")
                let sessionStart = clock.now
                for batch in stride(from: 0, to: joined.count, by: concurrency) {
                    let end = min(batch + concurrency, joined.count)
                    for agent in joined[batch..<end] {
                        group.addTask { await agent.run(manager: address, tally: tally) }
                    }
                    try await waitForSessions(end, tally: tally)
                }
                let sessions = clock.now - sessionStart
                let steady = try await measureSteadyState(manager: manager.process.pid, tally: tally)
                let nodes = try await api.nodes()
                group.cancelAll()
                let counts = tally.current
                return HeartbeatLoadResult(
                    agents: agents, joinConcurrency: concurrency, joins: joins, sessions: sessions,
                    period: counts.period, window: steady.window, acknowledgements: steady.acknowledgements,
                    managerCPU: steady.managerCPU, benchmarkCPU: steady.benchmarkCPU, managerRSS: steady.managerRSS,
                    nodes: nodes.count, readyNodes: nodes.filter { $0.status.state == .ready }.count,
                    sessionFailures: counts.failures, lastFailure: counts.lastFailure)
            }
        }
    }

    /// Waits until `count` sessions are up, saying every few seconds how far it got.
    private func waitForSessions(_ count: Int, tally: SessionTally) async throws {
        let clock = ContinuousClock()
        var lastReport = clock.now
        _ = try await waitFor("\(count) sessions", timeout: timeout) { () -> Bool? in
            let counts = tally.current
            if clock.now - lastReport > .seconds(5) {
                lastReport = clock.now
                progress(
                    "\(counts.connected) of \(count) sessions up, \(counts.failures) failed"
                        + (counts.lastFailure.map { " (last: \($0))" } ?? ""))
            }
            return counts.connected >= count ? true : nil
        }
    }

    /// What the steady state costs: acknowledgements and CPU over `window`, and the manager's memory at its end.
    private struct SteadyState {
        var window: Duration
        var acknowledgements: Int
        var managerCPU: Double
        var benchmarkCPU: Double
        var managerRSS: Double
    }

    private func measureSteadyState(manager pid: pid_t, tally: SessionTally) async throws -> SteadyState {
        // Every agent learns the period for the full cluster with its next acknowledgement.
        let settle = (tally.current.period ?? .seconds(1)) * 2
        progress("all sessions established; settling for \(Figure.seconds(settle.seconds))")
        try await Task.sleep(for: settle)

        progress("measuring for \(Figure.seconds(window.seconds))")
        let clock = ContinuousClock()
        let acknowledged = tally.current.acknowledgements
        let manager = try ProcessSample.read(pid: pid)
        let benchmark = try ProcessSample.cpuSeconds(pid: getpid())
        let start = clock.now
        try await Task.sleep(for: window)
        let managerAfter = try ProcessSample.read(pid: pid)
        return SteadyState(
            window: clock.now - start, acknowledgements: tally.current.acknowledgements - acknowledged,
            managerCPU: managerAfter.cpuSeconds - manager.cpuSeconds,
            benchmarkCPU: try ProcessSample.cpuSeconds(pid: getpid()) - benchmark,
            managerRSS: managerAfter.residentBytes)
    }

    /// `GetRootCA` over a bootstrap connection, checked against the token, as a joining node does.
    private func fetchRootCA(
        address: ControlPlaneAddress, token: String, bootstrap: BootstrapIdentity
    ) async throws -> RootCA {
        let parsed: JoinToken
        do {
            parsed = try JoinToken(parsing: token)
        } catch {
            throw StarlingError.internal("the manager's worker token does not parse: \(error)")
        }
        let transport = try ControlPlaneTransport.bootstrapClient(to: address, identity: bootstrap)
        return try await withGRPCClient(transport: transport) { grpc in
            try await CAService.Client(wrapping: grpc).fetchRootCA(checking: parsed)
        }
    }

    /// Joins every candidate over one connection that trusts `rootCA`, `concurrency` requests in flight at once.
    private func join(
        _ candidates: [AgentCandidate], address: ControlPlaneAddress, token: String, rootCA: RootCA
    ) async throws -> [SimulatedAgent] {
        let transport = try ControlPlaneTransport.client(
            to: address, certificatePEM: candidates[0].bootstrap.certificatePEM,
            privateKeyPEM: candidates[0].bootstrap.privateKeyPEM,
            trusting: .certificateAuthority(pem: rootCA.certificatePEM))
        let concurrency = concurrency
        return try await withGRPCClient(transport: transport) { grpc in
            let client = CAService.Client(wrapping: grpc)
            return try await withThrowingTaskGroup(of: SimulatedAgent.self) { group in
                var pending = candidates.makeIterator()
                for _ in 0..<concurrency {
                    guard let candidate = pending.next() else { break }
                    group.addTask { try await candidate.join(using: client, token: token, rootCA: rootCA) }
                }
                var joined: [SimulatedAgent] = []
                joined.reserveCapacity(candidates.count)
                while let agent = try await group.next() {
                    joined.append(agent)
                    if let candidate = pending.next() {
                        group.addTask { try await candidate.join(using: client, token: token, rootCA: rootCA) }
                    }
                }
                return joined
            }
        }
    }
}

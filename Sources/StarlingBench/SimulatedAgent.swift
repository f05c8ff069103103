import Foundation
import GRPCCore
import StarlingControlPlane
import StarlingModel
import StarlingPKI
import Synchronization

/// A node the benchmark pretends to be, before it has joined: its bootstrap key and certificate, and the CSR for
/// that key. Made ahead of time so that the join figure measures the manager, not the benchmark's key generation.
struct AgentCandidate: Sendable {
    let index: Int
    let bootstrap: BootstrapIdentity
    let signingRequestPEM: String

    init(index: Int) throws {
        self.index = index
        bootstrap = try BootstrapIdentity.make(now: Date())
        signingRequestPEM = try SigningRequest.pem(try bootstrap.signingRequest())
    }

    var hostname: String { String(format: "sim-%04d", index) }

    /// Joins as a worker with `token`, as `swarm join` does after checking the CA.
    func join<Transport: ClientTransport>(
        using client: CAService.Client<Transport>, token: String, rootCA: RootCA
    ) async throws -> SimulatedAgent {
        let response = try await client.join(
            JoinRequest(token: token, csrPEM: signingRequestPEM, hostname: hostname, advertiseAddr: "127.0.0.1"))
        let identity = try bootstrap.nodeIdentity(
            certificate: try PEM.certificate(response.certificatePEM, what: "node certificate"),
            caCertificate: rootCA.certificate)
        return SimulatedAgent(hostname: hostname, identity: identity)
    }
}

/// A joined node the benchmark pretends to be: it keeps a dispatcher session open, registering and then
/// heartbeating at the period the manager asks for, as `AgentSession` does.
///
/// Each agent has a connection of its own: the manager names a session's node by the client certificate of the
/// connection it arrives on, so sessions of different nodes cannot share one.
struct SimulatedAgent: Sendable {
    let hostname: String
    let identity: NodeIdentity

    /// Runs sessions with the manager at `address` until cancelled, reconnecting after a pause when one ends.
    func run(manager address: ControlPlaneAddress, tally: SessionTally) async {
        var epoch: UInt64 = 0
        while !Task.isCancelled {
            epoch += 1
            let reason: String
            do {
                try await session(address: address, epoch: epoch, tally: tally)
                reason = "the manager ended the session"
            } catch {
                reason = "\(error)"
            }
            if Task.isCancelled { return }
            tally.failed(reason)
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    private func session(address: ControlPlaneAddress, epoch: UInt64, tally: SessionTally) async throws {
        let transport = try ControlPlaneTransport.pinnedClient(to: address, identity: identity)
        let registration = RegisterRequest(
            description: NodeDescription(hostname: hostname), addr: "127.0.0.1", sessionEpoch: epoch)
        try await withGRPCClient(transport: transport) { grpc in
            try await DispatcherService.Client(wrapping: grpc).session { outbound, inbound in
                outbound.send(.register(registration))
                let period = HeartbeatPeriod(.milliseconds(500))
                var established = false
                defer { if established { tally.ended() } }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var sequence: UInt64 = 0
                        while true {
                            try await Task.sleep(for: period.value)
                            sequence += 1
                            guard outbound.send(.heartbeat(Heartbeat(sequence: sequence))) else { return }
                        }
                    }
                    for try await message in inbound {
                        switch message {
                        case .sessionEstablished(let info):
                            period.value = info.heartbeatPeriod
                            if !established { tally.established(period: info.heartbeatPeriod) }
                            established = true
                        case .heartbeatAck(let ack):
                            period.value = ack.heartbeatPeriod
                            tally.acknowledged(period: ack.heartbeatPeriod)
                        case .nodeUpdate, .assignments, .logSubscription, .logSubscriptionEnded, .unknown:
                            break
                        }
                    }
                    group.cancelAll()
                }
            }
        }
    }
}

/// What all simulated agents' sessions have seen so far, counted together.
final class SessionTally: Sendable {
    struct Counts: Sendable {
        /// Sessions established and not ended.
        var connected = 0
        var acknowledgements = 0
        /// Sessions that failed or ended.
        var failures = 0
        var lastFailure: String?
        /// The period in the latest `sessionEstablished` or `heartbeatAck`.
        var period: Duration?
    }

    private let counts = Mutex(Counts())

    var current: Counts { counts.withLock { $0 } }

    func established(period: Duration) {
        counts.withLock {
            $0.connected += 1
            $0.period = period
        }
    }

    func ended() {
        counts.withLock { $0.connected -= 1 }
    }

    func acknowledged(period: Duration) {
        counts.withLock {
            $0.acknowledgements += 1
            $0.period = period
        }
    }

    func failed(_ reason: String) {
        counts.withLock {
            $0.failures += 1
            $0.lastFailure = reason
        }
    }
}

/// The heartbeat period of one session, shared by its reader (which learns it) and its heartbeat sender.
private final class HeartbeatPeriod: Sendable {
    private let storage: Mutex<Duration>

    init(_ initial: Duration) { storage = Mutex(initial) }

    var value: Duration {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

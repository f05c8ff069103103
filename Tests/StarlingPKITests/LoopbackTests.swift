import Foundation
import GRPCCore
import StarlingControlPlane
import StarlingModel
import StarlingPKI
import Testing

/// Real gRPC over mutual TLS on 127.0.0.1 (ephemeral ports): join, session, per-call authentication.
@Suite("Control plane over loopback mTLS", .serialized, .timeLimit(.minutes(2)))
struct LoopbackTests {
    /// Keeps a test from hanging if something is wrong: every unary call gives up after this.
    let options: CallOptions = {
        var options = CallOptions.defaults
        options.timeout = .seconds(20)
        return options
    }()

    /// Runs `manager` behind a server presenting `identity` (its own manager identity by default) for `body`.
    func withManager<Result: Sendable>(
        _ manager: TestManager, identity: NodeIdentity? = nil, keepalive: KeepalivePolicy = .default,
        _ body: (ControlPlaneAddress) async throws -> Result
    ) async throws -> Result {
        let transport = ControlPlaneTransport.server(
            address: ControlPlaneAddress(host: "127.0.0.1", port: 0),
            identity: try identity ?? manager.managerIdentity(), keepalive: keepalive)
        return try await withGRPCServer(
            transport: transport,
            services: [CAService.Server(manager), DispatcherService.Server(manager), ControlService.Server(manager)]
        ) { _ in
            try await body(try await ControlPlaneAddress(listeningOn: transport))
        }
    }

    /// What a joining node does: bootstrap connection, check the CA against the token, join with a CSR.
    func join(_ address: ControlPlaneAddress, token: JoinToken) async throws -> NodeIdentity {
        let bootstrap = try BootstrapIdentity.make(now: Date())
        let transport = try ControlPlaneTransport.bootstrapClient(to: address, identity: bootstrap)
        return try await withGRPCClient(transport: transport) { client in
            let ca = CAService.Client(wrapping: client)
            let rootCA = try await ca.fetchRootCA(checking: token, options: options)
            let response = try await ca.join(
                JoinRequest(
                    token: token.description, csrPEM: SigningRequest.pem(bootstrap.signingRequest()), hostname: "w1",
                    advertiseAddr: "127.0.0.1"),
                options: options)
            #expect(response.caCertificatePEM == rootCA.certificatePEM)
            #expect(response.managers.map(\.nodeID) == ["manager-1"])
            return try bootstrap.nodeIdentity(
                certificate: PEM.certificate(response.certificatePEM), caCertificate: rootCA.certificate)
        }
    }

    @Test func nodeJoinsThenOpensAnAuthenticatedSession() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        try await withManager(manager) { address in
            let identity = try await join(address, token: manager.workerToken)
            #expect(identity.peer == PeerIdentity(nodeID: "worker-1", role: .worker, clusterID: "test-cluster"))

            let transport = try ControlPlaneTransport.pinnedClient(to: address, identity: identity)
            try await withGRPCClient(transport: transport) { client in
                let (info, acks) = try await DispatcherService.Client(wrapping: client).session { outbound, inbound in
                    var messages = inbound.makeAsyncIterator()
                    outbound.send(
                        .register(
                            RegisterRequest(
                                description: NodeDescription(hostname: "w1"), addr: "127.0.0.1", sessionEpoch: 1)))
                    guard case .sessionEstablished(let info)? = try await messages.next() else {
                        throw StarlingError.internal("expected sessionEstablished first")
                    }
                    var acks: [UInt64] = []
                    for sequence in UInt64(1)...3 {
                        outbound.send(.heartbeat(Heartbeat(sequence: sequence)))
                        guard case .heartbeatAck(let ack)? = try await messages.next() else {
                            throw StarlingError.internal("expected a heartbeat acknowledgement")
                        }
                        acks.append(ack.sequence)
                    }
                    return (info, acks)
                }
                #expect(info.nodeID == "worker-1")
                #expect(info.sessionID == "session-1")
                #expect(info.heartbeatPeriod == .milliseconds(500))
                #expect(acks == [1, 2, 3])

                // Certificate renewal is authenticated by the node certificate itself.
                let renewed = try await CAService.Client(wrapping: client).renewCertificate(
                    RenewRequest(csrPEM: SigningRequest.pem(identity.signingRequest())), options: options)
                #expect(renewed.nodeID == "worker-1")
                #expect(renewed.role == .worker)

                // A worker may not forward Engine API calls: that is for managers.
                let error = await #expect(throws: StarlingError.self) {
                    try await ControlService.Client(wrapping: client).forwardAPI(
                        APIRequest(method: "GET", path: "/v1.41/info"), options: options)
                }
                #expect(error?.code == .permissionDenied)
                #expect(error?.message.contains("swarm-manager") == true)
            }
            let seen = manager.snapshot
            #expect(seen.sessionPeers == [PeerIdentity(nodeID: "worker-1", role: .worker, clusterID: "test-cluster")])
            #expect(seen.registrations.map(\.description.hostname) == ["w1"])
            // The bootstrap connection's GetRootCA was not authenticated.
            #expect(seen.rootCACallers == [nil])
        }
    }

    @Test func managersCanForwardAPICalls() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        try await withManager(manager) { address in
            let identity = try manager.managerIdentity()
            let transport = try ControlPlaneTransport.pinnedClient(to: address, identity: identity)
            let response = try await withGRPCClient(transport: transport) { client in
                try await ControlService.Client(wrapping: client).forwardAPI(
                    APIRequest(method: "GET", path: "/v1.41/nodes?filters=%7B%7D", body: Data([1, 2])),
                    options: options)
            }
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "GET /v1.41/nodes?filters=%7B%7D from manager-1")
        }
    }

    @Test func messagesLargerThanGRPCsDefaultLimitPass() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        try await withManager(manager) { address in
            let transport = try ControlPlaneTransport.pinnedClient(
                to: address, identity: try manager.managerIdentity())
            // 6 MiB each way, 8 MiB of base64 in the JSON: over gRPC's 4 MiB default, under the control plane's 32.
            let body = Data((0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0) })
            let response = try await withGRPCClient(transport: transport) { client in
                try await ControlService.Client(wrapping: client).forwardAPI(
                    APIRequest(method: "POST", path: "/echo", body: body), options: options)
            }
            #expect(response.body == body)
        }
    }

    @Test func joinWithAWrongSecretIsRefused() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        var generator = SeededGenerator(seed: 99)
        let forged = JoinToken.generate(caDigest: manager.ca.digest, using: &generator)
        try await withManager(manager) { address in
            let error = await #expect(throws: StarlingError.self) { try await join(address, token: forged) }
            #expect(error == .invalidArgument("A valid join token is necessary to join this cluster"))
        }
    }

    @Test func aTokenForAnotherCAIsRefusedBeforeJoining() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        let otherCA = try RootCA.create(now: Date())
        try await withManager(manager) { address in
            let error = await #expect(throws: StarlingError.self) {
                try await join(address, token: JoinToken.generate(for: otherCA))
            }
            #expect(error?.message == "remote CA does not match fingerprint. Expected: sha256:\(otherCA.digestHex)")
            #expect(manager.snapshot.joined == 0)
        }
    }

    @Test func aCertificateFromAnotherCAIsNotAuthenticated() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        let foreign = try IssuedNode(ca: try RootCA.create(now: Date()), nodeID: "intruder", now: Date())
        try await withManager(manager) { address in
            // The intruder trusts the manager (it is not checking), presents its foreign node certificate.
            let transport = try ControlPlaneTransport.client(
                to: address, certificatePEM: foreign.identity.certificatePEM,
                privateKeyPEM: foreign.identity.privateKeyPEM, trusting: .anyServer)
            try await withGRPCClient(transport: transport) { client in
                _ = try await CAService.Client(wrapping: client).getRootCA(options: options)
                let renewal = await #expect(throws: StarlingError.self) {
                    try await CAService.Client(wrapping: client).renewCertificate(
                        RenewRequest(csrPEM: SigningRequest.pem(foreign.identity.signingRequest())), options: options)
                }
                #expect(renewal?.code == .permissionDenied)
                let session = await #expect(throws: StarlingError.self) {
                    try await DispatcherService.Client(wrapping: client).session { outbound, inbound in
                        outbound.send(.heartbeat(Heartbeat(sequence: 1)))
                        for try await _ in inbound {}
                    }
                }
                #expect(session?.code == .permissionDenied)
            }
            let seen = manager.snapshot
            #expect(seen.rootCACallers == [nil])
            #expect(seen.sessionPeers.isEmpty)
        }
    }

    @Test func aPinnedClientRefusesAServerFromAnotherCA() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        let impostor = TestManager(ca: try RootCA.create(now: Date()))
        let identity = try manager.managerIdentity()
        try await withManager(impostor) { address in
            let transport = try ControlPlaneTransport.pinnedClient(to: address, identity: identity)
            try await withGRPCClient(transport: transport) { client in
                let error = await #expect(throws: StarlingError.self) {
                    try await CAService.Client(wrapping: client).getRootCA(options: options)
                }
                #expect(error?.code == .unavailable)
            }
            #expect(impostor.snapshot.rootCACallers.isEmpty)
        }
    }

    @Test func aSilentPeerIsDetectedByKeepalive() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        try await withManager(manager) { address in
            let relay = try FreezableRelay(forwardingTo: address.port)
            defer { relay.close() }
            let identity = try manager.managerIdentity()
            let transport = try ControlPlaneTransport.pinnedClient(
                to: ControlPlaneAddress(host: "127.0.0.1", port: relay.port), identity: identity)
            let clock = ContinuousClock()
            let (outcome, silentFor) = try await withGRPCClient(transport: transport) { client in
                try await DispatcherService.Client(wrapping: client).session { outbound, inbound in
                    var messages = inbound.makeAsyncIterator()
                    outbound.send(
                        .register(RegisterRequest(description: NodeDescription(), addr: "127.0.0.1", sessionEpoch: 1)))
                    guard case .sessionEstablished? = try await messages.next() else {
                        throw StarlingError.internal("expected sessionEstablished first")
                    }
                    relay.freeze()
                    let frozenAt = clock.now
                    do {
                        while try await messages.next() != nil {}
                        return ("ended", clock.now - frozenAt)
                    } catch {
                        return ("failed: \(error)", clock.now - frozenAt)
                    }
                }
            }
            // Without keepalive the session would wait forever on a silent connection.
            #expect(outcome.hasPrefix("failed"))
            print("silent manager noticed by the agent after \(silentFor) (\(outcome))")
            // The manager notices too: its own pings go unanswered and it drops the session.
            let deadline = clock.now + .seconds(10)
            while manager.snapshot.sessionsEnded.isEmpty, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(manager.snapshot.sessionsEnded == ["manager-1"])
        }
    }

    @Test func aConnectionThatNeverHandshakesIsClosed() async throws {
        var keepalive = KeepalivePolicy.default
        keepalive.handshakeTimeout = .milliseconds(300)
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        try await withManager(manager, keepalive: keepalive) { address in
            // A raw TCP connection that sends nothing: the server must hang up on it, not keep it forever.
            let received = try SilentConnection.readUntilClosed(port: address.port, giveUpAfter: 20)
            #expect(received == 0)
        }
    }

    @Test func anIdleSessionSurvivesKeepalivePings() async throws {
        // Pings every second must not trip the server's ping policing (too_many_pings closes the connection).
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        try await withManager(manager) { address in
            let identity = try manager.managerIdentity()
            let transport = try ControlPlaneTransport.pinnedClient(to: address, identity: identity)
            let clock = ContinuousClock()
            let acks = try await withGRPCClient(transport: transport) { client in
                try await DispatcherService.Client(wrapping: client).session { outbound, inbound in
                    var messages = inbound.makeAsyncIterator()
                    outbound.send(
                        .register(RegisterRequest(description: NodeDescription(), addr: "127.0.0.1", sessionEpoch: 1)))
                    _ = try await messages.next()
                    var acks: [UInt64] = []
                    // Idle for several keepalive intervals between heartbeats; waiting on the clock is the point.
                    for sequence in UInt64(1)...2 {
                        try await clock.sleep(for: .seconds(3))
                        outbound.send(.heartbeat(Heartbeat(sequence: sequence)))
                        if case .heartbeatAck(let ack)? = try await messages.next() { acks.append(ack.sequence) }
                    }
                    return acks
                }
            }
            #expect(acks == [1, 2])
        }
    }

    @Test func unaryRoundTripTime() async throws {
        let manager = TestManager(ca: try RootCA.create(now: Date()))
        try await withManager(manager) { address in
            let identity = try manager.managerIdentity()
            let transport = try ControlPlaneTransport.pinnedClient(to: address, identity: identity)
            let samples = try await withGRPCClient(transport: transport) { client in
                let ca = CAService.Client(wrapping: client)
                _ = try await ca.getRootCA(options: options)  // connection and TLS handshake
                let clock = ContinuousClock()
                var samples: [Duration] = []
                for _ in 0..<200 {
                    let start = clock.now
                    _ = try await ca.getRootCA(options: options)
                    samples.append(clock.now - start)
                }
                return samples.sorted()
            }
            #expect(samples.count == 200)
            print("unary GetRootCA over loopback mTLS: median \(samples[100]), p90 \(samples[180]), min \(samples[0])")
        }
    }
}

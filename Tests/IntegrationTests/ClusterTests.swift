import Foundation
import StarlingClient
import StarlingModel
import Testing

/// Three real daemons on loopback form a swarm; bad tokens are refused; a killed worker goes down and comes back
/// with its identity.
@Suite(.serialized) struct ClusterTests {
    /// Inits a swarm on `m1` and joins `w1`, `w2` as workers; returns the worker token.
    static func formCluster(_ harness: DaemonHarness) async throws -> String {
        for name in ["m1", "w1", "w2"] { try await harness.start(name) }
        let managerAddress = "127.0.0.1:\(harness.daemon("m1").port)"
        _ = try await harness.client("m1") { try await $0.swarmInit(SwarmInitRequest()) }
        let token = try await harness.client("m1") { try await $0.swarmInspect().joinTokens?.worker ?? "" }
        for name in ["w1", "w2"] {
            try await harness.client(name) {
                try await $0.swarmJoin(SwarmJoinRequest(remoteAddrs: [managerAddress], joinToken: token))
            }
        }
        try await waitUntil("three nodes are ready", timeout: .seconds(15)) {
            let nodes = try await harness.client("m1") { try await $0.nodes() }
            return nodes.count == 3 && nodes.allSatisfy { $0.status.state == .ready }
        }
        return token
    }

    @Test(.timeLimit(.minutes(3)))
    func clusterFormsAndTracksNodeHealth() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await Self.formCluster(harness)

        let nodes = try await harness.client("m1") { try await $0.nodes() }
        #expect(Set(nodes.compactMap { $0.description?.hostname }) == ["m1", "w1", "w2"])
        #expect(nodes.filter { $0.spec.role == .manager }.map { $0.description?.hostname } == ["m1"])
        let info = try await harness.client("w1") { try await $0.info() }
        #expect(info.swarm.localNodeState == .active)
        #expect(info.swarm.controlAvailable == false)
        let w1 = try #require(nodes.first { $0.description?.hostname == "w1" })
        #expect(info.swarm.nodeID == w1.id)

        // A worker cannot read cluster state, with Docker's words.
        await #expect(throws: StarlingError.notAManager) { try await harness.client("w1") { try await $0.nodes() } }

        // kill -9 of a worker: Down, then Ready with the same ID once it restarts.
        let clock = ContinuousClock()
        let killed = clock.now
        harness.kill9("w1")
        try await waitUntil("w1 is down", timeout: .seconds(10)) {
            try await harness.client("m1") { try await $0.node("w1").status.state == .down }
        }
        print("kill -9 → Down: \(clock.now - killed)")
        try await harness.start("w1")
        try await waitUntil("w1 is ready again", timeout: .seconds(10)) {
            try await harness.client("m1") { try await $0.node("w1").status.state == .ready }
        }
        let again = try await harness.client("m1") { try await $0.node("w1") }
        #expect(again.id == w1.id)
        #expect(try await harness.client("m1") { try await $0.nodes().count } == 3)

        // The manager restarts: its workers reconnect and every node is ready again.
        harness.kill9("m1")
        try await harness.start("m1")
        try await waitUntil("all nodes ready after a manager restart", timeout: .seconds(15)) {
            let nodes = try await harness.client("m1") { try await $0.nodes() }
            return nodes.count == 3 && nodes.allSatisfy { $0.status.state == .ready }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func badTokensAreRefusedAndChangeNothing() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        let token = try await Self.formCluster(harness)
        try await harness.start("x")
        let manager = "127.0.0.1:\(harness.daemon("m1").port)"

        func join(_ token: String) async throws {
            try await harness.client("x") {
                try await $0.swarmJoin(SwarmJoinRequest(remoteAddrs: [manager], joinToken: token))
            }
        }
        func joinError(_ token: String) async -> String {
            do {
                try await join(token)
                return "joined"
            } catch let error as StarlingError {
                return error.message
            } catch {
                return "\(error)"
            }
        }

        // Malformed.
        #expect(await joinError("SWMTKN-1-abc").contains("invalid join token"))
        // The right CA but a wrong secret.
        let parts = token.split(separator: "-")
        let wrongSecret = parts[0...2].joined(separator: "-") + "-" + String(repeating: "a", count: parts[3].count)
        #expect(await joinError(wrongSecret).contains("A valid join token is necessary to join this cluster"))
        // A token for another swarm's CA.
        try await harness.start("other")
        _ = try await harness.client("other") { try await $0.swarmInit(SwarmInitRequest()) }
        let foreign = try await harness.client("other") { try await $0.swarmInspect().joinTokens?.worker ?? "" }
        #expect(await joinError(foreign).contains("remote CA does not match fingerprint"))
        // A rotated token: the old one is refused, the new one works.
        let swarm = try await harness.client("m1") { try await $0.swarmInspect() }
        try await harness.client("m1") {
            try await $0.swarmUpdate(
                spec: swarm.spec, version: swarm.version.index, rotateWorkerToken: true, rotateManagerToken: false)
        }
        let rotated = try await harness.client("m1") { try await $0.swarmInspect().joinTokens?.worker ?? "" }
        #expect(rotated != token)
        #expect(await joinError(token).contains("A valid join token is necessary"))

        // None of the refusals changed anything.
        #expect(try await harness.client("m1") { try await $0.nodes().count } == 3)
        #expect(try await harness.client("x") { try await $0.info().swarm.localNodeState } == .inactive)

        try await join(rotated)
        try await waitUntil("x is ready", timeout: .seconds(10)) {
            try await harness.client("m1") {
                try await $0.nodes().contains { $0.description?.hostname == "x" && $0.status.state == .ready }
            }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func nodeLifecycle() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await Self.formCluster(harness)

        // Labels and availability, with optimistic versions.
        let w2 = try await harness.client("m1") { try await $0.node("w2") }
        var spec = w2.spec
        spec.labels["zone"] = "a"
        spec.availability = .drain
        try await harness.client("m1") { try await $0.updateNode(w2.id, version: w2.version.index, spec: spec) }
        let updated = try await harness.client("m1") { try await $0.node("w2") }
        #expect(updated.spec.labels == ["zone": "a"])
        #expect(updated.spec.availability == .drain)
        #expect(updated.version > w2.version)
        await #expect(throws: StarlingError.outOfSequence) {
            try await harness.client("m1") { try await $0.updateNode(w2.id, version: w2.version.index, spec: w2.spec) }
        }
        #expect(try await harness.client("m1") { try await $0.node("w2").spec.labels } == ["zone": "a"])

        // The last manager cannot be demoted; a ready node is not removed without --force.
        let m1 = try await harness.client("m1") { try await $0.node("m1") }
        var demoted = m1.spec
        demoted.role = .worker
        await #expect(throws: StarlingError.self) {
            try await harness.client("m1") { try await $0.updateNode(m1.id, version: m1.version.index, spec: demoted) }
        }
        await #expect(throws: StarlingError.self) { try await harness.client("m1") { try await $0.removeNode("w2") } }

        // Removal with --force: the node is gone, its daemon learns it and leaves; its certificate is refused.
        try await harness.client("m1") { try await $0.removeNode("w2", force: true) }
        #expect(try await harness.client("m1") { try await $0.nodes().count } == 2)
        try await waitUntil("w2 has left the swarm", timeout: .seconds(10)) {
            try await harness.client("w2") { try await $0.info().swarm.localNodeState == .inactive }
        }
        await #expect(throws: StarlingError.self) { try await harness.client("m1") { try await $0.node("w2") } }
    }
}

/// Managers that do not hold the store answer cluster calls by forwarding them, as Docker's followers forward to
/// the Raft leader.
@Suite(.serialized) struct ManagerForwardingTests {
    @Test(.timeLimit(.minutes(3)))
    func promotedAndJoinedManagersServeTheClusterAPI() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)

        // Promote w1: it becomes a manager and its API serves cluster calls.
        let w1 = try await harness.client("m1") { try await $0.node("w1") }
        var spec = w1.spec
        spec.role = .manager
        try await harness.client("m1") { try await $0.updateNode(w1.id, version: w1.version.index, spec: spec) }
        try await waitUntil("w1 serves node ls", timeout: .seconds(10)) {
            (try? await harness.client("w1") { try await $0.nodes().count }) == 3
        }
        let info = try await harness.client("w1") { try await $0.info() }
        #expect(info.swarm.controlAvailable)
        #expect(info.swarm.managers == 2)
        #expect(info.swarm.nodes == 3)

        // Writes through the promoted manager land in the store, with version checks intact.
        let w2 = try await harness.client("w1") { try await $0.node("w2") }
        var labelled = w2.spec
        labelled.labels["via"] = "w1"
        try await harness.client("w1") { try await $0.updateNode(w2.id, version: w2.version.index, spec: labelled) }
        #expect(try await harness.client("m1") { try await $0.node("w2").spec.labels["via"] } == "w1")
        await #expect(throws: StarlingError.outOfSequence) {
            try await harness.client("w1") { try await $0.updateNode(w2.id, version: w2.version.index, spec: labelled) }
        }

        // A node that joins with the manager token is a manager too.
        let managerToken = try await harness.client("m1") { try await $0.swarmInspect().joinTokens?.manager ?? "" }
        try await harness.start("m2")
        try await harness.client("m2") {
            try await $0.swarmJoin(
                SwarmJoinRequest(remoteAddrs: ["127.0.0.1:\(harness.daemon("m1").port)"], joinToken: managerToken))
        }
        let m2 = try await harness.client("m1") { try await $0.node("m2") }
        #expect(m2.spec.role == .manager)
        #expect(m2.managerStatus?.reachability == .reachable)
        #expect(try await harness.client("m2") { try await $0.nodes().count } == 4)

        // Logs through m2: what the tasks wrote comes back whole; following cannot be forwarded yet, and says so.
        let echo = try await harness.client("m2") { client in
            try await client.createService(
                ServiceSpec(
                    name: "echo", labels: ["io.starling.runtime": "process"],
                    taskTemplate: TaskSpec(
                        containerSpec: ContainerSpec(args: [
                            "sh", "-c", "echo hello; trap 'exit 0' TERM; sleep 3600 & wait",
                        ])
                    ),
                    mode: .replicated(replicas: 1)))
        }
        try await waitUntil("the echo task's line is readable through m2", timeout: .seconds(20)) {
            let lines = try await harness.client("m2") { client in
                var lines: [String] = []
                for try await frame in try await client.serviceLogs(echo.id, options: LogRequestOptions(details: false))
                {
                    lines.append(String(decoding: frame.bytes, as: UTF8.self))
                }
                return lines
            }
            return lines == ["hello\n"]
        }
        let followed = try await harness.client("m2") { client in
            try await client.raw(
                method: "GET", path: "/v1.41/services/\(echo.id)/logs?stdout=1&follow=1", headers: [], body: Data())
        }
        #expect(followed.status == 501)
        #expect(String(decoding: followed.body, as: UTF8.self).contains("following logs through a manager"))

        // Demoted again, w1 refuses cluster calls with Docker's words.
        let promoted = try await harness.client("m1") { try await $0.node("w1") }
        spec.role = .worker
        try await harness.client("m1") { try await $0.updateNode(w1.id, version: promoted.version.index, spec: spec) }
        try await waitUntil("w1 is a worker again", timeout: .seconds(10)) {
            do {
                _ = try await harness.client("w1") { try await $0.nodes() }
                return false
            } catch let error as StarlingError {
                return error == .notAManager
            }
        }
    }
}

/// SIGTERM stops a daemon cleanly: it exits 0, removes its API socket, and comes back with its membership.
@Suite(.serialized) struct DaemonShutdownTests {
    @Test(.timeLimit(.minutes(2)))
    func sigtermShutsDownCleanlyAndStateSurvives() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let before = try await harness.client("m1") { try await $0.nodes() }

        for name in ["w1", "m1"] {
            let daemon = harness.daemon(name)
            kill(daemon.pid, SIGTERM)
            var status: Int32 = 0
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(20))
            var exited = false
            while !exited, clock.now < deadline {
                exited = waitpid(daemon.pid, &status, WNOHANG) == daemon.pid
                if !exited { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(exited, "\(name) did not stop on SIGTERM")
            #expect(status == 0, "\(name) exited with status \(status): \(harness.log(name).suffix(2000))")
            #expect(!FileManager.default.fileExists(atPath: daemon.socket))
        }

        try await harness.start("m1")
        try await harness.start("w1")
        try await waitUntil("all nodes are ready again", timeout: .seconds(15)) {
            let nodes = try await harness.client("m1") { try await $0.nodes() }
            return nodes.count == 3 && nodes.allSatisfy { $0.status.state == .ready }
        }
        let after = try await harness.client("m1") { try await $0.nodes() }
        #expect(Set(after.map(\.id)) == Set(before.map(\.id)))
    }
}

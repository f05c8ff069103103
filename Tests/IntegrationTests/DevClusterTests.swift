import Foundation
import StarlingDev
import StarlingModel
import Testing

/// The dev cluster on the real machine: namespaces, veth pairs, the bridge, detached processes and teardown.
@Suite(.serialized) struct DevClusterTests {
    static var isRoot: Bool { geteuid() == 0 }

    static var hasPython: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/python3")
        }
    }

    /// A stand-in for `starling daemon`: it "serves its API" by creating the socket path as a file and listens on
    /// its control-plane address with python's HTTP server, until SIGTERM.
    static let fakeDaemon = """
        #!/bin/sh
        while [ $# -gt 0 ]; do
          case "$1" in
            -H) socket="${2#unix://}"; shift ;;
            --listen-addr) listen="$2"; shift ;;
          esac
          shift
        done
        python3 -m http.server --bind "${listen%:*}" "${listen##*:}" &
        server=$!
        trap 'kill $server; exit 0' TERM
        touch "$socket"
        wait
        """

    /// The network, processes and teardown for real, with the swarm part faked: as root, with python3 for the
    /// listeners.
    @Test(.enabled(if: isRoot && hasPython), .timeLimit(.minutes(2)))
    func namespacesConnectTheNodesAndDownRemovesEverything() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stl-dev-\(UUID().uuidString.prefix(8))")
        let binary = base.appendingPathComponent("fake-daemon").path
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try Data(Self.fakeDaemon.utf8).write(to: URL(fileURLWithPath: binary))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        defer { try? FileManager.default.removeItem(at: base) }

        let system = LocalDevSystem()
        let name = "it\(getpid() % 100_000)"
        let layout = DevLayout(stateRoot: base.path + "/state", socketRoot: base.path + "/run")
        let engines = FakeSwarm(isServing: { FileManager.default.fileExists(atPath: $0) })
        let cluster = DevCluster(system: system, engines: engines)
        let request = DevClusterRequest(name: name, nodeCount: 3, binary: binary, isolated: true)
        do {
            try await upAndDown(cluster, request, layout: layout, system: system)
        } catch {
            // Leave nothing behind, whatever happened.
            _ = try? await cluster.down(name: name, layout: layout, keepState: false)
            throw error
        }
    }

    private func upAndDown(
        _ cluster: DevCluster, _ request: DevClusterRequest, layout: DevLayout, system: LocalDevSystem
    ) async throws {
        let name = request.name
        let status = try await cluster.up(request, layout: layout)
        let record = status.record
        let network = try #require(record.network)
        #expect(status.running == [true, true, true])
        let namespaces = try await system.networkNamespaces()
        for namespace in network.namespaces { #expect(namespaces.contains(namespace)) }

        // Each daemon runs inside its node's namespace, in a process group of its own.
        for node in record.nodes {
            let pid = try #require(node.process?.pid)
            let inside = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
            let expected = try await system.run([
                "ip", "netns", "exec", node.plan.namespace ?? "", "readlink", "/proc/self/ns/net",
            ])
            #expect(inside == expected.trimmingCharacters(in: .whitespacesAndNewlines))
            // A session of its own, and no signal blocked: `dev down`'s SIGTERM must reach it.
            #expect(getsid(pid) == pid)
            let procStatus = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            #expect(procStatus.contains("SigBlk:\t0000000000000000"))
        }

        // node1 reaches node3's control-plane address across the bridge.
        let node3 = record.nodes[2].plan.address.split(separator: ":")
        try await waitForListener(
            system: system, namespace: record.nodes[0].plan.namespace ?? "", host: String(node3[0]),
            port: String(node3[1]))

        let report = try await cluster.down(name: name, layout: layout, keepState: false)
        #expect(report.stopped.count == 3)
        #expect(report.deletedNamespaces.count == 4)
        let after = try await system.networkNamespaces()
        #expect(after.allSatisfy { !DevNetworkPlan.isNamespace($0, ofCluster: name) })
        #expect(record.nodes.allSatisfy { !system.isRunning($0.process ?? DevProcess(pid: 0, startTime: nil)) })
        #expect(!FileManager.default.fileExists(atPath: layout.clusterDirectory(name)))
        // The daemons' children (the listeners) went with them.
        let addresses = record.nodes.map { String($0.plan.address.split(separator: ":")[0]) }
        #expect(system.processes { !Set($0).isDisjoint(with: addresses) }.isEmpty)

        let again = try await cluster.down(name: name, layout: layout, keepState: false)
        #expect(again.didNothing)
    }

    // MARK: With the real daemon

    /// The `starling` executable next to the test bundle (`swift build --build-tests` builds it), or
    /// `$STARLING_BINARY`.
    static var starlingBinary: String? {
        if let path = ProcessInfo.processInfo.environment["STARLING_BINARY"] { return path }
        guard let runner = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        let candidate = URL(fileURLWithPath: runner).deletingLastPathComponent().appendingPathComponent("starling").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    @Test(.enabled(if: isRoot && starlingBinary != nil), .timeLimit(.minutes(2)))
    func aClusterInNamespacesFormsLosesANodeAndGetsItBack() async throws {
        try await formFailRestoreAndRemove(isolated: true)
    }

    @Test(.enabled(if: starlingBinary != nil), .timeLimit(.minutes(2)))
    func aClusterOnLoopbackFormsLosesANodeAndGetsItBack() async throws {
        try await formFailRestoreAndRemove(isolated: false)
    }

    /// `up` with a label, `fail` of a worker until the manager sees it down, `restore` until it is ready again as
    /// the same node, then `down`.
    private func formFailRestoreAndRemove(isolated: Bool) async throws {
        let binary = try #require(Self.starlingBinary)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stl-e2e-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: base) }
        let layout = DevLayout(stateRoot: base.path + "/state", socketRoot: base.path + "/run")
        let name = "e2e\(isolated ? "n" : "l")\(getpid() % 100_000)"
        let request = DevClusterRequest(
            name: name, nodeCount: 3, labels: [2: ["workload": "jupyter"]], binary: binary, isolated: isolated,
            basePort: 20_000 + Int(getpid() % 20_000) * 2)
        let cluster = DevCluster()
        do {
            let status = try await cluster.up(request, layout: layout)
            let nodes = try #require(status.nodes)
            #expect(nodes.count == 3)
            #expect(nodes.allSatisfy { $0.status.state == .ready })
            let worker = try #require(status.record.nodes[1].nodeID)
            #expect(nodes.first { $0.id == worker }?.spec.labels["workload"] == "jupyter")
            #expect(nodes.first { $0.id == status.record.nodes[0].nodeID }?.managerStatus?.leader == true)

            _ = try await cluster.fail(name: name, layout: layout, node: "node2")
            let manager = SocketDevEngine(socketPath: status.record.nodes[0].plan.socketPath)
            try await waitUntil("node2 is down") { try await manager.node(worker).status.state == .down }

            let restored = try await cluster.restore(name: name, layout: layout, node: "node2")
            #expect(restored.running == [true, true, true])
            #expect(restored.record.nodes[1].nodeID == worker)
            #expect(restored.nodes?.first { $0.id == worker }?.status.state == .ready)
            #expect(restored.nodes?.count == 3, "the node came back as itself, not as a new node")

            let report = try await cluster.down(name: name, layout: layout, keepState: false)
            #expect(report.stopped.count == 3)
            #expect(report.killed.isEmpty, "every daemon stops on SIGTERM")
            #expect(!FileManager.default.fileExists(atPath: layout.clusterDirectory(name)))
            let namespaces = try await LocalDevSystem().networkNamespaces()
            #expect(namespaces.allSatisfy { !DevNetworkPlan.isNamespace($0, ofCluster: name) })
        } catch {
            _ = try? await cluster.down(name: name, layout: layout, keepState: false)
            throw error
        }
    }

    // MARK: The starling CLI next to the docker CLI

    static var dockerCLI: String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/docker" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `starling X` prints what `docker X` prints against the same Starling daemon, character for character (the
    /// join commands aside, which name `starling`), errors and exit codes included.
    @Test(.enabled(if: starlingBinary != nil && dockerCLI != nil), .timeLimit(.minutes(2)))
    func theCLIPrintsWhatTheDockerCLIPrints() async throws {
        let starling = try #require(Self.starlingBinary)
        let docker = try #require(Self.dockerCLI)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stl-cli-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: base) }
        let layout = DevLayout(stateRoot: base.path + "/state", socketRoot: base.path + "/run")
        let name = "cli\(getpid() % 100_000)"
        let request = DevClusterRequest(
            name: name, nodeCount: 2, labels: [2: ["zone": "a<b>&c", "ssd": ""]], binary: starling, isolated: false,
            basePort: 40_000 + Int(getpid() % 10_000) * 2)
        let cluster = DevCluster()
        let status = try await cluster.up(request, layout: layout)
        do {
            let environment = ["DOCKER_HOST": status.managerHost, "HOME": base.path, "PATH": "/usr/bin:/bin"]
            let commands = [
                ["node", "ls"], ["node", "ls", "-q"], ["node", "ls", "--filter", "role=worker"],
                ["node", "inspect", "self", "node2"], ["node", "inspect", "--pretty", "self", "node2"],
                ["node", "inspect", "node2", "nope"], ["node", "inspect", "--pretty", "nope"],
                ["swarm", "join-token", "worker"], ["swarm", "join-token", "-q", "manager"],
                ["node", "update", "--label-add", "rack=r1", "node2"], ["node", "promote", "node1"],
                ["node", "demote", "nope"], ["node", "rm", "nope"],
            ]
            for arguments in commands {
                let theirs = try await Self.capture([docker] + arguments, environment: environment)
                let ours = try await Self.capture([starling] + arguments, environment: environment)
                let expected = theirs.output.replacingOccurrences(of: "docker swarm join", with: "starling swarm join")
                #expect(ours.output == expected, "stdout of \(arguments.joined(separator: " "))")
                #expect(ours.error == theirs.error, "stderr of \(arguments.joined(separator: " "))")
                #expect(ours.status == theirs.status, "exit status of \(arguments.joined(separator: " "))")
                #expect((ours.status == 0) != arguments.contains("nope"), "\(arguments): \(ours.error)")
            }
            // The Server sections of `info` and `version` (the Client sections describe different clients).
            for arguments in [["info"], ["version"]] {
                let theirs = try await Self.capture([docker] + arguments, environment: environment).output
                let ours = try await Self.capture([starling] + arguments, environment: environment).output
                #expect(ours.components(separatedBy: "Server:").last == theirs.components(separatedBy: "Server:").last)
            }
            _ = try await cluster.down(name: name, layout: layout, keepState: false)
        } catch {
            _ = try? await cluster.down(name: name, layout: layout, keepState: false)
            throw error
        }
    }

    /// Runs a command to completion, with its standard output and error.
    static func capture(
        _ arguments: [String], environment: [String: String]
    ) async throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("stl-capture-\(UUID().uuidString)")
        let outputURL = files.appendingPathExtension("out")
        let errorURL = files.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: errorURL)
        }
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        process.standardOutput = output
        process.standardError = error
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try output.close()
        try error.close()
        return (
            status, String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
            String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
        )
    }

    /// Polls `condition` every 100 ms until it holds, for at most 30 seconds.
    private func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !((try? await condition()) ?? false) {
            guard ContinuousClock.now < deadline else {
                throw StarlingError.unavailable("timed out waiting until \(what)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Connects from `namespace` to `host:port` until it works (the listener may still be starting).
    private func waitForListener(system: LocalDevSystem, namespace: String, host: String, port: String) async throws {
        let probe = ["ip", "netns", "exec", namespace, "bash", "-c", "exec 3<>/dev/tcp/\(host)/\(port)"]
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while true {
            do {
                _ = try await system.run(probe)
                return
            } catch {
                if ContinuousClock.now > deadline { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

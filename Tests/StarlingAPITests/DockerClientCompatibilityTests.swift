import Foundation
import Logging
import ServiceLifecycle
import StarlingAPI
import StarlingModel
import Testing

/// The real docker CLI and python SDK against the API server and the fake backend, when they are installed.
@Suite(.serialized, .timeLimit(.minutes(1))) struct DockerClientCompatibilityTests {
    static let dockerPath = ["/usr/local/bin/docker", "/usr/bin/docker"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    /// The first `python3` on the PATH (the SDK may live in a pyenv or virtualenv interpreter).
    static let env = "/usr/bin/env"
    static let hasPythonSDK: Bool = (try? runSync(env, ["python3", "-c", "import docker"]).status) == 0

    @Test(.enabled(if: dockerPath != nil, "the docker CLI is not installed"))
    func dockerCLICommands() async throws {
        let docker = try #require(Self.dockerPath)
        let backend = FakeEngine()
        try await withServer(backend) { socket in
            func run(_ arguments: String...) async throws -> ProcessOutput {
                try await Self.run(
                    docker, ["-H", "unix://\(socket)"] + arguments, environment: Self.isolatedEnvironment())
            }
            #expect(try await run("version", "--format", "{{.Server.APIVersion}}").stdout == "1.41\n")
            #expect(
                try await run("info", "--format", "{{.Swarm.NodeID}} {{.Swarm.LocalNodeState}}").stdout
                    == "m1abcdefghijklmnopqrstuvw active\n")
            let list = try await run("node", "ls", "--format", "{{.Hostname}} {{.Self}} {{.ManagerStatus}}")
            #expect(list.stdout == "alpha true Leader\nbeta false \n", "\(list.stderr)")
            // Go logs "Unsolicited response received on idle HTTP channel" if a HEAD response carries a body.
            #expect(list.stderr.isEmpty)
            #expect(try await run("node", "inspect", "--format", "{{.Spec.Role}}", "beta").stdout == "worker\n")
            #expect(try await run("node", "update", "--label-add", "rack=r1", "beta").status == 0)
            #expect(try await run("node", "promote", "beta").status == 0)
            #expect(try await run("swarm", "join-token", "-q", "worker").stdout == "SWMTKN-1-worker\n")
            let missing = try await run("node", "inspect", "nope")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("nope"))
        }
        let beta = try await backend.node("beta")
        #expect(beta.spec.labels == ["zone": "a", "rack": "r1"])
        #expect(beta.spec.role == .manager)
    }

    @Test(.enabled(if: hasPythonSDK, "the python docker SDK is not installed"))
    func pythonSDKCalls() async throws {
        let backend = FakeEngine()
        try await withServer(backend) { socket in
            let script = """
                import docker
                client = docker.DockerClient(base_url="unix://\(socket)")
                print(client.version()["ApiVersion"])
                print(client.info()["Swarm"]["NodeID"])
                print(client.swarm.attrs["JoinTokens"]["Worker"])
                print([n.attrs["Description"]["Hostname"] for n in client.nodes.list(filters={"role": "manager"})])
                node = client.nodes.get("beta")
                spec = node.attrs["Spec"]
                spec["Availability"] = "drain"
                node.update(spec)
                """
            let output = try await Self.run(
                Self.env, ["python3", "-c", script], environment: Self.isolatedEnvironment())
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stdout == "1.41\nm1abcdefghijklmnopqrstuvw\nSWMTKN-1-worker\n['alpha']\n")
        }
        #expect(try await backend.node("beta").spec.availability == .drain)
    }

    // MARK: Helpers

    struct ProcessOutput: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private static func isolatedEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_API_VERSION", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"] {
            environment[key] = nil
        }
        environment["DOCKER_CONFIG"] =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "starling-docker-config"
            ).path
        return environment
    }

    /// Runs a program to completion, off the cooperative pool's threads.
    private static func run(
        _ program: String, _ arguments: [String], environment: [String: String]
    ) async throws
        -> ProcessOutput
    {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runSync(program, arguments, environment: environment) })
            }
        }
    }

    private static func runSync(
        _ program: String, _ arguments: [String], environment: [String: String]? = nil
    )
        throws -> ProcessOutput
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    /// The API server for `backend` on a fresh socket for the duration of `body`, shut down gracefully.
    private func withServer(_ backend: FakeEngine, _ body: @Sendable (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-compat-\(UUID().uuidString.prefix(8))"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/api.sock"
        let (listening, signal) = AsyncStream.makeStream(of: EngineAddress.self)
        let logger = Logger(label: "test")
        let server = EngineAPIServer(
            address: .unix(path: socket), backend: backend, logger: logger, onListening: { signal.yield($0) })
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { signal.finish() }
                try await group.run()
            }
            var events = listening.makeAsyncIterator()
            _ = try #require(await events.next(), "the server stopped before listening")
            let outcome: Result<Void, any Error>
            do {
                try await body(socket)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try outcome.get()
        }
    }
}

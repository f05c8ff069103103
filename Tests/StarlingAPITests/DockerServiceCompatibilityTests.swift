import Foundation
import StarlingAPI
import StarlingClient
import StarlingModel
import Testing

/// The real docker CLI, the python SDK and the `starling` binary against the API server and a fake backend whose
/// services converge at once.
@Suite(.serialized, .timeLimit(.minutes(2))) struct DockerServiceCompatibilityTests {
    typealias CLI = ServiceCLIHarness

    @Test(.enabled(if: CLI.dockerPath != nil, "the docker CLI is not installed"))
    func dockerCLIServiceWorkflow() async throws {
        let backend = FakeServiceEngine()
        await backend.greetFromNewTasks()
        try await withEngineServer(backend) { socket in
            func docker(_ arguments: String...) async throws -> CLI.Output {
                try await CLI.docker(socket, arguments)
            }
            // create: the ID, the progress until converged (the monitor period shortened), the digest warning.
            let create = try await docker(
                "service", "create", "--name", "web", "--replicas", "2", "--update-monitor", "300ms", "busybox",
                "sleep", "600")
            #expect(create.status == 0, "\(create.stderr)")
            let id = String(create.stdout.prefix { $0 != "\n" })
            #expect(create.stdout.contains("overall progress: 2 out of 2 tasks\n"))
            #expect(create.stdout.hasSuffix("verify: Service \(id) converged\n"))
            #expect(create.stderr.hasPrefix("image busybox:latest could not be accessed on a registry"))
            let global = try await docker("service", "create", "-d", "--name", "agent", "--mode", "global", "busybox")
            #expect(global.status == 0)

            let ls = try await docker("service", "ls")
            let rows = ls.stdout.split(separator: "\n").map(String.init)
            #expect(rows.first == "ID             NAME      MODE         REPLICAS   IMAGE            PORTS")
            #expect(
                rows.contains { $0.hasPrefix(String(id.prefix(12))) && $0.contains(" web ") && $0.contains(" 2/2 ") })
            #expect(rows.contains { $0.contains(" agent ") && $0.contains(" global ") && $0.contains(" 2/2 ") })

            let ps = try await docker("service", "ps", "--filter", "desired-state=running", "web")
            #expect(ps.status == 0, "\(ps.stderr)")
            let tasks = ps.stdout.split(separator: "\n").dropFirst()
            #expect(tasks.count == 2)
            #expect(tasks.contains { $0.contains(" web.1 ") && $0.contains(" alpha ") && $0.contains(" Running ") })
            #expect(tasks.contains { $0.contains(" web.2 ") && $0.contains(" beta ") })

            let inspect = try await docker("service", "inspect", "web")
            let array = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
            #expect(array?.first?["ID"] as? String == id)
            let pretty = try await docker("service", "inspect", "--pretty", "web")
            #expect(pretty.stdout.contains("Name:\t\tweb\nService Mode:\tReplicated\n Replicas:\t2\n"))

            // scale: replicated services only.
            let scale = try await docker("service", "scale", "-d", "web=3")
            #expect(scale.stdout == "web scaled to 3\n")
            #expect(try await backend.service("web").spec.mode == .replicated(replicas: 3))
            let refused = try await docker("service", "scale", "-d", "agent=3")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("agent: scale can only be used with replicated or replicated-job mode"))

            // logs: the docker CLI's prefix from the details, raw lines with --raw, task logs.
            let logs = try await docker("service", "logs", "web")
            #expect(logs.status == 0, "\(logs.stderr)")
            let firstTask = try #require(await backend.taskList.first { $0.slot == 1 })
            #expect(logs.stdout.contains("web.1.\(firstTask.id.prefix(12))@alpha    | hello from 1\n"))
            #expect(logs.stdout.split(separator: "\n").count == 3)
            let raw = try await docker("service", "logs", "--raw", "web")
            #expect(raw.stdout.split(separator: "\n").sorted() == ["hello from 1", "hello from 2", "hello from 3"])
            let stamped = try await docker("service", "logs", "--timestamps", "--tail", "1", firstTask.id)
            #expect(stamped.stdout.hasPrefix("2023-11-14T22:13:"))
            #expect(stamped.stdout.hasSuffix("@alpha    | hello from 1\n"))

            let rm = try await docker("service", "rm", "web", "agent")
            #expect(rm.stdout == "web\nagent\n")
            let again = try await docker("service", "rm", "web")
            #expect(again.status == 1)
            #expect(again.stderr == "Error response from daemon: service web not found\n")
        }
    }

    /// `starling service create` sends what `docker service create` sends for the same flags.
    @Test(.enabled(if: CLI.dockerPath != nil, "the docker CLI is not installed"))
    func theDockerCLISendsTheSpecStarlingBuilds() async throws {
        let cases: [([String], (inout ServiceCreateOptions) -> Void)] = [
            (["busybox"], { _ in }),
            (
                [
                    "--name", "rs-a", "--replicas", "2", "--constraint", "node.role==manager", "--constraint",
                    "node.labels.zone==a", "--placement-pref", "spread=node.labels.zone", "--limit-cpu", "0.5",
                    "--limit-memory", "64M", "--reserve-memory", "16M", "--health-cmd", "true", "--health-interval",
                    "2s", "--restart-condition", "on-failure", "--env", "FOO=bar", "--env", "BAZ=qux", "busybox:local",
                    "sh", "-c", "sleep 600",
                ],
                {
                    $0.image = "busybox:local"
                    $0.args = ["sh", "-c", "sleep 600"]
                    $0.name = "rs-a"
                    $0.replicas = "2"
                    $0.constraints = ["node.role==manager", "node.labels.zone==a"]
                    $0.placementPreferences = ["spread=node.labels.zone"]
                    $0.limitCPU = "0.5"
                    $0.limitMemory = "64M"
                    $0.reserveMemory = "16M"
                    $0.healthCmd = "true"
                    $0.healthInterval = "2s"
                    $0.restartCondition = "on-failure"
                    $0.env = ["FOO=bar", "BAZ=qux"]
                }
            ),
            (
                [
                    "--name", "b", "--mode", "global", "--limit-pids", "100", "--reserve-cpu", "0.25",
                    "--generic-resource", "gpu=1", "--restart-delay", "1m30s", "--restart-max-attempts", "3",
                    "--restart-window", "2m", "--health-cmd", "curl -f localhost", "--health-timeout", "500ms",
                    "--health-retries", "4", "--health-start-period", "1.5s", "--workdir", "/srv", "--user", "nobody",
                    "--stop-signal", "SIGINT", "--stop-grace-period", "0s", "--label", "team=ops", "--label", "solo",
                    "--container-label", "c=1", "--env", "A=1", "--env", "A=2", "docker.io/library/redis:7",
                ],
                {
                    $0.image = "docker.io/library/redis:7"
                    $0.name = "b"
                    $0.mode = "global"
                    $0.limitPids = "100"
                    $0.reserveCPU = "0.25"
                    $0.genericResources = ["gpu=1"]
                    $0.restartDelay = "1m30s"
                    $0.restartMaxAttempts = "3"
                    $0.restartWindow = "2m"
                    $0.healthCmd = "curl -f localhost"
                    $0.healthTimeout = "500ms"
                    $0.healthRetries = "4"
                    $0.healthStartPeriod = "1.5s"
                    $0.workdir = "/srv"
                    $0.user = "nobody"
                    $0.stopSignal = "SIGINT"
                    $0.stopGracePeriod = "0s"
                    $0.labels = ["team=ops", "solo"]
                    $0.containerLabels = ["c=1"]
                    $0.env = ["A=1", "A=2"]
                }
            ),
            (
                ["--name", "job", "--mode", "replicated-job", "--replicas", "5", "--max-concurrent", "2", "busybox"],
                {
                    $0.name = "job"
                    $0.mode = "replicated-job"
                    $0.replicas = "5"
                    $0.maxConcurrent = "2"
                }
            ),
            (
                ["--name", "spread", "--replicas-max-per-node", "2", "--no-healthcheck", "busybox"],
                {
                    $0.name = "spread"
                    $0.maxReplicasPerNode = "2"
                    $0.noHealthcheck = true
                }
            ),
        ]
        let backend = FakeServiceEngine()
        let argumentLists = cases.map(\.0)
        try await withEngineServer(backend) { socket in
            for arguments in argumentLists {
                let output = try await CLI.docker(
                    socket, ["service", "create", "-d", "--no-resolve-image"] + arguments)
                #expect(output.status == 0, "\(arguments): \(output.stderr)")
            }
        }
        let sent = await backend.createdSpecs
        #expect(sent.count == cases.count)
        for ((arguments, configure), docker) in zip(cases, sent) {
            var options = ServiceCreateOptions(image: "busybox")
            configure(&options)
            let starling = try StarlingJSON.decode(ServiceSpec.self, from: StarlingJSON.encode(options.spec()))
            #expect(starling == docker, "\(arguments)")
        }
    }

    @Test(.enabled(if: CLI.hasPythonSDK, "the python docker SDK is not installed"))
    func pythonSDKServiceWorkflow() async throws {
        let backend = FakeServiceEngine()
        await backend.greetFromNewTasks()
        try await withEngineServer(backend) { socket in
            let script = """
                import json, docker
                client = docker.DockerClient(base_url="unix://\(socket)")
                service = client.services.create(
                    "busybox", command=["sleep", "60"], name="py-web", labels={"team": "py"},
                    mode=docker.types.ServiceMode("replicated", replicas=2),
                    restart_policy=docker.types.RestartPolicy(condition="on-failure", delay=1000000000))
                service.reload()
                service.scale(3)
                service.reload()
                running = service.tasks(filters={"desired-state": "running"})
                listed = client.services.list(filters={"name": "py-"}, status=True)
                lines = b"".join(service.logs(stdout=True, stderr=True, tail=3)).decode()
                service.remove()
                print(json.dumps({
                    "replicas": service.attrs["Spec"]["Mode"]["Replicated"]["Replicas"],
                    "running": len(running),
                    "listed": [s.name for s in listed],
                    "status": listed[0].attrs["ServiceStatus"]["RunningTasks"],
                    "lines": sorted(lines.splitlines()),
                    "left": len(client.services.list()),
                }))
                """
            let output = try await CLI.python(script)
            #expect(output.status == 0, "\(output.stderr)")
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)")
            #expect(result["replicas"] as? Int == 3)
            #expect(result["running"] as? Int == 3)
            #expect(result["listed"] as? [String] == ["py-web"])
            #expect(result["status"] as? Int == 3)
            #expect(result["lines"] as? [String] == ["hello from 1", "hello from 2", "hello from 3"])
            #expect(result["left"] as? Int == 0)
        }
        let spec = try #require(await backend.createdSpecs.first)
        #expect(spec.taskTemplate.containerSpec?.command == ["sleep", "60"])
        #expect(spec.taskTemplate.restartPolicy?.condition == .onFailure)
    }

    /// `starling service ...` prints what `docker service ...` prints against the same daemon.
    @Test(
        .enabled(
            if: CLI.dockerPath != nil && CLI.starlingPath != nil, "the docker CLI or the starling binary is missing"))
    func starlingPrintsWhatDockerPrints() async throws {
        let backend = FakeServiceEngine()
        await backend.greetFromNewTasks()
        try await withEngineServer(backend) { socket in
            func both(_ arguments: String...) async throws -> (docker: CLI.Output, starling: CLI.Output) {
                (try await CLI.docker(socket, arguments), try await CLI.starling(socket, arguments))
            }
            func same(_ arguments: String..., comment: Comment? = nil) async throws {
                let docker = try await CLI.docker(socket, arguments)
                let starling = try await CLI.starling(socket, arguments)
                #expect(starling.stdout == docker.stdout, "\(arguments)")
                #expect(starling.stderr == docker.stderr, "\(arguments)")
                #expect(starling.status == docker.status, "\(arguments)")
            }
            // Progress to a pipe: the same lines, but for the ID and the monitor period (5 s by default; the docker
            // CLI's run is shortened with --update-monitor, which Starling's CLI does not have yet).
            let docker = try await CLI.docker(
                socket,
                ["service", "create", "--name", "web", "--replicas", "2", "--update-monitor", "300ms", "busybox"])
            #expect(docker.status == 0)
            let dockerSpec = try #require(await backend.createdSpecs.last)
            let starling = try await CLI.starling(
                socket, ["service", "create", "--name", "api", "--replicas", "2", "--label", "tier=back", "busybox"])
            #expect(starling.status == 0, "\(starling.stderr)")
            #expect(starling.stderr == docker.stderr)
            #expect(Self.progressLines(starling.stdout) == Self.progressLines(docker.stdout))
            var starlingSpec = try #require(await backend.createdSpecs.last)
            starlingSpec.name = "web"
            starlingSpec.labels = [:]
            starlingSpec.updateConfig = dockerSpec.updateConfig
            #expect(starlingSpec == dockerSpec)

            // History: a failed task in web's first slot, before the current one.
            let web = try await backend.service("web")
            await backend.insert(
                SwarmTask(
                    id: "oldtask1xxxxxxxxxxxxxxxxx", createdAt: FakeEngine.epoch, updatedAt: FakeEngine.epoch,
                    spec: web.spec.taskTemplate, serviceID: web.id, slot: 1, nodeID: FakeServiceEngine.nodeIDs[1],
                    status: TaskStatus(
                        timestamp: FakeEngine.epoch, state: .failed,
                        err: "task: non-zero exit (137): dockerexec: unhealthy container"),
                    desiredState: .shutdown))

            try await same("service", "ls")
            try await same("service", "ls", "-q")
            try await same("service", "ls", "--filter", "name=we")
            try await same("service", "ps", "web")
            try await same("service", "ps", "--no-trunc", "web", "api")
            try await same("service", "ps", "-q", "api")
            try await same("service", "ps", "nope")
            try await same("service", "inspect", "--pretty", "web")
            try await same("service", "inspect", "--pretty", "api")
            try await same("service", "inspect", "nope")
            try await same("service", "inspect", "--pretty", "web", "nope")
            try await same("service", "logs", "web")
            try await same("service", "logs", "--raw", "api")
            try await same("service", "logs", "--no-task-ids", "--tail", "1", "api")
            try await same("service", "logs", "nope")
            try await same("service", "scale", "-d", "web=3", "api=1")
            try await same("service", "rm", "nope")

            let inspect = try await both("service", "inspect", "web", "api")
            let fromDocker = try JSONSerialization.jsonObject(with: Data(inspect.docker.stdout.utf8)) as? NSArray
            let fromStarling = try JSONSerialization.jsonObject(with: Data(inspect.starling.stdout.utf8)) as? NSArray
            #expect(fromStarling == fromDocker)
            #expect(inspect.starling.stdout.hasPrefix("[\n    {\n        \""))

            #expect(try await CLI.starling(socket, ["service", "rm", "web", "api"]).stdout == "web\napi\n")
        }
    }

    /// The lines of a progress display printed to a pipe, with service IDs blanked, without the countdown of the
    /// verification, and repeated lines once.
    static func progressLines(_ output: String) -> [String] {
        var lines: [String] = []
        for (index, line) in output.split(separator: "\n").enumerated() {
            var text = String(line)
            if index == 0 { text = "<id>" }
            if let range = text.range(of: #"svc\d+x+"#, options: .regularExpression) {
                text.replaceSubrange(range, with: "<id>")
            }
            if text.hasPrefix("verify: Waiting ") { continue }
            if lines.last != text { lines.append(text) }
        }
        return lines
    }
}

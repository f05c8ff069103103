import Foundation
import StarlingClient
import StarlingModel
import Testing

/// The real docker CLI and the python docker SDK drive process services on three real daemons: create with the
/// progress bars, list, ps with its filters, inspect, scale, update, remove, pending tasks, global services and jobs.
/// Every task is a host process; the tests count them by a marker in their command line.
@Suite(.serialized) struct DockerServiceTests {
    static let docker = which("docker")
    static let python = which("python3")
    static var hasPythonSDK: Bool {
        guard let python else { return false }
        return (try? run(python, ["-c", "import docker"]).status) == 0
    }

    /// A workload that exits on SIGTERM, tagged with `marker` (its `$0`, visible in /proc/PID/cmdline).
    static func workload(_ marker: String) -> [String] {
        ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait", marker]
    }

    @Test(.enabled(if: docker != nil, "the docker CLI is not installed"), .timeLimit(.minutes(3)))
    func dockerCLIReplicatedServiceLifecycle() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let docker = DockerCLI(path: try #require(Self.docker), host: harness.daemon("m1").host)
        let marker = "web-\(UUID().uuidString.prefix(8))"
        let hostnames = try await Self.hostnames(harness)

        // create without -d: the ID, the progress bars, the verify period, then convergence.
        let create = try docker.ok(
            [
                "service", "create", "--name", "web", "--label", "io.starling.runtime=process", "--replicas", "3",
                "busybox",
            ] + Self.workload(marker))
        let id = try #require(create.split(separator: "\n").first { $0.count == 25 }.map(String.init), "\(create)")
        #expect(create.contains("overall progress: 3 out of 3 tasks\n"))
        #expect(create.contains("verify: Waiting 5 seconds to verify that tasks are stable...\n"))
        #expect(create.hasSuffix("verify: Service \(id) converged\n"), "\(create)")
        try await waitUntil("three host processes run", timeout: .seconds(10)) {
            hostProcesses(containing: marker).count == 3
        }

        // ls: docker's columns, 3/3.
        let ls = CLITable(try docker.ok(["service", "ls"]))
        #expect(ls.header == ["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"])
        #expect(ls.rows.count == 1)
        #expect(ls.rows.first?["ID"] == String(id.prefix(12)))
        #expect(ls.rows.first?["NAME"] == "web")
        #expect(ls.rows.first?["MODE"] == "replicated")
        #expect(ls.rows.first?["REPLICAS"] == "3/3")
        #expect(ls.rows.first?["IMAGE"] == "busybox:latest")

        // ps: three running tasks, one per node; --no-trunc and -q give the full IDs the API has.
        let tasks = try await ServiceTests.tasks(harness, service: id)
        let ps = CLITable(try docker.ok(["service", "ps", "web"]))
        #expect(
            ps.header == ["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"])
        #expect(ps.rows.count == 3)
        #expect(ps.column("NAME").sorted() == ["web.1", "web.2", "web.3"])
        #expect(ps.column("NODE").sorted() == ["m1", "w1", "w2"])
        #expect(ps.column("DESIRED STATE") == ["Running", "Running", "Running"])
        #expect(ps.column("CURRENT STATE").allSatisfy { $0.hasPrefix("Running ") && $0.hasSuffix(" ago") })
        #expect(Set(ps.column("ID")) == Set(tasks.map { String($0.id.prefix(12)) }))
        for row in ps.rows {
            let task = try #require(tasks.first { $0.id.hasPrefix(row["ID"] ?? "-") })
            #expect(row["NAME"] == "web.\(task.slot ?? 0)")
            #expect(row["NODE"] == task.nodeID.flatMap { hostnames[$0] })
        }
        let full = CLITable(try docker.ok(["service", "ps", "--no-trunc", "--filter", "desired-state=running", "web"]))
        #expect(Set(full.column("ID")) == Set(tasks.map(\.id)))
        #expect(Self.lines(try docker.ok(["service", "ps", "-q", "web"])) == Set(tasks.map(\.id)))

        // inspect --pretty: the spec in docker's layout.
        let pretty = try docker.ok(["service", "inspect", "--pretty", "web"])
        #expect(pretty.contains("ID:\t\t\(id)\nName:\t\tweb\nLabels:\n io.starling.runtime=process\n"))
        #expect(pretty.contains("Service Mode:\tReplicated\n Replicas:\t3\n"))
        #expect(pretty.contains(" Image:\t\tbusybox:latest\n Args:\t\tsh -c trap 'exit 0' TERM; sleep 3600 & wait"))
        #expect(pretty.contains(" Monitoring Period: 5s\n"))

        // scale to 5: converges, five processes, 5/5.
        let scale = try docker.ok(["service", "scale", "web=5"])
        #expect(scale.hasPrefix("web scaled to 5\n"), "\(scale)")
        #expect(scale.hasSuffix("verify: Service web converged\n"), "\(scale)")
        #expect(CLITable(try docker.ok(["service", "ls"])).rows.first?["REPLICAS"] == "5/5")
        #expect(try await ServiceTests.tasks(harness, service: id).filter { $0.status.state == .running }.count == 5)
        try await waitUntil("five host processes run", timeout: .seconds(10)) {
            hostProcesses(containing: marker).count == 5
        }

        // update --replicas 2: converges; the running filter shows the two that are meant to run.
        let update = try docker.ok(["service", "update", "--replicas", "2", "web"])
        #expect(update.hasPrefix("web\n"), "\(update)")
        #expect(update.hasSuffix("verify: Service web converged\n"), "\(update)")
        #expect(CLITable(try docker.ok(["service", "ls"])).rows.first?["REPLICAS"] == "2/2")
        let running = CLITable(try docker.ok(["service", "ps", "--filter", "desired-state=running", "web"]))
        #expect(running.rows.count == 2)
        #expect(running.column("DESIRED STATE") == ["Running", "Running"])
        #expect(running.column("NAME").sorted() == ["web.1", "web.2"])
        let onW1 = CLITable(
            try docker.ok(["service", "ps", "--filter", "desired-state=running", "--filter", "node=w1", "web"]))
        #expect(onW1.rows.count == running.column("NODE").filter { $0 == "w1" }.count)
        #expect(onW1.column("NODE").allSatisfy { $0 == "w1" })
        try await waitUntil("two host processes run", timeout: .seconds(10)) {
            hostProcesses(containing: marker).count == 2
        }
        // SwarmKit gives scaled-down tasks desired state `remove`, and its task reaper deletes them once they have
        // shut down: docker's ps then lists only the two that are left.
        let history = CLITable(try docker.ok(["service", "ps", "web"]))
        #expect(history.rows.count == 2, "\(history.rows)")

        // rm: the name back, the processes stop, and the service is gone in docker's words.
        #expect(try docker.ok(["service", "rm", "web"]) == "web\n")
        try await waitUntil("no host process is left", timeout: .seconds(15)) {
            hostProcesses(containing: marker).isEmpty
        }
        let gone = try docker(["service", "ps", "web"])
        #expect(gone.status == 1)
        #expect(gone.output == "no such service: web\n")
        let again = try docker(["service", "rm", "web"])
        #expect(again.status == 1)
        #expect(again.output == "Error response from daemon: service web not found\n")
        #expect(CLITable(try docker.ok(["service", "ls"])).rows.isEmpty)
    }

    @Test(.enabled(if: docker != nil, "the docker CLI is not installed"), .timeLimit(.minutes(3)))
    func dockerCLIPendingGlobalAndJobServices() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let docker = DockerCLI(path: try #require(Self.docker), host: harness.daemon("m1").host)
        let hostnames = try await Self.hostnames(harness)
        let process = ["--label", "io.starling.runtime=process"]

        // A constraint no node meets: the task stays pending with the scheduler's explanation.
        let pending = try docker.ok(
            ["service", "create", "-d", "--name", "pend", "--constraint", "node.labels.x==y"] + process + [
                "busybox", "sleep", "3600",
            ])
        #expect(pending.hasSuffix("\n") && pending.split(separator: "\n").last?.count == 25, "\(pending)")
        try await waitUntil("the task is pending with an explanation", timeout: .seconds(10)) {
            let ps = CLITable(try docker.ok(["service", "ps", "--no-trunc", "pend"]))
            return ps.rows.count == 1 && ps.rows[0]["ERROR"] != ""
        }
        let ps = CLITable(try docker.ok(["service", "ps", "--no-trunc", "pend"]))
        #expect(ps.rows.first?["NAME"] == "pend.1")
        #expect(ps.rows.first?["NODE"] == "")
        #expect(ps.rows.first?["DESIRED STATE"] == "Running")
        #expect(ps.rows.first?["CURRENT STATE"]?.hasPrefix("Pending ") == true)
        #expect(ps.rows.first?["ERROR"] == "\"no suitable node (scheduling constraints not satisfied on 3 nodes)\"")
        let truncated = CLITable(try docker.ok(["service", "ps", "pend"]))
        #expect(truncated.rows.first?["ERROR"] == "\"no suitable node (scheduling …\"")
        #expect(CLITable(try docker.ok(["service", "ls"])).rows.first { $0["NAME"] == "pend" }?["REPLICAS"] == "0/1")

        // Global: one task per node, named after the node's ID.
        let marker = "agent-\(UUID().uuidString.prefix(8))"
        let global = try docker.ok(
            ["service", "create", "--name", "agent", "--mode", "global"] + process + ["busybox"]
                + Self.workload(marker))
        let globalID = try #require(global.split(separator: "\n").first { $0.count == 25 }.map(String.init))
        #expect(global.hasSuffix("verify: Service \(globalID) converged\n"), "\(global)")
        let agents = CLITable(try docker.ok(["service", "ps", "agent"]))
        #expect(agents.rows.count == 3)
        #expect(agents.column("NODE").sorted() == ["m1", "w1", "w2"])
        for row in agents.rows {
            let node = try #require(hostnames.first { $0.value == row["NODE"] }?.key)
            #expect(row["NAME"] == "agent.\(node)")
            #expect(row["CURRENT STATE"]?.hasPrefix("Running ") == true)
        }
        let listed = CLITable(try docker.ok(["service", "ls", "--filter", "mode=global"]))
        #expect(listed.rows.map { [$0["NAME"], $0["MODE"], $0["REPLICAS"]] } == [["agent", "global", "3/3"]])
        try await waitUntil("one host process per node", timeout: .seconds(10)) {
            hostProcesses(containing: marker).count == 3
        }

        // A replicated job: three tasks run to completion, and the CLI says so.
        let job = try docker.ok(
            ["service", "create", "--name", "job", "--mode", "replicated-job", "--replicas", "3"] + process + [
                "busybox", "sh", "-c", "echo done",
            ])
        #expect(job.hasSuffix("job complete\n"), "\(job)")
        let jobRow = CLITable(try docker.ok(["service", "ls", "--filter", "name=job"])).rows.first
        #expect(jobRow?["MODE"] == "replicated job")
        #expect(jobRow?["REPLICAS"] == "0/0 (3/3 completed)")
        let jobTasks = CLITable(try docker.ok(["service", "ps", "job"]))
        #expect(jobTasks.rows.count == 3)
        #expect(jobTasks.column("CURRENT STATE").allSatisfy { $0.hasPrefix("Complete ") })
        #expect(jobTasks.column("DESIRED STATE") == ["Complete", "Complete", "Complete"])

        #expect(try docker.ok(["service", "rm", "pend", "agent", "job"]) == "pend\nagent\njob\n")
        try await waitUntil("no host process is left", timeout: .seconds(15)) {
            hostProcesses(containing: marker).isEmpty
        }
    }

    @Test(.enabled(if: hasPythonSDK, "the python docker SDK is not installed"), .timeLimit(.minutes(3)))
    func pythonSDKServiceWorkflow() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let marker = "py-\(UUID().uuidString.prefix(8))"
        let script = """
            import json, sys, time, docker
            client = docker.DockerClient(base_url=sys.argv[1])
            marker = sys.argv[2]

            def wait(what, condition):
                deadline = time.monotonic() + 30
                while not condition():
                    if time.monotonic() > deadline:
                        sys.exit("timed out waiting until " + what)
                    time.sleep(0.02)

            def running(service):
                tasks = service.tasks(filters={"desired-state": "running"})
                return [t for t in tasks if t["Status"]["State"] == "running"]

            service = client.services.create(
                "busybox", command=["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait", marker], name="py",
                labels={"io.starling.runtime": "process"}, mode=docker.types.ServiceMode("replicated", replicas=3))
            created = {"name": service.name, "mode": service.attrs["Spec"]["Mode"],
                       "labels": service.attrs["Spec"]["Labels"]}
            wait("3 tasks run", lambda: len(running(service)) == 3)
            hostnames = {n.id: n.attrs["Description"]["Hostname"] for n in client.nodes.list()}
            first = running(service)
            version = service.version
            scaled = service.scale(4)
            stale = None
            try:
                service.scale(5)  # the cached version is now stale
            except docker.errors.APIError as error:
                stale = error.explanation
            service.reload()
            wait("4 tasks run", lambda: len(running(service)) == 4)
            tasks = running(service)
            listed = client.services.list(filters={"name": "py"}, status=True)
            print(json.dumps({
                "created": created,
                "first": sorted(hostnames[t["NodeID"]] for t in first),
                "scaled": scaled, "stale": stale, "reloadedVersionGrew": service.version > version,
                "replicas": service.attrs["Spec"]["Mode"]["Replicated"]["Replicas"],
                "slots": sorted(t["Slot"] for t in tasks),
                "nodes": sorted(set(hostnames[t["NodeID"]] for t in tasks)),
                "allTasks": len(service.tasks()),
                "listed": [s.name for s in listed],
                "status": listed[0].attrs["ServiceStatus"],
                "byLabel": [s.name for s in client.services.list(filters={"label": "io.starling.runtime=process"})],
                "global": [s.name for s in client.services.list(filters={"mode": "global"})],
                "byID": [s.name for s in client.services.list(filters={"id": service.id[:6]})],
                "removed": service.remove(),
                "left": [s.name for s in client.services.list()],
            }))
            try:
                client.services.get("py")
            except docker.errors.NotFound as error:
                print(json.dumps({"notFound": error.explanation}))
            """
        let (status, output) = try run(
            try #require(Self.python), ["-c", script, harness.daemon("m1").host, marker])
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n")
        let result = try #require(
            try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any], "\(output)")
        let created = result["created"] as? [String: Any]
        #expect(created?["name"] as? String == "py")
        #expect(created?["mode"] as? [String: [String: Int]] == ["Replicated": ["Replicas": 3]])
        #expect(created?["labels"] as? [String: String] == ["io.starling.runtime": "process"])
        #expect(result["first"] as? [String] == ["m1", "w1", "w2"])
        #expect(result["scaled"] as? [String: NSNull] == ["Warnings": NSNull()])
        #expect((result["stale"] as? String)?.contains("update out of sequence") == true, "\(output)")
        #expect(result["reloadedVersionGrew"] as? Bool == true)
        #expect(result["replicas"] as? Int == 4)
        #expect(result["slots"] as? [Int] == [1, 2, 3, 4])
        #expect(result["nodes"] as? [String] == ["m1", "w1", "w2"])
        #expect(result["allTasks"] as? Int == 4)
        #expect(result["listed"] as? [String] == ["py"])
        #expect(
            result["status"] as? [String: Int] == ["RunningTasks": 4, "DesiredTasks": 4, "CompletedTasks": 0])
        #expect(result["byLabel"] as? [String] == ["py"])
        #expect(result["global"] as? [String] == [])
        #expect(result["byID"] as? [String] == ["py"])
        #expect(result["removed"] as? Bool == true)
        #expect(result["left"] as? [String] == [])
        let missing = try JSONSerialization.jsonObject(with: Data((lines.dropFirst().first ?? "").utf8))
        #expect((missing as? [String: String])?["notFound"] == "service py not found")
        try await waitUntil("no host process is left", timeout: .seconds(15)) {
            hostProcesses(containing: marker).isEmpty
        }
    }

    @Test(.enabled(if: docker != nil, "the docker CLI is not installed"), .timeLimit(.minutes(3)))
    func dockerCLIAndPythonServiceLogs() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let docker = DockerCLI(path: try #require(Self.docker), host: harness.daemon("m1").host)
        let hostnames = try await Self.hostnames(harness)
        // Three lines at start, then one more each time the task is sent SIGUSR1.
        let marker = "logger-\(UUID().uuidString.prefix(8))"
        let script =
            "trap 'echo poked' USR1; trap 'exit 0' TERM; echo line-1; echo line-2; echo line-3; "
            + "while :; do sleep 3600 & wait; done"
        let create = try docker.ok(
            [
                "service", "create", "-d", "--name", "logger", "--label", "io.starling.runtime=process", "--replicas",
                "2", "busybox", "sh", "-c", script, marker,
            ])
        let id = try #require(create.split(separator: "\n").last.map(String.init))
        try await waitUntil("two tasks run", timeout: .seconds(20)) {
            try await ServiceTests.tasks(harness, service: id).filter { $0.status.state == .running }.count == 2
        }
        let tasks = try await ServiceTests.tasks(harness, service: id)
        // Docker's prefix: `name.slot.taskid@node`, padded, then `| `.
        func matches(_ line: Substring, _ task: SwarmTask, _ text: String) -> Bool {
            let context =
                "logger.\(task.slot ?? 0).\(task.id.prefix(12))@\(task.nodeID.flatMap { hostnames[$0] } ?? "?")"
            guard line.hasPrefix(context + " ") else { return false }
            return line.dropFirst(context.count).drop { $0 == " " } == "| " + text
        }
        try await waitUntil("every task has written its first lines", timeout: .seconds(10)) {
            try docker.ok(["service", "logs", "logger"]).split(separator: "\n").count == 6
        }

        let logs = try docker.ok(["service", "logs", "logger"]).split(separator: "\n")
        #expect(logs.count == 6, "\(logs)")
        for task in tasks {
            for text in ["line-1", "line-2", "line-3"] {
                #expect(logs.contains { matches($0, task, text) }, "\(task.id) \(text): \(logs)")
            }
        }
        let tail = try docker.ok(["service", "logs", "--tail", "1", "logger"]).split(separator: "\n")
        #expect(tail.count == 2)
        #expect(tasks.allSatisfy { task in tail.contains { matches($0, task, "line-3") } }, "\(tail)")
        let stamped = try docker.ok(["service", "logs", "--timestamps", "logger"]).split(separator: "\n")
        #expect(stamped.count == 6)
        let timestamp = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"#)
        for line in stamped {
            let (time, rest) = (line.prefix { $0 != " " }, line.drop { $0 != " " }.dropFirst())
            #expect(time.wholeMatch(of: timestamp) != nil, "\(line)")
            #expect(tasks.contains { task in ["line-1", "line-2", "line-3"].contains { matches(rest, task, $0) } })
        }

        // A task ID instead of a service: the CLI falls back to that task's logs.
        let first = try #require(tasks.first)
        let taskLogs = try docker.ok(["service", "logs", "--tail", "1", first.id]).split(separator: "\n")
        #expect(taskLogs.count == 1 && taskLogs.first.map { matches($0, first, "line-3") } == true, "\(taskLogs)")

        // -f: the lines so far, then a line the tasks print later, until the CLI is stopped.
        let followLog = harness.directory + "/follow.out"
        let follower = try spawn(
            try #require(Self.docker), ["-H", docker.host, "service", "logs", "-f", "logger"], logPath: followLog)
        var followerReaped = false
        defer {
            if !followerReaped {
                kill(follower, SIGKILL)
                var status: Int32 = 0
                waitpid(follower, &status, 0)
            }
        }
        func followed() -> [Substring] {
            ((try? String(contentsOfFile: followLog, encoding: .utf8)) ?? "").split(separator: "\n")
        }
        try await waitUntil("follow shows the first lines", timeout: .seconds(10)) { followed().count == 6 }
        for pid in hostProcesses(containing: marker) { kill(pid, SIGUSR1) }
        try await waitUntil("follow shows the new line of each task", timeout: .seconds(10)) {
            tasks.allSatisfy { task in followed().contains { matches($0, task, "poked") } }
        }
        kill(follower, SIGTERM)
        var status: Int32 = 0
        followerReaped = waitpid(follower, &status, 0) == follower
        #expect(followerReaped)

        // python: service.logs(stdout=True) yields the raw lines.
        if Self.hasPythonSDK {
            let python = """
                import json, sys, docker
                client = docker.DockerClient(base_url=sys.argv[1])
                service = client.services.get("logger")
                print(json.dumps(sorted(b"".join(service.logs(stdout=True)).decode().splitlines())))
                """
            let (status, output) = try run(try #require(Self.python), ["-c", python, docker.host])
            #expect(status == 0, "\(output)")
            let lines = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String]
            #expect(lines == ["line-1", "line-1", "line-2", "line-2", "line-3", "line-3", "poked", "poked"])
        }
        #expect(try docker.ok(["service", "rm", "logger"]) == "logger\n")
        try await waitUntil("no host process is left", timeout: .seconds(15)) {
            hostProcesses(containing: marker).isEmpty
        }
    }

    /// Node ID → hostname, for the cluster's nodes.
    static func hostnames(_ harness: DaemonHarness) async throws -> [String: String] {
        let nodes = try await harness.client("m1") { try await $0.nodes() }
        return Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.description?.hostname ?? "") })
    }

    /// The output's distinct lines.
    static func lines(_ output: String) -> Set<String> {
        Set(output.split(separator: "\n").map(String.init))
    }
}

/// The docker CLI pointed at one daemon with `-H`.
struct DockerCLI {
    let path: String
    let host: String

    /// Runs `docker -H host arguments…` and returns its status and combined output.
    func callAsFunction(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try run(path, ["-H", host] + arguments)
    }

    /// Runs the command, records an issue unless it exits 0, and returns its output.
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let (status, output) = try self(arguments)
        #expect(status == 0, "docker \(arguments.joined(separator: " ")): \(output)", sourceLocation: sourceLocation)
        return output
    }
}

/// A table as the docker CLI prints it: the header's column names (separated by two or more spaces) and every
/// following line cut at the columns' start offsets, trimmed. Lines before the header (stderr) are skipped.
struct CLITable {
    let header: [String]
    let rows: [[String: String]]

    init(_ output: String) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true).map { Array($0) }
        guard let headerIndex = lines.firstIndex(where: { $0.starts(with: Array("ID ")) }) else {
            header = []
            rows = []
            return
        }
        let headerLine = lines[headerIndex]
        var starts: [Int] = []
        for index in headerLine.indices where headerLine[index] != " " {
            if index == 0 || (index >= 2 && headerLine[index - 1] == " " && headerLine[index - 2] == " ") {
                starts.append(index)
            }
        }
        func cut(_ line: [Character]) -> [String] {
            starts.enumerated().map { position, start in
                let end = position + 1 < starts.count ? starts[position + 1] : line.count
                guard start < line.count else { return "" }
                return String(line[start..<min(end, line.count)]).trimmingCharacters(in: .whitespaces)
            }
        }
        let names = cut(headerLine)
        header = names
        rows = lines[(headerIndex + 1)...].map {
            Dictionary(zip(names, cut($0)), uniquingKeysWith: { first, _ in first })
        }
    }

    /// One column's values, top to bottom.
    func column(_ name: String) -> [String] { rows.map { $0[name] ?? "" } }
}

/// The pids of the host's processes whose command line contains `marker`.
func hostProcesses(containing marker: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry),
            let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { return nil }
        let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        return commandLine.contains(marker) ? pid : nil
    }
}

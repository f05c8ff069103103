import Foundation
import StarlingClient
import StarlingModel
import Testing

/// The real docker CLI and the python docker SDK drive the node workflow against a Starling manager.
@Suite(.serialized) struct DockerClientTests {
    static let docker = which("docker")
    static let python = which("python3")
    static var hasPythonSDK: Bool {
        guard let python else { return false }
        return (try? run(python, ["-c", "import docker"]).status) == 0
    }

    @Test(.enabled(if: docker != nil), .timeLimit(.minutes(3)))
    func dockerCLINodeWorkflow() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let docker = try #require(Self.docker)
        let env = ["DOCKER_HOST": harness.daemon("m1").host]
        func dockerOK(_ arguments: String...) throws -> String {
            let (status, output) = try run(docker, arguments, environment: env)
            #expect(status == 0, "docker \(arguments.joined(separator: " ")) failed: \(output)")
            return output
        }

        // node ls: docker's columns, `*` on self, every node ready.
        let ls = try dockerOK("node", "ls")
        let lines = ls.split(separator: "\n")
        #expect(
            lines.first?.hasPrefix(
                "ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION")
                == true)
        let selfLine = try #require(lines.first { $0.contains(" m1 ") })
        #expect(selfLine.contains(" * "))
        #expect(selfLine.contains("Leader"))
        #expect(lines.filter { $0.contains("Ready") }.count == 3)

        // info, join-token, inspect self.
        let info = try dockerOK("info")
        #expect(info.contains("Swarm: active"))
        #expect(info.contains("Is Manager: true"))
        #expect(info.contains("Nodes: 3"))
        let token = try await harness.client("m1") { try await $0.swarmInspect().joinTokens?.worker ?? "" }
        #expect(
            try dockerOK("swarm", "join-token", "-q", "worker").trimmingCharacters(in: .whitespacesAndNewlines) == token
        )
        #expect(try dockerOK("swarm", "join-token", "worker").contains("docker swarm join --token \(token) 127.0.0.1:"))
        let selfID = try dockerOK("node", "inspect", "self", "--format", "{{.ID}}").trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(try await harness.client("m1") { try await $0.info().swarm.nodeID } == selfID)

        // update --label-add, --availability, promote/demote.
        _ = try dockerOK("node", "update", "--label-add", "zone=a", "--availability", "pause", "w1")
        let w1 = try await harness.client("m1") { try await $0.node("w1") }
        #expect(w1.spec.labels["zone"] == "a")
        #expect(w1.spec.availability == .pause)
        #expect(try dockerOK("node", "inspect", "--pretty", "w1").contains("Availability:         \tPause"))
        #expect(try dockerOK("node", "promote", "w2").contains("Node w2 promoted to a manager in the swarm."))
        #expect(try await harness.client("m1") { try await $0.node("w2").managerStatus?.reachability } == .reachable)
        #expect(try dockerOK("node", "demote", "w2").contains("Manager w2 demoted in the swarm."))
        #expect(try await harness.client("m1") { try await $0.node("w2").spec.role } == .worker)

        // Errors come back in Docker's words, and change nothing.
        let (status, output) = try run(docker, ["node", "inspect", "nosuchnode"], environment: env)
        #expect(status != 0)
        #expect(output.contains("Error response from daemon: node nosuchnode not found"))
        let worker = try run(docker, ["node", "ls"], environment: ["DOCKER_HOST": harness.daemon("w1").host])
        #expect(worker.status != 0)
        #expect(worker.output.contains("This node is not a swarm manager."))
    }

    @Test(.enabled(if: hasPythonSDK), .timeLimit(.minutes(3)))
    func pythonSDKNodeWorkflow() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let script = """
            import json, sys, docker
            client = docker.DockerClient(base_url=sys.argv[1])
            attrs = client.swarm.attrs
            nodes = client.nodes.list()
            managers = client.nodes.list(filters={"role": "manager"})
            node = client.nodes.get("w2")
            spec = node.attrs["Spec"]
            spec["Labels"]["gpu"] = "true"
            node.update(spec)
            stale = None
            try:
                node.update(spec)  # the cached version is now stale
            except docker.errors.APIError as error:
                stale = error.explanation
            node.reload()
            print(json.dumps({
                "swarm": attrs["ID"], "tokens": sorted(attrs["JoinTokens"]),
                "hostnames": sorted(n.attrs["Description"]["Hostname"] for n in nodes),
                "ready": sorted(n.attrs["Status"]["State"] for n in nodes),
                "managers": [n.attrs["Description"]["Hostname"] for n in managers],
                "labels": node.attrs["Spec"]["Labels"], "stale": stale,
                "api": client.version()["ApiVersion"],
            }))
            """
        let (status, output) = try run(
            try #require(Self.python), ["-c", script, "unix://" + harness.daemon("m1").socket])
        #expect(status == 0, "\(output)")
        let result = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let swarm = try await harness.client("m1") { try await $0.swarmInspect() }
        #expect(result["swarm"] as? String == swarm.id)
        #expect(result["tokens"] as? [String] == ["Manager", "Worker"])
        #expect(result["hostnames"] as? [String] == ["m1", "w1", "w2"])
        #expect(result["ready"] as? [String] == ["ready", "ready", "ready"])
        #expect(result["managers"] as? [String] == ["m1"])
        #expect(result["labels"] as? [String: String] == ["gpu": "true"])
        #expect((result["stale"] as? String)?.contains("update out of sequence") == true)
        #expect(result["api"] as? String == StarlingVersion.apiVersion)
    }
}

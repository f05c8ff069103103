import Foundation
import StarlingClient
import StarlingModel
import Testing

/// `GET /services/{id}/logs` and `GET /tasks/{id}/logs` on three real daemons: each task's output comes from the
/// node that ran it, with Docker's details, tail and stream choice; following sees new lines as they are written;
/// the output of tasks that ended stays readable while the task history keeps them.
@Suite(.serialized) struct ServiceLogTests {
    /// One log line as the API sent it with `details=1`.
    struct Line: Hashable {
        var stream: LogFrame.Stream
        var nodeID: String
        var taskID: String
        var text: String

        init(_ frame: LogFrame) {
            stream = frame.stream
            let payload = String(decoding: frame.bytes, as: UTF8.self)
            let details = payload.prefix { $0 != " " }
            var fields: [String: String] = [:]
            for pair in details.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            nodeID = fields["com.docker.swarm.node.id"] ?? ""
            taskID = fields["com.docker.swarm.task.id"] ?? ""
            text = String(payload.dropFirst(details.count + 1))
        }
    }

    /// Every frame of a logs request that ends by itself (no follow).
    static func lines(
        _ harness: DaemonHarness, service: String, options: LogRequestOptions = .init()
    ) async throws -> [Line] {
        try await harness.client("m1") { client in
            var lines: [Line] = []
            for try await frame in try await client.serviceLogs(service, options: options) {
                lines.append(Line(frame))
            }
            return lines
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func logsComeFromTheNodesThatRanTheTasks() async throws {
        let harness = try DaemonHarness()
        defer { harness.stopAll() }
        _ = try await ClusterTests.formCluster(harness)
        let trigger = harness.directory + "/go"
        let script = """
            trap 'echo stopping; exit 0' TERM
            echo started
            echo warning >&2
            while [ ! -e \(trigger) ]; do sleep 0.05; done
            echo went
            while [ ! -e \(trigger)-exit ]; do sleep 0.05; done
            echo failing
            exit 3
            """
        let spec = ServiceSpec(
            name: "talker", labels: ["io.starling.runtime": "process"],
            taskTemplate: TaskSpec(containerSpec: ContainerSpec(args: ["sh", "-c", script])),
            mode: .replicated(replicas: 3))
        let created = try await ServiceTests.call(
            harness, "POST", "/services/create", body: spec, as: ServiceCreateResponse.self)
        try await waitUntil("3 tasks run", timeout: .seconds(30)) {
            let tasks = try await ServiceTests.tasks(harness, service: created.id)
            return tasks.count == 3 && tasks.allSatisfy { $0.status.state == .running }
        }
        let tasks = try await ServiceTests.tasks(harness, service: created.id)
        let placement = Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, $0.nodeID ?? "") })

        // Every task's two lines, each from the node that runs it, on the stream it was written to.
        try await waitUntil("both lines of every task are in the logs", timeout: .seconds(20)) {
            try await Self.lines(harness, service: created.id).count == 6
        }
        let all = try await Self.lines(harness, service: created.id)
        #expect(Set(all.map(\.taskID)) == Set(placement.keys))
        #expect(all.allSatisfy { placement[$0.taskID] == $0.nodeID })
        #expect(all.filter { $0.stream == .stdout }.map(\.text) == Array(repeating: "started\n", count: 3))
        #expect(all.filter { $0.stream == .stderr }.map(\.text) == Array(repeating: "warning\n", count: 3))

        // tail counts per task; one stream only; one task only.
        let tail = try await Self.lines(harness, service: created.id, options: LogRequestOptions(tail: 1))
        #expect(tail.map(\.text) == Array(repeating: "warning\n", count: 3))
        let stdout = try await Self.lines(harness, service: created.id, options: LogRequestOptions(stderr: false))
        #expect(stdout.count == 3 && stdout.allSatisfy { $0.stream == .stdout })
        let one = try #require(tasks.first)
        let taskLines = try await harness.client("m1") { client in
            var lines: [Line] = []
            for try await frame in try await client.taskLogs(one.id) { lines.append(Line(frame)) }
            return lines
        }
        #expect(taskLines.map(\.text) == ["started\n", "warning\n"])
        #expect(taskLines.allSatisfy { $0.taskID == one.id })

        // Following: the kept lines, then what the tasks write next.
        let went = try await harness.client("m1") { client in
            let followed = try await client.serviceLogs(
                created.id, options: LogRequestOptions(follow: true, tail: 0))
            _ = FileManager.default.createFile(atPath: trigger, contents: Data())
            var went: [Line] = []
            var iterator = followed.makeAsyncIterator()
            while went.count < 3, let frame = try await iterator.next() {
                went.append(Line(frame))
            }
            return went
        }
        #expect(went.map(\.text) == Array(repeating: "went\n", count: 3))
        #expect(Set(went.map(\.taskID)) == Set(placement.keys))

        // The tasks fail: their replacements run, and the failed tasks' output stays readable (task history), last
        // words included, as a stopped container's logs are.
        _ = FileManager.default.createFile(atPath: trigger + "-exit", contents: Data())
        try await waitUntil("every first task said it is failing", timeout: .seconds(20)) {
            let failing = try await Self.lines(harness, service: created.id).filter { $0.text == "failing\n" }
            return Set(failing.map(\.taskID)) == Set(placement.keys)
        }
        let history = try await ServiceTests.call(harness, "GET", "/tasks", as: [SwarmTask].self)
        #expect(history.filter { placement[$0.id] != nil }.allSatisfy { $0.status.state == .failed })
    }
}
